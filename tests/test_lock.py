"""The write lock (one writer per archive), stale git lock files, and catching up
the files after a run that was killed between committing and updating them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import git, run_gitnews

from gitnews.archive.lock import ArchiveLock, clear_stale_git_files
from gitnews.archive.repo import init_archive, open_archive
from gitnews.archive.store import Transaction
from gitnews.errors import ArchiveLockedError

HOLDER = """
import sys
from gitnews.archive.lock import ArchiveLock
lock = ArchiveLock(sys.argv[1], command="gitnews run")
lock.acquire()
print("held", flush=True)
if sys.argv[2] == "die":
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()          # hold until the test closes our stdin
lock.release()
"""


def hold_lock(git_dir: Path, how: str = "hold") -> subprocess.Popen:
    """Another process that takes the lock (and keeps it until its stdin closes,
    or dies at once with SIGKILL when ``how`` is "die")."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(git_dir), how],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if how == "hold":
        assert proc.stdout.readline() == "held\n"
    else:
        proc.wait(timeout=30)
    return proc


def release(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=30)
    proc.stdout.close()


@pytest.fixture
def archive(tmp_path):
    return init_archive(tmp_path / "archive")


def test_second_writer_is_refused_with_the_holders_pid(archive):
    holder = hold_lock(archive / ".git")
    try:
        with pytest.raises(ArchiveLockedError) as err:
            open_archive(archive, lock=True)
        assert err.value.pid == holder.pid
        assert f"another gitnews process (pid {holder.pid}, `gitnews run`, since " in str(err.value)
        assert "--wait" in str(err.value)
        # Readers are never blocked.
        with open_archive(archive) as arc:
            assert arc.lock is None
    finally:
        release(holder)
    with open_archive(archive, lock=True) as arc:
        assert arc.lock.locked and arc.notices == []
        with pytest.raises(ArchiveLockedError):  # also from the same process
            ArchiveLock(arc.repo.git_dir).acquire()
    assert (archive / ".git" / "gitnews" / "write.lock").read_text() == ""


def test_lock_of_a_dead_process_is_taken_over(archive):
    dead = hold_lock(archive / ".git", "die")
    with open_archive(archive, lock=True) as arc:
        assert arc.lock.taken_over.pid == dead.pid
        assert any(f"previous writer (pid {dead.pid}" in n for n in arc.notices)
    with open_archive(archive, lock=True) as arc:  # a clean release leaves nothing to report
        assert arc.lock.taken_over is None and arc.notices == []


def test_waiting_writer_gets_the_lock_when_the_holder_lets_go(archive):
    holder = hold_lock(archive / ".git")
    got: list[object] = []

    def wait_for_it() -> None:
        try:
            lock = ArchiveLock(archive / ".git")
            lock.acquire(wait_s=float("inf"))
            got.append(lock)
        except Exception as exc:
            got.append(exc)

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    try:
        waiter.join(timeout=0.5)
        assert waiter.is_alive() and not got  # still waiting while it is held
    finally:
        release(holder)
    waiter.join(timeout=30)
    assert len(got) == 1 and isinstance(got[0], ArchiveLock) and got[0].locked
    got[0].release()


