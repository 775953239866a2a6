"""The difference between two versions of an article's text (pure).

An article's text (the archive file format, see :mod:`gitnews.format.normalise`) is a
headline and paragraphs.  :func:`diff_texts` aligns the paragraphs of version
A and version B the way News Sniffer shows them, one row per paragraph pair,
and marks the changed words inside each changed paragraph:

1. the paragraph lists are matched with :class:`difflib.SequenceMatcher`
   (``autojunk=False``): identical paragraphs become ``equal`` rows;
2. inside each block that differs, paragraphs are paired in order by their
   word similarity (the ``ratio()`` of a word-level SequenceMatcher, best
   pair first, then recursively left and right of it, as
   :class:`difflib.Differ` pairs similar lines; by position in blocks over
   :data:`MAX_PAIRING_WORK` candidate pairs); a pair at least
   :data:`PAIR_CUTOFF` similar is a ``changed`` row, the rest are ``deleted``
   (only in A) or ``inserted`` (only in B) rows;
3. inside a changed row, the words are diffed with SequenceMatcher over
   :func:`tokenize`'s tokens (words and punctuation; white space travels with
   the token before it and is never compared).

Every row carries :class:`WordOp` operations that partition both texts:
concatenating ``old`` of the ops gives A's paragraph exactly, ``new`` gives
B's.  White space at the edge of a change stays inside the op; renderers move
it outside their marks (:func:`split_edges`).

Counting (:class:`DiffStats`): a *word* is a :func:`tokenize` token that holds a
letter or digit (``1,400``, ``don't``, ``2014-15`` are one word; punctuation
is not a word).  Word counts cover the headline and the body; paragraph
counts cover the body only; ``headline_changed`` says whether line 1 differs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import Match, SequenceMatcher

from gitnews.format.normalise import parse_text

__all__ = ["WordOp", "Row", "DiffStats", "DiffResult", "diff_texts", "diff_paragraphs",
           "diff_stats", "paragraph_stats", "word_ops", "tokenize", "split_edges", "count_words",
           "PAIR_CUTOFF", "ROW_KINDS", "OP_KINDS"]

#: Similarity (0..1, SequenceMatcher ratio of the words) from which two
#: paragraphs in a differing block are shown as one changed paragraph.
PAIR_CUTOFF = 0.5
#: Above this many candidate pairs (len(A block) * len(B block)) a differing
#: block is paired by position (linear) rather than by best similarity.
MAX_PAIRING_WORK = 2_500

ROW_KINDS = ("equal", "changed", "deleted", "inserted")
OP_KINDS = ("equal", "delete", "insert", "replace")

# A word (letters/digits, with inner apostrophes, hyphens, dots, commas, colons
# and slashes: "don't", "15-year-old", "1,400", "10:02", "U.S") or one other
# non-space character; the white space after it is kept with it.
_WORD_PATTERN = r"\w+(?:[’'.,:/\-]\w+)*"
_TOKEN = re.compile(rf"({_WORD_PATTERN}|[^\w\s])(\s*)")
_WORDS = re.compile(_WORD_PATTERN)
# The tokens alone (the first group of _TOKEN: the search skips the same white space).
_TOKEN_TEXT = re.compile(rf"{_WORD_PATTERN}|[^\w\s]")


@dataclass(frozen=True)
class WordOp:
    """One operation of a word diff: ``op`` is ``equal``, ``delete``, ``insert`` or
    ``replace``; ``old`` is its text in A (``""`` for insert), ``new`` in B (``""``
    for delete).  For ``equal``, ``old`` and ``new`` have the same words (their
    white space may differ)."""

    op: str
    old: str
    new: str


@dataclass(frozen=True)
class Row:
    """One aligned row: a paragraph of A beside a paragraph of B.

    ``kind``: ``equal`` (same text), ``changed`` (paired, words differ),
    ``deleted`` (only in A; ``new`` is None), ``inserted`` (only in B; ``old`` is
    None).  ``old_index``/``new_index`` are 0-based positions in A's/B's body
    paragraphs (None on the side the paragraph is missing from; both None for
    the headline row).  ``ops`` partition ``old`` and ``new`` (see module doc).
    """

    kind: str
    old: str | None
    new: str | None
    old_index: int | None
    new_index: int | None
    ops: tuple[WordOp, ...]

    @property
    def words_removed(self) -> int:
        return sum(count_words(o.old) for o in self.ops if o.op in ("delete", "replace"))

    @property
    def words_added(self) -> int:
        return sum(count_words(o.new) for o in self.ops if o.op in ("insert", "replace"))


@dataclass(frozen=True)
class DiffStats:
    """The size of a change.  Words: headline and body; paragraphs: body only."""

    words_added: int = 0
    words_removed: int = 0
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_changed: int = 0
    headline_changed: bool = False

    @property
    def changed(self) -> bool:
        """True if A and B differ in any word, paragraph or the headline."""
        return bool(self.words_added or self.words_removed or self.paragraphs_added
                    or self.paragraphs_removed or self.paragraphs_changed
                    or self.headline_changed)


@dataclass(frozen=True)
class DiffResult:
    """The aligned difference of two article texts.

    ``headline`` is the row of line 1 (kind ``equal`` or ``changed``; both
    indexes None); ``rows`` are the body's rows in reading order.
    """

    headline: Row
    rows: tuple[Row, ...]
    stats: DiffStats = field(default_factory=DiffStats)

    @property
    def all_rows(self) -> tuple[Row, ...]:
        """The headline row first, then the body rows."""
        return (self.headline, *self.rows)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Split ``text`` into ``(token, start, end)``: ``text[start:end]`` is the
    token followed by its white space; the first token starts at 0 (white space
    before it is included), the last ends at ``len(text)``."""
    out: list[tuple[str, int, int]] = [(m[1], *m.span()) for m in _TOKEN.finditer(text)]
    if out:
        tok, _, end = out[0]
        out[0] = (tok, 0, end)
        tok, start, _ = out[-1]
        out[-1] = (tok, start, len(text))
    return out


