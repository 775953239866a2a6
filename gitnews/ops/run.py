"""One polling pass: feeds -> fetch -> extract -> normalise -> store; and the watch loop.

:func:`run` reads the feeds that are due (each every ``schedule.feed_interval``),
collects the article links of their entries, adds the tracked single
articles, the backlog (articles seen before but left unfetched) and the known
articles that the schedule (:mod:`gitnews.versions.schedule`) says are due — all of
them with ``check_all`` — most overdue first, optionally bounded by
``max_articles`` and ``max_time_s``.  It fetches them concurrently
(``fetch.concurrency`` threads, which also extract; at most ``fetch.per_host``
per host, the hosts interleaved), while the calling thread alone writes to git
through one :class:`~gitnews.archive.store.Transaction`.  Each article whose text
changed becomes one commit.  Failures are reported per item and never stop
the run; robots.txt refusals and hosts that asked to wait are SKIPPED items,
not failures.  The cache's validators (ETag, Last-Modified) and schedule are
saved only after the commits are in git, so that an interrupted run fetches
again what it did not commit.

:func:`watch` repeats :func:`run` until stopped, sleeping until the next feed
or article is due, with one archive, one git repository and one HTTP client
for all cycles.

Every function takes the clock as ``now`` (a callable returning an aware
UTC datetime), so that tests can move time.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from gitnews.archive import maintenance
from gitnews.archive.cache import ArticleRecord
from gitnews.archive.repo import Archive
from gitnews.errors import (
    ExtractionError,
    GitnewsError,
    HostBackoffError,
    HTTPStatusError,
    RobotsDisallowedError,
)
from gitnews.format.trailers import format_time
from gitnews.format.trailers import parse_time as _parse_time
from gitnews.format.urls import is_front_page, is_section_front, is_site_root, url_key
from gitnews.models import Article, FeedEntry, ItemResult, Outcome, Page, RunResult
from gitnews.versions.record import Capture, Recorder, page_sha256
from gitnews.versions.schedule import Policy, next_check, wait_s

if TYPE_CHECKING:
    from gitnews.pagetext.pipeline import TextSettings
    from gitnews.pagetext.prune import Pruned

__all__ = ["run", "watch", "next_due_at", "preview", "Preview", "text_settings", "CheckOutcome",
           "ProgressCallback", "Abandoned", "MIN_SLEEP_S", "GONE_STATUSES"]

#: HTTP statuses that say an article was removed (RFC 9110 §15.5.5, §15.5.11).
GONE_STATUSES = (404, 410)

#: Called after every item with ``(items done, items known so far, the item)``.
ProgressCallback = Callable[[int, int, ItemResult], None]

#: The watch loop never sleeps less than this between two runs (seconds).
MIN_SLEEP_S = 1.0


def _utcnow() -> datetime:
    return datetime.now(UTC)




class Abandoned(Exception):
    """The run was abandoned on request (a second SIGINT/SIGTERM): nothing of
    it was committed, and nothing was damaged."""


@dataclass
class _Work:
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
class CheckOutcome:
    """What a worker thread found for one :class:`_Work` item."""

    work: _Work
    page: Page | None = None
    article: Article | None = None
    text: str | None = None
    error: GitnewsError | None = None
    page_sha: str | None = None       # SHA-256 of the page bytes
    fingerprint: str | None = None    # extractor, headline rules and filters that made ``text``
    soft404: str | None = None        # the redirect to a front page that says it is gone


@dataclass
class _Pending:
    """Cache updates applied once the run's commits are safely in git."""

    feeds: list[tuple[str, dict]] = field(default_factory=list)
    backlog_keep: list[dict] = field(default_factory=list)
    backlog_drop: list[str] = field(default_factory=list)
    put_off: list[tuple[str, datetime]] = field(default_factory=list)


def _soft404(work: _Work, page: Page) -> str | None:
    """Why a redirected ``page`` means the article is gone, or None: a redirect to
    the site's front page (:func:`~gitnews.format.urls.is_site_root`) always does, unless
    the tracked URL is itself a front page; a redirect to a section front or an
    ancestor (:func:`~gitnews.format.urls.is_front_page`) does unless the tracked URL is
    a section front itself (tracked on purpose)."""
    if not page.redirects or is_site_root(work.url):  # a front page tracked on purpose
        return None
    if is_site_root(page.final_url):
        return f"{work.url} now redirects to {page.final_url}, the site's front page"
    if is_section_front(work.url):  # a section front tracked on purpose
        return None
    if is_front_page(page.final_url, article=work.url):
        return f"{work.url} now redirects to {page.final_url}, the site's front page or a section front"
    return None


