"""Feed parsing on real feeds (tests/data/feeds, tests/data/scenarios)."""

from __future__ import annotations

import pytest
from conftest import DATA

from gitnews.errors import FeedError
from gitnews.sources.feeds import discover_feeds, looks_like_feed, parse_feed


def read(name: str) -> bytes:
    return (DATA / "feeds" / name).read_bytes()


def test_atom():
    entries = parse_feed(read("heise.atom"), url="http://www.heise.de/developer/rss/news-atom.xml")
    assert len(entries) == 15
    assert all(e.link.startswith("http://www.heise.de/") for e in entries)
    assert entries[0].published_at is not None and entries[0].title


def test_rss_without_declaration_is_still_read():
    entries = parse_feed(read("uolNoticias.rss"), url="https://noticias.uol.com.br/feed.rss")
    assert len(entries) == 15
    assert any("ã" in (e.title or "") or "ç" in (e.title or "") for e in entries)


def test_json_feed():
    body = read("npr_technology_feed.json")
    assert looks_like_feed(body)
    entries = parse_feed(body, url="https://feeds.npr.org/1019/feed.json")
    assert len(entries) == 25
    assert entries[0].link.startswith("https://www.npr.org/")


def test_bbc_feed_links_and_guids():
    body = (DATA / "scenarios" / "bbc-2009" / "rss-step0.xml").read_bytes()
    entries = parse_feed(body, url="http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml")
    assert [e.link for e in entries] == [
        "http://news.bbc.co.uk/go/rss/-/1/hi/uk_politics/7984711.stm",
        "http://news.bbc.co.uk/go/rss/-/1/hi/england/bradford/6072486.stm"]
    assert entries[0].entry_id == "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm"


def test_relative_links_resolve_against_the_feed_and_bad_ones_are_dropped():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>a</title><link>/news/a</link></item>
    <item><title>b</title><link>javascript:alert(1)</link></item>
    <item><title>c</title></item>
    <item><title>a again</title><link>/news/a</link></item>
    <item><title>d</title><pubDate>not a date</pubDate><link>https://x.org/d</link></item>
    <item><title>e</title><pubDate>Tue, 01 Jan 2999 00:00:00 GMT</pubDate><link>https://x.org/e</link></item>
    </channel></rss>"""
    entries = parse_feed(body, url="https://x.org/feeds/main.xml")
    assert [e.link for e in entries] == ["https://x.org/news/a", "https://x.org/d", "https://x.org/e"]
    assert entries[1].published_at is None and entries[2].published_at is None


@pytest.mark.parametrize("body", [b"", b"<html><body>not a feed</body></html>", b"{\"a\": 1}",
                                  b"\x00\x01binary"])
def test_not_a_feed(body):
    with pytest.raises(FeedError):
        parse_feed(body, url="http://x.org/feed")


def test_discovery_on_a_homepage():
    html = b"""<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">
    </head><body></body></html>"""
    assert discover_feeds(html, url="https://news.example.org/") == ["https://news.example.org/rss.xml"]


def test_bozo_feed_with_xml_base_and_bad_dates_is_still_read():
    # An undefined entity makes the feed "bozo"; its entries are still usable.
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://news.example.org/world/">
<title>t &nbsp; broken</title>
<entry><title>a</title><link href="story-1"/><id>tag:1</id><updated>2999-01-01T00:00:00Z</updated></entry>
<entry xml:base="/politics/"><title>b</title><link href="story-2"/><id>tag:2</id><updated>not a date</updated></entry>
<entry><title>c</title><link href="/sport/story-3"/><id>tag:3</id></entry>
</feed>"""
    entries = parse_feed(body, url="http://final.example.org/feeds/atom.xml")
    assert [e.link for e in entries] == ["http://news.example.org/world/story-1",
                                         "http://news.example.org/politics/story-2",
                                         "http://news.example.org/sport/story-3"]
    assert all(e.published_at is None for e in entries)  # future / unparseable dates
