"""``gitnews run --watch``: a long-running loop that stays flat, and stops
cleanly on SIGINT/SIGTERM with exit status 0.

The 1,000-cycle test runs the core loop (:func:`gitnews.ops.watch.watch`) with an
injected clock and sleep against the real replay server (a separate process,
so that its memory and files are not counted): time passes in leaps, feeds
and articles come due, the story changes every 100 cycles (so commits, and
their ``git fast-import`` processes, happen), and the process's memory, open
files, threads and child processes are compared between cycle 100 and 1000.
"""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from politeserver import PoliteServer, Reply, rss

from gitnews.archive.repo import open_archive
from gitnews.ops.watch import watch

BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
PAGE = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()

linux_only = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="counts files and processes through /proc")


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def _children(*, besides: tuple[int, ...] = ()) -> int:
    """Child processes of this process (zombies included), except ``besides``."""
    me = str(os.getpid())
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) not in besides:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                n += 1
    return n


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Clock:
    def __init__(self, start: datetime) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


@linux_only
def test_watch_1000_cycles_stays_flat(replay, tmp_path, monkeypatch):
    server = replay(DATA / "scenarios" / "bbc-2009")
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("http_proxy", server.url)
    archive = init_test_archive(tmp_path / "a")
    run_gitnews("add", "--feed", "--archive", str(archive), BBC_FEED, env=server.env(),
                check=True)
    clock = Clock(datetime.now(UTC))
    samples: dict[int, dict] = {}
    cycles = {"n": 0, "items": 0, "versions": 0}
    stop = threading.Event()

    def on_cycle(result, wake_at) -> None:
        cycles["n"] += 1
        cycles["items"] += sum(1 for i in result.items if i.kind == "article")
        cycles["versions"] += sum(1 for i in result.items if i.version)
        assert not result.failures, result.failures
        n = cycles["n"]
        if n % 100 == 0:
            server.step((n // 100) % 2)  # the story changes back and forth
        if n in (100, 1000):
            gc.collect()
            samples[n] = {"files": _open_files(), "children": _children(besides=(server.proc.pid,)),
                          "threads": threading.active_count(), "rss_kib": _rss_kib(),
                          "objects": len(gc.get_objects())}

    # Processes an earlier test of the same pytest process left (not the watch's): the
    # watch must add none to them.
    baseline = _children(besides=(server.proc.pid,))
    with open_archive(archive) as arc:
        # A cycle wakes at least every 2 minutes (fake time): most cycles have
        # nothing due, every fifth or so reads the feed, some check articles.
        ran = watch(arc, stop=stop, interval_s=120, now=clock, sleep=clock.sleep,
                    on_cycle=on_cycle, max_cycles=1000)
    assert ran == 1000 and cycles["n"] == 1000
    # Real work was done: the first version, the change and two reverts; after that the
    # back-and-forth is only counted (an alternating article, see gitnews.versions.record).
    assert cycles["items"] > 50 and cycles["versions"] >= 4, cycles
    before, after = samples[100], samples[1000]
    print("watch samples", cycles, samples, "baseline", baseline)
    assert after["children"] == before["children"] == baseline, (baseline, samples)
    assert after["files"] <= before["files"], samples
    assert after["threads"] <= before["threads"], samples
    # A leak of even two objects a cycle would show as ~1,800 more here.
    assert after["objects"] - before["objects"] < 500, samples
    assert after["rss_kib"] - before["rss_kib"] < 20_000, samples
    assert git(archive, "status", "--porcelain") == ""
    assert clock.t - datetime.now(UTC) > timedelta(days=1)  # time did pass


# -- the command, with signals -----------------------------------------------------------------
@pytest.fixture
def server():
    s = PoliteServer()
    yield s
    s.close()


def start_watch(archive: Path, env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gitnews", "run", "--watch", "--interval", "1s",
                             "--archive", str(archive), *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_watch_sigterm_stops_cleanly_with_status_0(server, tmp_path):
    archive = init_test_archive(tmp_path / "a")
    server.route("http://feeds.test/feed.xml", Reply(body=rss(["http://a.test/1"]),
                                                     content_type="application/rss+xml"))
    server.route("http://a.test/1", Reply(body=PAGE))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), "http://feeds.test/feed.xml",
                env=env, check=True)
    proc = start_watch(archive, env)
    try:
        first = proc.stdout.readline()  # the first run's NEW line
        assert first.startswith("[") and "NEW" in first, first + proc.stderr.read()
        time.sleep(1.5)  # a sleep or two between runs
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "watch stopped after" in err and "Traceback" not in err
    assert git(archive, "status", "--porcelain") == ""
    assert "New: Son-in-law remanded over killing" in git(archive, "log", "--format=%s")


def _one_slow_article(server, tmp_path: Path) -> tuple[Path, dict[str, str], str]:
    """An archive tracking a feed of one article that takes 2 s to fetch: the
    archive, the environment to run gitnews in, and the branch's commit."""
    archive = init_test_archive(tmp_path / "a")
    server.route("http://feeds.test/feed.xml", Reply(body=rss(["http://a.test/1"]),
                                                     content_type="application/rss+xml"))
    server.route("http://a.test/1", Reply(body=PAGE, delay_s=2.0))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), "http://feeds.test/feed.xml",
                env=env, check=True)
    return archive, env, git(archive, "rev-parse", "HEAD")