def _check(work: _Work, fetcher, filterset,  # noqa: ANN001
           fetched: Callable[[], None] | None = None, extract=None) -> CheckOutcome:  # noqa: ANN001
    """Fetch and extract one article (a worker thread); never raises.

    ``filterset``: the run's page -> text settings (:func:`text_settings`);
    ``fetched`` is called once the HTTP part is over (before extraction);
    ``extract``: a process pool's ``extract_article`` (:mod:`gitnews.pagetext.pool`),
    else extraction runs in this thread.
    """
    from gitnews.pagetext.pipeline import page_text

    try:
        try:
            page = fetcher.fetch(work.url, etag=work.etag, last_modified=work.last_modified)
        finally:
            if fetched is not None:
                fetched()
        if page.status == 304:
            return CheckOutcome(work, page=page)
        gone = _soft404(work, page)
        if gone is not None:
            return CheckOutcome(work, page=page, soft404=gone)
        done = page_text(page.body, page.final_url, filterset, extract=extract)
        return CheckOutcome(work, page=page, article=done.article, text=done.text,
                            page_sha=page_sha256(page.body), fingerprint=done.fingerprint)
    except GitnewsError as exc:
        return CheckOutcome(work, error=exc)
    except Exception as exc:
        return CheckOutcome(work, error=ExtractionError(
            f"unexpected error while reading {work.url}: {exc.__class__.__name__}: {exc}; "
            "please report this page"))


# -- feeds -------------------------------------------------------------------------------------
def _feed_due(stored: dict, t: datetime, policy: Policy) -> datetime:
    read_at = _parse_time(stored.get("read_at"))
    return t if read_at is None else read_at + timedelta(seconds=policy.feed_interval_s)


def _read_feed(feed_url: str, stored: dict, fetcher, t: datetime  # noqa: ANN001
               ) -> tuple[list[FeedEntry], ItemResult, dict]:
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
        data = {"etag": page.etag if fresh else (page.etag or stored.get("etag")),
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


def _feed_entries(archive: Archive, fetcher, result: RunResult, pending: _Pending,  # noqa: ANN001
                  progress: ProgressCallback | None, *, t: datetime, policy: Policy,
                  check_all: bool, concurrency: int) -> Iterator[FeedEntry]:
    state = archive.state
    due = []
    for feed_url in archive.config.feeds:
        stored = state.get_feed(feed_url)
        if check_all or _feed_due(stored, t, policy) <= t:
            due.append((feed_url, stored))
    if not due:
        return
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(due))),
                            thread_name_prefix="gitnews-feed") as pool:
        outs = list(pool.map(lambda fs: _read_feed(fs[0], fs[1], fetcher, t), due))
    for (feed_url, _stored), (entries, item, data) in zip(due, outs):
        pending.feeds.append((feed_url, data))
        result.items.append(item)
        if progress:
            progress(len(result.items), len(result.items), item)
        yield from entries


