"""Which file an article goes to, end to end on real recorded pages (issue 13, items 5 and 6):
the same URL spelt in Unicode NFC or NFD is one article, also in an archive an older gitnews
wrote (its cache is rebuilt from git, the file keeps its path); a page's ``rel=canonical`` names it,
not its ``og:url``.  Pages: tests/data/url-identity (see its README), served by the loopback
proxy of tests/politeserver.py under their host names."""

from __future__ import annotations

import hashlib
import sqlite3
import unicodedata

import pytest
from archive_builders import add_version
from conftest import DATA, git, init_test_archive, run_gitnews
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from politeserver import PoliteServer, Reply, rss

from gitnews.format.normalise import render_article
from gitnews.pagetext.declared import declared_url
from gitnews.pagetext.extract import extract_article

PAGES = DATA / "url-identity"
AUTO = (PAGES / "auto-presse.de-minisuv.html").read_bytes()  # no rel=canonical, no og:url
OSTHESSEN = (PAGES / "Osthessen-news.de-Buergermeisterwahl.html").read_bytes()

FEED = "http://feeds.test/feed.xml"
# A German slug ("Mini-SUV für Städter", made up for the test) as macOS and some CMSs
# write it (NFD: u + U+0308) and as most do (NFC: ü).
NFD = "http://auto-presse.de/autonews/mini-suv-fu%CC%88r-sta%CC%88dter"
NFC = "http://auto-presse.de/autonews/mini-suv-f%C3%BCr-st%C3%A4dter"
NFC_PATH = "auto-presse.de/autonews/mini-suv-für-städter.txt"


@pytest.fixture
def server():
    s = PoliteServer()
    yield s
    s.close()


def serve(server: PoliteServer, links: list[str]) -> None:
    server.route(FEED, Reply(body=rss(links), content_type="application/rss+xml"))


def articles(archive) -> list[str]:
    return sorted(git(archive, "-c", "core.quotepath=off", "ls-files", "*.txt").split())


def log_path(archive, env, name: str) -> str:
    """The file `gitnews log NAME` shows (its header line names it)."""
    r = run_gitnews("log", "--archive", str(archive), name, env=env)
    assert r.returncode == 0, (name, r.stdout, r.stderr)
    return r.stdout


def test_nfd_and_nfc_spellings_of_a_url_are_one_article(server, tmp_path):
    assert unicodedata.normalize("NFC", "fu\u0308r") == "für"
    archive = init_test_archive(tmp_path / "a")
    for url in (NFD, NFC):
        server.route(url, Reply(body=AUTO, content_type="text/html"))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), FEED, env=env, check=True)
    serve(server, [NFD])
    first = run_gitnews("run", "--archive", str(archive), env=env)
    assert "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0" in first.stdout, first.stdout + first.stderr
    # The feed now links the NFC spelling: the same article, not a second file.
    serve(server, [NFC])
    second = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "NEW 0" in second.stdout, second.stdout
    assert articles(archive) == [NFC_PATH]  # readable: no hash for the NFD spelling
    # Article-Url is the canonical URL: NFC, whichever spelling was fetched.
    assert git(archive, "log", "--format=%(trailers:key=Article-Url,valueonly)",
               "--", NFC_PATH).split() == [NFC]
    # `gitnews log` takes either spelling of the URL, and the path in NFD (a macOS paste).
    for name in (NFD, NFC, NFC_PATH, unicodedata.normalize("NFD", NFC_PATH)):
        assert NFC_PATH in log_path(archive, env, name), name


# What the previous release wrote for the NFD spelling (computed with it): a hashed file
# name (the decoded path was not NFC) and an alias key with the NFD escapes.
OLD_KEY = "auto-presse.de/autonews/mini-suv-fu%CC%88r-sta%CC%88dter"
OLD_PATH = "auto-presse.de/autonews/mini-suv-für-städter~e9017925.txt"


def test_an_archive_of_the_previous_release_keeps_its_file(server, tmp_path):
    """An article that an older gitnews filed under the NFD spelling keeps its file and its
    history when the NFC spelling comes: the cache of the older schema is rebuilt from git,
    whose Article-Url (the NFD spelling) is keyed in NFC now; the file is not renamed or
    forked.  (Aliases only the old cache held, such as a feed entry's id, are learnt again at
    the next feed read, as after every schema change.)"""
    assert OLD_PATH.endswith("~" + hashlib.sha256(OLD_KEY.encode()).hexdigest()[:8] + ".txt")
    archive = init_test_archive(tmp_path / "a")
    text = render_article(extract_article(AUTO))
    add_version(archive, OLD_PATH, text, version=1, url=NFD)
    run_gitnews("list", "--archive", str(archive), check=True)  # the cache is made
    # The cache as the previous release left it: schema 4, the alias key with NFD escapes,
    # and an alias that is not in the history (a feed entry id: the page's real address).
    db = sqlite3.connect(archive / ".git" / "gitnews" / "state.sqlite")
    with db:
        db.execute("DELETE FROM aliases")
        db.execute("INSERT INTO aliases VALUES (?, ?)", (OLD_KEY, OLD_PATH))
        db.execute("INSERT INTO aliases VALUES (?, ?)",
                   ("auto-presse.de/autonews.php?newsid=6486285", OLD_PATH))
        db.execute("UPDATE meta SET v='4' WHERE k='schema'")
    db.close()
    for url in (NFD, NFC):
        server.route(url, Reply(body=AUTO, content_type="text/html"))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), FEED, env=env, check=True)
    serve(server, [NFC])
    r = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NEW 0, CHANGED 0, UNCHANGED 1, FAILED 0" in r.stdout, r.stdout
    assert articles(archive) == [OLD_PATH]
    for name in (NFC, NFD):
        assert OLD_PATH in log_path(archive, env, name), name


