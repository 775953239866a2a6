"""The cache's SQLite connection: opening it (for writing, or read-only in memory),
the schema check, transactions (:meth:`CacheDb.batch`) and the ``meta`` table.

:class:`CacheDb` is the base of every part of :class:`~gitnews.archive.cache.State`:
each part reads and writes its own tables through :attr:`CacheDb.db`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gitnews.archive.cache.schema import NOISE_SCHEMA, SCHEMA, SCHEMA_VERSION
from gitnews.archive.readonly import is_read_only_fs

if TYPE_CHECKING:
    import git

__all__ = ["CacheDb", "open_writable", "open_read_only"]


def open_writable(path: Path) -> sqlite3.Connection:
    """Open (or create) the cache file at ``path`` for writing; a cache of another
    schema version is emptied of its git-derived tables (:func:`reset`)."""
    # A reader and the writer may use the cache at once: wait for each other.
    db = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        db.executescript(NOISE_SCHEMA)
        row = db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            reset(db)
    except BaseException:
        db.close()
        raise
    return db


def open_read_only(path: Path, head: Callable[[], str | None]) -> sqlite3.Connection:
    """The cache of an archive that cannot be written: always an in-memory database.

    When the file's schema and recorded head are current (``head()``: the
    branch's commit id, asked only then) and no write-ahead log holds changes
    that only a writer could fold in, the file is opened read-only (SQLite's
    ``mode=ro`` URI; ``immutable=1`` too on a read-only file system, where no
    one can change it) and copied into memory (the backup API: about 0.3 s for
    the 86 MB cache of 100,000 versions); otherwise
    :meth:`~gitnews.archive.cache.State.sync` fills the empty in-memory database
    from git (a rebuild, on every command).  Either way a command that updates
    the cache (``run --dry-run``) updates only the copy, and nothing is written
    to disk.
    """
    wal = Path(f"{path}-wal")
    if path.is_file() and not (wal.exists() and wal.stat().st_size):
        immutable = "&immutable=1" if is_read_only_fs(path) else ""
        db = None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{immutable}",
                                 uri=True, isolation_level=None, timeout=60)
            meta = dict(db.execute("SELECT k, v FROM meta WHERE k IN ('schema', 'head')"))
            if meta.get("schema") == SCHEMA_VERSION and meta.get("head") == head():
                memory = sqlite3.connect(":memory:", isolation_level=None)
                db.backup(memory)
                db.close()
                return memory
        except sqlite3.Error:
            pass  # damaged, or not readable: build it in memory
        if db is not None:
            db.close()
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    db.executescript(NOISE_SCHEMA)
    db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    return db


def reset(db: sqlite3.Connection) -> None:
    """Empty the git-derived tables for a new schema version."""
    # The git-derived tables are rebuilt from git by the next sync; a table whose
    # columns changed between schema versions is made anew.
    db.executescript("DROP TABLE articles; DELETE FROM aliases; DROP TABLE versions;"
                     " DROP TABLE outside; DELETE FROM meta;")
    db.executescript("DROP TABLE IF EXISTS search_docs; DROP TABLE IF EXISTS search_text;"
                     " DROP TABLE IF EXISTS search_added; DROP TABLE IF EXISTS search_removed;")
    db.executescript(SCHEMA)
    db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))


class CacheDb:
    """What every part of the cache shares: the archive's repository, the cache
    file, the open database, its transactions and its ``meta`` table."""

    repo: git.Repo
    #: The cache file (``.git/gitnews/state.sqlite``).
    path: Path
    #: True when the archive cannot be written (read-only file system or folder,
    #: :mod:`gitnews.archive.readonly`): the cache is then in memory, a copy of the file when
    #: that is current, else built from git; nothing is written to disk.
    read_only: bool
    db: sqlite3.Connection

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run the updates inside the ``with`` block as one SQLite transaction.

        Every update outside a batch is its own transaction (about 0.1 ms each
        in WAL mode); thousands of them after a big run add up to seconds.  A
        batch inside a batch joins the outer one; an exception rolls the outer
        one back (the cache then stays at its previous state, which is safe).
        """
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
