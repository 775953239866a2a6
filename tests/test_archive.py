"""The archive: creation, the fast-import store, the cache, the format doc."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import git

from gitnews.archive.repo import archive_readme, init_archive, open_archive
from gitnews.archive.store import blob_id
from gitnews.errors import ArchiveError, StoreError

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2016, 9, 29, 10, 2, tzinfo=UTC)


def test_format_doc_copies_are_identical():
    # The README written into every new archive is docs/archive-format.md without its last
    # section (for gitnews's developers: which code owns the format); a change to it changes
    # the id of every archive's first commit.
    text = archive_readme()
    doc = (ROOT / "docs" / "archive-format.md").read_text(encoding="utf-8")
    assert doc.startswith(text)
    assert doc[len(text):].startswith("\n## Who owns this format in the code\n")
    assert (ROOT / "archive-repo" / "README.md").read_text(encoding="utf-8") == text


def test_init_makes_one_commit_on_main(tmp_path):
    path = init_archive(tmp_path / "a", now=T0)
    assert git(path, "branch", "--show-current").strip() == "main"
    assert (git(path, "log", "--format=%s %aI").strip()
            == "Start the gitnews archive 2016-09-29T10:02:00+00:00")
    assert sorted(git(path, "ls-files").split()) == [".gitattributes", "README.md", "gitnews.toml"]
    with pytest.raises(ArchiveError, match="already a gitnews archive"):
        init_archive(path)


def test_init_accepts_a_folder_with_only_the_readme(tmp_path):
    folder = tmp_path / "archive-repo"
    folder.mkdir()
    (folder / "README.md").write_text(archive_readme(), encoding="utf-8")
    init_archive(folder)
    assert git(folder, "status", "--porcelain") == ""
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "data.csv").write_text("x")
    with pytest.raises(ArchiveError, match="other files"):
        init_archive(tmp_path / "other")


def test_transaction_commits_in_one_stream_and_updates_the_tree(tmp_path):
    path = init_archive(tmp_path / "a", now=T0)
    with open_archive(path) as arc:
        with arc.transaction() as tx:
            # Version commits (Article-Url and Version trailers, as gitnews writes them).
            tx.commit({"x.org/a.txt": "A\n"},
                      message="New: A\n\nArticle-Url: http://x.org/a\nVersion: 1\n", when=T0)
            tx.commit({"x.org/a.txt": "A2\n"},
                      message="Changed: A\n\nArticle-Url: http://x.org/a\nVersion: 2\n", when=T0)
            tx.commit({"x.org/b c.txt": "B\n"},
                      message="New: B\n\nArticle-Url: http://x.org/b%20c\nVersion: 1\n", when=T0)
        assert len(tx.commits) == 3
        assert git(path, "rev-parse", "HEAD").strip() == tx.commits[-1]
        assert (path / "x.org" / "a.txt").read_text() == "A2\n"
        assert (path / "x.org" / "b c.txt").read_text() == "B\n"
        assert git(path, "status", "--porcelain") == ""
        record = arc.state.get("x.org/a.txt")
        assert record.versions == 2 and record.blob == blob_id(b"A2\n") and record.headline == "A2"
        assert arc.state.lookup("https://x.org/a").path == "x.org/a.txt"


def test_aborted_transaction_leaves_the_branch(tmp_path):
    path = init_archive(tmp_path / "a", now=T0)
    head = git(path, "rev-parse", "HEAD")
    with open_archive(path) as arc:
        with pytest.raises(RuntimeError):
            with arc.transaction() as tx:
                tx.commit({"x.org/a.txt": "A\n"}, message="New: A\n", when=T0)
                raise RuntimeError("crash in the middle of a run")
    assert git(path, "rev-parse", "HEAD") == head
    assert git(path, "fsck", "--no-dangling").strip() == ""


def test_cache_is_rebuilt_from_history(tmp_path):
    path = init_archive(tmp_path / "a", now=T0)
    with open_archive(path) as arc:
        with arc.transaction() as tx:
            tx.commit({"x.org/a.txt": "A\n"},
                      message="New: A\n\nArticle-Url: http://x.org/a\nVersion: 1\n", when=T0)
        state_file = arc.state.path
    state_file.unlink()
    with open_archive(path) as arc:
        record = arc.state.get("x.org/a.txt")
        assert record.versions == 1 and record.url == "http://x.org/a"


def test_fast_import_refuses_a_moved_branch(tmp_path):
    path = init_archive(tmp_path / "a", now=T0)
    with open_archive(path) as arc:
        tx = arc.transaction()
        tx.commit({"x.org/a.txt": "A\n"}, message="New: A\n", when=T0)
        # Someone else commits meanwhile: fast-import must not overwrite it.
        (path / "note.txt").write_text("x")
        git(path, "add", "note.txt")
        git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "other")
        other = git(path, "rev-parse", "HEAD")
        with pytest.raises(StoreError):
            tx.finish()
    assert git(path, "rev-parse", "HEAD") == other


def test_store_refuses_a_detached_head(tmp_path):
    path = init_archive(tmp_path / "a", now=T0)
    git(path, "checkout", "-q", "--detach", "HEAD")
    head = git(path, "rev-parse", "HEAD")
    with open_archive(path) as arc:
        with pytest.raises(StoreError, match="detached"):
            with arc.transaction() as tx:
                tx.commit({"x.org/a.txt": "A\n"}, message="New: A\n", when=T0)
    assert git(path, "rev-parse", "HEAD") == head


def test_a_folder_of_other_files_is_named_as_such_not_offered_to_init(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(ArchiveError) as err:
        open_archive(tmp_path)
    message = str(err.value)
    assert "holds other files (notes.txt)" in message and "empty or new folder" in message
    with pytest.raises(ArchiveError, match="create one with `gitnews init --archive"):
        open_archive(tmp_path / "missing")


def test_version_option_prints_the_version():
    import subprocess
    import sys

    import gitnews

    out = subprocess.run([sys.executable, "-m", "gitnews", "--version"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == f"gitnews {gitnews.__version__}\n"
