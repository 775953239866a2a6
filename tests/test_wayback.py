"""Wayback Machine imports against a real HTTP server on 127.0.0.1 that answers with
recorded real CDX answers and capture bodies (tests/data/wayback, see its README)."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import DATA, git, run_gitnews
from hypothesis import given
from hypothesis import strategies as st
from scenario_checks import assert_versions_consistent, version_commits
from warcs import SEED_PATH, SEED_URL, SEED_V1, SEED_V2

from gitnews.archive.repo import open_archive
from gitnews.config import WaybackSettings
from gitnews.errors import FetchError
from gitnews.ops.importing import NOT_NEWER, OUT_OF_RANGE, parse_time_bound
from gitnews.ops.wayback_import import import_wayback
from gitnews.sources.http import Fetcher
from gitnews.sources.wayback import (
    CdxError,
    CdxProblem,
    CdxRecord,
    WaybackClient,
    cdx_query_url,
    format_timestamp,
    parse_capture_url,
    parse_cdx,
    parse_timestamp,
    retry_after_s,
)

WAYBACK = DATA / "wayback"
CNN_PAGES = [WAYBACK / f"cdx_cnn.com_2001-04_2001-05_{n:02d}.txt" for n in range(15)]
NP_URL = "https://nationalpost.com/health/"


class WaybackServer:
    """A small Wayback Machine on 127.0.0.1: CDX pages and capture bodies from dicts.

    ``cdx[(url, resumeKey or None)] = (status, body bytes, headers)``;
    ``captures["/web/<ts>id_/<original>"] = (status, body bytes, headers)``;
    ``before`` holds answers ``(status, headers)`` given, in turn, before the real ones;
    ``log`` every request as ``(path, query dict)``.
    """

    def __init__(self) -> None:
        self.cdx: dict[tuple[str, str | None], tuple[int, bytes, dict]] = {}
        self.captures: dict[str, tuple[int, bytes, dict]] = {}
        self.before: list[tuple[int, dict]] = []
        self.log: list[tuple[str, dict]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt":  # gitnews asks first; everything is allowed
                    return self.answer(200, b"User-agent: *\nAllow: /\n", {})
                query = parse_qs(parts.query, keep_blank_values=True)
                server.log.append((parts.path, query))
                if server.before:
                    status, headers = server.before.pop(0)
                    return self.answer(status, b"slow down\n", headers)
                if parts.path == "/cdx/search/cdx":
                    key = (query["url"][0], query.get("resumeKey", [None])[0])
                    found = server.cdx.get(key)
                else:
                    found = server.captures.get(self.path)
                if found is None:
                    return self.answer(404, b"not archived\n", {})
                self.answer(*found)

            def answer(self, status: int, body: bytes, headers: dict) -> None:
                self.send_response(status)
                headers = {"Content-Type": "text/plain;charset=UTF-8", **headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def capture(self, timestamp: str, original: str, body: bytes, content_type: str, *,
                memento: bool = True) -> None:
        when = parse_timestamp(timestamp)
        headers = {"Content-Type": content_type}
        if memento:  # as the Wayback Machine sends with every memento (RFC 7089)
            headers["Memento-Datetime"] = format_datetime(when, usegmt=True)
        self.captures[f"/web/{timestamp}id_/{original}"] = (200, body, headers)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def wayback(monkeypatch):
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    server = WaybackServer()
    yield server
    server.close()


def seed_server(server: WaybackServer) -> None:
    """The seed article's two captures, plus the recorded National Post answers."""
    server.cdx[(SEED_URL, None)] = (200, (WAYBACK / "cdx_seed-guardian.txt").read_bytes(), {})
    server.capture("20160929100200", SEED_URL, SEED_V1, "text/html; charset=UTF-8")
    server.capture("20160929171400", SEED_URL, SEED_V2, "text/html; charset=UTF-8")
    server.cdx[(NP_URL, None)] = (200, (WAYBACK / "cdx_nationalpost.com_health.txt").read_bytes(),
                                  {})
    # Recorded as served: status 200, text/html, but no Memento-Datetime (an exclusion page).
    server.capture("20170929002712", NP_URL,
                   (WAYBACK / "memento_nationalpost.com_health_20170929002712_00.html").read_bytes(),
                   "text/html; charset=utf-8", memento=False)
    server.cdx[("https://nationalpost.com/health", None)] = (
        403, (WAYBACK / "cdx_blocked_nationalpost.com_00.txt").read_bytes(),
        {"X-Archive-Wayback-Runtime-Error": "org.archive.wayback.exception."
                                            "AdministrativeAccessControlException: Blocked Site Error"})


