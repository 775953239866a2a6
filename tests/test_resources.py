"""Resource hygiene: runs one after the other in one process (as ``--watch``
would) leave no open files, threads or child processes behind."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from conftest import DATA

from gitnews.archive.repo import init_archive, open_archive
from gitnews.ops.run import run
from gitnews.ops.tracking import add

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="counts through /proc")


def children() -> list[int]:
    me = os.getpid()
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == me:
                out.append(int(entry.name))
    return out


def test_runs_in_one_process_leak_nothing(replay, tmp_path, monkeypatch):
    server = replay(DATA / "scenarios" / "seed-guardian")
    for key, value in server.env().items():
        if "proxy" in key.lower():
            monkeypatch.setenv(key, value)
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    archive = init_archive(tmp_path / "archive")
    with open_archive(archive, lock=True) as arc:
        add(arc, ["http://www.theguardian.com/society/rss"], kind="feed")
    baseline = None
    for step in range(6):
        server.step(step % 3)
        with open_archive(archive, lock=True) as arc:
            result = run(arc)
        assert not result.failures, result.failures
        now = (len(os.listdir("/proc/self/fd")), sorted(children()), threading.active_count())
        if baseline is None:
            baseline = now
        assert now == baseline, (step, now, baseline)
