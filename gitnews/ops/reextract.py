"""``gitnews reextract``: today's extractor and site rules run again on the captures.

An archive keeps each version's page as it was served (its *capture*, on the branch
``gitnews/captures``, named by the version's ``Capture`` trailer).  When the extractor
gets a page wrong, is upgraded, or a site gets a new ``[sites]`` rule (a ``remove``
selector, say), :func:`reextract` runs the page -> text stages of today
(:func:`gitnews.pagetext.pipeline.page_text` with the archive's ``gitnews.toml``)
on the capture of each article's **latest** version.  Where the text would change,
it commits a new version with ``Change-Kind: extraction`` (append-only: history is
never rewritten), whose trailers are the latest version's (same ``Page-Sha256``,
same ``Capture``, same ``Fetched-At``: the page did not change) but for
``Version``, ``Extractor`` and the titles and byline extraction gives; its commit
time is the time of the re-extraction.  A second run finds nothing to do.

Articles are passed over, with the reason, when their latest version is a removal,
names no capture (recorded before captures were kept), or the file holds an
outside edit (``gitnews run`` deals with those); a capture that is missing or
damaged is a failure of that article, and the others go on.

The commits go through one transaction (:func:`gitnews.ops.recording.recording`):
a kill leaves all or none of them, and the cache learns them afterwards.  Pages are
extracted in the worker pool (:class:`gitnews.pagetext.pool.ExtractionPool`) when
there are enough of them, at most :data:`AHEAD` pages at a time (memory stays flat),
reading the next captures while the workers extract (:func:`extract_in_order`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlsplit

from gitnews.archive.captures import capture_view, captures_tip
from gitnews.archive.history import end_walk, is_version, iter_commits, version_time
from gitnews.archive.objects import BlobReader
from gitnews.archive.repo import Archive
from gitnews.errors import ExtractionError
from gitnews.format.messages import version_message, version_trailers
from gitnews.format.trailers import (
    CAPTURE,
    CAPTURED_AT,
    FEED,
    FETCHED_AT,
    FETCHED_URL,
    HTTP_STATUS,
    KIND_EXTRACTION,
    PAGE_SHA256,
    SOURCE_ARCHIVE,
    SUBJECT_CHANGED,
    parse_time,
)
from gitnews.models import Article, Version
from gitnews.pagetext.pipeline import PageText, TextSettings, page_text
from gitnews.pagetext.pool import ExtractionPool, PendingArticle, processes_for
from gitnews.versions.diff import DiffStats, diff_texts
from gitnews.versions.significance import version_signals

__all__ = ["Reextracted", "ReextractResult", "reextract", "reextract_stale", "extract_in_order",
           "AHEAD"]

#: Pages in the worker pool at a time (their captures are held in memory meanwhile).
AHEAD = 16

_T = TypeVar("_T")


@dataclass(frozen=True)
class Reextracted:
    """One article whose latest text changes when extracted again.

    ``version``: the number of its latest version (whose capture was used);
    ``new_version``: the number of the ``extraction`` version committed (None for a
    dry run); ``old_text``/``new_text``: the file texts; ``stats``: the difference
    (:class:`gitnews.versions.diff.DiffStats`: paragraphs added and removed...).
    """

    path: str
    url: str
    version: int
    new_version: int | None
    old_text: str
    new_text: str
    stats: DiffStats


@dataclass
class ReextractResult:
    """What :func:`reextract` did.

    ``changed``: the articles whose text changed (committed unless ``dry_run``);
    ``unchanged``: articles whose capture gives their text again; ``skipped``:
    ``(path, reason)`` for articles passed over; ``failed``: ``(path, message)`` for
    captures that could not be read or extracted.
    """

    dry_run: bool
    changed: list[Reextracted] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def paragraphs_gained(self) -> int:
        """Body paragraphs the changed texts gain (added, over all articles)."""
        return sum(c.stats.paragraphs_added for c in self.changed)

    @property
    def paragraphs_lost(self) -> int:
        """Body paragraphs the changed texts lose (removed, over all articles)."""
        return sum(c.stats.paragraphs_removed for c in self.changed)


def extract_in_order(items: Iterable[tuple[_T, bytes, str | None, TextSettings]],
                     pool: ExtractionPool | None, *,
                     ahead: int = AHEAD) -> Iterator[tuple[_T, PageText | ExtractionError]]:
    """``(key, page bytes, URL, settings)`` -> ``(key, page text or its error)``, in order.

    The text is :func:`gitnews.pagetext.pipeline.page_text`'s; with ``pool``, each page's
    extraction is submitted to the workers as soon as ``items`` gives it, at most
    ``ahead`` pages in flight (memory stays flat), while the filters and rendering run
    here, so that reading the next pages overlaps extracting the last ones.  A page
    without an article gives its :class:`~gitnews.errors.ExtractionError` (never raised).
    """
    if pool is None:
        for key, body, url, settings in items:
            try:
                yield key, page_text(body, url, settings)
            except ExtractionError as exc:
                yield key, exc
        return
    flight: deque[tuple[_T, bytes, str | None, TextSettings, PendingArticle]] = deque()

    def done() -> tuple[_T, PageText | ExtractionError]:
        key, body, url, settings, pending = flight.popleft()
        try:
            return key, page_text(body, url, settings, extract=pending.stage)
        except ExtractionError as exc:
            return key, exc

    try:
        for key, body, url, settings in items:
            flight.append((key, body, url, settings,
                           pool.submit_article(body, url=url, site=settings.site_for_url(url))))
            if len(flight) >= ahead:
                yield done()
        while flight:
            yield done()
    finally:
        for *_, pending in flight:
            pending.cancel()


@dataclass(frozen=True)
class _Job:
    path: str
    latest: Version
    versions: int
    payload: bytes
    url: str


def _jobs(archive: Archive, paths: Sequence[str], since: datetime | None,
          result: ReextractResult, reader: BlobReader) -> Iterator[_Job]:
    """The latest version and capture of each article to re-extract."""
    latest_of = _latest_versions(archive, paths)
    for path in paths:
        if path not in latest_of:
            result.skipped.append((path, "no version of it in the archive"))
            continue
        latest, edited = latest_of[path]
        if since is not None and version_time(latest) < since:
            continue
        if latest.removed:
            result.skipped.append((path, f"version {latest.number} removed it"))
            continue
        if edited:
            result.skipped.append((path, "the file holds an outside edit (`gitnews run` "
                                         "checks it and commits the page's text)"))
            continue
        blob = (latest.trailers.get(CAPTURE) or "").strip()
        if not blob:
            result.skipped.append((path, f"version {latest.number} has no capture (recorded "
                                         "before gitnews kept captures)"))
            continue
        found_blob = reader.lookup([blob]).get(blob)
        if found_blob is None:
            result.failed.append((path, f"the capture {blob} of version {latest.number} is "
                                        "missing; `gitnews verify` reports every damaged capture"))
            continue
        try:
            view = capture_view(found_blob[1])
        except ValueError as exc:
            result.failed.append((path, f"the capture {blob} of version {latest.number} is "
                                        f"damaged ({exc}); `gitnews verify` reports every one"))
            continue
        url = view.url or latest.trailers.get(FETCHED_URL) or latest.article_url or ""
        yield _Job(path, latest, latest.number, view.payload, url)


def _latest_versions(archive: Archive, paths: Sequence[str]) -> dict[str, tuple[Version, bool]]:
    """``path -> (its latest version, whether an outside edit follows it)`` for the
    article files ``paths``, from one walk of main's history (``git log``, oldest first;
    the rules of :func:`gitnews.archive.history.file_history`: a commit without
    gitnews's trailers is an outside edit, and counts only after the first version)."""
    wanted = set(paths)
    out: dict[str, tuple[Version, bool]] = {}
    walk = iter_commits(archive.repo, "HEAD", paths=list(paths) if len(paths) <= 100 else None,
                        blobs=True)
    try:
        for entry in walk:
            trailers = entry.trailers
            version = is_version(trailers)
            for status, path in entry.changes:
                if path not in wanted:
                    continue
                if version:
                    number = out[path][0].number + 1 if path in out else 1
                    out[path] = (entry.version(path, number, status=status, trailers=trailers),
                                 False)
                elif path in out:
                    out[path] = (out[path][0], True)
    finally:
        end_walk(walk)
    return out