def _interrupt_while_fetching(proc: subprocess.Popen, server, signals: int
                              ) -> tuple[str, str, subprocess.Popen]:
    """SIGINT ``signals`` times once the article is being fetched; its output."""
    try:
        wait_for(lambda: server.in_flight.get("a.test", 0) > 0)
        for _ in range(signals):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.2)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return out, err, proc


@pytest.mark.parametrize("signals", [1, 2], ids=["finish", "abandon"])
def test_watch_sigint_finishes_or_abandons_the_work_in_flight(server, tmp_path, signals):
    archive, env, head = _one_slow_article(server, tmp_path)
    out, err, proc = _interrupt_while_fetching(start_watch(archive, env), server, signals)
    # The rule of every long command: 130 when work was left undone (here: abandoned).
    assert proc.returncode == (0 if signals == 1 else 130), err
    assert "Traceback" not in err
    subjects = git(archive, "log", "--format=%s")
    if signals == 1:   # the check under way was finished and committed
        assert "stopping after the work in flight" in err
        assert "New: Son-in-law remanded over killing" in subjects
    else:              # abandoned: nothing committed, nothing damaged
        assert "abandoning the work in flight" in err
        assert git(archive, "rev-parse", "HEAD") == head
    assert git(archive, "status", "--porcelain") == ""
    git(archive, "fsck", "--no-progress")
    assert not list((archive / ".git").glob("gitnews-marks-*"))  # fast-import cleaned up


@pytest.mark.parametrize("signals", [1, 2], ids=["finish", "abandon"])
def test_run_sigint_commits_what_was_checked_or_abandons_it(server, tmp_path, signals):
    """Ctrl-C during a plain `gitnews run` behaves as in a watch: the first signal
    commits the checks under way (nothing more starts), a second abandons the run."""
    archive, env, head = _one_slow_article(server, tmp_path)
    out, err, proc = _interrupt_while_fetching(subprocess.Popen(
        [sys.executable, "-m", "gitnews", "run", "--no-progress", "--archive", str(archive)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), server, signals)
    assert "Traceback" not in err
    if signals == 1:
        assert "stopping after the work in flight" in err and "stopped on request" in err, err
        assert "New: Son-in-law remanded over killing" in git(archive, "log", "--format=%s")
        assert "NEW 1" in out, out
        assert proc.returncode == 0, err  # the one check finished: nothing was left undone
    else:
        assert proc.returncode == 130, err
        assert "abandoning the work in flight" in err and "nothing of it was committed" in err
        assert git(archive, "rev-parse", "HEAD") == head
    assert git(archive, "status", "--porcelain") == ""
    git(archive, "fsck", "--no-progress")


OTHER_PAGE = (DATA / "scenarios" / "bbc-2009" / "7984711-A.stm.html").read_bytes()


@pytest.mark.parametrize("watching", [False, True], ids=["run", "watch"])
def test_sigint_commits_what_finished_prints_the_summary_and_exits_130_with_work_undone(
        server, tmp_path, watching):
    """One rule for every long command: the check under way is committed, the summary
    printed, and since an article was left unchecked, the exit status is 130."""
    archive = init_test_archive(tmp_path / "a", concurrency=1)
    server.route("http://feeds.test/feed.xml", Reply(
        body=rss(["http://a.test/1", "http://a.test/2"]), content_type="application/rss+xml"))
    server.route("http://a.test/1", Reply(body=PAGE, delay_s=2.0))
    server.route("http://a.test/2", Reply(body=OTHER_PAGE, delay_s=2.0))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), "http://feeds.test/feed.xml",
                env=env, check=True)
    command = ["run", "--watch", "--interval", "1s"] if watching else ["run", "--no-progress"]
    # Its own process group, signalled as a whole, as Ctrl-C at a terminal does.
    proc = subprocess.Popen([sys.executable, "-m", "gitnews", *command, "--archive", str(archive)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for(lambda: server.in_flight.get("a.test", 0) > 0)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0" in out, out
    assert "1 due article(s) left for the next run" in out, out
    assert len(git(archive, "log", "--format=%s", "--grep=^New: ").splitlines()) == 1
    assert git(archive, "status", "--porcelain") == ""
    # The next run checks what was left.
    again = run_gitnews("run", "--no-progress", "--archive", str(archive), env=env)
    assert again.returncode == 0 and "NEW 1" in again.stdout, again.stdout + again.stderr


def test_sigint_in_a_short_command_says_interrupted_and_exits_130(server, tmp_path):
    """Commands without work to keep (here `add`, checking a slow URL) say so on Ctrl-C
    instead of exiting silently."""
    archive = init_test_archive(tmp_path / "a")
    server.route("http://a.test/slow", Reply(body=PAGE, delay_s=5.0))
    proc = subprocess.Popen([sys.executable, "-m", "gitnews", "add", "--archive", str(archive),
                             "http://a.test/slow"], env=server.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err, proc = _interrupt_while_fetching(proc, server, 1)
    assert proc.returncode == 130, err
    assert "gitnews: interrupted" in err and "Traceback" not in err, err
    assert git(archive, "status", "--porcelain") == ""
