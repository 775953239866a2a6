"""The archive's one git runner (gitnews.archive.gitrun) and its one blob reader
(objects.BlobReader), on real repositories in tmp folders."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from gitnews.archive.gitrun import GitError, LazyRepo, finish, run, start
from gitnews.archive.objects import BlobReader, read_version
from gitnews.archive.store import Transaction, blob_id

T0 = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path):
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    lazy = LazyRepo(str(tmp_path))
    with Transaction(lazy, author=("gitnews", "gitnews@localhost")) as tx:
        tx.commit({"a.txt": "A\n", "dir/b.txt": "B\nline 2\n"}, message="First\n", when=T0)
        tx.commit({"a.txt": None}, message="Second\n", when=T0)
    yield lazy, tx.commits
    lazy.close()


def test_run_gives_bytes_and_status_and_one_error_type(repo):
    lazy, commits = repo
    assert run(lazy, "rev-parse", "HEAD").text == commits[-1]
    assert run(lazy.git_dir, "rev-parse", "HEAD").stdout == (commits[-1] + "\n").encode()
    missing = run(lazy, "rev-parse", "--verify", "-q", "refs/heads/nothing", check=False)
    assert not missing.ok and missing.status == 1 and missing.stdout == b""
    with pytest.raises(GitError) as caught:
        run(lazy, "cat-file", "blob", f"{commits[-1]}:a.txt")
    assert caught.value.status == 128 and "a.txt" in caught.value.stderr
    assert run(lazy, "hash-object", "--stdin", input=b"xyz").text == blob_id(b"xyz")
    # Nothing of this made GitPython's Repo.
    assert not lazy.materialised


def test_finish_raises_only_for_a_git_that_failed_by_itself(repo):
    lazy, _ = repo
    proc = start(lazy, "log", "--format=%H", "no-such-rev", stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.read() == b""
    proc.wait()  # it has ended by itself (else finish kills it, as a reader that stopped early)
    with pytest.raises(GitError) as caught:
        finish(proc)
    assert caught.value.status == 128 and "no-such-rev" in caught.value.stderr
    # A reader that stops early: git is ended quietly.
    proc = start(lazy, "cat-file", "--batch", stdin=subprocess.PIPE)
    finish(proc)


def test_blob_reader_reads_ids_and_looks_up_names(repo):
    lazy, (first, second) = repo
    with BlobReader(lazy) as reader:
        assert reader.read([blob_id(b"A\n")]) == {blob_id(b"A\n"): b"A\n"}
        found = reader.lookup([f"{second}:dir/b.txt", f"{second}:a.txt", f"{first}:a.txt",
                               f"{first}:dir", f"{first}:dir/b.txt"])
        assert found == {f"{second}:dir/b.txt": (blob_id(b"B\nline 2\n"), b"B\nline 2\n"),
                         f"{first}:dir/b.txt": (blob_id(b"B\nline 2\n"), b"B\nline 2\n"),
                         f"{first}:a.txt": (blob_id(b"A\n"), b"A\n")}
        with pytest.raises(ValueError):
            reader.read(["0" * 40])
    assert read_version(lazy, first, "a.txt") == b"A\n"


def test_blob_reader_groups_long_names_without_blocking(repo):
    lazy, (_, second) = repo
    # Far more than a pipe holds in one group of requests: the reader splits them.
    names = [f"{second}:dir/b.txt"] + [f"{second}:{'x' * 200}-{i}.txt" for i in range(2000)]
    with BlobReader(lazy) as reader:
        assert reader.lookup(names) == {names[0]: (blob_id(b"B\nline 2\n"), b"B\nline 2\n")}


def test_the_runner_does_not_import_gitpython():
    code = ("import sys, gitnews.archive.gitrun, gitnews.archive.history, "
            "gitnews.archive.worktree, gitnews.archive.remote; print('git' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
