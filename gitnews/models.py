"""Plain dataclasses passed between the pipeline stages.

feeds -> :class:`FeedEntry`; fetch -> :class:`Page`; extract -> :class:`Article`;
store/history -> :class:`Version` (defined in :mod:`gitnews.format.version`);
a run -> :class:`ItemResult`, :class:`RunResult`.
Times are timezone-aware :class:`datetime.datetime` objects in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

# The Version value is part of the archive format; it is imported from here as well.
from gitnews.format.version import Version

__all__ = ["FeedEntry", "Exchange", "Page", "Article", "Version", "Outcome", "ItemResult", "RunResult",
           "DIFF_FORMATS", "FEED_LIMIT"]

#: ``gitnews diff --format`` values (:mod:`gitnews.output.render` writes each).
DIFF_FORMATS = ("word", "side-by-side", "unified", "html", "json")
#: Changes (entries) in a feed of changes by default (:mod:`gitnews.output.changefeed`).
FEED_LIMIT = 50


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed: the article link it points to.

    ``link`` is absolute (resolved against the feed's final URL and ``xml:base``);
    ``entry_id`` is the entry's guid/id when the feed gives one; ``published_at``
    is the entry's own date (UTC) or None when missing, unparseable or in the future.
    """

    feed_url: str
    link: str
    entry_id: str | None = None
    title: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as the fetcher made and received them
    (the raw material of a capture: :mod:`gitnews.archive.captures`).

    ``method``/``url``/``http_version`` and ``request_headers`` (``(name, value)``
    as sent, names in their sent case; ``Authorization``, ``Cookie`` and
    ``Proxy-Authorization`` are never recorded, nor user info in the URL);
    ``status``/``reason`` and ``response_headers`` (as received, in order, names
    in their received case); ``body``: the payload as gitnews read it, after
    undoing any ``Content-Encoding`` (so that its SHA-256 is the version's
    ``Page-Sha256``), at most ``max_bytes`` long; ``truncated``: the body was
    cut at that cap.  ``sent_at``: when the request was sent (aware UTC).
    """

    method: str
    url: str
    http_version: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    sent_at: datetime
    truncated: bool = False


@dataclass(frozen=True)
class Page:
    """One HTTP response as fetched: raw body bytes, never decoded by the client.

    ``url`` is the URL requested, ``final_url`` the URL after redirects,
    ``redirects`` every URL passed through (requested first, final excluded).
    ``status`` 304 means "not modified" and ``body`` is then empty.
    ``etag`` / ``last_modified`` are the validators to send next time.
    ``headers``: every response header as ``(lower-case name, value)``, in order.
    ``exchange``: the final request and response as made (for the capture), or
    None when the page did not come from a live fetch.
    """

    url: str
    final_url: str
    status: int
    body: bytes
    fetched_at: datetime
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    exchange: Exchange | None = None


@dataclass(frozen=True)
class Article:
    """What extraction found in a page.

    ``paragraphs`` are the body's blocks in reading order (paragraphs, headings,
    list items, quotes), each one line of text. ``published_at`` is an RFC 3339
    date or date-time string exactly as precise as the page gives it, or None.
    ``canonical_url`` is the URL the page declares: its ``rel=canonical``, else
    ``og:url``, else JSON-LD url (unvalidated; :mod:`gitnews.pagetext.declared`).
    ``extractor`` names the extractor and version, e.g. ``"trafilatura 2.3.1"``.
    ``headline`` is the visible headline (:mod:`gitnews.pagetext.headline`).
    ``social_title`` (``og:title``, else ``twitter:title``) and ``seo_title``
    (``<title>``) are those titles as the page gives them (one line), or None
    when missing or when their words, site name removed, are the headline's.
    ``notes``: what the extraction wants the user to know about this page
    (a site rule that matched nothing), one sentence each.
    """

    headline: str
    paragraphs: tuple[str, ...]
    byline: str | None = None
    published_at: str | None = None
    canonical_url: str | None = None
    extractor: str = ""
    social_title: str | None = None
    seo_title: str | None = None
    notes: tuple[str, ...] = ()


class Outcome(str, enum.Enum):
    """What one run did with one article."""

    NEW = "NEW"
    CHANGED = "CHANGED"
    UNCHANGED = "UNCHANGED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    HELD = "HELD"        # a suspicious text or a 404 waits for a later check to confirm it
    REMOVED = "REMOVED"  # a confirmed removal was committed (a version of its own)


@dataclass
class ItemResult:
    """The outcome for one article (or one feed) in a run.

    ``message`` says what failed and what to do, for FAILED and SKIPPED items,
    and why an item is HELD (or an UNCHANGED one alternating); for other
    items it carries the extraction's notes (a site rule that matched nothing).
    ``version`` is the new version number for NEW, CHANGED and REMOVED items.
    """

    url: str
    outcome: Outcome
    path: str | None = None
    version: int | None = None
    headline: str | None = None
    message: str | None = None
    kind: str = "article"  # "article" or "feed"
    change_kind: str | None = None  # the commit's Change-Kind value, e.g. "headline, body"


@dataclass
class RunResult:
    """Everything one polling pass did; ``items`` in the order they completed.

    SKIPPED items (robots.txt disallows them, or their host asked to wait) are
    reported but are not failures.
    """

    items: list[ItemResult] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    dry_run: bool = False
    #: Known articles the schedule did not ask for (not due, or no longer checked).
    not_due: int = 0
    #: Due articles left for the next run by ``--max-articles``/``--max-time``/a stop.
    left_over: int = 0
    #: True when a stop request (SIGINT/SIGTERM) left due work undone: checks that
    #: never started (counted in ``left_over``).  The checks that ended are committed.
    interrupted: bool = False
    #: The front pages whose story list changed, committed by this run (their paths in
    #: the archive; a dry run commits none).
    fronts: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        """Number of article items with ``outcome`` (feeds are not counted)."""
        return sum(1 for i in self.items if i.outcome is outcome and i.kind == "article")

    @property
    def failures(self) -> list[ItemResult]:
        """Every FAILED item, feeds included."""
        return [i for i in self.items if i.outcome is Outcome.FAILED]