def settings(server: WaybackServer, **kw) -> WaybackSettings:
    return WaybackSettings(base_url=server.url, cdx_requests_per_s=0, capture_requests_per_s=0,
                           **{"max_retries": 2, "max_wait_s": 5.0, **kw})


def test_wayback_import_gives_the_seed_article_its_two_versions(wayback, tmp_path):
    seed_server(wayback)
    wayback.before.append((429, {"Retry-After": "1"}))  # the first request is rate-limited
    notes = []
    with open_archive(tmp_path / "archive", create=True) as arc:
        arc.config.wayback = settings(wayback)
        result = import_wayback(arc, [SEED_URL, NP_URL, "https://nationalpost.com/health"],
                                progress=lambda p: p.note and notes.append(p.note))
    archive = tmp_path / "archive"
    # The 429 was waited out and retried: two requests for the same first listing.
    assert [q["url"][0] for _, q in wayback.log[:2]] == [SEED_URL, SEED_URL]
    # (the wait itself is the fetcher's: gitnews.sources.http honours Retry-After per host)
    assert result.records_read == 3
    assert result.versions_added == 2
    commits = version_commits(archive)
    assert [c["files"] for c in commits] == [[SEED_PATH], [SEED_PATH]]
    dates = git(archive, "log", "--format=%aI %cI", "--", SEED_PATH).split()
    assert dates == ["2016-09-29T17:14:00+00:00"] * 2 + ["2016-09-29T10:02:00+00:00"] * 2
    first, second = (c["trailers"] for c in commits)
    assert (first["Fetched-At"], first["Captured-At"]) == ("2016-09-29T10:02:00Z",) * 2
    assert second["Source-Archive"] == f"{wayback.url}/web/20160929171400/{SEED_URL}"
    assert second["Version"] == "2" and second["Article-Url"] == SEED_URL
    assert_versions_consistent(archive)
    diff = git(archive, "diff", "--word-diff=porcelain", "HEAD~1", "HEAD", "--", SEED_PATH)
    assert "-operundi." in diff.splitlines() and "+operandi." in diff.splitlines()
    # The exclusion page and the blocked listing are reported, not imported.
    failed = {f.url: f.message for f in result.failures}
    assert set(failed) == {NP_URL, "https://nationalpost.com/health"}
    assert "no capture but a page of the Wayback Machine itself" in failed[NP_URL]
    assert "HTTP 403" in failed["https://nationalpost.com/health"]
    assert not (archive / "nationalpost.com").exists()
    # The captures were asked for in their id_ form, the CDX for status 200, one per digest.
    cdx_query = wayback.log[1][1]
    assert cdx_query["filter"] == ["statuscode:200"] and cdx_query["collapse"] == ["digest"]
    assert f"/web/20160929100200id_/{SEED_URL}" in [p for p, _ in wayback.log]

    # Importing again adds nothing: both captures are not newer than the newest version.
    head = git(archive, "rev-parse", "HEAD")
    with open_archive(archive) as arc:
        arc.config.wayback = settings(wayback)
        again = import_wayback(arc, [SEED_URL])
    assert git(archive, "rev-parse", "HEAD") == head
    assert again.versions_added == 0 and again.skipped == {NOT_NEWER: 2}


