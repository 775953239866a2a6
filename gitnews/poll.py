"""One polling pass: feeds -> fetch -> extract -> normalise -> store.

:func:`run` reads every feed, collects the article links of its entries, adds
the tracked single articles and the known articles, then fetches them
concurrently (``fetch.concurrency`` threads, which also extract), while the
calling thread alone writes to git through one
:class:`~gitnews.store.Transaction`.  Each article whose text changed becomes
one commit.  Failures are reported per item and never stop the run.  The
cache's validators (ETag, Last-Modified) are saved only after the commits are
in git, so that an interrupted run fetches again what it did not commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import maintenance
from .archive import Archive
from .errors import ExtractionError, FetchError, GitnewsError
from .models import Article, FeedEntry, ItemResult, Outcome, Page, RunResult
from .record import Capture, Recorder
from .urls import url_key

__all__ = ["run", "CheckOutcome", "ProgressCallback"]

#: Called after every item with ``(items done, items known so far, the item)``.
ProgressCallback = Callable[[int, int, ItemResult], None]


@dataclass
class _Work:
    url: str                      # what to request
    path: str | None = None       # the article's file, when known
    feed: str | None = None
    aliases: tuple[str, ...] = ()  # other URLs seen for it (feed link, entry id)
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class CheckOutcome:
    """What a worker thread found for one :class:`_Work` item."""

    work: _Work
    page: Page | None = None
    article: Article | None = None
    text: str | None = None
    error: GitnewsError | None = None


@dataclass
class _Pending:
    """Cache updates applied once the run's commits are safely in git."""

    feeds: list[tuple[str, dict]] = field(default_factory=list)


def _check(work: _Work, fetcher, drop, extract=None) -> CheckOutcome:  # noqa: ANN001
    from .workers import extract_page

    try:
        page = fetcher.fetch(work.url, etag=work.etag, last_modified=work.last_modified)
        if page.status == 304:
            return CheckOutcome(work, page=page)
        # ``extract``: a process pool's (gitnews.workers), or this thread's.
        article, text = (extract or extract_page)(page.body, url=page.final_url, drop=drop)
        return CheckOutcome(work, page=page, article=article, text=text)
    except GitnewsError as exc:
        return CheckOutcome(work, error=exc)
    except Exception as exc:  # noqa: BLE001 - a broken page must never stop the run
        return CheckOutcome(work, error=ExtractionError(
            f"unexpected error while reading {work.url}: {exc.__class__.__name__}: {exc}; "
            "please report this page"))


def _feed_entries(archive: Archive, fetcher, result: RunResult, pending: _Pending,
                  progress: ProgressCallback | None) -> Iterator[FeedEntry]:  # noqa: ANN001
    from .feeds import parse_feed

    state = archive.state
    for feed_url in archive.config.feeds:
        stored = state.get_feed(feed_url)
        try:
            page = fetcher.fetch(feed_url, etag=stored.get("etag"),
                                 last_modified=stored.get("last_modified"))
            if page.status == 304:
                entries = [FeedEntry(feed_url=feed_url, link=link)
                           for link in stored.get("links", [])]
            else:
                entries = parse_feed(page.body, url=page.final_url)
                entries = [FeedEntry(feed_url=feed_url, link=e.link, entry_id=e.entry_id,
                                     title=e.title, published_at=e.published_at)
                           for e in entries]
            fresh = page.status != 304
            pending.feeds.append((feed_url, {
                "etag": page.etag if fresh else (page.etag or stored.get("etag")),
                "last_modified": page.last_modified if fresh
                else (page.last_modified or stored.get("last_modified")),
                "links": [e.link for e in entries], "error": None}))
            item = ItemResult(url=feed_url, outcome=Outcome.UNCHANGED, kind="feed",
                              message=f"{len(entries)} entries")
        except GitnewsError as exc:
            entries = [FeedEntry(feed_url=feed_url, link=link) for link in stored.get("links", [])]
            item = ItemResult(url=feed_url, outcome=Outcome.FAILED, kind="feed", message=str(exc))
            pending.feeds.append((feed_url, {**stored, "error": str(exc)}))
        result.items.append(item)
        if progress:
            progress(len(result.items), len(result.items), item)
        yield from entries


