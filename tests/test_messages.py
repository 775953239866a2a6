"""gitnews.format.messages: version and removal commit messages, read back by parse_trailers and git."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.format.messages import removal_message, version_message, version_trailers
from gitnews.format.trailers import (
    CAPTURED_AT,
    KIND_BODY,
    KIND_HEADLINE,
    MAX_SUBJECT_CHARS,
    SOURCE_ARCHIVE,
    SUBJECT_CHANGED,
    SUBJECT_NEW,
    SUBJECT_RESTORED,
    SUBJECT_REVERTED,
    TRAILER_KEYS,
    clean_value,
    parse_trailers,
)

nasty = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120) | \
    st.sampled_from(["---", "--- a", "Key: value", "Foo: bar\nBaz: qux", "\n\n---\nX: y",
                     "#comment", "Signed-off-by: me", " leading", "a\r\nb", "\x00\x1b[31m",
                     "x" * 5000, "Version: 99", ""])
maybe = st.none() | nasty
WHEN = datetime(2016, 9, 29, 17, 14, tzinfo=UTC)


def expected(trailers):
    """What a reader gets back: the cleaned values, None and empty ones left out."""
    out = []
    for key, value in trailers:
        text = clean_value(value) if value is not None else ""
        if text:
            out.append((key, text))
    return out


def git_parse(message: str) -> list[tuple[str, str]]:
    out = subprocess.run(["git", "interpret-trailers", "--parse"], input=message.encode(),
                         capture_output=True, check=True).stdout.decode()
    return [tuple(line.split(": ", 1)) for line in out.splitlines()]


def test_version_message_bytes():
    trailers = version_trailers(
        url="https://x.org/a", version=2, fetched_at=WHEN, headline="Headline",
        requested="https://x.org/a?utm_source=rss", status=200, extractor="trafilatura 2.0",
        feed="https://x.org/feed", published_at="2016-09-29", byline="By Someone",
        social_title="Headline", seo_title="Headline | X", page_sha="ab" * 32,
        kinds=[KIND_HEADLINE, KIND_BODY])
    assert version_message(SUBJECT_CHANGED, "Headline", trailers) == (
        "Changed: Headline\n\n"
        "Article-Url: https://x.org/a\nVersion: 2\nFetched-At: 2016-09-29T17:14:00Z\n"
        "Http-Status: 200\nExtractor: trafilatura 2.0\n"
        "Feed: https://x.org/feed\nPublished-At: 2016-09-29\nByline: By Someone\n"
        "Seo-Title: Headline | X\n"
        f"Page-Sha256: {'ab' * 32}\nChange-Kind: headline, body\n")


def test_removal_message_bytes():
    message = removal_message(headline="", url="https://x.org/a", version=3, fetched_at=WHEN,
                              status=404, requested="https://x.org/b", kinds="removed",
                              detail="HTTP 404")
    assert message == (
        "Removed: https://x.org/a\n\nThe article is gone: HTTP 404.\n\n"
        "Article-Url: https://x.org/a\nVersion: 3\nFetched-At: 2016-09-29T17:14:00Z\n"
        "Http-Status: 404\nFetched-Url: https://x.org/b\nChange-Kind: removed\n")


def test_long_headline_is_kept_whole():
    headline = "A very long headline " * 8
    message = version_message(SUBJECT_NEW, headline, [("Article-Url", "https://x.org/a")])
    subject, full, rest = message.split("\n\n")
    assert len(subject) <= MAX_SUBJECT_CHARS and subject.endswith("…")
    assert full == clean_value(f"New: {headline}", max_chars=10_000)
    assert rest == "Article-Url: https://x.org/a\n"


@settings(max_examples=80, deadline=None)
@given(prefix=st.sampled_from([SUBJECT_NEW, SUBJECT_CHANGED, SUBJECT_RESTORED, SUBJECT_REVERTED]),
       headline=nasty, url=nasty, requested=maybe, byline=maybe, feed=maybe,
       social=maybe, seo=maybe, captured=maybe, status=st.none() | st.integers(100, 599),
       kinds=st.lists(st.sampled_from([KIND_HEADLINE, KIND_BODY]), unique=True),
       reverts_to=st.none() | st.integers(1, 10_000), summary=st.none() | nasty)
def test_built_message_gives_back_its_trailers(prefix, headline, url, requested, byline, feed,
                                               social, seo, captured, status, kinds, reverts_to,
                                               summary):
    trailers = version_trailers(
        url="https://x.org/" + url, version=7, fetched_at=WHEN, headline=headline,
        requested=requested, status=status, extractor="trafilatura 2.0", feed=feed,
        published_at=None, byline=byline, social_title=social, seo_title=seo,
        extra=[(CAPTURED_AT, captured), (SOURCE_ARCHIVE, "https://web.archive.org")],
        page_sha="ab" * 32, kinds=kinds, reverts_to=reverts_to)
    assert [k for k, _ in trailers] == list(TRAILER_KEYS)
    # Summaries are gitnews's own sentences (they never start a line with "---").
    message = version_message(prefix, headline, trailers,
                              summary=None if summary is None else f"Confirmed: {summary}")
    assert message.split("\n", 1)[0].startswith(f"{prefix}:")
    assert parse_trailers(message) == expected(trailers)
    assert git_parse(message) == expected(trailers)


@settings(max_examples=40, deadline=None)
@given(headline=nasty, url=nasty, requested=nasty, detail=nasty,
       status=st.none() | st.integers(100, 599))
def test_removal_message_gives_back_its_trailers(headline, url, requested, detail, status):
    from gitnews.format.messages import removal_trailers

    args = dict(url="https://x.org/" + url, version=2, fetched_at=WHEN, status=status,
                requested="https://x.org/" + requested, kinds="removed, outside-edit")
    message = removal_message(headline=headline, detail=detail, **args)
    assert parse_trailers(message) == expected(removal_trailers(**args))
