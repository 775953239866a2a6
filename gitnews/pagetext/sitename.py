"""Titles and site names compared as words (pure; no I/O): the site's name taken off a
title, the headline told apart from a title that only decorates it.

The rules (separators, the site-name match, the similarity of two titles) are
those of :mod:`gitnews.pagetext.headline`, whose docstring gives them whole;
:mod:`gitnews.pagetext.titlesources` reads the titles and site names from the page.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["clean_line", "similarity", "same_words", "words", "is_site_name", "is_decorated",
           "strip_site_name"]

# Han, kana, Hangul: scripts without spaces between words; each character is a word.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_ALNUM = re.compile(r"[\W_]+")
# A separator between a title and the site's name.  Group 1: one that may end a
# title only (a colon); group 2: the others.
_SEP = re.compile(r"(\s*：\s*|(?<!:):\s+)|(\s*::\s*|\s+[|\-–—·•»]\s+|\s*｜\s*|\s*\|\s*)")
_SEP_CHARS = " \t|-–—·•»｜：:"


def clean_line(text: object) -> str:
    """``text`` as one line: entities left in it unescaped, white space
    collapsed, NFC; ``""`` for anything that is not a string."""
    if not isinstance(text, str):
        return ""
    if "&" in text:
        text = html.unescape(text)
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text) if not text.isascii() else text


def words(text: str) -> list[str]:
    """The words of ``text`` as compared: casefolded, NFKC; each Han, kana or Hangul
    character a word of its own."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the word sets of ``a`` and ``b``: 0.0 (no word in
    common, or one has no words) to 1.0 (the same words).  Symmetric."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def same_words(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same words in the same order (case,
    punctuation, quotes and white space aside)."""
    return words(a) == words(b)


def _key(text: str) -> str:
    """Letters and digits only, casefolded, without accents ("Aktuálně.cz" -> "aktualnecz")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return _ALNUM.sub("", "".join(c for c in text if not unicodedata.combining(c)))


def is_site_name(segment: str, site_names: Iterable[str]) -> bool:
    """Whether the title segment ``segment`` is one of ``site_names`` (the
    matching rule of the module docstring)."""
    s = _key(segment)
    if not s:
        return False
    for name in site_names:
        k = _key(name)
        if len(k) < 2:
            continue
        if s == k or (len(k) >= 3 and k in s and len(s) - len(k) <= 4) \
                or (len(s) >= 4 and s in k and 2 * len(s) >= len(k)):
            return True
    return False


def _segments(title: str) -> tuple[list[str], list[str], list[bool]]:
    """``title`` split at its separators: (texts, separators between them, whether
    each separator is a colon)."""
    parts: list[str] = []
    colon: list[bool] = []
    pos = 0
    for m in _SEP.finditer(title):
        if m.start() == 0 or m.end() == len(title):
            continue
        parts.append(title[pos:m.start()])
        parts.append(m.group(0))
        colon.append(m.group(1) is not None)
        pos = m.end()
    parts.append(title[pos:])
    return parts[0::2], parts[1::2], colon


def is_decorated(title: str, headline: str) -> bool:
    """Whether ``title`` is ``headline`` (:func:`same_words`), or some of its
    separated segments in a row are ("Gaps remain ... | Society | The Guardian"
    for "Gaps remain ..."): the headline with labels such as section and site
    names, not a title of its own."""
    if same_words(title, headline):
        return True
    texts, seps, _ = _segments(title.strip())
    for i in range(len(texts)):
        run = texts[i]
        for j in range(i + 1, len(texts) + 1):
            if j > i + 1:
                run += seps[j - 2] + texts[j - 1]
            if same_words(run, headline):
                return True
    return False


def strip_site_name(title: str, site_names: Iterable[str]) -> str:
    """``title`` without the site's name at its start or end (repeatedly).

    Segments are split at the separators of the module docstring; a colon only
    separates a last segment.  The title's own text is never removed in full:
    the result is ``title`` itself (stripped of outer white space) when every
    segment is a site name.
    """
    names = [n for n in site_names if n]
    title = title.strip()
    if not names or not title:
        return title
    texts, seps, colon = _segments(title)
    lo, hi = 0, len(texts)  # the kept segments: texts[lo:hi]
    changed = True
    while changed and hi - lo > 1:
        changed = False
        if is_site_name(texts[hi - 1], names):
            hi -= 1
            changed = True
        elif not colon[lo] and is_site_name(texts[lo], names):
            lo += 1
            changed = True
    if (lo, hi) == (0, len(texts)):
        return title
    out = texts[lo]
    for i in range(lo + 1, hi):
        out += seps[i - 1] + texts[i]
    return out.strip(_SEP_CHARS) or title
