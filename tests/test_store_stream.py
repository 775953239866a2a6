"""The fast-import stream written in chunks (``store.WRITE_CHUNK``) into a widened
pipe: the same commits as writing it commit by commit, and a transaction abandoned
with queued bytes leaves the branch where it was (real git repositories)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gitnews.archive import store
from gitnews.archive.repo import init_archive, open_archive
from gitnews.archive.store import Transaction, blob_id

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _git(archive: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(archive), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def _texts(n: int) -> list[tuple[str, str]]:
    # ~40 KB each: the stream crosses WRITE_CHUNK and the 1 MiB pipe several times.
    return [(f"example.com/a{i % 7}.txt", f"Headline {i}\n\n" + f"word{i} " * 5000 + "\n")
            for i in range(n)]


def _write(archive: Path, texts: list[tuple[str, str]]) -> list[str]:
    with open_archive(archive) as arc:
        with Transaction(arc.repo, author=arc.author()) as tx:
            for k, (path, text) in enumerate(texts):
                data = text.encode()
                tx.commit({path: data}, message=f"Changed: {path}\n", when=T0 + timedelta(seconds=k),
                          blobs={path: blob_id(data)})
        return tx.commits


def test_chunked_stream_gives_the_commits_of_one_write_per_commit(tmp_path, monkeypatch):
    texts = _texts(60)
    chunked = _write(init_archive(tmp_path / "a", now=T0), texts)
    monkeypatch.setattr(store, "WRITE_CHUNK", 1)  # every commit written at once, as before
    one_by_one = _write(init_archive(tmp_path / "b", now=T0), texts)
    assert len(chunked) == 60
    assert chunked == one_by_one
    assert _git(tmp_path / "a", "rev-parse", "HEAD") == chunked[-1]
    for path, text in texts[-7:]:
        assert (tmp_path / "a" / path).read_text() == text


def test_the_written_blob_ids_are_git_s(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0)
    with open_archive(archive) as arc:
        with Transaction(arc.repo, author=arc.author()) as tx:
            tx.commit({"x/one.txt": "One\n\nbody\n"}, message="New: One\n", when=T0)
        assert tx.written is not None
    assert tx.written[0][2]["x/one.txt"] == (_git(archive, "rev-parse", "HEAD:x/one.txt"), "One")


@pytest.mark.parametrize("queued", [1, 40])
def test_an_abandoned_stream_leaves_the_branch(tmp_path, queued):
    archive = init_archive(tmp_path / "a", now=T0)
    before = _git(archive, "rev-parse", "HEAD")
    with open_archive(archive) as arc:
        with pytest.raises(RuntimeError):
            with Transaction(arc.repo, author=arc.author()) as tx:
                for k, (path, text) in enumerate(_texts(queued)):
                    tx.commit({path: text}, message=f"Changed: {path}\n",
                              when=T0 + timedelta(seconds=k))
                raise RuntimeError("the run stops")
    assert _git(archive, "rev-parse", "HEAD") == before
    assert not list((archive / ".git" / "objects" / "pack").glob("tmp_pack_*"))
    assert not list((archive / ".git").glob("fast_import_crash_*"))
