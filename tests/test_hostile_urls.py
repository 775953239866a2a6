"""Hostile URLs never reach the file system unsanitised (pure functions; hypothesis).

Every URL either is refused with a clear :class:`BlockedURLError` or becomes a
canonical http(s) URL whose archive path stays inside the archive and is
portable: relative, POSIX, no empty/``.``/``..`` component, no leading dot, no
separator or control character inside a component, the length limits, and
never one of the archive's own top-level files.
"""

from __future__ import annotations

import os
import posixpath
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gitnews.errors import BlockedURLError, GitnewsError
from gitnews.format.paths import MAX_COMPONENT_BYTES, MAX_PATH_BYTES, article_path
from gitnews.format.urls import canonical_url, is_fetchable, url_key

FORBIDDEN = set('\\:*?"<>|')


def assert_safe_path(path: str) -> None:
    assert path.endswith(".txt"), path
    assert not path.startswith("/") and "\\" not in path, path
    parts = path.split("/")
    assert len(parts) >= 2, path
    for part in parts:
        assert part not in ("", ".", ".."), path
        assert not part.startswith("."), path
        assert not part.endswith((" ", ".")), path
        assert not (FORBIDDEN & set(part)), path
        assert all(unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp") for c in part), path
        assert len(part.encode("utf-8")) <= MAX_COMPONENT_BYTES, path
    assert len(path.encode("utf-8")) <= MAX_PATH_BYTES, path
    assert parts[0].casefold() not in ("gitnews.toml", "readme.md"), path
    assert unicodedata.normalize("NFC", path) == path, path
    # Joined to an archive, it stays inside it.
    root = "/archive"
    assert posixpath.normpath(posixpath.join(root, path)).startswith(root + "/"), path
    assert os.path.normpath(os.path.join(root, path)).startswith(root + os.sep), path


def check(url: str) -> str | None:
    """The archive path of ``url``, or None when it is refused (clearly)."""
    try:
        canon = canonical_url(url)
    except BlockedURLError as exc:
        assert str(exc) and exc.url is not None
        return None
    assert is_fetchable(canon), canon
    assert canon.startswith(("http://", "https://"))
    assert canonical_url(canon) == canon  # idempotent
    path = article_path(url)
    assert_safe_path(path)
    assert article_path(canon) == path
    return path


HOSTILE = [
    # other schemes, in feeds or redirects
    "file:///etc/passwd", "FILE:///C:/Windows/win.ini", "ftp://example.com/a.txt",
    "javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", "data:text/html,<p>hi</p>",
    "data:text/html;base64,PHA+aGk8L3A+", "mailto:news@example.com", "gopher://x/1",
    "vbscript:msgbox", "about:blank", "chrome://settings", "//example.com/no-scheme",
    "/relative/path", "relative", "", "   ", "http://", "http:///etc/passwd", "http:etc/passwd",
    "http:\\\\example.com\\a", "https://user:pass@example.com/a", "http://example.com:99999/a",
    "http://example.com:-1/", "http://[::1/", "http://[::1]:8080/a", "http://999.999.999.999/",
    # traversal
    "http://example.com/../../etc/passwd", "http://example.com/a/../../../../b",
    "http://example.com/%2e%2e/%2e%2e/etc/passwd", "http://example.com/%2E%2E%2F%2E%2E%2Fetc",
    "http://example.com/..%2f..%2f..%2fetc%2fpasswd", "http://example.com/..%5c..%5cwin.ini",
    "http://example.com/a\\..\\..\\b", "http://example.com/.%2e/.%2e/x", "http://example.com/./.",
    "http://example.com/%2e", "http://example.com/%2e%2e", "http://example.com/...",
    "http://example.com/.git/config", "http://example.com/.git/hooks/pre-commit",
    "http://example.com/%2egit/HEAD", "http://.git/HEAD", "http://..//x", "http://gitnews.toml/",
    "http://README.md/", "http://readme.MD/x", "http://example.com/gitnews.toml",
    # absurd lengths
    "http://example.com/" + "a" * 10_000, "http://example.com/" + "a/" * 2_000,
    "http://example.com/" + "%e9" * 3_000, "http://" + "a" * 300 + ".com/x",
    "http://example.com/x?" + "&".join(f"k{i}=v{i}" for i in range(2_000)),
    "http://example.com/" + "é" * 500 + "?q=" + "ü" * 500,
    # control characters, invalid percent-encoding, odd Unicode
    "http://example.com/a\x00b", "http://example.com/a\nb", "http://example.com/a\rb\tc",
    "http://example.com/a\x7fb", "http://example.com/%00", "http://example.com/%0a%0d",
    "http://example.com/%", "http://example.com/%G1", "http://example.com/%ZZ%", "http://example.com/%e9",
    "http://example.com/%c3%28", "http://example.com/%ff%fe", "http://example.com/\u202egnp.exe",
    "http://example.com/\u200b\u200d", "http://example.com/\ufeff", "http://example.com/a\u2028b",
    "http://example.com/CON", "http://example.com/aux.txt", "http://example.com/LPT1/x",
    "http://con/", "http://example.com/nul.", "http://example.com/a. ", "http://example.com/ a ",
    "http://example.com/a:b*c?d\"e<f>g|h", "http://example.com/Caf%C3%A9", "http://example.com/Cafe\u0301",
    "http://xn--nxasmq6b.com/", "http://例え.テスト/パス", "http://exa mple.com/", "http://example.com/a b",
    "http://example.com/@~", "http://example.com/x~12345678", "http://EXAMPLE.com/A",
]


@pytest.mark.parametrize("url", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_url_is_refused_or_made_safe(url):
    check(url)


def test_other_schemes_are_refused():
    for url in HOSTILE[:19]:
        assert check(url) is None, url


def test_traversal_never_climbs():
    assert check("http://example.com/../../etc/passwd") == "example.com/etc/passwd.txt"
    assert check("http://example.com/%2e%2e/%2e%2e/etc/passwd") == "example.com/etc/passwd.txt"
    assert check("http://example.com/.git/config").startswith("example.com/_git/config~")
    assert check("http://gitnews.toml/").startswith("_gitnews.toml/index~")


_SCHEMES = st.sampled_from(["http", "https", "HTTP", "hTtPs", "file", "ftp", "javascript",
                            "data", "", "http:", "https:/"])
_NASTY = st.sampled_from(["..", ".", "%2e%2e", "%2E.", "%2f", "%5c", "\\", "%00", "%", "%G", "%e9",
                          "\x00", "\n", "\x7f", "\u202e", "\u200b", "CON", "aux.txt", ".git",
                          "gitnews.toml", "~", "@", "?", "#", ";", " ", "é", "e\u0301", "A",
                          "a" * 120, "%c3%28", "..%2f"])
_SEGMENT = st.one_of(_NASTY, st.text(max_size=30),
                     st.text(alphabet="abcXYZ019-._~%/\\:@", max_size=30))
_HOST = st.one_of(st.sampled_from(["example.com", "EXAMPLE.COM", "www.example.com", "127.0.0.1",
                                   "[::1]", "gitnews.toml", "readme.md", "con", ".git", "..",
                                   "a..b", "xn--nxasmq6b.com", "例え.テスト", "", "x:80", "x:0",
                                   "x:65536", "user@x"]),
                  st.text(alphabet="abcdefgh.-_:[]@%", min_size=0, max_size=20))


@st.composite
def urlish(draw) -> str:
    scheme = draw(_SCHEMES)
    host = draw(_HOST)
    path = "/".join(draw(st.lists(_SEGMENT, max_size=8)))
    query = draw(st.one_of(st.just(""), st.text(max_size=40),
                           st.lists(st.tuples(_SEGMENT, _SEGMENT), max_size=4).map(
                               lambda kv: "&".join(f"{k}={v}" for k, v in kv))))
    url = f"{scheme}://{host}/{path}"
    if query:
        url += "?" + query
    if draw(st.booleans()):
        url += "#" + draw(st.text(max_size=10))
    return url


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(urlish())
@example("http://example.com/%2e%2e/%2e%2e/")
def test_generated_urls_are_refused_or_made_safe(url):
    check(url)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_refused_or_made_safe(text):
    try:
        check(text)
    except GitnewsError as exc:  # only clear, typed errors
        raise AssertionError(f"check raised {exc!r}") from None


@settings(max_examples=200, deadline=None)
@given(urlish(), urlish())
def test_different_articles_never_share_a_path(a, b):
    pa, pb = check(a), check(b)
    if pa is None or pb is None:
        return
    # ``www.`` is dropped from the host on purpose (the format's rule: one site); when two
    # such URLs are different articles, the recorder gives the second a hashed path.
    def site_key(url: str) -> str:
        key = url_key(url)
        return key[4:] if key.startswith("www.") else key

    if site_key(a) != site_key(b):
        assert pa.casefold() != pb.casefold(), (a, b, pa)