def count_words(text: str) -> int:
    """The number of words (tokens holding a letter or digit) in ``text``."""
    # The word tokens of tokenize() are exactly the matches of the word pattern:
    # the other tokens are single characters that hold no letter or digit.
    return len(_WORDS.findall(text))


def split_edges(text: str) -> tuple[str, str, str]:
    """``(leading white space, core, trailing white space)`` of ``text``."""
    core = text.strip()
    if not core:
        return text, "", ""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return lead, core, trail


def word_ops(old: str, new: str, *, tokens: tuple[list[tuple[str, int, int]],
                                                   list[tuple[str, int, int]]] | None = None
             ) -> tuple[WordOp, ...]:
    """The word operations that turn ``old`` into ``new`` (see module doc).

    ``tokens``: ``(tokenize(old), tokenize(new))`` when the caller has them already.
    """
    if old == new:
        return (WordOp("equal", old, new),) if old else ()
    a, b = tokens if tokens is not None else (tokenize(old), tokenize(new))
    if not a or not b:
        return _whole(old, new)
    sm = SequenceMatcher(None, [t for t, _, _ in a], [t for t, _, _ in b], autojunk=False)

    def cut(tokens: list[tuple[str, int, int]], text: str, i: int, j: int) -> str:
        if i == j:
            return ""
        start = tokens[i][1]
        end = tokens[j][1] if j < len(tokens) else len(text)
        return text[start:end]

    ops = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        ops.append(WordOp(tag, cut(a, old, i1, i2), cut(b, new, j1, j2)))
    return tuple(ops)


def _whole(old: str, new: str) -> tuple[WordOp, ...]:
    if not old:
        return (WordOp("insert", "", new),)
    if not new:
        return (WordOp("delete", old, ""),)
    return (WordOp("replace", old, new),)


def _pair(a: Sequence[int], b: Sequence[int], keys_a: list[list[str]],
          keys_b: list[list[str]], blocks: dict[tuple[int, int], list[Match]] | None = None
          ) -> list[tuple[int | None, int | None]]:
    """Pair paragraph indexes of a differing block in order (Differ-style).

    Every candidate pair's similarity is computed once (the SequenceMatcher
    keeps B's index between candidates, as :class:`difflib.Differ` does); the
    most similar pair is fixed and the parts before and after it are paired
    the same way.  A block larger than :data:`MAX_PAIRING_WORK` candidates is
    paired by position instead (linear).  ``blocks``, when given, gets the
    word-level matching blocks of every pair similar enough to be paired
    (:meth:`difflib.SequenceMatcher.get_matching_blocks`, computed for the
    similarity anyway).
    """
    a, b = list(a), list(b)
    if not a or not b:
        return [(i, None) for i in a] + [(None, j) for j in b]
    scores: dict[tuple[int, int], float] = {}
    sm = SequenceMatcher(None, autojunk=False)
    if len(a) * len(b) > MAX_PAIRING_WORK:
        out: list[tuple[int | None, int | None]] = []
        for i, j in zip(a, b, strict=False):  # the rest is paired below
            sm.set_seqs(keys_a[i], keys_b[j])
            if _similar(sm):
                out.append((i, j))
                if blocks is not None:
                    blocks[(i, j)] = sm.get_matching_blocks()
            else:
                out += [(i, None), (None, j)]
        n = min(len(a), len(b))
        return out + [(i, None) for i in a[n:]] + [(None, j) for j in b[n:]]
    quick = len(a) * len(b) > 1
    for j in b:
        sm.set_seq2(keys_b[j])
        for i in a:
            sm.set_seq1(keys_a[i])
            if _similar(sm, quick=quick):
                scores[(i, j)] = sm.ratio()
                if blocks is not None:
                    blocks[(i, j)] = sm.get_matching_blocks()
    return _pair_scored(a, b, scores)


