"""``gitnews changes`` and ``gitnews stats`` on the shared ars-versions scenario (14 real
Ars Technica articles with 2-3 real versions each, headline and lead edits), run as a user
would through the replay server (skipped without ../shared)."""

from __future__ import annotations

import json

import pytest
from conftest import run_gitnews, shared_path
from scenario_checks import load_json, run_steps

pytestmark = pytest.mark.slow


def test_ars_versions_changes_and_stats_tell_the_same_story(replay, tmp_path):
    scenario = shared_path("scenarios", "ars-versions")
    expected = load_json(scenario / "expected.json")
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, [expected["feed"]], len(expected["steps"]))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    # What a poller sees: a change whenever the version served differs from the last one;
    # a headline change when its title differs too.
    changes = headlines = 0
    changed: set[str] = set()
    last: dict[str, dict] = {}
    for step in expected["steps"]:
        for url, art in step["articles"].items():
            if art is None:
                continue
            before = last.get(url)
            if before is not None and before["version"] != art["version"]:
                changes += 1
                changed.add(url)
                headlines += before["title"] != art["title"]
            last[url] = art
    a = ["--archive", str(archive)]
    listed = json.loads(run_gitnews("changes", "--since", "1d", "--all", "--json", *a,
                                    check=True).stdout)["changes"]
    assert len(listed) == changes
    assert sum("headline" in c["kinds"] for c in listed) == headlines
    only = json.loads(run_gitnews("changes", "--since", "1d", "--all", "--kind", "headline",
                                  "--json", *a, check=True).stdout)["changes"]
    assert len(only) == headlines and all("headline" in c["kinds"] for c in only)
    stats = json.loads(run_gitnews("stats", "--json", *a, check=True).stdout)
    (source,) = stats["sources"]
    assert source["source"] == expected["feed"]
    assert source["articles"] == len(last) and source["changes"] == changes
    assert source["headline_changes"] == headlines
    assert source["changed_articles"] == len(changed)
    assert sum(source["per_day"].values()) == changes
