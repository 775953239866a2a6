"""Noise control (:mod:`gitnews.versions.record`): suspicious texts held for confirmation
(``held``), removals waiting for a second sighting (``gone``), how often an article
returned to an earlier text (``alternations``), and where an article's text was last
fetched from and what read it (``fetched``).

Not history, so not rebuilt from git: losing it only delays a confirmation or forgets
how often an article alternated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypedDict

from gitnews.archive.cache.db import CacheDb

__all__ = ["HeldRow", "GoneRow", "AlternationRow", "Noise"]


class HeldRow(TypedDict):
    """A suspicious text held for ``path`` until later checks confirm it."""

    blob: str
    first_seen: str         # RFC 3339 UTC
    sightings: int          # checks that saw it
    reason: str             # why it is suspicious
    #: What its commit needs, stored as JSON: a JSON object whose keys the
    #: recorder (:mod:`gitnews.versions.record`) chooses.
    data: dict[str, Any]


class GoneRow(TypedDict):
    """The first sighting of a pending removal."""

    first_seen: str         # RFC 3339 UTC
    status: int | None      # the HTTP status that said gone (404, 410), or None
    detail: str | None      # how it was found gone


class AlternationRow(TypedDict):
    """How often an article returned to an earlier text without a commit."""

    returns: int
    last_seen: str | None   # RFC 3339 UTC
    seen_blob: str | None   # the text of the latest return


class Noise(CacheDb):
    """The cache's ``held``, ``gone``, ``alternations`` and ``fetched`` tables."""

    def noted_paths(self) -> set[str]:
        """The paths with a held text, a pending removal or an alternation count
        (few: a run asks the three tables only about these)."""
        return {path for (path,) in self.db.execute(
            "SELECT path FROM held UNION SELECT path FROM gone UNION SELECT path FROM alternations")}

    def get_held(self, path: str) -> HeldRow | None:
        """The suspicious text held for ``path``: ``blob``, ``first_seen`` (RFC 3339),
        ``sightings``, ``reason`` and ``data`` (what the commit needs), or None."""
        row = self.db.execute("SELECT blob, first_seen, sightings, reason, data FROM held "
                              "WHERE path=?", (path,)).fetchone()
        if row is None:
            return None
        return {"blob": row[0], "first_seen": row[1], "sightings": row[2], "reason": row[3],
                "data": json.loads(row[4])}

    def set_held(self, path: str, held: HeldRow | None) -> None:
        """Store (or, with None, forget) the held text of ``path``."""
        if held is None:
            self.db.execute("DELETE FROM held WHERE path=?", (path,))
        else:
            self.db.execute("INSERT OR REPLACE INTO held VALUES (?,?,?,?,?,?)",
                            (path, held["blob"], held["first_seen"], held["sightings"],
                             held["reason"], json.dumps(held["data"], sort_keys=True)))

    def held(self) -> Iterator[tuple[str, HeldRow | None]]:
        """Every held text, by path (None: forgotten by another process meanwhile)."""
        for (path,) in self.db.execute("SELECT path FROM held ORDER BY path").fetchall():
            yield path, self.get_held(path)

    def get_gone(self, path: str) -> GoneRow | None:
        """The first sighting of a pending removal of ``path``: ``first_seen``
        (RFC 3339), ``status``, ``detail``; or None."""
        row = self.db.execute("SELECT first_seen, status, detail FROM gone WHERE path=?",
                              (path,)).fetchone()
        return {"first_seen": row[0], "status": row[1], "detail": row[2]} if row else None

    def set_gone(self, path: str, gone: GoneRow | None) -> None:
        """Store (or, with None, forget) the pending removal of ``path``."""
        if gone is None:
            self.db.execute("DELETE FROM gone WHERE path=?", (path,))
        else:
            self.db.execute("INSERT OR REPLACE INTO gone VALUES (?,?,?,?)",
                            (path, gone["first_seen"], gone.get("status"), gone.get("detail")))

    def get_alternation(self, path: str) -> AlternationRow | None:
        """How often ``path`` returned to an earlier text without a commit:
        ``returns``, ``last_seen`` (RFC 3339), ``seen_blob``; None if never."""
        row = self.db.execute("SELECT returns, last_seen, seen_blob FROM alternations "
                              "WHERE path=?", (path,)).fetchone()
        return {"returns": row[0], "last_seen": row[1], "seen_blob": row[2]} if row else None

    def set_alternation(self, path: str, alt: AlternationRow) -> None:
        self.db.execute("INSERT OR REPLACE INTO alternations VALUES (?,?,?,?)",
                        (path, alt["returns"], alt.get("last_seen"), alt.get("seen_blob")))

    def get_fetched(self, path: str) -> tuple[str | None, str | None]:
        """``(url, fingerprint)`` of the last page that gave ``path`` a text: the URL
        it was fetched from (after redirects; re-checks ask it, not the canonical URL
        a page may name but not serve) and the extractor and filters that read it."""
        row = self.db.execute("SELECT url, fingerprint FROM fetched WHERE path=?",
                              (path,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def fetched_rows(self) -> list[tuple[str, str, str]]:
        """``(path, url, fingerprint)`` of :meth:`get_fetched` for every article not
        removed that has both, in one query (a run's check for texts made by another
        extractor or other filters, :func:`gitnews.ops.reextract.reextract_stale`)."""
        return [(row[0], row[1], row[2]) for row in self.db.execute(
            "SELECT f.path, f.url, f.fingerprint FROM fetched f JOIN articles a ON a.path=f.path"
            " WHERE a.removed=0 AND f.url IS NOT NULL AND f.fingerprint IS NOT NULL")]

    def set_fetched(self, path: str, *, url: str | None = None,
                    fingerprint: str | None = None) -> None:
        """Remember where ``path`` was fetched from and what read it (None keeps the value)."""
        self.db.execute(
            "INSERT INTO fetched(path, url, fingerprint) VALUES (?,?,?) ON CONFLICT(path) DO UPDATE"
            " SET url=COALESCE(excluded.url, url),"
            " fingerprint=COALESCE(excluded.fingerprint, fingerprint)", (path, url, fingerprint))
