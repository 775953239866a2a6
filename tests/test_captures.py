"""Captures (issue 16): the raw HTTP exchange of every version, as a WARC file on the branch
``gitnews/captures``, named by the version's ``Capture`` trailer.  Real runs through the
loopback replay server (tests/data/scenarios), real fetches from the hostile server, real
git repositories; the WARC files are checked with warcio's own checker."""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from conftest import DATA, git
from hostile_server import MAX_BYTES, TIMEOUT_S, HostileServer
from hypothesis import example, given
from hypothesis import strategies as st
from scenario_checks import run_steps, version_commits

from gitnews.archive.captures import (
    CAPTURES_REF,
    capture_path,
    capture_view,
    digest_hex,
    fetch_warc,
    iter_captures,
    payload_digest,
    read_capture,
    wayback_warc,
)
from gitnews.errors import HTTPStatusError, TooLargeError
from gitnews.models import Exchange
from gitnews.sources.http import Fetcher, safe_url

BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
BBC_PATH = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"
T = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def exchange(**changes: object) -> Exchange:
    fields: dict[str, object] = dict(
        method="GET", url="http://example.com/a?b=1", http_version="HTTP/1.1",
        request_headers=(("Host", "example.com"), ("User-Agent", "gitnews/test")),
        status=200, reason="OK",
        response_headers=(("Content-Type", "text/html; charset=utf-8"),
                          ("Content-Encoding", "gzip"), ("Content-Length", "40"),
                          ("Set-Cookie", "s=1")),
        body=b"<html><p>Hello \xc2\xa3 world</p></html>", sent_at=T)
    fields.update(changes)
    return Exchange(**fields)  # type: ignore[arg-type]


def warcio_check(path) -> str:
    done = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


# -- the file format (pure) --------------------------------------------------------------------

def test_fetch_warc_is_deterministic_and_checks(tmp_path):
    data = fetch_warc(exchange())
    assert data == fetch_warc(exchange())  # same exchange -> same bytes (record ids too)
    assert data.startswith(b"WARC/1.1\r\n") and b"\x1f\x8b" not in data[:4]  # uncompressed
    out = tmp_path / "one.warc"
    out.write_bytes(data)
    report = warcio_check(out)
    assert report.count("digest pass") == 2, report
    view = capture_view(data)
    assert view.url == "http://example.com/a?b=1" and view.fetched_at == T
    assert (view.status, view.reason) == (200, "OK")
    assert view.payload == exchange().body and not view.truncated
    assert digest_hex(view.payload_digest or "") == hashlib.sha256(view.payload).hexdigest()
    # The payload is stored decoded: the framing headers say so, their received values kept.
    assert view.header("Content-Encoding") is None
    assert view.header("Content-Length") == str(len(view.payload))
    assert view.header("X-Gitnews-Original-Content-Encoding") == "gzip"
    assert view.header("X-Gitnews-Original-Content-Length") == "40"
    assert view.header("set-cookie") == "s=1"  # response headers are kept as received
    assert view.request_line == "GET /a?b=1 HTTP/1.1"
    assert ("User-Agent", "gitnews/test") in view.request_headers


def test_secrets_are_never_written():
    ex = exchange(url="http://user:secret@example.com/a",
                  request_headers=(("Host", "example.com"), ("Authorization", "Basic c2VjcmV0"),
                                   ("Cookie", "session=secret"),
                                   ("Proxy-Authorization", "Basic c2VjcmV0")))
    data = fetch_warc(ex)
    assert b"secret" not in data and b"c2VjcmV0" not in data
    assert capture_view(data).url == "http://example.com/a"
    assert safe_url("https://a:b@host.example:8080/p?q#f") == "https://host.example:8080/p?q#f"


def test_truncated_capture_is_marked():
    view = capture_view(fetch_warc(exchange(truncated=True)))
    assert view.truncated
    assert b"WARC-Truncated: length" in fetch_warc(exchange(truncated=True))


def test_wayback_capture_names_its_source(tmp_path):
    data = wayback_warc(url="http://example.com/a", captured_at=T,
                        source_uri="https://web.archive.org/web/20260102030405id_/http://example.com/a",
                        status=200, reason="OK", headers=[("Content-Type", "text/html")],
                        payload=b"<p>x</p>")
    (tmp_path / "w.warc").write_bytes(data)
    warcio_check(tmp_path / "w.warc")
    view = capture_view(data)
    assert view.source_uri and view.source_uri.startswith("https://web.archive.org/")
    assert view.fetched_at == T and view.url == "http://example.com/a"


