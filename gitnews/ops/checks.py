"""The checks of a run: fetch and extract each planned article, many at a time.

:func:`checks` runs the checks of a run's plan (:class:`~gitnews.ops.plan.Work`
items) in ``fetch.concurrency`` worker threads, which also extract (or hand
the page to extraction processes, :mod:`gitnews.pagetext.pool`): at most
``fetch.per_host`` fetches per host at once, the hosts interleaved, the host
with the most overdue article first (:class:`_Dispatch`).  Each check ends as
one :class:`CheckOutcome`, yielded to the calling thread, which alone records
(:mod:`gitnews.ops.run`).  A check never raises: its failure is in the outcome.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from gitnews.errors import ExtractionError, GitnewsError, HostBackoffError
from gitnews.format.sites import is_front_page, is_section_front, is_site_root
from gitnews.format.trailers import format_time
from gitnews.models import Article, Page
from gitnews.ops.plan import Work
from gitnews.ops.recording import Abandoned
from gitnews.versions.record import page_sha256

if TYPE_CHECKING:
    from gitnews.pagetext.pipeline import ExtractStage, TextSettings
    from gitnews.sources.http import Fetcher

__all__ = ["CheckOutcome", "checks"]


@dataclass
class CheckOutcome:
    """What a worker thread found for one :class:`~gitnews.ops.plan.Work` item."""

    work: Work
    page: Page | None = None
    article: Article | None = None
    text: str | None = None
    error: GitnewsError | None = None
    page_sha: str | None = None       # SHA-256 of the page bytes
    fingerprint: str | None = None    # extractor, headline rules and filters that made ``text``
    soft404: str | None = None        # the redirect to a front page that says it is gone
    warc: bytes | None = None         # the capture file, built in the worker (``prepare``)


def _soft404(work: Work, page: Page) -> str | None:
    """Why a redirected ``page`` means the article is gone, or None: a redirect to
    the site's front page (:func:`~gitnews.format.sites.is_site_root`) always does, unless
    the tracked URL is itself a front page; a redirect to a section front or an
    ancestor (:func:`~gitnews.format.sites.is_front_page`) does unless the tracked URL is
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


def _check(work: Work, fetcher: Fetcher, settings: TextSettings,
           fetched: Callable[[], None] | None = None,
           extract: ExtractStage | None = None) -> CheckOutcome:
    """Fetch and extract one article (a worker thread); never raises.

    ``settings``: the run's page -> text settings (:func:`gitnews.ops.run.text_settings`);
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
        done = page_text(page.body, page.final_url, settings, extract=extract)
        return CheckOutcome(work, page=page, article=done.article, text=done.text,
                            page_sha=page_sha256(page.body), fingerprint=done.fingerprint)
    except GitnewsError as exc:
        return CheckOutcome(work, error=exc)
    except Exception as exc:
        return CheckOutcome(work, error=ExtractionError(
            f"unexpected error while reading {work.url}: {exc.__class__.__name__}: {exc}; "
            "please report this page"))


class _Dispatch:
    """Which check starts next (the state of :func:`checks`, shared by its threads).

    Worker threads take their next check themselves as soon as they are free,
    so fetching never waits for the calling thread (busy recording the
    outcomes).  At most ``per_host`` fetches per host run at once (an
    extraction does not count), the host with the most overdue article first;
    at most ``max_waiting`` outcomes wait for the calling thread (with the
    checks under way, at most ``4 × concurrency`` pages are held: memory).
    """

    def __init__(self, work: list[Work], fetcher: Fetcher, *, per_host: int,
                 deadline: float | None, stop: threading.Event | None,
                 leftover: list[Work], outcomes: queue.SimpleQueue[object],
                 max_waiting: int) -> None:
        from gitnews.sources.politeness import host_key

        self.queues: dict[str, deque[Work]] = {}
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

    def take(self) -> tuple[Work, str] | None:
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

    def _pick(self) -> tuple[Work, str] | None:
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


def checks(work: list[Work], fetcher: Fetcher, settings: TextSettings, *, concurrency: int,
           per_host: int, deadline: float | None, stop: threading.Event | None,
           abandon: threading.Event | None, leftover: list[Work],
           prepare: Callable[[CheckOutcome], None] | None = None
           ) -> Generator[CheckOutcome, None, None]:
    """Run the checks in ``concurrency`` threads: at most ``per_host`` per host,
    the host with the most overdue article first, so that one slow or
    backed-off host never holds up the others; yields each outcome as it comes.

    After ``deadline`` (monotonic seconds; at least one check starts anyway)
    or ``stop``, no new check starts and the unstarted ones go to
    ``leftover``; the checks under way finish (with ``stop``, those still
    waiting for their host give up at once).  ``abandon`` raises
    :class:`Abandoned` once the checks in flight have ended.  ``prepare``, when
    given, is called with each outcome in its worker thread before it is yielded
    (work that needs no git, taken off the recording thread: the capture file); it
    must not raise.
    """
    from gitnews.pagetext.pool import extraction

    if not work:
        return
    outcomes: queue.SimpleQueue[object] = queue.SimpleQueue()
    threads = max(1, min(concurrency, len(work)))
    dispatch = _Dispatch(work, fetcher, per_host=per_host, deadline=deadline, stop=stop,
                         leftover=leftover, outcomes=outcomes, max_waiting=3 * threads)

    def worker(extract: ExtractStage | None) -> None:
        try:
            while (picked := dispatch.take()) is not None:
                w, host = picked
                outcome = _check(w, fetcher, settings, partial(dispatch.fetched, host), extract)
                if prepare is not None:
                    prepare(outcome)
                dispatch.put(outcome)
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
                elif isinstance(outcome, CheckOutcome):
                    dispatch.taken()
                    yield outcome
        finally:
            dispatch.close()
            for t in pool:
                t.join()
