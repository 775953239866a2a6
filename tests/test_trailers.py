"""Trailer formatting and parsing, checked against git's own parser."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.format.trailers import MAX_SUBJECT_CHARS, format_message, format_subject, parse_trailers

nasty = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120) | \
    st.sampled_from(["---", "--- a", "Key: value", "Foo: bar\nBaz: qux", "\n\n---\nX: y",
                     "#comment", "Signed-off-by: me", " leading", "a\r\nb", "\x00\x1b[31m",
                     "x" * 5000, "Version: 99"])


def git_parse(message: str) -> list[tuple[str, str]]:
    out = subprocess.run(["git", "interpret-trailers", "--parse"], input=message.encode(),
                         capture_output=True, check=True).stdout.decode()
    return [tuple(line.split(": ", 1)) for line in out.splitlines()]


def test_example_message():
    msg = format_message(format_subject("New", "Headline: with colon"),
                         [("Article-Url", "https://x.org/a"), ("Version", 1), ("Byline", None)])
    assert msg == "New: Headline: with colon\n\nArticle-Url: https://x.org/a\nVersion: 1\n"
    assert parse_trailers(msg) == [("Article-Url", "https://x.org/a"), ("Version", "1")]


@settings(max_examples=60, deadline=None)
@given(headline=nasty, byline=nasty, url=nasty)
def test_no_text_breaks_the_trailers(headline, byline, url):
    subject = format_subject("Changed", headline)
    assert len(subject) <= MAX_SUBJECT_CHARS and "\n" not in subject
    pairs = [("Article-Url", "https://x.org/" + url), ("Version", 2),
             ("Fetched-At", "2016-09-29T17:14:00Z"), ("Byline", byline)]
    msg = format_message(subject, pairs)
    ours = parse_trailers(msg)
    keys = [k for k, _ in ours]
    expected_keys = ["Article-Url", "Version", "Fetched-At"] + (["Byline"] if keys[-1:] == ["Byline"] else [])
    assert keys == expected_keys
    assert git_parse(msg) == ours
