"""A version that only restores the text after an outside edit (a commit made with plain git)
is no change in the export, as in ``gitnews log``, ``changes`` and ``stats``: it keeps its row
in ``versions`` but has none in ``changes`` or ``sentence_edits`` (docs/export.md).  A real
archive: versions committed as gitnews commits them, the outside edit with plain git."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from versions_support import add_versions, make_archive

from gitnews.archive.history import text_changes
from gitnews.archive.repo import open_archive
from gitnews.format.trailers import CHANGE_KIND, KIND_OUTSIDE_EDIT
from gitnews.output.changes import latest_changes
from gitnews.output.export import export
from gitnews.output.export.rows import iter_articles
from gitnews.output.stats import archive_stats

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
URL = "https://news.example.org/2024/restored"
A = "Minister resigns\n\nThe minister resigned on Friday. She gave no reason.\n"
B = "Minister resigns\n\nThe minister resigned on Friday. She gave no reason at all.\n"
D = "Minister resigns today\n\nThe minister resigned on Friday. She gave no reason at all.\n"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Versions 1 (A), 2 (B); an outside edit; version 3 puts B back (Change-Kind:
    outside-edit, the same text as version 2); version 4 (D) changes the headline."""
    root = make_archive(tmp_path_factory.mktemp("restore") / "archive")
    add_versions(root, [(URL, A, T0), (URL, B, T0 + timedelta(hours=1))])
    path = next(p for p in _git(root, "ls-files").split() if p.endswith(".txt"))
    (root / path).write_text(B.replace("Friday", "Saturday [by hand]"), encoding="utf-8")
    _git(root, "-c", "user.name=Editor", "-c", "user.email=e@example.com", "commit", "-q",
         "-am", "Fix by hand")
    add_versions(root, [(URL, B, T0 + timedelta(hours=2))],
                 extra={CHANGE_KIND: KIND_OUTSIDE_EDIT})
    add_versions(root, [(URL, D, T0 + timedelta(hours=3))])
    return root


def test_restore_only_version_is_no_change(restored: Path) -> None:
    with open_archive(restored) as arc:
        [block] = list(iter_articles(arc))
        found = arc.state.versions(block.article.path)
        stats = archive_stats(arc).total
        shown = latest_changes(arc.repo, limit=10)
    assert [v.number for v in block.versions] == [1, 2, 3, 4]
    assert block.versions[2].change_kind == KIND_OUTSIDE_EDIT
    assert block.versions[2].text == block.versions[1].text
    # Changes 1 -> 2 and 3 -> 4; 2 -> 3 only restores version 2's text.
    assert [(c.previous_number, c.number) for c in block.changes] == [(1, 2), (3, 4)]
    assert block.changes[1].previous_id == block.versions[2].id
    assert block.changes[1].headline_changed
    assert all(e.number != 3 for e in block.sentence_edits)
    # The same count as gitnews log (text_changes), stats and changes.
    assert block.article.changes == text_changes(found) == stats.changes == 2
    by_id = {v.id: v for v in block.versions}
    assert sorted(v.b.version.commit for v in shown) == sorted(
        by_id[c.version_id].commit for c in block.changes)


def test_restore_only_version_in_the_sqlite_export(restored: Path, tmp_path: Path) -> None:
    import sqlite3

    out = tmp_path / "export.db"
    with open_archive(restored) as arc:
        export(arc, "sqlite", out)
    db = sqlite3.connect(out)
    try:
        assert db.execute("SELECT count(*) FROM versions").fetchone() == (4,)
        assert db.execute("SELECT number FROM changes ORDER BY id").fetchall() == [(2,), (4,)]
        assert db.execute("SELECT changes FROM articles").fetchone() == (2,)
    finally:
        db.close()
