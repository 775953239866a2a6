"""Import captures from web archives: WARC files and the Wayback Machine.

Each capture of an article page becomes a version of that article, dated
when it was captured: the same extraction and normalisation as ``run``
(:func:`~gitnews.pagetext.extract.extract_article`,
:func:`~gitnews.format.normalise.render_text` after the boilerplate filters), the same
:class:`~gitnews.versions.record.Recorder` (which commits only a text that differs
from the article's previous version), one
:class:`~gitnews.archive.store.Transaction` for the whole import.  Author and commit
dates and ``Fetched-At`` are the capture time; two more trailers say where a
version came from: ``Captured-At`` (the capture time, RFC 3339 UTC) and
``Source-Archive`` (the WARC file's name, or the Wayback capture's address).

How an import goes, so that memory stays flat on tens of thousands of captures:

1. *Plan*: index every record (WARC: :class:`~gitnews.sources.warc.WarcFiles`;
   Wayback: the CDX listing), keeping URL, capture time and where the bytes
   are, never the bodies.
2. Sort the captures by capture time (ties: the order they were found in).
3. For each: check that it is newer than the article's newest version, read
   its bytes, extract, normalise, record.  Commits are made in capture order.
   WARC imports extract in worker processes (:mod:`gitnews.pagetext.pool`, when
   :func:`~gitnews.pagetext.pool.processes_for` gives any): the importing thread reads
   the next captures that will need extraction ahead of their turn, at most
   :data:`AHEAD_PER_PROCESS` per process, and queues them, then records while
   the workers extract (:class:`_ReadAhead`).  The versions and commits are
   the same, byte for byte, as with extraction in the thread
   (``GITNEWS_EXTRACT_PROCESSES=0``).

History stays append-only: a capture not newer than its article's newest
version (in the archive, or queued earlier in this import) is skipped, never
inserted into the past.  So importing the same captures again adds nothing.

Every record ends as one :class:`ImportItem`: a new version (NEW, CHANGED),
deliberately SKIPPED (with a reason from :data:`SKIP_REASONS`) or FAILED
(bad input: damaged WARC bytes, a capture without a date, a bad CDX line, a
page without article text, a fetch error), reported with what to do.  A bad
record never stops the import.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gitnews.archive.repo import Archive
from gitnews.errors import GitnewsError
from gitnews.format.trailers import format_time
from gitnews.format.urls import url_key
from gitnews.models import Outcome, Page
from gitnews.versions.record import Capture, Recorder

if TYPE_CHECKING:
    from gitnews.pagetext.pipeline import PageText, TextSettings
    from gitnews.pagetext.pool import ExtractionPool, PendingArticle

__all__ = ["ImportItem", "ImportResult", "ImportProgress", "import_warcs", "import_wayback",
           "parse_time_bound", "SKIP_REASONS", "NOT_CAPTURE", "NOT_HTML", "NOT_200",
           "OUT_OF_RANGE", "DUPLICATE", "NOT_NEWER", "REPEATED", "UNRESOLVED_REVISIT"]

# Why a record was skipped (the keys of ImportResult.skipped), in the order shown.
NOT_NEWER = "not newer than the article's newest version"
REPEATED = "same text as the article's previous version"
DUPLICATE = "the same capture again"
NOT_HTML = "not an HTML page"
NOT_200 = "HTTP status other than 200"
OUT_OF_RANGE = "outside --from/--to"
UNRESOLVED_REVISIT = "revisit of a capture that is not in the files imported"
NOT_CAPTURE = "not a capture (warcinfo, request, metadata, resource... record)"
#: Every skip reason, in the order a summary lists them.
SKIP_REASONS = (NOT_NEWER, REPEATED, DUPLICATE, NOT_HTML, NOT_200, OUT_OF_RANGE,
                UNRESOLVED_REVISIT, NOT_CAPTURE)


@dataclass(slots=True)
class ImportItem:
    """What an import did with one record.

    ``outcome``: NEW or CHANGED (a version was added: ``path``, ``version``,
    ``headline``), SKIPPED (``reason``, one of :data:`SKIP_REASONS`) or FAILED;
    ``source``: the WARC file's name or the Wayback address concerned;
    ``where``: the record's place in it (``byte 1,234``, ``CDX line 7``);
    ``message``: for FAILED and some SKIPPED items, what happened and what to do.
    """

    outcome: Outcome
    source: str
    url: str | None = None
    captured_at: datetime | None = None
    reason: str | None = None
    message: str | None = None
    where: str | None = None
    path: str | None = None
    version: int | None = None
    headline: str | None = None


@dataclass
class ImportResult:
    """Everything one import did; ``items`` in order: failed and skipped
    records as they were read, then the captures in capture-time order."""

    items: list[ImportItem] = field(default_factory=list)
    records_read: int = 0
    sources: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: True when a stop request (SIGINT/SIGTERM) ended the import early; the
    #: captures recorded before it are committed.
    interrupted: bool = False
    #: Captures found but not imported because of the stop (records not read yet
    #: are not counted); importing the same files again adds them.
    left_undone: int = 0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome is outcome)

    @property
    def versions_added(self) -> int:
        return self.count(Outcome.NEW) + self.count(Outcome.CHANGED)

    @property
    def articles(self) -> int:
        """Distinct articles the imported captures belong to (added or skipped)."""
        return len({i.path for i in self.items if i.path})

    @property
    def skipped(self) -> dict[str, int]:
        """Skipped records per reason, in :data:`SKIP_REASONS` order (reasons with none left out)."""
        counts = Counter(i.reason for i in self.items if i.outcome is Outcome.SKIPPED)
        return {r: counts[r] for r in SKIP_REASONS if counts[r]}

    @property
    def failures(self) -> list[ImportItem]:
        return [i for i in self.items if i.outcome is Outcome.FAILED]


@dataclass(frozen=True)
class ImportProgress:
    """How far an import is: ``stage`` is ``reading`` (WARC files: ``done`` of
    ``total`` bytes), ``listing`` (Wayback URLs) or ``importing`` (captures);
    ``note`` a message to show (records read so far, a rate-limit wait)."""

    stage: str
    done: int
    total: int | None
    note: str | None = None


ProgressCallback = Callable[[ImportProgress], None]


@dataclass(frozen=True)
class _Loaded:
    """The bytes of one capture, ready for extraction."""

    final_url: str
    captured_at: datetime
    status: int | None
    content_type: str | None
    body: bytes
    source: str


@dataclass(slots=True)
class _Planned:
    url: str
    captured_at: datetime       # full precision, for sorting
    order: int
    source: str
    where: str | None
    digest: str | None
    ref: object                 # what the loader needs (WARC record infos, CDX record)


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


def _in_range(when: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or when >= since) and (until is None or when <= until)


# -- the shared second half: captures in time order -> versions -----------------------------
#: Captures read ahead and queued for extraction, per extraction process (bodies held at once).
AHEAD_PER_PROCESS = 4

#: ``(capture, its bytes) -> its PageText``; raises GitnewsError or any exception of the extractor.
_ExtractFunc = Callable[[_Planned, _Loaded], "PageText"]


def _extract_here(p: _Planned, loaded: _Loaded, settings: TextSettings) -> PageText:
    """The capture's article and text, with the filters and site rules of its host, as `run` does."""
    from gitnews.pagetext.pipeline import page_text

    return page_text(loaded.body, loaded.final_url, settings)


