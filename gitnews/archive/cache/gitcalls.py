"""The cache's git calls, in one place: the branch's head, whether one commit is an
ancestor of another, and the blob ids and first lines of objects.

The rest of the cache reads git only through these and
:func:`gitnews.archive.history.iter_commits`.  They run git through the archive's one
runner (:mod:`gitnews.archive.gitrun`) and one blob reader
(:class:`gitnews.archive.objects.BlobReader`), without GitPython: every command
asks the cache, and read commands must start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitnews.archive import gitrun
from gitnews.archive.objects import BlobReader

if TYPE_CHECKING:
    from gitnews.archive.gitrun import RepoDirs

__all__ = ["head", "is_ancestor", "read_objects"]


def head(repo: RepoDirs) -> str | None:
    """The branch's commit id, or None before the first commit (one ``git
    rev-parse``)."""
    done = gitrun.run(str(repo.git_dir), "rev-parse", "--verify", "-q", "HEAD", check=False)
    found = done.text.strip()
    return found if done.ok and found else None


def is_ancestor(repo: RepoDirs, ancestor: str, commit: str) -> bool:
    """Whether ``ancestor`` is ``commit`` or one of its ancestors (``git merge-base
    --is-ancestor``, git-merge-base(1): exit status 0)."""
    return gitrun.run(repo, "merge-base", "--is-ancestor", ancestor, commit, check=False).ok


def read_objects(repo: RepoDirs, names: list[str]) -> dict[str, tuple[str, str]]:
    """``name -> (blob id, line 1)`` for each object name (a blob id, or
    ``<commit>:<path>``) that names a blob; a name that names nothing (e.g. a file
    removed at that commit) is left out.  One ``git cat-file --batch``."""
    if not names:
        return {}
    with BlobReader(repo) as reader:
        found = reader.lookup(names)
    return {name: (blob, data.split(b"\n", 1)[0].decode("utf-8", "replace"))
            for name, (blob, data) in found.items()}