@given(st.binary(max_size=2000))
def test_payload_digest_is_page_sha256(payload):
    assert digest_hex(payload_digest(payload)) == hashlib.sha256(payload).hexdigest()
    # The hex form of the same digest is read too; other algorithms are not SHA-256.
    hexed = "sha256:" + hashlib.sha256(payload).hexdigest()
    assert digest_hex(hexed) == hashlib.sha256(payload).hexdigest()
    sha1 = "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode()
    assert digest_hex(sha1) is None


@given(st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9.-]{1,12}){0,3}\.txt", fullmatch=True))
def test_capture_path_replaces_the_suffix(path):
    assert capture_path(path) == path[:-4] + ".warc"


# -- the fetcher records the exchange (a real loopback server) --------------------------------

FAST = dict(timeout_s=TIMEOUT_S, connect_timeout_s=1.0, max_bytes=MAX_BYTES, max_redirects=10,
            concurrency=2, per_host=8, min_delay_s=0.0, retries=0, max_wait_s=0.0,
            obey_robots=False)


@pytest.fixture(scope="module")
def server():
    with HostileServer() as srv:
        yield srv


def test_fetch_records_the_exchange(server):
    with Fetcher(**FAST) as fetcher:
        page = fetcher.fetch(server.url("/gzip-two-members"))
    ex = page.exchange
    assert ex is not None and ex.body is page.body  # the same bytes, not a copy
    assert ex.status == 200 and ex.method == "GET" and ex.http_version == "HTTP/1.1"
    assert ("Content-Encoding", "gzip") in ex.response_headers
    sent = {k.lower(): v for k, v in ex.request_headers}
    assert sent["user-agent"].startswith("gitnews/") and "host" in sent
    assert ex.sent_at == page.fetched_at and not ex.truncated
    view = capture_view(fetch_warc(ex))
    assert view.payload == page.body and view.header("X-Gitnews-Original-Content-Encoding")


def test_gzip_bomb_is_kept_cut_at_max_bytes(server):
    with Fetcher(**FAST) as fetcher, pytest.raises(TooLargeError) as caught:
        fetcher.fetch(server.url("/gzip-bomb"))
    ex = caught.value.exchange
    assert isinstance(ex, Exchange) and ex.truncated and len(ex.body) == MAX_BYTES
    data = fetch_warc(ex)
    assert len(data) < MAX_BYTES + 4096  # never stored decompressed beyond the cap
    assert capture_view(data).truncated


def test_a_404_answer_is_recorded_without_its_body(server):
    with Fetcher(**FAST) as fetcher, pytest.raises(HTTPStatusError) as caught:
        fetcher.fetch(server.url("/404"))
    ex = caught.value.exchange
    assert isinstance(ex, Exchange) and ex.status == 404 and ex.body == b"" and ex.truncated


def test_cookie_sent_by_the_client_is_not_recorded(server):
    with Fetcher(**FAST) as fetcher:
        fetcher._client.headers["Cookie"] = "session=secret"
        fetcher._client.headers["Authorization"] = "Bearer secret"
        page = fetcher.fetch(server.url("/ok"))
    assert page.exchange is not None
    names = {k.lower() for k, _ in page.exchange.request_headers}
    assert "cookie" not in names and "authorization" not in names


# -- captures in the archive (real runs) -------------------------------------------------------

def _check_captures(archive, tmp_path) -> list[dict]:
    commits = version_commits(archive)
    assert commits
    for c in commits:
        t = c["trailers"]
        blob = t["Capture"]
        data = read_capture(archive_repo(archive), blob)
        view = capture_view(data)
        assert view.payload_sha256 == t["Page-Sha256"], c["message"]
        assert digest_hex(view.payload_digest or "") == t["Page-Sha256"]
        assert view.fetched_at is not None and view.fetched_at.strftime(
            "%Y-%m-%dT%H:%M:%SZ") == t["Fetched-At"]
        # reachable from the captures branch, at the article's .warc path
        assert blob in git(archive, "rev-list", "--objects", CAPTURES_REF)
        path = tmp_path / f"{blob}.warc"
        path.write_bytes(data)
        warcio_check(path)
    return commits


