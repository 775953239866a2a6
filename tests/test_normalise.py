"""Text normalisation and the file format (hypothesis properties)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from gitnews.format.normalise import NO_HEADLINE, normalise_line, parse_text, render_text

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


def test_invisible_differences_vanish():
    assert normalise_line("a\u00a0b\u2009c") == "a b c"
    assert normalise_line("co\u00adop\u200beration\ufeff") == "cooperation"
    assert normalise_line("  many   spaces\t\nand lines  ") == "many spaces and lines"
    assert normalise_line("Cafe\u0301") == "Café"


def test_render_format():
    assert render_text("Head", ["One", "", "  Two  "]) == "Head\n\nOne\n\nTwo\n"
    assert render_text("", []) == f"{NO_HEADLINE}\n"
    assert render_text("Head", ["Head", "Body"]) == "Head\n\nBody\n"


@given(text)
def test_normalise_line_is_idempotent_and_clean(s):
    once = normalise_line(s)
    assert normalise_line(once) == once
    assert "\n" not in once and once == once.strip() and "  " not in once
    assert unicodedata.normalize("NFC", once) == once


@given(text, st.lists(text, max_size=8))
def test_render_is_idempotent_and_well_formed(headline, paragraphs):
    out = render_text(headline, paragraphs)
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert "\r" not in out and "\n\n\n" not in out
    assert all(line == line.rstrip() for line in out.split("\n"))
    assert unicodedata.normalize("NFC", out) == out
    head, body = parse_text(out)
    assert render_text(head, body) == out


def _reference_normalise_line(text: str) -> str:
    """normalise_line as first written (one character at a time): the fast version must agree."""
    import re

    from gitnews.format.normalise import _INVISIBLE, _char_map

    text = text.translate(_INVISIBLE)
    if not text.isascii() or any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = "".join(_char_map(c) if (ord(c) < 32 or ord(c) >= 127) else c for c in text)
        text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip()


# Mostly ASCII with the characters that take the slow path: controls, DEL, invisible and
# format characters, Unicode spaces, combining marks, and anything else.
tricky = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=32, max_codepoint=126),
    st.sampled_from("\x00\t\n\r\x0b\x0c\x1f\x7f\x85\u00a0\u00ad\u034f\u115f\u1160\u200b\u200d"
                    "\u2028\u2029\u2060\ufeff\u0301\u0327e\u00e9\u2019\u201c\u2014\U0001d400"),
    st.characters(codec="utf-8", exclude_categories=("Cs",))), max_size=60)


@given(st.one_of(text, tricky))
def test_normalise_line_matches_the_character_by_character_definition(s):
    assert normalise_line(s) == _reference_normalise_line(s)
