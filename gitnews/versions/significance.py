"""How much a version changed: facts, the significance rule table, and the filter (pure).

**Facts** (:func:`facts`) of an archive text, headline and body:

* *numbers*: every run of digits with inner ``,`` ``.`` ``:`` (``2,700``,
  ``3:30``, ``44.9``), as written;
* *quotes*: every span between typographic or straight double quotation marks
  (``“…”``, ``"…"``, ``„…“``, ``«…»``) of at least two words;
* *names*: a light rule, no model: a run of capitalised words (``Ward
  Christensen``, ``New York Times``; an inner ``of``, ``de``, ``von``, ``van``,
  ``la`` is kept) that does not begin a sentence (not the first word of a
  paragraph or after ``.`` ``!`` ``?`` ``:``, or an opening quotation mark);
  English month and weekday names are dates, not names.  It
  misses a name that begins a sentence and takes a capitalised common noun in
  German for a name; both sides of a change are read the same way, so these
  errors mostly cancel out.

:func:`fact_changes` counts, per kind, how many facts changed between two texts:
the larger of "in the old text, not the new" and "in the new, not the old"
(multisets), so that one number replaced by another counts 1.

**Significance** (:func:`assess`), each version after the first, from this rule
table (the highest level any rule gives; the reasons are the rules that
fired):

=======================================================  ==========
rule                                                     level
=======================================================  ==========
the article was removed, or restored after a removal     major
headline rewritten (under half of its words kept)        major
30% or more of the words changed                         major
3 or more paragraphs added or removed                    major
headline edited (half of its words or more kept)         moderate
a new correction notice                                  moderate
numbers, quotes or names changed                         moderate
1 or 2 paragraphs added or removed                       moderate
10% or more of the words changed                         moderate
anything else (a few words, or only the extraction)      minor
=======================================================  ==========

"Words changed" are the words added plus the words removed
(:class:`~gitnews.versions.diff.DiffStats`, headline and body) over the old
text's words plus the new text's words.  The trailer value is
``<level> (<reason>; <reason>)`` (:func:`Significance.value`, read back by
:func:`parse_significance`).

:func:`passes` is the filter of ``gitnews feed``, the hooks and (wired by the
lead) ``gitnews changes`` and the site.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from gitnews.format.normalise import parse_text
from gitnews.format.trailers import CHANGE_KINDS, SIGNIFICANCE, SIGNIFICANCE_LEVELS
from gitnews.format.version import Version
from gitnews.versions.corrections import Notices, correction_value, paragraph_notices
from gitnews.versions.diff import DiffStats, paragraph_stats

__all__ = ["LEVELS", "MINOR", "MODERATE", "MAJOR", "NEW_KIND", "Facts", "FactChanges",
           "Significance", "facts", "fact_changes", "unannounced_value", "assess",
           "parse_significance", "level_of", "passes", "check_level", "check_kinds",
           "HEADLINE_REWRITTEN_BELOW", "MAJOR_WORDS_SHARE", "MODERATE_WORDS_SHARE",
           "MAJOR_PARAGRAPHS", "Signals", "version_signals"]

#: The levels, lowest first.
LEVELS = SIGNIFICANCE_LEVELS
MINOR, MODERATE, MAJOR = LEVELS
#: The kind a filter uses for a first version (which has no ``Change-Kind``).
NEW_KIND = "new"

#: A headline keeping less than this share of its words is rewritten (else edited).
HEADLINE_REWRITTEN_BELOW = 0.5
#: Shares of changed words that make a change major / moderate.
MAJOR_WORDS_SHARE = 0.30
MODERATE_WORDS_SHARE = 0.10
#: Paragraphs added plus removed that make a change major (1 or more: moderate).
MAJOR_PARAGRAPHS = 3

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_QUOTE = re.compile(r"“([^”“]+)”|\"([^\"]+)\"|„([^“”„]+)[“”]|«\s*([^»«]+?)\s*»")
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
_SENTENCE_END = re.compile(r"[.!?:;]['’\"”»)]*$")
#: The white space after a token that ends a sentence (:data:`_SENTENCE_END`): where a
#: paragraph is cut into the pieces that :func:`_segments` gives.
_SENTENCE_BREAK = re.compile(r"[.!?:;]['’\"”»)]*\s+")
#: Capitalised words that are no names (English month and weekday names: dates).
_NOT_NAMES = frozenset("""january february march april may june july august september october
    november december monday tuesday wednesday thursday friday saturday sunday""".split())
_POSSESSIVE = re.compile(r"['’]s$")
_NAME_JOINERS = frozenset({"of", "de", "del", "von", "van", "der", "la", "le", "du", "da"})
_OPENERS = "\"“„«‘'(["
_CLOSERS = "\"”»’')]"
_EDGES = _OPENERS + _CLOSERS + ",;:.!?"  # stripped from a token to find its word


@dataclass(frozen=True)
class Facts:
    """The facts of one text: each kind a multiset (value -> how often)."""

    numbers: Counter[str] = field(default_factory=Counter)
    quotes: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class FactChanges:
    """How many facts of each kind changed between two texts."""

    numbers: int = 0
    quotes: int = 0
    names: int = 0

    def __bool__(self) -> bool:
        return bool(self.numbers or self.quotes or self.names)

    def parts(self) -> list[str]:
        """``["2 numbers", "1 quote"]``: the kinds that changed, in this order."""
        out = []
        for n, one in ((self.numbers, "number"), (self.quotes, "quote"), (self.names, "name")):
            if n:
                out.append(f"{n} {one}{'' if n == 1 else 's'}")
        return out


def _names(paragraph: str) -> list[str]:
    """The names of one paragraph (the module docstring's rule)."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        while run and run[-1].lower() in _NAME_JOINERS:
            run.pop()
        if run:
            out.append(" ".join(run))
        run.clear()

    sentence_start = True
    for token in paragraph.split():
        bare = token.strip(_EDGES)
        at_start = sentence_start or token[:1] in _OPENERS
        if bare[:1].isupper() and _WORD.fullmatch(bare) and not at_start \
                and bare.lower() not in _NOT_NAMES:
            run.append(_POSSESSIVE.sub("", bare))
        elif run and bare.lower() in _NAME_JOINERS and token == bare:
            run.append(bare)
        elif run:  # (flush() of an empty run does nothing)
            flush()
        if run and not token.endswith(bare):  # punctuation after the word ends a name
            flush()
        sentence_start = bool(_SENTENCE_END.search(token))
    flush()
    return out


def facts(text: str) -> Facts:
    """The numbers, quotes and names of an archive text (the module docstring's rules)."""
    headline, body = parse_text(text)
    return _facts_of((headline, *body))


def _facts_of(paragraphs: Iterable[str]) -> Facts:
    """The facts of these paragraphs (each read on its own, so facts add up over them)."""
    paragraphs = list(paragraphs)
    numbers, names = _numbers_and_names(paragraphs)
    return Facts(numbers, _quotes_of(paragraphs), names)


def _changed(old: Counter[str], new: Counter[str]) -> int:
    return max(sum((old - new).values()), sum((new - old).values()))


def fact_changes(old_text: str, new_text: str) -> FactChanges:
    """How many numbers, quotes and names changed from ``old_text`` to ``new_text``.

    Facts are counted per paragraph (the headline is one), so the paragraphs both texts
    hold add the same counts to both sides and cancel in the difference: only the
    others are read (the result is that of :func:`facts` of the whole texts).  Numbers
    and names are also counted per sentence (:func:`_segments`), so that in a
    paragraph with one sentence edited only that sentence is read for them.
    """
    old_head, old_body = parse_text(old_text)
    new_head, new_body = parse_text(new_text)
    return _fact_changes((old_head, *old_body), (new_head, *new_body))


def _segments(paragraph: str) -> list[str]:
    """``paragraph`` cut after each token that ends a sentence (:data:`_SENTENCE_BREAK`).

    Numbers never hold white space, and :func:`_names` starts each sentence afresh
    (after such a token its run of capitalised words is ended and the next word
    begins a sentence), so the numbers and names of a paragraph are those of its
    pieces, in order."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_BREAK.finditer(paragraph):
        out.append(paragraph[start:m.end()])
        start = m.end()
    if start < len(paragraph):
        out.append(paragraph[start:])
    return out


def _fact_changes(old_paragraphs: Iterable[str], new_paragraphs: Iterable[str]) -> FactChanges:
    """:func:`fact_changes` of two texts' paragraphs (the headline one of them)."""
    old_only, new_only = _cancel(old_paragraphs, new_paragraphs)
    if not old_only and not new_only:
        return FactChanges()
    old_pieces, new_pieces = _cancel([piece for p in old_only for piece in _segments(p)],
                                     [piece for p in new_only for piece in _segments(p)])
    a_numbers, a_names = _numbers_and_names(old_pieces)
    b_numbers, b_names = _numbers_and_names(new_pieces)
    return FactChanges(numbers=_changed(a_numbers, b_numbers),
                       quotes=_changed(_quotes_of(old_only), _quotes_of(new_only)),
                       names=_changed(a_names, b_names))


def _cancel(old: Iterable[str], new: Iterable[str]) -> tuple[list[str], list[str]]:
    """The multiset differences ``old - new`` and ``new - old`` (what each holds that the
    other does not, counting repeats), in no particular order."""
    counts: dict[str, int] = {}
    for x in new:
        counts[x] = counts.get(x, 0) + 1
    old_only = []
    for x in old:
        n = counts.get(x, 0)
        if n:
            counts[x] = n - 1
        else:
            old_only.append(x)
    return old_only, [x for x, n in counts.items() for _ in range(n)]


def _numbers_and_names(pieces: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    numbers: Counter[str] = Counter()
    names: Counter[str] = Counter()
    for piece in pieces:
        numbers.update(_NUMBER.findall(piece))
        names.update(_names(piece))
    return numbers, names


def _quotes_of(paragraphs: Iterable[str]) -> Counter[str]:
    quotes: Counter[str] = Counter()
    for paragraph in paragraphs:
        for m in _QUOTE.finditer(paragraph):
            quote = " ".join(next(g for g in m.groups() if g is not None).split())
            if len(quote.split()) >= 2:
                quotes[quote] += 1
    return quotes


def unannounced_value(changes: FactChanges, *, announced: bool) -> str | None:
    """The ``Unannounced`` trailer value: ``"2 numbers, 1 quote"`` when facts changed
    and the version brings no correction notice (``announced``); else None."""
    if announced or not changes:
        return None
    return ", ".join(changes.parts())


@dataclass(frozen=True)
class Significance:
    """A version's level (one of :data:`LEVELS`) and the reasons for it."""

    level: str
    reasons: tuple[str, ...] = ()

    def value(self) -> str:
        """The trailer value: ``"major (headline rewritten; 3 paragraphs removed)"``."""
        return f"{self.level} ({'; '.join(self.reasons)})" if self.reasons else self.level


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _headline_kept(old: str, new: str) -> float:
    """The share of the old headline's words (case-folded) that the new one keeps."""
    a = Counter(w.lower() for w in _WORD.findall(old))
    b = Counter(w.lower() for w in _WORD.findall(new))
    total = sum(a.values())
    return sum((a & b).values()) / total if total else 0.0


def assess(old_text: str, new_text: str, *, correction: bool = False,
           changes: FactChanges | None = None, removed: bool = False, restored: bool = False,
           stats: DiffStats | None = None) -> Significance:
    """The significance of the change from ``old_text`` to ``new_text`` (archive texts),
    by the module docstring's rule table.

    ``correction``: the version brings a new correction notice; ``changes``: its
    fact changes (computed when None); ``removed``/``restored``: the version
    removed the article's file or restored it; ``stats``: the texts'
    :func:`~gitnews.versions.diff.diff_texts` statistics when the caller has them.
    """
    if removed:
        return Significance(MAJOR, ("article removed",))
    if restored:
        return Significance(MAJOR, ("article restored",))
    old_head, old_body = parse_text(old_text)
    new_head, new_body = parse_text(new_text)
    return _assess(old_head, old_body, new_head, new_body, differ=old_text != new_text,
                   correction=correction, changes=changes, stats=stats)


@lru_cache(maxsize=8192)
def _words_in(paragraph: str) -> int:
    """The words (:data:`_WORD`) of one paragraph; remembered, because the paragraphs
    of an article recur from version to version."""
    return len(_WORD.findall(paragraph))


def _assess(old_head: str, old_body: Sequence[str], new_head: str, new_body: Sequence[str], *,
            differ: bool, correction: bool = False, changes: FactChanges | None = None,
            stats: DiffStats | None = None) -> Significance:
    """:func:`assess` of two texts already split by
    :func:`~gitnews.format.normalise.parse_text` (neither removed nor restored);
    ``differ``: whether the texts differ at all."""
    stats = stats or paragraph_stats(old_head, old_body, new_head, new_body)
    if changes is None:
        changes = _fact_changes((old_head, *old_body), (new_head, *new_body))
    major: list[str] = []
    moderate: list[str] = []
    if old_head != new_head:
        if _headline_kept(old_head, new_head) < HEADLINE_REWRITTEN_BELOW:
            major.append("headline rewritten")
        else:
            moderate.append("headline edited")
    changed = stats.words_added + stats.words_removed
    # A text's words are its paragraphs' words (no word holds white space, and the
    # paragraphs are the text's blocks between blank lines).
    total = (_words_in(old_head) + sum(map(_words_in, old_body))
             + _words_in(new_head) + sum(map(_words_in, new_body)))
    share = changed / total if total else 0.0
    words = f"{round(100 * share)}% of the words changed"
    if share >= MAJOR_WORDS_SHARE:
        major.append(words)
    elif share >= MODERATE_WORDS_SHARE:
        moderate.append(words)
    paragraphs = []
    if stats.paragraphs_added:
        paragraphs.append(f"{_plural(stats.paragraphs_added, 'paragraph')} added")
    if stats.paragraphs_removed:
        paragraphs.append(f"{_plural(stats.paragraphs_removed, 'paragraph')} removed")
    (major if stats.paragraphs_added + stats.paragraphs_removed >= MAJOR_PARAGRAPHS
     else moderate).extend(paragraphs)
    if correction:
        moderate.append("correction notice")
    if changes:
        moderate.append(" ".join([", ".join(changes.parts()), "changed"]))
    if major:
        return Significance(MAJOR, tuple(major + moderate))
    if moderate:
        return Significance(MODERATE, tuple(moderate))
    if changed:
        n = max(stats.words_added, stats.words_removed)
        return Significance(MINOR, (f"{_plural(n, 'word')} changed",))
    return Significance(MINOR, ("extraction only",) if differ else ())


_VALUE = re.compile(r"^\s*(minor|moderate|major)\s*(?:\((.*)\))?\s*$")


def parse_significance(value: str | None) -> Significance | None:
    """The inverse of :meth:`Significance.value`; None for a missing or unknown value."""
    m = _VALUE.match(value or "")
    if not m:
        return None
    reasons = tuple(r.strip() for r in (m.group(2) or "").split(";") if r.strip())
    return Significance(m.group(1), reasons)


def level_of(version: Version) -> str | None:
    """The level of a version's ``Significance`` trailer, None when it has none
    (a first version, or one recorded before gitnews wrote the trailer)."""
    parsed = parse_significance(version.trailers.get(SIGNIFICANCE))
    return parsed.level if parsed else None


def at_least(value: str | None, level: str) -> bool:
    """Whether a ``Significance`` trailer value (``major (headline rewritten)``) is
    ``level`` (one of :data:`LEVELS`) or higher; False for a missing or unknown value."""
    parsed = parse_significance(value)
    return parsed is not None and LEVELS.index(parsed.level) >= LEVELS.index(level)


def check_level(level: str | None) -> str | None:
    """``level`` lower-cased when it is one of :data:`LEVELS` (or None).

    Raises ValueError naming the levels otherwise (the CLI and the config turn it
    into a usage or configuration error)."""
    if level is None:
        return None
    low = level.strip().lower()
    if low not in LEVELS:
        raise ValueError(f"unknown significance {level!r}; use one of {', '.join(LEVELS)}")
    return low


def check_kinds(kinds: Iterable[str] | None) -> frozenset[str] | None:
    """The set of ``kinds`` (``Change-Kind`` values, or ``new`` for a first version);
    None for None or an empty list.  Raises ValueError naming the kinds for an
    unknown one."""
    if kinds is None:
        return None
    out = frozenset(k.strip().lower() for k in kinds if k.strip())
    known = (*CHANGE_KINDS, NEW_KIND)
    unknown = sorted(out - set(known))
    if unknown:
        raise ValueError(f"unknown change kind {unknown[0]!r}; use one of {', '.join(known)}")
    return out or None


def passes(version: Version, *, min_significance: str | None = None,
           kinds: Collection[str] | None = None) -> bool:
    """Whether ``version`` passes a filter (``gitnews feed``, the hooks, the site).

    ``min_significance``: one of :data:`LEVELS`; a version passes when its
    ``Significance`` is that level or higher.  A first version (it has no
    ``Significance``) passes only when ``kinds`` asks for ``new``; a later version
    without the trailer (recorded before gitnews wrote it) never passes.
    ``kinds``: ``Change-Kind`` values (and ``new``); a version passes when it has
    one of them.  None (or empty) means no filter.  Both given: both must hold.
    Raises ValueError for an unknown level.
    """
    level = check_level(min_significance)
    wanted = set(kinds or ())
    first = version.number == 1 and not version.removed
    if wanted:
        have = {NEW_KIND} if first else set(version.change_kinds)
        if not have & wanted:
            return False
    if level is not None and not (first and NEW_KIND in wanted):
        mine = level_of(version)
        if mine is None or LEVELS.index(mine) < LEVELS.index(level):
            return False
    return True


@dataclass(frozen=True)
class Signals:
    """What a version commit says about its change, besides ``Change-Kind``: the
    ``Correction``, ``Unannounced`` and ``Significance`` trailer values (None: left
    out) and whether ``Change-Kind`` gets ``correction``."""

    correction: str | None = None
    unannounced: str | None = None
    significance: str | None = None
    corrected: bool = False


def version_signals(old_text: str, text: str, *, first: bool, extraction_only: bool = False,
                    restored: bool = False, page: Sequence[str] = (),
                    seen: Collection[str] = (), notices: Notices | None = None) -> Signals:
    """The signals of a version ``text`` after the previous version's ``old_text``.

    ``first``: a first version: its ``Correction`` holds the notices the page
    already carries (so that a later version does not take them for new), and it
    has no ``Significance`` or ``Unannounced``.  ``extraction_only``: the same page
    with another extraction (``Change-Kind: extraction``): ``minor (extraction
    only)``, nothing else.  ``page``: the page's schema.org notices
    (:func:`~gitnews.versions.corrections.page_notices`); ``seen``: the notices of
    earlier versions' ``Correction`` trailers; ``notices``: the phrases (the
    defaults plus the site's).
    """
    if extraction_only:
        return Signals(significance=Significance(MINOR, ("extraction only",)).value())
    # Each text is split once; the notices, facts and statistics read only what differs.
    new_head, new_body = parse_text(text)
    if first:
        fresh = paragraph_notices((), "", new_body, page, seen=seen, notices=notices)
        return Signals(correction=correction_value(fresh))
    old_head, old_body = parse_text(old_text)
    fresh = paragraph_notices(old_body, old_text, new_body, page, seen=seen, notices=notices)
    correction = correction_value(fresh)
    changes = _fact_changes((old_head, *old_body), (new_head, *new_body))
    level = (assess(old_text, text, restored=True) if restored else
             _assess(old_head, old_body, new_head, new_body, differ=old_text != text,
                     correction=bool(fresh), changes=changes))
    return Signals(correction=correction,
                   unannounced=unannounced_value(changes, announced=bool(fresh)),
                   significance=level.value(), corrected=bool(fresh))
