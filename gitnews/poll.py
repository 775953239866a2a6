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

import dataclasses
import json
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .archive import Archive
from .errors import ExtractionError, FetchError, GitnewsError, HTTPStatusError
from .models import Article, FeedEntry, ItemResult, Outcome, Page, RunResult
from .record import Capture, Recorder, page_sha256
from .urls import is_front_page, is_section_front, url_key

__all__ = ["run", "preview", "Preview", "CheckOutcome", "ProgressCallback", "GONE_STATUSES"]

#: HTTP statuses that say an article was removed (RFC 9110 §15.5.5, §15.5.11).
GONE_STATUSES = (404, 410)

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
    page_sha: str | None = None       # SHA-256 of the page bytes
    fingerprint: str | None = None    # extractor and filters that made ``text``
    soft404: str | None = None        # the redirect to a front page that says it is gone


@dataclass
class _Pending:
    """Cache updates applied once the run's commits are safely in git."""

    feeds: list[tuple[str, dict]] = field(default_factory=list)


def _render(article: Article, page: Page, filterset) -> tuple[str, str]:  # noqa: ANN001
    """The file text of ``article`` after the boilerplate filters, and its fingerprint."""
    from .normalise import render_text

    filters = filterset.for_url(page.final_url)
    text = render_text(article.headline, filters.apply(article.paragraphs))
    return text, f"{article.extractor}; filters {filters.digest}"


def _soft404(work: _Work, page: Page) -> str | None:
    """Why a redirected ``page`` means the article is gone, or None."""
    if not page.redirects or is_section_front(work.url):  # a front page tracked on purpose
        return None
    if is_front_page(page.final_url, article=work.url):
        return f"{work.url} now redirects to {page.final_url}, the site's front page or a section front"
    return None


def _check(work: _Work, fetcher, filterset) -> CheckOutcome:  # noqa: ANN001
    from .extract import extract_article

    try:
        page = fetcher.fetch(work.url, etag=work.etag, last_modified=work.last_modified)
        if page.status == 304:
            return CheckOutcome(work, page=page)
        gone = _soft404(work, page)
        if gone is not None:
            return CheckOutcome(work, page=page, soft404=gone)
        article = extract_article(page.body, url=page.final_url)
        text, fingerprint = _render(article, page, filterset)
        return CheckOutcome(work, page=page, article=article, text=text,
                            page_sha=page_sha256(page.body), fingerprint=fingerprint)
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
          progress: ProgressCallback | None, *, check_all: bool = False) -> list[_Work]:  # noqa: ANN001
    """Every article to check this run, each once (removed ones only with ``check_all``)."""
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
        if (record.removed and not check_all) or record.path in by_path:
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
    """Run the checks in a thread pool, at most a few per thread in flight
    (``drop``: the run's :class:`~gitnews.filters.FilterSet`)."""
    window = max(1, concurrency) * 4
    items = iter(work)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="gitnews") as pool:
        running: set[Future] = set()
        for w in items:
            running.add(pool.submit(_check, w, fetcher, drop))
            if len(running) >= window:
                break
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(items, None)
                if nxt is not None:
                    running.add(pool.submit(_check, nxt, fetcher, drop))


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
    drop = filter_set(archive)
    tx = None if dry_run else archive.transaction()
    recorder = Recorder(archive, tx, check_all=check_all)
    with Fetcher(timeout_s=cfg.fetch.timeout_s, connect_timeout_s=cfg.fetch.connect_timeout_s,
                 max_bytes=cfg.fetch.max_bytes, max_redirects=cfg.fetch.max_redirects,
                 concurrency=cfg.fetch.concurrency, contact=cfg.fetch.contact) as fetcher:
        work = _plan(archive, fetcher, result, pending, progress, check_all=check_all)
        _refetch_changed_extraction(archive, work, drop)
        total = len(result.items) + len(work)
        try:
            # Articles not known yet are recorded after the known ones, so that a known
            # article whose URL changed (old URL redirecting) claims the new URL first.
            later: list[CheckOutcome] = []
            for outcome in _checks(work, fetcher, drop, cfg.fetch.concurrency):
                if outcome.work.path is None and outcome.error is None:
                    if outcome.page is not None:  # keep the text, not the page bytes
                        outcome.page = dataclasses.replace(outcome.page, body=b"")
                    later.append(outcome)
                    continue
                item = _record(outcome, recorder)
                result.items.append(item)
                if progress:
                    progress(len(result.items), total, item)
            for outcome in later:
                item = _record(outcome, recorder)
                result.items.append(item)
                if progress:
                    progress(len(result.items), total, item)
        except BaseException:
            if tx is not None:
                tx.abort()
            raise
    if tx is not None:
        tx.finish()
        recorder.apply()
        for feed_url, data in pending.feeds:
            archive.state.set_feed(feed_url, data)
    result.finished_at = datetime.now(timezone.utc)
    return result


