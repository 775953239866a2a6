"""A read-only archive (issue 14, bug 2): a read-only mount, a CI cache, a colleague's folder.

Read commands must work on it; write commands must stop with a clear message and exit 2.
The archive is made read-only with a real read-only bind mount (file modes alone would
prove nothing: the tests run as root, and root ignores them); the tests skip when this
machine does not let them mount.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from archive_builders import add_version, head, new_archive
from conftest import run_gitnews

from gitnews.archive.cache import State
from gitnews.archive.repo import open_archive

A_URL, A_PATH = "https://news.example.org/a", "news.example.org/a.txt"
B_URL, B_PATH = "https://news.example.org/b", "news.example.org/b.txt"
WARC = Path(__file__).parent / "data" / "scenarios" / "bbc-2009" / "snapshots.warc.gz"


def env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


@contextmanager
def read_only_mount(source: Path, target: Path):
    """``target`` shows ``source`` through a read-only bind mount (skips when not permitted)."""
    target.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount(8) here: a read-only bind mount is needed")
    proc = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        pytest.skip(f"a read-only bind mount is not permitted here (EPERM: needs root or "
                    f"CAP_SYS_ADMIN): {proc.stderr.strip()}")
    try:
        proc = subprocess.run(["mount", "-o", "remount,bind,ro", str(target)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot remount the bind mount read-only: {proc.stderr.strip()}")
        probe = target / ".probe"
        with pytest.raises(OSError):
            probe.write_text("x")
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


def _archive(tmp_path: Path) -> Path:
    archive = new_archive(tmp_path / "src" / "arc")
    add_version(archive, A_PATH, "A\n\nOne.\n", version=1, url=A_URL)
    add_version(archive, B_PATH, "B\n\nBee.\n", version=1, url=B_URL, hours=2)
    add_version(archive, A_PATH, "A\n\nOne, edited.\n", version=2, url=A_URL, hours=3)
    return archive


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("cache", ["current", "stale", "missing"])
def test_read_commands_work_on_a_read_only_archive(tmp_path, cache):
    archive = _archive(tmp_path)
    run_gitnews("list", "--archive", str(archive), env=env(), check=True)  # the cache is made
    assert (archive / ".git" / "gitnews" / "state.sqlite").exists()
    if cache == "stale":  # a version the cache does not know yet
        add_version(archive, B_PATH, "B\n\nBee, edited.\n", version=2, url=B_URL, hours=4)
    elif cache == "missing":
        shutil.rmtree(archive / ".git" / "gitnews")
    b_versions = 2 if cache == "stale" else 1
    toml = archive / "gitnews.toml"  # the dry run below gives up at once
    toml.write_text(toml.read_text().replace("retries = 2", "retries = 0"))
    before = _snapshot(archive / ".git")

    with read_only_mount(tmp_path / "src", tmp_path / "ro") as ro:
        arc = str(ro / "arc")
        with open_archive(ro / "arc") as opened:  # a current cache is copied, not rebuilt
            state = State(opened.repo)
            try:
                assert state.read_only
                assert (state.get_meta("head") == head(archive)) == (cache == "current")
            finally:
                state.close()
        listed = run_gitnews("list", "--archive", arc, "--json", env=env())
        assert listed.returncode == 0, listed.stderr
        rows = {row["path"]: row["versions"] for row in json.loads(listed.stdout)["articles"]}
        assert rows == {A_PATH: 2, B_PATH: b_versions}

        log = run_gitnews("log", A_URL, "--archive", arc, env=env())
        assert log.returncode == 0, log.stderr
        assert "(2 versions)" in log.stdout

        show = run_gitnews("show", A_URL, "--version", "1", "--archive", arc, env=env())
        assert (show.returncode, show.stdout) == (0, "A\n\nOne.\n"), show.stderr

        diff = run_gitnews("diff", A_URL, "--archive", arc, env=env())
        assert diff.returncode == 0, diff.stderr
        assert "edited" in diff.stdout

        # changes and stats: their fast path (gitnews.archive.reader) leaves a read-only
        # archive to the full path, which reads the cache's copy in memory.
        changed = run_gitnews("changes", "--since", "2016-01-01", "--json", "--archive", arc,
                              env=env())
        assert changed.returncode == 0, changed.stderr
        assert [c["path"] for c in json.loads(changed.stdout)["changes"]] == (
            [B_PATH, A_PATH] if cache == "stale" else [A_PATH])
        stats = run_gitnews("stats", "--json", "--archive", arc, env=env())
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["total"]["changes"] == (2 if cache == "stale" else 1)

        site = run_gitnews("site", str(tmp_path / "site"), "--archive", arc, env=env())
        assert site.returncode == 0, site.stderr
        assert (tmp_path / "site" / "index.html").is_file()
        # A dry run updates the cache (robots.txt, checks): only its copy in memory.  The
        # proxy is a closed loopback port, so no request leaves the machine.
        dry = run_gitnews("run", "--dry-run", "--all", "--archive", arc,
                          env={**env(), "HTTP_PROXY": "http://127.0.0.1:9",
                               "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""})
        assert dry.returncode == 1 and "FAILED article" in dry.stdout + dry.stderr, dry.stderr
        assert "cache" not in dry.stderr
        for proc in (listed, log, show, diff, changed, stats, site, dry):
            assert "Traceback" not in proc.stderr and "delete" not in proc.stderr
    assert _snapshot(archive / ".git") == before  # nothing was written


def test_write_commands_stop_with_a_clear_message_on_a_read_only_archive(tmp_path):
    archive = _archive(tmp_path)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(tmp_path / "remote.git")],
                   check=True)
    subprocess.run(["git", "-C", str(archive), "remote", "add", "origin",
                    str(tmp_path / "remote.git")], check=True)
    commit = head(archive)
    before = _snapshot(archive)

    with read_only_mount(tmp_path / "src", tmp_path / "ro") as ro:
        arc = str(ro / "arc")
        for args in (["run"], ["add", "https://news.example.org/feed.xml"], ["remove", A_URL],
                     ["import", str(WARC)], ["gc"], ["push"],
                     ["init", "--archive", str(ro / "new")]):
            if "--archive" not in args:
                args = [*args, "--archive", arc]
            proc = run_gitnews(*args, env=env())
            assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
            assert "read-only file system" in proc.stderr, (args, proc.stderr)
            assert "Traceback" not in proc.stderr, (args, proc.stderr)
    assert head(archive) == commit
    assert _snapshot(archive) == before
    assert not (tmp_path / "src" / "new").exists()


def test_serve_on_a_read_only_archive_writes_its_site_to_a_temporary_folder(tmp_path):
    archive = _archive(tmp_path)
    with read_only_mount(tmp_path / "src", tmp_path / "ro") as ro:
        server = subprocess.Popen(
            [sys.executable, "-m", "gitnews", "serve", "--port", "0", "--archive",
             str(ro / "arc")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env())
        try:
            line = server.stdout.readline()
            assert line.startswith("Serving "), (line, server.stderr.read() if not line else "")
            folder, url = line.split()[1], line.split()[3]
            assert not folder.startswith(str(ro)) and Path(folder).is_dir()
            with urllib.request.urlopen(url + "index.html", timeout=30) as response:
                assert response.status == 200 and b"<html" in response.read().lower()
        finally:
            server.send_signal(signal.SIGINT)
            _, err = server.communicate(timeout=60)
        assert "temporary folder" in err and "Traceback" not in err
        assert not Path(folder).exists()  # removed when serve stopped

        # Stopped with SIGTERM (`kill`) instead of Ctrl-C: removed too.
        server = subprocess.Popen(
            [sys.executable, "-m", "gitnews", "serve", "--port", "0", "--archive",
             str(ro / "arc")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env())
        try:
            folder = server.stdout.readline().split()[1]
            assert Path(folder).is_dir()
        finally:
            server.terminate()
            _, err = server.communicate(timeout=60)
        assert server.returncode == 0 and "Traceback" not in err, err
        assert not Path(folder).exists()
    assert not (archive / ".git" / "gitnews" / "site").exists()
