"""The HTTP client: fetch pages and feeds with httpx, politely.

* Proxies from the environment (``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``)
  are honoured (httpx ``trust_env``).
* Redirects are followed by hand, at most ``max_redirects``, so that every hop
  is recorded and checked: only ``http``/``https`` URLs are ever requested,
  and every hop obeys its host's robots.txt and limits.
* Bodies are read as raw bytes, decompressed from the transfer
  ``Content-Encoding`` (:mod:`gitnews.sources.guard`) but never decoded to text
  (charset detection is the extractor's job).  The decoded size is capped at
  ``max_bytes`` (a compression bomb stops there) and each response at
  ``timeout_s`` seconds (a server that trickles bytes cannot hold a fetch
  forever).
* Every answer's exchange is recorded (:class:`~gitnews.models.Exchange`, the
  raw material of a capture: :mod:`gitnews.archive.captures`): the request
  line and the headers sent (never :data:`SECRET_HEADERS`, nor user info of the
  URL), the status line and headers as received, and the body as kept.  The
  body is the decoded one (``Content-Encoding`` undone, at most ``max_bytes``:
  a gzip bomb is never kept decompressed beyond the cap).  A body over
  ``max_bytes`` still raises :class:`~gitnews.errors.TooLargeError`, whose
  ``exchange`` holds the first ``max_bytes`` marked ``truncated``; a 4xx/5xx
  raises :class:`~gitnews.errors.HTTPStatusError` whose ``exchange`` has the
  status line and headers (its body is not read: empty, ``truncated`` when
  some of it was dropped).
* Conditional requests: pass the stored ``etag``/``last_modified`` and a 304
  comes back as a :class:`~gitnews.models.Page` with ``status=304``.
* httpx's exceptions become gitnews errors in :func:`gitnews.errors.from_httpx`.

Politeness (``docs/polite-fetching.md``; the rules are kept by
:class:`~gitnews.sources.politeness.Politeness`, which every :class:`Fetcher`
holds, and :mod:`gitnews.sources.robots`):

* An honest ``User-Agent``: ``gitnews/<version> (+<contact>)``.
* robots.txt (RFC 9309) is read before anything else on an origin and kept for
  :data:`~gitnews.sources.robots.ROBOTS_TTL_S` (a day; callers persist it with
  :meth:`Fetcher.export_state` / :meth:`Fetcher.load_state`).  Disallowed URLs
  raise :class:`~gitnews.errors.RobotsDisallowedError` without any request;
  ``ignore_robots_for`` lists hosts exempted by the user.
* Per host (by host name): at most ``per_host`` requests at once, and their
  starts at least ``max(min_delay_s, Crawl-delay)`` apart; at most
  ``concurrency`` requests at once in all.
* 429, and 503 with ``Retry-After`` (delta-seconds, decimals allowed, or an
  HTTP-date: RFC 9110 §10.2.3): that host alone is backed off until then,
  and no request to it starts before that time, in any thread, also one that
  was already waiting for its slot when the answer came (it waits again);
  within ``max_wait_s`` the fetch waits and asks again, otherwise it raises
  :class:`~gitnews.errors.HostBackoffError` (and so does any fetch for that
  host until the time has passed), which is neither the article's failure
  nor the run's.
* Timeouts, connection errors and other 5xx are retried ``retries`` times
  after ``retry_base_s × 2^(k-1)`` seconds with ±50 % jitter.
"""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from gitnews._version import __version__
from gitnews.errors import (
    BlockedURLError,
    FetchError,
    HostBackoffError,
    HTTPStatusError,
    RobotsDisallowedError,
    TooLargeError,
    from_httpx,
)
from gitnews.format.urls import is_fetchable
from gitnews.models import Exchange, Page
from gitnews.sources import guard as httpguard
from gitnews.sources.politeness import (
    DEFAULT_BACKOFF_S,
    HostRow,
    Politeness,
    RobotsRow,
    host_key,
    parse_retry_after,
    rfc3339,
)
from gitnews.sources.robots import REDIRECT_STATUSES, ROBOTS_MAX_BYTES

if TYPE_CHECKING:
    from gitnews.config import FetchSettings