def _record(outcome: CheckOutcome, recorder: Recorder) -> ItemResult:
    """What one check means (calling thread only)."""
    work, page = outcome.work, outcome.page
    err = outcome.error
    if err is not None:
        when = datetime.now(timezone.utc)
        if isinstance(err, HTTPStatusError) and err.status in GONE_STATUSES:
            item = recorder.gone(work.url, path=work.path or recorder.path_of(work.url),
                                 status=err.status, when=when, detail=f"HTTP {err.status}")
            if item is not None:
                return item
        return recorder.failed(work.url, str(err), path=work.path, when=when)
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
    return recorder.record(Capture(requested_url=work.url, page=page, article=outcome.article,
                                   text=outcome.text, feed=work.feed, path=work.path,
                                   aliases=work.aliases, page_sha=outcome.page_sha,
                                   fingerprint=outcome.fingerprint))


# -- boilerplate filters and extraction changes -----------------------------------------

def filter_set(archive: Archive):  # noqa: ANN201 - gitnews.filters.FilterSet
    """The archive's boilerplate filters (``[filters]`` of gitnews.toml).

    Raises :class:`~gitnews.errors.ConfigError` for an invalid pattern.
    """
    from .filters import FilterSet

    settings = archive.config.filters
    return FilterSet(builtin=settings.builtin, hosts=settings.hosts)


def _refetch_changed_extraction(archive: Archive, work: list[_Work], filterset) -> None:  # noqa: ANN001
    """Adjust the re-checks of known articles.

    Each is asked at the URL its last text was fetched from (after redirects), not
    at its canonical URL, which a page may name without serving.  Validators are
    dropped for a removed article (they are those of its last text) and for one
    whose last text came from another extractor version or other filters: the
    page is fetched in full and extracted again (a different text from the same
    page bytes is then a ``Change-Kind: extraction``).
    """
    from .extract import EXTRACTOR

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
                fingerprint is not None
                and fingerprint != f"{EXTRACTOR}; filters {filterset.for_url(w.url).digest}"):
            w.etag = w.last_modified = None


# -- preview: what would be stored -------------------------------------------------------

@dataclass
class Preview:
    """What ``gitnews run --dry-run --show-text URL`` shows for one URL.

    ``text``: the file text that would be stored; ``dropped``: the paragraphs the
    boilerplate filters removed, with the rule that removed each; ``path``: the
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


def preview(archive: Archive, url: str) -> Preview:
    """Fetch and extract ``url`` as a run would, and say what would be stored.

    Writes nothing (neither commits nor cache).  Raises
    :class:`~gitnews.errors.FetchError` or :class:`~gitnews.errors.ExtractionError`
    when the page cannot be fetched or has no article text.
    """
    from .extract import extract_article
    from .fetch import Fetcher
    from .normalise import render_text
    from .urls import article_url

    cfg = archive.config
    filterset = filter_set(archive)
    with Fetcher(timeout_s=cfg.fetch.timeout_s, connect_timeout_s=cfg.fetch.connect_timeout_s,
                 max_bytes=cfg.fetch.max_bytes, max_redirects=cfg.fetch.max_redirects,
                 concurrency=1, contact=cfg.fetch.contact) as fetcher:
        page = fetcher.fetch(url)
    article = extract_article(page.body, url=page.final_url)
    filters = filterset.for_url(page.final_url)
    explained = filters.explain(article.paragraphs)
    text = render_text(article.headline, [p for p, why in explained if why is None])
    recorder = Recorder(archive, None)
    path = recorder.path_of(url)
    item = recorder.record(Capture(
        requested_url=url, page=page, article=article, text=text, path=path,
        fingerprint=f"{article.extractor}; filters {filters.digest}"))
    return Preview(url=url, page=page, article=article, text=text,
                   dropped=[(p, why) for p, why in explained if why is not None],
                   item=item, path=item.path,
                   canonical=article_url(page.final_url, article.canonical_url))
