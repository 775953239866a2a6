"""Sitemaps as sources (issue 18): parsing the real sitemaps of tests/data/sitemaps
(tests/data/sitemaps/README.md), gzip, indexes and the protocol's limits, the real
Fetcher through a loopback proxy (tests/politeserver.py), ``gitnews add`` and ``gitnews
run`` on an archive."""

from __future__ import annotations

import gzip
import tomllib
from datetime import UTC, datetime

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from politeserver import Reply

from gitnews.config import FetchSettings
from gitnews.errors import FeedError
from gitnews.sources.http import make_fetcher
from gitnews.sources.sitemaps import (
    MAX_URLS,
    looks_like_sitemap,
    parse_sitemap,
    read_sitemaps,
    robots_sitemaps,
)

SITEMAPS = DATA / "sitemaps"
BENTONVILLE = [SITEMAPS / f"bentonvillebulletin_news-sitemap_{stamp}.xml"
               for stamp in ("20250903T184338Z", "20260310T185325Z", "20260814T165438Z")]
WORDPRESS = SITEMAPS / "shinpaideshou_wordpress_news-sitemap.xml"
HEBDEN = SITEMAPS / "hebdenbridgetimes_articles-sitemap.xml"
GOOGLE = SITEMAPS / "google_doc_example_sitemap-news.xml"
SEED_PAGE = DATA / "scenarios" / "seed-guardian" / "pages" / "gaps-remain-v1.html"
XML = "application/xml"


def _parse(path, url="https://example.test/sitemap.xml"):
    return parse_sitemap(path.read_bytes(), url=url)


# -- parsing the real files ---------------------------------------------------------------------

def test_the_three_bentonville_versions_are_news_sitemaps_the_last_one_empty():
    first, later, empty = (_parse(p) for p in BENTONVILLE)
    assert (first.kind, len(first.entries)) == ("urlset", 10)
    assert len(later.entries) == 8 and empty.entries == [] and empty.kind == "urlset"
    top = first.entries[0]
    # The file binds the news namespace to "ns0:", not "news:": read by namespace.
    assert top.url == ("https://www.bentonvillebulletin.com/p/"
                       "the-pastrami-wagon-rolls-into-downtown-bentonville")
    assert top.title == "The Pastrami Wagon Rolls Into Downtown Bentonville"
    assert top.published_at == datetime(2025, 9, 3, 17, 36, 5, tzinfo=UTC)
    assert top.language == "en"
    assert all(e.title for e in first.entries)
    # "Weekly Roundup - Sept. 1  - B": white space collapsed, as feed titles are.
    assert "Weekly Roundup - Sept. 1 - B" in [e.title for e in first.entries]


def test_wordpress_and_google_news_sitemaps_give_keywords_language_and_dates():
    wp = _parse(WORDPRESS)
    assert len(wp.entries) == 3
    assert wp.entries[0].keywords == ("political science", "policy", "research fellow",
                                      "Johns Hopkins")
    google = _parse(GOOGLE)
    merger = google.entries[0]
    assert merger.title == "Companies A, B in Merger Talks"
    assert merger.keywords == ("business", "merger", "acquisition", "A", "B")
    # A date without a time is midnight UTC.
    assert merger.published_at == datetime(2008, 12, 23, tzinfo=UTC)
    assert google.entries[1].title == "Test empty news attributes"


def test_an_article_sitemap_without_news_gives_lastmod_in_utc_and_no_titles():
    hebden = _parse(HEBDEN)
    assert len(hebden.entries) == 74
    first = hebden.entries[0]
    assert first.title is None and first.published_at is None
    assert first.lastmod == datetime(2015, 5, 3, 17, 51, 50, tzinfo=UTC)  # +01:00 in the file
    entry = first.feed_entry("https://example.test/sitemap.xml")
    assert entry.published_at == first.lastmod and entry.link == first.url


def test_gzip_sitemaps_read_as_the_plain_file_and_bombs_are_refused():
    plain = _parse(BENTONVILLE[0])
    packed = parse_sitemap(gzip.compress(BENTONVILLE[0].read_bytes()), url="https://e.test/s.gz")
    assert packed.entries == plain.entries
    assert looks_like_sitemap(gzip.compress(BENTONVILLE[0].read_bytes()))
    bomb = gzip.compress(b"<urlset>" + b" " * (51 * 1024 * 1024))
    with pytest.raises(FeedError, match="over 52,428,800 bytes uncompressed"):
        parse_sitemap(bomb, url="https://e.test/bomb.xml.gz")
    with pytest.raises(FeedError, match="not valid gzip"):
        parse_sitemap(b"\x1f\x8bnot gzip at all", url="https://e.test/broken.xml.gz")


