"""The Wayback Machine: list the captures of a URL and fetch their original bytes.

* **Listing** uses the CDX server API (internetarchive/wayback,
  ``wayback-cdx-server`` README)::

      GET {base}/cdx/search/cdx?url=URL&filter=statuscode:200&collapse=digest
          &from=YYYYMMDDhhmmss&to=YYYYMMDDhhmmss&showResumeKey=true&limit=N

  The answer has one capture per line, seven fields separated by spaces:
  ``urlkey timestamp original mimetype statuscode digest length``
  (``statuscode`` and ``length`` may be ``-``).  ``collapse=digest`` drops a
  capture whose payload digest equals the one before it (the same bytes
  again).  With ``showResumeKey=true`` an answer that stops at ``limit`` ends
  with a blank line and a *resume key*, sent back as ``resumeKey=`` to get the
  next page.  :func:`parse_cdx` reads an answer (pure); every line that is not
  a capture is reported as a :class:`CdxProblem`, the others are still read.
* **Capture bytes**: ``{base}/web/{timestamp}id_/{original}``; the ``id_``
  flag asks for the bytes as archived, without the Wayback's banner and
  rewritten links.  A memento's response carries ``Memento-Datetime``
  (RFC 7089 §2.1.1), the capture time; an answer without it is a page of the
  Wayback Machine itself (an excluded URL, an error), never a capture.
* **Timestamps** are 14 digits, ``YYYYMMDDhhmmss``, in UTC.
* **Rate limits**: the Internet Archive throttles clients (about one CDX
  query per second) and answers ``429 Too Many Requests``, often with a
  ``Retry-After`` (RFC 9110 §10.2.3: seconds or an HTTP date).
  :class:`WaybackClient` paces its requests, waits what ``Retry-After`` asks
  (at most ``max_wait_s``), halves its pace after a 429, and retries 429, 5xx
  and network errors at most ``max_retries`` times.

All HTTP goes through :class:`gitnews.sources.http.Fetcher`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from gitnews.errors import FetchError, GitnewsError
from gitnews.format.urls import is_fetchable

if TYPE_CHECKING:
    from gitnews.models import Page
    from gitnews.sources.http import Fetcher

__all__ = ["CdxRecord", "CdxProblem", "CdxPage", "CdxError", "FetchedCapture", "WaybackClient",
           "parse_cdx", "parse_timestamp", "format_timestamp", "capture_url", "playback_url",
           "parse_capture_url", "cdx_query_url", "retry_after_s", "CDX_FIELDS"]

#: The fields of a CDX line, in the server's default order.
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")

_TS = re.compile(r"\d{14}")
_CAPTURE = re.compile(r"/web/(\d{1,14})(?:[a-z]{2}_)?/(.+)$", re.S)


class CdxError(GitnewsError):
    """A CDX answer is not a capture listing (e.g. an HTML error page)."""


@dataclass(frozen=True, slots=True)
class CdxRecord:
    """One capture listed by the CDX API.

    ``timestamp``: 14 digits as listed; ``captured_at``: the same as an aware
    UTC datetime; ``original``: the archived URL; ``status``: the archived HTTP
    status (None for ``-``); ``digest``: base-32 SHA-1 of the payload;
    ``length``: bytes of the compressed WARC record (None for ``-``).
    """

    urlkey: str
    timestamp: str
    captured_at: datetime
    original: str
    mimetype: str
    status: int | None
    digest: str
    length: int | None = None


@dataclass(frozen=True, slots=True)
class CdxProblem:
    """A line of a CDX answer that is not a usable capture: ``line_no`` counts from 1."""

    line_no: int
    line: str
    message: str


@dataclass
class CdxPage:
    """One parsed CDX answer; ``resume_key`` is None on the last page."""

    records: list[CdxRecord] = field(default_factory=list)
    problems: list[CdxProblem] = field(default_factory=list)
    resume_key: str | None = None


@dataclass(frozen=True)
class FetchedCapture:
    """The original bytes of one capture as the Wayback Machine served them.

    ``timestamp``/``original``: of the capture actually served (read from the
    final URL after redirects); ``captured_at``: its ``Memento-Datetime``;
    ``playback_url``: its address for people (``{base}/web/{timestamp}/{original}``);
    ``address``: the ``id_`` address that served the bytes; ``reason``/``headers``:
    the answer's status text and headers as received (``(name, value)``, names in
    their received case), kept in the capture (:mod:`gitnews.archive.captures`).
    """

    timestamp: str
    captured_at: datetime
    original: str
    status: int
    content_type: str | None
    body: bytes
    playback_url: str
    address: str = ""
    reason: str = ""
    headers: tuple[tuple[str, str], ...] = ()


def parse_timestamp(value: str) -> datetime:
    """A 14-digit Wayback timestamp (``20160929171400``) -> aware UTC datetime.

    Raises ValueError when it is not 14 digits or not a real date and time
    (the CDX index holds some, such as month ``00``).
    """
    if not _TS.fullmatch(value):
        raise ValueError(f"timestamp {value!r} is not 14 digits (YYYYMMDDhhmmss)")
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"timestamp {value!r} is not a real date and time") from None


def format_timestamp(when: datetime) -> str:
    """An aware (or UTC naive) datetime -> 14-digit Wayback timestamp (UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y%m%d%H%M%S")


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def capture_url(base_url: str, timestamp: str, original: str) -> str:
    """The address of a capture's original bytes: ``{base}/web/{timestamp}id_/{original}``."""
    return f"{_base(base_url)}/web/{timestamp}id_/{original}"


def playback_url(base_url: str, timestamp: str, original: str) -> str:
    """The address of a capture for people: ``{base}/web/{timestamp}/{original}``."""
    return f"{_base(base_url)}/web/{timestamp}/{original}"


def parse_capture_url(url: str) -> tuple[str, str] | None:
    """``(timestamp, original)`` of a Wayback capture address, or None if it is none."""
    m = _CAPTURE.search(url)
    return (m.group(1), m.group(2)) if m else None


def cdx_query_url(base_url: str, url: str, *, since: datetime | None = None,
                  until: datetime | None = None, resume_key: str | None = None,
                  limit: int = 5000) -> str:
    """The CDX query for the status-200 captures of ``url``, one per distinct payload.

    ``since``/``until`` (inclusive) become ``from``/``to``; ``resume_key`` asks
    for the page after the one that returned it.
    """
    params = [("url", url), ("filter", "statuscode:200"), ("collapse", "digest")]
    if since is not None:
        params.append(("from", format_timestamp(since)))
    if until is not None:
        params.append(("to", format_timestamp(until)))
    params += [("showResumeKey", "true"), ("limit", str(limit))]
    if resume_key is not None:
        params.append(("resumeKey", resume_key))
    return f"{_base(base_url)}/cdx/search/cdx?{urlencode(params)}"


def _parse_line(line_no: int, line: str) -> CdxRecord | CdxProblem:
    fields = line.split()
    shown = line if len(line) <= 200 else line[:199] + "…"
    if len(fields) != len(CDX_FIELDS):
        return CdxProblem(line_no, shown, f"{len(fields)} fields, not the {len(CDX_FIELDS)} of "
                                          f"a CDX line ({' '.join(CDX_FIELDS)})")
    urlkey, ts, original, mimetype, status, digest, length = fields
    try:
        captured = parse_timestamp(ts)
    except ValueError as exc:
        return CdxProblem(line_no, shown, f"{exc}: the capture cannot be placed in time")
    if not is_fetchable(original):
        return CdxProblem(line_no, shown, f"the archived URL {original!r} is not an http(s) URL")
    if status != "-" and not status.isdigit():
        return CdxProblem(line_no, shown, f"the status {status!r} is not a number")
    return CdxRecord(urlkey=urlkey, timestamp=ts, captured_at=captured, original=original,
                     mimetype=mimetype, status=int(status) if status.isdigit() else None,
                     digest=digest, length=int(length) if length.isdigit() else None)


def parse_cdx(text: str) -> CdxPage:
    """Parse one CDX answer (the default plain-text output; see the module docstring).

    Blank lines are ignored; a last line holding one token after a blank line
    is the resume key.  Lines that are not captures become :class:`CdxProblem`
    entries.  Raises :class:`CdxError` when the answer is plainly no CDX
    listing (an HTML or JSON document).
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    page = CdxPage()
    if len(lines) >= 2 and not lines[-2].strip() and len(lines[-1].split()) == 1:
        page.resume_key = lines[-1].strip()
        lines = lines[:-2]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parsed = _parse_line(n, line)
        if isinstance(parsed, CdxRecord):
            page.records.append(parsed)
        else:
            page.problems.append(parsed)
    stripped = text.lstrip("\ufeff \t\r\n")
    if not page.records and page.problems and stripped[:1] in ("<", "{", "["):
        raise CdxError(f"the answer is not a CDX listing but starts with {stripped[:40]!r}")
    return page


def retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or HTTP-date,
    RFC 9110 §10.2.3); None when absent or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class _Pace:
    """At most ``per_s`` requests per second (0 or less: no limit)."""

    def __init__(self, per_s: float, sleep: Callable[[float], None],
                 clock: Callable[[], float]) -> None:
        self.interval = 1.0 / per_s if per_s > 0 else 0.0
        self.sleep, self.clock = sleep, clock
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval

    def slow_down(self) -> None:
        self.interval = min(max(self.interval * 2, 0.5), 60.0)


class WaybackClient:
    """Lists and fetches Wayback Machine captures through ``fetcher``.

    ``base_url``: the Wayback Machine (``https://web.archive.org``); request
    rates in requests per second; ``max_retries``/``max_wait_s``: see the
    module docstring; ``page_size``: CDX lines per request; ``on_wait`` is
    called with a message before every wait caused by the server (429, 5xx).
    Not thread-safe.
    """

    def __init__(self, fetcher: Fetcher, *, base_url: str = "https://web.archive.org",
                 cdx_requests_per_s: float = 1.0, capture_requests_per_s: float = 4.0,
                 max_retries: int = 5, max_wait_s: float = 300.0, page_size: int = 5000,
                 on_wait: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fetcher = fetcher
        self.base_url = _base(base_url)
        self.max_retries = max_retries
        self.max_wait_s = max_wait_s
        self.page_size = page_size
        self.on_wait = on_wait
        self.sleep = sleep
        self._cdx = _Pace(cdx_requests_per_s, sleep, clock)
        self._captures = _Pace(capture_requests_per_s, sleep, clock)

    def _get(self, url: str, pace: _Pace, what: str) -> Page:
        attempt = 0
        while True:
            pace.wait()
            try:
                return self.fetcher.fetch(url)
            except FetchError as exc:
                if not exc.transient or attempt >= self.max_retries:
                    raise
                wait = retry_after_s(getattr(exc, "retry_after", None))
                if exc.status == 429:
                    pace.slow_down()
                if wait is None:
                    wait = min(float(2 ** attempt), self.max_wait_s)
                if wait > self.max_wait_s:
                    raise FetchError(
                        f"the Wayback Machine asks to wait {wait:,.0f} s before {what} ({exc}); "
                        f"that is longer than [wayback] max_wait_s = {self.max_wait_s:g}: "
                        "import again later (an import is restartable)",
                        url=exc.url, status=exc.status, transient=True) from None
                attempt += 1
                if self.on_wait:
                    self.on_wait(f"{exc.status or 'network error'}: waiting {wait:g} s before "
                                 f"{what} (retry {attempt} of {self.max_retries})")
                self.sleep(wait)

    def captures(self, url: str, *, since: datetime | None = None,
                 until: datetime | None = None) -> Iterator[CdxRecord | CdxProblem]:
        """Every status-200 capture of ``url`` (one per distinct payload), page by page.

        Also yields a :class:`CdxProblem` for each line that is no capture.
        Raises :class:`~gitnews.errors.FetchError` when the CDX API cannot be
        asked (a blocked site answers 403) and :class:`CdxError` when it
        answers with something else than a listing.
        """
        resume: str | None = None
        seen_keys: set[str] = set()
        while True:
            query = cdx_query_url(self.base_url, url, since=since, until=until,
                                  resume_key=resume, limit=self.page_size)
            page = self._get(query, self._cdx, f"listing the captures of {url}")
            text = page.body.decode("utf-8", "replace")
            try:
                parsed = parse_cdx(text)
            except CdxError as exc:
                raise CdxError(f"the Wayback Machine's CDX answer for {url} is unusable: {exc}; "
                               f"check [wayback] base_url ({self.base_url})") from None
            yield from parsed.problems
            yield from parsed.records
            resume = parsed.resume_key
            if resume is None or resume in seen_keys:
                return
            seen_keys.add(resume)

    def fetch(self, record: CdxRecord) -> FetchedCapture:
        """The original bytes of the capture ``record`` lists (the ``id_`` address).

        The capture time is the response's ``Memento-Datetime`` (RFC 7089
        §2.1.1), which every memento carries; a response without it is a page
        of the Wayback Machine itself (an excluded URL, an error), not a
        capture.  Raises :class:`~gitnews.errors.FetchError` when the capture
        cannot be fetched, :class:`CdxError` when the answer is no capture.
        """
        address = capture_url(self.base_url, record.timestamp, record.original)
        page = self._get(address, self._captures,
                         f"fetching the capture of {record.original} at {record.timestamp}")
        memento = next((v for k, v in page.headers if k == "memento-datetime"), None)
        try:
            captured = parsedate_to_datetime(memento) if memento else None
        except (TypeError, ValueError, IndexError):
            captured = None
        if captured is None:
            raise CdxError(
                f"{address} answered without a valid Memento-Datetime header, so it is no "
                "capture but a page of the Wayback Machine itself (is the URL excluded from "
                "the Wayback Machine? open the address in a browser to see)")
        if captured.tzinfo is None:
            captured = captured.replace(tzinfo=UTC)
        timestamp, original = parse_capture_url(page.final_url) or (record.timestamp,
                                                                    record.original)
        return FetchedCapture(timestamp=timestamp, captured_at=captured.astimezone(UTC),
                              original=original, status=page.status,
                              content_type=page.content_type, body=page.body,
                              playback_url=playback_url(self.base_url, timestamp, original),
                              address=page.final_url,
                              reason=page.exchange.reason if page.exchange else "",
                              headers=(page.exchange.response_headers if page.exchange
                                       else page.headers))
