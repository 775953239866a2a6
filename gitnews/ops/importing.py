"""Importing captures from web archives: the core shared by the WARC and Wayback imports.

Each capture of an article page becomes a version of that article, dated
when it was captured: the same extraction and normalisation as ``run``
(:func:`~gitnews.pagetext.extract.extract_article`,
:func:`~gitnews.format.normalise.render_text` after the boilerplate filters), the same
:class:`~gitnews.versions.record.Recorder` (which commits only a text that differs
from the article's previous version), one transaction for the whole import
(:func:`~gitnews.ops.recording.recording`).  Author and commit dates and
``Fetched-At`` are the capture time; two more trailers say where a version
came from: ``Captured-At`` (the capture time, RFC 3339 UTC) and
``Source-Archive`` (the WARC file's name, or the Wayback capture's address).

How an import goes, so that memory stays flat on tens of thousands of captures:

1. *Plan* (:mod:`gitnews.ops.warc_import`, :mod:`gitnews.ops.wayback_import`):
   index every record (WARC: :class:`~gitnews.sources.warc.WarcFiles`; Wayback:
   the CDX listing), keeping URL, capture time and where the bytes are, never
   the bodies.
2. Sort the captures by capture time (ties: the order they were found in).
3. For each (:func:`import_planned`): check that it is newer than the
   article's newest version, read its bytes, extract, normalise, record.
   Commits are made in capture order.  WARC imports extract in worker
   processes (:mod:`gitnews.pagetext.pool`, when
   :func:`~gitnews.pagetext.pool.processes_for` gives any): the importing thread reads
   the next captures that will need extraction ahead of their turn, at most
   :data:`AHEAD_PER_PROCESS` per process, and queues them, then records while
   the workers extract (:class:`_ReadAhead`).  The versions and commits are
   the same, byte for byte, as with extraction in the thread
   (``GITNEWS_EXTRACT_PROCESSES=0``).

History stays append-only: a capture not newer than its article's newest
version (in the archive, or queued earlier in this import) is skipped, never
inserted into the past.  So importing the same captures again adds nothing.

Every record ends as one :class:`~gitnews.ops.import_report.ImportItem` (see
:mod:`gitnews.ops.import_report`, whose names are re-exported here).  A bad
record never stops the import.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from gitnews.archive.repo import Archive
from gitnews.errors import GitnewsError
from gitnews.format.trailers import CAPTURED_AT, SOURCE_ARCHIVE, format_time
from gitnews.format.urls import url_key
from gitnews.models import Outcome, Page
from gitnews.ops.import_report import (
    DUPLICATE,
    NOT_200,
    NOT_CAPTURE,
    NOT_HTML,
    NOT_NEWER,
    OUT_OF_RANGE,
    REPEATED,
    SKIP_REASONS,
    UNRESOLVED_REVISIT,
    ImportItem,
    ImportProgress,
    ImportResult,
    ProgressCallback,
    skip,
)
from gitnews.ops.recording import Abandoned, recording
from gitnews.versions.record import Capture, Recorder

if TYPE_CHECKING:
    from gitnews.pagetext.pipeline import PageText, TextSettings
    from gitnews.pagetext.pool import ExtractionPool, PendingArticle
    from gitnews.sources.warc import WarcRecordInfo
    from gitnews.sources.wayback import CdxRecord

__all__ = ["ImportItem", "ImportResult", "ImportProgress", "ProgressCallback", "import_planned",
           "parse_time_bound", "in_range", "stopping", "SKIP_REASONS", "NOT_CAPTURE", "NOT_HTML",
           "NOT_200", "OUT_OF_RANGE", "DUPLICATE", "NOT_NEWER", "REPEATED", "UNRESOLVED_REVISIT"]


@dataclass(frozen=True)
class _Loaded:
    """The bytes of one capture, ready for extraction."""

    final_url: str
    captured_at: datetime
    status: int | None
    content_type: str | None
    body: bytes
    source: str
    #: The capture file kept for it (WARC bytes: the record(s) verbatim, or a Wayback
    #: response record), or None (:mod:`gitnews.archive.captures`).
    warc: bytes | None = None


@dataclass(slots=True)
class _Planned:
    """One capture to import, planned from an index (never its bytes)."""

    url: str
    captured_at: datetime       # full precision, for sorting
    order: int
    source: str
    where: str | None
    digest: str | None
    # What the loader needs: the WARC record and the one holding its bytes, or the CDX record.
    ref: tuple[WarcRecordInfo, WarcRecordInfo] | CdxRecord


# -- --from / --to ----------------------------------------------------------------------------
_DIGITS = re.compile(r"\d{4}(?:\d{2}){0,5}")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_time_bound(text: str, *, end: bool = False) -> datetime:
    """A ``--from``/``--to`` value -> an aware UTC datetime.

    Accepts an RFC 3339 date-time (``2016-09-29T10:02:00Z``; no offset means
    UTC), a date or part of one (``2016``, ``2016-09``, ``2016-09-29``) and a
    Wayback timestamp or a prefix of one (``20160929``, ``20160929100200``).
    A period stands for its first second, or with ``end=True`` its last one,
    so that ``--to 2016-09`` includes all of September (as the CDX API reads
    ``to``).  Raises ValueError with a message for anything else.
    """
    value = text.strip()
    digits = None
    if _DIGITS.fullmatch(value):
        digits = value
    elif (m := _DATE.fullmatch(value)) is not None:
        digits = "".join(g for g in m.groups() if g)
    if digits is None:
        try:
            dt = datetime.fromisoformat(value.replace(" ", "T", 1))
        except ValueError:
            raise ValueError(f"{text!r} is not a date: use 2016-09-29, 2016-09-29T10:02:00Z, "
                             "2016-09 or a Wayback timestamp such as 20160929100200") from None
        return (dt.replace(tzinfo=UTC) if dt.tzinfo is None
                else dt.astimezone(UTC))
    padded = digits + "00000101000000"[len(digits):]
    try:
        start = datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None
    if not end:
        return start
    n = len(digits)
    if n == 4:
        nxt = start.replace(year=start.year + 1)
    elif n == 6:
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        nxt = start + {8: timedelta(days=1), 10: timedelta(hours=1),
                       12: timedelta(minutes=1), 14: timedelta(seconds=1)}[n]
    return nxt - timedelta(seconds=1)


def in_range(when: datetime, since: datetime | None, until: datetime | None) -> bool:
    """Whether capture time ``when`` is within ``--from``/``--to`` (inclusive; None: open)."""
    return (since is None or when >= since) and (until is None or when <= until)


# -- the shared second half: captures in time order -> versions -----------------------------
#: Captures read ahead and queued for extraction, per extraction process (bodies held at once).
AHEAD_PER_PROCESS = 4

#: ``(capture, its bytes) -> its PageText``; raises GitnewsError or any exception of the extractor.
_ExtractFunc = Callable[[_Planned, _Loaded], "PageText"]

#: What makes a capture the same capture again: ``(URL key, capture time to the second, digest)``.
_CaptureKey = tuple[str, datetime, str | None]


def _extract_here(p: _Planned, loaded: _Loaded, settings: TextSettings) -> PageText:
    """The capture's article and text, with the filters and site rules of its host, as `run` does."""
    from gitnews.pagetext.pipeline import page_text

    return page_text(loaded.body, loaded.final_url, settings)