def test_rel_canonical_names_the_article_not_og_url(server, tmp_path):
    """The Osthessen News page declares ``rel=canonical`` = its address and ``og:url`` =
    ``.../n11752374/aritkel.html`` (sic); trafilatura's URL is the og:url, and the article
    was filed as ``aritkel.txt`` under a URL the site never linked."""
    url = ("http://osthessen-news.de/n11752374/"
           "claudia-brandes-und-ihr-links-gruenes-buendnis-muessen-jetzt-liefern.html")
    archive = init_test_archive(tmp_path / "a")
    server.route(url, Reply(body=OSTHESSEN, content_type="text/html; charset=utf-8"))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), FEED, env=env, check=True)
    serve(server, [url])
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0" in r.stdout, r.stdout + r.stderr
    path = ("osthessen-news.de/n11752374/"
            "claudia-brandes-und-ihr-links-gruenes-buendnis-muessen-jetzt-liefern.txt")
    assert articles(archive) == [path]
    assert git(archive, "log", "-1", "--format=%(trailers:key=Article-Url,valueonly)").strip() \
        == url.replace("http:", "https:")  # the canonical link's own spelling (https)


def test_declared_url_on_real_pages():
    assert extract_article(OSTHESSEN).canonical_url == (
        "https://osthessen-news.de/n11752374/"
        "claudia-brandes-und-ihr-links-gruenes-buendnis-muessen-jetzt-liefern.html")
    assert extract_article(AUTO).canonical_url is None  # no canonical link, og:url or JSON-LD


# -- declared_url, the pure function (hypothesis) -----------------------------------------

_PATHS = st.from_regex(r"/[a-z]{1,8}/[a-z0-9-]{1,20}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(canonical=st.none() | _PATHS, og=st.none() | _PATHS, ld=st.none() | _PATHS,
       ld_type=st.sampled_from(["NewsArticle", "Article", "BlogPosting", "Organization"]),
       in_graph=st.booleans(), noise=st.booleans())
def test_declared_url_takes_canonical_then_og_url_then_json_ld(canonical, og, ld, ld_type,
                                                              in_graph, noise):
    head = ['<meta charset="utf-8"><title>t</title>']
    if noise:  # other links and metas do not count
        head += ['<link rel="alternate" href="/feed">', '<meta property="og:title" content="x">']
    if og:
        head.append(f'<meta property="og:url" content="https://x.org{og}">')
    if canonical:
        head.append(f'<link rel="Canonical" href="https://x.org{canonical}">')
    body = "<p>text</p>"
    if ld:
        obj = f'{{"@type": "{ld_type}", "url": "https://x.org{ld}"}}'
        doc = f'{{"@context": "https://schema.org", "@graph": [{obj}]}}' if in_graph else obj
        body += f'<script type="application/ld+json">{doc}</script>'
    tree = lxml_html.fromstring(f"<html><head>{''.join(head)}</head><body>{body}</body></html>")
    got = declared_url(tree)
    if canonical:
        assert got == f"https://x.org{canonical}"
    elif og:
        assert got == f"https://x.org{og}"
    elif ld and ld_type != "Organization":
        assert got == f"https://x.org{ld}"
    else:
        assert got is None


def test_declared_url_odd_markup():
    page = lambda head, body="": lxml_html.fromstring(  # noqa: E731
        f"<html><head>{head}</head><body><p>x</p>{body}</body></html>")
    # an empty canonical link is no canonical link; a relative one is resolved against <base>
    assert declared_url(page('<link rel="canonical" href=" "><meta property="og:url" '
                             'content="https://x.org/a/b">')) == "https://x.org/a/b"
    assert declared_url(page('<base href="https://x.org/news/"><link rel="canonical" '
                             'href="story-1">')) == "https://x.org/news/story-1"
    # broken or huge JSON-LD is skipped; mainEntityOfPage counts when there is no url
    assert declared_url(page("", '<script type="application/ld+json">{not json</script>')) is None
    assert declared_url(page("", '<script type="application/ld+json">[{"@type": ["NewsArticle"],'
                             ' "mainEntityOfPage": {"@id": "https://x.org/a/1"}}]</script>')) \
        == "https://x.org/a/1"
