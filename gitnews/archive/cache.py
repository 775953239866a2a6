"""The rebuildable cache: what gitnews knows between runs, outside history.

Kept in ``.git/gitnews/state.sqlite`` (inside ``.git``, so never committed and
never in the working tree).  Two kinds of data:

* derived from git (articles, their version counts, current blob ids,
  headlines, aliases found in trailers, every version and every outside
  edit): rebuilt from ``git log`` whenever the cache's recorded ``head`` is
  not the branch's current commit.  Versions are gitnews's own commits
  (:func:`gitnews.archive.history.is_version`); a commit made without gitnews's
  trailers that touches an article's file is an *outside edit*, kept apart
  and never counted;
* check state that changes on every run (ETag, Last-Modified, last check,
  failure streak, unchanged checks for the schedule, the backlog of articles
  not fetched yet, robots.txt copies and host back-offs): losing it costs
  only a full re-fetch.

Deleting the file is always safe.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gitnews.archive import lazygit as git  # GitPython, imported on first use (start-up time)
from gitnews.archive.history import OutsideEdit, is_version, iter_commits
from gitnews.archive.readonly import is_read_only, is_read_only_fs
from gitnews.format.trailers import format_time, parse_trailers
from gitnews.format.urls import identity_key
from gitnews.models import Version

if TYPE_CHECKING:
    from gitnews.archive.store import Transaction

__all__ = ["State", "ArticleRecord", "STATE_DIR"]

STATE_DIR = "gitnews"
# 2: alias keys are identity_key (no www., no trailing /); 4: the versions table;
# 5: only gitnews's commits are versions, outside edits in their own table.
# 6: both (5 was never released): URL keys in Unicode NFC (issue 13) and outside edits;
# an older cache is rebuilt from git, as at every schema change.
# 7: repeats and edited (versions that only put back the text after an outside edit
# are not changes).
_SCHEMA_VERSION = "7"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS articles (
    path TEXT PRIMARY KEY, folded TEXT NOT NULL, url TEXT NOT NULL,
    versions INTEGER NOT NULL, blob TEXT, headline TEXT, feed TEXT,
    first_seen TEXT, last_changed TEXT, removed INTEGER NOT NULL DEFAULT 0,
    vblob TEXT, outside INTEGER NOT NULL DEFAULT 0,
    repeats INTEGER NOT NULL DEFAULT 0, edited TEXT);
-- blob: the file's blob at the branch's head (NULL: no file); vblob: the newest
-- version's (NULL: a removal); outside: 1 when they differ, i.e. the file holds
-- an outside edit. versions, first_seen, last_changed, removed, headline: of
-- gitnews's versions only. repeats: versions whose text is the one of the version
-- before them (committed after an outside edit, gitnews.archive.history.same_text): not
-- changes; edited: the time of the newest version that is not one of those.
CREATE INDEX IF NOT EXISTS articles_folded ON articles(folded);
CREATE TABLE IF NOT EXISTS aliases (key TEXT PRIMARY KEY, path TEXT NOT NULL);
-- Every version of every article (blob NULL: the removal): commit id, commit time
-- (Unix seconds), subject and trailers (a JSON object, the last value of a repeated
-- key), so that reading an article's history (gitnews.versions.record's change decisions,
-- gitnews log/show/diff) needs no git log, whatever the archive's size.
CREATE TABLE IF NOT EXISTS versions (
    path TEXT NOT NULL, number INTEGER NOT NULL, commit_id TEXT NOT NULL, at INTEGER NOT NULL,
    blob TEXT, subject TEXT NOT NULL, trailers TEXT NOT NULL,
    PRIMARY KEY (path, number)) WITHOUT ROWID;
-- Commits without gitnews's trailers that touched an article's file (gitnews.archive.history
-- .is_version): not versions. after: the number of the version they follow; blob
-- NULL: the file was deleted. In the order git gave them (rowid).
CREATE TABLE IF NOT EXISTS outside (
    path TEXT NOT NULL, commit_id TEXT NOT NULL, at INTEGER NOT NULL, blob TEXT,
    subject TEXT NOT NULL, after INTEGER NOT NULL, UNIQUE (path, commit_id));
CREATE INDEX IF NOT EXISTS outside_path ON outside(path);
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checks (
    path TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_checked TEXT,
    failures INTEGER NOT NULL DEFAULT 0, last_error TEXT);
-- The schedule (gitnews.versions.schedule): unchanged checks since the last change, and
-- a check put off (robots.txt refused it) until not_before.
CREATE TABLE IF NOT EXISTS schedule (
    path TEXT PRIMARY KEY, unchanged INTEGER NOT NULL DEFAULT 0, not_before TEXT);
-- Articles seen in a feed but not fetched yet (a bounded run left them over):
-- checked first next time, in the order they were first seen.
CREATE TABLE IF NOT EXISTS backlog (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, feed TEXT, aliases TEXT NOT NULL DEFAULT '[]',
    first_seen TEXT NOT NULL);
-- Politeness (gitnews.sources.http): robots.txt copies per origin, back-off per host.
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY, status INTEGER, body TEXT, fetched_at TEXT NOT NULL,
    expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, backoff_until TEXT, last_request TEXT);
"""