def _similar(sm: SequenceMatcher[str], *, quick: bool = True) -> bool:
    """Whether the pair of ``sm`` is :data:`PAIR_CUTOFF` similar.  ``real_quick_ratio`` and
    ``quick_ratio`` are upper bounds of ``ratio`` (difflib's documentation) that only
    save work on dissimilar pairs; ``quick=False`` skips the second (a lone candidate
    pair, most often one edited paragraph, whose ratio is wanted anyway)."""
    return (sm.real_quick_ratio() >= PAIR_CUTOFF
            and (not quick or sm.quick_ratio() >= PAIR_CUTOFF) and sm.ratio() >= PAIR_CUTOFF)


def _pair_scored(a: list[int], b: list[int], scores: dict[tuple[int, int], float]
                 ) -> list[tuple[int | None, int | None]]:
    if not a or not b:
        return [(i, None) for i in a] + [(None, j) for j in b]
    best = None
    for (i, j), score in scores.items():
        if a[0] <= i <= a[-1] and b[0] <= j <= b[-1]:
            key = (score, -i, -j)  # most similar; the earliest pair on a tie
            if best is None or key > best:
                best = key
    if best is None:
        return [(i, None) for i in a] + [(None, j) for j in b]
    i, j = -best[1], -best[2]
    x, y = a.index(i), b.index(j)
    return (_pair_scored(a[:x], b[:y], scores) + [(i, j)]
            + _pair_scored(a[x + 1:], b[y + 1:], scores))


def diff_paragraphs(old: Sequence[str], new: Sequence[str]) -> tuple[Row, ...]:
    """Align two paragraph lists into rows (see module doc)."""
    rows: list[Row] = []
    sm = SequenceMatcher(None, list(old), list(new), autojunk=False)
    keys_a: list[list[str]] = [[]] * len(old)
    keys_b: list[list[str]] = [[]] * len(new)
    tokens_a: dict[int, list[tuple[str, int, int]]] = {}  # each paragraph tokenized once
    tokens_b: dict[int, list[tuple[str, int, int]]] = {}
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):  # equal blocks
                rows.append(Row("equal", old[i], new[j], i, j, word_ops(old[i], new[j])))
            continue
        for i in range(i1, i2):
            tokens_a[i] = tokenize(old[i])
            keys_a[i] = [t for t, _, _ in tokens_a[i]]
        for j in range(j1, j2):
            tokens_b[j] = tokenize(new[j])
            keys_b[j] = [t for t, _, _ in tokens_b[j]]
        for a_i, b_j in _pair(range(i1, i2), range(j1, j2), keys_a, keys_b):
            if a_i is None:
                assert b_j is not None  # _pair never gives (None, None)
                rows.append(Row("inserted", None, new[b_j], None, b_j,
                                (WordOp("insert", "", new[b_j]),)))
            elif b_j is None:
                rows.append(Row("deleted", old[a_i], None, a_i, None,
                                (WordOp("delete", old[a_i], ""),)))
            else:
                rows.append(Row("changed", old[a_i], new[b_j], a_i, b_j,
                                word_ops(old[a_i], new[b_j],
                                         tokens=(tokens_a[a_i], tokens_b[b_j]))))
    return tuple(rows)