def _message(job: _Job, article: Article, text: str) -> str:
    """The ``extraction`` version's commit message (see the module docstring)."""
    old = job.latest.trailers
    headline = text.split("\n", 1)[0]
    fetched = parse_time(old.get(FETCHED_AT)) or job.latest.fetched_at
    extra = [(k, old[k]) for k in (CAPTURED_AT, SOURCE_ARCHIVE) if old.get(k)]
    trailers = version_trailers(
        url=job.latest.article_url or job.url, version=job.versions + 1, fetched_at=fetched,
        headline=headline, requested=old.get(FETCHED_URL), status=old.get(HTTP_STATUS),
        extractor=article.extractor, feed=old.get(FEED), published_at=article.published_at,
        byline=article.byline, social_title=article.social_title, seo_title=article.seo_title,
        extra=extra, page_sha=old.get(PAGE_SHA256), kinds=[KIND_EXTRACTION],
        capture=old.get(CAPTURE),
        # the same page extracted again: "minor (extraction only)" (versions.significance)
        significance=version_signals("", text, first=False, extraction_only=True).significance)
    return version_message(SUBJECT_CHANGED, headline, trailers)


def reextract(archive: Archive, *, articles: Sequence[str] | None = None,
              since: datetime | None = None, dry_run: bool = False,
              now: datetime | None = None) -> ReextractResult:
    """Re-extract the latest capture of each article and commit the texts that change.

    ``articles``: article files (paths on main) to take, None for every article of
    the cache; ``since`` (aware datetime): only articles whose latest version was
    captured then or later; ``dry_run``: decide and diff, commit nothing; ``now``:
    the commits' time (default: the current time, UTC).  ``archive`` must be open
    for writing (``open_archive(..., lock=True)``) unless ``dry_run``.

    Returns the :class:`ReextractResult`.  Raises
    :class:`~gitnews.errors.StoreError` when git cannot record the versions (then
    none is recorded), :class:`~gitnews.errors.ConfigError` for an invalid
    ``[filters]``/``[sites]`` table.
    """
    from gitnews.ops.recording import recording

    result = ReextractResult(dry_run=dry_run)
    settings = TextSettings.from_config(archive.config)
    if articles is None:
        paths = [r.path for r in archive.state.articles() if not r.removed]
    else:
        paths = list(dict.fromkeys(articles))
    when = now or datetime.now(UTC)
    processes = processes_for(len(paths))
    pool = ExtractionPool(processes, die_with_parent=True) if processes > 0 else None
    commits: list[tuple[str, bytes, str]] = []
    try:
        with BlobReader(archive.repo) as reader, BlobReader(archive.repo) as texts:
            items = ((job, job.payload, job.url, settings)
                     for job in _jobs(archive, paths, since, result, reader))
            for job, got in extract_in_order(items, pool):
                if isinstance(got, ExtractionError):
                    result.failed.append((job.path, f"version {job.latest.number}: {got}"))
                    continue
                stored = texts.lookup([job.latest.blob]).get(job.latest.blob or "") \
                    if job.latest.blob else None
                old = stored[1].decode("utf-8", "replace") if stored else ""
                if got.text == old:
                    result.unchanged += 1
                    continue
                result.changed.append(Reextracted(
                    path=job.path, url=job.latest.article_url or job.url,
                    version=job.latest.number, new_version=None if dry_run else job.versions + 1,
                    old_text=old, new_text=got.text, stats=diff_texts(old, got.text).stats))
                if not dry_run:
                    commits.append((job.path, got.text.encode("utf-8"),
                                    _message(job, got.article, got.text)))
    finally:
        if pool is not None:
            pool.close()
    if commits:
        with recording(archive) as recorder:
            assert recorder.tx is not None  # not a dry run
            for path, data, message in commits:
                recorder.tx.commit({path: data}, message=message, when=when)
    return result


