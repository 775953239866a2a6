"""The search index built on first use (issue 19): a rebuild of the cache (a fresh
clone, a schema change) leaves it unbuilt; the first search builds it, once; the
syncs after runs keep a built index current and leave an unbuilt one alone.

Real archives made by real ``gitnews run``s against the loopback replay server,
with the scenario of tests/test_search.py (step 0: three articles; step 1: A1's
second version, ``consensual`` -> ``alleged``).  A "fresh clone" is a copy of the
archive without its cache file (what ``git clone`` gives: no ``.git/gitnews``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import init_test_archive, run_gitnews, start_replay
from test_search import A1, A2, A3, FEED, write_scenario

BUILDING = "Building the search index (once, "

#: Queries compared between the index built on first use and the one kept by the syncs.
QUERIES = [("minister",), ("climate",), ('"climate change policy"',), ("resign*",),
           ("resume",), ("climate", "--headline"), ("consensual", "--removed"),
           ("alleged", "--added"), ("film", "--host", "news.example.org")]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Iterator[tuple[Path, Path, object]]:
    """``(archive after step 0, archive after steps 0 and 1, the replay server at
    step 1)``: both made by real runs, their indexes kept by the syncs."""
    root = tmp_path_factory.mktemp("lazy")
    server = start_replay(write_scenario(root / "scenario"), root)
    try:
        archive = init_test_archive(root / "archive")
        env = server.env()
        run_gitnews("add", "--archive", str(archive), FEED, env=env, check=True)
        run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
        step0 = root / "step0"
        shutil.copytree(archive, step0)
        server.step(1)
        run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
        yield step0, archive, server
    finally:
        server.stop()


def fresh_clone(archive: Path, target: Path) -> Path:
    """A copy of ``archive`` without its cache (as a fresh clone has none)."""
    shutil.copytree(archive, target)
    shutil.rmtree(target / ".git" / "gitnews")
    return target


def search(archive: Path, *args: str) -> tuple[dict, str]:
    proc = run_gitnews("search", "--archive", str(archive), "--json", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout), proc.stderr


def found(doc: dict) -> list[tuple[str, list[int]]]:
    return [(r["url"], r["versions"]) for r in doc["results"]]


def index_state(archive: Path) -> tuple[bool, int]:
    """``(search_built(), rows of search_docs)`` of the archive's cache (synced)."""
    from gitnews.archive.repo import open_archive

    with open_archive(archive) as arc:
        state = arc.state
        return (state.search_built(),
                state.db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0])


def test_a_fresh_clone_is_opened_without_building_the_index(made, tmp_path):
    _, full, _ = made
    clone = fresh_clone(full, tmp_path / "clone")
    built, rows = index_state(clone)
    assert (built, rows) == (False, 0)
    assert index_state(full) == (True, 4)  # the runs' syncs indexed A1 (2), A2, A3


def test_the_first_search_builds_it_once_and_finds_the_same(made, tmp_path):
    _, full, _ = made
    expected = {q: search(full, *q)[0] for q in QUERIES}
    clone = fresh_clone(full, tmp_path / "clone")
    doc, err = search(clone, *QUERIES[0])  # the full path: no cache yet, synced first
    assert err.count(BUILDING) == 1 and "4 versions" in err, err
    assert doc == expected[QUERIES[0]]
    for q in QUERIES:
        doc, err = search(clone, *q)
        assert BUILDING not in err, err
        assert doc == expected[q], q
    assert index_state(clone) == (True, 4)


def test_the_lean_path_builds_it_too(made, tmp_path):
    """A cache synced by another command (current, index unbuilt): ``gitnews search``
    reads it alone (open_current) and builds the index there."""
    _, full, _ = made
    clone = fresh_clone(full, tmp_path / "clone")
    assert index_state(clone) == (False, 0)  # synced: current
    doc, err = search(clone, "consensual", "--removed")
    assert BUILDING in err, err
    assert found(doc) == [(A1, [2])]
    assert index_state(clone) == (True, 4)


def test_the_built_ids_are_those_the_syncs_gave(made, tmp_path):
    from gitnews.archive.repo import open_archive

    _, full, _ = made
    clone = fresh_clone(full, tmp_path / "clone")
    rows = {}
    for archive in (full, clone):
        with open_archive(archive) as arc:
            state = arc.state
            assert state.build_search() in (0, 4)
            assert state.build_search() == 0  # built: nothing more to do
            rows[archive] = state.db.execute(
                "SELECT * FROM search_docs ORDER BY id").fetchall()
    assert rows[clone] == rows[full]


def test_a_run_after_the_first_search_keeps_it_current(made, tmp_path):
    step0, _, server = made
    clone = fresh_clone(step0, tmp_path / "clone")
    doc, err = search(clone, "alleged", "--added")
    assert BUILDING in err and found(doc) == []
    assert index_state(clone) == (True, 3)
    run_gitnews("run", "--all", "--archive", str(clone), env=server.env(), check=True)
    assert index_state(clone) == (True, 4)  # the run's sync indexed the new version
    doc, err = search(clone, "alleged", "--added")
    assert BUILDING not in err, err
    assert found(doc) == [(A1, [2])]