def test_not_a_sitemap_is_a_clear_error():
    assert not looks_like_sitemap(SEED_PAGE.read_bytes())
    with pytest.raises(FeedError, match="not an XML sitemap"):
        parse_sitemap(SEED_PAGE.read_bytes(), url="https://e.test/page.html")
    with pytest.raises(FeedError, match="not an XML sitemap"):
        parse_sitemap((DATA / "scenarios" / "seed-guardian" / "society-rss.xml").read_bytes(),
                      url="https://e.test/rss")


def test_more_than_the_protocols_50000_urls_are_counted_and_left_out():
    urls = "".join(f"<url><loc>https://e.test/a/{i}-story-slug</loc></url>"
                   for i in range(MAX_URLS + 3))
    body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>").encode()
    parsed = parse_sitemap(body, url="https://e.test/big.xml")
    assert len(parsed.entries) == MAX_URLS and parsed.truncated == 3


def test_robots_txt_sitemap_lines():
    text = ("User-agent: *\nDisallow: /private\nSitemap: https://e.test/news.xml\n"
            "sitemap: https://e.test/news.xml\nSitemap: ftp://e.test/x.xml\n"
            "Sitemap: https://e.test/index.xml.gz\n")
    assert robots_sitemaps(text) == ["https://e.test/news.xml", "https://e.test/index.xml.gz"]
    assert robots_sitemaps("") == []


# -- indexes, through the real Fetcher -----------------------------------------------------------

def _index(*locs: str) -> bytes:
    items = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in locs)
    return ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex '
            f'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>').encode()


def test_an_index_reads_its_sitemaps_reports_a_failed_one_and_stops_at_the_depth_limit(
        polite_proxy):
    site = "http://maps.test"
    polite_proxy.route(f"{site}/index.xml", Reply(body=_index(
        f"{site}/news.xml.gz", f"{site}/missing.xml", f"{site}/wp.xml", f"{site}/nested.xml"),
        content_type=XML))
    polite_proxy.route(f"{site}/news.xml.gz", Reply(body=gzip.compress(
        BENTONVILLE[0].read_bytes()), content_type="application/gzip"))
    polite_proxy.route(f"{site}/wp.xml", Reply(body=WORDPRESS.read_bytes(), content_type=XML))
    polite_proxy.route(f"{site}/nested.xml", Reply(body=_index(f"{site}/deeper.xml"),
                                                   content_type=XML))
    polite_proxy.route(f"{site}/deeper.xml", Reply(body=_index(f"{site}/deepest.xml"),
                                                   content_type=XML))
    with make_fetcher(FetchSettings(min_delay_s=0.0, retries=0)) as fetcher:
        read = read_sitemaps(f"{site}/index.xml", fetcher.fetch)
    assert len(read.entries) == 13  # 10 news URLs + 3 WordPress ones
    assert read.entries[0].title == "The Pastrami Wagon Rolls Into Downtown Bentonville"
    assert read.news and read.files[0] == f"{site}/index.xml"
    assert [e.split(":")[0] + ":" + e.split(":")[1] for e in read.errors] == [
        f"{site}/missing.xml", f"{site}/deepest.xml"]
    assert "404" in read.errors[0] and "nested deeper than 2" in read.errors[1]
    assert "a sitemap index (4 sitemaps read)" in read.describe()
    assert polite_proxy.requests_to(path="/deepest.xml") == []


# -- gitnews add and run --------------------------------------------------------------------------

