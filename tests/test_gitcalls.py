"""Only gitnews/archive/ runs git: the rule, checked on the source, and the archive's small
questions that the other packages ask instead (on real repositories in tmp folders)."""

from __future__ import annotations

import ast
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitnews.archive.gitrun import GitError, LazyRepo
from gitnews.archive.objects import count_commits, file_at, head_time, root_commits, top_folders, unified_diff
from gitnews.archive.remote import has_remote, remote_url
from gitnews.archive.store import Transaction
from gitnews.archive.worktree import restore_file

PACKAGE = Path(__file__).resolve().parents[1] / "gitnews"
ARCHIVE = PACKAGE / "archive"

#: What runs a command through the standard library.
_RUNNERS = {("subprocess", n) for n in ("run", "Popen", "call", "check_call", "check_output",
                                        "getoutput", "getstatusoutput")}
_RUNNERS |= {("os", n) for n in ("system", "popen", "execv", "execvp", "execvpe", "execl",
                                 "execlp", "spawnv", "spawnvp", "spawnl", "spawnlp",
                                 "posix_spawn", "posix_spawnp")}
_RUNNERS |= {("asyncio", n) for n in ("create_subprocess_exec", "create_subprocess_shell")}


def _names_git(node: ast.AST | None) -> bool:
    """Whether a command argument is git: ``"git ..."``, ``["git", ...]``, ``("git", ...)``
    (or a path ending in ``/git``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        first = node.value.strip().split(" ", 1)[0] if node.value.strip() else ""
        return first == "git" or first.endswith("/git")
    if isinstance(node, ast.List | ast.Tuple) and node.elts:
        return _names_git(node.elts[0])
    if isinstance(node, ast.Starred):
        return _names_git(node.value)
    return False


def _runner(call: ast.Call, imported: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        key = (func.value.id, func.attr)
        return key if key in _RUNNERS else None
    if isinstance(func, ast.Name):
        return imported.get(func.id)
    return None


def git_calls(path: Path) -> list[tuple[int, str]]:
    """``(line, what)`` for each place in the module at ``path`` that runs git itself:
    GitPython's command object (``<x>.repo.git.<command>``, ``repo.git.execute``) or
    a standard-library process whose command is git."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    imported: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("subprocess", "os", "asyncio"):
            for alias in node.names:
                if (node.module, alias.name) in _RUNNERS:
                    imported[alias.asname or alias.name] = (node.module, alias.name)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "git":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else \
                owner.id if isinstance(owner, ast.Name) else ""
            if name == "repo" or name.endswith("_repo"):
                found.append((node.lineno, f"{name}.git (GitPython runs git)"))
        elif isinstance(node, ast.Call):
            runner = _runner(node, imported)
            if runner is None:
                continue
            args = list(node.args)
            command = args[0] if args else next(
                (k.value for k in node.keywords if k.arg in ("args", "cmd", "command")), None)
            if runner[0] == "os" and runner[1] != "system" and runner[1] != "popen":
                command = args[1] if len(args) > 1 else None  # exec*/spawn*(path, argv...)
                if args and _names_git(args[0]):
                    command = args[0]
            if runner == ("asyncio", "create_subprocess_exec"):
                command = args[0] if args else None
            if _names_git(command):
                found.append((node.lineno, f"{'.'.join(runner)} runs git"))
    return found


def outside_archive() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if ARCHIVE not in p.parents)


def test_only_the_archive_runs_git():
    offenders = [f"{p.relative_to(PACKAGE.parent)}:{line}: {what}"
                 for p in outside_archive() for line, what in git_calls(p)]
    # A plain text check too, for what the AST check could miss (a comment is no call,
    # but `repo.git.` has no business in a docstring outside archive/ either).
    offenders += [f"{p.relative_to(PACKAGE.parent)}: contains 'repo.git.'"
                  for p in outside_archive() if "repo.git." in p.read_text(encoding="utf-8")]
    assert not offenders, "git runs outside gitnews/archive/ (use its functions):\n" + \
        "\n".join(offenders)


@pytest.mark.parametrize("source", [
    "def f(archive):\n    return archive.repo.git.execute(['git', 'status'])\n",
    "def f(repo):\n    return repo.git.rev_parse('HEAD')\n",
    "import subprocess\nsubprocess.run(['git', '--git-dir', 'x', 'remote'])\n",
    "import subprocess\nsubprocess.check_output('git rev-parse HEAD', shell=True)\n",
    "from subprocess import Popen\nPopen(args=('git', 'log'))\n",
    "import subprocess\nsubprocess.run(['/usr/bin/git', 'log'])\n",
    "import os\nos.system('git gc')\n",
    "import os\nos.execvp('git', ['git', 'log'])\n",
])
def test_the_check_sees_git_run_outside(tmp_path, source):
    module = tmp_path / "bad.py"
    module.write_text(source)
    assert git_calls(module)


