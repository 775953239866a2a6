"""The plan of a run: which feeds are read and which articles are checked, in what order.

:func:`plan` reads the feeds that are due (each every ``schedule.feed_interval``,
concurrently, in worker threads), collects the article links of their
entries, adds the tracked single articles, the backlog (articles seen before
but left unfetched) and the known articles that the schedule
(:mod:`gitnews.versions.schedule`) says are due, and returns each once as a
:class:`Work` item, most overdue first.  What the plan learns about feeds and
the backlog is not written to the cache here: it waits in :class:`Pending`
until the run's commits are in git (:mod:`gitnews.ops.run`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.cache.checks import BacklogRow
from gitnews.archive.cache.feeds import FeedRow
from gitnews.archive.repo import Archive
from gitnews.errors import GitnewsError, HostBackoffError, RobotsDisallowedError
from gitnews.format.trailers import format_time, parse_time
from gitnews.format.urls import url_key
from gitnews.models import FeedEntry, ItemResult, Outcome, RunResult
from gitnews.versions.schedule import Policy, next_check

if TYPE_CHECKING:
    from gitnews.sources.http import Fetcher

__all__ = ["Work", "Pending", "ProgressCallback", "plan", "feed_due", "backlog_row"]

#: Called after every item with ``(items done, items known so far, the item)``.
ProgressCallback = Callable[[int, int, ItemResult], None]


@dataclass
class Work:
    """One article to check in a run."""

    url: str                      # what to request
    path: str | None = None       # the article's file, when known
    feed: str | None = None
    aliases: tuple[str, ...] = ()  # other URLs seen for it (feed link, entry id)
    etag: str | None = None
    last_modified: str | None = None
    due: datetime | None = None   # when the schedule wanted it checked
    key: str | None = None        # url_key of an article not fetched yet (backlog)
    first_seen: str | None = None  # RFC 3339: when that article was first seen
    record: ArticleRecord | None = None


@dataclass
class Pending:
    """Cache updates applied once the run's commits are safely in git."""

    feeds: list[tuple[str, FeedRow]] = field(default_factory=list)
    backlog_keep: list[BacklogRow] = field(default_factory=list)
    backlog_drop: list[str] = field(default_factory=list)
    put_off: list[tuple[str, datetime]] = field(default_factory=list)


def backlog_row(w: Work) -> BacklogRow:
    """The backlog row that keeps ``w`` (an article not fetched yet) for a later run
    (``w.key`` and ``w.first_seen`` are set for such an article)."""
    return {"key": cast(str, w.key), "url": w.url, "feed": w.feed, "aliases": list(w.aliases),
            "first_seen": cast(str, w.first_seen)}


# -- feeds -------------------------------------------------------------------------------------
def feed_due(stored: Mapping[str, Any], t: datetime, policy: Policy) -> datetime:
    """When the feed whose cache row is ``stored`` is next due (``t`` when never read)."""
    read_at = parse_time(stored.get("read_at"))
    return t if read_at is None else read_at + timedelta(seconds=policy.feed_interval_s)


def _read_feed(feed_url: str, stored: FeedRow, fetcher: Fetcher, t: datetime
               ) -> tuple[list[FeedEntry], ItemResult, FeedRow]:
    """Fetch and parse one feed (a worker thread); never raises."""
    from gitnews.sources.feeds import parse_feed

    stamp = format_time(t)
    try:
        page = fetcher.fetch(feed_url, etag=stored.get("etag"),
                             last_modified=stored.get("last_modified"))
        if page.status == 304:
            entries = [FeedEntry(feed_url=feed_url, link=link) for link in stored.get("links", [])]
            note = f"{len(entries)} entries"
        else:
            parsed = parse_feed(page.body, url=page.final_url)
            note = parsed.describe()  # also what was skipped, and why
            entries = [FeedEntry(feed_url=feed_url, link=e.link, entry_id=e.entry_id,
                                 title=e.title, published_at=e.published_at)
                       for e in parsed]
        fresh = page.status != 304
        data: FeedRow = {"etag": page.etag if fresh else (page.etag or stored.get("etag")),
                         "last_modified": page.last_modified if fresh
                         else (page.last_modified or stored.get("last_modified")),
                         "links": [e.link for e in entries], "error": None, "read_at": stamp}
        item = ItemResult(url=feed_url, outcome=Outcome.UNCHANGED, kind="feed", message=note)
        return entries, item, data
    except (RobotsDisallowedError, HostBackoffError) as exc:
        # Not a failure: reported; a refused feed waits for its next interval,
        # a host that asked to wait is asked again once it allows.
        read_at = stamp if isinstance(exc, RobotsDisallowedError) else stored.get("read_at")
        return [], ItemResult(url=feed_url, outcome=Outcome.SKIPPED, kind="feed",
                              message=str(exc)), {**stored, "read_at": read_at}
    except Exception as exc:
        message = str(exc) if isinstance(exc, GitnewsError) else (
            f"unexpected error while reading feed {feed_url}: {exc.__class__.__name__}: {exc}; "
            "please report this feed")
        entries = [FeedEntry(feed_url=feed_url, link=link) for link in stored.get("links", [])]
        return entries, ItemResult(url=feed_url, outcome=Outcome.FAILED, kind="feed",
                                   message=message), {**stored, "error": message,
                                                      "read_at": stamp,
                                                      "failing_since": stored.get(
                                                          "failing_since") or stamp}


