"""Polite fetching, end to end, against a real loopback server that records
what it was asked (tests/politeserver.py): the User-Agent, robots.txt (read
once a day, obeyed, Crawl-delay), conditional requests, per-host concurrency
and delays, Retry-After in both forms, retries of transient failures.

Article bodies are real recorded pages (tests/data/scenarios/bbc-2009, see its
README); feeds are small generated RSS documents listing them.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from politeserver import PoliteServer, Reply, rss

from gitnews import __version__
from gitnews.archive.repo import open_archive
from gitnews.ops.run import run

PAGE = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()
PAGE_V2 = (DATA / "scenarios" / "bbc-2009" / "7984711-A.stm.html").read_bytes()
ALLOW_ALL = Reply(body=b"User-agent: *\nAllow: /\n", content_type="text/plain")


def page(delay_s: float = 0.0, body: bytes = PAGE) -> Reply:
    return Reply(body=body, delay_s=delay_s, content_type="text/html")


def feed(links: list[str]) -> Reply:
    return Reply(body=rss(links), content_type="application/rss+xml")


@pytest.fixture
def server():
    s = PoliteServer()
    yield s
    s.close()


@pytest.fixture
def proxied(server, monkeypatch):
    """In-process runs go through the server too (httpx reads HTTP_PROXY)."""
    for key, value in server.env({}).items():
        monkeypatch.setenv(key, value)
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    return server


def by_start(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: r["start"])


def track(archive, env, *feeds: str) -> None:
    run_gitnews("add", "--feed", "--archive", str(archive), *feeds, env=env, check=True)


def test_user_agent_robots_once_a_day_and_conditional_rechecks(server, proxied, tmp_path):
    archive = init_test_archive(tmp_path / "a", contact="mailto:news@example.org")
    server.route("http://a.test/robots.txt", ALLOW_ALL)  # b.test has none: 404, no rules
    server.route("http://a.test/feed.xml", feed(["http://a.test/1", "http://b.test/2"]))
    server.route("http://a.test/1", page())
    server.route("http://b.test/2", page())
    env = server.env()
    track(archive, env, "http://a.test/feed.xml")
    first = run_gitnews("run", "--archive", str(archive), env=env, check=True)
    assert "NEW 2, CHANGED 0, UNCHANGED 0, FAILED 0" in first.stdout
    mark = len(server.requests_to())
    second = run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    assert "NEW 0, CHANGED 0, UNCHANGED 2, FAILED 0" in second.stdout

    assert {r["user-agent"] for r in server.requests_to()} == \
        {f"gitnews/{__version__} (+mailto:news@example.org)"}
    # One robots.txt per host over both runs, each before anything else on its host.
    assert sorted(r["host"] for r in server.requests_to(path="/robots.txt")) == \
        ["a.test", "b.test"]
    for host in ("a.test", "b.test"):
        assert by_start(server.requests_to(host))[0]["path"] == "/robots.txt"
    # Every re-check (feed and articles) was conditional and answered 304.
    again = server.requests_to()[mark:]
    assert len(again) == 3
    assert all(r["if-none-match"] and r["if-modified-since"] and r["status"] == 304
               for r in again)

    # A day later (the clock is injected) robots.txt is read again, once per host,
    # and the schedule's own re-checks are conditional too.
    mark = len(server.requests_to())
    later = datetime.now(UTC) + timedelta(hours=25)
    with open_archive(archive) as arc:
        result = run(arc, now=lambda: later)
    assert [i.outcome.value for i in result.items if i.kind == "article"] == \
        ["UNCHANGED", "UNCHANGED"]
    day2 = server.requests_to()[mark:]
    assert sorted(r["host"] for r in day2 if r["path"] == "/robots.txt") == ["a.test", "b.test"]
    assert all(r["if-none-match"] and r["status"] == 304 for r in day2
               if r["path"] != "/robots.txt")


def test_disallowed_urls_are_reported_not_fetched_and_exit_0(server, tmp_path):
    archive = init_test_archive(tmp_path / "a")
    server.route("http://a.test/robots.txt",
                 Reply(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    server.route("http://b.test/robots.txt",
                 Reply(body=b"User-agent: gitnews\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
                       content_type="text/plain"))
    server.route("http://a.test/feed.xml",
                 feed(["http://a.test/private/1", "http://a.test/public/1"]))
    server.route("http://b.test/feed.xml", feed(["http://b.test/x"]))
    for url in ("http://a.test/private/1", "http://a.test/public/1", "http://b.test/x"):
        server.route(url, page())
    env = server.env()
    track(archive, env, "http://a.test/feed.xml", "http://b.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0, SKIPPED 1" in r.stdout  # articles
    assert "SKIPPED article http://a.test/private/1: http://a.test/robots.txt disallows" \
        in r.stdout
    assert "SKIPPED feed http://b.test/feed.xml: http://b.test/robots.txt disallows" in r.stdout
    assert not server.requests_to("a.test", "/private/1")
    assert [x["path"] for x in server.requests_to("b.test")] == ["/robots.txt"]

    # The user has a.test's permission: its robots.txt is ignored for it (only).
    text = (archive / "gitnews.toml").read_text(encoding="utf-8")
    (archive / "gitnews.toml").write_text(
        text.replace("ignore_robots_for = []", 'ignore_robots_for = ["a.test"]'), encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "permit")
    r = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    assert r.returncode == 0 and "NEW 1" in r.stdout, r.stdout + r.stderr
    assert len(server.requests_to("a.test", "/private/1")) == 1
    assert [x["path"] for x in server.requests_to("b.test")] == ["/robots.txt"]


def test_at_most_two_requests_at_once_per_host_and_hosts_in_parallel(server, tmp_path):
    archive = init_test_archive(tmp_path / "a")
    hosts = ("a.test", "b.test", "c.test")
    links = [f"http://{h}/{i}" for i in range(5) for h in hosts]
    server.route("http://feeds.test/feed.xml", feed(links))
    for link in links:
        server.route(link, page(delay_s=0.3))
    env = server.env()
    track(archive, env, "http://feeds.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 0 and "NEW 15" in r.stdout, r.stdout + r.stderr
    assert {h: server.max_in_flight[h] for h in hosts} == {h: 2 for h in hosts}
    assert server.max_total_in_flight >= 4  # several hosts at once


def test_delay_between_requests_and_crawl_delay(server, tmp_path):
    archive = init_test_archive(tmp_path / "a", min_delay_s=0.3)
    server.route("http://slow.test/robots.txt",
                 Reply(body=b"User-agent: *\nCrawl-delay: 0.6\n", content_type="text/plain"))
    links = [f"http://{h}/{i}" for i in range(3) for h in ("slow.test", "plain.test")]
    server.route("http://feeds.test/feed.xml", feed(links))
    for link in links:
        server.route(link, page())
    env = server.env()
    track(archive, env, "http://feeds.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 0 and "NEW 6" in r.stdout, r.stdout + r.stderr
    for host, gap in (("slow.test", 0.6), ("plain.test", 0.3)):
        starts = [x["start"] for x in by_start(server.requests_to(host))
                  if x["path"] != "/robots.txt"]
        assert len(starts) == 3
        # Measured at the server: allow for the requests' travel time, which a loaded
        # machine stretches (0.52 s was seen for 0.6 s). Still well above min_delay_s for
        # slow.test (the crawl delay counts) and far from 0 for plain.test (spaced out).
        assert all(b - a >= gap - 0.12 for a, b in zip(starts, starts[1:])), (host, starts)


def test_retry_after_seconds_backs_off_that_host_only(server, tmp_path):
    archive = init_test_archive(tmp_path / "a")
    busy = ["http://busy.test/1", "http://busy.test/2"]
    calm = [f"http://calm.test/{i}" for i in range(8)]
    server.route("http://feeds.test/feed.xml", feed(busy + calm))
    server.route(busy[0], Reply(status=429, headers={"Retry-After": "1.5"}), page())
    server.route(busy[1], page())
    for link in calm:
        server.route(link, page(delay_s=0.2))
    env = server.env()
    track(archive, env, "http://feeds.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NEW 10, CHANGED 0, UNCHANGED 0, FAILED 0" in r.stdout  # waited, then fetched
    refused = next(x for x in server.requests_to("busy.test") if x["status"] == 429)
    # A request already under way when the 429 came back (per_host = 2) may
    # arrive just after it; any request sent later waits for Retry-After.
    after = [x for x in server.requests_to("busy.test") if x["start"] > refused["end"] + 0.05]
    assert after and all(x["start"] >= refused["end"] + 1.5 - 0.02 for x in after), \
        [(x["path"], x["start"] - refused["end"]) for x in after]
    window = [x for x in server.requests_to("calm.test")
              if refused["end"] < x["start"] < refused["end"] + 1.5]
    assert window, "the other host was held up too"


def test_retry_after_http_date_leaves_the_host_for_later_runs(server, tmp_path):
    archive = init_test_archive(tmp_path / "a")
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(hours=1),
                                        usegmt=True)
    server.route("http://feeds.test/feed.xml", feed(["http://busy.test/1", "http://calm.test/1"]))
    server.route("http://busy.test/1", Reply(status=503, headers={"Retry-After": later}))
    server.route("http://calm.test/1", page())
    env = server.env()
    track(archive, env, "http://feeds.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0, SKIPPED 1" in r.stdout
    assert "SKIPPED article http://busy.test/1: busy.test answered HTTP 503" in r.stdout
    asked = len(server.requests_to("busy.test"))
    assert [x["status"] for x in server.requests_to("busy.test")] == [404, 503]  # robots, page
    # The next run (even --all) does not ask busy.test before the hour is over,
    # while calm.test is checked; the article is still waiting, not failed.
    r = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    assert r.returncode == 0 and "UNCHANGED 1, FAILED 0, SKIPPED 1" in r.stdout, r.stdout
    assert len(server.requests_to("busy.test")) == asked
    assert len(server.requests_to("calm.test", "/1")) == 2


def test_transient_failures_are_retried_and_counted_as_a_streak(server, tmp_path):
    archive = init_test_archive(tmp_path / "a", retry_base_s=0.05)
    server.route("http://feeds.test/feed.xml", feed(["http://a.test/flaky", "http://a.test/down"]))
    server.route("http://a.test/flaky", Reply(status=500), Reply(status=502), page())
    server.route("http://a.test/down", page())
    env = server.env()
    track(archive, env, "http://feeds.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert "NEW 2, CHANGED 0, UNCHANGED 0, FAILED 0" in r.stdout, r.stdout + r.stderr
    assert [x["status"] for x in server.requests_to("a.test", "/flaky")] == [500, 502, 200]

    server.route("http://a.test/down", Reply(status=503))
    for streak in (1, 2):
        r = run_gitnews("run", "--all", "--archive", str(archive), env=env)
        assert r.returncode == 1 and "FAILED 1" in r.stdout
        assert "FAILED article http://a.test/down: HTTP 503" in r.stderr
        with open_archive(archive) as arc:
            record = arc.state.lookup("http://a.test/down")
            assert record.failures == streak
    assert len(server.requests_to("a.test", "/down")) == 1 + 2 * 3  # 2 retries each time


def test_caps_on_every_fetch(server, proxied):
    import gzip

    from gitnews.errors import BlockedURLError, FetchError, TooLargeError
    from gitnews.sources.http import Fetcher

    bomb = gzip.compress(b"<p>" + b"x" * 50_000 + b"</p>")  # small on the wire, big inside
    server.route("http://a.test/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    server.route("http://a.test/ftp", Reply(status=302, headers={"Location": "ftp://a.test/x"}))
    server.route("http://a.test/loop1", Reply(status=302, headers={"Location": "/loop2"}))
    server.route("http://a.test/loop2", Reply(status=302, headers={"Location": "/loop3"}))
    server.route("http://a.test/loop3", Reply(status=302, headers={"Location": "/loop1"}))
    with Fetcher(max_bytes=10_000, max_redirects=1, min_delay_s=0) as fetcher:
        assert len(bomb) < 10_000
        with pytest.raises(TooLargeError, match="over the limit of 10,000 bytes"):
            fetcher.fetch("http://a.test/bomb")
        with pytest.raises(BlockedURLError, match="only http and https"):
            fetcher.fetch("http://a.test/ftp")
        with pytest.raises(FetchError, match="more than 1 redirects"):
            fetcher.fetch("http://a.test/loop1")
        with pytest.raises(BlockedURLError):
            fetcher.fetch("file:///etc/passwd")
    assert not server.requests_to("a.test", "/x")


def test_retry_after_holds_for_every_request_to_the_host(server, tmp_path):
    """Issue 13, item 8: a host answers 429 with ``Retry-After: 1``; no later request to
    it starts before that time, in any worker, also one that took its slot (per_host = 2,
    min_delay_s) before the 429 came back.  Checked at the server, by request start times."""
    archive = init_test_archive(tmp_path / "a", min_delay_s=0.3, concurrency=4)
    links = [f"http://busy.test/story-{i}" for i in range(4)]
    server.route("http://feeds.test/feed.xml", feed(links))
    for link in links:  # every article is refused once, then served
        server.route(link, Reply(status=429, headers={"Retry-After": "1"}), page())
    env = server.env()
    track(archive, env, "http://feeds.test/feed.xml")
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NEW 4, CHANGED 0, UNCHANGED 0, FAILED 0" in r.stdout, r.stdout
    asked = by_start(server.requests_to("busy.test"))
    assert [x["status"] for x in asked].count(429) == 4
    early = []
    for refused in (x for x in asked if x["status"] == 429):
        # Only a request on its way when the 429 left the server (it started before the
        # answer was complete, or within 0.1 s: travel and a loaded machine's thread
        # switches) may start early.  Before the fix, requests came 0.2-0.8 s after it.
        early += [(x["path"], round(x["start"] - refused["end"], 3)) for x in asked
                  if refused["end"] + 0.1 < x["start"] < refused["end"] + 1.0 - 0.02]
    assert not early, early
