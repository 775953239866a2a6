"""Create and open an archive: a git repository on branch ``main`` holding
``gitnews.toml``, ``README.md`` (the format, for readers) and one ``.txt``
file per article.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from gitnews.archive.cache import State
from gitnews.archive.gitrun import GitError, LazyRepo, run
from gitnews.archive.readonly import READ_ONLY_ERRNOS, is_read_only, read_only_error
from gitnews.config import CONFIG_NAME, Config, default_config_text, load_config
from gitnews.errors import ArchiveError, CacheError

if TYPE_CHECKING:  # imported where used: a read command needs none (start-up time)
    import git

    from gitnews.archive.lock import ArchiveLock
    from gitnews.archive.store import Transaction

__all__ = ["Archive", "init_archive", "open_archive", "require_archive", "archive_readme",
           "DEFAULT_ARCHIVE"]

#: The archive folder used when none is given (relative to the current folder).
DEFAULT_ARCHIVE = "archive-repo"

_GITATTRIBUTES = "# Article texts are UTF-8 with LF line ends on every platform.\n*.txt text eol=lf\n"


def archive_readme() -> str:
    """The archive's README.md: its format and how to read it with plain git."""
    from importlib import resources  # here: it costs start-up time, and only init needs it

    return resources.files("gitnews.format").joinpath("archive_readme.md").read_text(encoding="utf-8")


@dataclass
class Archive:
    """An open archive: its folder, git repository, configuration and cache.

    Use as a context manager, or call :meth:`close` (it ends GitPython's
    persistent ``git cat-file`` processes and the cache's database, and lets
    go of the write lock).  ``notices`` (list of str) are things found and
    repaired while opening for writing (a stale git lock file removed, files
    brought up to date after an interrupted run), for the caller to show.
    """

    path: Path
    repo: git.Repo
    config: Config
    _state: State | None = field(default=None, repr=False)
    lock: ArchiveLock | None = field(default=None, repr=False)
    notices: list[str] = field(default_factory=list)
    #: Called with each notice added while the archive is open (see :meth:`notify`),
    #: e.g. the CLI's printer; None: they are only collected in ``notices``.
    on_notice: Callable[[str], None] | None = field(default=None, repr=False)

    @property
    def state(self) -> State:
        """The cache, synced with git on first use.

        Raises :class:`~gitnews.errors.CacheError` when it cannot be opened or
        synced (e.g. the disk is full).
        """
        if self._state is None:
            try:
                self._state = self._open_state()
            except sqlite3.DatabaseError as exc:
                if type(exc) is not sqlite3.DatabaseError:  # disk full, locked, I/O...
                    raise cache_error(exc, self.repo) from None
                # Not a database, or a damaged one: the cache is rebuilt from git
                # (what is not history in it — validators, held texts — is lost,
                # which only costs full fetches and later confirmations).
                self.notices.append(f"the cache {self._move_cache_aside()} was damaged "
                                    f"({exc}); it was set aside and rebuilt from git")
                try:
                    self._state = self._open_state()
                except sqlite3.Error as again:
                    raise cache_error(again, self.repo) from None
            except sqlite3.Error as exc:
                raise cache_error(exc, self.repo) from None
        return self._state

    def _open_state(self) -> State:
        state = State(self.repo)
        try:
            state.sync()
        except BaseException:
            state.close()
            raise
        return state

    def _move_cache_aside(self) -> Path:
        """Rename the cache's files to ``state.sqlite.damaged`` (and -wal, -shm);
        returns the cache's path."""
        where = Path(self.repo.git_dir) / "gitnews" / "state.sqlite"
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(f"{where}{suffix}", f"{where}.damaged{suffix}")
            except FileNotFoundError:
                pass
        return where

    def notify(self, notice: str) -> None:
        """Add ``notice`` (str, for the user) to :attr:`notices` and pass it to
        :attr:`on_notice` when set."""
        self.notices.append(notice)
        if self.on_notice is not None:
            self.on_notice(notice)

    def author(self) -> tuple[str, str]:
        return (self.config.archive.author_name, self.config.archive.author_email)

    def transaction(self) -> Transaction:
        """A fast-import transaction on the archive's branch (see :mod:`gitnews.archive.store`)."""
        from gitnews.archive.store import Transaction

        return Transaction(self.repo, author=self.author(), notify=self.notify)

    def reload_config(self) -> None:
        self.config = load_config(self.path)

    def close(self) -> None:
        try:
            if self._state is not None:
                self._state.close()
                self._state = None
            self.repo.close()
        finally:
            if self.lock is not None:
                self.lock.release()
                self.lock = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cache_error(exc: Exception, repo: git.Repo) -> CacheError:
    """A :class:`CacheError` for an ``sqlite3`` error on the archive's cache."""
    where = Path(repo.git_dir) / "gitnews" / "state.sqlite"
    hint = ("free some disk space and run again" if "full" in str(exc).lower() else
            f"delete {where} (it is rebuilt from git) and run again")
    return CacheError(f"the cache {where} could not be read or written ({exc}); the versions "
                      f"in git are safe; {hint}")


