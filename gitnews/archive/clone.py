"""Clones and remotes of whole archives: what a collection (:mod:`gitnews.collection`) and
its workers (:mod:`gitnews.fleet`) need of git beyond one archive's own history.

* :func:`clone_archive`: ``git clone`` of an archive's remote into a new folder (a worker
  that has no copy of the archive yet);
* :func:`init_bare`: an empty bare repository (a remote on a local path or a shared disk);
* :func:`set_remote`: add or re-point a named git remote of an archive.

Every git command goes through :func:`gitnews.archive.gitrun.run`; failures raise
:class:`~gitnews.errors.PushError` naming the remote and what to do.
"""

from __future__ import annotations

from pathlib import Path

from gitnews.archive.gitrun import GitError, run
from gitnews.errors import PushError

__all__ = ["clone_archive", "init_bare", "set_remote"]


class _Folder:
    """A folder to run git in (``git -C folder``), shaped as :class:`~gitnews.archive.gitrun.RepoDirs`."""

    def __init__(self, folder: Path) -> None:
        self.bare = False
        self.git_dir = folder
        self.working_tree_dir: Path | None = folder


def clone_archive(url: str, path: Path, *, timeout_s: float | None = 120.0) -> Path:
    """Clone the archive at git remote ``url`` into ``path`` (which must not exist yet);
    its remote is named ``origin`` (``[publish]`` remote's default).  Returns ``path``.

    Raises :class:`~gitnews.errors.PushError` when git cannot clone it (unreachable,
    no such repository, ``timeout_s`` seconds passed); nothing is left at ``path`` then.
    """
    import shutil

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        run(_Folder(path.parent), "clone", "--quiet", "--origin", "origin", "--branch", "main", url,
            str(path), timeout_s=timeout_s)
    except GitError as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise PushError(f"cannot clone the archive from {url}: {exc}; check that the remote "
                        "exists and this machine may read it", remote=url) from None
    return path


def init_bare(path: Path) -> Path:
    """An empty bare git repository at ``path`` (kept as it is when one is there already)."""
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return path
    path.mkdir(parents=True, exist_ok=True)
    try:
        run(_Folder(path), "init", "--quiet", "--bare", "--initial-branch", "main", ".")
    except GitError as exc:
        raise PushError(f"cannot create a bare repository at {path}: {exc}",
                        remote=str(path)) from None
    return path


def set_remote(archive_path: Path, name: str, url: str) -> None:
    """Point the archive's git remote ``name`` at ``url`` (added when missing)."""
    names = run(_Folder(archive_path), "remote", check=False).text.split()
    verb = "set-url" if name in names else "add"
    run(_Folder(archive_path), "remote", verb, name, url)
