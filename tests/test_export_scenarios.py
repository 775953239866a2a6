"""``gitnews export`` on the team's shared ars-versions scenario (14 real Ars Technica
articles, 2-3 real versions each, headline and lead-paragraph edits), run through the
loopback replay server step by step; skipped when ../shared is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import init_test_archive, run_gitnews, shared_path, start_replay

from gitnews.format.normalise import parse_text


@pytest.fixture(scope="module")
def ars(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    scenario = shared_path("scenarios", "ars-versions")
    folder = tmp_path_factory.mktemp("ars")
    expected = json.loads((scenario / "expected.json").read_text(encoding="utf-8"))
    server = start_replay(scenario, folder)
    try:
        env = server.env()
        archive = init_test_archive(folder / "archive")
        run_gitnews("add", "--archive", str(archive), expected["feed"], env=env, check=True)
        for step in range(len(expected["steps"])):
            server.step(step)
            run_gitnews("run", "--all", "--archive", str(archive), env=env)
    finally:
        server.stop()
    return archive, expected


def test_ars_versions_export(ars: tuple[Path, dict], tmp_path: Path) -> None:
    import sqlite_utils

    archive, expected = ars
    out = tmp_path / "ars.db"
    done = run_gitnews("export", "--archive", str(archive), "sqlite", str(out))
    assert done.returncode == 0, done.stderr
    db = sqlite_utils.Database(out)
    # Every article with as many versions as the scenario served texts for it.
    served: dict[str, set[int]] = {}
    for step in expected["steps"]:
        for url, article in step["articles"].items():
            if article:
                served.setdefault(url, set()).add(article["version"])
    counts = {r["url"]: r["versions"] for r in db["articles"].rows}
    assert counts == {url: len(v) for url, v in served.items()}
    versions = {r["id"]: r for r in db["versions"].rows}
    assert sum(len(v) for v in served.values()) == len(versions)
    # Each change pairs consecutive versions of one article, and each sentence edit quotes
    # the sentences of those two texts.
    changes = {r["id"]: r for r in db["changes"].rows}
    assert len(changes) == len(versions) - len(counts)
    for change in changes.values():
        new, old = versions[change["version_id"]], versions[change["previous_id"]]
        assert (new["article"], new["number"]) == (old["article"], old["number"] + 1)
        assert change["headline_changed"] == int(new["headline"] != old["headline"])
    edits = list(db["sentence_edits"].rows)
    assert {e["action"] for e in edits} <= {"addition", "deletion", "edit", "moved"}
    assert any(e["action"] == "edit" for e in edits)
    for e in edits:
        change = changes[e["change_id"]]
        old_body = " ".join(parse_text(versions[change["previous_id"]]["text"])[1])
        new_body = " ".join(parse_text(versions[change["version_id"]]["text"])[1])
        if e["old_sentence"] is not None:
            assert e["old_sentence"] in old_body
        if e["new_sentence"] is not None:
            assert e["new_sentence"] in new_body
    # The same archive gives the same rows.
    again = tmp_path / "again.db"
    assert run_gitnews("export", "--archive", str(archive), "sqlite", str(again)).returncode == 0
    db2 = sqlite_utils.Database(again)
    for name in ("articles", "versions", "changes", "sentence_edits"):
        assert list(db[name].rows) == list(db2[name].rows), name