def stopping(result: ImportResult, stop: threading.Event | None,
             abandon: threading.Event | None, undone: int) -> bool:
    """True (and ``result`` marked interrupted) when a stop was requested;
    raises :class:`~gitnews.ops.recording.Abandoned` when abandoning was."""
    if abandon is not None and abandon.is_set():
        raise Abandoned("the import was abandoned on request; nothing of it was committed")
    if stop is None or not stop.is_set():
        return False
    result.interrupted, result.left_undone = True, undone
    return True


def import_planned(archive: Archive, planned: list[_Planned],
                   load: Callable[[_Planned], _Loaded], result: ImportResult,
                   progress: ProgressCallback | None, *, read_ahead: bool = False,
                   stop: threading.Event | None = None,
                   abandon: threading.Event | None = None) -> None:
    """Record ``planned`` in capture order, in one transaction (:func:`~gitnews.ops.recording.recording`).

    ``stop`` set: no further capture is recorded, those recorded are committed
    (``result.interrupted``, ``result.left_undone``); ``abandon`` set: raises
    :class:`~gitnews.ops.recording.Abandoned` after aborting the transaction.

    ``read_ahead``: ``load`` is cheap and side-effect free (a local file), so
    upcoming captures may be read before their turn and extracted in worker
    processes (:class:`_ReadAhead`) while this thread records; used when
    :func:`gitnews.pagetext.pool.processes_for` gives processes.  The versions are
    the same either way.
    """
    planned.sort(key=lambda p: (p.captured_at, p.order))
    from gitnews.pagetext.pipeline import TextSettings
    from gitnews.pagetext.pool import ExtractionPool, processes_for

    # the same boilerplate filters and site rules as `gitnews run`
    settings = TextSettings.from_config(archive.config)
    processes = processes_for(len(planned)) if read_ahead else 0
    # The workers start before the transaction, so that they never hold fast-import's pipe.
    pool = ExtractionPool(processes, die_with_parent=True) if processes else None
    try:
        with recording(archive) as recorder:
            ahead = (_ReadAhead(planned, load, pool, settings,
                                window=AHEAD_PER_PROCESS * processes)
                     if pool is not None else None)
            read: Callable[[_Planned], _Loaded] = load
            extract: _ExtractFunc = partial(_extract_here, settings=settings)
            if ahead is not None:
                read, extract = ahead.read, ahead.extract
            seen: set[_CaptureKey] = set()
            last: dict[str | None, tuple[str, str]] = {}
            for n, p in enumerate(planned):
                if stopping(result, stop, abandon, len(planned) - n):
                    break
                if ahead is not None:
                    ahead.advance(n)
                result.items.append(_import_one(p, read, extract, recorder, seen, last))
                if progress:
                    progress(ImportProgress("importing", n + 1, len(planned)))
    finally:
        if pool is not None:
            pool.close()


