"""Politeness kept between runs (the ``robots`` and ``hosts`` tables): robots.txt copies
per origin and back-offs and last requests per host, in the shapes
:meth:`gitnews.sources.http.Fetcher.load_state` takes and
:meth:`~gitnews.sources.http.Fetcher.export_state` gives."""

from __future__ import annotations

from collections.abc import Iterable

from gitnews.archive.cache.db import CacheDb

# The row shapes are the fetcher's, which gives and takes them.
from gitnews.sources.politeness import HostRow, RobotsRow

__all__ = ["RobotsRow", "HostRow", "Politeness"]


class Politeness(CacheDb):
    """The cache's ``robots`` and ``hosts`` tables."""

    def robots_rows(self) -> list[RobotsRow]:
        """Stored robots.txt copies, in the shape ``Fetcher.load_state`` takes."""
        return [{"origin": o, "status": st, "body": b, "fetched_at": f, "expires_at": e}
                for o, st, b, f, e in self.db.execute(
                    "SELECT origin, status, body, fetched_at, expires_at FROM robots")]

    def host_rows(self) -> list[HostRow]:
        """Stored host back-offs and last requests, for ``Fetcher.load_state``."""
        return [{"host": h, "backoff_until": b, "last_request": r}
                for h, b, r in self.db.execute(
                    "SELECT host, backoff_until, last_request FROM hosts")]

    def save_politeness(self, robots: Iterable[RobotsRow], hosts: Iterable[HostRow]) -> None:
        """Store what ``Fetcher.export_state`` returned."""
        for r in robots:
            self.db.execute("INSERT OR REPLACE INTO robots VALUES (?,?,?,?,?)",
                            (r["origin"], r["status"], r["body"], r["fetched_at"],
                             r["expires_at"]))
        for h in hosts:
            self.db.execute("INSERT OR REPLACE INTO hosts VALUES (?,?,?)",
                            (h["host"], h["backoff_until"], h["last_request"]))
