"""`gitnews init` on a repository made by plain `git init` whose branch is not `main`
(trial report, problem 6): an unborn branch is switched to `main` (and the user told); a
branch with commits gets advice whose git commands work.  Real CLI, real git."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

from conftest import git, run_gitnews


def _git_init_master(path: Path) -> None:
    subprocess.run(["git", "-c", "init.defaultBranch=master", "init", "-q", str(path)],
                   check=True)


def _commit(repo: Path, message: str) -> None:
    git(repo, "-c", "user.name=U", "-c", "user.email=u@example.com", "commit", "-q",
        "--allow-empty", "-m", message)


def test_init_switches_an_unborn_master_to_main(tmp_path):
    repo = tmp_path / "plaingit"
    _git_init_master(repo)
    init = run_gitnews("init", "--archive", str(repo))
    assert init.returncode == 0, init.stderr
    assert "'master'" in init.stderr and "switched to 'main'" in init.stderr
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo, "log", "--format=%s").splitlines() == ["Start the gitnews archive"]
    assert git(repo, "branch", "--list", "master").strip() == ""
    assert git(repo, "status", "--porcelain") == ""


def test_add_creates_the_archive_in_an_unborn_master_repo(tmp_path):
    repo = tmp_path / "plaingit"
    _git_init_master(repo)
    # `add --feed` creates the archive without fetching anything.
    add = run_gitnews("add", "--feed", "http://127.0.0.1:9/rss", "--archive", str(repo))
    assert add.returncode == 0, add.stderr
    assert "switched to 'main'" in add.stderr
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"


def _advised_command(stderr: str) -> list[str]:
    commands = re.findall(r"`(git -C [^`]+)`", stderr)
    assert commands, stderr
    return shlex.split(commands[0])


def test_advice_for_a_master_branch_with_commits_works(tmp_path):
    repo = tmp_path / "withcommits"
    _git_init_master(repo)
    _commit(repo, "an earlier commit")
    first = run_gitnews("init", "--archive", str(repo))
    assert first.returncode == 1
    assert "Traceback" not in first.stderr
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/master"  # left alone
    fix = subprocess.run(_advised_command(first.stderr), capture_output=True, text=True)
    assert fix.returncode == 0, fix.stderr
    again = run_gitnews("init", "--archive", str(repo))
    assert again.returncode == 0, again.stderr
    assert git(repo, "log", "--format=%s").splitlines() == \
        ["Start the gitnews archive", "an earlier commit"]


def test_advice_for_a_detached_head_without_main_works(tmp_path):
    repo = tmp_path / "detached"
    _git_init_master(repo)
    _commit(repo, "an earlier commit")
    git(repo, "checkout", "-q", "--detach")
    first = run_gitnews("init", "--archive", str(repo))
    assert first.returncode == 1
    fix = subprocess.run(_advised_command(first.stderr), capture_output=True, text=True)
    assert fix.returncode == 0, fix.stderr
    assert run_gitnews("init", "--archive", str(repo)).returncode == 0
