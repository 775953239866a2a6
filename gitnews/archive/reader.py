"""Reading an archive from its cache alone: the fast path of the read commands.

A read command that answers from the cache (``gitnews changes``, ``gitnews stats``)
needs the cache's tables and, for texts, git's plumbing (``git cat-file --batch``,
:class:`~gitnews.archive.objects.BlobReader`); it does not need GitPython, the
archive's configuration, or the code that writes and syncs the cache.
:func:`open_reader` gives it an :class:`ArchiveReader` that holds only that:

* **the fast path**, when the cache is current: the cache file
  (``.git/gitnews/state.sqlite``) exists, its schema is
  :data:`~gitnews.archive.cache.schema.SCHEMA_VERSION` and its recorded ``head`` is
  the branch's commit (one ``git rev-parse``,
  :func:`~gitnews.archive.cache.gitcalls.head`).  The file is opened for queries only
  (SQLite's ``query_only`` pragma; never created: the ``mode=rw`` URI) in one read
  transaction, so that every query sees the same state of the cache even while a
  writer updates it (WAL mode: readers never wait for the writer);
* **otherwise** (no cache yet, another schema, commits the cache has not seen, a
  damaged or locked file, an archive that cannot be written, a folder that is not an
  archive), the archive is opened as every command opens it
  (:func:`~gitnews.archive.repo.open_archive`): its cache is synced with git (or
  built in memory for a read-only archive, :mod:`gitnews.archive.readonly`), and
  every error is the one that function raises.  The answers are the same either
  way; only the cost differs.

:class:`CacheSource` is what code that reads the cache asks for: an
:class:`ArchiveReader` or an open :class:`~gitnews.archive.repo.Archive` (both have
``repo`` and ``state.db``, ``state.get_meta``).

Imports only the standard library, :mod:`gitnews.archive.gitrun`,
:mod:`gitnews.archive.readonly` and two small parts of the cache (``schema``,
``gitcalls``) on the fast path; GitPython never (tests/test_startup.py).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gitnews.archive.gitrun import LazyRepo, RepoDirs

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive

__all__ = ["ArchiveReader", "CacheSource", "CacheTables", "open_reader", "open_current",
           "CONFIG_FILE"]

#: The archive's configuration file (:data:`gitnews.config.settings.CONFIG_NAME`; named
#: here because importing :mod:`gitnews.config` costs start-up time; a test checks both
#: agree).  The fast path is taken only when the working tree holds it.
CONFIG_FILE = "gitnews.toml"


class CacheTables(Protocol):
    """The cache's connection and ``meta`` table (a
    :class:`~gitnews.archive.cache.State`, or an :class:`ArchiveReader`)."""

    @property
    def db(self) -> sqlite3.Connection: ...

    def get_meta(self, key: str) -> str | None: ...


class CacheSource(Protocol):
    """An archive whose cache may be read: ``repo`` (for git's plumbing) and ``state``
    (the cache, synced with git).  An :class:`ArchiveReader` or an open
    :class:`~gitnews.archive.repo.Archive`."""

    @property
    def repo(self) -> RepoDirs: ...

    @property
    def state(self) -> CacheTables: ...


class ArchiveReader:
    """An archive opened for reading its cache (see the module's docstring).

    ``path``: the archive's folder; ``repo``: its repository (a
    :class:`~gitnews.archive.gitrun.LazyRepo`, or the opened archive's);
    ``db``: the cache's connection (queries only on the fast path: a write raises
    :class:`sqlite3.OperationalError`); ``fast``: whether the fast path was taken.
    ``state`` is the reader itself (:class:`CacheSource`).  Use as a context
    manager, or call :meth:`close`.
    """

    def __init__(self, path: Path, repo: RepoDirs, db: sqlite3.Connection, *,
                 archive: Archive | None = None) -> None:
        self.path = path
        self.repo = repo
        self.db = db
        self.fast = archive is None
        self._archive = archive

    @property
    def state(self) -> ArchiveReader:
        return self

    def get_meta(self, key: str) -> str | None:
        """The cache's ``meta`` value for ``key`` (None: none)."""
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()  # closes its cache too
            self._archive = None
        else:
            self.db.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_current(path: Path | str) -> ArchiveReader | None:
    """The fast path alone: the reader of the archive at ``path`` when it is an
    archive whose cache is current (see the module's docstring), else None.  Never
    raises: every doubt is a None, for :func:`open_reader`'s slow path to answer.

    A folder it opens is an archive, never a collection (``gitnews init`` and
    ``init --collection`` each refuse the other's folder), so a command may try this
    before asking whether ``path`` is a collection (which costs an import)."""
    from gitnews.archive.readonly import is_read_only

    path = Path(path)
    dot_git = path / ".git"
    cache = dot_git / "gitnews" / "state.sqlite"  # gitnews.archive.cache.state.STATE_DIR
    if not (cache.is_file() and (dot_git / "HEAD").is_file() and (path / CONFIG_FILE).is_file()):
        return None
    if is_read_only(cache.parent) or is_read_only(cache):
        return None  # gitnews.archive.cache.db.open_read_only decides what to read
    from gitnews.archive.cache import gitcalls
    from gitnews.archive.cache.schema import SCHEMA_VERSION

    db = None
    try:
        # Not SQLite's mode=ro: a read-only connection leaves the WAL's files behind, where
        # the last connection to close (a writable one) removes them.  query_only: no write.
        db = sqlite3.connect(f"{cache.resolve().as_uri()}?mode=rw", uri=True,
                             isolation_level=None, timeout=60)
        db.execute("PRAGMA query_only = ON")
        db.execute("BEGIN")  # one snapshot for every query (WAL)
        meta = dict(db.execute("SELECT k, v FROM meta WHERE k IN ('schema', 'head')"))
        if meta.get("schema") != SCHEMA_VERSION:
            db.close()
            return None
        repo = LazyRepo(str(path))
        head = gitcalls.head(repo)  # None: git cannot read it (or no commit): slow path
        if head is None or meta.get("head") != head:
            db.close()
            return None
    except (sqlite3.Error, OSError):
        if db is not None:
            db.close()
        return None
    return ArchiveReader(path, repo, db)


def open_reader(path: Path | str) -> ArchiveReader:
    """Open the archive at ``path`` for reading its cache (see the module's docstring).

    Raises what :func:`~gitnews.archive.repo.open_archive` raises when the fast path
    is not taken (:class:`~gitnews.errors.ArchiveError` when ``path`` is not an
    archive, :class:`~gitnews.errors.ConfigError` for an invalid gitnews.toml), and
    :class:`~gitnews.errors.CacheError` when the cache cannot be read or synced.
    """
    path = Path(path)
    reader = open_current(path)
    if reader is not None:
        return reader
    from gitnews.archive.repo import open_archive

    arc = open_archive(path)
    try:
        db = arc.state.db  # synced with git (or built in memory)
    except BaseException:
        arc.close()
        raise
    return ArchiveReader(path, arc.repo, db, archive=arc)
