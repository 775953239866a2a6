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
import json.encoder
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.archive.cache import gitcalls
from gitnews.archive.cache.articles import safe_key
from gitnews.archive.cache.search import UNBUILT_KEY, SearchIndex
from gitnews.archive.history import is_version, iter_commits
from gitnews.format.trailers import ARTICLE_URL, FEED, FETCHED_URL, format_time, parse_trailers

if TYPE_CHECKING:
    from gitnews.archive.store import Transaction

__all__ = ["GitIndex"]

#: One commit to fold into the index: commit id, time, message and its changed files
#: as ``(status, path, blob id)`` (status ``A``, ``M`` or ``D``; blob None: deleted).
_Commit = tuple[str, datetime | int, str, list[tuple[str, str, str | None]]]
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
    first_seen: int          # the first new version's time (Unix seconds)
    last_changed: int        # the newest version's time (Unix seconds)
    removed: bool            # the newest version is a removal
    feed: str | None         # the newest Feed trailer given
    vblob: str | None        # the newest version's blob (None: a removal)
    repeats: int             # new versions that only put back the text before them
    edited: int | None       # the newest new version that changed the text (Unix seconds)



#: Commits folded per batch of rows in a rebuild (:meth:`GitIndex._rebuild`): large
#: ``executemany`` batches, and memory bounded at any archive size; small enough that
#: SQLite writes a batch while ``git log`` goes on writing the next commits (the log's
#: reader thread, :func:`~gitnews.archive.cache.gitcalls.log_records`), not all of
#: them after the log's end (it was 20,000: the whole benchmark's history).
REBUILD_BATCH = 4_096

#: SQLite's page cache during a rebuild, in KiB.
REBUILD_CACHE_KIB = 32 * 1024

#: The indexes a rebuild drops before writing the rows and builds after them
#: (name -> its statement, as in :mod:`gitnews.archive.cache.schema`).
_SECONDARY_INDEXES = {
    "articles_folded": "CREATE INDEX IF NOT EXISTS articles_folded ON articles(folded)",
    "outside_path": "CREATE INDEX IF NOT EXISTS outside_path ON outside(path)",
    "versions_at": "CREATE INDEX IF NOT EXISTS versions_at ON versions(at)",
}

#: json's own string encoder for ``ensure_ascii=False`` (its C ``encode_basestring``,
#: the one :func:`json.dumps` itself calls for every key and string value).
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def _json_object(pairs: dict[str, str]) -> str:
    """``json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))`` for a dict of
    strings, in fewer steps: each key and value through json's own string encoder
    (the same bytes; a property test compares), without building an encoder per
    call (a third of the cost of the JSON in a rebuild, issue 19)."""
    return "{" + ",".join([_json_string(k) + ":" + _json_string(v)
                           for k, v in pairs.items()]) + "}"


def _sorted(rows: tuple[list[_VersionRow], list[_OutsideRow]]
            ) -> tuple[list[_VersionRow], list[_OutsideRow]]:
    """A batch's version rows in the order of the table's key (path, number): the
    ``WITHOUT ROWID`` table's B-tree is then written page after page.  The
    outside-edit rows keep git's order (their rowid is that order)."""
    versions, outside = rows
    versions.sort()
    return versions, outside


def _time(at: int) -> str:
    """Unix seconds as the cache writes times (:func:`gitnews.format.trailers.format_time`)."""
    return format_time(datetime.fromtimestamp(at, tz=UTC))


_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:(.*)$", re.M)


def _trailers(message: str) -> dict[str, str]:
    """``dict(parse_trailers(message))``
    (:func:`gitnews.format.trailers.parse_trailers`), sooner for the messages
    gitnews writes.

    When the message has no ``---`` line, no CR, no white-space-only line
    before its last paragraph, and every line of that paragraph is a ``Key:
    value`` line (no continuation lines), that paragraph is what
    ``parse_trailers`` reads and its lines are the pairs: one regular
    expression over the paragraph gives them.  Any other message goes to
    ``parse_trailers`` itself (a test compares the two on generated messages).
    """
    text = message.rstrip("\n")
    head, sep, last = text.rpartition("\n\n")
    if sep and "---" not in text and "\r" not in text and head[-1:] not in ("\n", " ", "\t"):
        lines = _LINE.findall(last)
        if len(lines) == last.count("\n") + 1 and head.rpartition("\n")[2].strip(" \t"):
            return {key: value.strip() for key, value in lines}
    return dict(parse_trailers(message))


