"""Hostile and broken feeds: malformed XML, entity-expansion bombs, external
entities, huge feeds, entries without links, duplicates, other schemes, broken
JSON Feeds.  :func:`parse_feed` returns entries or raises FeedError; nothing
else, and nothing from outside the feed gets in."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitnews.errors import FeedError
from gitnews.sources.feeds import MAX_ENTRIES, parse_feed

URL = "http://feeds.example.com/news.xml"


def rss(items: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<rss version="2.0"><channel>'
            f"<title>T</title><link>http://example.com/</link>{items}</channel></rss>").encode()


def item(link: str, title: str = "A story", guid: str | None = None) -> str:
    g = f"<guid>{guid}</guid>" if guid else ""
    return f"<item><title>{title}</title><link>{link}</link>{g}</item>"


def parse(body: bytes):
    """Entries, or the FeedError's message."""
    try:
        entries = parse_feed(body, url=URL)
    except FeedError as exc:
        assert str(exc)
        return str(exc)
    for e in entries:
        assert e.link.startswith(("http://", "https://")), e.link
        assert e.title is None or len(e.title) < 100_000
    return entries


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOPSECRET-7f3a")
    return path


def _no_secret(result, secret_text: str = "TOPSECRET-7f3a") -> None:
    assert secret_text not in repr(result)


MALFORMED = [
    b"", b"   ", b"\x00\x01\x02", bytes(range(256)) * 40, b"<html><body><p>not a feed</p></body></html>",
    b'<?xml version="1.0"?>', b"<rss", b"<rss><channel><item><link>http://example.com/a",
    rss(item("http://example.com/a"))[:-20], rss(item("http://example.com/a")).replace(b"</item>", b""),
    b"\xff\xfe<\x00r\x00s\x00s\x00", rss(item("http://example.com/\xe9".encode("latin-1").decode("latin-1"))),
    rss(item("http://example.com/a")).replace(b"UTF-8", b"x-unknown-charset"),
    rss(item("http://example.com/a")).replace(b"UTF-8", b"utf-16"),
    rss(item("http://example.com/a", title="\x00\x01\x1b[31mred")),
    b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><link href='http://example.com/a'/></entry>",
    b"{", b'{"version": "https://jsonfeed.org/version/1"}', b'{"items": 5, "version": "jsonfeed.org"}',
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + b"[" * 50_000 + b"]" * 50_000 + b"]}",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000,
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": 5}, {"url": {"a": 1}}, '
    b'{"id": [1]}, {"url": null}, {"url": "javascript:alert(1)"}, {"date_published": 7}]}',
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": "http://example.com/a", '
    b'"date_published": "9999-99-99"}, {"url": "http://example.com/b", "title": ["x"]}]}',
    b"\xef\xbb\xbf" + b'{"version": "https://jsonfeed.org/version/1", "items": [1e999999]}',
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_feeds_give_entries_or_a_clear_error(body):
    parse(body)


def _lol(levels: int, *, multiline: bool) -> bytes:
    sep = "\n" if multiline else ""
    decls = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10}">'
        for i in range(1, levels + 1)]
    prolog = f"<!DOCTYPE rss [{sep}{sep.join(decls)}{sep}]>"
    return rss(item("http://example.com/a", title=f"&lol{levels};"), prolog)


@pytest.mark.parametrize("multiline", [False, True])
@pytest.mark.parametrize("levels", [3, 9, 30])
def test_entity_expansion_bombs_are_not_expanded(levels, multiline):
    result = parse(_lol(levels, multiline=multiline))
    if not isinstance(result, str):
        assert [e.link for e in result] == ["http://example.com/a"]
        assert all("lollol" not in (e.title or "") for e in result)


def test_quadratic_blowup_is_not_expanded():
    prolog = '<!DOCTYPE rss [<!ENTITY a "' + "x" * 50_000 + '">]>'
    result = parse(rss(item("http://example.com/a", title="&a;" * 5_000), prolog))
    assert isinstance(result, str) or all(len(e.title or "") < 100_000 for e in result)


def test_entity_declarations_after_a_fake_root_are_harmless():
    prolog = '<!DOCTYPE rss [<!ENTITY a "<rss >"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    result = parse(rss(item("http://example.com/a", title="&b;"), prolog))
    assert isinstance(result, str) or all("<rss" not in (e.title or "") for e in result)


def test_entities_in_something_that_is_no_feed_are_refused():
    body = b'<!DOCTYPE x [<!ENTITY a "b">]><html>&a;</html>'
    assert "declares XML entities" in parse(body)


@pytest.mark.parametrize("kind", ["general", "parameter", "dtd", "link", "xinclude"])
def test_external_entities_are_never_read(secret, kind):
    uri = secret.as_uri()
    prolog, title, link = "", "A story", "http://example.com/a"
    if kind == "general":
        prolog, title = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>', "&xxe;"
    elif kind == "parameter":
        prolog = f'<!DOCTYPE rss [<!ENTITY % xxe SYSTEM "{uri}"> %xxe;]>'
    elif kind == "dtd":
        prolog = f'<!DOCTYPE rss SYSTEM "{uri}">'
    elif kind == "link":
        prolog, link = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>', "http://example.com/&xxe;"
    else:
        title = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{uri}" parse="text"/>'
    _no_secret(parse(rss(item(link, title=title), prolog)))


def test_huge_feed_is_read_up_to_the_cap():
    body = rss("".join(item(f"http://example.com/{i}") for i in range(MAX_ENTRIES + 500)))
    entries = parse(body)
    assert len(entries) == MAX_ENTRIES and entries.truncated == 500
    assert f"500 more beyond the first {MAX_ENTRIES} ignored" in entries.describe()


def test_entries_without_links_duplicates_and_other_schemes_are_skipped():
    items = "".join([
        item("http://example.com/a"), item("http://example.com/a"),     # duplicate
        "<item><title>no link</title></item>",                              # no link
        item("", guid="http://example.com/from-guid"),                      # link from the guid
        item("javascript:alert(1)"), item("file:///etc/passwd"), item("data:text/html,x"),
        item("ftp://example.com/x"), item("/relative/b"), item("http://[::1"),
    ])
    entries = parse(rss(items))
    assert [e.link for e in entries] == ["http://example.com/a", "http://example.com/from-guid",
                                         "http://feeds.example.com/relative/b"]
    assert entries.skipped == 7
    assert "7 without a usable http(s) link or repeated, skipped" in entries.describe()


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_give_entries_or_a_clear_error(body):
    parse(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=8), _TEXT)
def test_generated_feeds_give_entries_or_a_clear_error(items, prolog):
    parse(rss("".join(item(link, title=title) for title, link in items), prolog))


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | _TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                    max_leaves=20))
def test_generated_json_feeds_give_entries_or_a_clear_error(items):
    parse(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode())