def test_a_run_before_the_first_search_leaves_it_unbuilt(made, tmp_path):
    step0, _, server = made
    clone = fresh_clone(step0, tmp_path / "clone")
    run_gitnews("run", "--all", "--archive", str(clone), env=server.env(), check=True)
    assert index_state(clone) == (False, 0)  # the run's sync did nothing for search
    doc, err = search(clone, "alleged", "--added")
    assert BUILDING in err, err
    assert found(doc) == [(A1, [2])]
    assert found(search(clone, "consensual", "--removed")[0]) == [(A1, [2])]
    assert {u for u, _ in found(search(clone, "climate")[0])} == {A1, A2}
    assert found(search(clone, "film")[0]) == [(A3, [1])]


def test_a_rewritten_history_unbuilds_it(made, tmp_path):
    """A rebuild after a rewritten history (here: the cache's head forgotten) empties
    the index and leaves it unbuilt; the next search builds it again."""
    from gitnews.archive.repo import open_archive

    _, full, _ = made
    clone = tmp_path / "clone"
    shutil.copytree(full, clone)
    with open_archive(clone) as arc:
        state = arc.state
        assert state.search_built()
        state.db.execute("DELETE FROM meta WHERE k='head'")
    assert index_state(clone) == (False, 0)
    doc, err = search(clone, "alleged", "--added")
    assert BUILDING in err and found(doc) == [(A1, [2])]


def test_a_read_only_archive_builds_it_in_memory(made, tmp_path):
    from test_read_only import read_only_mount

    _, full, _ = made
    clone = fresh_clone(full, tmp_path / "clone")
    assert index_state(clone) == (False, 0)  # a cache file, current, index unbuilt
    with read_only_mount(clone, tmp_path / "ro") as ro:
        for _ in range(2):  # built again each time: nothing is saved
            doc, err = search(ro, "consensual", "--removed")
            assert "in memory (4 versions" in err, err
            assert found(doc) == [(A1, [2])]
    assert index_state(clone) == (False, 0)


def _index_rows(db) -> dict[str, list]:
    """Every row of the index: ``search_docs`` and each FTS5 table's (term, doc, column,
    offset) instances (fts5vocab), the same whatever the segments."""
    out = {"docs": db.execute("SELECT * FROM search_docs ORDER BY id").fetchall()}
    for table in ("search_text", "search_added", "search_removed"):
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.t_{table} USING"
                   f" fts5vocab(main, {table}, 'instance')")
        out[table] = db.execute(f"SELECT * FROM temp.t_{table} ORDER BY 1, 2, 3, 4").fetchall()
    return out


@pytest.mark.parametrize("chunk", [1, 5000])
def test_the_build_in_two_processes_gives_the_same_index(made, tmp_path, monkeypatch, chunk):
    """The build whose words added and removed are computed by a second process
    (archives of at least PARALLEL_MIN versions) writes the same rows as the build in
    one process; chunk 1: each article sent to the second process on its own."""
    from gitnews.archive.cache import search as search_module
    from gitnews.archive.repo import open_archive

    _, full, _ = made
    rows = []
    for parallel_min in (10**9, 0):  # one process, then two
        monkeypatch.setattr(search_module, "PARALLEL_MIN", parallel_min)
        monkeypatch.setattr(search_module, "CHANGES_CHUNK", chunk)
        clone = fresh_clone(full, tmp_path / f"clone{parallel_min}")
        with open_archive(clone) as arc:
            state = arc.state
            assert state.build_search() == 4
            rows.append(_index_rows(state.db))
        assert [found(search(clone, *q)[0]) for q in QUERIES] == [
            found(search(full, *q)[0]) for q in QUERIES]
    assert rows[0] == rows[1]
    assert rows[0]["search_added"] and rows[0]["search_removed"]


def test_a_failing_second_process_leaves_the_build_to_one(made, tmp_path, monkeypatch):
    """A second process that fails (here: a program that exits at once) is given up and
    the index built in one process, with the same rows."""
    from gitnews.archive.cache import search as search_module
    from gitnews.archive.repo import open_archive

    _, full, _ = made
    monkeypatch.setattr(search_module, "PARALLEL_MIN", 0)
    monkeypatch.setattr(search_module, "WORKER_CODE", "import sys; sys.exit('no gitnews here')")
    clone = fresh_clone(full, tmp_path / "clone")
    with open_archive(clone) as arc:
        assert arc.state.build_search() == 4
        broken = _index_rows(arc.state.db)
    with open_archive(full) as arc:
        assert broken == _index_rows(arc.state.db)
