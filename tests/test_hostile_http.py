"""Hostile and broken responses from a real loopback server (tests/hostile_server.py):
every one gives a clear per-item error (or, for odd but valid pages, a
version), never a crash of the run, never an unbounded resource, and nothing
written outside the archive."""

from __future__ import annotations

import os
import resource
import sys

import pytest
import tomlkit
from conftest import git, run_gitnews
from crash_checks import check_integrity
from hostile_server import MAX_BYTES, ROUTES, TIMEOUT_S, HostileServer

from gitnews.errors import ExtractionError, FetchError
from gitnews.pagetext.extract import extract_article
from gitnews.sources.http import Fetcher


@pytest.fixture(scope="module")
def server():
    with HostileServer() as srv:
        yield srv


#: No politeness pauses or retries against our own loopback server.
FAST = dict(timeout_s=TIMEOUT_S, connect_timeout_s=1.0, max_bytes=MAX_BYTES, max_redirects=10,
            concurrency=2, per_host=8, min_delay_s=0.0, retries=0, max_wait_s=0.0)


@pytest.fixture
def fetcher():
    """A fresh fetcher per test: a 429 makes it back off from the host."""
    with Fetcher(**FAST) as f:
        yield f


def outcome(fetcher: Fetcher, url: str) -> str:
    """"ok" when a page with article text came back, else the error message."""
    try:
        page = fetcher.fetch(url)
        article = extract_article(page.body, url=page.final_url)
    except (FetchError, ExtractionError) as exc:
        assert "http" in str(exc), str(exc)  # says which URL
        return str(exc)
    assert article.paragraphs and article.headline
    assert len(page.body) <= MAX_BYTES
    return "ok"


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_each_hostile_response_gives_a_clear_result(server, fetcher, path):
    expected = ROUTES[path][0]
    got = outcome(fetcher, server.url(path))
    if expected == "ok":
        assert got == "ok", got
    else:
        assert got != "ok" and expected in got, got


def test_compression_bombs_stay_small(server, fetcher):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for path in ("/gzip-bomb", "/double-gzip-bomb", "/deflate-bomb"):
        with pytest.raises(FetchError, match="over the limit"):
            fetcher.fetch(server.url(path))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    # The bombs decode to 50 MB (and 50 GB for the double one); the cap is 0.4 MB.
    assert grown_mb < 100, f"peak memory grew by {grown_mb:.0f} MB"


def test_a_run_over_every_hostile_response(server, tmp_path):
    """One real ``gitnews run`` tracking every route: the run completes, each
    hostile item is FAILED with its reason, only real pages become versions,
    and the only folder written is the archive."""
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = outside / "archive"
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy",
                                                                     "all_proxy")}
    env.update(NO_COLOR="1", HOME=str(tmp_path / "home"))
    paths = [p for p in sorted(ROUTES) if p != "/loop-b"]
    # A 429 makes gitnews leave its host alone for a while (politeness): give it its own host.
    urls = [server.url(p).replace("127.0.0.1", "localhost") if p == "/429" else server.url(p)
            for p in paths]
    run_gitnews("add", "--article", "--archive", str(archive), *urls, env=env, check=True)
    config = archive / "gitnews.toml"
    doc = tomlkit.parse(config.read_text())
    for key, value in FAST.items():
        doc["fetch"][key] = value
    config.write_text(tomlkit.dumps(doc))
    git(archive, "commit", "-qam", "Smaller limits for the test")
    before = sorted(p.name for p in outside.iterdir())

    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    ok = [p for p in paths if ROUTES[p][0] == "ok"]
    # /relative-redirect lands on /ok: the same article, found again (UNCHANGED); the 429 is
    # SKIPPED (the host asked to wait: politeness), every other one FAILED.
    assert (f"NEW {len(ok) - 1}, CHANGED 0, UNCHANGED 1, FAILED {len(paths) - len(ok) - 1}, "
            "SKIPPED 1" in r.stdout), r.stdout + r.stderr
    assert "SKIPPED article http://localhost:" in r.stdout
    failures = {line.split(" article ", 1)[1].split(": ", 1)[0]: line
                for line in r.stderr.splitlines() if line.strip().startswith("FAILED article ")}
    for path in paths:
        url = server.url(path)
        if path == "/429":
            continue
        if ROUTES[path][0] == "ok":
            assert url not in failures
        else:
            assert url in failures and ROUTES[path][0] in failures[url], (path, failures.get(url))
    assert sorted(p.name for p in outside.iterdir()) == before == ["archive"]
    history = check_integrity(archive)
    assert len(history.versions) == len(ok) - 1
    assert all(p.startswith("127.0.0.1_") for p in history.versions)
    assert git(archive, "status", "--porcelain") == ""


@pytest.mark.skipif(sys.platform != "linux", reason="counts open files in /proc")
def test_fetcher_does_not_leak_connections(server):
    fds = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with Fetcher(**FAST) as f:
            for path in ("/ok", "/gzip-bomb", "/half-body", "/loop-a", "/404"):
                try:
                    f.fetch(server.url(path))
                except FetchError:
                    pass
    assert len(os.listdir("/proc/self/fd")) <= fds + 2
