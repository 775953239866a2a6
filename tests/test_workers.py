"""Extraction in worker processes gives exactly what extraction in the calling thread
gives (real recorded pages; real processes; a real run through the replay server)."""

from __future__ import annotations

import os
import signal

import pytest
from conftest import DATA, git, run_gitnews

from gitnews.errors import ConfigError, ExtractionError
from gitnews.pagetext.pipeline import TextSettings
from gitnews.pagetext.pool import (
    ENV_PROCESSES,
    MIN_ITEMS,
    ExtractionPool,
    extract_page,
    extraction,
    processes_for,
)

PAGES = [DATA / "scenarios" / "bbc-2009" / name
         for name in ("6072486-A.stm.html", "7984711-A.stm.html", "7984711-B.stm.html")]
PAGES += [DATA / "scenarios" / "seed-guardian" / "pages" / name
          for name in ("gaps-remain-v1.html", "gaps-remain-v2.html")]
NOT_ARTICLES = [b"", b"%PDF-1.4 not a page", b"<html><body><script>var a = 1;</script></body></html>"]
DROP = TextSettings.from_tables(builtin=False, hosts={"*": ["Advertisement"]})


def _in_thread(body: bytes):
    try:
        return extract_page(body, url="http://example.com/a", settings=DROP)
    except ExtractionError as exc:
        return ("error", str(exc))


def test_pool_gives_the_same_articles_and_errors_as_the_calling_thread():
    bodies = [p.read_bytes() for p in PAGES] + NOT_ARTICLES
    expected = [_in_thread(b) for b in bodies]
    assert sum(isinstance(e, tuple) and e[0] != "error" for e in expected) == len(PAGES)

    with ExtractionPool(2) as pool:
        one_by_one = []
        for body in bodies:
            try:
                one_by_one.append(pool.extract(body, url="http://example.com/a", settings=DROP))
            except ExtractionError as exc:
                one_by_one.append(("error", str(exc)))
        mapped = [("error", str(r)) if isinstance(r, ExtractionError) else r
                  for r in pool.map(bodies, urls=["http://example.com/a"] * len(bodies),
                                    settings=DROP)]
    assert one_by_one == expected
    assert mapped == expected


def test_a_dead_worker_fails_its_page_and_the_pool_falls_back_to_threads():
    body = PAGES[0].read_bytes()
    with ExtractionPool(1) as pool:
        expected = pool.extract(body)
        for pid in list(pool._pool._processes):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(ExtractionError, match="worker process died"):
            pool.extract(body)
        assert pool.extract(body) == expected  # now in this thread


def test_processes_for(monkeypatch):
    monkeypatch.delenv(ENV_PROCESSES, raising=False)
    assert processes_for(1) == 0
    assert processes_for(MIN_ITEMS) in (0, *range(2, 1025))  # every core, when there are 2+
    monkeypatch.setenv(ENV_PROCESSES, "0")
    assert processes_for(10_000) == 0
    monkeypatch.setenv(ENV_PROCESSES, "3")
    assert processes_for(1) == 3
    with extraction(1) as extract:
        assert extract.__self__.processes == 3
    monkeypatch.setenv(ENV_PROCESSES, "many")
    with pytest.raises(ConfigError, match=ENV_PROCESSES):
        processes_for(1)


def test_run_with_worker_processes_stores_the_same_texts(replay, tmp_path):
    """The bbc-2009 scenario polled twice, extracting in threads and in processes."""
    trees = []
    for processes in ("0", "2"):
        archive = tmp_path / f"archive-{processes}"
        server = replay(DATA / "scenarios" / "bbc-2009")
        env = server.env(**{ENV_PROCESSES: processes})
        run_gitnews("add", "--archive", str(archive),
                    "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml",
                    env=env, check=True)
        for step in (0, 1):
            server.step(step)
            run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
        trees.append(git(archive, "rev-parse", "HEAD^{tree}"))
        log = git(archive, "log", "--format=%s%n%(trailers:key=Version,key=Article-Url)")
        assert "Version: 2" in log
    assert trees[0] == trees[1]


def test_pool_extract_article_is_the_thread_s_article():
    from gitnews.pagetext.extract import extract_article

    with ExtractionPool(2) as pool:
        for path in PAGES:
            body = path.read_bytes()
            assert pool.extract_article(body, url="http://example.com/a") == extract_article(
                body, url="http://example.com/a")
        with pytest.raises(ExtractionError, match="no article text"):
            pool.extract_article(NOT_ARTICLES[2])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="watches processes through /proc")
def test_die_with_parent_workers_ignore_sigint_and_end_with_a_killed_parent(tmp_path):
    """A pool made with die_with_parent=True, in a process then SIGKILLed: its workers
    end too (else they would keep the archive's write lock and the caller's pipes).
    Without it, they stay (the reason for the option)."""
    import subprocess
    import sys
    import time

    script = tmp_path / "pool.py"
    script.write_text(
        "import sys, time\n"
        "from gitnews.pagetext.pool import ExtractionPool\n"
        "pool = ExtractionPool(2, die_with_parent=sys.argv[1] == '1')\n"
        "print(*pool._pool._processes, flush=True)\n"
        "time.sleep(60)\n")
    leftovers = []
    try:
        for bound in ("1", "0"):
            proc = subprocess.Popen([sys.executable, str(script), bound], stdout=subprocess.PIPE,
                                    text=True)
            workers = [int(pid) for pid in proc.stdout.readline().split()]
            leftovers += workers
            assert len(workers) == 2 and all(_alive(pid) for pid in workers)
            if bound == "1":
                os.kill(workers[0], signal.SIGINT)  # Ctrl-C is for the parent to handle
                time.sleep(0.5)
                assert _alive(workers[0]), "a worker died of SIGINT"
            proc.kill()
            proc.wait()
            deadline = time.monotonic() + (10 if bound == "1" else 1)
            while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.05)
            if bound == "1":
                assert not any(_alive(pid) for pid in workers)
            else:
                assert all(_alive(pid) for pid in workers)  # orphans: what the option prevents
    finally:
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
