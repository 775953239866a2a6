"""The only HTTP module: fetch pages and feeds with httpx, politely.

* Proxies from the environment (``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``)
  are honoured (httpx ``trust_env``).
* Redirects are followed by hand, at most ``max_redirects``, so that every hop
  is recorded and checked: only ``http``/``https`` URLs are ever requested,
  and every hop obeys its host's robots.txt and limits.
* Bodies are read as raw bytes, decompressed by httpx from the transfer
  ``Content-Encoding`` but never decoded to text (charset detection is the
  extractor's job).  The decoded size is capped at ``max_bytes`` (a
  compression bomb stops there) and each response at ``timeout_s`` seconds
  (a server that trickles bytes cannot hold a fetch forever).
* Conditional requests: pass the stored ``etag``/``last_modified`` and a 304
  comes back as a :class:`~gitnews.models.Page` with ``status=304``.

Politeness (``docs/polite-fetching.md``):

* An honest ``User-Agent``: ``gitnews/<version> (+<contact>)``.
* robots.txt (RFC 9309, parsed by protego) is read before anything else on an
  origin and kept for :data:`ROBOTS_TTL_S` (a day; callers persist it with
  :meth:`Fetcher.export_state` / :meth:`Fetcher.load_state`).  A 2xx answer's
  rules apply (the ``gitnews`` group, else ``*``); a 4xx means no rules
  (§2.3.1.3); a 5xx or network error means "unreachable": the last copy is
  used when there is one, otherwise nothing is fetched from that origin
  (§2.3.1.4).  At most :data:`ROBOTS_MAX_BYTES` are read (§2.5), at most 5
  redirects followed (§2.3.1.2).  ``Crawl-delay`` raises the host's delay.
  Disallowed URLs raise :class:`~gitnews.errors.RobotsDisallowedError`
  without any request; ``ignore_robots_for`` lists hosts exempted by the user.
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

import email.utils
import functools
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from gitnews import __version__
from gitnews.errors import (
    BlockedURLError,
    FetchError,
    HostBackoffError,
    HTTPStatusError,
    RobotsDisallowedError,
    TooLargeError,
)
from gitnews.format.trailers import parse_time as _parse_time
from gitnews.format.urls import is_fetchable
from gitnews.models import Page
from gitnews.sources import guard as httpguard

__all__ = ["Fetcher", "make_fetcher", "user_agent", "post_json", "parse_retry_after", "ROBOTS_TOKEN",
           "ROBOTS_TTL_S", "ROBOTS_MAX_BYTES", "host_key"]

#: The product token matched against robots.txt ``User-agent`` lines.
ROBOTS_TOKEN = "gitnews"
#: How long a robots.txt is used before it is read again (seconds): a day.
ROBOTS_TTL_S = 86400.0
#: When robots.txt could not be read, how long before trying again (seconds).
ROBOTS_RETRY_S = 600.0
#: The most of a robots.txt that is read (RFC 9309 §2.5: at least 500 KiB).
ROBOTS_MAX_BYTES = 500 * 1024
#: Back-off after a 429 that gives no usable ``Retry-After`` (seconds).
DEFAULT_BACKOFF_S = 60.0
#: A ``Retry-After`` further away than this is cut to it (seconds): a week.
MAX_RETRY_AFTER_S = 7 * 86400.0

_REDIRECTS = (301, 302, 303, 307, 308)
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def user_agent(contact: str = "") -> str:
    """``gitnews/<version> (+<contact>)``; without a contact, the project's page."""
    base = f"gitnews/{__version__}"
    return f"{base} (+{contact})" if contact else f"{base} (+https://pypi.org/project/gitnews/)"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _rfc3339(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if dt else None




def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value, or None when unusable.

    Both forms of RFC 9110 §10.2.3: delta-seconds (decimals accepted, as some
    servers send them) and an HTTP-date (compared with ``now``, an aware UTC
    datetime).  The result is within ``[0, MAX_RETRY_AFTER_S]``.
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


@functools.lru_cache(maxsize=1 << 14)  # pure, and asked several times per request
def host_key(url: str) -> str:
    """The host whose limits apply to ``url``: its lower-cased host name."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


@dataclass
class _Host:
    sem: threading.BoundedSemaphore
    next_slot: float = 0.0             # monotonic time the next request may start
    backoff_until: datetime | None = None
    backoffs: int = 0                  # times backoff_until was moved later (see _reserve)
    last_request: datetime | None = None
    crawl_delay_s: float = 0.0
    dirty: bool = False


@dataclass
class _Robots:
    status: int | None                 # robots.txt's HTTP status; None: unreachable
    body: str | None
    fetched_at: datetime
    expires_at: datetime
    parser: object | None = None       # protego.Protego, or None: everything allowed
    dirty: bool = False


@dataclass
class _Response:
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes
    fetched_at: datetime
    url: str = ""
    extra: dict = field(default_factory=dict)


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
        self.per_host = max(per_host, 1)
        self.min_delay_s = max(min_delay_s, 0.0)
        self.retries = max(retries, 0)
        self.retry_base_s = max(retry_base_s, 0.0)
        self.max_wait_s = max(max_wait_s, 0.0)
        self.obey_robots = obey_robots
        self.ignore_robots_for = tuple(h.strip().lower().lstrip(".")
                                       for h in ignore_robots_for if h.strip())
        self.user_agent = user_agent(contact)
        self._now = now
        #: The clock this fetcher uses (aware UTC datetimes).
        self.clock = now
        self._global = threading.BoundedSemaphore(max(concurrency, 1))
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._cancel = threading.Event()
        self._random = random.Random()
        self._client = httpx.Client(
            trust_env=True,
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
        self._cancel.set()

    def resume(self) -> None:
        """Undo :meth:`interrupt`."""
        self._cancel.clear()

    def _pause(self, seconds: float, url: str) -> None:
        if seconds > 0 and self._cancel.wait(seconds):
            raise HostBackoffError(f"not fetched {url}: gitnews is stopping", url=url)
        if self._cancel.is_set():
            raise HostBackoffError(f"not fetched {url}: gitnews is stopping", url=url)

    # -- persistence of host knowledge ---------------------------------------------------------
    def load_state(self, *, robots: Iterable[dict] = (), hosts: Iterable[dict] = ()) -> None:
        """Take what earlier runs learnt: robots.txt copies (dicts with ``origin``,
        ``status``, ``body``, ``fetched_at``, ``expires_at``) and host back-offs
        (``host``, ``backoff_until``, ``last_request``); times RFC 3339 strings.
        Newer knowledge already in memory wins."""
        from protego import Protego

        mono, now = time.monotonic(), self._now()
        with self._lock:
            for row in robots:
                fetched = _parse_time(row["fetched_at"])
                old = self._robots.get(row["origin"])
                if fetched is None or (old and old.fetched_at >= fetched):
                    continue
                body = row.get("body")
                parser = Protego.parse(body) if row.get("status") and 200 <= row["status"] < 300 \
                    and body is not None else None
                self._robots[row["origin"]] = _Robots(
                    status=row.get("status"), body=body, fetched_at=fetched,
                    expires_at=_parse_time(row["expires_at"]) or fetched, parser=parser)
                if parser is not None:
                    self._host(urlsplit(row["origin"]).hostname or "").crawl_delay_s = \
                        _crawl_delay(parser)
            for row in hosts:
                h = self._host(row["host"])
                until = _parse_time(row.get("backoff_until"))
                if until and (h.backoff_until is None or until > h.backoff_until):
                    h.backoff_until = until
                    h.backoffs += 1
                last = _parse_time(row.get("last_request"))
                if last and (h.last_request is None or last > h.last_request):
                    h.last_request = last
                    gap = self._delay(h) - (now - last).total_seconds()
                    h.next_slot = max(h.next_slot, mono + gap)

    def export_state(self) -> tuple[list[dict], list[dict]]:
        """What changed since the last export: ``(robots rows, host rows)``,
        the shapes :meth:`load_state` takes."""
        with self._lock:
            robots = [{"origin": o, "status": r.status, "body": r.body,
                       "fetched_at": _rfc3339(r.fetched_at), "expires_at": _rfc3339(r.expires_at)}
                      for o, r in self._robots.items() if r.dirty]
            hosts = [{"host": k, "backoff_until": _rfc3339(h.backoff_until),
                      "last_request": _rfc3339(h.last_request)}
                     for k, h in self._hosts.items() if h.dirty]
            for r in self._robots.values():
                r.dirty = False
            for h in self._hosts.values():
                h.dirty = False
        return robots, hosts

    # -- host limits ---------------------------------------------------------------------
    def _host(self, key: str) -> _Host:
        """The limits of host ``key`` (call with ``self._lock`` held)."""
        h = self._hosts.get(key)
        if h is None:
            h = self._hosts[key] = _Host(sem=threading.BoundedSemaphore(self.per_host))
        return h

    def _delay(self, h: _Host) -> float:
        return max(self.min_delay_s, h.crawl_delay_s)

    def host_wait_s(self, url: str) -> float:
        """Seconds before a new request to ``url``'s host could start (0: now):
        its back-off and its delay since the last request."""
        with self._lock:
            h = self._hosts.get(host_key(url))
            if h is None:
                return 0.0
            wait = h.next_slot - time.monotonic()
            if h.backoff_until is not None:
                wait = max(wait, (h.backoff_until - self._now()).total_seconds())
            return max(wait, 0.0)

    def _reserve(self, url: str, original: str) -> _Host:
        """Take a request slot on ``url``'s host and one of the ``concurrency``
        slots, waiting for them when that is within ``max_wait_s``; the request
        may then be sent at once.  The caller releases ``host.sem`` and
        ``self._global``.

        A back-off that the host asked for while this request waited (a 429 or
        503 with ``Retry-After`` to another request) holds for it too: the slot
        is planned again after it, so no request starts before the time a
        ``Retry-After`` gave (issue 13)."""
        key = host_key(url)
        with self._lock:
            h = self._host(key)
        while not h.sem.acquire(timeout=0.2):
            if self._cancel.is_set():
                raise HostBackoffError(f"not fetched {url}: gitnews is stopping", url=original)
        try:
            while True:
                with self._lock:
                    mono, now = time.monotonic(), self._now()
                    start = max(mono, h.next_slot)
                    if h.backoff_until is not None and h.backoff_until > now:
                        start = max(start, mono + (h.backoff_until - now).total_seconds())
                    if start - mono > self.max_wait_s:
                        retry_at = now + timedelta(seconds=start - mono)
                        raise HostBackoffError(
                            f"{key} may not be asked before {_rfc3339(retry_at)[:19]}Z (it asked "
                            f"to wait, or its crawl delay leaves no slot within fetch.max_wait_s="
                            f"{self.max_wait_s:g} s); {url} is left for a later run",
                            url=original, retry_at=retry_at)
                    h.next_slot = start + self._delay(h)
                    h.last_request = now + timedelta(seconds=start - mono)
                    h.dirty = True
                    planned = h.backoffs
                self._pause(start - mono, original)
                while not self._global.acquire(timeout=0.2):
                    if self._cancel.is_set():
                        raise HostBackoffError(f"not fetched {url}: gitnews is stopping",
                                               url=original)
                with self._lock:
                    if h.backoffs == planned or h.backoff_until <= self._now():
                        return h  # no back-off came while this request waited, or it is over
                self._global.release()
        except BaseException:
            h.sem.release()
            raise

    def _back_off(self, url: str, seconds: float) -> datetime:
        with self._lock:
            h = self._host(host_key(url))
            until = self._now() + timedelta(seconds=seconds)
            if h.backoff_until is None or until > h.backoff_until:
                h.backoff_until = until
                h.backoffs += 1
                h.dirty = True
            return h.backoff_until

    def _retry_pause(self, attempt: int, url: str) -> None:
        base = self.retry_base_s * 2 ** (attempt - 1)
        self._pause(base * self._random.uniform(0.5, 1.5), url)

    # -- requests ------------------------------------------------------------------------
    def _exchange(self, url: str, headers: dict[str, str], *, original: str, max_bytes: int,
                  truncate: bool) -> _Response:
        """One HTTP GET, no redirects followed; the body is read for 2xx only."""
        fetched_at = self._now()
        deadline = time.monotonic() + self.timeout_s
        try:
            with httpguard.deadline(deadline), \
                    self._client.stream("GET", url, headers=headers) as resp:
                body = b""
                if 200 <= resp.status_code < 300:
                    body = self._read(resp, url=original, deadline=deadline,
                                      max_bytes=max_bytes, truncate=truncate)
                else:
                    _drain(resp, deadline=deadline)
                return _Response(status=resp.status_code, reason=resp.reason_phrase,
                                 headers=resp.headers, body=body, fetched_at=fetched_at, url=url)
        except httpx.InvalidURL as exc:  # e.g. httpx reading a redirect's Location
            raise BlockedURLError(f"refusing to fetch {url!r} or follow its redirect: "
                                  f"not a valid URL ({exc})", url=original) from None
        except httpx.TimeoutException:
            raise FetchError(f"timed out fetching {url} (limit {self.timeout_s:g} s); "
                             "it will be retried on the next run", url=original,
                             transient=True) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"could not fetch {url}: {exc.__class__.__name__}: {exc}; "
                             "check the network or proxy settings", url=original,
                             transient=True) from None

    def _request(self, url: str, headers: dict[str, str], *, original: str,
                 max_bytes: int | None = None, truncate: bool = False) -> _Response:
        """One request with the host's limits, back-off and retries."""
        attempt = 0
        while True:
            h = self._reserve(url, original)
            try:
                try:
                    resp = self._exchange(url, headers, original=original,
                                          max_bytes=max_bytes or self.max_bytes, truncate=truncate)
                finally:
                    self._global.release()
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
                    until = self._back_off(url, wait)
                    if attempt < self.retries and wait <= self.max_wait_s:
                        attempt += 1
                        continue
                    raise HostBackoffError(
                        f"{host_key(url)} answered HTTP {resp.status} {resp.reason} with "
                        f"Retry-After: {retry_after}; it is not asked again before "
                        f"{_rfc3339(until)[:19]}Z and {original} is left for a later run",
                        url=original, retry_at=until, status=resp.status)
            if resp.status >= 500 and attempt < self.retries:
                attempt += 1
                self._retry_pause(attempt, original)
                continue
            return resp

    # -- robots.txt ----------------------------------------------------------------------
    def _exempt(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.ignore_robots_for)

    def _robots_for(self, url: str, original: str) -> _Robots:
        from protego import Protego

        origin = _origin(url)
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            now = self._now()
            old = self._robots.get(origin)
            if old is not None and now < old.expires_at:
                return old
            target, status, body, reason = origin + "/robots.txt", None, None, ""
            try:
                for _ in range(6):  # the first request and at most 5 redirects
                    resp = self._request(target, {}, original=original,
                                         max_bytes=ROBOTS_MAX_BYTES, truncate=True)
                    location = resp.headers.get("location")
                    if resp.status in _REDIRECTS and location:
                        nxt = urljoin(target, location.strip())
                        if not is_fetchable(nxt):
                            break
                        target = nxt
                        continue
                    status, body = resp.status, resp.body.decode("utf-8", "replace")
                    reason = f"HTTP {resp.status}"
                    break
                else:
                    reason = "too many redirects"
            except HostBackoffError:
                raise
            except FetchError as exc:
                reason = str(exc)
            if status is not None and status < 500 and not (300 <= status < 400):
                parser = Protego.parse(body) if 200 <= status < 300 else None
                entry = _Robots(status=status, body=body if parser is not None else None,
                                fetched_at=now, expires_at=now + timedelta(seconds=ROBOTS_TTL_S),
                                parser=parser, dirty=True)
            elif old is not None and old.status is not None:
                # Unreachable now: keep using the last copy (RFC 9309 §2.4), try again later.
                entry = _Robots(status=old.status, body=old.body, fetched_at=old.fetched_at,
                                expires_at=now + timedelta(seconds=ROBOTS_RETRY_S),
                                parser=old.parser, dirty=True)
            else:
                entry = _Robots(status=None, body=reason, fetched_at=now,
                                expires_at=now + timedelta(seconds=ROBOTS_RETRY_S), dirty=True)
            with self._lock:
                self._robots[origin] = entry
                self._host(host_key(url)).crawl_delay_s = \
                    _crawl_delay(entry.parser) if entry.parser is not None else 0.0
            return entry

    def _check_robots(self, url: str, original: str) -> None:
        host = host_key(url)
        if not self.obey_robots or self._exempt(host):
            return
        robots = self._robots_for(url, original)
        if robots.status is None:
            raise FetchError(
                f"could not read {_origin(url)}/robots.txt ({robots.body}); nothing is fetched "
                f"from {host} until it can be read (RFC 9309 §2.3.1.4); it will be retried",
                url=original, transient=True)
        if robots.parser is not None and not robots.parser.can_fetch(url, ROBOTS_TOKEN):
            raise RobotsDisallowedError(
                f"{_origin(url)}/robots.txt disallows {url} for gitnews, so it was not fetched "
                "(with the site's permission, add its host to fetch.ignore_robots_for)",
                url=original)

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
            if resp.status in _REDIRECTS and location:
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
                raise HTTPStatusError(
                    f"HTTP {resp.status} {resp.reason} for {current}"
                    + ("; the server is failing, it will be retried"
                       if transient else "; check that the URL is still valid"),
                    url=url, status=resp.status, transient=transient)
            return Page(url=url, final_url=current, status=resp.status, body=resp.body,
                        fetched_at=resp.fetched_at.replace(microsecond=0),
                        content_type=resp.headers.get("content-type"),
                        etag=resp.headers.get("etag"),
                        last_modified=resp.headers.get("last-modified"),
                        redirects=tuple(chain),
                        headers=tuple((k.lower(), v) for k, v in resp.headers.multi_items()))

    def _read(self, resp: httpx.Response, *, url: str, deadline: float, max_bytes: int,
              truncate: bool) -> bytes:
        declared = resp.headers.get("content-length")
        if not truncate and declared and declared.isdigit() \
                and "content-encoding" not in resp.headers and int(declared) > max_bytes:
            raise TooLargeError(f"{url} is {int(declared):,} bytes, over the limit of "
                                f"{max_bytes:,} (fetch.max_bytes)", url=url,
                                status=resp.status_code)
        # Raw bytes, decoded here within max_bytes (httpx's own decoding is unbounded).
        decoder = httpguard.BoundedDecoder(resp.headers.get("content-encoding"),
                                           max_bytes=max_bytes, url=url,
                                           status=resp.status_code, truncate=truncate)
        for chunk in resp.iter_raw():
            decoder.feed(chunk)
            if decoder.full:
                break
            if time.monotonic() > deadline:
                raise FetchError(f"{url} took longer than {self.timeout_s:g} s to send; "
                                 "it will be retried on the next run", url=url, transient=True)
        return decoder.finish()


#: The most of a body not kept (304, redirect, error page) read so that its
#: connection can serve the next request; a longer one closes the connection.
DRAIN_MAX_BYTES = 64 * 1024


def _drain(resp: httpx.Response, *, deadline: float) -> None:
    """Read and drop the rest of a response whose body is not kept, so that the
    connection goes back to the pool (httpcore closes a connection whose
    response was not read to its end, even an empty one such as a 304's).
    Stops at :data:`DRAIN_MAX_BYTES` or ``deadline`` (monotonic seconds): the
    connection is then closed instead."""
    left = DRAIN_MAX_BYTES
    try:
        for chunk in resp.iter_raw():
            left -= len(chunk)
            if left < 0 or time.monotonic() > deadline:
                return
    except httpx.HTTPError:
        return  # the connection is closed; the answer was already complete enough


def _crawl_delay(parser: object) -> float:
    try:
        value = parser.crawl_delay(ROBOTS_TOKEN)  # type: ignore[attr-defined]
    except Exception:
        return 0.0
    try:
        return max(float(value), 0.0) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def make_fetcher(settings: object, *, now: Callable[[], datetime] = _utcnow) -> Fetcher:
    """A :class:`Fetcher` from a :class:`gitnews.config.FetchSettings`."""
    s = settings
    return Fetcher(timeout_s=s.timeout_s, connect_timeout_s=s.connect_timeout_s,
                   max_bytes=s.max_bytes, max_redirects=s.max_redirects,
                   concurrency=s.concurrency, per_host=s.per_host, min_delay_s=s.min_delay_s,
                   retries=s.retries, retry_base_s=s.retry_base_s, max_wait_s=s.max_wait_s,
                   contact=s.contact, ignore_robots_for=s.ignore_robots_for, now=now)


# -- Webhooks: one JSON POST -----------------------------------------------------------------

def post_json(url: str, payload: object, *, timeout_s: float = 60.0,
              connect_timeout_s: float = 10.0, contact: str = "") -> int:
    """POST ``payload`` as JSON (UTF-8, ``Content-Type: application/json``) to ``url``.

    Used for the ``[hooks] webhook_url``.  Proxies come from the environment
    as for fetches; redirects are *not* followed (RFC 9110 lets a client turn a
    redirected POST into a GET, which a webhook must not get).  Returns the
    HTTP status (2xx).  Raises :class:`BlockedURLError` (not http/https),
    :class:`HTTPStatusError` (3xx, 4xx, 5xx; ``transient`` for 429 and 5xx) and
    :class:`FetchError` (timeouts and connection errors, ``transient=True``).
    """
    import json

    if not is_fetchable(url):
        raise BlockedURLError(f"refusing to POST to {url!r}: only http and https URLs are "
                              "used; fix [hooks] webhook_url in gitnews.toml", url=url)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        with httpx.Client(trust_env=True, follow_redirects=False,
                          timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s)) as client:
            resp = client.post(url, content=body, headers={
                "User-Agent": user_agent(contact),
                "Content-Type": "application/json; charset=utf-8"})
    except httpx.TimeoutException:
        raise FetchError(f"timed out posting to {url} (limit {timeout_s:g} s)", url=url,
                         transient=True) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"could not post to {url}: {exc.__class__.__name__}: {exc}; check that "
                         "the webhook's server is up and the URL right", url=url,
                         transient=True) from None
    if not 200 <= resp.status_code < 300:
        transient = resp.status_code == 429 or resp.status_code >= 500
        where = resp.headers.get("location")
        raise HTTPStatusError(
            f"HTTP {resp.status_code} {resp.reason_phrase} from the webhook {url}"
            + (f" (redirect to {where}: put that URL in [hooks] webhook_url)" if where else ""),
            url=url, status=resp.status_code, transient=transient)
    return resp.status_code
