"""The checks of a run go on while the thread that records their outcomes is
busy: the worker threads take their next article themselves (gitnews.ops.checks.checks),
within the per-host and memory limits.  Real loopback server (tests/politeserver.py),
real recorded page (tests/data/scenarios/bbc-2009, see its README), real git archive."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import DATA, init_test_archive
from politeserver import Reply, rss

from gitnews.archive.repo import open_archive
from gitnews.models import Outcome
from gitnews.ops.run import run
from gitnews.ops.tracking import add

PAGE = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()
CONCURRENCY = 2


@pytest.fixture
def server(polite_proxy):
    return polite_proxy


def test_checks_go_on_while_the_recording_thread_is_busy(server, tmp_path):
    links = [f"http://a.test/news/{i}" for i in range(24)]
    server.route("http://a.test/feed.xml", Reply(body=rss(links),
                                                 content_type="application/rss+xml"))
    for link in links:
        server.route(link, Reply(body=PAGE))
    archive = init_test_archive(tmp_path / "a", concurrency=CONCURRENCY, per_host=CONCURRENCY)
    with open_archive(archive, lock=True) as arc:
        add(arc, ["http://a.test/feed.xml"], kind="feed")
        first = run(arc)
    assert first.count(Outcome.NEW) == len(links), first.failures

    def article_requests() -> int:
        return sum(1 for r in server.requests_to("a.test") if r["path"].startswith("/news/"))

    before = article_requests()
    held: list[int] = []

    def progress(done: int, total: int, item) -> None:
        if item.kind != "article" or held:
            return
        # The recording thread is held here, after its first article; the workers
        # must keep fetching: up to 3 outcomes each waiting, plus one each under way.
        give_up = time.monotonic() + 20
        while article_requests() - before < 3 * CONCURRENCY and time.monotonic() < give_up:
            time.sleep(0.01)
        held.append(article_requests() - before)

    with open_archive(archive, lock=True) as arc:
        again = run(arc, check_all=True, progress=progress)
    assert held and held[0] >= 3 * CONCURRENCY, held
    assert again.count(Outcome.UNCHANGED) == len(links), again.failures
    assert server.max_in_flight["a.test"] <= CONCURRENCY
    assert not [t for t in threading.enumerate() if t.name.startswith("gitnews-")]