def test_cli_wayback_import_with_a_time_range_and_a_bad_cdx_answer(wayback, tmp_path):
    seed_server(wayback)
    wayback.cdx[("http://www.epa.gov/", None)] = (
        200, b"<!DOCTYPE html><html><body>Internal Server Error</body></html>",
        {"Content-Type": "text/html"})
    archive = tmp_path / "archive"
    run_gitnews("init", "--archive", str(archive), check=True)
    toml = archive / "gitnews.toml"
    text = toml.read_text()
    for old, new in (('base_url = "https://web.archive.org"', f'base_url = "{wayback.url}"'),
                     ("cdx_requests_per_s = 1.0", "cdx_requests_per_s = 0"),
                     ("capture_requests_per_s = 4.0", "capture_requests_per_s = 0")):
        assert old in text
        text = text.replace(old, new)
    toml.write_text(text)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = run_gitnews("import", "--wayback", "--archive", str(archive), "--from",
                       "2016-09-29T12:00:00Z", "--to", "2016", SEED_URL, "http://www.epa.gov/",
                       env={**env, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "RECORDS 2, ARTICLES 1, VERSIONS 1 (NEW 1, CHANGED 0), SKIPPED 1, FAILED 1" in proc.stdout
    assert f"skipped      1: {OUT_OF_RANGE}" in proc.stdout
    assert "the Wayback Machine's CDX answer for http://www.epa.gov/ is unusable" in proc.stderr
    commits = version_commits(archive)
    assert len(commits) == 1 and commits[0]["trailers"]["Captured-At"] == "2016-09-29T17:14:00Z"
    seed_query = next(q for p, q in wayback.log if q.get("url") == [SEED_URL])
    assert (seed_query["from"], seed_query["to"]) == (["20160929120000"], ["20161231235959"])


def test_a_retry_after_longer_than_max_wait_backs_off_the_host(wayback, tmp_path):
    seed_server(wayback)
    wayback.before.append((429, {"Retry-After": "3600"}))
    with open_archive(tmp_path / "archive", create=True) as arc:
        arc.config.wayback = settings(wayback)
        result = import_wayback(arc, ["https://nationalpost.com/health", SEED_URL])
    # The Wayback host asked for an hour's pause: nothing more is asked of it in this
    # import (politeness is per host), each URL says so, and nothing is imported.
    assert len(result.failures) == 2
    assert all("later run" in f.message for f in result.failures), result.failures
    assert result.versions_added == 0
    assert len(wayback.log) == 1


def test_real_cdx_pages_are_followed_by_their_resume_keys(wayback):
    recorded = {e["file"]: e for e in json.loads((WAYBACK / "requests.json").read_text())}
    keys = [None]
    for n, page in enumerate(CNN_PAGES):
        wayback.cdx[("cnn.com", keys[-1])] = (200, page.read_bytes(), {})
        keys.append(parse_cdx(page.read_text()).resume_key)
    with Fetcher() as fetcher:
        client = WaybackClient(fetcher, base_url=wayback.url, cdx_requests_per_s=0)
        entries = list(client.captures("cnn.com"))
    assert not [e for e in entries if isinstance(e, CdxProblem)]
    records = [e for e in entries if isinstance(e, CdxRecord)]
    assert len(records) == 14 * 25
    assert records[0].captured_at == datetime(2001, 4, 10, 21, 39, 30, tzinfo=UTC)
    assert records[0].original == "http://www.cnn.com:80/" and records[0].mimetype == "text/html"
    assert [r.timestamp for r in records] == sorted(r.timestamp for r in records)
    # Each page was asked for with the resume key the real server gave, encoded as the
    # recorded real requests encode it.
    sent = [q.get("resumeKey", [None])[0] for _, q in wayback.log]
    assert sent == keys[:15]
    for n, page in enumerate(CNN_PAGES):
        real = parse_qs(urlsplit(recorded[page.name]["request_uri"]).query)
        assert real.get("resumeKey", [None])[0] == sent[n]


def test_recorded_malformed_and_bad_timestamp_answers_are_reported_per_line():
    page = parse_cdx((WAYBACK / "cdx_malformed_sample.txt").read_text())
    assert [r.timestamp for r in page.records] == ["20200418003811", "20200418005903",
                                                  "20200418140810", "20200418174447"]
    assert [r.status for r in page.records] == [200, 200, 301, 404]
    (problem,) = page.problems
    assert problem.line_no == 5 and "not an http(s) URL" in problem.message
    page = parse_cdx((WAYBACK / "cdx_bad_timestamp_sample.txt").read_text())
    assert [p.line_no for p in page.problems] == [4, 5]
    assert all("not a real date" in p.message for p in page.problems)
    assert len(page.records) == 3 and page.resume_key is None
    assert parse_cdx("").records == [] and parse_cdx((CNN_PAGES[-1]).read_text()).resume_key is None
    with pytest.raises(CdxError):
        parse_cdx("<!DOCTYPE html><title>Error</title>")


def test_pacing_and_retry_after_without_a_clock():
    slept: list[float] = []
    now = [100.0]

    class Failing:
        """A fetcher that answers 429 twice, then succeeds (no network involved)."""

        calls = 0

        def fetch(self, url):
            Failing.calls += 1
            if Failing.calls <= 2:
                err = FetchError("HTTP 429", url=url, status=429, transient=True)
                err.retry_after = "7" if Failing.calls == 1 else None
                raise err
            return "page"

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    client = WaybackClient(Failing(), cdx_requests_per_s=2.0, sleep=sleep, clock=lambda: now[0])
    assert client._get("http://x/", client._cdx, "testing") == "page"
    # Retry-After: 7 s, then (no header) a back-off of 2 s; each 429 halved the pace.
    assert slept == [7.0, 2.0]
    assert client._get("http://x/", client._cdx, "testing") == "page"
    assert slept == [7.0, 2.0, 2.0]  # now one request per 2 s
    assert retry_after_s("120") == 120.0
    when = datetime(2020, 1, 1, 0, 1, tzinfo=UTC)
    assert retry_after_s("Wed, 01 Jan 2020 00:01:30 GMT", now=when) == 30.0
    assert retry_after_s("soon") is None and retry_after_s(None) is None


@given(st.datetimes(min_value=datetime(1996, 1, 1), max_value=datetime(2100, 1, 1)))
def test_timestamps_round_trip(dt):
    dt = dt.replace(microsecond=0, tzinfo=UTC)
    ts = format_timestamp(dt)
    assert len(ts) == 14 and parse_timestamp(ts) == dt
    assert parse_capture_url(f"https://web.archive.org/web/{ts}id_/http://a.b/c?d=1") == (
        ts, "http://a.b/c?d=1")


cdx_fields = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                     max_size=20)


@given(st.lists(st.tuples(cdx_fields, st.datetimes(min_value=datetime(1996, 1, 1),
                                                    max_value=datetime(2100, 1, 1)),
                          st.from_regex(r"[a-z0-9/._-]{0,20}", fullmatch=True),
                          st.sampled_from(["text/html", "unk", "warc/revisit"]),
                          st.sampled_from(["200", "-", "301"]), cdx_fields,
                          st.sampled_from(["-", "1234"])), max_size=8),
       st.one_of(st.none(), cdx_fields))
def test_cdx_lines_round_trip(rows, resume):
    lines = [f"{k} {format_timestamp(t)} http://example.com/{p} {m} {s} {d} {n}"
             for k, t, p, m, s, d, n in rows]
    text = "\n".join(lines) + ("\n\n" + resume + "\n" if resume else "\n")
    page = parse_cdx(text)
    assert page.problems == [] and page.resume_key == resume
    assert [(r.urlkey, r.timestamp, r.digest) for r in page.records] == [
        (k, format_timestamp(t), d) for k, t, _, _, _, d, _ in rows]
    assert [r.status for r in page.records] == [None if s == "-" else int(s)
                                                for _, _, _, _, s, _, _ in rows]


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 30)),
       st.sampled_from([4, 6, 8, 10, 12, 14]))
