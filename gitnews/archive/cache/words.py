"""Words as the search index sees them, and the words a version added and removed.

Pure functions, no I/O.  A *word* is what SQLite FTS5's ``unicode61`` tokenizer
makes a token (https://sqlite.org/fts5.html#unicode61_tokenizer): a run of
letters, digits and private-use characters (Unicode categories L*, N*, Co);
everything else separates words.  :func:`fold` brings a word to the form the
index compares (``remove_diacritics 2``: case folded, diacritics removed, so
``Résumé`` and ``resume`` are the same word), so that what Python computes here
and what FTS5 matches agree.

*Added* and *removed* words (:func:`word_changes`) are a multiset difference of
the folded words of two texts: a word is removed as many times as it occurs
fewer times in the new text than in the old, added likewise.  A word that only
moved (another paragraph, another order) is neither; a word that occurs three
times and then twice is removed once.  The removed words are given in the order
they stand in the old text (the last occurrences of each word, those in excess),
the added ones in the new text's order, each run of consecutive changed words
separated from the next by :data:`GAP`, so that a phrase query matches only words
that stood next to each other in the text (in the same paragraph).  Text found
on both sides is set aside before the words are counted (the lines found in both
texts, then the common start and end of the rest, cut between words): it adds the
same words to both sides, so the difference is the same, and an edit touches
little of a text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["GAP", "fold", "words", "word_changes"]

#: A token that separates runs of changed words (U+E000, a private-use character:
#: a word for FTS5's unicode61, which nobody types in a query).
GAP = "\ue000"

# unicode61's token characters: letters, numbers and private use (Co).  Python's \w
# is letters, digits and the underscore (and a few marks); the underscore separates.
_WORD = re.compile(r"[^\W_]+|[\ue000-\uf8ff]+")


def fold(text: str) -> str:
    """``text`` case-folded and without diacritics, as FTS5's ``unicode61
    remove_diacritics 2`` compares words (``"Résumé"`` -> ``"resume"``)."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order (see the module docstring)."""
    return _WORD.findall(fold(text))


def _excess(seq: list[str | None], counts: Counter[str | None], other: Counter[str | None]
            ) -> str:
    """The words of ``seq`` (None: a break between paragraphs; ``counts``: how often
    each occurs in it) that occur more often in it than in ``other`` (the last
    occurrences of each), joined by spaces, runs separated by :data:`GAP`."""
    get = other.get
    need: dict[str | None, int] = {w: n - get(w, 0) for w, n in counts.items()
                                   if n > get(w, 0)}
    need.pop(None, None)
    if not need:
        return ""
    # An edit changes few words: only their positions are walked (from the end, so
    # that the last occurrences of a word are the ones in excess).
    positions = [i for i, w in enumerate(seq) if w in need]
    kept: list[int] = []
    for i in reversed(positions):
        word = seq[i]
        if need[word] > 0:
            need[word] -= 1
            kept.append(i)
    out: list[str] = []
    previous = -2
    for i in reversed(kept):
        if out and i != previous + 1:
            out.append(GAP)
        out.append(seq[i])  # type: ignore[arg-type]
        previous = i
    return " ".join(out)


def word_changes(old: str | None, new: str) -> tuple[str, str]:
    """``(added, removed)``: the words ``new`` has more of than ``old``, and those it
    has fewer of (a multiset difference of :func:`words`), each a space-separated
    string for the index (see the module docstring).  ``old`` None (no text before)
    gives ``("", "")``: a first version changes nothing."""
    if old is None:
        return "", ""
    # Text found on both sides adds the same words to both sides of the difference:
    # whole lines (paragraphs) found in both are set aside, then the common start
    # and end of what is left (cut between words); only the rest is split into words.
    if old == new:
        return "", ""
    old_rest, new_rest = _trimmed(*_changed_texts(old, new))
    old_words = [w if w != "\n" else None for w in _TOKEN.findall(fold(old_rest))]
    new_words = [w if w != "\n" else None for w in _TOKEN.findall(fold(new_rest))]
    old_counts, new_counts = Counter(old_words), Counter(new_words)
    return (_excess(new_words, new_counts, old_counts),
            _excess(old_words, old_counts, new_counts))


# A word, or a line end (a break: a word of one paragraph never runs on into the next).
_TOKEN = re.compile(r"[^\W_]+|\n")


def _changed_texts(old: str, new: str) -> tuple[str, str]:
    """``old`` and ``new`` with the lines found in both left empty (each line as often
    as it occurs in both: its first occurrences)."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    old_set, new_set = set(old_lines), set(new_lines)
    old_set.discard("")
    new_set.discard("")
    if (len(old_set) == len(old_lines) - old_lines.count("")
            and len(new_set) == len(new_lines) - new_lines.count("")):
        # No line but the empty one occurs twice on either side (the usual text; an
        # empty line stays empty either way): the lines in both are those of the
        # sets' intersection, each once; no counting.
        return ("\n".join("" if line in new_set else line for line in old_lines),
                "\n".join("" if line in old_set else line for line in new_lines))
    return _changed_texts_counted(old_lines, new_lines)


def _changed_texts_counted(old_lines: list[str], new_lines: list[str]) -> tuple[str, str]:
    """:func:`_changed_texts` of texts split into lines, with lines counted (any text)."""
    common = Counter(old_lines) & Counter(new_lines)
    return _changed_lines(old_lines, common), _changed_lines(new_lines, common)


def _changed_lines(lines: list[str], common: Counter[str]) -> str:
    """``lines`` joined, each line counted in ``common`` (its first occurrences)
    left empty."""
    left = Counter(common)
    out: list[str] = []
    for line in lines:
        if left[line] > 0:
            left[line] -= 1
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def _trimmed(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` without their common start and end, each cut where a word
    cannot continue (after / before a character that is not a letter or digit)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # the longest common prefix, by halving (string compares run in C)
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    start = lo
    while start > 0 and a[start - 1].isalnum():
        start -= 1
    lo, hi = 0, min(len(a), len(b)) - start
    while lo < hi:  # the longest common suffix of what follows
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    end = lo
    while end > 0 and a[len(a) - end].isalnum():
        end -= 1
    return a[start:len(a) - end], b[start:len(b) - end]
