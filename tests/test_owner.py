"""An archive another user owns: git refuses it from its folder (``safe.directory``,
git 2.35.2+) though it reads it through ``--git-dir``; gitnews refuses it as a whole, with
git's reason and what to do, instead of answering some commands (``verify``: "0 problems")
and failing others half-way with a traceback."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import init_test_archive, run_gitnews

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                reason="giving a folder to another user needs root")


def _chown_tree(path, uid: int) -> None:
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), uid, -1, follow_symlinks=False)
    os.chown(path, uid, -1)


def test_an_archive_owned_by_another_user_is_refused_with_what_to_do(tmp_path):
    archive = init_test_archive(tmp_path / "a")
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")  # no safe.directory
    ok = run_gitnews("verify", "--archive", str(archive), env=env)
    assert ok.returncode == 0, ok.stderr
    _chown_tree(archive, 65534)
    try:
        for command in (["verify"], ["log", "x"], ["list"], ["export", "jsonl",
                                                           str(tmp_path / "o.jsonl")]):
            done = run_gitnews(*command, "--archive", str(archive), env=env)
            assert done.returncode == 2, (command, done.stdout, done.stderr)
            assert "git refuses to read the archive" in done.stderr
            assert "safe.directory" in done.stderr and "Traceback" not in done.stderr
            assert "0 problems" not in done.stdout
    finally:
        _chown_tree(archive, os.geteuid())
        shutil.rmtree(tmp_path / "o.jsonl", ignore_errors=True)
