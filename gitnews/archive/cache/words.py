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
that stood next to each other in the text (in the same paragraph).  Lines found
in both texts are set aside before the words are counted: they add the same words
to both sides, so the difference is the same, and an edit touches few lines.
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
    # Lines (paragraphs) found in both texts add the same words to both sides of the
    # difference: only the others are split into words (an edit touches few of them).
    old_lines, new_lines = old.split("\n"), new.split("\n")
    common = Counter(old_lines) & Counter(new_lines)
    old_words = _changed_words(old_lines, common)
    new_words = _changed_words(new_lines, common)
    old_counts, new_counts = Counter(old_words), Counter(new_words)
    return (_excess(new_words, new_counts, old_counts),
            _excess(old_words, old_counts, new_counts))


def _changed_words(lines: list[str], common: Counter[str]) -> list[str | None]:
    """The words of ``lines`` less the lines counted in ``common`` (their first
    occurrences), with None where a line was left out or a line ends (a word of one
    paragraph never runs on into the next)."""
    left = Counter(common)
    out: list[str | None] = []
    for line in lines:
        if left[line] > 0:
            left[line] -= 1
        elif line:
            out.extend(words(line))
        out.append(None)
    return out