class _ReadAhead:
    """Reads the captures that will need extraction before their turn, and
    queues their bodies in an :class:`~gitnews.pagetext.pool.ExtractionPool`, so
    that extraction runs on the other cores while this thread records.

    At most ``window`` captures are held (read, queued or extracted, not yet
    recorded).  Which captures will need extraction is guessed from the plan
    alone, with the digest rule of :func:`_import_one` per URL key, never by
    asking the Recorder (whose answers change as captures are recorded): a
    wrong guess costs time only.  A capture read ahead but skipped is dropped;
    one not read ahead is read and extracted in this thread when its turn
    comes.  The results are the same as without reading ahead, because reading
    a WARC record and extraction are deterministic.
    """

    def __init__(self, planned: list[_Planned], load: Callable[[_Planned], _Loaded],
                 pool: ExtractionPool, settings: TextSettings, *, window: int) -> None:
        self._planned, self._load, self._pool = planned, load, pool
        self._settings = settings
        self._window = max(1, window)
        self._next = 0        # the next position to consider reading
        self._now = 0         # the position being recorded
        self._held: dict[int, tuple[_Loaded | GitnewsError, PendingArticle | None]] = {}
        self._guess_last: dict[str, tuple[str, str]] = {}  # URL key -> (URL, payload digest)
        self._taken: PendingArticle | None = None

    def advance(self, position: int) -> None:
        """The loop is at ``position``: drop what it passed, read ahead up to the window."""
        self._now, self._taken = position, None
        for i in [i for i in self._held if i < position]:
            entry = self._held.pop(i)
            if entry[1] is not None:
                entry[1].cancel()
        self._next = max(self._next, position)
        while len(self._held) < self._window and self._next < len(self._planned):
            i, p = self._next, self._planned[self._next]
            self._next += 1
            if self._needed(p):
                self._held[i] = self._start(p)

    def _needed(self, p: _Planned) -> bool:
        try:
            key = url_key(p.url)
        except Exception:
            return False
        if not p.digest:
            self._guess_last.pop(key, None)
            return True
        before = self._guess_last.get(key)
        self._guess_last[key] = (p.url, p.digest)
        return before != (p.url, p.digest)

    def _start(self, p: _Planned) -> tuple[_Loaded | GitnewsError, PendingArticle | None]:
        try:
            loaded = self._load(p)
        except GitnewsError as exc:
            return exc, None
        if not _extractable(p, loaded):
            return loaded, None
        return loaded, self._pool.submit_article(
            loaded.body, url=loaded.final_url, site=self._settings.site_for_url(loaded.final_url))

    def read(self, p: _Planned) -> _Loaded:
        """The bytes of the capture being recorded (read ahead, else now)."""
        entry = self._held.pop(self._now, None)
        if entry is None:
            return self._load(p)
        got, self._taken = entry
        if isinstance(got, GitnewsError):
            raise got
        return got

    def extract(self, p: _Planned, loaded: _Loaded) -> PageText:
        """Its article and text: extracted by the worker it was queued in, else now, here."""
        taken, self._taken = self._taken, None
        if taken is None:
            return _extract_here(p, loaded, self._settings)
        from gitnews.pagetext.pipeline import page_text

        return page_text(loaded.body, loaded.final_url, self._settings, extract=taken.stage)