def _stats(headline: Row, rows: Sequence[Row]) -> DiffStats:
    return DiffStats(
        words_added=sum(r.words_added for r in (headline, *rows)),
        words_removed=sum(r.words_removed for r in (headline, *rows)),
        paragraphs_added=sum(1 for r in rows if r.kind == "inserted"),
        paragraphs_removed=sum(1 for r in rows if r.kind == "deleted"),
        paragraphs_changed=sum(1 for r in rows if r.kind == "changed"),
        headline_changed=headline.kind != "equal",
    )


def diff_texts(old: str, new: str) -> DiffResult:
    """Diff two archive file texts (``str``, the format of :mod:`gitnews.format.normalise`).

    An empty text (a removed version, or "before the first version") has an
    empty headline and no paragraphs.
    """
    old_head, old_body = parse_text(old) if old else ("", [])
    new_head, new_body = parse_text(new) if new else ("", [])
    kind = "equal" if old_head == new_head else "changed"
    headline = Row(kind, old_head, new_head, None, None, word_ops(old_head, new_head))
    rows = diff_paragraphs(old_body, new_body)
    return DiffResult(headline=headline, rows=rows, stats=_stats(headline, rows))


# -- the statistics alone ------------------------------------------------------------------------

def _unmatched_words(tokens: list[str], blocks: Sequence[tuple[int, int, int]],
                     side: int) -> int:
    """The words among one side's ``tokens`` outside the matching ``blocks`` (side 0: A,
    1: B): those of its ``delete``/``replace`` (or ``insert``/``replace``) operations.  A
    token is a word when it begins with a letter, digit or ``_`` (the other tokens are
    single characters that are none)."""
    words = 0
    start = 0
    for m in blocks:  # the last block is (len(a), len(b), 0)
        for t in tokens[start:m[side]]:
            if t[0].isalnum() or t[0] == "_":
                words += 1
        start = m[side] + m[2]
    return words


def paragraph_stats(old_head: str, old_body: Sequence[str], new_head: str,
                    new_body: Sequence[str]) -> DiffStats:
    """:func:`diff_stats` of two texts already split by
    :func:`~gitnews.format.normalise.parse_text` (headline, body paragraphs)."""
    added = removed = p_added = p_removed = p_changed = 0
    if old_head != new_head:
        ta, tb = _TOKEN_TEXT.findall(old_head), _TOKEN_TEXT.findall(new_head)
        if not ta or not tb:  # word_ops gives one op for the whole line
            removed, added = count_words(old_head), count_words(new_head)
        else:
            head = SequenceMatcher(None, ta, tb, autojunk=False).get_matching_blocks()
            removed, added = _unmatched_words(ta, head, 0), _unmatched_words(tb, head, 1)
    sm = SequenceMatcher(None, list(old_body), list(new_body), autojunk=False)
    keys_a: list[list[str]] = [[]] * len(old_body)
    keys_b: list[list[str]] = [[]] * len(new_body)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            keys_a[i] = _TOKEN_TEXT.findall(old_body[i])
        for j in range(j1, j2):
            keys_b[j] = _TOKEN_TEXT.findall(new_body[j])
        blocks: dict[tuple[int, int], list[Match]] = {}
        for a_i, b_j in _pair(range(i1, i2), range(j1, j2), keys_a, keys_b, blocks):
            if a_i is None:
                assert b_j is not None  # _pair never gives (None, None)
                p_added += 1
                added += count_words(new_body[b_j])
            elif b_j is None:
                p_removed += 1
                removed += count_words(old_body[a_i])
            else:
                p_changed += 1
                if old_body[a_i] != new_body[b_j]:
                    pair = blocks[(a_i, b_j)]
                    removed += _unmatched_words(keys_a[a_i], pair, 0)
                    added += _unmatched_words(keys_b[b_j], pair, 1)
    return DiffStats(words_added=added, words_removed=removed, paragraphs_added=p_added,
                     paragraphs_removed=p_removed, paragraphs_changed=p_changed,
                     headline_changed=old_head != new_head)


def diff_stats(old: str, new: str) -> DiffStats:
    """``diff_texts(old, new).stats``, without building the rows: the same paragraph
    alignment and pairing, the words counted from the word-level matching blocks
    that the pairing computed (each changed pair is diffed once, not twice).

    For the Recorder, which needs the statistics of every new version
    (:func:`gitnews.versions.significance.assess`); a property test compares it with
    :func:`diff_texts`.
    """
    old_head, old_body = parse_text(old) if old else ("", [])
    new_head, new_body = parse_text(new) if new else ("", [])
    return paragraph_stats(old_head, old_body, new_head, new_body)
