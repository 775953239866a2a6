"""The cache's own git calls, in one place: the branch's head, whether one commit is an
ancestor of another, and the blob ids and first lines of objects.

The rest of the cache reads git only through these and
:func:`gitnews.archive.history.iter_commits`.  Each call is marked
``# git runner: r15-git``: it moves onto the archive's one git runner and one blob
reader (:mod:`gitnews.archive`) once that is in.
"""

from __future__ import annotations

import subprocess
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import git

__all__ = ["head", "is_ancestor", "read_objects"]


def head(repo: git.Repo) -> str | None:
    """The branch's commit id, or None before the first commit (one ``git
    rev-parse``, without GitPython: every command asks it)."""
    # git runner: r15-git
    proc = subprocess.run(["git", "--git-dir", str(repo.git_dir), "rev-parse",
                           "--verify", "-q", "HEAD"], capture_output=True, text=True)
    found = proc.stdout.strip()
    return found if proc.returncode == 0 and found else None


def is_ancestor(repo: git.Repo, ancestor: str, commit: str) -> bool:
    """Whether ``ancestor`` is ``commit`` or one of its ancestors (``git merge-base
    --is-ancestor``; GitPython)."""
    import git

    # git runner: r15-git
    try:
        repo.git.merge_base("--is-ancestor", ancestor, commit)
    except git.GitCommandError:
        return False
    return True


def read_objects(repo: git.Repo, names: list[str]) -> dict[str, tuple[str, str]]:
    """``name -> (blob id, line 1)`` for each object name (a blob id, or
    ``<commit>:<path>``) that names a blob; one ``git cat-file --batch``."""
    if not names:
        return {}
    # git runner: r15-git (the one blob reader)
    proc = repo.git.execute(["git", "cat-file", "--batch"], as_process=True,
                            istream=subprocess.PIPE)
    stdin, stdout = proc.stdin, proc.stdout
    # Feed from a thread so that neither pipe can fill up and block the other.
    request = "".join(f"{n}\n" for n in names).encode("utf-8")
    feeder = threading.Thread(target=lambda: (stdin.write(request), stdin.close()),
                              daemon=True)
    feeder.start()
    out: dict[str, tuple[str, str]] = {}
    try:
        for name in names:
            header = stdout.readline().split()
            if len(header) == 3 and header[2].isdigit():  # "<id> <type> <size>"
                data = stdout.read(int(header[2]) + 1)
                if header[1] == b"blob":
                    out[name] = (header[0].decode(),
                                 data.split(b"\n", 1)[0].decode("utf-8", "replace"))
            # else "<name> missing": e.g. a file removed at that commit
    finally:
        feeder.join()
        stdout.close()
        proc.wait()
    return out
