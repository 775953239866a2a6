"""The plan of a run: which sources are read and which articles are checked, in what order.

:func:`plan` reads the sources that are due (feeds, sitemaps and front pages, each
every ``schedule.feed_interval`` or its ``[sources]`` ``interval``; concurrently, in
worker threads), keeps the article links of their entries that the source's
``include``/``exclude`` filters keep (:mod:`gitnews.config.sources`), adds the
tracked single articles, the backlog (articles seen before but left unfetched)
and the known articles that the schedule (:mod:`gitnews.versions.schedule`, with
the per-host ``[schedule.hosts]``) says are due, and returns each once as a
:class:`Work` item, most overdue first.  What the plan learns about sources and
the backlog is not written to the cache here: it waits in :class:`Pending`
(with the fronts' story lists, committed by :mod:`gitnews.ops.fronts`) until the
run's commits are in git (:mod:`gitnews.ops.run`).
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
from gitnews.format.urls import identity_key, url_key
from gitnews.models import FeedEntry, ItemResult, Outcome, Page, RunResult
from gitnews.versions.schedule import Policy, next_check

if TYPE_CHECKING:
    from gitnews.config import Config, ScheduleSettings
    from gitnews.config.sources import SourceRule
    from gitnews.sources.fronts import Front
    from gitnews.sources.http import Fetcher

__all__ = ["Work", "Pending", "ProgressCallback", "plan", "feed_due", "backlog_row",
           "SOURCE_KINDS", "SourceRead", "HostPolicies", "sources_of", "front_selector"]

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
    title: str | None = None      # the headline a sitemap (news:title) or front gave it
    policy: Policy | None = None  # its host's re-check policy (None: the [schedule] one)


@dataclass
class Pending:
    """Cache updates applied once the run's commits are safely in git."""

    feeds: list[tuple[str, FeedRow]] = field(default_factory=list)
    backlog_keep: list[BacklogRow] = field(default_factory=list)
    backlog_drop: list[str] = field(default_factory=list)
    put_off: list[tuple[str, datetime]] = field(default_factory=list)
    fronts: list[Front] = field(default_factory=list)  # story lists read, to commit


def backlog_row(w: Work) -> BacklogRow:
    """The backlog row that keeps ``w`` (an article not fetched yet) for a later run
    (``w.key`` and ``w.first_seen`` are set for such an article)."""
    return {"key": cast(str, w.key), "url": w.url, "feed": w.feed, "aliases": list(w.aliases),
            "first_seen": cast(str, w.first_seen), "title": w.title}


# -- sources: feeds, sitemaps, fronts -----------------------------------------------------------
#: The kinds of source, as listed in gitnews.toml (``feeds``, ``sitemaps``, ``fronts``).
SOURCE_KINDS = ("feed", "sitemap", "front")


def feed_due(stored: Mapping[str, Any], t: datetime, policy: Policy,
             interval_s: float | None = None) -> datetime:
    """When the source whose cache row is ``stored`` is next due (``t`` when never
    read): ``interval_s`` (its ``[sources]`` interval) or the policy's feed interval
    after its last read."""
    read_at = parse_time(stored.get("read_at"))
    every = policy.feed_interval_s if interval_s is None else interval_s
    return t if read_at is None else read_at + timedelta(seconds=every)