def _stopping(result: ImportResult, stop: threading.Event | None,
              abandon: threading.Event | None, undone: int) -> bool:
    """True (and ``result`` marked interrupted) when a stop was requested;
    raises :class:`~gitnews.ops.run.Abandoned` when abandoning was."""
    if abandon is not None and abandon.is_set():
        from gitnews.ops.run import Abandoned

        raise Abandoned("the import was abandoned on request; nothing of it was committed")
    if stop is None or not stop.is_set():
        return False
    result.interrupted, result.left_undone = True, undone
    return True


def _import_planned(archive: Archive, planned: list[_Planned],
                    load: Callable[[_Planned], _Loaded], result: ImportResult,
                    progress: ProgressCallback | None, *, read_ahead: bool = False,
                    stop: threading.Event | None = None,
                    abandon: threading.Event | None = None) -> None:
    """Record ``planned`` in capture order, in one transaction.

    ``stop`` set: no further capture is recorded, those recorded are committed
    (``result.interrupted``, ``result.left_undone``); ``abandon`` set: raises
    :class:`~gitnews.ops.run.Abandoned` after aborting the transaction.

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
    filterset = TextSettings.from_config(archive.config)
    processes = processes_for(len(planned)) if read_ahead else 0
    # The workers start before the transaction, so that they never hold fast-import's pipe.
    pool = ExtractionPool(processes, die_with_parent=True) if processes else None
    try:
        tx = archive.transaction()
        recorder = Recorder(archive, tx)
        ahead = (_ReadAhead(planned, load, pool, filterset, window=AHEAD_PER_PROCESS * processes)
                 if pool is not None else None)
        read, extract = ((ahead.read, ahead.extract) if ahead is not None
                         else (load, lambda p, loaded: _extract_here(p, loaded, filterset)))
        seen: set[tuple] = set()
        last: dict[str, tuple[str, str]] = {}
        try:
            for n, p in enumerate(planned):
                if _stopping(result, stop, abandon, len(planned) - n):
                    break
                if ahead is not None:
                    ahead.advance(n)
                result.items.append(_import_one(p, read, extract, recorder, seen, last))
                if progress:
                    progress(ImportProgress("importing", n + 1, len(planned)))
        except BaseException:
            tx.abort()
            raise
        tx.finish()
        recorder.apply()
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
                 pool: ExtractionPool, filterset: TextSettings, *, window: int) -> None:
        self._planned, self._load, self._pool = planned, load, pool
        self._filterset = filterset
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
            loaded.body, url=loaded.final_url, site=self._filterset.site_for_url(loaded.final_url))

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
            return _extract_here(p, loaded, self._filterset)
        from gitnews.pagetext.pipeline import page_text

        return page_text(loaded.body, loaded.final_url, self._filterset, extract=taken.stage)


def _extractable(p: _Planned, loaded: _Loaded) -> bool:
    """Whether :func:`_import_one` extracts these bytes (rather than rejecting them)."""
    from gitnews.sources.warc import is_html

    return (loaded.captured_at.replace(microsecond=0) == p.captured_at.replace(microsecond=0)
            and (loaded.status is None or loaded.status == 200)
            and is_html(loaded.content_type, loaded.body[:1024]))


def _import_one(p: _Planned, read: Callable[[_Planned], _Loaded], extract: _ExtractFunc,
                recorder: Recorder, seen: set[tuple], last: dict[str, tuple[str, str]]) -> ImportItem:
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
        return _skip(item, DUPLICATE)
    seen.add(key)
    if newest is not None and when <= newest:
        return _skip(item, NOT_NEWER, f"captured {format_time(when)}; the newest version of "
                                      f"{path} is from {format_time(newest)}")
    if p.digest and last.get(path) == (p.url, p.digest):
        return _skip(item, REPEATED)
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
        return _skip(item, NOT_200, f"status {loaded.status}")
    from gitnews.sources.warc import is_html

    if not is_html(loaded.content_type, loaded.body[:1024]):
        return _skip(item, NOT_HTML, f"Content-Type {loaded.content_type or 'missing'}")
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
        extra_trailers=[("Captured-At", format_time(when)), ("Source-Archive", loaded.source)]))
    item.path, item.headline, item.version = done.path, done.headline, done.version
    if p.digest and done.outcome in (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED):
        last[done.path] = (p.url, p.digest)
    else:  # the article's text is not these bytes' (none known, or held as suspicious)
        last.pop(done.path, None)
    if done.outcome is Outcome.UNCHANGED:
        return _skip(item, REPEATED)
    item.outcome = done.outcome
    return item


def _skip(item: ImportItem, reason: str, message: str | None = None) -> ImportItem:
    item.outcome, item.reason, item.message = Outcome.SKIPPED, reason, message
    return item


# -- WARC files ---------------------------------------------------------------------------------
def import_warcs(archive: Archive, files: Sequence[str | Path], *, since: datetime | None = None,
                 until: datetime | None = None,
                 progress: ProgressCallback | None = None,
                 stop: threading.Event | None = None,
                 abandon: threading.Event | None = None) -> ImportResult:
    """Import every HTML capture of the WARC ``files`` into ``archive``.

    Takes ``response`` records with status 200 and an HTML payload, and
    ``revisit`` records whose payload digest matches a response record in one
    of ``files``; ``since``/``until`` (inclusive, aware datetimes) limit the
    capture times.  ``Source-Archive`` is the file's name.  Never raises for a
    bad file or record (see :class:`ImportItem`); raises
    :class:`~gitnews.errors.StoreError` when git cannot record the versions
    (then nothing of the import is recorded).  ``stop`` set while the files are
    read: nothing is imported; while captures are recorded: the ones recorded
    are committed (``ImportResult.interrupted``); ``abandon``: see
    :func:`_import_planned`.
    """
    from gitnews.sources.warc import CAPTURE_TYPES, WarcError, WarcFiles

    result = ImportResult(started_at=datetime.now(UTC), sources=len(files))
    planned: list[_Planned] = []
    revisits: list[tuple[str, object]] = []
    by_digest: dict[str, object] = {}
    sizes = [_size(f) for f in files]
    with WarcFiles() as warcs:
        for n, file in enumerate(files, 1):
            name = Path(file).name
            before = sum(sizes[:n - 1])
            if _stopping(result, stop, abandon, 0):
                break
            try:
                for info in warcs.scan(file):
                    if _stopping(result, stop, abandon, 0):
                        break
                    result.records_read += 1
                    if progress and result.records_read % 100 == 0:
                        progress(ImportProgress("reading", before + min(info.offset, sizes[n - 1]),
                                                sum(sizes), f"{result.records_read:,} records"))
                    where = f"byte {info.offset:,}"
                    item = ImportItem(outcome=Outcome.SKIPPED, source=name, url=info.url,
                                      captured_at=info.captured_at, where=where)
                    if info.record_type is not None and info.record_type not in CAPTURE_TYPES:
                        result.items.append(_skip(item, NOT_CAPTURE))
                    elif info.problem:
                        item.outcome, item.message = Outcome.FAILED, info.problem
                        result.items.append(item)
                    elif info.record_type == "revisit":
                        if info.status not in (None, 200, 304):
                            result.items.append(_skip(item, NOT_200, f"status {info.status}"))
                        else:
                            revisits.append((name, info))
                    elif info.status != 200:
                        result.items.append(_skip(item, NOT_200, f"status {info.status}"))
                    else:
                        if info.payload_digest:
                            by_digest.setdefault(info.payload_digest, info)
                        if not info.html:
                            result.items.append(_skip(
                                item, NOT_HTML, f"Content-Type {info.content_type or 'missing'}"))
                        elif not _in_range(info.captured_at, since, until):
                            result.items.append(_skip(item, OUT_OF_RANGE))
                        else:
                            planned.append(_Planned(
                                url=info.url, captured_at=info.captured_at, order=len(planned),
                                source=name, where=where, digest=info.payload_digest,
                                ref=(info, info)))
            except WarcError as exc:
                result.items.append(ImportItem(outcome=Outcome.FAILED, source=name,
                                               message=str(exc)))
            if progress:
                progress(ImportProgress("reading", sum(sizes[:n]), sum(sizes),
                                        f"{result.records_read:,} records"))
        for name, info in revisits:
            item = ImportItem(outcome=Outcome.SKIPPED, source=name, url=info.url,
                              captured_at=info.captured_at, where=f"byte {info.offset:,}")
            original = by_digest.get(info.payload_digest) if info.payload_digest else None
            if original is None:
                result.items.append(_skip(item, UNRESOLVED_REVISIT, (
                    f"a revisit of {info.refers_to_url or info.url}"
                    f"{' captured ' + info.refers_to_date if info.refers_to_date else ''}, whose "
                    f"bytes (payload digest {info.payload_digest or 'missing'}) are in none of the "
                    "files imported; import the WARC holding that capture together with this one")))
            elif not original.html:
                result.items.append(_skip(item, NOT_HTML,
                                          f"Content-Type {original.content_type or 'missing'}"))
            elif not _in_range(info.captured_at, since, until):
                result.items.append(_skip(item, OUT_OF_RANGE))
            else:
                planned.append(_Planned(url=info.url, captured_at=info.captured_at,
                                        order=len(planned), source=name, where=item.where,
                                        digest=info.payload_digest, ref=(info, original)))

        def load(p: _Planned) -> _Loaded:
            info, original = p.ref
            try:
                response = warcs.read(original)
            except WarcError as exc:
                raise WarcError(f"{exc}" + (f" (the capture revisited by {p.source} {p.where})"
                                            if original is not info else "")) from None
            return _Loaded(final_url=info.url, captured_at=info.captured_at,
                           status=200 if original is not info else response.status,
                           content_type=response.content_type, body=response.body,
                           source=p.source)

        if result.interrupted:  # stopped while reading: nothing was imported
            result.left_undone = len(planned) + len(revisits)
        else:
            _import_planned(archive, planned, load, result, progress, read_ahead=True,
                            stop=stop, abandon=abandon)
    result.finished_at = datetime.now(UTC)
    return result


def _size(path: str | Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


# -- the Wayback Machine -----------------------------------------------------------------------
def import_wayback(archive: Archive, urls: Sequence[str], *, since: datetime | None = None,
                   until: datetime | None = None,
                   progress: ProgressCallback | None = None,
                   stop: threading.Event | None = None,
                   abandon: threading.Event | None = None) -> ImportResult:
    """Import the Wayback Machine's captures of ``urls`` into ``archive``.

    Lists each URL's status-200 captures with the CDX API (one per distinct
    payload, ``since``/``until`` inclusive), then fetches each capture's
    original bytes (``id_``) in capture-time order, through the
    ``[wayback]`` settings of the archive (base address, request rates,
    retries).  ``Source-Archive`` is the capture's Wayback address.  Never
    raises for one URL or capture; raises
    :class:`~gitnews.errors.StoreError` when git cannot record the versions.
    ``stop``/``abandon``: as for :func:`import_warcs`.
    """
    from gitnews.sources.http import Fetcher
    from gitnews.sources.warc import may_be_html
    from gitnews.sources.wayback import CdxProblem, WaybackClient, cdx_query_url, playback_url

    cfg = archive.config
    result = ImportResult(started_at=datetime.now(UTC), sources=len(urls))
    planned: list[_Planned] = []
    state = {"stage": "listing", "done": 0, "total": len(urls)}

    def on_wait(note: str) -> None:
        if progress:
            progress(ImportProgress(state["stage"], state["done"], state["total"], note))

    with Fetcher(timeout_s=cfg.fetch.timeout_s, connect_timeout_s=cfg.fetch.connect_timeout_s,
                 max_bytes=cfg.fetch.max_bytes, max_redirects=cfg.fetch.max_redirects,
                 concurrency=1, contact=cfg.fetch.contact) as fetcher:
        wb = cfg.wayback
        client = WaybackClient(fetcher, base_url=wb.base_url,
                               cdx_requests_per_s=wb.cdx_requests_per_s,
                               capture_requests_per_s=wb.capture_requests_per_s,
                               max_retries=wb.max_retries, max_wait_s=wb.max_wait_s,
                               on_wait=on_wait)
        for n, url in enumerate(urls, 1):
            if _stopping(result, stop, abandon, 0):
                break
            listing = cdx_query_url(wb.base_url, url, since=since, until=until)
            try:
                for entry in client.captures(url, since=since, until=until):
                    result.records_read += 1
                    if isinstance(entry, CdxProblem):
                        result.items.append(ImportItem(
                            outcome=Outcome.FAILED, source=listing, url=url,
                            where=f"CDX line {entry.line_no}",
                            message=f"{entry.message}: {entry.line!r}; this line was skipped"))
                        continue
                    source = playback_url(wb.base_url, entry.timestamp, entry.original)
                    item = ImportItem(outcome=Outcome.SKIPPED, source=source, url=entry.original,
                                      captured_at=entry.captured_at)
                    if entry.status is not None and entry.status != 200:
                        result.items.append(_skip(item, NOT_200, f"status {entry.status}"))
                    elif not may_be_html(entry.mimetype):
                        result.items.append(_skip(item, NOT_HTML, f"type {entry.mimetype}"))
                    elif not _in_range(entry.captured_at, since, until):
                        result.items.append(_skip(item, OUT_OF_RANGE))
                    else:
                        planned.append(_Planned(url=entry.original, captured_at=entry.captured_at,
                                                order=len(planned), source=source, where=None,
                                                digest=entry.digest, ref=entry))
            except GitnewsError as exc:
                result.items.append(ImportItem(
                    outcome=Outcome.FAILED, source=listing, url=url,
                    message=f"could not list the Wayback Machine's captures of {url}: {exc}"))
            state["done"] = n
            if progress:
                progress(ImportProgress("listing", n, len(urls)))
        state.update(stage="importing", done=0, total=len(planned))

        def load(p: _Planned) -> _Loaded:
            got = client.fetch(p.ref)
            state["done"] += 1
            return _Loaded(final_url=got.original, captured_at=got.captured_at,
                           status=got.status, content_type=got.content_type, body=got.body,
                           source=got.playback_url)

        if result.interrupted:  # stopped while listing: nothing was imported
            result.left_undone = len(planned)
        else:
            _import_planned(archive, planned, load, result, progress, stop=stop,
                            abandon=abandon)
    result.finished_at = datetime.now(UTC)
    return result
