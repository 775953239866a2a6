"""Feed entries kept between site runs: :class:`EntryStore`.

A host's feed and the site-wide feed carry their latest 50 changes; a run that
rewrites them (one new version of one article of the host is enough) would diff
each of those changes again from its two texts.  The store keeps, per change, what
the feeds and the change lists show of it: the feed entry's title, content (the
word-marked diff as HTML) and summary line, and the change's headline, "what
changed" and gap.  A run then diffs only the changes it has not seen.

Where: ``.git/gitnews/site-entries.sqlite`` of the archive (inside ``.git``, never
committed, next to the cache; not in the site's folder, so a site's files stay the
same bytes however it was built).  One table, ``entries(key, data)``: ``key`` is
:func:`entry_key` (the site's key of templates, settings and gitnews's version, the
article's path, URL and headline, the two commits, the diff page's URL), ``data``
a JSON object.  A second table, ``summaries(key, headline, what, gap)`` (:func:`summary_key`), keeps
what the change lists (front page, hosts' pages, days' pages) show of every change seen,
so that a day's page rendered again (a new day's link) diffs nothing. A stored entry is
never changed: whatever it was made from is in its key. After a run that added entries,
those no feed of the site carries any more are deleted; summaries are deleted when there
are more than twice as many as the site has changes (those of changes no longer in the
history, or of another version of gitnews). The store is an optimisation only: any
SQLite error (locked, damaged, read-only) makes the run go without it, with the same
output; a read-only archive has none.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gitnews._version import __version__
from gitnews.models import Version
from gitnews.output.changefeed import FeedEntry
from gitnews.output.site.articles import SiteArticle
from gitnews.output.site.writer import file_key

__all__ = ["EntryStore", "StoredEntry", "entry_key", "summary_key", "STORE_NAME"]

#: The store's file, in ``.git/gitnews/``.
STORE_NAME = "site-entries.sqlite"


def entry_key(glob: str, art: SiteArticle, number: int, target: str | None) -> str:
    """The store's key of the article's change ``number`` (≥ 2) as a feed shows it
    with the diff page's URL ``target``; ``glob``: the site's key of templates,
    settings and gitnews's version."""
    a, b = art.versions[number - 2], art.versions[number - 1]
    return file_key(glob, "entry", art.path, art.record.url, art.record.headline,
                    a.commit, b.commit, target or "")


def summary_key(art: SiteArticle, number: int) -> str:
    """The store's key of the summary of the article's change ``number`` (≥ 2): what
    the change lists show (headline, what changed, gap) depends on the two versions,
    the article's path and headline, and gitnews's version."""
    a, b = art.versions[number - 2], art.versions[number - 1]
    return file_key("summary", __version__, art.path, art.record.headline, a.commit, b.commit)


@dataclass(frozen=True)
class StoredEntry:
    """One change as kept: the :class:`FeedEntry`'s text parts and the change's summary
    (:class:`~gitnews.output.site.views.ChangeSummary`'s ``headline``, ``what``,
    ``gap``)."""

    title: str
    content: str
    line: str
    host: str
    headline: str
    what: str
    gap: str

    def entry(self, version: Version, art: SiteArticle, number: int,
              target: str | None) -> FeedEntry:
        """The feed entry of the article's change ``number`` (the version ``version``)."""
        return FeedEntry(id=f"urn:gitnews:{version.commit}", title=self.title,
                         time=art.times[number - 1], url=art.record.url, host=self.host,
                         version=version, target=target, content=self.content, line=self.line)