def sources_of(config: Config) -> list[tuple[str, str]]:
    """``(kind, URL)`` of every tracked source, feeds first, each URL once."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for kind, urls in (("feed", config.feeds), ("sitemap", config.sitemaps),
                       ("front", config.fronts)):
        for url in urls:
            if url not in seen:
                seen.add(url)
                out.append((kind, url))
    return out


@dataclass
class SourceRead:
    """What reading one source gave: its entries (after its filters), the run's item
    for it, its new cache row, the entries its filters dropped with the reason
    (``(URL, reason)``), and for a front its story list (:class:`~gitnews.sources.fronts.Front`)."""

    entries: list[FeedEntry]
    item: ItemResult
    data: FeedRow
    dropped: list[tuple[str, str]] = field(default_factory=list)
    front: Front | None = None


_Sites = Mapping[str, Mapping[str, object]]


def _parse_source(kind: str, url: str, page: Page, fetcher: Fetcher, sites: _Sites
                  ) -> tuple[list[FeedEntry], str, Front | None]:
    """Entries, the note for the item, and (fronts) the story list of a fetched source."""
    if kind == "sitemap":
        from gitnews.sources.sitemaps import read_sitemaps

        read = read_sitemaps(url, fetcher.fetch, first=page)
        return list(read.entries), read.describe(), None
    if kind == "front":
        from gitnews.sources.fronts import parse_front

        front = parse_front(page.body, url=page.final_url, source=url,
                            selector=front_selector(sites, page.final_url))
        return front.entries(), front.describe(), front
    from gitnews.sources.feeds import parse_feed

    parsed = parse_feed(page.body, url=page.final_url)
    return [FeedEntry(feed_url=url, link=e.link, entry_id=e.entry_id, title=e.title,
                      published_at=e.published_at) for e in parsed], parsed.describe(), None


def front_selector(sites: _Sites, url: str) -> str | None:
    """The ``front`` selector of the ``[sites."host"]`` rule that covers ``url``'s host."""
    from urllib.parse import urlsplit

    from gitnews.config.sources import host_key_for

    key = host_key_for(urlsplit(url).hostname or "", sites)
    value = sites.get(key) if key is not None else None
    selector = value.get("front") if isinstance(value, Mapping) else None
    return selector if isinstance(selector, str) and selector else None


def _read_source(kind: str, url: str, stored: FeedRow, fetcher: Fetcher, t: datetime,
                 rule: SourceRule | None, sites: _Sites) -> SourceRead:
    """Fetch and parse one source (a worker thread), then apply its filters; never raises."""
    stamp = format_time(t)
    try:
        # A front's story list is compared with the archive's copy: always read in full.
        validators = kind != "front"
        page = fetcher.fetch(url, etag=stored.get("etag") if validators else None,
                             last_modified=stored.get("last_modified") if validators else None)
        front = None
        if page.status == 304:
            entries = [FeedEntry(feed_url=url, link=link) for link in stored.get("links", [])]
            note = f"{len(entries)} entries"
        else:
            entries, note, front = _parse_source(kind, url, page, fetcher, sites)
        fresh = page.status != 304
        data: FeedRow = {"etag": page.etag if fresh else (page.etag or stored.get("etag")),
                         "last_modified": page.last_modified if fresh
                         else (page.last_modified or stored.get("last_modified")),
                         "links": [e.link for e in entries], "error": None, "read_at": stamp}
        read = SourceRead(entries, ItemResult(url=url, outcome=Outcome.UNCHANGED, kind=kind,
                                              message=note), data, front=front)
    except (RobotsDisallowedError, HostBackoffError) as exc:
        # Not a failure: reported; a refused source waits for its next interval,
        # a host that asked to wait is asked again once it allows.
        read_at = stamp if isinstance(exc, RobotsDisallowedError) else stored.get("read_at")
        return SourceRead([], ItemResult(url=url, outcome=Outcome.SKIPPED, kind=kind,
                                         message=str(exc)), {**stored, "read_at": read_at})
    except Exception as exc:
        message = str(exc) if isinstance(exc, GitnewsError) else (
            f"unexpected error while reading {kind} {url}: {exc.__class__.__name__}: {exc}; "
            f"please report this {kind}")
        entries = [FeedEntry(feed_url=url, link=link) for link in stored.get("links", [])]
        read = SourceRead(entries, ItemResult(url=url, outcome=Outcome.FAILED, kind=kind,
                                              message=message),
                          {**stored, "error": message, "read_at": stamp,
                           "failing_since": stored.get("failing_since") or stamp})
    if rule is not None and rule.filters:
        kept: list[FeedEntry] = []
        for e in read.entries:
            why = rule.why_dropped(e.link)
            if why is None:
                kept.append(e)
            else:
                read.dropped.append((e.link, why))
        read.entries = kept
        read.item.message = (read.item.message or "") + \
            f"; filters kept {len(kept)}, dropped {len(read.dropped)}"
    return read