def _plan(archive: Archive, fetcher, result: RunResult, pending: _Pending,
          progress: ProgressCallback | None) -> list[_Work]:  # noqa: ANN001
    """Every article to check this run, each once."""
    state = archive.state
    by_path: dict[str, _Work] = {}
    by_key: dict[str, _Work] = {}

    def add_link(link: str, feed: str | None, aliases: tuple[str, ...] = ()) -> None:
        try:
            key = url_key(link)
        except GitnewsError as exc:
            result.items.append(ItemResult(url=link, outcome=Outcome.FAILED, message=str(exc)))
            return
        if key in by_key:
            return
        record = state.lookup(link)
        if record is not None:
            if record.path not in by_path:
                by_path[record.path] = _Work(url=record.url, path=record.path, feed=record.feed,
                                             etag=record.etag, last_modified=record.last_modified)
            by_key[key] = by_path[record.path]
            return
        by_key[key] = _Work(url=link, feed=feed, aliases=aliases)

    for entry in _feed_entries(archive, fetcher, result, pending, progress):
        extra = (entry.entry_id,) if entry.entry_id and entry.entry_id != entry.link else ()
        add_link(entry.link, entry.feed_url, extra)
    for link in archive.config.articles:
        add_link(link, None)
    for record in state.articles():
        if record.removed or record.path in by_path:
            continue
        by_path[record.path] = _Work(url=record.url, path=record.path, feed=record.feed,
                                     etag=record.etag, last_modified=record.last_modified)
    seen: set[int] = set()
    work: list[_Work] = []
    for w in [*by_key.values(), *by_path.values()]:
        if id(w) not in seen:
            seen.add(id(w))
            work.append(w)
    return work


def _checks(work: list[_Work], fetcher, drop, concurrency: int) -> Iterator[CheckOutcome]:  # noqa: ANN001
    """Run the checks in a thread pool, at most a few per thread in flight;
    extraction goes to worker processes when there is enough work (gitnews.workers)."""
    from .workers import extraction

    window = max(1, concurrency) * 4
    items = iter(work)
    with extraction(len(work)) as extract, \
            ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="gitnews") as pool:
        running: set[Future] = set()
        for w in items:
            running.add(pool.submit(_check, w, fetcher, drop, extract))
            if len(running) >= window:
                break
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(items, None)
                if nxt is not None:
                    running.add(pool.submit(_check, nxt, fetcher, drop, extract))


def run(archive: Archive, *, check_all: bool = False, dry_run: bool = False,
        progress: ProgressCallback | None = None) -> RunResult:
    """One polling pass over ``archive``; returns what happened to each item.

    ``check_all`` re-checks every known article now (a schedule may otherwise
    skip some); ``dry_run`` fetches and reports but writes nothing, neither
    commits nor cache.  Never raises for a single feed or article: those are
    FAILED items.  Raises :class:`~gitnews.errors.StoreError` when git cannot
    record the run's versions (then nothing of the run is recorded).
    """
    from .fetch import Fetcher

    cfg = archive.config
    result = RunResult(started_at=datetime.now(timezone.utc), dry_run=dry_run)
    pending = _Pending()
    drop = ()
    tx = None if dry_run else archive.transaction()
    recorder = Recorder(archive, tx)
    with Fetcher(timeout_s=cfg.fetch.timeout_s, connect_timeout_s=cfg.fetch.connect_timeout_s,
                 max_bytes=cfg.fetch.max_bytes, max_redirects=cfg.fetch.max_redirects,
                 concurrency=cfg.fetch.concurrency, contact=cfg.fetch.contact) as fetcher:
        work = _plan(archive, fetcher, result, pending, progress)
        total = len(result.items) + len(work)
        try:
            for outcome in _checks(work, fetcher, drop, cfg.fetch.concurrency):
                item = _record(outcome, recorder)
                result.items.append(item)
                if progress:
                    progress(len(result.items), total, item)
        except BaseException:
            if tx is not None:
                tx.abort()
            raise
    if tx is not None:
        tx.finish(graph_in_background=True)  # the commit-graph layer runs beside apply()
        recorder.apply()
        maintenance.after_run(archive, tx)  # waits for that layer; gc --auto when due
        for feed_url, data in pending.feeds:
            archive.state.set_feed(feed_url, data)
    result.finished_at = datetime.now(timezone.utc)
    return result


def _record(outcome: CheckOutcome, recorder: Recorder) -> ItemResult:
    """What one check means (calling thread only)."""
    work, page = outcome.work, outcome.page
    if outcome.error is not None:
        return recorder.failed(work.url, str(outcome.error), path=work.path,
                               when=datetime.now(timezone.utc))
    assert page is not None
    if page.status == 304:
        return recorder.not_modified(work.url, page, path=work.path)
    return recorder.record(Capture(requested_url=work.url, page=page, article=outcome.article,
                                   text=outcome.text, feed=work.feed, path=work.path,
                                   aliases=work.aliases))