def _feed_entries(archive: Archive, fetcher: Fetcher, result: RunResult, pending: Pending,
                  progress: ProgressCallback | None, *, t: datetime, policy: Policy,
                  check_all: bool, concurrency: int) -> Iterator[FeedEntry]:
    state = archive.state
    due = []
    for feed_url in archive.config.feeds:
        stored = state.get_feed(feed_url)
        if check_all or feed_due(stored, t, policy) <= t:
            due.append((feed_url, stored))
    if not due:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(due))),
                            thread_name_prefix="gitnews-feed") as pool:
        outs = list(pool.map(lambda fs: _read_feed(fs[0], fs[1], fetcher, t), due))
    for (feed_url, _stored), (entries, item, data) in zip(due, outs, strict=True):
        pending.feeds.append((feed_url, data))
        result.items.append(item)
        if progress:
            progress(len(result.items), len(result.items), item)
        yield from entries


# -- planning ----------------------------------------------------------------------------------
def plan(archive: Archive, fetcher: Fetcher, result: RunResult, pending: Pending,
         progress: ProgressCallback | None, *, t: datetime, policy: Policy,
         check_all: bool, concurrency: int,
         hand_over: Callable[[str, str], bool] | None = None) -> list[Work]:
    """Every article to check this run, each once, most overdue first.

    ``hand_over(link, feed_url)``, when given, sees each feed entry first: True takes the
    entry away from this archive (a collection hands an article of another site to that
    site's archive, :mod:`gitnews.collection`).

    New articles (feed links, tracked URLs and the backlog not fetched yet)
    are always due: since they were first seen.  Known articles are due when
    :func:`gitnews.versions.schedule.next_check` says so, or all of them with ``check_all``.
    """
    state = archive.state
    known: dict[str, Work] = {}
    passed: set[str] = set()
    new: dict[str, Work] = {}
    seen: set[str] = set()
    backlog = {row["key"]: row for row in state.backlog()}

    def consider(record: ArticleRecord) -> None:
        if (record.removed and not check_all) or record.path in known or record.path in passed:
            return
        due = next_check(record, t, policy)
        if not check_all and (due is None or due > t):
            passed.add(record.path)
            result.not_due += 1
            return
        known[record.path] = Work(url=record.url, path=record.path, feed=record.feed,
                                  etag=record.etag, last_modified=record.last_modified,
                                  due=min(due or t, t), record=record)

    def add_link(link: str, feed: str | None, aliases: tuple[str, ...] = ()) -> None:
        try:
            key = url_key(link)
        except GitnewsError as exc:
            result.items.append(ItemResult(url=link, outcome=Outcome.FAILED, message=str(exc)))
            return
        if key in seen:
            return
        seen.add(key)
        record = state.lookup(link)
        if record is not None:
            if key in backlog:
                pending.backlog_drop.append(key)
            consider(record)
            return
        first = backlog[key]["first_seen"] if key in backlog else format_time(t)
        new[key] = Work(url=link, feed=feed, aliases=aliases, due=parse_time(first), key=key,
                        first_seen=first)

    for entry in _feed_entries(archive, fetcher, result, pending, progress, t=t, policy=policy,
                               check_all=check_all, concurrency=concurrency):
        if hand_over is not None and hand_over(entry.link, entry.feed_url):
            continue
        extra = (entry.entry_id,) if entry.entry_id and entry.entry_id != entry.link else ()
        add_link(entry.link, entry.feed_url, extra)
    for link in archive.config.articles:
        add_link(link, None)
    for key, row in backlog.items():
        if key in seen:
            continue
        first = parse_time(row["first_seen"])
        if policy.stop_after_s is not None and first is not None \
                and (t - first).total_seconds() > policy.stop_after_s:
            pending.backlog_drop.append(key)  # never fetched in all that time: give up
            continue
        add_link(row["url"], row["feed"], tuple(row["aliases"]))
    for record in state.articles():
        consider(record)
    return sorted([*new.values(), *known.values()], key=lambda w: w.due or t)
