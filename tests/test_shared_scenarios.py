"""The four shared scenarios, run as a user would (skipped without ../shared)."""

from __future__ import annotations

import pytest
from conftest import git, shared_path
from scenario_checks import assert_versions_consistent, load_json, run_steps, version_commits

pytestmark = pytest.mark.slow


def test_ars_versions_every_real_change_and_nothing_else(replay, tmp_path):
    scenario = shared_path("scenarios", "ars-versions")
    expected = load_json(scenario / "expected.json")
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, [expected["feed"]], len(expected["steps"]))
    for r in runs:
        assert r.returncode == 0, r.stdout + r.stderr
    # What a poller sees: a new version whenever the version served at a step differs.
    want: dict[str, int] = {}
    last: dict[str, int] = {}
    for step in expected["steps"]:
        for url, art in step["articles"].items():
            if art is not None and last.get(url) != art["version"]:
                last[url] = art["version"]
                want[url] = want.get(url, 0) + 1
    commits = version_commits(archive)
    got: dict[str, int] = {}
    for c in commits:
        got[c["trailers"]["Article-Url"]] = got.get(c["trailers"]["Article-Url"], 0) + 1
    assert got == want
    assert_versions_consistent(archive)


def test_static_corpus_gives_no_false_versions(replay, tmp_path):
    scenario = shared_path("scenarios", "static-corpus")
    pages = load_json(scenario / "pages.json")
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, ["http://static-corpus.test/feed.xml"], 3)
    commits = version_commits(archive)
    files = {c["files"][0] for c in commits}
    assert len(pages) == 60
    assert len(files) == 60, runs[0].stdout + runs[0].stderr
    assert len(commits) == 60
    for r in runs:
        assert r.returncode == 0, r.stdout + r.stderr
        assert "HELD" not in r.stdout, r.stdout  # no page looks removed or damaged
    assert_versions_consistent(archive)
    # Every re-check after the first run was conditional.
    assert git(archive, "status", "--porcelain") == ""


def test_full_seed_guardian(replay, tmp_path):
    scenario = shared_path("scenarios", "seed-guardian")
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, ["http://www.theguardian.com/society/rss"], 3)
    assert [r.returncode for r in runs] == [0, 0, 0]
    commits = version_commits(archive)
    assert len(commits) == 4
    assert [c["trailers"]["Version"] for c in commits[:3]] == ["1", "1", "1"]
    assert commits[3]["trailers"]["Version"] == "2"
    assert_versions_consistent(archive)