def test_add_recognises_sitemaps_and_offers_robots_sitemaps_for_a_homepage_without_feeds(
        polite_proxy, tmp_path):
    polite_proxy.route("http://www.bentonvillebulletin.com/news-sitemap.xml",
                       Reply(body=BENTONVILLE[0].read_bytes(), content_type=XML))
    polite_proxy.route("http://maps.test/index.xml", Reply(
        body=_index("http://maps.test/a.xml", "http://maps.test/b.xml"), content_type=XML))
    polite_proxy.route("http://www.christiandailyreporter.com/", Reply(
        body=(DATA / "fronts" / "christiandailyreporter-index_20180527T060003-0500.html")
        .read_bytes()))
    polite_proxy.route("http://www.christiandailyreporter.com/robots.txt", Reply(
        body=b"User-agent: *\nSitemap: http://www.christiandailyreporter.com/sitemap.xml\n",
        content_type="text/plain"))
    archive = init_test_archive(tmp_path / "a")
    env = polite_proxy.env()
    out = run_gitnews("add", "--archive", str(archive),
                      "http://www.bentonvillebulletin.com/news-sitemap.xml",
                      "http://maps.test/index.xml", env=env)
    assert out.returncode == 0, out.stderr
    assert ("SITEMAP  http://www.bentonvillebulletin.com/news-sitemap.xml: a news sitemap "
            "with 10 URLs") in out.stdout
    assert "SITEMAP  http://maps.test/index.xml: a sitemap index of 2 sitemaps" in out.stdout
    config = tomllib.loads(git(archive, "show", "HEAD:gitnews.toml"))
    assert config["sitemaps"] == ["http://www.bentonvillebulletin.com/news-sitemap.xml",
                                  "http://maps.test/index.xml"]
    again = run_gitnews("add", "--archive", str(archive), "--sitemap",
                        "https://bentonvillebulletin.com/news-sitemap.xml", env=env)
    assert "already tracked as a sitemap" in again.stdout
    home = run_gitnews("add", "--archive", str(archive),
                       "http://www.christiandailyreporter.com/", env=env)
    assert home.returncode == 1
    assert "track its story list with `gitnews add --front URL`" in home.stderr
    assert ("the site's robots.txt lists 1 sitemap: "
            "http://www.christiandailyreporter.com/sitemap.xml") in home.stderr
    feeds = run_gitnews("feeds", "--archive", str(archive), env=env)
    assert "sitemap  http://maps.test/index.xml" in feeds.stdout
    gone = run_gitnews("remove", "--archive", str(archive), "http://maps.test/index.xml", env=env)
    assert gone.returncode == 0, gone.stderr
    assert tomllib.loads(git(archive, "show", "HEAD:gitnews.toml"))["sitemaps"] == [
        "http://www.bentonvillebulletin.com/news-sitemap.xml"]


def _http_links(path) -> bytes:
    """The sitemap with http:// article links (the loopback proxy serves plain HTTP)."""
    return path.read_bytes().replace(b"https://www.bentonvillebulletin.com/",
                                     b"http://www.bentonvillebulletin.com/")


def test_run_tracks_a_news_sitemaps_articles_keeps_news_title_and_reads_later_versions(
        polite_proxy, tmp_path):
    sitemap = "http://www.bentonvillebulletin.com/news-sitemap.xml"
    polite_proxy.route(sitemap, Reply(body=_http_links(BENTONVILLE[0]), content_type=XML),
                       Reply(body=_http_links(BENTONVILLE[2]), content_type=XML))
    story = ("http://www.bentonvillebulletin.com/p/"
             "the-pastrami-wagon-rolls-into-downtown-bentonville")
    polite_proxy.route(story, Reply(body=SEED_PAGE.read_bytes()))
    archive = init_test_archive(tmp_path / "a", retries=0)
    env = polite_proxy.env()
    run_gitnews("add", "--sitemap", "--archive", str(archive), sitemap, env=env, check=True)
    first = run_gitnews("run", "--archive", str(archive), env=env)
    # The other 9 stories are not served (404): per-item failures, the run goes on.
    assert "NEW       v1" in first.stdout, first.stdout + first.stderr
    log = git(archive, "log", "--format=%B", "-1", "--", ".")
    assert "Source-Title: The Pastrami Wagon Rolls Into Downtown Bentonville" in log
    assert f"Feed: {sitemap}" in log
    assert "Article-Url:" in log
    # The empty version of the sitemap: nothing new, no failure of the sitemap itself.
    second = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    assert second.returncode in (0, 1), second.stderr
    assert "FAILED   sitemap" not in second.stderr
    assert len(polite_proxy.requests_to(path="/news-sitemap.xml")) == 2


def test_dry_run_shows_what_a_sources_filters_keep_and_drop(polite_proxy, tmp_path):
    sitemap = "http://www.bentonvillebulletin.com/news-sitemap.xml"
    polite_proxy.route(sitemap, Reply(body=_http_links(BENTONVILLE[0]), content_type=XML))
    archive = init_test_archive(tmp_path / "a", retries=0)
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "articles = []", f'articles = []\nsitemaps = ["{sitemap}"]', 1)
        + f'\n[sources."{sitemap}"]\ninclude = ["*/p/*"]\n'
          'exclude = ["*weekly-roundup*", "re:restaurants?-and-bars"]\ninterval = "1h"\n',
        encoding="utf-8")
    out = run_gitnews("run", "--dry-run", "--archive", str(archive), env=polite_proxy.env())
    text = out.stdout
    assert (f"READ    sitemap {sitemap}: a news sitemap: 10 entries; filters kept 7, "
            "dropped 3") in text, text
    assert ("SKIPPED entry http://www.bentonvillebulletin.com/p/weekly-roundup-sept-1-b: "
            f"dropped by the filters of {sitemap} (exclude '*weekly-roundup*')") in text
    assert ("/p/13-restaurants-and-bars-that-have-opened-in-bentonville-this-year: dropped by "
            f"the filters of {sitemap} (exclude 're:restaurants?-and-bars')") in text
    assert git(archive, "log", "--format=%s", "-1") == "Test settings\n"