def test_the_check_lets_other_commands_run(tmp_path):
    module = tmp_path / "fine.py"
    module.write_text("import subprocess\n"
                      "def hook(command):\n"
                      "    subprocess.Popen(command, shell=True)\n"
                      "    subprocess.run(['gitnews', 'status'])\n"
                      "    return 'see git log'\n")
    assert git_calls(module) == []


# -- the archive's questions, on a real repository ---------------------------------------------

T0 = datetime(2020, 1, 1, 12, tzinfo=UTC)
T1 = datetime(2021, 6, 1, 8, 30, 15, tzinfo=UTC)


def _git(where: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(where), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def empty(tmp_path):
    _git(tmp_path, "init", "-q", "-b", "main")
    lazy = LazyRepo(str(tmp_path))
    yield lazy
    lazy.close()


@pytest.fixture
def repo(empty):
    with Transaction(empty, author=("gitnews", "gitnews@localhost")) as tx:
        tx.commit({"gitnews.toml": "[archive]\n", "bbc.co.uk/a.txt": "A\n",
                   "news.bbc.co.uk/b.txt": "B\nline 2\n", "été.fr/c.txt": "C\n"},
                  message="First\n", when=T0)
        tx.commit({"bbc.co.uk/a.txt": "A changed\n"}, message="Second\n", when=T1)
    return empty, tx.commits


def test_questions_of_an_archive_without_commits(empty):
    assert file_at(empty, "HEAD", "gitnews.toml") is None
    assert root_commits(empty) == []
    assert head_time(empty) is None
    assert top_folders(empty) == []
    assert count_commits(empty, "HEAD") == 0
    with pytest.raises(GitError):
        unified_diff(empty, "HEAD", "a.txt")
    assert not empty.materialised  # none of it needed GitPython


def test_questions_of_an_archive(repo):
    lazy, commits = repo
    assert file_at(lazy, "HEAD", "bbc.co.uk/a.txt") == b"A changed\n"
    assert file_at(lazy, commits[0], "news.bbc.co.uk/b.txt") == b"B\nline 2\n"
    assert file_at(lazy, "HEAD", "missing.txt") is None
    assert file_at(lazy, "HEAD", "bbc.co.uk") is None  # a folder is no file
    assert root_commits(lazy) == [commits[0]]
    assert head_time(lazy) == T1
    assert top_folders(lazy) == ["bbc.co.uk", "news.bbc.co.uk", "été.fr"]
    assert count_commits(lazy, "HEAD") == 2
    assert count_commits(lazy, f"{commits[0]}..HEAD") == 1
    diff = unified_diff(lazy, commits[1], "bbc.co.uk/a.txt")
    assert "-A\n+A changed\n" in diff and diff.startswith("diff --git")
    assert "+B\n+line 2\n" in unified_diff(lazy, commits[0], "news.bbc.co.uk/b.txt")  # --root
    assert not lazy.materialised


def test_head_time_is_the_author_date_in_utc(empty, tmp_path):
    (tmp_path / "x").write_text("x\n")
    _git(tmp_path, "add", "x")
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=A B C", "-c",
                    "user.email=a@b", "commit", "-qm", "x"], check=True,
                   env={"GIT_AUTHOR_DATE": "2022-03-04T05:06:07+0200",
                        "GIT_COMMITTER_DATE": "2023-01-01T00:00:00+0000",
                        "PATH": os.environ["PATH"], "HOME": str(tmp_path)})
    assert head_time(empty) == datetime(2022, 3, 4, 3, 6, 7, tzinfo=UTC)


def test_restore_file_puts_heads_version_back(repo, tmp_path):
    lazy, _ = repo
    target = tmp_path / "gitnews.toml"
    target.write_text("edited by hand\n")
    _git(tmp_path, "add", "gitnews.toml")
    restore_file(lazy, "gitnews.toml")
    assert target.read_text() == "[archive]\n"
    assert _git(tmp_path, "status", "--porcelain") == ""
    with pytest.raises(GitError):
        restore_file(lazy, "not-in-head.txt")


def test_remote_url(repo, tmp_path):
    lazy, _ = repo
    assert remote_url(lazy, "origin") is None and not has_remote(lazy, "origin")
    _git(tmp_path, "remote", "add", "origin", "https://example.com/a.git")
    assert remote_url(lazy, "origin") == "https://example.com/a.git"
    assert has_remote(lazy, "origin")
    assert remote_url(lazy, "other") is None
