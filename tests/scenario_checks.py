"""Checks shared by the scenario tests: run gitnews step by step, read git back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import git, init_test_archive, run_gitnews


def run_steps(replay, scenario: Path, archive: Path, feeds: list[str], steps: int) -> list:
    """``gitnews add`` the feeds, then ``gitnews run --all`` once per step; returns the runs."""
    server = replay(scenario)
    env = server.env()
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), *feeds, env=env, check=True)
    runs = []
    for step in range(steps):
        server.step(step)
        # Steps are hours apart in the scenario but seconds apart here: --all
        # checks every article whatever the schedule.
        runs.append(run_gitnews("run", "--all", "--archive", str(archive), env=env))
    return runs


def version_commits(archive: Path) -> list[dict]:
    """Every commit that carries an Article-Url trailer, oldest first, with its files."""
    out = git(archive, "-c", "core.quotePath=false", "log", "--reverse",
              "--format=%x1e%H", "--name-only")
    commits = []
    for rec in out.split("\x1e")[1:]:
        lines = [ln for ln in rec.strip().split("\n") if ln]
        sha, files = lines[0], lines[1:]
        message = git(archive, "log", "-1", "--format=%B", sha)
        parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                                capture_output=True, text=True, check=True).stdout
        trailers = dict(line.split(": ", 1) for line in parsed.splitlines())
        if "Article-Url" in trailers:
            commits.append({"sha": sha, "files": files, "trailers": trailers,
                            "message": message})
    return commits


def assert_versions_consistent(archive: Path) -> None:
    """Every version commit touches one file, and Version = that file's commit count."""
    counts: dict[str, int] = {}
    for c in version_commits(archive):
        assert len(c["files"]) == 1, c
        path = c["files"][0]
        counts[path] = counts.get(path, 0) + 1
        assert int(c["trailers"]["Version"]) == counts[path], (path, c["trailers"])
        assert c["trailers"]["Fetched-At"].endswith("Z")
        # A removal (issue 5) has no text, so no Extractor.
        removal = c["trailers"].get("Change-Kind") == "removed"
        for key in ("Article-Url", "Version", "Fetched-At", "Http-Status",
                    *(() if removal else ("Extractor",))):
            assert key in c["trailers"], (key, c["message"])


def load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