def archive_repo(archive):
    from gitnews.archive.gitrun import LazyRepo

    return LazyRepo(str(archive))


def test_every_version_names_its_capture(replay, tmp_path):
    archive = tmp_path / "archive"
    runs = run_steps(replay, DATA / "scenarios" / "bbc-2009", archive, [BBC_FEED], 2)
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    commits = _check_captures(archive, tmp_path)
    # One captures commit per version, oldest first in the same order, times = fetch times.
    log = git(archive, "log", "--reverse", "--format=%at %s", CAPTURES_REF).splitlines()
    assert len(log) == len(commits)
    assert all(line.split(" ", 1)[1].startswith("Capture: http://") for line in log)
    entries = list(iter_captures(archive_repo(archive)))  # newest first
    assert [e.blob for e in reversed(entries)] == [c["trailers"]["Capture"] for c in commits]
    assert {e.article_path for e in entries} == {c["files"][0] for c in commits}
    assert [e.blob for e in iter_captures(archive_repo(archive), paths=[BBC_PATH])] == \
        [c["trailers"]["Capture"] for c in reversed(commits) if c["files"] == [BBC_PATH]]
    assert git(archive, "ls-tree", "-r", "--name-only", CAPTURES_REF).split() == \
        sorted(capture_path(c["files"][0]) for c in commits if c["trailers"]["Version"] == "1")
    # main is browsed as before: no .warc file on it, a clean working tree.
    assert ".warc" not in git(archive, "ls-tree", "-r", "--name-only", "HEAD")
    assert git(archive, "status", "--porcelain") == ""
    # A full clone carries the captures; a single-branch clone of main does not.
    full, single = tmp_path / "full", tmp_path / "single"
    subprocess.run(["git", "clone", "-q", "--mirror", str(archive), str(full)], check=True)
    subprocess.run(["git", "clone", "-q", "--single-branch", "--branch", "main", str(archive),
                    str(single)], check=True)
    assert CAPTURES_REF in git(full, "for-each-ref")
    assert "captures" not in git(single, "for-each-ref")


# -- the Recorder's choices (real git, pages built in the test) ---------------------------------

URL = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
PATH = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
PAGE_A = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()


def _capture(body: bytes, at: datetime):
    from gitnews.format.normalise import render_text
    from gitnews.models import Page
    from gitnews.pagetext.extract import extract_article
    from gitnews.versions.record import Capture

    article = extract_article(body, url=URL)
    ex = exchange(url=URL, body=body, sent_at=at,
                  response_headers=(("Content-Type", "text/html"),))
    page = Page(url=URL, final_url=URL, status=200, body=body, fetched_at=at, exchange=ex)
    return Capture(requested_url=URL, page=page, article=article,
                   text=render_text(article.headline, article.paragraphs))