# Noise control (gitnews.versions.record): not history, so not rebuilt from git; losing it
# only delays a confirmation or forgets how often an article alternated.
_NOISE_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    path TEXT PRIMARY KEY, blob TEXT NOT NULL, first_seen TEXT NOT NULL,
    sightings INTEGER NOT NULL, reason TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gone (
    path TEXT PRIMARY KEY, first_seen TEXT NOT NULL, status INTEGER, detail TEXT);
CREATE TABLE IF NOT EXISTS alternations (
    path TEXT PRIMARY KEY, returns INTEGER NOT NULL, last_seen TEXT, seen_blob TEXT);
CREATE TABLE IF NOT EXISTS fetched (path TEXT PRIMARY KEY, url TEXT, fingerprint TEXT);
-- Since when an article's checks fail (the first failure of the current streak),
-- for `gitnews status`.
CREATE TABLE IF NOT EXISTS failing (path TEXT PRIMARY KEY, since TEXT NOT NULL);
"""


@dataclass
class ArticleRecord:
    """One tracked article as the cache knows it (times are RFC 3339 UTC strings)."""

    path: str
    url: str
    versions: int
    blob: str | None
    headline: str | None
    feed: str | None
    first_seen: str | None
    last_changed: str | None
    removed: bool
    etag: str | None = None
    last_modified: str | None = None
    last_checked: str | None = None
    failures: int = 0
    last_error: str | None = None
    unchanged: int = 0            # checks that found no change since the last change
    not_before: str | None = None  # the next check is put off until then
    outside_edit: bool = False    # the file holds an outside edit, not its newest version's text
    repeats: int = 0              # versions that only put back the text of the version before
    edited: str | None = None     # newest version that changed the text (None: last_changed)

    @property
    def changes(self) -> int:
        """How many times the article changed: its versions after the first, less
        those that only put back the previous version's text after an outside edit
        (:func:`gitnews.archive.history.same_text`)."""
        return max(0, self.versions - 1 - self.repeats)

    @property
    def last_edited(self) -> str | None:
        """When the article last changed (RFC 3339 UTC): its newest version that
        is not a mere restoration of the text after an outside edit."""
        return self.edited or self.last_changed


def _safe_key(url: str) -> str | None:
    try:
        return identity_key(url)
    except Exception:
        return None


class State:
    """The cache of one archive; :meth:`sync` it with git before use."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        folder = Path(repo.git_dir) / STATE_DIR
        self.path = folder / "state.sqlite"
        #: True when the archive cannot be written (read-only file system or folder,
        #: :mod:`gitnews.archive.readonly`): the cache is then in memory, a copy of the file when
        #: that is current, else built from git; nothing is written to disk.
        self.read_only = is_read_only(folder) or (self.path.exists() and is_read_only(self.path))
        if self.read_only:
            self.db = self._open_read_only()
            return
        folder.mkdir(exist_ok=True)
        # A reader and the writer may use the cache at once: wait for each other.
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.executescript(_NOISE_SCHEMA)
            row = self.db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
            if row is None or row[0] != _SCHEMA_VERSION:
                self._reset()
        except BaseException:
            self.db.close()
            raise

    def _open_read_only(self) -> sqlite3.Connection:
        """The cache of an archive that cannot be written: always an in-memory database.

        When the file's schema and recorded head are current and no write-ahead
        log holds changes that only a writer could fold in, the file is opened
        read-only (SQLite's ``mode=ro`` URI; ``immutable=1`` too on a read-only
        file system, where no one can change it) and copied into memory (the
        backup API: about 0.3 s for the 86 MB cache of 100,000 versions);
        otherwise :meth:`sync` fills the empty in-memory database from git (a
        rebuild, on every command).  Either way a command that updates the cache
        (``run --dry-run``) updates only the copy, and nothing is written to disk.
        """
        wal = Path(f"{self.path}-wal")
        if self.path.is_file() and not (wal.exists() and wal.stat().st_size):
            immutable = "&immutable=1" if is_read_only_fs(self.path) else ""
            db = None
            try:
                db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro{immutable}",
                                     uri=True, isolation_level=None, timeout=60)
                meta = dict(db.execute("SELECT k, v FROM meta WHERE k IN ('schema', 'head')"))
                if meta.get("schema") == _SCHEMA_VERSION and meta.get("head") == self._head():
                    memory = sqlite3.connect(":memory:", isolation_level=None)
                    db.backup(memory)
                    db.close()
                    return memory
            except sqlite3.Error:
                pass  # damaged, or not readable: build it in memory
            if db is not None:
                db.close()
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(_SCHEMA)
        db.executescript(_NOISE_SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
        return db

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

    def _reset(self) -> None:
        # The git-derived tables are rebuilt from git by the next sync; a table whose
        # columns changed between schema versions is made anew.
        self.db.executescript("DROP TABLE articles; DELETE FROM aliases; DROP TABLE versions;"
                              " DROP TABLE outside; DELETE FROM meta;")
        self.db.executescript(_SCHEMA)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))

    # -- sync with git ----------------------------------------------------------------
    def _head(self) -> str | None:
        """The branch's commit id, or None before the first commit (one ``git
        rev-parse``, without GitPython: every command asks it)."""
        proc = subprocess.run(["git", "--git-dir", str(self.repo.git_dir), "rev-parse",
                               "--verify", "-q", "HEAD"], capture_output=True, text=True)
        head = proc.stdout.strip()
        return head if proc.returncode == 0 and head else None

    def sync(self, *, transaction: Transaction | None = None) -> None:
        """Bring the git-derived tables up to date with the branch.

        Replays only the commits since the recorded head when that is an
        ancestor of HEAD; otherwise rebuilds from the whole history.  Given the
        finished ``transaction`` that moved the branch from the recorded head to
        HEAD, takes its commits from what it remembers
        (:attr:`~gitnews.archive.store.Transaction.written`) instead of reading them
        back from git: the same result, without a ``git log`` of the run.
        """
        head = self._head()
        row = self.db.execute("SELECT v FROM meta WHERE k='head'").fetchone()
        if head == (row[0] if row else None):
            return
        # Another process (a reader of the same archive) may sync at the same
        # time: take the write lock first and read the recorded head again
        # inside the transaction, so that no commit is ever counted twice.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._sync_locked(head, transaction)  # batches inside join this transaction
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _sync_locked(self, head: str | None, transaction: Transaction | None) -> None:
        row = self.db.execute("SELECT v FROM meta WHERE k='head'").fetchone()
        known = row[0] if row else None
        if head == known:
            return
        if (transaction is not None and transaction.written is not None and known
                and transaction.old_head == known and transaction.commits
                and transaction.commits[-1] == head):
            with self.batch():
                current: dict[str, tuple[str, str] | None] = {}
                for _, _, changes in transaction.written:
                    current.update(changes)
                touched = self._fold(
                    (commit, when, message, [("D", p, None) if c is None else ("M", p, c[0])
                                             for p, c in changes.items()])
                    for commit, (when, message, changes)
                    in zip(transaction.commits, transaction.written))
                self.db.executemany(
                    "UPDATE articles SET blob=?, headline=COALESCE(?, headline) WHERE path=?",
                    ((*(current.get(p) or (None, None)), p) for p in touched))
                self._mark_outside(touched)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (head,))
            return
        if head is None:
            self._forget_history()
            self.db.execute("DELETE FROM meta WHERE k='head'")
            return
        rev = head  # not "HEAD": a writer may move it while a reader syncs
        rewritten = False
        if known:
            try:
                self.repo.git.merge_base("--is-ancestor", known, head)
                rev = f"{known}..{head}"
            except git.GitCommandError:
                known, rewritten = None, True
        with self.batch():
            if known is None:
                self._forget_history()
            if rewritten:
                # The history was rewritten (reset, rebase): the validators may belong
                # to versions git no longer has, and a 304 would then keep the page's
                # current text out of the archive for ever.  Forget them: the next
                # check of each article fetches it in full.
                self.db.execute("UPDATE checks SET etag=NULL, last_modified=NULL")
            touched = self._replay(rev)
            self._refresh_blobs(head, touched)
            self._mark_outside(touched)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (head,))

    def _forget_history(self) -> None:
        """Empty the tables derived from git's history (before a rebuild)."""
        for table in ("articles", "aliases", "versions", "outside"):
            self.db.execute(f"DELETE FROM {table}")

    def _replay(self, rev: str) -> list[str]:
        """Apply the commits of ``rev`` (one streamed ``git log``) to the tables;
        returns the touched paths."""
        return self._fold((e.commit, e.time, e.message,
                           [(s, p, e.blobs.get(p)) for s, p in e.changes])
                          for e in iter_commits(self.repo, rev, blobs=True))

    def _fold(self, commits: Iterable[tuple[str, datetime, str,
                                            list[tuple[str, str, str | None]]]]) -> list[str]:
        """Apply ``(commit id, time, message, [(status, path, blob id)])`` commits,
        oldest first, to the tables.

        The commits are folded in memory into one row per touched article and
        one per alias, then written with ``executemany`` upserts: the cost is
        one SQL statement per article and one per version, not several per
        commit.  Returns the touched paths.
        """
        rows: dict[str, list] = {}    # path -> [url, new versions, first, last, removed, feed,
        #                                        newest version's blob, repeats, edited]
        aliases: dict[str, str] = {}  # url key -> path; the latest commit wins
        versions: list[tuple] = []    # rows of the versions table
        outside: list[tuple] = []     # rows of the outside table
        base: dict[str, int | None] = {}  # path -> versions before these commits (None: unknown)
        base_blob: dict[str, str | None] = {}  # path -> its newest version's blob before them
        touched: dict[str, None] = {}  # every article path touched, in order
        for commit, when, message, changes in commits:
            trailers = dict(parse_trailers(message))
            # Only gitnews's own commits are versions; any other commit that touches an
            # article's file (an edit made with plain git) is an outside edit: kept, shown
            # by `gitnews log`, never numbered or counted (docs/archive-format.md).
            version = is_version(trailers)
            url = trailers.get("Article-Url") if version else None
            at = int(when.timestamp())
            subject = message.split("\n", 1)[0]
            if version:
                ts = format_time(when)
                trailers_json = json.dumps(trailers, ensure_ascii=False, separators=(",", ":"))
                feed = trailers.get("Feed")
                keys = [k for k in (_safe_key(url), _safe_key(trailers["Fetched-Url"])
                                    if trailers.get("Fetched-Url") else None) if k]
            for status, path, blob in changes:
                if not path.endswith(".txt"):
                    continue
                if path not in base:
                    found = self.db.execute("SELECT versions, vblob FROM articles WHERE path=?",
                                            (path,)).fetchone()
                    base[path] = found[0] if found else None
                    base_blob[path] = found[1] if found else None
                row = rows.get(path)
                count = (base[path] or 0) + (row[1] if row else 0)
                if not version:
                    if base[path] is None and row is None:
                        continue  # a file gitnews never wrote is not an article
                    outside.append((path, commit, at, None if status == "D" else blob,
                                    subject, count))
                    touched[path] = None
                    continue
                previous_blob = row[6] if row is not None else base_blob[path]
                if row is None:
                    row = rows[path] = [url, 0, ts, ts, False, None, None, 0, None]
                row[0], row[3], row[4] = url, ts, status == "D"
                row[1] += 1
                row[6] = None if status == "D" else blob
                if row[6] is not None and row[6] == previous_blob:  # history.same_text
                    row[7] += 1
                else:
                    row[8] = ts
                versions.append((path, count + 1, commit, at, row[6], subject, trailers_json))
                if feed:
                    row[5] = feed
                for key in keys:
                    aliases[key] = path
                touched[path] = None
        self.db.executemany(
            "INSERT INTO articles(path, folded, url, versions, feed, first_seen, last_changed,"
            " removed, vblob, repeats, edited) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(path) DO UPDATE SET"
            " url=excluded.url, versions=versions+excluded.versions,"
            " last_changed=excluded.last_changed, removed=excluded.removed,"
            " feed=COALESCE(excluded.feed, feed), vblob=excluded.vblob,"
            " repeats=repeats+excluded.repeats, edited=COALESCE(excluded.edited, edited)",
            ((path, path.casefold(), url, n, feed, first, last, int(removed), vblob, repeats,
              edited)
             for path, (url, n, first, last, removed, feed, vblob, repeats, edited)
             in rows.items()))
        self.db.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?)", aliases.items())
        self.db.executemany("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?,?,?)", versions)
        self.db.executemany("INSERT OR IGNORE INTO outside VALUES (?,?,?,?,?,?)", outside)
        return list(touched)

    def _mark_outside(self, paths: list[str]) -> None:
        """Flag each of ``paths`` whose file no longer holds its newest version's text
        (an outside edit), and forget its ETag and Last-Modified: the next check then
        fetches the page in full, so that a 304 can never keep an outside edit as the
        article's text (the page's text is committed when it differs from the file)."""
        self.db.executemany("UPDATE articles SET outside = (blob IS NOT vblob) WHERE path=?",
                            ((p,) for p in paths))
        self.db.executemany(
            "UPDATE checks SET etag=NULL, last_modified=NULL WHERE path=?"
            " AND EXISTS (SELECT 1 FROM articles a WHERE a.path=checks.path AND a.outside=1)",
            ((p,) for p in paths))

    def _refresh_blobs(self, head: str, paths: list[str]) -> None:
        """Store the current blob id of each of ``paths`` (its file at ``head``) and
        its headline: line 1 of its newest version's text, not of an outside edit."""
        current = self._read_current(head, paths)
        newest = {}  # path -> its newest version's blob, where the file holds an outside edit
        for i in range(0, len(paths), 500):
            chunk = paths[i:i + 500]
            for path, vblob in self.db.execute(
                    f"SELECT path, vblob FROM articles WHERE path IN ({','.join('?' * len(chunk))})",
                    chunk):
                if vblob and current.get(path, (None,))[0] != vblob:
                    newest[path] = vblob
        lines = self._read_objects(list(newest.values())) if newest else {}
        self.db.executemany(
            "UPDATE articles SET blob=?, headline=COALESCE(?, headline) WHERE path=?",
            ((current.get(path, (None,))[0],
              lines.get(newest[path], (None, None))[1] if path in newest
              else current.get(path, (None, None))[1], path) for path in paths))

    def _read_current(self, head: str, paths: list[str]) -> dict[str, tuple[str, str]]:
        """``path -> (blob id, line 1)`` at commit ``head``, for the paths that exist there.

        One ``git cat-file --batch`` asked for ``<head>:<path>`` (gitrevisions(7)):
        git resolves each path itself, so the cost follows the number of paths
        asked, not the size of the tree.  Archive paths never contain a newline.
        """
        found = self._read_objects([f"{head}:{p}" for p in paths])
        return {p: found[f"{head}:{p}"] for p in paths if f"{head}:{p}" in found}

    def _read_objects(self, names: list[str]) -> dict[str, tuple[str, str]]:
        """``name -> (blob id, line 1)`` for each object name (a blob id, or
        ``<commit>:<path>``) that names a blob; one ``git cat-file --batch``."""
        if not names:
            return {}
        proc = self.repo.git.execute(["git", "cat-file", "--batch"], as_process=True,
                                     istream=subprocess.PIPE)
        # Feed from a thread so that neither pipe can fill up and block the other.
        request = "".join(f"{n}\n" for n in names).encode("utf-8")
        feeder = threading.Thread(target=lambda: (proc.stdin.write(request), proc.stdin.close()),
                                  daemon=True)
        feeder.start()
        out: dict[str, tuple[str, str]] = {}
        try:
            for name in names:
                header = proc.stdout.readline().split()
                if len(header) == 3 and header[2].isdigit():  # "<id> <type> <size>"
                    data = proc.stdout.read(int(header[2]) + 1)
                    if header[1] == b"blob":
                        out[name] = (header[0].decode(),
                                     data.split(b"\n", 1)[0].decode("utf-8", "replace"))
                # else "<name> missing": e.g. a file removed at that commit
        finally:
            feeder.join()
            proc.stdout.close()
            proc.wait()
        return out

    # -- lookups ----------------------------------------------------------------------
    _COLS = ("a.path, a.url, a.versions, a.blob, a.headline, a.feed, a.first_seen, "
             "a.last_changed, a.removed, c.etag, c.last_modified, c.last_checked, "
             "COALESCE(c.failures, 0), c.last_error, COALESCE(s.unchanged, 0), s.not_before, "
             "a.outside, a.repeats, a.edited")
    _JOIN = "articles a LEFT JOIN checks c USING(path) LEFT JOIN schedule s USING(path)"

    def _record(self, row: tuple | None) -> ArticleRecord | None:
        if row is None:
            return None
        return ArticleRecord(*row[:8], bool(row[8]), *row[9:16], bool(row[16]), row[17], row[18])

    def get(self, path: str) -> ArticleRecord | None:
        """The article stored at ``path``, or None."""
        return self._record(self.db.execute(
            f"SELECT {self._COLS} FROM {self._JOIN} WHERE a.path=?", (path,)).fetchone())

    def versions(self, path: str) -> list[Version]:
        """Every version of the article at ``path``, oldest first, as git has them
        (the same :class:`~gitnews.models.Version` objects as
        :func:`gitnews.archive.history.versions`, blob ids included), from one indexed
        SQLite query: the cost does not grow with the archive.  Only gitnews's
        own commits are versions (:func:`gitnews.archive.history.is_version`); an edit
        made with plain git is an outside edit (:meth:`outside_edits`).  Empty
        for an unknown path.  :meth:`sync` first.
        """
        return [Version(path=path, number=number, commit=commit,
                        fetched_at=datetime.fromtimestamp(at, tz=UTC), subject=subject,
                        trailers=json.loads(trailers), removed=blob is None, blob=blob)
                for number, commit, at, blob, subject, trailers in self.db.execute(
                    "SELECT number, commit_id, at, blob, subject, trailers FROM versions"
                    " WHERE path=? ORDER BY number", (path,))]

    def outside_edits(self, path: str) -> list[OutsideEdit]:
        """The outside edits of the article at ``path`` (commits without gitnews's
        trailers that touched its file), oldest first, each with the number of
        the version it follows: the same as :func:`gitnews.archive.history.file_history`
        gives.  Empty for an unknown path.  :meth:`sync` first."""
        return [OutsideEdit(path=path, commit=commit,
                            at=datetime.fromtimestamp(at, tz=UTC), subject=subject,
                            after=after, removed=blob is None, blob=blob)
                for commit, at, blob, subject, after in self.db.execute(
                    "SELECT commit_id, at, blob, subject, after FROM outside WHERE path=?"
                    " ORDER BY rowid", (path,))]

    def lookup(self, url: str) -> ArticleRecord | None:
        """The article that ``url`` (any alias, any scheme) names, or None."""
        key = _safe_key(url)
        if key is None:
            return None
        row = self.db.execute("SELECT path FROM aliases WHERE key=?", (key,)).fetchone()
        return self.get(row[0]) if row else None

    def path_taken(self, path: str) -> bool:
        """True if ``path`` is used, also when compared case-insensitively."""
        return self.db.execute("SELECT 1 FROM articles WHERE folded=?",
                               (path.casefold(),)).fetchone() is not None

    def articles(self) -> Iterator[ArticleRecord]:
        """Every tracked article, by path."""
        for row in self.db.execute(
                f"SELECT {self._COLS} FROM {self._JOIN} ORDER BY a.path"):
            yield self._record(row)

    #: ``sort`` values of :meth:`query_articles` -> SQL ORDER BY.
    SORTS = {
        "changed": "COALESCE(a.edited, a.last_changed) DESC, a.path",
        "versions": "a.versions - a.repeats DESC, COALESCE(a.edited, a.last_changed) DESC,"
                    " a.path",
        "headline": "a.headline COLLATE NOCASE, a.path",
    }

    def query_articles(self, *, host: str | None = None, min_versions: int = 1,
                       changed_since: str | None = None, changed_until: str | None = None,
                       sort: str = "changed", limit: int | None = None) -> list[ArticleRecord]:
        """Tracked articles filtered and sorted in SQL (for ``gitnews list``).

        ``host``: only articles whose file's host folder (the URL's host,
        lower-case, without ``www.``, see :mod:`gitnews.format.paths`) is ``host`` or
        a subdomain of it.  ``min_versions``: at least this many versions
        that changed the text (:attr:`ArticleRecord.changes` + 1).
        ``changed_since``: RFC 3339 UTC string (``2016-09-29T00:00:00Z``); only
        articles whose last change (:attr:`ArticleRecord.last_edited`) is at or after it; ``changed_until``
        likewise, at or before it.  ``sort``: a key of
        :attr:`SORTS` (ValueError otherwise): ``changed`` newest change first,
        ``versions`` most versions first, ``headline`` A to Z.  ``limit``: at
        most this many (None: all).
        """
        if sort not in self.SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(self.SORTS)}")
        where, args = ["a.versions - a.repeats >= ?"], [min_versions]
        if host:
            where.append("(substr(a.path, 1, instr(a.path, '/') - 1) = ?"
                         " OR substr(a.path, 1, instr(a.path, '/') - 1) LIKE ? ESCAPE '!')")
            escaped = host.replace("!", "!!").replace("%", "!%").replace("_", "!_")
            args += [host, "%." + escaped]
        if changed_since:
            where.append("COALESCE(a.edited, a.last_changed) >= ?")
            args.append(changed_since)
        if changed_until:
            where.append("COALESCE(a.edited, a.last_changed) <= ?")
            args.append(changed_until)
        sql = (f"SELECT {self._COLS} FROM {self._JOIN} "
               f"WHERE {' AND '.join(where)} ORDER BY {self.SORTS[sort]}")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(max(0, limit))
        return [self._record(row) for row in self.db.execute(sql, args)]

    # -- updates ----------------------------------------------------------------------
    def add_aliases(self, path: str, urls: Iterable[str | None], *, commit: bool = True) -> None:
        """Record that each of ``urls`` names the article at ``path``."""
        for url in urls:
            key = _safe_key(url) if url else None
            if key:
                self.db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (key, path))

    def record_check(self, path: str, *, checked_at: datetime, etag: str | None = None,
                     last_modified: str | None = None, error: str | None = None) -> None:
        """Remember one check of ``path``: validators on success, the error otherwise."""
        ts = format_time(checked_at)
        if error is None:
            self.db.execute(
                "INSERT INTO checks(path, etag, last_modified, last_checked, failures, last_error)"
                " VALUES (?,?,?,?,0,NULL) ON CONFLICT(path) DO UPDATE SET"
                " etag=COALESCE(excluded.etag, etag),"
                " last_modified=COALESCE(excluded.last_modified, last_modified),"
                " last_checked=excluded.last_checked, failures=0, last_error=NULL",
                (path, etag, last_modified, ts))
            self.db.execute("DELETE FROM failing WHERE path=?", (path,))
        else:
            self.db.execute("INSERT OR IGNORE INTO failing VALUES (?, ?)", (path, ts))
            self.db.execute(
                "INSERT INTO checks(path, last_checked, failures, last_error) VALUES (?,?,1,?)"
                " ON CONFLICT(path) DO UPDATE SET last_checked=excluded.last_checked,"
                " failures=failures+1, last_error=excluded.last_error", (path, ts, error))

    def failing_checks(self) -> list[dict]:
        """Articles whose latest check failed, longest failing first: dicts with
        ``path``, ``url``, ``since`` (first failure of the streak, RFC 3339 UTC;
        the latest check's time when the cache predates that record),
        ``last_checked``, ``failures`` (checks in a row) and ``last_error``."""
        rows = self.db.execute(
            "SELECT c.path, a.url, COALESCE(f.since, c.last_checked), c.last_checked,"
            " c.failures, c.last_error FROM checks c LEFT JOIN failing f ON f.path = c.path"
            " LEFT JOIN articles a ON a.path = c.path WHERE c.failures > 0"
            " ORDER BY 3, c.path").fetchall()
        return [{"path": p, "url": u, "since": s, "last_checked": t, "failures": n,
                 "last_error": e} for p, u, s, t, n, e in rows]

    def get_feed(self, url: str) -> dict:
        """What the last run stored for feed ``url``: ``etag``, ``last_modified``,
        ``links`` (its entries' links), ``error``; {} when never read."""
        row = self.db.execute("SELECT data FROM feeds WHERE url=?", (url,)).fetchone()
        return json.loads(row[0]) if row else {}

    def set_feed(self, url: str, data: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?)", (url, json.dumps(data)))

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- the schedule (gitnews.versions.schedule) ---------------------------------------------------
    def count_check(self, path: str, *, changed: bool) -> None:
        """After a successful check of ``path``: reset the unchanged-check count
        when it found a change, else add one; a put-off check is done."""
        if changed:
            self.db.execute("INSERT OR REPLACE INTO schedule(path, unchanged, not_before)"
                            " VALUES (?, 0, NULL)", (path,))
        else:
            self.db.execute("INSERT INTO schedule(path, unchanged) VALUES (?, 1) ON CONFLICT(path)"
                            " DO UPDATE SET unchanged=unchanged+1, not_before=NULL", (path,))

    def put_off(self, path: str, *, until: datetime) -> None:
        """Do not check ``path`` before ``until`` (robots.txt refused it)."""
        self.db.execute("INSERT INTO schedule(path, not_before) VALUES (?, ?) ON CONFLICT(path)"
                        " DO UPDATE SET not_before=excluded.not_before",
                        (path, format_time(until)))

    def backlog(self) -> list[dict]:
        """Articles seen in feeds but not fetched yet, oldest first: dicts with
        ``key``, ``url``, ``feed``, ``aliases`` (list), ``first_seen`` (RFC 3339)."""
        return [{"key": k, "url": u, "feed": f, "aliases": json.loads(a), "first_seen": t}
                for k, u, f, a, t in self.db.execute(
                    "SELECT key, url, feed, aliases, first_seen FROM backlog "
                    "ORDER BY first_seen, key")]

    def keep_backlog(self, rows: Iterable[dict]) -> None:
        """Remember articles left unfetched (the first sighting is kept)."""
        for r in rows:
            self.db.execute("INSERT OR IGNORE INTO backlog VALUES (?,?,?,?,?)",
                            (r["key"], r["url"], r.get("feed"), json.dumps(list(r.get("aliases", ()))),
                             r["first_seen"]))

    def drop_backlog(self, keys: Iterable[str]) -> None:
        """Forget backlog entries (fetched, or given up)."""
        for key in keys:
            self.db.execute("DELETE FROM backlog WHERE key=?", (key,))

    # -- politeness (gitnews.sources.http) ----------------------------------------------------------
    def robots_rows(self) -> list[dict]:
        """Stored robots.txt copies, in the shape ``Fetcher.load_state`` takes."""
        return [{"origin": o, "status": st, "body": b, "fetched_at": f, "expires_at": e}
                for o, st, b, f, e in self.db.execute(
                    "SELECT origin, status, body, fetched_at, expires_at FROM robots")]

    def host_rows(self) -> list[dict]:
        """Stored host back-offs and last requests, for ``Fetcher.load_state``."""
        return [{"host": h, "backoff_until": b, "last_request": r}
                for h, b, r in self.db.execute(
                    "SELECT host, backoff_until, last_request FROM hosts")]

    def save_politeness(self, robots: Iterable[dict], hosts: Iterable[dict]) -> None:
        """Store what ``Fetcher.export_state`` returned."""
        for r in robots:
            self.db.execute("INSERT OR REPLACE INTO robots VALUES (?,?,?,?,?)",
                            (r["origin"], r["status"], r["body"], r["fetched_at"],
                             r["expires_at"]))
        for h in hosts:
            self.db.execute("INSERT OR REPLACE INTO hosts VALUES (?,?,?)",
                            (h["host"], h["backoff_until"], h["last_request"]))

    # -- noise control (gitnews.versions.record) -----------------------------------------------
    def noted_paths(self) -> set[str]:
        """The paths with a held text, a pending removal or an alternation count
        (few: a run asks the three tables only about these)."""
        return {path for (path,) in self.db.execute(
            "SELECT path FROM held UNION SELECT path FROM gone UNION SELECT path FROM alternations")}

    def get_held(self, path: str) -> dict | None:
        """The suspicious text held for ``path``: ``blob``, ``first_seen`` (RFC 3339),
        ``sightings``, ``reason`` and ``data`` (what the commit needs), or None."""
        row = self.db.execute("SELECT blob, first_seen, sightings, reason, data FROM held "
                              "WHERE path=?", (path,)).fetchone()
        if row is None:
            return None
        return {"blob": row[0], "first_seen": row[1], "sightings": row[2], "reason": row[3],
                "data": json.loads(row[4])}

    def set_held(self, path: str, held: dict | None) -> None:
        """Store (or, with None, forget) the held text of ``path``."""
        if held is None:
            self.db.execute("DELETE FROM held WHERE path=?", (path,))
        else:
            self.db.execute("INSERT OR REPLACE INTO held VALUES (?,?,?,?,?,?)",
                            (path, held["blob"], held["first_seen"], held["sightings"],
                             held["reason"], json.dumps(held["data"], sort_keys=True)))

    def held(self) -> Iterator[tuple[str, dict]]:
        """Every held text, by path."""
        for (path,) in self.db.execute("SELECT path FROM held ORDER BY path").fetchall():
            yield path, self.get_held(path)

    def get_gone(self, path: str) -> dict | None:
        """The first sighting of a pending removal of ``path``: ``first_seen``
        (RFC 3339), ``status``, ``detail``; or None."""
        row = self.db.execute("SELECT first_seen, status, detail FROM gone WHERE path=?",
                              (path,)).fetchone()
        return {"first_seen": row[0], "status": row[1], "detail": row[2]} if row else None

    def set_gone(self, path: str, gone: dict | None) -> None:
        """Store (or, with None, forget) the pending removal of ``path``."""
        if gone is None:
            self.db.execute("DELETE FROM gone WHERE path=?", (path,))
        else:
            self.db.execute("INSERT OR REPLACE INTO gone VALUES (?,?,?,?)",
                            (path, gone["first_seen"], gone.get("status"), gone.get("detail")))

    def get_alternation(self, path: str) -> dict | None:
        """How often ``path`` returned to an earlier text without a commit:
        ``returns``, ``last_seen`` (RFC 3339), ``seen_blob``; None if never."""
        row = self.db.execute("SELECT returns, last_seen, seen_blob FROM alternations "
                              "WHERE path=?", (path,)).fetchone()
        return {"returns": row[0], "last_seen": row[1], "seen_blob": row[2]} if row else None

    def set_alternation(self, path: str, alt: dict) -> None:
        self.db.execute("INSERT OR REPLACE INTO alternations VALUES (?,?,?,?)",
                        (path, alt["returns"], alt.get("last_seen"), alt.get("seen_blob")))

    def get_fetched(self, path: str) -> tuple[str | None, str | None]:
        """``(url, fingerprint)`` of the last page that gave ``path`` a text: the URL
        it was fetched from (after redirects; re-checks ask it, not the canonical URL
        a page may name but not serve) and the extractor and filters that read it."""
        row = self.db.execute("SELECT url, fingerprint FROM fetched WHERE path=?",
                              (path,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def set_fetched(self, path: str, *, url: str | None = None,
                    fingerprint: str | None = None) -> None:
        """Remember where ``path`` was fetched from and what read it (None keeps the value)."""
        self.db.execute(
            "INSERT INTO fetched(path, url, fingerprint) VALUES (?,?,?) ON CONFLICT(path) DO UPDATE"
            " SET url=COALESCE(excluded.url, url),"
            " fingerprint=COALESCE(excluded.fingerprint, fingerprint)", (path, url, fingerprint))
