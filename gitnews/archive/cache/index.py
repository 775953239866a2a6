"""The article index rebuilt from git: :meth:`GitIndex.sync` brings the git-derived
tables (``articles``, ``aliases``, ``versions``, ``outside``) up to the branch's head.

Only the commits since the recorded head are replayed when that is an ancestor
of the head (or taken from the finished transaction that made them); otherwise
the tables are rebuilt from the whole history.  Versions are gitnews's own
commits (:func:`gitnews.archive.history.is_version`); a commit made without
gitnews's trailers that touches an article's file is an *outside edit*, kept
apart and never counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gitnews.archive.cache import gitcalls
from gitnews.archive.cache.articles import safe_key
from gitnews.archive.cache.search import SearchIndex
from gitnews.archive.history import is_version, iter_commits
from gitnews.format.trailers import ARTICLE_URL, FEED, FETCHED_URL, format_time, parse_trailers

if TYPE_CHECKING:
    from gitnews.archive.store import Transaction

__all__ = ["GitIndex"]

#: One commit to fold into the index: commit id, time, message and its changed files
#: as ``(status, path, blob id)`` (status ``A``, ``M`` or ``D``; blob None: deleted).
_Commit = tuple[str, datetime, str, list[tuple[str, str, str | None]]]
#: A row of the ``versions`` table: path, number, commit id, time (Unix seconds),
#: blob (None: the removal), subject, trailers (JSON).
_VersionRow = tuple[str, int, str, int, str | None, str, str]
#: A row of the ``outside`` table: path, commit id, time (Unix seconds), blob (None:
#: the file was deleted), subject, number of the version it follows.
_OutsideRow = tuple[str, str, int, str | None, str, int]


@dataclass(slots=True)
class _Folded:
    """What a run of commits adds to one article's row of ``articles``."""

    url: str                 # its newest version's Article-Url
    versions: int            # new versions
    first_seen: str          # the first new version's time
    last_changed: str        # the newest version's time
    removed: bool            # the newest version is a removal
    feed: str | None         # the newest Feed trailer given
    vblob: str | None        # the newest version's blob (None: a removal)
    repeats: int             # new versions that only put back the text before them
    edited: str | None       # the newest new version that changed the text


class GitIndex(SearchIndex):
    """The git-derived tables of the cache, and how they follow the branch."""

    def sync(self, *, transaction: Transaction | None = None) -> None:
        """Bring the git-derived tables up to date with the branch.

        Replays only the commits since the recorded head when that is an
        ancestor of HEAD; otherwise rebuilds from the whole history.  Given the
        finished ``transaction`` that moved the branch from the recorded head to
        HEAD, takes its commits from what it remembers
        (:attr:`~gitnews.archive.store.Transaction.written`) instead of reading them
        back from git: the same result, without a ``git log`` of the run.
        """
        head = gitcalls.head(self.repo)
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
        known: str | None = row[0] if row else None
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
                    in zip(transaction.commits, transaction.written, strict=False))
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
            if gitcalls.is_ancestor(self.repo, known, head):
                rev = f"{known}..{head}"
            else:
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
        self.forget_search()

    def _replay(self, rev: str) -> list[str]:
        """Apply the commits of ``rev`` (one streamed ``git log``) to the tables;
        returns the touched paths."""
        return self._fold((e.commit, e.time, e.message,
                           [(s, p, e.blobs.get(p)) for s, p in e.changes])
                          for e in iter_commits(self.repo, rev, blobs=True))

    def _fold(self, commits: Iterable[_Commit]) -> list[str]:
        """Apply ``(commit id, time, message, [(status, path, blob id)])`` commits,
        oldest first, to the tables.

        The commits are folded in memory into one row per touched article and
        one per alias, then written with ``executemany`` upserts: the cost is
        one SQL statement per article and one per version, not several per
        commit.  Returns the touched paths.
        """
        rows: dict[str, _Folded] = {}  # path -> what these commits add to its article row
        aliases: dict[str, str] = {}  # url key -> path; the latest commit wins
        versions: list[_VersionRow] = []    # rows of the versions table
        outside: list[_OutsideRow] = []     # rows of the outside table
        base: dict[str, int | None] = {}  # path -> versions before these commits (None: unknown)
        base_blob: dict[str, str | None] = {}  # path -> its newest version's blob before them
        touched: dict[str, None] = {}  # every article path touched, in order
        for commit, when, message, changes in commits:
            trailers = dict(parse_trailers(message))
            # Only gitnews's own commits are versions; any other commit that touches an
            # article's file (an edit made with plain git) is an outside edit: kept, shown
            # by `gitnews log`, never numbered or counted (docs/archive-format.md).
            version = is_version(trailers)
            at = int(when.timestamp())
            subject = message.split("\n", 1)[0]
            url, ts, trailers_json, feed, keys = "", "", "", None, []
            if version:
                url = trailers[ARTICLE_URL]  # is_version: present and not empty
                ts = format_time(when)
                trailers_json = json.dumps(trailers, ensure_ascii=False, separators=(",", ":"))
                feed = trailers.get(FEED)
                keys = [k for k in (safe_key(url), safe_key(trailers[FETCHED_URL])
                                    if trailers.get(FETCHED_URL) else None) if k]
            for status, path, blob in changes:
                if not path.endswith(".txt"):
                    continue
                if path not in base:
                    found = self.db.execute("SELECT versions, vblob FROM articles WHERE path=?",
                                            (path,)).fetchone()
                    base[path] = found[0] if found else None
                    base_blob[path] = found[1] if found else None
                row = rows.get(path)
                count = (base[path] or 0) + (row.versions if row else 0)
                if not version:
                    if base[path] is None and row is None:
                        continue  # a file gitnews never wrote is not an article
                    outside.append((path, commit, at, None if status == "D" else blob,
                                    subject, count))
                    touched[path] = None
                    continue
                previous_blob = row.vblob if row is not None else base_blob[path]
                if row is None:
                    row = rows[path] = _Folded(url, 0, ts, ts, False, None, None, 0, None)
                row.url, row.last_changed, row.removed = url, ts, status == "D"
                row.versions += 1
                row.vblob = None if status == "D" else blob
                if row.vblob is not None and row.vblob == previous_blob:  # history.same_text
                    row.repeats += 1
                else:
                    row.edited = ts
                versions.append((path, count + 1, commit, at, row.vblob, subject, trailers_json))
                if feed:
                    row.feed = feed
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
            ((path, path.casefold(), r.url, r.versions, r.feed, r.first_seen, r.last_changed,
              int(r.removed), r.vblob, r.repeats, r.edited)
             for path, r in rows.items()))
        self.db.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?)", aliases.items())
        self.db.executemany("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?,?,?)", versions)
        self.index_versions(versions)  # the full-text index (cache.search)
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
        newest: dict[str, str] = {}  # path -> its newest version's blob, where the file
        #                              holds an outside edit
        for i in range(0, len(paths), 500):
            chunk = paths[i:i + 500]
            for path, vblob in self.db.execute(
                    f"SELECT path, vblob FROM articles WHERE path IN ({','.join('?' * len(chunk))})",
                    chunk):
                if vblob and current.get(path, (None,))[0] != vblob:
                    newest[path] = vblob
        lines = gitcalls.read_objects(self.repo, list(newest.values())) if newest else {}
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
        found = gitcalls.read_objects(self.repo, [f"{head}:{p}" for p in paths])
        return {p: found[f"{head}:{p}"] for p in paths if f"{head}:{p}" in found}