def _recorder_archive(tmp_path, keep: str):
    from gitnews.archive.repo import init_archive, open_archive

    path = init_archive(tmp_path / keep, now=datetime(2006, 10, 20, tzinfo=UTC))
    if keep != "versions":
        config = path / "gitnews.toml"
        config.write_text(config.read_text().replace('keep = "versions"', f'keep = "{keep}"'))
        git(path, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", keep)
    return open_archive(path)


def _run(arc, *steps, check_all=False):
    from gitnews.versions.record import Recorder

    tx = arc.transaction()
    rec = Recorder(arc, tx, check_all=check_all)
    items = [step(rec) for step in steps]
    tx.finish()
    rec.apply()
    return items


@pytest.mark.parametrize("keep,captures", [("versions", 1), ("all", 2), ("none", 0)])
def test_keep_setting(tmp_path, keep, captures):
    t0 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
    later = datetime(2006, 10, 21, 16, 0, tzinfo=UTC)
    with _recorder_archive(tmp_path, keep) as arc:
        _run(arc, lambda r: r.record(_capture(PAGE_A, t0)))
        _run(arc, lambda r: r.record(_capture(PAGE_A, later)))  # the same page: no version
        assert len(version_commits(arc.path)) == 1
        counted = subprocess.run(["git", "-C", str(arc.path), "rev-list", "--count",
                                  CAPTURES_REF], capture_output=True, text=True)
        assert int(counted.stdout.strip() or 0) == captures
        trailers = version_commits(arc.path)[0]["trailers"]
        assert ("Capture" in trailers) == (keep != "none")
        if keep == "all":  # the second capture is the unchanged answer's, at its time
            newest = next(iter_captures(arc))
            assert newest.when == later and newest.blob != trailers["Capture"]


def test_a_removal_keeps_the_answer_that_confirmed_it(tmp_path):
    t0 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
    gone_at = [datetime(2006, 10, 22, h, 0, tzinfo=UTC) for h in (1, 3)]
    with _recorder_archive(tmp_path, "versions") as arc:
        _run(arc, lambda r: r.record(_capture(PAGE_A, t0)))
        for when in gone_at:
            answer = exchange(url=URL, status=404, reason="Not Found", body=b"", truncated=True,
                              sent_at=when, response_headers=(("Content-Length", "120"),))
            _run(arc, lambda r, w=when, a=answer: r.gone(
                URL, path=PATH, status=404, when=w, detail="HTTP 404", exchange=a),
                check_all=True)
        removal = version_commits(arc.path)[-1]
        assert removal["trailers"]["Change-Kind"] == "removed"
        view = capture_view(read_capture(arc, removal["trailers"]["Capture"]))
        assert view.status == 404 and view.fetched_at == gone_at[-1] and view.truncated


def test_gzip_page_capture_replays_decoded(tmp_path):
    """A gzip answer is kept decoded: the payload is what was extracted."""
    page = b"<html><body><p>" + b"word " * 500 + b"</p></body></html>"
    ex = exchange(body=page, response_headers=(("Content-Type", "text/html"),
                                                ("Content-Encoding", "gzip"),
                                                ("Content-Length",
                                                 str(len(gzip.compress(page))))))
    view = capture_view(fetch_warc(ex))
    assert view.payload == page and view.header("Content-Length") == str(len(page))


def test_keep_all_keeps_a_page_over_max_bytes_cut_and_marked(tmp_path):
    t0 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
    later = datetime(2006, 10, 21, 16, 0, tzinfo=UTC)
    cut = exchange(url=URL, body=PAGE_A[:1000], truncated=True, sent_at=later)
    for keep, captures in (("all", 2), ("versions", 1)):
        with _recorder_archive(tmp_path, keep) as arc:
            _run(arc, lambda r: r.record(_capture(PAGE_A, t0)))
            _run(arc, lambda r: r.failed(URL, "over the limit", path=PATH, when=later,
                                         exchange=cut))
            entries = list(iter_captures(arc))
            assert len(entries) == captures
            if keep == "all":
                view = capture_view(read_capture(arc, entries[0].blob))
                assert view.truncated and view.payload == PAGE_A[:1000]


def test_shared_ars_versions_every_version_has_its_capture(replay, tmp_path):
    """The shared scenario (skipped without ../shared): each of its versions is captured, each
    capture's payload is the page the replay server sent at that step, byte for byte."""
    import json

    from conftest import shared_path
    from crash_checks import check_captures

    scenario = shared_path("scenarios", "ars-versions")
    expected = json.loads((scenario / "expected.json").read_text())
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, [expected["feed"]], len(expected["steps"]))
    assert all(r.returncode == 0 for r in runs)
    check_captures(archive, every_version=True)
    served = {(scenario / r["file"]).read_bytes()
              for step in json.loads((scenario / "scenario.json").read_text())["steps"]
              for r in step["responses"].values() if "file" in r}
    for c in version_commits(archive):
        view = capture_view(read_capture(archive_repo(archive), c["trailers"]["Capture"]))
        assert view.payload in served and view.status == 200


_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF,
                              blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30)


@given(path=_TEXT, value=_TEXT, reason=_TEXT, body=st.binary(max_size=300))
@example(path="", value="\xa1=0;", reason="", body=b"")  # warcio's RFC 8187 encoding fails on it
def test_any_url_and_header_text_makes_a_readable_capture(path, value, reason, body):
    """IRIs, ISO-8859-1 header values and reason phrases: the request and status lines are
    percent-encoded (RFC 3987), warcio encodes header values (RFC 8187); the payload and
    its digest are kept exactly."""
    ex = exchange(url="http://example.com/" + path.replace("#", "").replace("?", ""),
                  request_headers=(("X-Test", value.strip()),), reason=reason.strip(),
                  response_headers=(("X-Test", value.strip()),), body=body)
    view = capture_view(fetch_warc(ex))
    assert view.payload == body and view.payload_sha256 == hashlib.sha256(body).hexdigest()
    assert view.request_line.isascii()