def test_time_bounds_enclose_every_time_of_their_period(dt, digits):
    dt = dt.replace(microsecond=0, tzinfo=UTC)
    prefix = format_timestamp(dt)[:digits]
    start, end = parse_time_bound(prefix), parse_time_bound(prefix, end=True)
    assert start <= dt <= end
    assert format_timestamp(start).startswith(prefix) and format_timestamp(end).startswith(prefix)
    assert not format_timestamp(end + timedelta(seconds=1)).startswith(prefix)
    if digits in (4, 6, 8):
        iso = "-".join(x for x in (prefix[:4], prefix[4:6], prefix[6:8]) if x)
        assert (parse_time_bound(iso), parse_time_bound(iso, end=True)) == (start, end)


def test_time_bound_forms_and_errors():
    assert parse_time_bound("2016-09-29T10:02:00Z") == datetime(2016, 9, 29, 10, 2,
                                                               tzinfo=UTC)
    assert parse_time_bound("2016-09-29T12:02:00+02:00") == datetime(2016, 9, 29, 10, 2,
                                                                    tzinfo=UTC)
    assert parse_time_bound("2016-02", end=True) == datetime(2016, 2, 29, 23, 59, 59,
                                                            tzinfo=UTC)
    for bad in ("yesterday", "2016-13", "20161301", "16-09-29"):
        with pytest.raises(ValueError):
            parse_time_bound(bad)
    assert "from=20160101000000" in cdx_query_url("https://web.archive.org", "x.org",
                                                  since=parse_time_bound("2016"))