def _extractable(p: _Planned, loaded: _Loaded) -> bool:
    """Whether :func:`_import_one` extracts these bytes (rather than rejecting them)."""
    from gitnews.sources.warc import is_html

    return (loaded.captured_at.replace(microsecond=0) == p.captured_at.replace(microsecond=0)
            and (loaded.status is None or loaded.status == 200)
            and is_html(loaded.content_type, loaded.body[:1024]))


def _import_one(p: _Planned, read: Callable[[_Planned], _Loaded], extract: _ExtractFunc,
                recorder: Recorder, seen: set[_CaptureKey],
                last: dict[str | None, tuple[str, str]]) -> ImportItem:
    """One capture -> one item.  ``read``/``extract``: its bytes and their
    article (see :class:`_ReadAhead`); ``seen``: the captures met so far;
    ``last``: per article file, ``(URL, payload digest)`` of a capture whose
    text is the article's current text, so that the same bytes again need no
    extraction (extraction is deterministic: the same bytes and URL give the
    same text)."""
    when = p.captured_at.replace(microsecond=0)
    item = ImportItem(outcome=Outcome.FAILED, source=p.source, url=p.url, captured_at=when,
                      where=p.where)
    try:
        key = (url_key(p.url), when, p.digest)
        path, newest = recorder.newest_version(p.url)
    except GitnewsError as exc:
        item.message = f"{exc}; this capture cannot be imported"
        return item
    item.path = path
    if key in seen:
        return skip(item, DUPLICATE)
    seen.add(key)
    if newest is not None and when <= newest:
        return skip(item, NOT_NEWER, f"captured {format_time(when)}; the newest version of "
                                      f"{path} is from {format_time(newest)}")
    if p.digest and last.get(path) == (p.url, p.digest):
        return skip(item, REPEATED)
    try:
        loaded = read(p)
    except GitnewsError as exc:
        item.message = str(exc)
        return item
    item.source = loaded.source
    if loaded.captured_at.replace(microsecond=0) != when:
        item.message = (f"asked for the capture of {format_time(when)}, the archive served the one "
                        f"of {format_time(loaded.captured_at)}; not imported, to keep the versions "
                        "in capture order")
        return item
    if loaded.status is not None and loaded.status != 200:
        return skip(item, NOT_200, f"status {loaded.status}")
    from gitnews.sources.warc import is_html

    if not is_html(loaded.content_type, loaded.body[:1024]):
        return skip(item, NOT_HTML, f"Content-Type {loaded.content_type or 'missing'}")
    try:
        extracted = extract(p, loaded)
        article, text = extracted.article, extracted.text
    except GitnewsError as exc:
        item.message = str(exc)
        return item
    except Exception as exc:
        # The words of gitnews.pagetext.pool, so that an import in processes says the same.
        item.message = (f"unexpected error while reading {loaded.final_url}: "
                        f"{exc.__class__.__name__}: {exc}; please report this page")
        return item
    page = Page(url=p.url, final_url=loaded.final_url, status=loaded.status or 200,
                body=loaded.body, fetched_at=when, content_type=loaded.content_type)
    done = recorder.record(Capture(
        requested_url=p.url, page=page, article=article, text=text,
        extra_trailers=[(CAPTURED_AT, format_time(when)), (SOURCE_ARCHIVE, loaded.source)],
        warc=loaded.warc))
    item.path, item.headline, item.version = done.path, done.headline, done.version
    if p.digest and done.outcome in (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED):
        last[done.path] = (p.url, p.digest)
    else:  # the article's text is not these bytes' (none known, or held as suspicious)
        last.pop(done.path, None)
    if done.outcome is Outcome.UNCHANGED:
        return skip(item, REPEATED)
    item.outcome = done.outcome
    return item


