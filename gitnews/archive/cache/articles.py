"""Reading the article index: one article by path or by URL (any alias), every article,
the filtered and sorted list of ``gitnews list``, and an article's versions and outside
edits, each from indexed SQLite queries (no ``git log``).

The index itself is written by :mod:`gitnews.archive.cache.index` (rebuilt from git)
and :meth:`ArticleLookups.add_aliases`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from gitnews.archive.cache.db import CacheDb
from gitnews.archive.history import OutsideEdit
from gitnews.format.urls import identity_key
from gitnews.models import Version

__all__ = ["ArticleRecord", "ArticleLookups", "safe_key"]


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


def safe_key(url: str | None) -> str | None:
    """The identity key of ``url`` (:func:`gitnews.format.urls.identity_key`), or None
    when ``url`` is None or not a URL gitnews can name."""
    if url is None:
        return None
    try:
        return identity_key(url)
    except Exception:
        return None


class ArticleLookups(CacheDb):
    """The cache's reads of the article index (``articles`` with its checks and
    schedule, ``aliases``, ``versions``, ``outside``), and the aliases it records."""

    _COLS = ("a.path, a.url, a.versions, a.blob, a.headline, a.feed, a.first_seen, "
             "a.last_changed, a.removed, c.etag, c.last_modified, c.last_checked, "
             "COALESCE(c.failures, 0), c.last_error, COALESCE(s.unchanged, 0), s.not_before, "
             "a.outside, a.repeats, a.edited")
    _JOIN = "articles a LEFT JOIN checks c USING(path) LEFT JOIN schedule s USING(path)"

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ArticleRecord:
        """The :class:`ArticleRecord` of one row of :attr:`_COLS`."""
        return ArticleRecord(
            path=row[0], url=row[1], versions=row[2], blob=row[3], headline=row[4], feed=row[5],
            first_seen=row[6], last_changed=row[7], removed=bool(row[8]), etag=row[9],
            last_modified=row[10], last_checked=row[11], failures=row[12], last_error=row[13],
            unchanged=row[14], not_before=row[15], outside_edit=bool(row[16]), repeats=row[17],
            edited=row[18])

    def get(self, path: str) -> ArticleRecord | None:
        """The article stored at ``path``, or None."""
        row = self.db.execute(
            f"SELECT {self._COLS} FROM {self._JOIN} WHERE a.path=?", (path,)).fetchone()
        return None if row is None else self._record(row)

    def versions(self, path: str) -> list[Version]:
        """Every version of the article at ``path``, oldest first, as git has them
        (the same :class:`~gitnews.models.Version` objects as
        :func:`gitnews.archive.history.versions`, blob ids included), from one indexed
        SQLite query: the cost does not grow with the archive.  Only gitnews's
        own commits are versions (:func:`gitnews.archive.history.is_version`); an edit
        made with plain git is an outside edit (:meth:`outside_edits`).  Empty
        for an unknown path.  :meth:`~gitnews.archive.cache.State.sync` first.
        """
        return [Version(path=path, number=number, commit=commit,
                        fetched_at=datetime.fromtimestamp(at, tz=UTC), subject=subject,
                        trailers=json.loads(trailers), removed=blob is None, blob=blob)
                for number, commit, at, blob, subject, trailers in self.db.execute(
                    "SELECT number, commit_id, at, blob, subject, trailers FROM versions"
                    " WHERE path=? ORDER BY number", (path,))]

    def all_versions(self) -> Iterator[tuple[str, list[Version]]]:
        """Every article's versions, articles by path, each oldest first: the same
        :class:`~gitnews.models.Version` objects as :meth:`versions` gives one article,
        from one SQLite query over the ``versions`` table (its primary key's order, no
        sort).  What the static site reads instead of the whole ``git log``
        (:mod:`gitnews.output.site`).  :meth:`~gitnews.archive.cache.State.sync` first."""
        path: str | None = None
        found: list[Version] = []
        loads, when = json.loads, datetime.fromtimestamp
        for row_path, number, commit, at, blob, subject, trailers in self.db.execute(
                "SELECT path, number, commit_id, at, blob, subject, trailers FROM versions"
                " ORDER BY path, number"):
            if row_path != path:
                if path is not None:
                    yield path, found
                path, found = row_path, []
            found.append(Version(path=row_path, number=number, commit=commit,
                                 fetched_at=when(at, tz=UTC), subject=subject,
                                 trailers=loads(trailers), removed=blob is None, blob=blob))
        if path is not None:
            yield path, found

    def outside_edits(self, path: str) -> list[OutsideEdit]:
        """The outside edits of the article at ``path`` (commits without gitnews's
        trailers that touched its file), oldest first, each with the number of
        the version it follows: the same as :func:`gitnews.archive.history.file_history`
        gives.  Empty for an unknown path.  :meth:`~gitnews.archive.cache.State.sync`
        first."""
        return [OutsideEdit(path=path, commit=commit,
                            at=datetime.fromtimestamp(at, tz=UTC), subject=subject,
                            after=after, removed=blob is None, blob=blob)
                for commit, at, blob, subject, after in self.db.execute(
                    "SELECT commit_id, at, blob, subject, after FROM outside WHERE path=?"
                    " ORDER BY rowid", (path,))]

    def lookup(self, url: str) -> ArticleRecord | None:
        """The article that ``url`` (any alias, any scheme) names, or None."""
        key = safe_key(url)
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
    SORTS: ClassVar[dict[str, str]] = {
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
        articles whose last change (:attr:`ArticleRecord.last_edited`) is at or after it;
        ``changed_until`` likewise, at or before it.  ``sort``: a key of
        :attr:`SORTS` (ValueError otherwise): ``changed`` newest change first,
        ``versions`` most versions first, ``headline`` A to Z.  ``limit``: at
        most this many (None: all).
        """
        if sort not in self.SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(self.SORTS)}")
        where: list[str] = ["a.versions - a.repeats >= ?"]
        args: list[str | int] = [min_versions]
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

    def add_aliases(self, path: str, urls: Iterable[str | None], *, commit: bool = True) -> None:
        """Record that each of ``urls`` names the article at ``path``."""
        for url in urls:
            key = safe_key(url) if url else None
            if key:
                self.db.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (key, path))