class EntryStore:
    """The entries of ``folder / STORE_NAME``, opened on first use (not before the
    site's rendering processes are forked); every method is quiet about SQLite's
    errors (the store then stays off for the run)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STORE_NAME
        self._db: sqlite3.Connection | None = None
        self._off = False
        self.added = 0

    def _conn(self) -> sqlite3.Connection | None:
        if self._off:
            return None
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=5.0)
                db.execute("CREATE TABLE IF NOT EXISTS entries "
                           "(key TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID")
                db.execute("CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, "
                           "headline TEXT, what TEXT, gap TEXT) WITHOUT ROWID")
                db.commit()
            except (sqlite3.Error, OSError):
                self._off = True
                return None
            self._db = db
        return self._db

    def get(self, keys: Iterable[str]) -> dict[str, StoredEntry]:
        """The stored entries of ``keys`` (those kept; the others are missing)."""
        wanted = list(dict.fromkeys(keys))
        db = self._conn()
        if db is None or not wanted:
            return {}
        found: dict[str, StoredEntry] = {}
        try:
            for i in range(0, len(wanted), 500):
                part = wanted[i:i + 500]
                rows = db.execute("SELECT key, data FROM entries WHERE key IN "
                                  f"({','.join('?' * len(part))})", part).fetchall()
                for key, data in rows:
                    found[key] = StoredEntry(**json.loads(data))
        except (sqlite3.Error, ValueError, TypeError):
            self._off = True
            return {}
        return found

    def summaries(self, keys: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """The stored summaries (headline, what changed, gap) of ``keys``."""
        wanted = list(dict.fromkeys(keys))
        db = self._conn()
        if db is None or not wanted:
            return {}
        found: dict[str, tuple[str, str, str]] = {}
        try:
            for i in range(0, len(wanted), 500):
                part = wanted[i:i + 500]
                for key, headline, what, gap in db.execute(
                        "SELECT key, headline, what, gap FROM summaries WHERE key IN "
                        f"({','.join('?' * len(part))})", part):
                    found[key] = (headline, what, gap)
        except sqlite3.Error:
            self._off = True
            return {}
        return found

    def put_summaries(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Keep summaries: ``(key, headline, what, gap)`` rows (written at :meth:`close`)."""
        db = self._conn()
        if db is None:
            return
        try:
            db.executemany("INSERT OR IGNORE INTO summaries (key, headline, what, gap) "
                           "VALUES (?, ?, ?, ?)", rows)
        except sqlite3.Error:
            self._off = True

    def summary_count(self) -> int:
        """How many summaries are kept (0 when the store is off)."""
        db = self._conn()
        if db is None:
            return 0
        try:
            return int(db.execute("SELECT count(*) FROM summaries").fetchone()[0])
        except sqlite3.Error:
            return 0

    def put(self, key: str, stored: StoredEntry) -> None:
        """Keep ``stored`` under ``key`` (written at :meth:`close`)."""
        db = self._conn()
        if db is None:
            return
        try:
            db.execute("INSERT OR REPLACE INTO entries (key, data) VALUES (?, ?)",
                       (key, json.dumps(stored.__dict__, ensure_ascii=False)))
            self.added += 1
        except sqlite3.Error:
            self._off = True

    def close(self, live: set[str] | None = None, live_summaries: set[str] | None = None) -> None:
        """Write what was added and, when ``live`` is given and something was added, delete
        the entries whose keys are not in ``live`` (those no feed carries any more);
        with ``live_summaries``, the summaries whose keys are not in it."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            if live is not None and self.added:
                db.execute("CREATE TEMP TABLE live (key TEXT PRIMARY KEY)")
                db.executemany("INSERT OR IGNORE INTO live (key) VALUES (?)",
                               ((k,) for k in live))
                db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM live)")
            if live_summaries is not None:
                db.execute("CREATE TEMP TABLE live_summaries (key TEXT PRIMARY KEY)")
                db.executemany("INSERT OR IGNORE INTO live_summaries (key) VALUES (?)",
                               ((k,) for k in live_summaries))
                db.execute("DELETE FROM summaries WHERE key NOT IN "
                           "(SELECT key FROM live_summaries)")
            db.commit()
        except sqlite3.Error:
            pass
        finally:
            db.close()
