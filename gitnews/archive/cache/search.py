"""The full-text index of every version (SQLite FTS5), kept with the versions table.

Four tables of the cache (:mod:`~gitnews.archive.cache.schema`):

* ``search_docs``: one row per version that has a text (a removal has none):
  ``id`` (the FTS5 rowid), path, version number, time (Unix seconds);
* ``search_text``: the headline (the text's line 1) and body (the rest) of each;
* ``search_added`` / ``search_removed``: the words each version added to and
  removed from the text of the version before it with a text
  (:func:`~gitnews.archive.cache.words.word_changes`); a first version, a version
  that only put back the text before it, and a removal have none.

The FTS5 tables are *contentless* (``content=''``, https://sqlite.org/fts5.html#
contentless_tables): they hold the index, not the texts, which stay in git; the
few texts a search shows are read back from git.  All use the tokenizer
``unicode61 remove_diacritics 2`` (no stemming).

:meth:`SearchIndex.index_versions` is called by :meth:`~gitnews.archive.cache.index.
GitIndex.sync` for each batch of versions it writes (a run's new versions, or a
whole rebuild), in the same transaction; it reads their texts with one ``git
cat-file --batch`` (:class:`~gitnews.archive.objects.BlobReader`), in groups, so
that memory stays flat whatever the number of versions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from gitnews.archive.cache.db import CacheDb
from gitnews.archive.cache.words import word_changes
from gitnews.archive.objects import BlobReader
from gitnews.errors import GitnewsError

__all__ = ["SearchIndex", "SearchHit", "SearchQueryError", "FIELDS"]

#: What a query is matched against: the whole text (headline and body), the headline
#: only, the words a version added, the words it removed.
Field = Literal["text", "headline", "added", "removed"]
FIELDS: tuple[Field, ...] = ("text", "headline", "added", "removed")

#: Versions indexed per group: their texts (and those of the versions before them) are
#: in memory at once, about 10 KB each.
GROUP = 1000


class SearchQueryError(GitnewsError, ValueError):
    """The search query is not one SQLite FTS5 understands (the message says why, and
    what FTS5 expects)."""


@dataclass
class SearchHit:
    """One article whose versions match: its path, the matching version numbers
    (ascending) and the time of the newest of them (aware UTC)."""

    path: str
    numbers: list[int] = field(default_factory=list)
    at: datetime = datetime.min.replace(tzinfo=UTC)


_QUERY_HELP = (
    "FTS5 expects words, \"phrases in double quotes\", prefix* searches, AND / OR / NOT "
    "between terms (in capitals), NEAR(word1 word2, 10) and parentheses; put a word that is "
    "an operator or holds punctuation in double quotes (docs/search.md)")


def _query_error(query: str, exc: sqlite3.Error) -> SearchQueryError:
    reason = str(exc).removeprefix("fts5: ")
    if reason.startswith("no such column"):
        reason += " (a word followed by ':' is read as a column name)"
    return SearchQueryError(f"the search query {query!r} is not valid: {reason}; {_QUERY_HELP}")


class SearchIndex(CacheDb):
    """The cache's full-text index: writing it (per batch of versions) and asking it."""

    def forget_search(self) -> None:
        """Empty the index (before a rebuild of the git-derived tables)."""
        self.db.execute("DELETE FROM search_docs")
        for table in ("search_text", "search_added", "search_removed"):
            # Contentless FTS5 tables are emptied by the 'delete-all' command.
            self.db.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")

    def index_versions(self, rows: Sequence[Sequence[Any]]) -> None:
        """Index ``rows``, rows of the ``versions`` table just written (``path,
        number, commit id, time in Unix seconds, blob id or None, ...``), oldest
        first.  Their texts, and those of the versions before them, are read from
        git in groups of :data:`GROUP` through one ``git cat-file --batch``.  A
        version already indexed is left as it is."""
        # By article, then version: the text before a version is then the one read
        # just before it (read from git once).  The ids need no time order: a search
        # sorts by time.
        todo = sorted((r[0], r[1], r[3], r[4]) for r in rows if r[4] is not None)
        if not todo:
            return
        start = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM search_docs").fetchone()[0]
        last: dict[str, str | None] = {}  # path -> blob of its newest version with a text so far
        carried: dict[str, str] = {}  # the last text of the group before (blob -> text)
        with BlobReader(self.repo) as reader:
            for g in range(0, len(todo), GROUP):
                group = todo[g:g + GROUP]
                before: list[str | None] = []
                for path, number, _, blob in group:
                    if path not in last:
                        last[path] = self._blob_before(path, number)
                    before.append(last[path])
                    last[path] = blob
                wanted = {b for b in [*(r[3] for r in group), *before]
                          if b is not None and b not in carried}
                # lookup, not read: a blob git lacks (a partial clone) leaves its
                # version out of the index instead of failing the cache's sync.
                texts = {k: v.decode("utf-8", "replace")
                         for k, (_, v) in reader.lookup(wanted).items()}
                texts.update(carried)
                docs, text_rows, added_rows, removed_rows = [], [], [], []
                for (path, number, at, blob), old in zip(group, before, strict=True):
                    text = texts.get(blob) if blob is not None else None
                    if text is None:
                        continue
                    start += 1
                    headline, _, body = text.partition("\n")
                    docs.append((start, path, number, at))
                    text_rows.append((start, headline, body))
                    if old is not None and old != blob and old in texts:
                        added, removed = word_changes(texts[old], text)
                        if added:
                            added_rows.append((start, added))
                        if removed:
                            removed_rows.append((start, removed))
                if self.db.executemany("INSERT OR IGNORE INTO search_docs VALUES (?,?,?,?)",
                                       docs).rowcount != len(docs):
                    # Some were indexed already (not expected: sync folds each version
                    # once): index only the others.
                    fresh = {d[0] for d in docs if self.db.execute(
                        "SELECT 1 FROM search_docs WHERE id=?", (d[0],)).fetchone()}
                    text_rows = [r for r in text_rows if r[0] in fresh]
                    added_rows = [r for r in added_rows if r[0] in fresh]
                    removed_rows = [r for r in removed_rows if r[0] in fresh]
                self.db.executemany(
                    "INSERT INTO search_text(rowid, headline, body) VALUES (?,?,?)", text_rows)
                self.db.executemany("INSERT INTO search_added(rowid, words) VALUES (?,?)",
                                    added_rows)
                self.db.executemany("INSERT INTO search_removed(rowid, words) VALUES (?,?)",
                                    removed_rows)
                last_blob = group[-1][3]
                carried = {last_blob: texts[last_blob]} if last_blob in texts else {}

    def _blob_before(self, path: str, number: int) -> str | None:
        """The blob of the newest version of ``path`` before ``number`` that has a text."""
        if number <= 1:
            return None
        row = self.db.execute(
            "SELECT blob FROM versions WHERE path=? AND number<? AND blob IS NOT NULL"
            " ORDER BY number DESC LIMIT 1", (path, number)).fetchone()
        return row[0] if row else None

    def search_versions(self, query: str, *, within: Field = "text", host: str | None = None,
                        since: datetime | None = None, until: datetime | None = None,
                        path: str | None = None, limit: int = 20) -> list[SearchHit]:
        """The articles with versions that match ``query`` (SQLite FTS5 query syntax,
        https://sqlite.org/fts5.html#full_text_query_syntax), newest match first.

        ``within``: what is matched (:data:`FIELDS`): the version's whole text,
        its headline, the words it added or the words it removed.  ``host``: a
        host folder (lower case, no ``www.``); its subdomains match too.
        ``since``/``until``: aware datetimes, bounds (inclusive) on the version's
        time.  ``path``: one article.  ``limit``: at most this many articles.
        Raises :class:`SearchQueryError` for a query FTS5 cannot parse.
        """
        if not query.strip():
            raise SearchQueryError(f"the search query is empty; {_QUERY_HELP}")
        table = {"text": "search_text", "headline": "search_text", "added": "search_added",
                 "removed": "search_removed"}[within]
        match = f"{{headline}} : ({query})" if within == "headline" else query
        where = [f"d.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)"]
        args: list[str | int] = [match]
        if host:
            folder = "substr(d.path, 1, instr(d.path, '/') - 1)"
            where.append(f"({folder} = ? OR {folder} LIKE ? ESCAPE '!')")
            escaped = host.replace("!", "!!").replace("%", "!%").replace("_", "!_")
            args += [host, "%." + escaped]
        if since is not None:
            where.append("d.at >= ?")
            args.append(int(since.timestamp()))
        if until is not None:
            where.append("d.at <= ?")
            args.append(int(until.timestamp()))
        if path is not None:
            where.append("d.path = ?")
            args.append(path)
        filters = "".join(f" AND {w}" for w in where[1:])
        # Newest first: the versions by time, newest first (the index on `at`, walked
        # from the end: no sort of every match, which for a common word is most of
        # the archive), each checked against the matches, until `limit` articles are
        # found; then their matching version numbers, restricted to those articles.
        by_time = "" if path is not None else " INDEXED BY search_docs_at"
        newest = (f"SELECT d.path, d.at FROM search_docs d{by_time}"
                  f" WHERE {where[0]}{filters} ORDER BY d.at DESC, d.id DESC")
        chosen: dict[str, int] = {}
        try:
            if limit > 0:
                cursor = self.db.execute(newest, args)
                for p, at in cursor:
                    if p not in chosen:
                        chosen[p] = at
                        if len(chosen) >= limit:
                            break
                cursor.close()
            numbers: dict[str, list[int]] = {p: [] for p in chosen}
            paths = list(chosen)
            for i in range(0, len(paths), 500):
                part = paths[i:i + 500]
                for p, number in self.db.execute(
                        f"SELECT d.path, d.number FROM search_docs d WHERE {where[0]}{filters}"
                        f" AND d.path IN ({','.join('?' * len(part))})", [*args, *part]):
                    numbers[p].append(number)
        except sqlite3.OperationalError as exc:
            error: sqlite3.Error = exc
        else:
            return [SearchHit(path=p, numbers=sorted(numbers[p]),
                              at=datetime.fromtimestamp(at, tz=UTC))
                    for p, at in chosen.items()]
        if within == "headline":  # say what was wrong with the user's query alone
            try:
                self.db.execute("SELECT 1 FROM search_text WHERE search_text MATCH ?",
                                (query,)).fetchone()
            except sqlite3.OperationalError as exc:
                error = exc
        raise _query_error(query, error) from None