# -- planning ----------------------------------------------------------------------------------
def _plan(archive: Archive, fetcher, result: RunResult, pending: _Pending,  # noqa: ANN001
          progress: ProgressCallback | None, *, t: datetime, policy: Policy,
          check_all: bool, concurrency: int) -> list[_Work]:
    """Every article to check this run, each once, most overdue first.

    New articles (feed links, tracked URLs and the backlog not fetched yet)
    are always due: since they were first seen.  Known articles are due when
    :func:`gitnews.versions.schedule.next_check` says so, or all of them with ``check_all``.
    """
    state = archive.state
    known: dict[str, _Work] = {}
    passed: set[str] = set()
    new: dict[str, _Work] = {}
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
        known[record.path] = _Work(url=record.url, path=record.path, feed=record.feed,
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
        new[key] = _Work(url=link, feed=feed, aliases=aliases, due=_parse_time(first), key=key,
                         first_seen=first)

    for entry in _feed_entries(archive, fetcher, result, pending, progress, t=t, policy=policy,
                               check_all=check_all, concurrency=concurrency):
        extra = (entry.entry_id,) if entry.entry_id and entry.entry_id != entry.link else ()
        add_link(entry.link, entry.feed_url, extra)
    for link in archive.config.articles:
        add_link(link, None)
    for key, row in backlog.items():
        if key in seen:
            continue
        first = _parse_time(row["first_seen"])
        if policy.stop_after_s is not None and first is not None \
                and (t - first).total_seconds() > policy.stop_after_s:
            pending.backlog_drop.append(key)  # never fetched in all that time: give up
            continue
        add_link(row["url"], row["feed"], tuple(row["aliases"]))
    for record in state.articles():
        consider(record)
    return sorted([*new.values(), *known.values()], key=lambda w: w.due or t)


# -- the checks --------------------------------------------------------------------------------
class _Dispatch:
    """Which check starts next (the state of :func:`_checks`, shared by its threads).

    Worker threads take their next check themselves as soon as they are free,
    so fetching never waits for the calling thread (busy recording the
    outcomes).  At most ``per_host`` fetches per host run at once (an
    extraction does not count), the host with the most overdue article first;
    at most ``max_waiting`` outcomes wait for the calling thread (with the
    checks under way, at most ``4 × concurrency`` pages are held: memory).
    """

    def __init__(self, work: list[_Work], fetcher, *, per_host: int,  # noqa: ANN001
                 deadline: float | None, stop: threading.Event | None,
                 leftover: list[_Work], outcomes: queue.SimpleQueue, max_waiting: int) -> None:
        from gitnews.sources.http import host_key

        self.queues: dict[str, deque[_Work]] = {}
        for w in work:
            self.queues.setdefault(host_key(w.url), deque()).append(w)
        self.fetcher = fetcher
        self.per_host = per_host
        self.deadline = deadline
        self.stop = stop
        self.leftover = leftover
        self.outcomes = outcomes
        self.max_waiting = max_waiting
        self.flight: dict[str, int] = {}   # fetches under way per host (not extractions)
        self.waiting = 0                   # outcomes not taken by the calling thread yet
        self.started = 0
        self.closed = False                # the calling thread gave up: start nothing
        self.interrupted = False
        self.cond = threading.Condition()

    def interrupt(self) -> None:
        """On ``stop``: waits for a host end now (once); requests under way finish."""
        with self.cond:
            if self.interrupted:
                return
            self.interrupted = True
        self.fetcher.interrupt()

    def put(self, outcome: CheckOutcome) -> None:
        with self.cond:
            self.waiting += 1
        self.outcomes.put(outcome)

    def taken(self) -> None:
        """The calling thread took one outcome."""
        with self.cond:
            self.waiting -= 1
            if self.waiting < self.max_waiting:
                self.cond.notify()

    def fetched(self, host: str) -> None:
        with self.cond:
            self.flight[host] -= 1
            self.cond.notify()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def take(self) -> tuple[_Work, str] | None:
        """The next check to start and its host (waiting for a free host), or
        None when no more will start."""
        with self.cond:
            while True:
                if self.closed:
                    return None
                stopping = self.stop is not None and self.stop.is_set()
                # Past the deadline no check starts (but one always does: no starving).
                if stopping or (self.deadline is not None and self.started
                                and time.monotonic() >= self.deadline):
                    for q in self.queues.values():
                        self.leftover.extend(q)
                    self.queues.clear()
                if not self.queues:
                    self.cond.notify_all()  # the other workers end too
                    return None
                if self.waiting < self.max_waiting:
                    picked = self._pick()
                    if picked is not None:
                        return picked
                self.cond.wait(0.25)

    def _pick(self) -> tuple[_Work, str] | None:
        for host in sorted(self.queues, key=lambda h: self.queues[h][0].due or _EPOCH):
            q = self.queues[host]
            hold = self.fetcher.host_wait_s(q[0].url)
            if hold > self.fetcher.max_wait_s:
                retry_at = self.fetcher.clock() + timedelta(seconds=hold)
                while q:
                    w = q.popleft()
                    self.waiting += 1
                    self.outcomes.put(CheckOutcome(w, error=HostBackoffError(
                        f"{host} may not be asked before {format_time(retry_at)} (it asked "
                        f"to wait, or its crawl delay is long); {w.url} is left for a later "
                        "run", url=w.url, retry_at=retry_at)))
                del self.queues[host]
                continue
            if self.flight.get(host, 0) >= self.per_host:
                continue
            self.flight[host] = self.flight.get(host, 0) + 1
            w = q.popleft()
            if not q:
                del self.queues[host]
            self.started += 1
            return w, host
        return None


_EPOCH = datetime.min.replace(tzinfo=UTC)
_WORKER_DONE = object()


def _checks(work: list[_Work], fetcher, drop, *, concurrency: int, per_host: int,  # noqa: ANN001
            deadline: float | None, stop: threading.Event | None,
            abandon: threading.Event | None, leftover: list[_Work]) -> Iterator[CheckOutcome]:
    """Run the checks in ``concurrency`` threads: at most ``per_host`` per host,
    the host with the most overdue article first, so that one slow or
    backed-off host never holds up the others; yields each outcome as it comes.

    After ``deadline`` (monotonic seconds; at least one check starts anyway)
    or ``stop``, no new check starts and the unstarted ones go to
    ``leftover``; the checks under way finish (with ``stop``, those still
    waiting for their host give up at once).  ``abandon`` raises
    :class:`Abandoned` once the checks in flight have ended.
    """
    from gitnews.pagetext.pool import extraction

    if not work:
        return
    outcomes: queue.SimpleQueue = queue.SimpleQueue()
    threads = max(1, min(concurrency, len(work)))
    dispatch = _Dispatch(work, fetcher, per_host=per_host, deadline=deadline, stop=stop,
                         leftover=leftover, outcomes=outcomes, max_waiting=3 * threads)

    def worker(extract) -> None:  # noqa: ANN001
        try:
            while (picked := dispatch.take()) is not None:
                w, host = picked
                dispatch.put(_check(w, fetcher, drop, lambda h=host: dispatch.fetched(h),
                                    extract))
        finally:
            outcomes.put(_WORKER_DONE)

    with extraction(len(work)) as extract:  # worker processes when there is enough work
        pool = [threading.Thread(target=worker, args=(extract,), name=f"gitnews-{i}",
                                 daemon=True) for i in range(threads)]
        for t in pool:
            t.start()
        try:
            ended = 0
            while ended < threads:
                try:
                    outcome = outcomes.get(timeout=0.25)
                except queue.Empty:
                    outcome = None
                if abandon is not None and abandon.is_set():
                    dispatch.close()
                    fetcher.interrupt()
                    raise Abandoned("the run was abandoned on request; nothing of it was committed")
                if stop is not None and stop.is_set():
                    dispatch.interrupt()
                if outcome is _WORKER_DONE:
                    ended += 1
                elif outcome is not None:
                    dispatch.taken()
                    yield outcome
        finally:
            dispatch.close()
            for t in pool:
                t.join()


def _record(outcome: CheckOutcome, recorder: Recorder, pending: _Pending, *, t: datetime,
            policy: Policy) -> ItemResult:
    """What one check means (calling thread only)."""
    work, page, err = outcome.work, outcome.page, outcome.error
    if isinstance(err, (RobotsDisallowedError, HostBackoffError)):
        if work.key and isinstance(err, HostBackoffError):
            pending.backlog_keep.append(_backlog_row(work))
        elif work.key:
            pending.backlog_drop.append(work.key)
        if isinstance(err, RobotsDisallowedError) and work.record is not None:
            changed = _parse_time(work.record.last_changed) or t
            pause = wait_s(policy, age_s=(t - changed).total_seconds(),
                           unchanged=work.record.unchanged + 1)
            pending.put_off.append((work.record.path, t + timedelta(seconds=pause)))
        return ItemResult(url=work.url, outcome=Outcome.SKIPPED, path=work.path, message=str(err))
    if work.key:
        pending.backlog_drop.append(work.key)
    if err is not None:
        if isinstance(err, HTTPStatusError) and err.status in GONE_STATUSES:
            item = recorder.gone(work.url, path=work.path or recorder.path_of(work.url),
                                 status=err.status, when=t, detail=f"HTTP {err.status}")
            if item is not None:
                return item
        return recorder.failed(work.url, str(err), path=work.path, when=t)
    assert page is not None
    if page.status == 304:
        return recorder.not_modified(work.url, page, path=work.path)
    if outcome.soft404 is not None:
        item = recorder.gone(work.url, path=work.path or recorder.path_of(work.url),
                             status=page.status, when=page.fetched_at, detail=outcome.soft404)
        if item is not None:
            return item
        return recorder.failed(work.url, f"{outcome.soft404}: not an article; check the link",
                               path=work.path, when=page.fetched_at)
    item = recorder.record(Capture(requested_url=work.url, page=page, article=outcome.article,
                                   text=outcome.text, feed=work.feed, path=work.path,
                                   aliases=work.aliases, page_sha=outcome.page_sha,
                                   fingerprint=outcome.fingerprint))
    return _with_notes(item, outcome.article)


def _with_notes(item: ItemResult, article: Article | None) -> ItemResult:
    """``item`` with the extraction's notes (a site rule that matched nothing) in its message."""
    if article is not None and article.notes:
        item.message = "; ".join(filter(None, (item.message, *article.notes)))
    return item


def _backlog_row(w: _Work) -> dict:
    return {"key": w.key, "url": w.url, "feed": w.feed, "aliases": list(w.aliases),
            "first_seen": w.first_seen}


def run(archive: Archive, *, check_all: bool = False, dry_run: bool = False,
        progress: ProgressCallback | None = None, max_articles: int | None = None,
        max_time_s: float | None = None, now: Callable[[], datetime] = _utcnow,
        fetcher=None, stop: threading.Event | None = None,  # noqa: ANN001
        abandon: threading.Event | None = None) -> RunResult:
    """One polling pass over ``archive``; returns what happened to each item.

    ``check_all`` reads every feed and re-checks every known article now,
    whatever the schedule; ``dry_run`` fetches and reports but commits
    nothing and keeps no check state (what was learnt about hosts —
    robots.txt, back-offs — is kept: it spares the sites).
    ``max_articles`` (count) and ``max_time_s`` (seconds from the start)
    bound the article checks; the due articles left over are the most
    overdue next time (``RunResult.left_over`` counts them).  ``now`` is the
    clock (aware UTC datetimes).  ``fetcher`` reuses a
    :class:`~gitnews.sources.http.Fetcher` (the watch loop does); otherwise one is
    made from ``gitnews.toml``.  ``stop`` set: no new check starts, those
    under way finish and are committed; ``abandon`` set: raises
    :class:`Abandoned` after aborting the transaction.

    Never raises for a single feed or article: those are FAILED (or SKIPPED)
    items.  Raises :class:`~gitnews.errors.StoreError` when git cannot record
    the run's versions (then nothing of the run is recorded).
    """
    from gitnews.sources.http import make_fetcher

    cfg = archive.config
    policy = Policy.from_settings(cfg.schedule)
    t = now()
    deadline = None if max_time_s is None else time.monotonic() + max_time_s
    result = RunResult(started_at=t, dry_run=dry_run)
    pending = _Pending()
    state = archive.state
    state.sync()  # another process (gitnews add, a cron run) may have committed
    own = fetcher is None
    if own:
        fetcher = make_fetcher(cfg.fetch, now=now)
    leftover: list[_Work] = []
    drop = text_settings(archive)
    tx = None if dry_run else archive.transaction()
    recorder = Recorder(archive, tx, check_all=check_all)
    try:
        fetcher.resume()
        fetcher.load_state(robots=state.robots_rows(), hosts=state.host_rows())
        work = _plan(archive, fetcher, result, pending, progress, t=t, policy=policy,
                     check_all=check_all, concurrency=cfg.fetch.concurrency)
        if max_articles is not None and len(work) > max_articles:
            leftover.extend(work[max(max_articles, 0):])
            work = work[:max(max_articles, 0)]
        _refetch_changed_extraction(archive, work, drop)
        recorder.prime(w.record for w in work if w.record is not None)
        total = len(result.items) + len(work)
        bounded = len(leftover)  # left over by --max-articles, not by a stop
        try:
            checks = _checks(work, fetcher, drop, concurrency=cfg.fetch.concurrency,
                             per_host=cfg.fetch.per_host, deadline=deadline, stop=stop,
                             abandon=abandon, leftover=leftover)
            # Articles not known yet are recorded after the known ones, so that a known
            # article whose URL changed (old URL redirecting) claims the new URL first.
            later: list[CheckOutcome] = []
            with closing(checks):
                for outcome in checks:
                    if outcome.work.path is None and outcome.error is None:
                        if outcome.page is not None:  # keep the text, not the page bytes
                            outcome.page = dataclasses.replace(outcome.page, body=b"")
                        later.append(outcome)
                        continue
                    item = _record(outcome, recorder, pending, t=now(), policy=policy)
                    result.items.append(item)
                    if progress:
                        progress(len(result.items), total, item)
            for outcome in later:
                item = _record(outcome, recorder, pending, t=now(), policy=policy)
                result.items.append(item)
                if progress:
                    progress(len(result.items), total, item)
        except BaseException:
            if tx is not None:
                tx.abort()
            raise
        result.left_over = len(leftover)
        result.interrupted = stop is not None and stop.is_set() and len(leftover) > bounded
        pending.backlog_keep += [_backlog_row(w) for w in leftover if w.key]
        if tx is not None:
            tx.finish(graph_in_background=True)  # the commit-graph layer runs beside apply()
            recorder.apply()
            _apply_pending(archive, result, pending)
            maintenance.after_run(archive, tx)  # waits for that layer; gc --auto when due
        state.save_politeness(*fetcher.export_state())
    finally:
        recorder.close()
        if own:
            fetcher.close()
    result.finished_at = now()
    return result


def _apply_pending(archive: Archive, result: RunResult, pending: _Pending) -> None:
    """Schedule, feeds and backlog, after the commits are in git (one SQLite transaction)."""
    state = archive.state
    with state.batch():
        for item in result.items:
            if item.kind == "article" and item.path:
                if item.outcome in (Outcome.NEW, Outcome.CHANGED):
                    state.count_check(item.path, changed=True)
                elif item.outcome is Outcome.UNCHANGED:
                    state.count_check(item.path, changed=False)
        for path, until in pending.put_off:
            state.put_off(path, until=until)
        for feed_url, data in pending.feeds:
            state.set_feed(feed_url, data)
        state.drop_backlog(pending.backlog_drop)
        state.keep_backlog(pending.backlog_keep)


# -- the watch loop ----------------------------------------------------------------------------
def next_due_at(archive: Archive, *, now: Callable[[], datetime] = _utcnow,
                fetcher=None) -> datetime | None:  # noqa: ANN001
    """When the next feed read or article check is due (aware UTC datetime;
    <= now: something is due now), or None when nothing will ever be due.

    With ``fetcher``, a host's back-off and delay put its articles and feeds later.
    """
    policy = Policy.from_settings(archive.config.schedule)
    t = now()
    state = archive.state
    found: list[datetime] = []

    def later(due: datetime, url: str) -> datetime:
        if fetcher is None:
            return due
        return max(due, t + timedelta(seconds=fetcher.host_wait_s(url)))

    for feed_url in archive.config.feeds:
        found.append(later(_feed_due(state.get_feed(feed_url), t, policy), feed_url))
    for row in state.backlog():
        found.append(later(_parse_time(row["first_seen"]) or t, row["url"]))
    for link in archive.config.articles:
        if state.lookup(link) is None:
            found.append(later(t, link))
    for record in state.articles():
        due = next_check(record, t, policy)
        if due is not None:
            found.append(later(due, record.url))
    return min(found) if found else None


def watch(archive: Archive, *, stop: threading.Event, abandon: threading.Event | None = None,
          interval_s: float | None = None, now: Callable[[], datetime] = _utcnow,
          sleep: Callable[[float], object] | None = None,
          on_cycle: Callable[[RunResult, datetime], None] | None = None,
          max_cycles: int | None = None, max_articles: int | None = None,
          max_time_s: float | None = None, dry_run: bool = False) -> int:
    """Run, sleep until the next feed or article is due (at most ``interval_s``
    seconds, default ``schedule.feed_interval``; at least :data:`MIN_SLEEP_S`),
    repeat — until ``stop`` is set (or ``max_cycles`` runs).  Returns the
    number of runs.

    ``gitnews.toml`` is read again before every run (new feeds are picked
    up).  One HTTP client serves all runs; the archive's git repository and
    cache are reused, and each run's ``git fast-import`` ends with the run.
    ``on_cycle(result, wake_at)`` is called after every run.  ``sleep``
    (seconds) defaults to waiting on ``stop``, so that a stop ends the sleep.
    ``abandon``: see :func:`run`.
    """
    from gitnews.sources.http import make_fetcher

    sleep = sleep or stop.wait
    cycles = 0
    with make_fetcher(archive.config.fetch, now=now) as fetcher:
        while not stop.is_set():
            archive.reload_config()
            result = run(archive, fetcher=fetcher, now=now, stop=stop, abandon=abandon,
                         max_articles=max_articles, max_time_s=max_time_s, dry_run=dry_run)
            cycles += 1
            t = now()
            cap = interval_s if interval_s is not None else \
                Policy.from_settings(archive.config.schedule).feed_interval_s
            wake = next_due_at(archive, now=now, fetcher=fetcher)
            delay = cap if wake is None else (wake - t).total_seconds()
            delay = max(min(delay, cap), MIN_SLEEP_S)
            if on_cycle:
                on_cycle(result, t + timedelta(seconds=delay))
            if stop.is_set() or (max_cycles is not None and cycles >= max_cycles):
                break
            sleep(delay)
    return cycles


# -- boilerplate filters and extraction changes -----------------------------------------

def text_settings(archive: Archive) -> TextSettings:
    """The archive's page -> text settings: boilerplate filters (``[filters]`` of
    gitnews.toml) and site rules (``[sites]``).

    Raises :class:`~gitnews.errors.ConfigError` for an invalid pattern or selector.
    """
    from gitnews.pagetext.pipeline import TextSettings

    return TextSettings.from_config(archive.config)


def _refetch_changed_extraction(archive: Archive, work: list[_Work], settings: TextSettings) -> None:
    """Adjust the re-checks of known articles.

    Each is asked at the URL its last text was fetched from (after redirects), not
    at its canonical URL, which a page may name without serving.  Validators are
    dropped for a removed article (they are those of its last text) and for one
    whose last text came from another extractor version or other filters: the
    page is fetched in full and extracted again (a different text from the same
    page bytes is then a ``Change-Kind: extraction``).
    """
    state = archive.state
    for w in work:
        if w.path is None:
            continue
        fetched_url, fingerprint = state.get_fetched(w.path)
        if fetched_url:
            w.url = fetched_url
        if not (w.etag or w.last_modified):
            continue
        record = state.get(w.path)
        if (record is not None and record.removed) or (
                fingerprint is not None and fingerprint != settings.fingerprint_for_url(w.url)):
            w.etag = w.last_modified = None


# -- preview: what would be stored -------------------------------------------------------

@dataclass
class Preview:
    """What ``gitnews run --dry-run --show-text URL`` shows for one URL.

    ``text``: the file text that would be stored; ``dropped``: the paragraphs the
    boilerplate filters removed, with the rule that removed each; ``pruned``:
    the parts of the page removed before extraction (:class:`gitnews.pagetext.prune.Pruned`:
    comment sections, link blocks, site ``remove`` rules); ``path``: the
    article's file (existing or new); ``item``: what a run would do (NEW,
    CHANGED, UNCHANGED, HELD ...); ``canonical``: the URL that names the article.
    """

    url: str
    page: Page
    article: Article
    text: str
    dropped: list[tuple[str, str]]
    item: ItemResult
    path: str | None
    canonical: str
    pruned: list[Pruned] = field(default_factory=list)


def preview(archive: Archive, url: str) -> Preview:
    """Fetch and extract ``url`` as a run would, and say what would be stored.

    Writes nothing (neither commits nor cache).  Raises
    :class:`~gitnews.errors.FetchError` or :class:`~gitnews.errors.ExtractionError`
    when the page cannot be fetched or has no article text.
    """
    from gitnews.format.urls import article_url
    from gitnews.pagetext.pipeline import page_text
    from gitnews.sources.http import make_fetcher

    settings = text_settings(archive)
    with make_fetcher(archive.config.fetch) as fetcher:
        fetcher.load_state(robots=archive.state.robots_rows(), hosts=archive.state.host_rows())
        page = fetcher.fetch(url)
    done = page_text(page.body, page.final_url, settings, show_pruned=True)
    article = done.article
    recorder = Recorder(archive, None)
    path = recorder.path_of(url)
    try:
        item = recorder.record(Capture(
            requested_url=url, page=page, article=article, text=done.text, path=path,
            fingerprint=done.fingerprint))
    finally:
        recorder.close()
    return Preview(url=url, page=page, article=article, text=done.text, dropped=list(done.dropped),
                   item=_with_notes(item, article), path=item.path,
                   canonical=article_url(page.final_url, article.canonical_url),
                   pruned=list(done.pruned))
