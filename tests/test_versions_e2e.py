"""End to end: ``gitnews run`` twice through the seed-guardian replay proxy, then read the
history back with ``gitnews log | diff | show``.  Needs ../shared (skipped without it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from versions_support import SEED_URL, SHARED, make_archive, seed_text

SCENARIO = SHARED / "scenarios" / "seed-guardian"
REPLAY = SHARED / "tools" / "replay.py"

pytestmark = pytest.mark.skipif(not (SCENARIO.is_dir() and REPLAY.is_file()),
                                reason="../shared (seed-guardian scenario, replay.py) is absent")


@pytest.fixture
def replay(tmp_path):
    step = tmp_path / "step.txt"
    step.write_text("0")
    port_file = tmp_path / "port.txt"
    proc = subprocess.Popen([sys.executable, str(REPLAY), str(SCENARIO), "--port", "0",
                             "--host", "127.0.0.1", "--port-file", str(port_file),
                             "--step-file", str(step)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            if proc.poll() is not None:
                pytest.fail(f"replay.py stopped: {proc.stderr.read().decode()}")
            time.sleep(0.05)
        yield int(port_file.read_text().strip()), step
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def gitnews(archive: Path, *args: str, port: int | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                                "no_color", "force_color")}
    if port is not None:
        env["HTTP_PROXY"] = env["http_proxy"] = f"http://127.0.0.1:{port}"
    return subprocess.run([sys.executable, "-c", "from gitnews.cli import main; main()", *args,
                           "--archive", str(archive)], capture_output=True, env=env, timeout=300)


def test_run_twice_then_read_the_versions(tmp_path, replay):
    port, step = replay
    archive = make_archive(tmp_path / "archive")
    assert gitnews(archive, "add", "--feed", "http://www.theguardian.com/society/rss").returncode == 0
    first = gitnews(archive, "run", "--no-progress", port=port)
    assert first.returncode == 0, first.stderr.decode()
    step.write_text("1")
    second = gitnews(archive, "run", "--all", "--no-progress", port=port)
    assert second.returncode == 0, second.stderr.decode()

    log = gitnews(archive, "log", "theguardian.com/society/2016/sep/29/gaps-remain-in-tackling-"
                                  "child-sexual-exploitation-ofsted")
    assert log.returncode == 0, log.stderr.decode()
    assert "changed 1 time (2 versions)" in log.stdout.decode()
    doc = json.loads(gitnews(archive, "log", SEED_URL, "--json").stdout)
    assert [v["version"] for v in doc["versions"]] == [1, 2]

    diff = json.loads(gitnews(archive, "diff", SEED_URL, "--format", "json").stdout)
    changes = [(op["old"], op["new"]) for row in [diff["headline"], *diff["paragraphs"]]
               for op in row["ops"] if op["op"] != "equal"]
    assert changes == [("operundi", "operandi")]
    word = gitnews(archive, "diff", SEED_URL).stdout.decode()
    assert word.count("[-") == 1 and "[-operundi-]{+operandi+}" in word

    shown = gitnews(archive, "show", "https://theguardian.com/society/2016/sep/29/gaps-remain-"
                                     "in-tackling-child-sexual-exploitation-ofsted/", "--version", "1")
    assert shown.returncode == 0
    assert shown.stdout == seed_text(1).encode("utf-8")
    listing = gitnews(archive, "list", "--changed").stdout.decode().splitlines()
    assert len(listing) == 2 and listing[1].split()[0] == "2"