class _Folder:
    """Commits folded, oldest first, into the rows they add to the tables.

    ``known(path)`` gives an article's ``(versions, newest version's blob)`` already
    in the tables (``(None, None)``: none); None when the tables are empty (a
    rebuild).  :attr:`rows` (one per touched article), :attr:`aliases` and
    :attr:`touched` grow with every commit; the version and outside-edit rows are
    handed out by :meth:`take_rows`, so that a rebuild writes them in batches.
    """

    def __init__(self, known: Callable[[str], tuple[int | None, str | None]] | None) -> None:
        self.known = known
        self.rows: dict[str, _Folded] = {}  # path -> what these commits add to its row
        self.aliases: dict[str, str] = {}  # url key -> path; the latest commit wins
        self.touched: dict[str, None] = {}  # every article path touched, in order
        self.versions: list[_VersionRow] = []  # rows of the versions table
        self.outside: list[_OutsideRow] = []  # rows of the outside table
        # path -> (versions, newest version's blob) before these commits
        self.base: dict[str, tuple[int | None, str | None]] = {}
        self.keys: dict[str, str | None] = {}  # url -> safe_key(url), memoised

    def take_rows(self) -> tuple[list[_VersionRow], list[_OutsideRow]]:
        """The version and outside-edit rows folded since the last call."""
        rows = self.versions, self.outside
        self.versions, self.outside = [], []
        return rows

    def _key(self, url: str) -> str | None:
        try:
            return self.keys[url]
        except KeyError:
            key = self.keys[url] = safe_key(url)
            return key

    def add(self, commit: str, when: datetime | int, message: str,
            changes: list[tuple[str, str, str | None]]) -> None:
        """Fold one commit: its id, time (aware datetime, or Unix seconds), message
        and ``(status, path, blob id)`` changes (status ``A``, ``M`` or ``D``; blob
        None: deleted)."""
        trailers = _trailers(message)
        # Only gitnews's own commits are versions; any other commit that touches an
        # article's file (an edit made with plain git) is an outside edit: kept, shown
        # by `gitnews log`, never numbered or counted (docs/archive-format.md).
        version = is_version(trailers)
        at = when if isinstance(when, int) else int(when.timestamp())
        subject = message.split("\n", 1)[0]
        url, trailers_json, feed, keys = "", "", None, []
        if version:
            url = trailers[ARTICLE_URL]  # is_version: present and not empty
            trailers_json = _json_object(trailers)
            feed = trailers.get(FEED)
            fetched = trailers.get(FETCHED_URL)
            keys = [k for k in (self._key(url), self._key(fetched) if fetched else None) if k]
        rows = self.rows
        for status, path, blob in changes:
            if not path.endswith(".txt"):
                continue
            base = self.base.get(path)
            if base is None:
                base = self.base[path] = (self.known(path) if self.known is not None
                                          else (None, None))
            row = rows.get(path)
            count = (base[0] or 0) + (row.versions if row else 0)
            if not version:
                if base[0] is None and row is None:
                    continue  # a file gitnews never wrote is not an article
                self.outside.append((path, commit, at, None if status == "D" else blob,
                                     subject, count))
                self.touched[path] = None
                continue
            previous_blob = row.vblob if row is not None else base[1]
            if row is None:
                row = rows[path] = _Folded(url, 0, at, at, False, None, None, 0, None)
            row.url, row.last_changed, row.removed = url, at, status == "D"
            row.versions += 1
            row.vblob = None if status == "D" else blob
            if row.vblob is not None and row.vblob == previous_blob:  # history.same_text
                row.repeats += 1
            else:
                row.edited = at
            self.versions.append((path, count + 1, commit, at, row.vblob, subject,
                                  trailers_json))
            if feed:
                row.feed = feed
            for key in keys:
                self.aliases[key] = path
            self.touched[path] = None



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
            self._search_built_if_empty()
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
            if rewritten:
                # The history was rewritten (reset, rebase): the validators may belong
                # to versions git no longer has, and a 304 would then keep the page's
                # current text out of the archive for ever.  Forget them: the next
                # check of each article fetches it in full.
                self.db.execute("UPDATE checks SET etag=NULL, last_modified=NULL")
            if known is None:
                self._forget_history()
                self._rebuild(head)
                self._search_built_if_empty()
            else:
                touched = self._replay(rev)
                self._refresh_blobs(head, touched)
                self._mark_outside(touched)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (head,))

    def _forget_history(self) -> None:
        """Empty the tables derived from git's history (before a rebuild)."""
        for table in ("articles", "aliases", "versions", "outside"):
            self.db.execute(f"DELETE FROM {table}")
        # The full-text index is built on first use (SearchIndex.build_search), not
        # here: reading every text from git was 38 % of a rebuild (issue 19).
        self.forget_search()
        self.mark_search_unbuilt()

    def _search_built_if_empty(self) -> None:
        """After a rebuild: with no version to index (a new archive), the empty index is
        the built one, kept current by the syncs from the first run on."""
        if self.db.execute("SELECT 1 FROM versions WHERE blob IS NOT NULL LIMIT 1"
                           ).fetchone() is None:
            self.db.execute("DELETE FROM meta WHERE k=?", (UNBUILT_KEY,))

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
        folder = _Folder(self._known_article)
        for commit in commits:
            folder.add(*commit)
        self._write_history(folder.take_rows())
        self._write_articles(folder)
        return list(folder.touched)

    def _known_article(self, path: str) -> tuple[int | None, str | None]:
        """``(versions, newest version's blob)`` of the article at ``path`` in the
        tables, ``(None, None)`` when there is none."""
        found = self.db.execute("SELECT versions, vblob FROM articles WHERE path=?",
                                (path,)).fetchone()
        return (found[0], found[1]) if found else (None, None)

    def _write_history(self, rows: tuple[list[_VersionRow], list[_OutsideRow]]) -> None:
        """Write a batch of rows of the ``versions`` and ``outside`` tables (oldest
        first).  A rebuild calls this once per :data:`REBUILD_BATCH` commits: a
        per-batch step belongs here.  The versions are indexed for search only when
        the index is built (:meth:`~gitnews.archive.cache.search.SearchIndex.
        search_built`: never during a rebuild, which leaves it unbuilt)."""
        versions, outside = rows
        self.db.executemany("INSERT OR REPLACE INTO versions VALUES (?,?,?,?,?,?,?)", versions)
        if versions and self.search_built():
            self.index_versions(versions)  # the full-text index (cache.search)
        self.db.executemany("INSERT OR IGNORE INTO outside VALUES (?,?,?,?,?,?)", outside)

    def _write_articles(self, folder: _Folder) -> None:
        """Write (upsert) the article and alias rows ``folder`` gathered."""
        self.db.executemany(
            "INSERT INTO articles(path, folded, url, versions, feed, first_seen, last_changed,"
            " removed, vblob, repeats, edited) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(path) DO UPDATE SET"
            " url=excluded.url, versions=versions+excluded.versions,"
            " last_changed=excluded.last_changed, removed=excluded.removed,"
            " feed=COALESCE(excluded.feed, feed), vblob=excluded.vblob,"
            " repeats=repeats+excluded.repeats, edited=COALESCE(excluded.edited, edited)",
            ((path, path.casefold(), r.url, r.versions, r.feed, _time(r.first_seen),
              _time(r.last_changed), int(r.removed), r.vblob, r.repeats,
              None if r.edited is None else _time(r.edited))
             for path, r in folder.rows.items()))
        self.db.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?)",
                            folder.aliases.items())

    def _insert_articles(self, folder: _Folder, tree: dict[str, str],
                         headlines: dict[str, str]) -> None:
        """Insert the article rows ``folder`` gathered into the emptied ``articles``
        table (a rebuild), each with its file's blob id at the head (``tree``: path ->
        blob id), its headline (``headlines``: path -> line 1 of its newest version's
        text) and its outside-edit flag (the file's blob is not the newest version's):
        the rows :meth:`_write_articles` and :meth:`_refresh_blobs` with
        :meth:`_mark_outside` would leave."""
        times: dict[int, str] = {}  # Unix seconds -> _time(), memoised (times repeat)

        def at(when: int) -> str:
            try:
                return times[when]
            except KeyError:
                text = times[when] = _time(when)
                return text

        rows = []
        for path, r in folder.rows.items():
            blob = tree.get(path)
            rows.append((path, path.casefold(), r.url, r.versions, blob, headlines.get(path),
                         r.feed, at(r.first_seen), at(r.last_changed), int(r.removed), r.vblob,
                         int(blob != r.vblob), r.repeats,
                         None if r.edited is None else at(r.edited)))
        self.db.executemany(
            "INSERT INTO articles(path, folded, url, versions, blob, headline, feed, first_seen,"
            " last_changed, removed, vblob, outside, repeats, edited)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def _rebuild(self, head: str, *, batch: int | None = None) -> None:
        """Fill the emptied git-derived tables from the whole history up to ``head``.

        The same rows as replaying the history commit by commit (a test checks
        it), in a fixed sequence: one streamed ``git log``
        (:func:`~gitnews.archive.cache.gitcalls.log_records`, whose reader thread
        lets git write ahead on a core of its own); its commits folded in batches
        of ``batch`` (default :data:`REBUILD_BATCH`) commits, each batch's version
        and outside-edit rows written with ``executemany`` (:meth:`_write_history`)
        while git goes on; meanwhile a thread lists the head's files (one ``git
        ls-tree``); then the last rows and the alias rows, while that thread reads
        the headlines from git (:meth:`_read_blobs`); then each article's row, once,
        whole (:meth:`_insert_articles`); then the indexes
        (``articles_folded``, ``outside_path``, ``versions_at``), dropped before the
        rows and built once after them.  Memory holds one batch of rows, one row
        per article and at most :data:`~gitnews.archive.cache.gitcalls.
        LOG_AHEAD_CHUNKS` MiB of git's output read ahead.  Runs inside the caller's
        transaction.
        """
        size = batch or REBUILD_BATCH
        for index in _SECONDARY_INDEXES:
            self.db.execute(f"DROP INDEX IF EXISTS {index}")
        # A page cache large enough for a batch's pages (SQLite's default is 2 MB):
        # fewer pages spilled to the write-ahead log before the commit.
        cache_size = self.db.execute("PRAGMA cache_size").fetchone()[0]
        self.db.execute(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
        try:
            folder = _Folder(None)  # the tables are empty: no article known before
            with ThreadPoolExecutor(1) as pool:
                # The files at the head (one ls-tree) are listed while the log streams.
                listed = pool.submit(gitcalls.tree_blobs, self.repo, head)
                for n, commit in enumerate(gitcalls.log_records(self.repo, head), 1):
                    folder.add(*commit)
                    if n % size == 0:
                        self._write_history(_sorted(folder.take_rows()))
                # The headlines are read by git (in a thread, mostly waiting for its
                # pipe) while SQLite writes the last rows.
                blobs = pool.submit(self._read_blobs, listed.result(), folder)
                self._write_history(_sorted(folder.take_rows()))
                self.db.executemany("INSERT OR REPLACE INTO aliases VALUES (?, ?)",
                                    folder.aliases.items())
                tree, lines, read = blobs.result()
                # The tables were empty: each article row written once, whole (its
                # file's blob, headline and outside-edit flag with it), not inserted
                # and then updated twice.
                self._insert_articles(folder, tree, {
                    path: lines[blob][1] for path, blob in read.items() if blob in lines})
        finally:
            self.db.execute(f"PRAGMA cache_size={int(cache_size)}")
        self.db.execute(
            "UPDATE checks SET etag=NULL, last_modified=NULL WHERE path IN"
            " (SELECT path FROM articles WHERE outside=1)")
        for sql in _SECONDARY_INDEXES.values():
            self.db.execute(sql)

    def _read_blobs(self, tree: dict[str, str], folder: _Folder
                    ) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
        """:meth:`_refresh_blobs` for every article of a rebuild, without the
        database: given the blob ids at the head (``tree``: ``path -> blob id``, one
        ``git ls-tree`` of its whole tree), the headlines from one ``git cat-file
        --batch`` asked for blob ids, no path to resolve (``blob id -> (blob id,
        line 1)``, and ``path -> the blob id whose line 1 is its headline``: the
        newest version's when the file holds an outside edit)."""
        read: dict[str, str] = {}
        for path in folder.touched:
            vblob = folder.rows[path].vblob if path in folder.rows else None
            current = tree.get(path)
            blob = vblob if vblob and current != vblob else current
            if blob is not None:
                read[path] = blob
        return tree, gitcalls.read_objects(self.repo, list(dict.fromkeys(read.values()))), read

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
