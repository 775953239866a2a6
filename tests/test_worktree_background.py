"""A transaction's files written by a git process of its own while the caller goes on
(``Transaction.finish(worktree_in_background=True)``, ``wait_worktree``): the same files,
index and notices as the update done in ``finish`` (real git repositories)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitnews.archive.repo import init_archive, open_archive
from gitnews.archive.store import Transaction

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _git(archive: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(archive), *args], check=True, capture_output=True,
                          text=True).stdout


def _commit(archive: Path, texts: dict[str, str], *, background: bool) -> list[str]:
    notices: list[str] = []
    with open_archive(archive) as arc:
        tx = Transaction(arc.repo, author=arc.author(), notify=notices.append)
        for path, text in texts.items():
            tx.commit({path: text}, message=f"Changed: {path}\n", when=T0)
        tx.finish(worktree_in_background=background)
        tx.wait_worktree()
        tx.wait_worktree()  # a second wait does nothing
    return notices


@pytest.mark.parametrize("background", [False, True])
def test_background_update_writes_the_files_and_keeps_local_edits(tmp_path, background):
    archive = init_archive(tmp_path / "a", now=T0)
    _commit(archive, {"example.com/a.txt": "A\n\nOne.\n", "example.com/b.txt": "B\n\nOne.\n"},
            background=background)
    (archive / "example.com/b.txt").write_text("B\n\nEdited by hand.\n", encoding="utf-8")
    notices = _commit(archive, {"example.com/a.txt": "A\n\nTwo.\n",
                                "example.com/b.txt": "B\n\nTwo.\n",
                                "example.com/c.txt": "C\n\nNew.\n"}, background=background)
    assert (archive / "example.com/a.txt").read_text(encoding="utf-8") == "A\n\nTwo.\n"
    assert (archive / "example.com/c.txt").read_text(encoding="utf-8") == "C\n\nNew.\n"
    # The uncommitted edit stays in the file; the index holds the new version.
    assert (archive / "example.com/b.txt").read_text(encoding="utf-8") == "B\n\nEdited by hand.\n"
    assert _git(archive, "show", ":example.com/b.txt") == "B\n\nTwo.\n"
    assert len(notices) == 1 and "example.com/b.txt" in notices[0]
    assert _git(archive, "diff", "--cached", "--name-only", "HEAD") == ""
    assert _git(archive, "status", "--porcelain") == " M example.com/b.txt\n"
