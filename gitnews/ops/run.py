"""One polling pass: feeds -> fetch -> extract -> normalise -> store.

:func:`run` is plan -> check -> record -> apply -> housekeeping.  It reads the
feeds that are due and collects the articles to check, most overdue first,
optionally bounded by ``max_articles`` and ``max_time_s`` (the plan:
:mod:`gitnews.ops.plan`).  It fetches them concurrently (``fetch.concurrency``
threads, which also extract; at most ``fetch.per_host`` per host, the hosts
interleaved: :mod:`gitnews.ops.checks`), while the calling thread alone writes
to git through one :class:`~gitnews.archive.store.Transaction`
(:mod:`gitnews.ops.recording`).  Each article whose text changed becomes one
commit.  Failures are reported per item and never stop the run; robots.txt
refusals and hosts that asked to wait are SKIPPED items, not failures.  The
cache's validators (ETag, Last-Modified) and schedule are saved only after the
commits are in git, so that an interrupted run fetches again what it did not
commit.  Pushing and hooks come after, in :mod:`gitnews.ops.publish`; the watch
loop is :mod:`gitnews.ops.watch`.

Also here: the run's page -> text settings (:func:`text_settings`) and
:func:`preview` (what a run would store for one URL).

Every function takes the clock as ``now`` (a callable returning an aware
UTC datetime), so that tests can move time.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

from gitnews.archive import maintenance
from gitnews.archive.captures import fetch_warc
from gitnews.archive.repo import Archive
from gitnews.archive.store import blob_id
from gitnews.errors import HostBackoffError, HTTPStatusError, RobotsDisallowedError
from gitnews.format.trailers import parse_time
from gitnews.models import Article, Exchange, ItemResult, Outcome, Page, RunResult
from gitnews.ops.checks import CheckOutcome, checks
from gitnews.ops.plan import Pending, ProgressCallback, Work, backlog_row, plan
from gitnews.ops.recording import Abandoned, recording
from gitnews.versions.record import Capture, Recorder
from gitnews.versions.schedule import Policy, wait_s

if TYPE_CHECKING:
    from gitnews.archive.store import Transaction
    from gitnews.pagetext.pipeline import TextSettings
    from gitnews.pagetext.prune import Pruned
    from gitnews.sources.http import Fetcher

__all__ = ["run", "preview", "Preview", "text_settings", "CheckOutcome", "ProgressCallback",
           "Abandoned", "GONE_STATUSES", "capture_preparer", "prepare_capture"]

#: HTTP statuses that say an article was removed (RFC 9110 §15.5.5, §15.5.11).
GONE_STATUSES = (404, 410)

_Work = Work  # the name the extraction helpers below use


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _record(outcome: CheckOutcome, recorder: Recorder, pending: Pending, *, t: datetime,
            policy: Policy) -> ItemResult:
    """What one check means (calling thread only)."""
    work, page, err = outcome.work, outcome.page, outcome.error
    if isinstance(err, (RobotsDisallowedError, HostBackoffError)):
        if work.key and isinstance(err, HostBackoffError):
            pending.backlog_keep.append(backlog_row(work))
        elif work.key:
            pending.backlog_drop.append(work.key)
        if isinstance(err, RobotsDisallowedError) and work.record is not None:
            changed = parse_time(work.record.last_changed) or t
            pause = wait_s(work.policy or policy, age_s=(t - changed).total_seconds(),
                           unchanged=work.record.unchanged + 1)
            pending.put_off.append((work.record.path, t + timedelta(seconds=pause)))
        return ItemResult(url=work.url, outcome=Outcome.SKIPPED, path=work.path, message=str(err))
    if work.key:
        pending.backlog_drop.append(work.key)
    if err is not None:
        if isinstance(err, HTTPStatusError) and err.status in GONE_STATUSES:
            item = recorder.gone(work.url, path=work.path or recorder.path_of(work.url),
                                 status=err.status, when=t, detail=f"HTTP {err.status}",
                                 exchange=err.exchange if isinstance(err.exchange, Exchange)
                                 else None)
            if item is not None:
                return item
        answer = getattr(err, "exchange", None)  # FetchError.exchange: what was received
        return recorder.failed(work.url, str(err), path=work.path, when=t,
                               exchange=answer if isinstance(answer, Exchange) else None)
    assert page is not None
    if page.status == 304:
        # Only a known article's check sends validators, but a server may answer 304 to a
        # request without any: the path is then None, as it always was (not an error).
        return recorder.not_modified(work.url, page, path=cast(str, work.path))
    if outcome.soft404 is not None:
        item = recorder.gone(work.url, path=work.path or recorder.path_of(work.url),
                             status=page.status, when=page.fetched_at, detail=outcome.soft404,
                             exchange=page.exchange)
        if item is not None:
            return item
        return recorder.failed(work.url, f"{outcome.soft404}: not an article; check the link",
                               path=work.path, when=page.fetched_at)
    assert outcome.article is not None and outcome.text is not None  # a check that extracted
    item = recorder.record(Capture(requested_url=work.url, page=page, article=outcome.article,
                                   text=outcome.text, feed=work.feed, path=work.path,
                                   aliases=work.aliases, page_sha=outcome.page_sha,
                                   fingerprint=outcome.fingerprint,
                                   extra_trailers=source_title(work), live_warc=outcome.warc))
    outcome.warc = None  # recorded: its bytes are in fast-import's stream
    return _with_notes(item, outcome.article)


def capture_preparer(keep: str) -> Callable[[CheckOutcome], None] | None:
    """What a run's fetch threads do for the recording thread (``checks(prepare=...)``):
    with ``[captures] keep`` = ``"versions"`` or ``"all"`` (``None`` for ``"none"``), build
    the capture file of each 200 answer that will need one (:func:`prepare_capture`)."""
    if keep not in ("versions", "all"):
        return None
    return functools.partial(prepare_capture, keep_all=keep == "all")


def prepare_capture(outcome: CheckOutcome, *, keep_all: bool = False) -> None:
    """Build, in the calling (fetch) thread, the capture file the recording thread
    will write for ``outcome``, into ``outcome.warc``: the same bytes the
    :class:`~gitnews.versions.record.Recorder` would build
    (:func:`gitnews.archive.captures.fetch_warc` of the page's exchange at its
    ``fetched_at``), so that the recording thread, the run's critical path, only
    writes them.  Only for an extracted 200 answer of a known article that is likely
    a version: a removed article, or a text whose git blob id differs from the
    article's newest (``keep_all``: every extracted 200 answer).  Not for an article
    not known yet: :func:`run` records those last, keeping their texts only, so its
    capture is built then (not held for the whole run).  Never raises: a capture
    that warcio cannot write is left to the Recorder, which reports it.
    """
    page, text, work = outcome.page, outcome.text, outcome.work
    if page is None or text is None or page.exchange is None or page.status != 200 \
            or outcome.soft404 is not None or work.path is None:
        return
    record = work.record
    if not keep_all and record is not None and not record.removed \
            and record.blob == blob_id(text.encode("utf-8")):
        return  # the same text: no version, no capture
    try:
        outcome.warc = fetch_warc(page.exchange, fetched_at=page.fetched_at)
    except (ValueError, UnicodeError, TypeError):
        outcome.warc = None


def source_title(work: Work) -> list[tuple[str, object]]:
    """The ``Source-Title`` trailer of an article first found in a news sitemap or on a
    front (its ``news:title`` or story headline), for its first version; else none."""
    from gitnews.format.trailers import SOURCE_TITLE

    return [(SOURCE_TITLE, work.title)] if work.title and work.path is None else []


def _with_notes(item: ItemResult, article: Article | None) -> ItemResult:
    """``item`` with the extraction's notes (a site rule that matched nothing) in its message."""
    if article is not None and article.notes:
        item.message = "; ".join(filter(None, (item.message, *article.notes)))
    return item


