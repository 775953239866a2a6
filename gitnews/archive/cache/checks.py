"""The check state of articles: each check's validators or error (``checks``, and
since when a check fails: ``failing``), the schedule (``schedule``, read by
:mod:`gitnews.versions.schedule`) and the backlog of articles seen in feeds but not
fetched yet (``backlog``).

Not history: losing it costs only a full re-fetch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from gitnews.archive.cache.db import CacheDb
from gitnews.format.trailers import format_time

__all__ = ["FailingCheck", "BacklogRow", "Checks"]


class FailingCheck(TypedDict):
    """An article whose latest check failed (:meth:`Checks.failing_checks`)."""

    path: str
    url: str | None        # None when the article has no version yet
    since: str             # first failure of the streak, RFC 3339 UTC
    last_checked: str      # the latest check, RFC 3339 UTC
    failures: int          # checks in a row that failed
    last_error: str | None


class BacklogRow(TypedDict):
    """An article seen in a feed but not fetched yet (:meth:`Checks.backlog`)."""

    key: str               # its URL's identity key
    url: str
    feed: str | None
    aliases: list[str]
    first_seen: str        # RFC 3339 UTC
    title: NotRequired[str | None]  # the headline its sitemap (news:title) or front gave it


class Checks(CacheDb):
    """The cache's ``checks``, ``failing``, ``schedule`` and ``backlog`` tables."""

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

    def failing_checks(self) -> list[FailingCheck]:
        """Articles whose latest check failed, longest failing first: rows with
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

    # -- the schedule (gitnews.versions.schedule) ---------------------------------------------
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

    # -- the backlog ----------------------------------------------------------------------------
    def backlog(self) -> list[BacklogRow]:
        """Articles seen in feeds but not fetched yet, oldest first: rows with
        ``key``, ``url``, ``feed``, ``aliases`` (list), ``first_seen`` (RFC 3339)
        and ``title`` (the source's headline for it, or None)."""
        rows: list[BacklogRow] = []
        for k, u, f, a, t in self.db.execute("SELECT key, url, feed, aliases, first_seen"
                                             " FROM backlog ORDER BY first_seen, key"):
            aliases, title = _unpack_aliases(a)
            rows.append({"key": k, "url": u, "feed": f, "aliases": aliases, "first_seen": t,
                         "title": title})
        return rows

    def keep_backlog(self, rows: Iterable[BacklogRow]) -> None:
        """Remember articles left unfetched (the first sighting is kept)."""
        for r in rows:
            self.db.execute("INSERT OR IGNORE INTO backlog VALUES (?,?,?,?,?)",
                            (r["key"], r["url"], r.get("feed"),
                             _pack_aliases(r.get("aliases", ()), r.get("title")),
                             r["first_seen"]))

    def drop_backlog(self, keys: Iterable[str]) -> None:
        """Forget backlog entries (fetched, or given up)."""
        for key in keys:
            self.db.execute("DELETE FROM backlog WHERE key=?", (key,))


# The backlog's ``aliases`` column is JSON: a list of URLs, or, for an article whose
# source gave it a headline (a news sitemap's news:title, a front's story headline), an
# object ``{"aliases": [URLs], "title": "headline"}``.  Without a title the list form is
# written, so caches of earlier gitnews read and write alike (no schema change).
def _pack_aliases(aliases: Iterable[str], title: str | None) -> str:
    if title:
        return json.dumps({"aliases": list(aliases), "title": title}, ensure_ascii=False)
    return json.dumps(list(aliases))


def _unpack_aliases(text: str) -> tuple[list[str], str | None]:
    data: Any = json.loads(text)
    if isinstance(data, dict):
        title = data.get("title")
        return list(data.get("aliases", [])), title if isinstance(title, str) and title else None
    return list(data), None