def _is_archive(path: Path) -> bool:
    """A git repository with a gitnews.toml (in the files, or committed: a run
    killed right after committing may not have written the files yet)."""
    if not (path / ".git").exists():
        return False
    if (path / CONFIG_NAME).exists():
        return True
    return run(path / ".git", "cat-file", "-e", f"HEAD:{CONFIG_NAME}", check=False).ok


def require_archive(path: Path | str) -> Path:
    """Return ``path`` when it holds a gitnews archive, else raise
    :class:`~gitnews.errors.ArchiveError` that names the folder looked at (also
    as an absolute path) and says how to create an archive or find the right one.

    Only ``gitnews init`` and ``gitnews add`` create an archive (issue 14: a
    command run in the wrong folder, e.g. a cron job missing its ``cd``, must
    fail, not start an empty archive and report success); every other command
    calls this first (:func:`open_archive` does, unless ``create``).
    """
    path = Path(path)
    if _is_archive(path):
        return path
    where = str(path) if path.is_absolute() else f"{path} ({path.absolute()})"
    others = ([p.name for p in path.iterdir() if p.name not in ("README.md", ".git")]
              if path.is_dir() else [])
    if path.exists() and not path.is_dir():
        raise ArchiveError(
            f"no gitnews archive at {where}: it is a file, not a folder; give the archive's "
            "folder with --archive (or GITNEWS_ARCHIVE), or create an archive in an "
            "empty or new folder with `gitnews init --archive FOLDER`")
    if others:
        raise ArchiveError(
            f"no gitnews archive at {where}: it holds other files "
            f"({', '.join(sorted(others)[:3])}); give the archive's "
            "folder with --archive (or GITNEWS_ARCHIVE), or create an archive in an "
            "empty or new folder with `gitnews init --archive FOLDER`")
    hint = ""
    if path.absolute() != Path.cwd() and _is_archive(Path(".")):
        hint = "; the current folder is a gitnews archive: use `--archive .`"
    raise ArchiveError(f"no gitnews archive at {where}; create one with "
                       f"`gitnews init --archive {path}` or `gitnews add URL --archive {path}`, "
                       f"or give the archive's folder with --archive (or GITNEWS_ARCHIVE){hint}")