def run(archive: Archive, *, check_all: bool = False, dry_run: bool = False,
        progress: ProgressCallback | None = None, max_articles: int | None = None,
        max_time_s: float | None = None, now: Callable[[], datetime] = _utcnow,
        fetcher: Fetcher | None = None, stop: threading.Event | None = None,
        abandon: threading.Event | None = None,
        hand_over: Callable[[str, str], bool] | None = None) -> RunResult:
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
    :class:`Abandoned` after aborting the transaction.  ``hand_over``: see
    :func:`gitnews.ops.plan.plan` (a collection's routing of other sites' entries).

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
    pending = Pending()
    state = archive.state
    state.sync()  # another process (gitnews add, a cron run) may have committed
    own = fetcher is None
    run_fetcher = make_fetcher(cfg.fetch, now=now) if fetcher is None else fetcher
    leftover: list[Work] = []
    drop = text_settings(archive)
    if not dry_run:  # issue 16: an extractor or site rule change committed apart, first
        from gitnews.ops.reextract import reextract_stale

        reextract_stale(archive, drop, now=t)
    housekeeping: list[threading.Thread] = []

    def start_housekeeping(tx: Transaction) -> None:
        """The run's housekeeping (:func:`gitnews.archive.maintenance.after_run`: the
        commit-graph layer waited for, ``git gc --auto``, the packs tidied) needs only the
        commits: it runs, in git processes, beside the cache update and the schedule's."""
        thread = threading.Thread(target=maintenance.after_run, args=(archive, tx),
                                  name="gitnews-housekeeping")
        thread.start()
        housekeeping.append(thread)

    try:
        # The commit-graph layer of the run's commits, its files and the housekeeping are
        # written beside recorder.apply() (the cache update), by git processes of their own.
        with recording(archive, dry_run=dry_run, check_all=check_all,
                       graph_in_background=True, worktree_in_background=True,
                       after_finish=start_housekeeping) as recorder:
            run_fetcher.resume()
            run_fetcher.load_state(robots=state.robots_rows(), hosts=state.host_rows())
            work = plan(archive, run_fetcher, result, pending, progress, t=t, policy=policy,
                        check_all=check_all, concurrency=cfg.fetch.concurrency,
                        hand_over=hand_over)
            if max_articles is not None and len(work) > max_articles:
                leftover.extend(work[max(max_articles, 0):])
                work = work[:max(max_articles, 0)]
            _refetch_changed_extraction(archive, work, drop)
            recorder.prime(w.record for w in work if w.record is not None)
            total = len(result.items) + len(work)
            bounded = len(leftover)  # left over by --max-articles, not by a stop
            outcomes = checks(work, run_fetcher, drop, concurrency=cfg.fetch.concurrency,
                              per_host=cfg.fetch.per_host, deadline=deadline, stop=stop,
                              abandon=abandon, leftover=leftover,
                              prepare=None if dry_run else capture_preparer(recorder.keep))
            # Articles not known yet are recorded after the known ones, so that a known
            # article whose URL changed (old URL redirecting) claims the new URL first.
            later: list[CheckOutcome] = []
            with closing(outcomes):
                for outcome in outcomes:
                    if outcome.work.path is None and outcome.error is None:
                        if outcome.page is not None:  # keep the text, not the page bytes
                            outcome.page = dataclasses.replace(outcome.page, body=b"")
                        outcome.warc = None
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
            if recorder.tx is not None and pending.fronts:  # story lists that changed
                from gitnews.ops.fronts import commit_fronts

                result.fronts = commit_fronts(archive, recorder.tx, pending.fronts, when=t)
            result.left_over = len(leftover)
            result.interrupted = stop is not None and stop.is_set() and len(leftover) > bounded
            pending.backlog_keep += [backlog_row(w) for w in leftover if w.key]
        if recorder.tx is not None:  # the commits are in git, the Recorder's cache updates too
            recorder.tx.wait_worktree()  # raises StoreError as finish() would
            _apply_pending(archive, result, pending)
        state.save_politeness(*run_fetcher.export_state())
    finally:
        for thread in housekeeping:  # never raises (a failure is logged); done before we return
            thread.join()
        if own:
            run_fetcher.close()
    result.finished_at = now()
    return result


def _apply_pending(archive: Archive, result: RunResult, pending: Pending) -> None:
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
    from gitnews.format.sites import article_url
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
