"""Article -> the archive file's text (pure and idempotent).

The file format (docs/archive-format.md): UTF-8, LF line ends, Unicode NFC,
ending in exactly one newline.  Line 1 is the headline, then one blank line,
then the body: one paragraph per line, paragraphs separated by one blank line,
white space inside a paragraph collapsed to one space, no trailing spaces.

Before comparing and storing, text is normalised so that invisible differences
never make a version: every Unicode space separator (NBSP, thin space, ...) and
tab/line break becomes a space; soft hyphens, zero-width characters, the BOM
and other format/control characters are removed; the result is NFC (Unicode
Standard Annex #15).  Nothing that changes the words is touched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol

__all__ = ["normalise_line", "render_text", "render_article", "parse_text", "NO_HEADLINE",
           "ArticleText"]

#: Line 1 of an article whose page has no headline.
NO_HEADLINE = "(no headline)"

_INVISIBLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E,
     0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
     0xFEFF], None)


def _char_map(c: str) -> str:
    cat = unicodedata.category(c)
    if cat in ("Zs", "Zl", "Zp"):
        return " "
    if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return " " if c in "\t\n\r\x0b\x0c\x85" else ""
    return c


class _CharMap(dict[str, str]):
    """Character -> what it becomes (``""``: removed): the invisible characters
    removed, then :func:`_char_map`.  Filled as characters are met; at most
    ``_CHAR_MAP_MAX`` entries are kept, so that a page of rare characters cannot
    grow it for ever (the others are mapped each time)."""

    def __missing__(self, c: str) -> str:
        value = "" if ord(c) in _INVISIBLE else _char_map(c)
        if len(self) < _CHAR_MAP_MAX:
            self[c] = value
        return value


_CHAR_MAP_MAX = 1 << 16
_CHARS = _CharMap()


def normalise_line(text: str) -> str:
    """Normalise one paragraph or headline to a single clean line.

    Idempotent: ``normalise_line(normalise_line(s)) == normalise_line(s)``.
    """
    # Printable ASCII (no control characters) needs no mapping: the common case.
    if not (text.isascii() and text.isprintable()):
        # Map only the distinct characters that change (most non-ASCII letters and
        # punctuation stay as they are), then compose (NFC).
        table = {ord(c): m for c in set(text) if (m := _CHARS[c]) != c}
        if table:
            text = text.translate(table)
        text = unicodedata.normalize("NFC", text)
    # Now the only white space left is " " (every other kind was mapped to it or
    # removed, and NFC makes none): a line without double, leading or trailing
    # spaces is done (text that is normalised already, such as a stored one).
    if "  " in text or text[:1] == " " or text[-1:] == " ":
        # str.split() splits on the white space of the regex \s (Unicode white space).
        text = " ".join(text.split())
    return text


def render_text(headline: str, paragraphs: Iterable[str],
                *, drop: Sequence[re.Pattern[str]] = ()) -> str:
    """Build the archive file's text from a headline and body paragraphs.

    Empty paragraphs are dropped, and so is every paragraph that one of the
    ``drop`` patterns matches in full (``re.fullmatch``; boilerplate filters).
    Leading paragraphs equal to the headline are dropped (extractors often
    repeat the ``<h1>``).  Returns ``"<headline>\\n\\n<p1>\\n\\n<p2>\\n"``; an empty
    body gives ``"<headline>\\n"``.
    """
    head = normalise_line(headline) or NO_HEADLINE
    body = [p for p in (normalise_line(p) for p in paragraphs) if p]
    if drop:
        body = [p for p in body if not any(rx.fullmatch(p) for rx in drop)]
    while body and body[0] == head:
        body = body[1:]
    return "\n\n".join([head, *body]) + "\n"


class ArticleText(Protocol):
    """What :func:`render_article` reads of an article: an extracted
    :class:`~gitnews.models.Article` is one (the format imports nothing of gitnews)."""

    @property
    def headline(self) -> str: ...

    @property
    def paragraphs(self) -> Sequence[str]: ...


def render_article(article: ArticleText, *, drop: Sequence[re.Pattern[str]] = ()) -> str:
    """:func:`render_text` for an extracted :class:`~gitnews.models.Article`."""
    return render_text(article.headline, article.paragraphs, drop=drop)


def parse_text(text: str) -> tuple[str, list[str]]:
    """Split an archive file's text into ``(headline, paragraphs)``.

    The inverse of :func:`render_text`:
    ``render_text(*parse_text(t)) == t`` for every text it produced.
    """
    blocks = [b for b in text.split("\n\n")]
    head = blocks[0].strip("\n") if blocks else ""
    body = [b.strip("\n") for b in blocks[1:] if b.strip("\n")]
    return head, body