def _git_init(path: Path, notices: list[str]) -> git.Repo:
    """Check that ``path`` may become an archive and make it a git repository.

    An existing repository whose HEAD is on another branch that has no commit
    yet (``git init`` with ``init.defaultBranch`` master) is switched to the
    archive's branch (``git symbolic-ref HEAD refs/heads/main``); ``notices``
    gets a line saying so."""
    if is_read_only(path):
        raise read_only_error(path, creating=True)
    if path.exists():
        if not path.is_dir():
            raise ArchiveError(f"{path} is a file, not a folder; choose another --archive")
        extra = [p.name for p in path.iterdir() if p.name not in ("README.md", ".git")]
        if extra:
            raise ArchiveError(
                f"{path} already holds other files ({', '.join(sorted(extra)[:3])}); "
                "choose an empty or new folder for the archive")
    import git  # GitPython: only commands that create an archive get here

    from gitnews.archive.worktree import BRANCH, switch_unborn_head

    try:
        path.mkdir(parents=True, exist_ok=True)
        if (path / ".git").exists():
            repo = git.Repo(path)
            try:
                note = switch_unborn_head(repo)
            except BaseException:
                repo.close()
                raise
            if note:
                notices.append(note)
            return repo

        return git.Repo.init(path, initial_branch=BRANCH)
    except (GitError, git.GitCommandError, git.InvalidGitRepositoryError, OSError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        raise ArchiveError(f"git could not create a repository at {path}: {detail}") from None


def _first_commit(repo: git.Repo, path: Path, now: datetime | None) -> None:
    from gitnews.archive.store import Transaction

    config = load_config(path)
    tx = Transaction(repo, author=(config.archive.author_name, config.archive.author_email))
    tx.commit({CONFIG_NAME: default_config_text(), "README.md": archive_readme(),
               ".gitattributes": _GITATTRIBUTES},
              message="Start the gitnews archive\n",
              when=now or datetime.now(UTC))
    tx.finish()


def _take_lock(repo: git.Repo, *, wait_s: float | None, command: str) -> ArchiveLock:
    from gitnews.archive.lock import ArchiveLock

    where = os.fspath(repo.working_tree_dir or repo.git_dir)
    git_dir = os.fspath(repo.git_dir)
    if is_read_only(git_dir):
        raise read_only_error(where)
    lock = ArchiveLock(git_dir, command=command)
    try:
        lock.acquire(wait_s=wait_s)
    except OSError as exc:
        if exc.errno in READ_ONLY_ERRNOS:
            raise read_only_error(where, detail=f"{exc.strerror}: {exc.filename}") from None
        raise
    return lock


def _recover(repo: git.Repo, lock: ArchiveLock) -> list[str]:
    """Repairs after a writer died (call with the lock held); returns notices."""
    from gitnews.archive.lock import (
        clear_stale_git_files,
        wait_for_git_locks,
        wait_for_orphaned_writers,
    )
    from gitnews.archive.worktree import sync_worktree

    notices = []
    git_dir = Path(repo.git_dir)
    if lock.taken_over is not None:
        notices.append(f"the previous writer ({lock.taken_over.describe()}) ended without "
                       "finishing; checking the archive")
        waited = wait_for_orphaned_writers(git_dir)
        if waited:
            notices.append(waited)
    wait_for_git_locks(git_dir)
    notices += clear_stale_git_files(git_dir)
    try:
        note = sync_worktree(repo)
    except GitError as exc:
        note = (f"could not bring the archive's files up to date with its branch "
                f"({exc.stderr.strip()}); the versions are safe in git; run "
                f"`git -C {repo.working_tree_dir} status` to see why")
    if note:
        notices.append(note)
    return notices


def init_archive(path: Path | str, *, now: datetime | None = None,
                 wait_s: float | None = 0.0, notices: list[str] | None = None) -> Path:
    """Create an archive at ``path`` with one initial commit; returns its path.

    ``path`` may not exist yet, or be empty but for a README.md (and a
    ``.git``: an existing repository; one whose HEAD is on another branch
    with no commit yet is switched to ``main``, and ``notices``, when given,
    gets a line (str) saying so).  Raises
    :class:`~gitnews.errors.ArchiveError` when it already holds an archive or
    other files, :class:`~gitnews.errors.ArchiveLockedError` when another
    process is writing to it (after ``wait_s`` seconds),
    :class:`~gitnews.errors.ReadOnlyArchiveError` when ``path`` (or the folder
    it would be made in) cannot be written.
    """
    path = Path(path)
    if _is_archive(path):
        raise ArchiveError(f"{path} is already a gitnews archive; use it as it is")
    repo = _git_init(path, notices if notices is not None else [])
    try:
        lock = _take_lock(repo, wait_s=wait_s, command="gitnews init")
        try:
            if _is_archive(path):  # another process made it meanwhile
                raise ArchiveError(f"{path} is already a gitnews archive; use it as it is")
            _first_commit(repo, path, now)
        finally:
            lock.release()
    finally:
        repo.close()
    return path


def open_archive(path: Path | str, *, create: bool = False, lock: bool = False,
                 wait_s: float | None = 0.0, command: str = "gitnews") -> Archive:
    """Open the archive at ``path`` (creating it first when ``create``: only
    ``gitnews init`` and ``gitnews add`` may, see :func:`require_archive`).

    ``lock=True`` opens it for writing: the archive's write lock
    (:mod:`gitnews.archive.lock`) is taken, waiting up to ``wait_s`` seconds (``inf``
    for ever), and held until :meth:`Archive.close`; what a crashed writer
    left behind is then repaired (see :attr:`Archive.notices`).  ``command``
    names this process in another writer's "is writing" message.  Every
    command that writes (commits, or edits ``gitnews.toml``) must pass
    ``lock=True``.

    Raises :class:`~gitnews.errors.ArchiveError` when ``path`` is not an
    archive, :class:`~gitnews.errors.ArchiveLockedError` when another process
    holds the lock, :class:`~gitnews.errors.ReadOnlyArchiveError` when ``lock``
    (or ``create``) is asked of an archive that cannot be written (read-only
    file system or folder; opening it without ``lock`` works: see
    :mod:`gitnews.archive.readonly`), :class:`~gitnews.errors.ConfigError` when its gitnews.toml
    is invalid.
    """
    path = Path(path)
    held: ArchiveLock | None = None
    repo: git.Repo | None = None
    try:
        if not _is_archive(path):
            if not create:
                require_archive(path)  # raises: says where it looked and what to do
            created: list[str] = []
            repo = _git_init(path, created)
            held = _take_lock(repo, wait_s=wait_s, command=command)
            if not _is_archive(path):  # else another process made it meanwhile
                _first_commit(repo, path, None)
            notices = created + _recover(repo, held)
            if not lock:
                held.release()
                held = None
        else:
            repo = _open_repo(path)
            notices = []
            if lock:
                held = _take_lock(repo, wait_s=wait_s, command=command)
                notices = _recover(repo, held)
        return Archive(path=path, repo=repo, config=load_config(path), lock=held,
                       notices=notices)
    except BaseException:
        if repo is not None:
            repo.close()
        if held is not None:
            held.release()
        raise


def _check_owner(path: Path, repo: LazyRepo) -> None:
    """Raise :class:`~gitnews.errors.ArchiveError` when git refuses the repository at
    ``path`` because another user owns it (git's ``safe.directory`` check, git
    2.35.2 and later): git then reads it when given ``--git-dir`` but not from its
    folder, so that some commands would work and others fail half-way.  Costs one
    ``stat`` when the current user owns the folder (the usual case)."""
    geteuid = getattr(os, "geteuid", None)
    try:
        owners = {path.stat().st_uid, (path / ".git").stat().st_uid}
    except OSError:
        return
    if geteuid is None or owners == {geteuid()}:
        return
    probe = run(repo, "rev-parse", "--git-dir", check=False)
    if probe.ok:
        return
    why = probe.stderr.decode("utf-8", "replace").strip().splitlines()
    raise ArchiveError(
        f"git refuses to read the archive {path}: {why[0] if why else 'it failed'}. "
        "Its folder belongs to another user; run gitnews as that user, or, if you trust "
        f"it, tell git so: git config --global --add safe.directory {path.resolve()}")


def _open_repo(path: Path) -> git.Repo:
    dot_git = path / ".git"
    if dot_git.is_dir() and (dot_git / "HEAD").is_file() and (dot_git / "objects").is_dir():
        # The usual archive: GitPython is imported only when something needs it.  A
        # LazyRepo stands in for the git.Repo (every attribute but the folders comes
        # from one).
        lazy = LazyRepo(str(path))
        _check_owner(path, lazy)
        return cast("git.Repo", lazy)
    import git

    try:
        return git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ArchiveError(f"{path} is not a git repository ({exc})") from None
