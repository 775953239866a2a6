"""``write_warc`` output replayed by pywb, the web archivists' replay tool (issue 16).

A collection is made with pywb's own ``wb-manager init`` + ``wb-manager add``; ``wayback``
runs on a free loopback port (a subprocess, stopped at the end); each version of a real page
(the 2006 BBC story of tests/data/scenarios/true-versions) is asked for at its time as
``/COLL/<14-digit timestamp>id_/<url>`` (pywb's "identity" mode: the payload as archived),
and the bytes served must be the bytes captured, also for the revisit record of the
version that returned to the first text.

pywb lives in an environment of its own: it pins ``redis==2.10.6``, which Celery (the
``fleet`` extra, in the same test environment) cannot use.  The README's test command makes
it (``python3 -m venv .venv-pywb && .venv-pywb/bin/pip install pywb``); the tests look for its
``wayback`` in ``$GITNEWS_PYWB_BIN``, then ``.venv-pywb/bin`` of the project, then beside
this Python, and skip, saying so, where there is none.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from capture_fixtures import BBC_URL, add_captured_version, new_archive, page

from gitnews.archive.repo import open_archive
from gitnews.output.warcout import write_warc


def _pywb_bin() -> Path | None:
    places = [os.environ.get("GITNEWS_PYWB_BIN"),
              Path(__file__).resolve().parent.parent / ".venv-pywb" / "bin",
              Path(sys.executable).parent]
    for place in places:
        if place and (Path(place) / "wayback").exists() and (Path(place) / "wb-manager").exists():
            return Path(place)
    return None


_BIN = _pywb_bin()
if _BIN is None:
    pytest.skip("pywb is not installed: make its own environment with `python3 -m venv "
                ".venv-pywb && .venv-pywb/bin/pip install pywb` (README, Development)",
                allow_module_level=True)
BIN: Path = _BIN or Path(".")
VERSIONS = [(datetime(2006, 10, 21, 15, 0, tzinfo=UTC), "6072486-A.html"),
            (datetime(2006, 10, 22, 9, 0, tzinfo=UTC), "6072486-B.html"),
            (datetime(2006, 10, 23, 9, 0, tzinfo=UTC), "6072486-A.html")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
        with opener.open(url, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def wayback(tmp_path):
    """Factory: ``wayback(warc_path)`` -> base URL of a running pywb serving collection
    ``news`` made of that file; the server is stopped at the end."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(warc: Path) -> str:
        root = tmp_path / "pywb"
        root.mkdir()
        env = dict(os.environ)
        for key in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
            env.pop(key, None)
        for args in (["init", "news"], ["add", "news", str(warc)]):
            made = subprocess.run([str(BIN / "wb-manager"), *args], cwd=root, env=env,
                                  capture_output=True, text=True)
            if made.returncode != 0:
                pytest.skip(f"pywb's wb-manager {args[0]} failed: {made.stderr[-500:]}")
        port = _free_port()
        log = (tmp_path / "wayback.log").open("wb")
        proc = subprocess.Popen([str(BIN / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                                cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.skip("pywb's wayback did not start: "
                            + (tmp_path / "wayback.log").read_text(errors="replace")[-500:])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("pywb's wayback did not answer within 60 s")
                time.sleep(0.2)
        return base

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_pywb_replays_every_version_with_the_bytes_captured(tmp_path, wayback):
    archive = new_archive(tmp_path / "archive")
    for when, name in VERSIONS:
        add_captured_version(archive, BBC_URL, when, page(name))
    out = tmp_path / "news.warc.gz"
    with open_archive(archive) as arc:
        report = write_warc(arc, out)
    assert (report.responses, report.revisits) == (2, 1)
    base = wayback(out)
    for when, name in VERSIONS:
        stamp = when.strftime("%Y%m%d%H%M%S")
        status, body = _get(f"{base}/news/{stamp}id_/{BBC_URL}")
        assert status == 200, (stamp, body[:300])
        assert body == page(name), stamp
    # a time between two versions gives the closest capture before or after (pywb's rule);
    # an unknown URL is a 404, not a crash
    status, _ = _get(f"{base}/news/20061021160000id_/{BBC_URL}")
    assert status == 200
    status, _ = _get(f"{base}/news/20061021160000id_/http://news.bbc.co.uk/not-archived")
    assert status == 404


def test_pywb_replays_the_captures_of_real_runs(replay, tmp_path, wayback):
    """Captures written by real runs (the loopback replay server, bbc-2009): the export
    passes ``warcio check`` and pywb serves each version's page as the server sent it."""
    from conftest import DATA
    from scenario_checks import run_steps

    scenario = DATA / "scenarios" / "bbc-2009"
    feed = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, [feed], 2)
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    out = tmp_path / "runs.warc.gz"
    with open_archive(archive) as arc:
        report = write_warc(arc, out)
    assert report.problems == [] and report.without_capture == 0
    assert (report.captures, report.responses) == (3, 3)
    check = subprocess.run([str(BIN / "warcio"), "check", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    base = wayback(out)
    story = "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm"
    with open_archive(archive) as arc:
        from gitnews.archive.history import versions

        found = versions(arc.repo, "news.bbc.co.uk/1/hi/uk_politics/7984711.txt")
    assert len(found) == 2
    for version, name in zip(found, ("7984711-A.stm.html", "7984711-B.stm.html"), strict=True):
        stamp = version.fetched_at.strftime("%Y%m%d%H%M%S")
        status, body = _get(f"{base}/news/{stamp}id_/{story}")
        assert status == 200
        assert body == (scenario / name).read_bytes(), (stamp, name)


def test_pywb_replays_a_version_a_304_confirmed(tmp_path, wayback):
    """The capture of a version a 304 confirmed (the page held, then the 304 as a
    server-not-modified revisit, gitnews.archive.captures.not_modified_warc), exported:
    pywb resolves the revisit (it finds the page it refers to: no 503) and, as for any
    crawler's 304 revisit, replays what the server said at that time, a 304 (its
    headers, ukwa/ukwa-pywb#40); the page itself is served at the time it was fetched,
    and pywb's CDX index lists both."""
    from datetime import timedelta

    from gitnews.archive.captures import NOT_MODIFIED_PROFILE, fetch_warc, not_modified_warc
    from gitnews.models import Exchange

    archive = new_archive(tmp_path / "archive")
    (t1, first), (t2, second) = VERSIONS[0], VERSIONS[1]
    add_captured_version(archive, BBC_URL, t1, page(first))

    def exchange(status: int, reason: str, body: bytes, when: datetime) -> Exchange:
        return Exchange(method="GET", url=BBC_URL, http_version="HTTP/1.1",
                        request_headers=(("Host", "news.bbc.co.uk"),), status=status,
                        reason=reason, response_headers=(("Content-Type", "text/html"),
                                                         ("ETag", '"b"')),
                        body=body, sent_at=when)

    held = fetch_warc(exchange(200, "OK", page(second), t2 - timedelta(hours=1)))
    capture = not_modified_warc(held, exchange(304, "Not Modified", b"", t2))
    add_captured_version(archive, BBC_URL, t2, page(second), warc=capture)
    out = tmp_path / "news.warc.gz"
    with open_archive(archive) as arc:
        report = write_warc(arc, out)
    assert (report.responses, report.revisits, report.requests) == (2, 1, 3)
    assert NOT_MODIFIED_PROFILE.encode() in __import__("gzip").decompress(out.read_bytes())
    base = wayback(out)
    for when, name in ((t1, first), (t2 - timedelta(hours=1), second)):
        stamp = when.strftime("%Y%m%d%H%M%S")
        status, body = _get(f"{base}/news/{stamp}id_/{BBC_URL}")
        assert status == 200, (stamp, body[:300])
        assert body == page(name), stamp
    status, body = _get(f"{base}/news/{t2.strftime('%Y%m%d%H%M%S')}id_/{BBC_URL}")
    assert (status, body) == (304, b"")
    status, index = _get(f"{base}/news/cdx?url={BBC_URL}&output=json")
    rows = [__import__("json").loads(line) for line in index.decode().splitlines()]
    assert status == 200 and [(r["timestamp"], r.get("status"), r["mime"]) for r in rows] == [
        (t1.strftime("%Y%m%d%H%M%S"), "200", "text/html"),
        ((t2 - timedelta(hours=1)).strftime("%Y%m%d%H%M%S"), "200", "text/html"),
        (t2.strftime("%Y%m%d%H%M%S"), None, "warc/revisit")], rows