def _feed_entries(archive: Archive, fetcher: Fetcher, result: RunResult, pending: Pending,
                  progress: ProgressCallback | None, *, t: datetime, policy: Policy,
                  check_all: bool, concurrency: int) -> Iterator[FeedEntry]:
    state = archive.state
    rules = archive.config.source_rules()
    due = []
    for kind, url in sources_of(archive.config):
        stored = state.get_feed(url)
        rule = rules.get(identity_key(url))
        if check_all or feed_due(stored, t, policy, rule.interval_s if rule else None) <= t:
            due.append((kind, url, stored, rule))
    if not due:
        return
    sites = archive.config.sites
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(due))),
                            thread_name_prefix="gitnews-feed") as pool:
        outs = list(pool.map(lambda d: _read_source(d[0], d[1], d[2], fetcher, t, d[3], sites),
                             due))
    for (_kind, url, _stored, _rule), read in zip(due, outs, strict=True):
        pending.feeds.append((url, read.data))
        if read.front is not None:
            pending.fronts.append(read.front)
        result.items.append(read.item)
        if progress:
            progress(len(result.items), len(result.items), read.item)
        if result.dry_run and read.front is not None:  # what a run would commit for it
            from gitnews.ops.fronts import describe_change

            read.item.message = f"{read.item.message}; {describe_change(archive, read.front)}"
        if result.dry_run:  # what the filters dropped, one item each
            for link, why in read.dropped:
                result.items.append(ItemResult(url=link, outcome=Outcome.SKIPPED, kind="entry",
                                               message=f"dropped by the filters of {url} ({why})"))
        yield from read.entries


class HostPolicies:
    """The re-check policy of each article's host: ``[schedule]`` with the overrides
    of ``[schedule.hosts."host"]`` (the most specific key covering the host)."""

    def __init__(self, settings: ScheduleSettings, default: Policy) -> None:
        self._settings = settings
        self._default = default
        self._by_key: dict[str, Policy] = {}

    def for_url(self, url: str) -> Policy:
        """The policy for the article at ``url``."""
        if not self._settings.hosts:
            return self._default
        from urllib.parse import urlsplit

        from gitnews.config.sources import host_key_for

        key = host_key_for(urlsplit(url).hostname or "", self._settings.hosts)
        if key is None:
            return self._default
        if key not in self._by_key:
            self._by_key[key] = Policy.from_settings(self._settings.for_host(key))
        return self._by_key[key]


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
    policies = HostPolicies(archive.config.schedule, policy)
    known: dict[str, Work] = {}
    passed: set[str] = set()
    new: dict[str, Work] = {}
    seen: set[str] = set()
    backlog = {row["key"]: row for row in state.backlog()}

    def consider(record: ArticleRecord) -> None:
        if (record.removed and not check_all) or record.path in known or record.path in passed:
            return
        host_policy = policies.for_url(record.url)
        due = next_check(record, t, host_policy)
        if not check_all and (due is None or due > t):
            passed.add(record.path)
            result.not_due += 1
            return
        known[record.path] = Work(url=record.url, path=record.path, feed=record.feed,
                                  etag=record.etag, last_modified=record.last_modified,
                                  due=min(due or t, t), record=record, policy=host_policy)

    def add_link(link: str, feed: str | None, aliases: tuple[str, ...] = (),
                 title: str | None = None) -> None:
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
        if title is None and key in backlog:
            title = backlog[key].get("title")  # a source's headline from an earlier run
        new[key] = Work(url=link, feed=feed, aliases=aliases, due=parse_time(first), key=key,
                        first_seen=first, title=title)

    titled = set(archive.config.sitemaps) | set(archive.config.fronts)
    for entry in _feed_entries(archive, fetcher, result, pending, progress, t=t, policy=policy,
                               check_all=check_all, concurrency=concurrency):
        if hand_over is not None and hand_over(entry.link, entry.feed_url):
            continue
        extra = (entry.entry_id,) if entry.entry_id and entry.entry_id != entry.link else ()
        add_link(entry.link, entry.feed_url, extra,
                 entry.title if entry.feed_url in titled else None)
    for link in archive.config.articles:
        add_link(link, None)
    for key, row in backlog.items():
        if key in seen:
            continue
        first = parse_time(row["first_seen"])
        stop_s = policies.for_url(row["url"]).stop_after_s
        if stop_s is not None and first is not None and (t - first).total_seconds() > stop_s:
            pending.backlog_drop.append(key)  # never fetched in all that time: give up
            continue
        add_link(row["url"], row["feed"], tuple(row["aliases"]), row.get("title"))
    for record in state.articles():
        consider(record)
    return sorted([*new.values(), *known.values()], key=lambda w: w.due or t)
