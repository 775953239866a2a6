"""Text normalisation and the file format (hypothesis properties)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from gitnews.normalise import NO_HEADLINE, normalise_line, parse_text, render_text

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