def test_cli_exits_75_or_waits(archive, tmp_path):
    holder = hold_lock(archive / ".git")
    try:
        for args in (["run"], ["add", "--feed", "http://example.com/feed"],
                     ["remove", "http://example.com/feed"], ["run", "--wait", "0.2"]):
            r = run_gitnews(*args, "--archive", str(archive))
            assert r.returncode == 75, (args, r.stderr)
            assert f"another gitnews process (pid {holder.pid}" in r.stderr, r.stderr
            assert "Traceback" not in r.stderr
        assert "(waited 0.2 s)" in r.stderr
        # A dry run writes nothing and does not need the lock.
        assert run_gitnews("run", "--dry-run", "--archive", str(archive)).returncode == 0
        # A bare --wait (followed by another argument) waits until the holder is done.
        waiting = subprocess.Popen([sys.executable, "-m", "gitnews", "add", "--wait", "--feed",
                                    "http://example.com/feed", "--archive", str(archive)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        assert waiting.poll() is None
    finally:
        release(holder)
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err
    assert "http://example.com/feed" in (archive / "gitnews.toml").read_text()
    # "soon" is not a number of seconds: a bare --wait, then a stray argument.
    bad = run_gitnews("run", "--wait", "soon", "--archive", str(archive))
    assert bad.returncode == 2 and "soon" in bad.stderr


def _old(path: Path, *, seconds_ago: float = 3600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    t = time.time() - seconds_ago
    os.utime(path, (t, t))
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_stale_git_locks_are_removed_only_when_provably_stale(archive):
    git_dir = archive / ".git"
    stale = [_old(git_dir / "index.lock"), _old(git_dir / "refs" / "heads" / "main.lock"),
             _old(git_dir / "objects" / "pack" / "tmp_pack_abc123"),
             _old(git_dir / "gitnews-marks-xyz")]
    with open_archive(archive, lock=True) as arc:
        notes = arc.notices
    assert not any(p.exists() for p in stale)
    assert any("removed the stale .git/index.lock" in n for n in notes), notes
    assert any("removed the stale .git/refs/heads/main.lock" in n for n in notes), notes
    # A git process that was running before the lock file was made may own it: kept.
    running = subprocess.Popen(["git", "-C", str(archive), "cat-file", "--batch"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.1)
        lock = _old(git_dir / "index.lock", seconds_ago=-5)  # made after git started
        notes = clear_stale_git_files(git_dir)
        assert lock.exists()
        assert any(f"may belong to the running git (pid {running.pid})" in n for n in notes), notes
        # A lock file someone has open is never removed.
        with open(lock, "rb"):
            os.utime(lock, (time.time() - 3600,) * 2)
            notes = clear_stale_git_files(git_dir)
            assert lock.exists() and any("open in a running process" in n for n in notes)
    finally:
        running.stdin.close()
        running.wait(timeout=30)
    assert clear_stale_git_files(git_dir)[0].startswith("removed the stale .git/index.lock")
    assert git(archive, "status", "--porcelain") == ""


def _commit_behind_the_files(archive: Path, path: str, text: str) -> str:
    """Commit ``path`` as a killed run would have: the branch moves, the files do not."""
    repo = open_archive(archive).repo
    try:
        tx = Transaction(repo, author=("gitnews", "gitnews@localhost"))
        tx._update_worktree = lambda: None  # the process "dies" right after fast-import
        tx.commit({path: text}, message="New: x\n\nArticle-Url: http://example.com/x\n"
                  "Version: 1\n", when=datetime(2020, 1, 1, tzinfo=UTC))
        tx.finish()
    finally:
        repo.close()
    return git(archive, "rev-parse", "HEAD").strip()


def test_files_catch_up_with_a_branch_moved_by_a_killed_run(archive):
    _commit_behind_the_files(archive, "example.com/x.txt", "Headline\n\nOne.\n")
    assert git(archive, "status", "--porcelain") != ""
    with open_archive(archive, lock=True) as arc:
        assert any("brought the archive's files up to date" in n for n in arc.notices)
    assert git(archive, "status", "--porcelain") == ""
    assert (archive / "example.com" / "x.txt").read_text() == "Headline\n\nOne.\n"


def test_half_updated_files_catch_up_but_edits_are_never_overwritten(archive):
    _commit_behind_the_files(archive, "example.com/x.txt", "Headline\n\nOne.\n")
    # A killed `git read-tree -u` had written the new file but not the index.
    (archive / "example.com").mkdir()
    (archive / "example.com" / "x.txt").write_text("Headline\n\nOne.\n")
    with open_archive(archive, lock=True) as arc:
        assert any("interrupted while updating them" in n for n in arc.notices), arc.notices
    assert git(archive, "status", "--porcelain") == ""

    # Someone's edit of a file unrelated to the missed commit survives the catch-up...
    _commit_behind_the_files(archive, "example.com/x.txt", "Headline\n\nTwo.\n")
    (archive / "README.md").write_text("my own notes\n")
    with open_archive(archive, lock=True) as arc:
        assert any("interrupted after committing" in n for n in arc.notices), arc.notices
    assert (archive / "README.md").read_text() == "my own notes\n"
    assert (archive / "example.com" / "x.txt").read_text() == "Headline\n\nTwo.\n"
    # ... and an edit of the very file is never overwritten: reported instead.
    _commit_behind_the_files(archive, "example.com/x.txt", "Headline\n\nThree.\n")
    (archive / "example.com" / "x.txt").write_text("Headline\n\nmy edit\n")
    with open_archive(archive, lock=True) as arc:
        assert any("2 file(s) of the archive differ from its branch and were not written by "
                   "gitnews" in n for n in arc.notices), arc.notices
    assert (archive / "example.com" / "x.txt").read_text() == "Headline\n\nmy edit\n"


def test_a_dead_writers_git_children_are_waited_for(archive):
    """A SIGKILL of gitnews spares its ``git fast-import`` (own process group), which
    may still be ending its stream and moving the branch: the next writer waits for
    it before it reads the branch, so that it never writes beside it."""
    git_dir = archive / ".git"
    dead = hold_lock(git_dir, "die")
    head = git(archive, "rev-parse", "HEAD").strip()
    # The orphan: a fast-import in the archive whose stream is not finished yet.
    orphan = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=archive,
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    opened: list[object] = []

    def open_it() -> None:
        try:
            arc = open_archive(archive, lock=True)
            opened.append((time.monotonic(), git(archive, "rev-parse", "HEAD").strip(),
                           list(arc.notices)))
            arc.close()
        except Exception as exc:
            opened.append(exc)

    opener = threading.Thread(target=open_it)
    opener.start()
    try:
        opener.join(timeout=1.0)
        assert opener.is_alive() and not opened  # waiting for the orphan
    finally:
        stream = (f"commit refs/heads/main\ncommitter A <a@example.org> 1700000000 +0000\n"
                  f"data 5\nlate\nfrom {head}\nM 100644 inline late.txt\ndata 2\nx\n\ndone\n")
        ended = time.monotonic()
        orphan.communicate(stream.encode(), timeout=30)
    opener.join(timeout=60)
    assert orphan.returncode == 0
    assert len(opened) == 1 and isinstance(opened[0], tuple), opened
    when, seen_head, notices = opened[0]
    assert when >= ended
    assert seen_head != head  # it saw the branch the orphan moved
    assert any(f"previous writer (pid {dead.pid}" in n for n in notices)
    assert "waited for the git commands the previous writer left running to finish" in notices
