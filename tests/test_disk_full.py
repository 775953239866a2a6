"""A full disk while committing: the run fails with a clear error, the archive
stays as it was, and once there is room again the next run records everything.

The full disk is real: a small tmpfs mounted for the test (needs root and the
right to mount, as on the project's machines and CI; skipped elsewhere).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from conftest import DATA, git
from crash_checks import check_integrity

FEED = "http://www.theguardian.com/society/rss"


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs at ``tmp_path / "disk"``, unmounted afterwards."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root on Linux to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill(folder) -> object:
    """Fill the file system of ``folder`` to the last byte; returns the filler's path."""
    path = folder / "filler"
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass
    return path


def gitnews(*args, env, cwd):
    return subprocess.run([sys.executable, "-m", "gitnews", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_disk_full_while_committing(replay, tmp_path, small_disk):
    archive = small_disk / "archive"
    # The cache lives elsewhere, so that it is git's writes that hit the full disk.
    cache = tmp_path / "cache"
    cache.mkdir()
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env(PYTHONPATH=os.pathsep.join(sys.path))
    assert gitnews("add", "--feed", "--archive", str(archive), FEED, env=env,
                   cwd=tmp_path).returncode == 0
    shutil.move(str(archive / ".git" / "gitnews"), str(cache / "gitnews"))
    (archive / ".git" / "gitnews").symlink_to(cache / "gitnews")
    head = git(archive, "rev-parse", "HEAD").strip()

    filler = fill(small_disk)
    r = gitnews("run", "--archive", str(archive), env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    assert "the disk is full" in r.stderr and "archive is unchanged" in r.stderr, r.stderr
    assert git(archive, "rev-parse", "HEAD").strip() == head
    check_integrity(archive)

    filler.unlink()
    r = gitnews("run", "--archive", str(archive), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "NEW 1, CHANGED 0" in r.stdout
    history = check_integrity(archive)
    assert len(history.versions) == 1
    assert git(archive, "status", "--porcelain") == ""


def test_disk_full_for_the_cache_too(replay, tmp_path, small_disk):
    archive = small_disk / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env(PYTHONPATH=os.pathsep.join(sys.path))
    assert gitnews("add", "--feed", "--archive", str(archive), FEED, env=env,
                   cwd=tmp_path).returncode == 0
    head = git(archive, "rev-parse", "HEAD").strip()
    filler = fill(small_disk)
    r = gitnews("run", "--archive", str(archive), env=env, cwd=tmp_path)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr
    assert "free some disk space" in r.stderr or "the disk is full" in r.stderr, r.stderr
    assert git(archive, "rev-parse", "HEAD").strip() == head
    check_integrity(archive)
    filler.unlink()
    r = gitnews("run", "--archive", str(archive), env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert len(check_integrity(archive).versions) == 1
