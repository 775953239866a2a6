"""The commit ids the shared scenarios give, on a frozen clock.

A change that must not change behaviour (a re-housing, a refactor) is checked
with this: run it before and after, and compare the two outputs.  The commits
gitnews writes carry the fetch time (trailers, author and committer dates), so
each ``gitnews`` process fetches one page at a time, with its clock frozen (``time-machine``) at
2026-12-01T00:00:00Z plus one hour per scenario step; the replay server sends
each step's recorded ``Date``.  Everything else in a commit comes from the
pages, so the same code gives the same ids.

    python benchmarks/scenario_ids.py > before.json
    ... change the code ...
    python benchmarks/scenario_ids.py > after.json && diff before.json after.json

Needs ``../shared`` (the team's scenarios) and ``time-machine`` (in the test
extra).  Prints JSON: ``{scenario: {"head": sha, "commits": [sha, ...]}}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
START_S = 1796083200  # 2026-12-01T00:00:00Z
SCENARIOS = {
    "seed-guardian": (["http://www.theguardian.com/society/rss"], 3),
    "bbc-2009": (["http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"], 2),
    "ars-versions": (["http://feeds.arstechnica.com/arstechnica/index"], 8),
    "static-corpus": (["http://static-corpus.test/feed.xml"], 3),
}
FROZEN = ("import runpy, sys, time_machine; "
          "time_machine.travel(float(sys.argv[1]), tick=False).start(); "
          "sys.argv = ['gitnews', *sys.argv[2:]]; "
          "runpy.run_module('gitnews', run_name='__main__')")


def gitnews(at_s: float, *args: str, env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-c", FROZEN, str(at_s), *args], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"gitnews {' '.join(args)} exited {proc.returncode}:\n"
                         f"{proc.stdout}\n{proc.stderr}")


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True, env=env).stdout


def scenario_ids(name: str, feeds: list[str], steps: int, work: Path) -> dict[str, object]:
    folder = work / name
    folder.mkdir()
    port_file, step_file = folder / "port", folder / "step"
    step_file.write_text("0\n")
    server = subprocess.Popen([sys.executable, str(SHARED / "tools" / "replay.py"),
                               str(SHARED / "scenarios" / name), "--port", "0",
                               "--port-file", str(port_file), "--step-file", str(step_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        proxy = f"http://127.0.0.1:{port_file.read_text().strip()}"
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(HTTP_PROXY=proxy, http_proxy=proxy, NO_COLOR="1")
        archive = folder / "archive"
        gitnews(START_S, "init", "--archive", str(archive), env=env)
        config = archive / "gitnews.toml"
        text = config.read_text(encoding="utf-8")
        # No delay between requests on loopback, and one request at a time: with several,
        # the order of the commits within a run is the order the answers came in.
        text = text.replace("\nmin_delay_s = ", "\nmin_delay_s = 0.0\n#", 1)
        config.write_text(text.replace("\nconcurrency = ", "\nconcurrency = 1\n#", 1),
                          encoding="utf-8")
        stamp = "@%d +0000" % START_S
        git(archive, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q",
            "-am", "Test settings",
            env={**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        gitnews(START_S, "add", "--archive", str(archive), *feeds, env=env)
        for step in range(steps):
            step_file.write_text(f"{step}\n")
            gitnews(START_S + 3600 * (step + 1), "run", "--all", "--archive", str(archive),
                    env=env)
        commits = git(archive, "log", "--reverse", "--format=%H").split()
        return {"head": commits[-1], "commits": commits}
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    if not (SHARED / "scenarios").is_dir():
        raise SystemExit(f"needs {SHARED / 'scenarios'} (the team's shared scenarios)")
    names = sys.argv[1:] or list(SCENARIOS)
    with tempfile.TemporaryDirectory() as tmp:
        out = {name: scenario_ids(name, *SCENARIOS[name], Path(tmp)) for name in names}
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
