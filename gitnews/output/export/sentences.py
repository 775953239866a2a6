"""Sentences of an article's body, and the sentence edits between two versions (pure).

NewsEdits (Spangher et al., NAACL 2022) describes a change between two versions of
an article as sentence *actions*.  :func:`align_sentences` gives the same actions
for two lists of sentences:

1. ``unchanged``: the identical sentences at the beginning and the end, then the
   longest runs of identical sentences in the same order between them
   (:class:`difflib.SequenceMatcher`, ``autojunk=False``, over whole sentences);
2. ``moved`` (NewsEdits' *refactor*): a sentence left over on both sides with exactly
   the same text: it is still there, in another place (pairs are made in reading
   order when a sentence occurs more than once);
3. ``edit``: a left-over old sentence and a left-over new sentence whose words are at
   least :data:`EDIT_RATIO` similar (:meth:`difflib.SequenceMatcher.ratio` over the
   words and punctuation of :func:`gitnews.versions.diff.tokenize`, the tokens of
   ``gitnews diff``), most similar pair first (ties: the earliest pair), each
   sentence paired at most once; above :data:`MAX_PAIRING_WORK` candidate pairs,
   by position instead (linear);
4. ``addition`` (only in the new version) and ``deletion`` (only in the old one):
   everything else.

Every old sentence and every new sentence is in exactly one
:class:`SentenceEdit`; indexes are 0-based positions in each version's list.

Sentences are split by **sentencex** (Wikimedia's multilingual sentence
segmenter, :func:`sentencex.segment`: language-specific abbreviation rules and
fallbacks for about 300 languages, by its own count), one paragraph at a time, so that no
sentence spans two paragraphs.  The headline (line 1) is not a sentence of the
body: a headline change is a ``Change-Kind`` of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import Match, SequenceMatcher

from gitnews.versions.diff import count_words, tokenize

__all__ = ["SentenceEdit", "Sentence", "ACTIONS", "EDIT_RATIO", "MAX_PAIRING_WORK",
           "split_paragraph", "split_body", "align_sentences", "SentenceSplitter", "tokens",
           "changed_words", "common_ends", "align_middle", "blocks_words", "Blocks"]

#: The sentence actions, in the order :func:`align_sentences` documents them.
ACTIONS = ("unchanged", "moved", "edit", "addition", "deletion")
#: Word similarity (0..1) from which a left-over old sentence and a left-over new one
#: are one edited sentence: the paragraph pairing cut-off of ``gitnews diff``
#: (:data:`gitnews.versions.diff.PAIR_CUTOFF`), so the two views agree.
EDIT_RATIO = 0.5
#: Above this many candidate pairs (left-over old x left-over new sentences), edits
#: are paired by position rather than by best similarity.
MAX_PAIRING_WORK = 2_500


@dataclass(frozen=True)
class Sentence:
    """One sentence of a body: its ``text`` (white space at both ends removed), the
    0-based ``paragraph`` it is in, and its 0-based ``index`` in the body."""

    text: str
    paragraph: int
    index: int


@dataclass(frozen=True)
class SentenceEdit:
    """One action of :func:`align_sentences`.

    ``action``: one of :data:`ACTIONS`.  ``old``/``new``: the 0-based index of the
    sentence in the old/new list (None on the side it is missing from: ``new`` for
    a deletion, ``old`` for an addition).  ``ratio``: the word similarity of an
    edit (0..1); 1.0 for unchanged and moved sentences, 0.0 for additions and
    deletions.
    """

    action: str
    old: int | None
    new: int | None
    ratio: float


def language_problem(code: str) -> str | None:
    """None when ``code`` names a language, else what is wrong with it (a sentence
    for an error message).

    sentencex itself takes any string (an unknown code falls back, in the end, to
    English rules), so a typo would go unnoticed: the code must be one CLDR knows
    as a language (babel's :meth:`babel.Locale.parse`: an ISO 639 code, ``en``,
    ``de``, ``gsw``, optionally with a region or script as BCP 47 writes them,
    ``pt-BR``, ``zh-Hant``)."""
    from babel import Locale, UnknownLocaleError

    text = code.strip()
    if not text or not text.replace("-", "").replace("_", "").isalnum():
        return f"{code!r} is not a language code"
    try:
        Locale.parse(text.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return f"{code!r} is not a language code CLDR knows"
    return None


def split_paragraph(paragraph: str, *, language: str = "en") -> list[str]:
    """The sentences of one paragraph (sentencex, ``language`` an ISO 639 code; an
    unknown code falls back as sentencex documents, in the end to English rules),
    each stripped of white space; empty pieces are dropped."""
    from sentencex import segment  # type: ignore[import-untyped]

    return [s for s in (piece.strip() for piece in segment(language, paragraph)) if s]


class SentenceSplitter:
    """:func:`split_paragraph` that remembers each paragraph it split.

    Consecutive versions of an article share most paragraphs: one splitter per
    article splits each distinct paragraph once.  Call :meth:`clear` between
    articles (memory stays bounded by one article's paragraphs).
    """

    def __init__(self, *, language: str = "en") -> None:
        self.language = language
        self._known: dict[str, list[str]] = {}
        self._tokens: dict[str, list[str]] = {}
        self._bodies: dict[tuple[str, ...], list[Sentence]] = {}
        self._counts: dict[str, int] = {}
        self._marks: dict[str, list[int]] = {}

    def paragraph(self, paragraph: str) -> list[str]:
        found = self._known.get(paragraph)
        if found is None:
            found = self._known[paragraph] = split_paragraph(paragraph, language=self.language)
        return found

    def body(self, paragraphs: Iterable[str]) -> list[Sentence]:
        """The sentences of a body (its paragraphs in order), numbered from 0."""
        key = tuple(paragraphs)
        found = self._bodies.get(key)
        if found is not None:
            return found
        out: list[Sentence] = []
        for p, paragraph in enumerate(key):
            for text in self.paragraph(paragraph):
                out.append(Sentence(text, p, len(out)))
        self._bodies[key] = out
        return out

    def count_words(self, text: str) -> int:
        """:func:`gitnews.versions.diff.count_words` of an article's text, each
        paragraph counted once (no word spans a blank line)."""
        total = 0
        for block in text.split("\n\n"):
            found = self._counts.get(block)
            if found is None:
                found = self._counts[block] = count_words(block)
            total += found
        return total

    def block_words(self, block: str) -> int:
        """:func:`gitnews.versions.diff.count_words` of one block of a text (a
        paragraph, the headline), remembered.  A paragraph that is its sentences
        (:meth:`paragraph`) joined by single spaces is counted sentence by sentence
        (each distinct sentence once): no word spans white space, so the counts add
        up to the paragraph's."""
        found = self._counts.get(block)
        if found is None:
            sentences = self._known.get(block)
            if sentences is not None and " ".join(sentences) == block:
                found = 0
                for sentence in sentences:
                    n = self._counts.get(sentence)
                    if n is None:
                        n = self._counts[sentence] = count_words(sentence)
                    found += n
            else:
                found = count_words(block)
            self._counts[block] = found
        return found

    def words(self, sentence: str) -> list[str]:
        """:func:`tokens` of ``sentence``, each sentence tokenized once."""
        found = self._tokens.get(sentence)
        if found is None:
            found = self._tokens[sentence] = tokens(sentence)
        return found

    def sentence_words(self, sentence: str) -> int:
        """How many of :meth:`words` of ``sentence`` are words (hold a letter or digit,
        as :func:`changed_words` counts them): the words an added or deleted sentence
        adds or removes."""
        return self.word_marks(sentence)[-1]

    def word_marks(self, sentence: str) -> list[int]:
        """For each ``k`` from 0 to ``len(words(sentence))``, how many of the first ``k``
        of :meth:`words` are words (hold a letter or digit): the words of any run of
        tokens by one subtraction.  Remembered per sentence."""
        found = self._marks.get(sentence)
        if found is None:
            found = [0]
            n = 0
            for t in self.words(sentence):
                if _WORD_START.match(t) is not None:
                    n += 1
                found.append(n)
            self._marks[sentence] = found
        return found

    def edit_words(self, old: str, new: str, blocks: Sequence[Match]) -> tuple[int, int]:
        """:func:`blocks_words` of the sentences ``old`` and ``new`` (their
        :meth:`words`), counted from :meth:`word_marks`: the same ``(added, removed)``."""
        marks_old, marks_new = self.word_marks(old), self.word_marks(new)
        kept_old = kept_new = 0
        for a, b, size in blocks:
            kept_old += marks_old[a + size] - marks_old[a]
            kept_new += marks_new[b + size] - marks_new[b]
        return marks_new[-1] - kept_new, marks_old[-1] - kept_old

    def clear(self) -> None:
        self._known.clear()
        self._tokens.clear()
        self._bodies.clear()
        self._counts.clear()
        self._marks.clear()


def split_body(paragraphs: Iterable[str], *, language: str = "en") -> list[Sentence]:
    """The sentences of a body's paragraphs, numbered from 0 (see :class:`SentenceSplitter`)."""
    return SentenceSplitter(language=language).body(paragraphs)


def tokens(sentence: str) -> list[str]:
    """The words and punctuation of ``sentence`` (:func:`gitnews.versions.diff.tokenize`'s
    tokens, white space left out)."""
    return [t for t, _, _ in tokenize(sentence)]


def changed_words(old: Sequence[str], new: Sequence[str]) -> tuple[int, int]:
    """``(added, removed)``: the words (tokens holding a letter or digit, as ``gitnews
    diff`` counts them) inserted into and deleted from token list ``old`` to make
    ``new`` (a replaced run counts on both sides), by :class:`difflib.SequenceMatcher`."""
    added = removed = 0
    sm = SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "equal":
            removed += sum(1 for t in old[i1:i2] if _is_word(t))
            added += sum(1 for t in new[j1:j2] if _is_word(t))
    return added, removed


_WORD_START = re.compile(r"\w")


def _is_word(token: str) -> bool:
    return _WORD_START.match(token) is not None


def common_ends(old: Sequence[str], new: Sequence[str], *, head: int = 0,
                tail: int = 0) -> tuple[int, int]:
    """``(head, tail)``: how many sentences ``old`` and ``new`` share at their beginning,
    then at their end (the end counted only over what the beginning leaves, so the two
    never overlap).  ``head``/``tail``: counts already known to be shared (e.g. the
    sentences of the paragraphs both versions begin or end with), where the scan starts;
    the result is the same as without them."""
    n = min(len(old), len(new))
    head = min(head, n)
    while head < n and old[head] == new[head]:
        head += 1
    tail = min(tail, n - head)
    while tail < n - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    return head, tail


#: The word matching blocks of the matcher that scored each ``edit`` (old, new): what
#: :func:`blocks_words` counts the edit's changed words from.
Blocks = dict[tuple[int, int], list["Match"]]


def align_middle(old: Sequence[str], new: Sequence[str], head: int, tail: int, *,
                 words: Callable[[str], list[str]] = tokens,
                 blocks: Blocks | None = None) -> list[SentenceEdit]:
    """The actions of :func:`align_sentences` but the ``unchanged`` ones, in its order,
    found without a step per sentence the versions share at their ends (``head``/
    ``tail``: :func:`common_ends` of ``old`` and ``new``): what a change's rows need.
    ``blocks``: when given, gets the word matching blocks of each edit (:data:`Blocks`)."""
    return [e for e in _middle(old, new, head, tail, words, blocks) if e.action != "unchanged"]


def _middle(old: Sequence[str], new: Sequence[str], head: int, tail: int,
            words: Callable[[str], list[str]], blocks: Blocks | None) -> list[SentenceEdit]:
    """Every action of the sentences between the common ``head`` and ``tail``, in order."""
    mid_old, mid_new = old[head:len(old) - tail], new[head:len(new) - tail]
    if len(mid_old) == 1 and len(mid_new) == 1 and mid_old[0] != mid_new[0]:
        # One sentence for another (most edits): what the steps below give, directly.
        a, b = words(mid_old[0]), words(mid_new[0])
        matcher: SequenceMatcher[str] = SequenceMatcher(None, a, b, autojunk=False)
        if matcher.real_quick_ratio() >= EDIT_RATIO and matcher.quick_ratio() >= EDIT_RATIO:
            ratio = matcher.ratio()
            if ratio >= EDIT_RATIO:
                if blocks is not None:
                    blocks[head, head] = matcher.get_matching_blocks()
                return [SentenceEdit("edit", head, head, round(ratio, 4))]
        return [SentenceEdit("deletion", head, None, 0.0), SentenceEdit("addition", None, head, 0.0)]
    edits: list[SentenceEdit] = []
    left_old: list[int] = []
    left_new: list[int] = []
    if not mid_old or not mid_new or set(mid_old).isdisjoint(mid_new):
        # SequenceMatcher finds no matching block between lists with no element in
        # common: every sentence is left over (the same result, without the matcher).
        left_old += range(head, len(old) - tail)
        left_new += range(head, len(new) - tail)
    else:
        sm = SequenceMatcher(None, list(mid_old), list(mid_new), autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
            if tag == "equal":
                edits += [SentenceEdit("unchanged", i, j, 1.0)
                          for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            else:
                left_old += range(i1, i2)
                left_new += range(j1, j2)
    # Moved: the same text left over on both sides (in reading order for repeats).
    waiting: dict[str, list[int]] = {}
    for i in left_old:
        waiting.setdefault(old[i], []).append(i)
    still_new: list[int] = []
    paired_old: set[int] = set()
    for j in left_new:
        same = waiting.get(new[j])
        if same:
            i = same.pop(0)
            paired_old.add(i)
            edits.append(SentenceEdit("moved", i, j, 1.0))
        else:
            still_new.append(j)
    still_old = [i for i in left_old if i not in paired_old]
    # Edits: the most similar pairs at or above EDIT_RATIO.
    matched_old: set[int] = set()
    matched_new: set[int] = set()
    if still_old and still_new:
        words_old = {i: words(old[i]) for i in still_old}
        words_new = {j: words(new[j]) for j in still_new}
        scored: list[tuple[float, int, int]] = []
        matcher = SequenceMatcher(None, autojunk=False)
        if len(still_old) * len(still_new) > MAX_PAIRING_WORK:
            candidates: Iterable[tuple[int, int]] = zip(still_old, still_new, strict=False)
        else:
            candidates = ((i, j) for j in still_new for i in still_old)
        for i, j in candidates:
            matcher.set_seqs(words_old[i], words_new[j])
            if (matcher.real_quick_ratio() >= EDIT_RATIO and matcher.quick_ratio() >= EDIT_RATIO):
                ratio = matcher.ratio()
                if ratio >= EDIT_RATIO:
                    scored.append((ratio, i, j))
                    if blocks is not None:
                        blocks[i, j] = matcher.get_matching_blocks()
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        for ratio, i, j in scored:
            if i not in matched_old and j not in matched_new:
                matched_old.add(i)
                matched_new.add(j)
                edits.append(SentenceEdit("edit", i, j, round(ratio, 4)))
    edits += [SentenceEdit("deletion", i, None, 0.0) for i in still_old if i not in matched_old]
    edits += [SentenceEdit("addition", None, j, 0.0) for j in still_new if j not in matched_new]
    return _in_reading_order(edits, head)


def align_sentences(old: Sequence[str], new: Sequence[str], *,
                    words: Callable[[str], list[str]] = tokens) -> list[SentenceEdit]:
    """The sentence actions that turn ``old`` into ``new`` (see module doc).

    ``words``: a sentence's tokens (:func:`tokens`; :meth:`SentenceSplitter.words`
    remembers them).

    Returns one :class:`SentenceEdit` per old sentence and per new sentence not
    paired with an old one: unchanged, moved and edited sentences appear once
    with both indexes.  Ordered by the new index (deletions after the new
    sentence that follows them; those at the end last), then by the old index.
    """
    # The common beginning and end first (most changes touch a few sentences), then
    # SequenceMatcher on what lies between (align_middle).
    head, tail = common_ends(old, new)
    return [*(SentenceEdit("unchanged", i, i, 1.0) for i in range(head)),
            *_middle(old, new, head, tail, words, None),
            *(SentenceEdit("unchanged", len(old) - tail + k, len(new) - tail + k, 1.0)
              for k in range(tail))]


def blocks_words(old: Sequence[str], new: Sequence[str], blocks: Sequence[Match]
                 ) -> tuple[int, int]:
    """:func:`changed_words` of ``old`` and ``new`` from the matching blocks of a
    :class:`difflib.SequenceMatcher` (no junk, ``autojunk=False``) already run over
    them: the words outside the blocks (what :meth:`~difflib.SequenceMatcher.get_opcodes`
    marks as not ``equal``)."""
    kept_old = kept_new = 0
    for a, b, size in blocks:
        kept_old += sum(1 for t in old[a:a + size] if _is_word(t))
        kept_new += sum(1 for t in new[b:b + size] if _is_word(t))
    return (sum(1 for t in new if _is_word(t)) - kept_new,
            sum(1 for t in old if _is_word(t)) - kept_old)


def _in_reading_order(edits: list[SentenceEdit], head: int) -> list[SentenceEdit]:
    """Sort by the new index; a deletion goes right after the new sentence of the
    nearest old sentence before it that has one (first when none has).  ``edits``:
    the actions of the sentences after the first ``head`` (unchanged, old index =
    new index), which come before them all."""
    new_of: dict[int, float] = {}
    for e in edits:
        if e.old is not None and e.new is not None:
            new_of[e.old] = float(e.new)
    anchor = head - 0.5
    where: dict[int, float] = {}
    for i in sorted(e.old for e in edits if e.old is not None):
        if i in new_of:
            anchor = new_of[i] + 0.5
        else:
            where[i] = anchor
    return sorted(edits, key=lambda e: (
        float(e.new) if e.new is not None else where.get(e.old if e.old is not None else -1, 0.0),
        -1 if e.old is None else e.old))
