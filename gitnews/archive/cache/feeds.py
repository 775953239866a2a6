"""What the last run learnt of each feed (the ``feeds`` table): its validators, its
entries' links, when it was read and since when it fails (:mod:`gitnews.ops.run`
writes it, ``gitnews feeds`` and ``gitnews status`` read it)."""

from __future__ import annotations

import json
from typing import TypedDict, cast

from gitnews.archive.cache.db import CacheDb

__all__ = ["FeedRow", "Feeds"]


class FeedRow(TypedDict, total=False):
    """What the cache keeps of one feed, stored as one JSON object (every key may
    be missing: {} for a feed never read)."""

    etag: str | None
    last_modified: str | None
    links: list[str]               # its entries' links, as last read
    error: str | None              # why the latest read failed (None: it did not)
    read_at: str | None            # the latest read, RFC 3339 UTC
    failing_since: str | None      # the first failed read of the current streak


class Feeds(CacheDb):
    """The cache's ``feeds`` table."""

    def get_feed(self, url: str) -> FeedRow:
        """What the last run stored for feed ``url``: ``etag``, ``last_modified``,
        ``links`` (its entries' links), ``error``; {} when never read."""
        row = self.db.execute("SELECT data FROM feeds WHERE url=?", (url,)).fetchone()
        return cast(FeedRow, json.loads(row[0])) if row else {}

    def set_feed(self, url: str, data: FeedRow) -> None:
        self.db.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?)", (url, json.dumps(data)))