__all__ = ["Fetcher", "make_fetcher", "user_agent", "DRAIN_MAX_BYTES", "SECRET_HEADERS",
           "safe_url"]

#: Request headers never recorded in an exchange (lower case): credentials and
#: cookies (the proxy's credentials travel in ``Proxy-Authorization``).
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def user_agent(contact: str = "") -> str:
    """``gitnews/<version> (+<contact>)``; without a contact, the project's page."""
    base = f"gitnews/{__version__}"
    return f"{base} (+{contact})" if contact else f"{base} (+https://pypi.org/project/gitnews/)"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Response:
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes
    fetched_at: datetime
    url: str = ""
    exchange: Exchange | None = None


def _latin1(pairs: Iterable[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    """Raw header pairs as text: ISO-8859-1, the bytes of HTTP/1.1 headers (RFC 9110 §5.5)."""
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs)


def safe_url(url: str) -> str:
    """``url`` without user info (``user:password@``): what is recorded of a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _record(resp: httpx.Response, *, url: str, body: bytes, sent_at: datetime,
            truncated: bool) -> Exchange:
    """The exchange of ``resp`` (sent to ``url``) as recorded: secrets left out."""
    request = resp.request
    sent = tuple((k, v) for k, v in _latin1(request.headers.raw)
                 if k.lower() not in SECRET_HEADERS)
    return Exchange(method=request.method, url=safe_url(url),
                    http_version=resp.http_version or "HTTP/1.1", request_headers=sent,
                    status=resp.status_code, reason=resp.reason_phrase,
                    response_headers=_latin1(resp.headers.raw), body=body,
                    sent_at=sent_at, truncated=truncated)


def _tls_context() -> ssl.SSLContext:
    """The TLS context of every transport of a Fetcher's client, made once: what httpx
    makes by default (``httpx.create_ssl_context()``: certifi's CA bundle, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` from the environment), which httpx would
    otherwise load again for each transport (one per proxy from ``HTTP_PROXY`` and
    the like; about 0.1 s of CPU each)."""
    return httpx.create_ssl_context(trust_env=True)


class Fetcher:
    """A reusable, thread-safe HTTP client (one connection pool) that keeps the
    rules above for every request it makes.

    Keyword-only options: ``timeout_s`` (each response, seconds),
    ``connect_timeout_s``, ``max_bytes`` (decoded body), ``max_redirects``,
    ``concurrency`` (requests at once in all), ``per_host`` (at once per host),
    ``min_delay_s`` (between request starts per host), ``retries`` and
    ``retry_base_s`` (transient failures), ``max_wait_s`` (longest wait for a
    host within one fetch), ``contact`` (for the User-Agent),
    ``obey_robots`` (False only for tests of other things),
    ``ignore_robots_for`` (host names whose robots.txt the user may ignore;
    subdomains included), ``now`` (the clock: aware UTC datetimes; the
    ``fetched_at`` of pages, robots.txt ages, ``Retry-After`` dates).
    Use as a context manager or call :meth:`close`.
    """

    def __init__(self, *, timeout_s: float = 30.0, connect_timeout_s: float = 10.0,
                 max_bytes: int = 10_000_000, max_redirects: int = 10,
                 concurrency: int = 8, per_host: int = 2, min_delay_s: float = 1.0,
                 retries: int = 2, retry_base_s: float = 1.0, max_wait_s: float = 60.0,
                 contact: str = "", obey_robots: bool = True,
                 ignore_robots_for: Iterable[str] = (),
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = max(retries, 0)
        self.retry_base_s = max(retry_base_s, 0.0)
        self.max_wait_s = max(max_wait_s, 0.0)
        self.user_agent = user_agent(contact)
        self._now = now
        #: The clock this fetcher uses (aware UTC datetimes).
        self.clock = now
        #: robots.txt, pacing and back-off of every host this fetcher asks.
        self.politeness = Politeness(concurrency=concurrency, per_host=per_host,
                                     min_delay_s=min_delay_s, max_wait_s=max_wait_s,
                                     obey_robots=obey_robots, ignore_robots_for=ignore_robots_for,
                                     now=now)
        self._random = random.Random()
        self._client = httpx.Client(
            trust_env=True,
            verify=_tls_context(),
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max(concurrency, 1) * 2,
                                max_keepalive_connections=max(concurrency, 1)),
            headers={"User-Agent": self.user_agent,
                     "Accept-Encoding": httpguard.ACCEPT_ENCODING,
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
                               "application/rss+xml,application/atom+xml,application/feed+json,"
                               "*/*;q=0.8"},
        )
        # A total deadline per request, not only per read (see gitnews.sources.guard).
        httpguard.install(self._client)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- stopping ----------------------------------------------------------------------
    def interrupt(self) -> None:
        """Make every wait (for a host slot, a back-off, a retry) end now with
        :class:`HostBackoffError`; requests already sent finish.  Until :meth:`resume`."""
        self.politeness.interrupt()

    def resume(self) -> None:
        """Undo :meth:`interrupt`."""
        self.politeness.resume()

    # -- persistence of host knowledge ---------------------------------------------------------
    def load_state(self, *, robots: Iterable[RobotsRow] = (), hosts: Iterable[HostRow] = ()) -> None:
        """Take what earlier runs learnt: robots.txt copies (dicts with ``origin``,
        ``status``, ``body``, ``fetched_at``, ``expires_at``) and host back-offs
        (``host``, ``backoff_until``, ``last_request``); times RFC 3339 strings.
        Newer knowledge already in memory wins."""
        self.politeness.load_state(robots=robots, hosts=hosts)

    def export_state(self) -> tuple[list[RobotsRow], list[HostRow]]:
        """What changed since the last export: ``(robots rows, host rows)``,
        the shapes :meth:`load_state` takes."""
        return self.politeness.export_state()

    def host_wait_s(self, url: str) -> float:
        """Seconds before a new request to ``url``'s host could start (0: now):
        its back-off and its delay since the last request."""
        return self.politeness.host_wait_s(url)

    def _retry_pause(self, attempt: int, url: str) -> None:
        base = self.retry_base_s * 2 ** (attempt - 1)
        self.politeness.pause(base * self._random.uniform(0.5, 1.5), url)

    # -- requests ------------------------------------------------------------------------
    def _exchange(self, url: str, headers: dict[str, str], *, original: str, max_bytes: int,
                  truncate: bool) -> _Response:
        """One HTTP GET, no redirects followed; the body is read for 2xx only."""
        fetched_at = self._now()
        sent_at = fetched_at.replace(microsecond=0)  # the Page's fetched_at, WARC-Date
        deadline = time.monotonic() + self.timeout_s
        try:
            with httpguard.deadline(deadline), \
                    self._client.stream("GET", url, headers=headers) as resp:
                body = b""
                cut = False
                if 200 <= resp.status_code < 300:
                    try:
                        body, cut = _read(resp, url=original, deadline=deadline,
                                          max_bytes=max_bytes, truncate=truncate,
                                          timeout_s=self.timeout_s)
                    except _Over as over:
                        err = TooLargeError(
                            f"{original} is over the limit of {max_bytes:,} bytes "
                            "(fetch.max_bytes" + (", after decompression"
                                                  if "content-encoding" in resp.headers else "")
                            + "); nothing of it was stored", url=original,
                            status=resp.status_code)
                        err.exchange = _record(resp, url=url, body=over.args[0],
                                               sent_at=sent_at, truncated=True)
                        raise err from None
                    except TooLargeError as exc:  # declared too large: not read
                        exc.exchange = _record(resp, url=url, body=b"", sent_at=sent_at,
                                               truncated=True)
                        raise
                else:
                    cut = _drain(resp, deadline=deadline)
                return _Response(status=resp.status_code, reason=resp.reason_phrase,
                                 headers=resp.headers, body=body, fetched_at=fetched_at, url=url,
                                 exchange=_record(resp, url=url, body=body, sent_at=sent_at,
                                                  truncated=cut))
        except (httpx.InvalidURL, httpx.HTTPError) as exc:  # InvalidURL: e.g. a redirect's Location
            raise from_httpx(exc, url=url, reported_url=original,
                             timeout_s=self.timeout_s) from None

    def _request(self, url: str, headers: dict[str, str], *, original: str,
                 max_bytes: int | None = None, truncate: bool = False) -> _Response:
        """One request with the host's limits, back-off and retries."""
        attempt = 0
        while True:
            h = self.politeness.reserve(url, original)
            try:
                try:
                    resp = self._exchange(url, headers, original=original,
                                          max_bytes=max_bytes or self.max_bytes, truncate=truncate)
                finally:
                    self.politeness.all_hosts.release()
            except FetchError as exc:
                if exc.transient and attempt < self.retries:
                    attempt += 1
                    h.sem.release()
                    self._retry_pause(attempt, original)
                    continue
                h.sem.release()
                raise
            h.sem.release()
            retry_after = resp.headers.get("retry-after")
            if resp.status == 429 or (resp.status == 503 and retry_after is not None):
                wait = parse_retry_after(retry_after, self._now())
                if wait is None:
                    wait = DEFAULT_BACKOFF_S if resp.status == 429 else None
                if wait is not None:
                    until = self.politeness.back_off(url, wait)
                    if attempt < self.retries and wait <= self.max_wait_s:
                        attempt += 1
                        continue
                    raise HostBackoffError(
                        f"{host_key(url)} answered HTTP {resp.status} {resp.reason} with "
                        f"Retry-After: {retry_after}; it is not asked again before "
                        f"{rfc3339(until)[:19]}Z and {original} is left for a later run",
                        url=original, retry_at=until, status=resp.status)
            if resp.status >= 500 and attempt < self.retries:
                attempt += 1
                self._retry_pause(attempt, original)
                continue
            return resp

    # -- robots.txt ----------------------------------------------------------------------
    def _check_robots(self, url: str, original: str) -> None:
        def get(target: str) -> _Response:
            return self._request(target, {}, original=original, max_bytes=ROBOTS_MAX_BYTES,
                                 truncate=True)

        self.politeness.check_robots(url, original, get)

    def allowed(self, url: str) -> bool:
        """True when robots.txt lets gitnews fetch ``url`` (reads robots.txt when needed).

        Raises what :meth:`fetch` raises for robots.txt itself.
        """
        try:
            self._check_robots(url, url)
        except RobotsDisallowedError:
            return False
        return True

    # -- the public fetch ----------------------------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> Page:
        """GET ``url``, following redirects; returns a :class:`Page`.

        Raises :class:`BlockedURLError` (not http/https, also after a redirect),
        :class:`RobotsDisallowedError` (robots.txt disallows it; nothing was
        requested), :class:`HostBackoffError` (the host asked to wait),
        :class:`TooLargeError` (body over ``max_bytes``),
        :class:`HTTPStatusError` (4xx/5xx; ``transient`` for 5xx) and
        :class:`FetchError` (timeouts, connection errors, too many redirects,
        robots.txt unreachable; ``transient=True``).
        """
        current = url
        chain: list[str] = []
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        while True:
            if not is_fetchable(current):
                raise BlockedURLError(
                    f"refusing to fetch {current!r}: only http and https URLs are fetched"
                    + (f" (redirected from {url})" if chain else ""), url=url)
            self._check_robots(current, url)
            resp = self._request(current, headers, original=url)
            location = resp.headers.get("location")
            if resp.status in REDIRECT_STATUSES and location:
                chain.append(current)
                if len(chain) > self.max_redirects:
                    raise FetchError(
                        f"more than {self.max_redirects} redirects from {url}; "
                        "the site may loop — check the URL in a browser", url=url)
                nxt = urljoin(current, location.strip())
                if nxt in chain:
                    raise FetchError(f"redirect loop at {nxt} (from {url})", url=url)
                current = nxt
                continue
            if resp.status < 400 and resp.status not in (200, 203, 304):
                # 3xx without Location, 204, 206...: no page to keep.
                what = "a redirect with no Location header" if 300 <= resp.status < 400 else "no page"
                raise FetchError(f"{current} answered with status {resp.status} ({what}); "
                                 "nothing of it was stored", url=url, status=resp.status)
            if resp.status >= 400:
                transient = resp.status >= 500
                failure = HTTPStatusError(
                    f"HTTP {resp.status} {resp.reason} for {current}"
                    + ("; the server is failing, it will be retried"
                       if transient else "; check that the URL is still valid"),
                    url=url, status=resp.status, transient=transient)
                failure.exchange = resp.exchange
                raise failure
            return Page(url=url, final_url=current, status=resp.status, body=resp.body,
                        fetched_at=resp.fetched_at.replace(microsecond=0),
                        content_type=resp.headers.get("content-type"),
                        etag=resp.headers.get("etag"),
                        last_modified=resp.headers.get("last-modified"),
                        redirects=tuple(chain),
                        headers=tuple((k.lower(), v) for k, v in resp.headers.multi_items()),
                        exchange=resp.exchange)


#: The most of a body not kept (304, redirect, error page) read so that its
#: connection can serve the next request; a longer one closes the connection.
DRAIN_MAX_BYTES = 64 * 1024


def _read(resp: httpx.Response, *, url: str, deadline: float, max_bytes: int, truncate: bool,
          timeout_s: float) -> tuple[bytes, bool]:
    """The body of a response that is kept, decoded within ``max_bytes`` (cut there
    with ``truncate``, else :class:`_Over` with its first ``max_bytes`` bytes;
    a declared ``Content-Length`` over the cap: :class:`TooLargeError`) and read by ``deadline``
    (monotonic seconds; ``timeout_s`` is the limit it came from, for the message).
    Returns ``(body, cut)``: ``cut`` is True when the body was cut at ``max_bytes``."""
    declared = resp.headers.get("content-length")
    if not truncate and declared and declared.isdigit() \
            and "content-encoding" not in resp.headers and int(declared) > max_bytes:
        raise TooLargeError(f"{url} is {int(declared):,} bytes, over the limit of "
                            f"{max_bytes:,} (fetch.max_bytes)", url=url,
                            status=resp.status_code)
    # Raw bytes, decoded here within max_bytes (httpx's own decoding is unbounded).
    # One byte more than the cap, cut there: a body of exactly max_bytes is whole, a
    # longer one is too large (or truncated) and its first max_bytes are still known.
    decoder = httpguard.BoundedDecoder(resp.headers.get("content-encoding"),
                                       max_bytes=max_bytes + 1, url=url,
                                       status=resp.status_code, truncate=True)
    for chunk in resp.iter_raw():
        decoder.feed(chunk)
        if decoder.full:
            break
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took longer than {timeout_s:g} s to send; "
                             "it will be retried on the next run", url=url, transient=True)
    body = decoder.finish()
    if len(body) <= max_bytes:
        return body, False
    if truncate:
        return body[:max_bytes], True
    raise _Over(body[:max_bytes])


class _Over(Exception):
    """A body over ``max_bytes``: its first ``max_bytes`` bytes (``args[0]``)."""


def _drain(resp: httpx.Response, *, deadline: float) -> bool:
    """Read and drop the rest of a response whose body is not kept, so that the
    connection goes back to the pool (httpcore closes a connection whose
    response was not read to its end, even an empty one such as a 304's).
    Stops at :data:`DRAIN_MAX_BYTES` or ``deadline`` (monotonic seconds): the
    connection is then closed instead.  True when some body bytes were dropped
    (the recorded exchange is then marked truncated)."""
    left = DRAIN_MAX_BYTES
    try:
        for chunk in resp.iter_raw():
            left -= len(chunk)
            if left < 0 or time.monotonic() > deadline:
                return True
    except httpx.HTTPError:
        pass  # the connection is closed; the answer was already complete enough
    return left < DRAIN_MAX_BYTES


def make_fetcher(settings: FetchSettings, *, now: Callable[[], datetime] = _utcnow) -> Fetcher:
    """A :class:`Fetcher` from a :class:`gitnews.config.FetchSettings`."""
    s = settings
    return Fetcher(timeout_s=s.timeout_s, connect_timeout_s=s.connect_timeout_s,
                   max_bytes=s.max_bytes, max_redirects=s.max_redirects,
                   concurrency=s.concurrency, per_host=s.per_host, min_delay_s=s.min_delay_s,
                   retries=s.retries, retry_base_s=s.retry_base_s, max_wait_s=s.max_wait_s,
                   contact=s.contact, ignore_robots_for=s.ignore_robots_for, now=now)
