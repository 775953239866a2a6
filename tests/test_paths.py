"""URL -> archive path: examples from the archive format, and properties (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.errors import BlockedURLError
from gitnews.format.paths import MAX_COMPONENT_BYTES, MAX_PATH_BYTES, article_path

EXAMPLES = {
    "https://www.theguardian.com/society/2016/sep/29/gaps-remain-in-tackling-child-sexual-exploitation-ofsted":
        "theguardian.com/society/2016/sep/29/gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt",
    "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm": "news.bbc.co.uk/1/hi/uk_politics/7984711.txt",
    "http://example.com/a/b/": "example.com/a/b.txt",
    "http://example.com/a/b.html": "example.com/a/b.txt",
    "http://example.com/": "example.com/index.txt",
    "http://example.com": "example.com/index.txt",
    "http://example.com/?p=2031288": "example.com/index@p=2031288.txt",
    "http://example.com/story.php?id=5&utm_source=rss&fbclid=x": "example.com/story@id=5.txt",
    "http://example.com/caf%C3%A9": "example.com/café.txt",
    "https://WWW.Example.COM:443/a#frag": "example.com/a.txt",
    "http://example.com:8080/a": "example.com_8080/a.txt",
}


@pytest.mark.parametrize("url,path", EXAMPLES.items())
def test_examples(url, path):
    assert article_path(url) == path


def test_http_and_https_are_one_article():
    assert article_path("http://x.org/a/b") == article_path("https://x.org/a/b")


def test_hash_keeps_lossy_paths_apart():
    a, b = article_path("http://x.org/News/A"), article_path("http://x.org/news/a")
    assert a.casefold() != b.casefold()
    assert re.search(r"~[0-9a-f]{8}\.txt$", a)
    assert article_path("http://x.org/a", hashed=True) != article_path("http://x.org/a")


@pytest.mark.parametrize("url", ["ftp://x.org/a", "javascript:alert(1)", "file:///etc/passwd",
                                 "data:text/html,hi", "/relative", "http://"])
def test_non_http_urls_are_refused(url):
    with pytest.raises(BlockedURLError):
        article_path(url)


def test_traversal_never_leaves_the_archive():
    for url in ["http://x.org/%2e%2e/%2e%2e/etc/passwd", "http://x.org/../../a",
                "http://x.org/a/%2F..%2F..%2Fb", "http://x.org/..%5c..%5cwin.ini",
                "http://x.org/.git/config", "http://x.org/%00/a"]:
        path = article_path(url)
        assert all(part not in ("", ".", "..") and not part.startswith(".")
                   for part in path.split("/")), path
        assert "\\" not in path and "\x00" not in path


RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.I)

segment = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                  min_size=0, max_size=40)
urls = st.builds(
    lambda host, segs, query, https: (
        f"{'https' if https else 'http'}://{host}/" + "/".join(
            __import__("urllib.parse").parse.quote(s, safe="") for s in segs)
        + (f"?{query}" if query else "")),
    st.from_regex(r"(www\.)?[a-z0-9]{1,12}\.(com|org|co\.uk)", fullmatch=True),
    st.lists(segment, max_size=6),
    st.one_of(st.none(), st.from_regex(r"[a-z]{1,5}=[A-Za-z0-9%]{0,8}", fullmatch=True)),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(urls)
def test_paths_are_portable(url):
    path = article_path(url)
    assert path == article_path(url)  # deterministic
    assert path.endswith(".txt")
    assert len(path.encode("utf-8")) <= MAX_PATH_BYTES
    for part in path.split("/"):
        assert part and len(part.encode("utf-8")) <= MAX_COMPONENT_BYTES
        assert not re.search(r'[\\:*?"<>|\x00-\x1f\x7f]', part), part
        assert not part.startswith(".") and not part.endswith((".", " "))
        assert not RESERVED.match(part), part
    import unicodedata
    assert unicodedata.normalize("NFC", path) == path


@settings(max_examples=300, deadline=None)
@given(urls, urls)
def test_different_articles_never_share_a_path(a, b):
    from gitnews.format.urls import url_key
    if url_key(a) != url_key(b):
        pa, pb = article_path(a), article_path(b)
        # Equal readable paths are possible only for spellings the format merges
        # (extension dropped, trailing slash); the store then uses the hashed form.
        if pa.casefold() == pb.casefold():
            assert article_path(a, hashed=True).casefold() != article_path(b, hashed=True).casefold()