def reextract_stale(archive: Archive, settings: TextSettings, *,
                    now: datetime | None = None) -> ReextractResult | None:
    """Before a run: re-extract the latest capture of each article whose last text was made
    by another extractor, headline rules or filters than today's (the cache's
    fingerprint, :func:`gitnews.pagetext.pipeline.fingerprint`, differs from
    ``settings``'), and commit a text that changes as an ``extraction`` version
    (:func:`reextract`), so that the run then compares the page it fetches with
    today's reading of the old page: a change due only to the extractor is committed
    apart from any publisher change, never mistaken for one.

    The articles re-extracted get today's fingerprint in the cache, so the run need not
    fetch them in full (their validators stay); those passed over (no capture, an
    outside edit, a removal) or failed keep theirs, and the run re-fetches them in full
    as before.  Nothing is read in an archive without the captures branch.
    ``now``: the commits' time.  Returns None when no article is stale.
    Raises as :func:`reextract`.
    """
    state = archive.state
    stale: dict[str, str] = {}
    today: dict[str, str] = {}  # host -> today's fingerprint (the filters are per host)
    for path, url, known in state.fetched_rows():
        host = urlsplit(url).netloc
        if host not in today:
            today[host] = settings.fingerprint_for_url(url)
        if known != today[host]:
            stale[path] = url
    if not stale or captures_tip(archive) is None:  # no captures branch: nothing to re-read
        return None
    result = reextract(archive, articles=list(stale), now=now)
    left = {path for path, _ in result.skipped} | {path for path, _ in result.failed}
    with state.batch():
        for path, url in stale.items():
            if path not in left:
                state.set_fetched(path, fingerprint=settings.fingerprint_for_url(url))
    return result
