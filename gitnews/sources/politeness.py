"""Politeness per host (``docs/polite-fetching.md``): robots.txt copies, pacing,
back-off after ``Retry-After``, and what of it outlives a run.

:class:`Politeness` is held by one :class:`~gitnews.sources.http.Fetcher`
(thread-safe) and decides when a request may start:

* robots.txt is kept per origin (:mod:`gitnews.sources.robots` reads it and
  says what it allows); ``ignore_robots_for`` lists hosts exempted by the user.
* Per host (by host name, :func:`host_key`): at most ``per_host`` requests at
  once, and their starts at least ``max(min_delay_s, Crawl-delay)`` apart; at
  most ``concurrency`` requests at once in all.
* 429, and 503 with ``Retry-After`` (:func:`parse_retry_after`): that host
  alone is backed off until then (:meth:`Politeness.back_off`), and no request
  to it starts before that time, in any thread, also one that was already
  waiting for its slot when the answer came (it waits again); a wait longer
  than ``max_wait_s`` raises :class:`~gitnews.errors.HostBackoffError`.
* What was learnt (robots.txt copies, back-offs, last request per host) is
  given to the cache with :meth:`Politeness.export_state` and taken back with
  :meth:`Politeness.load_state`.
"""

from __future__ import annotations

import email.utils
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict, overload
from urllib.parse import urlsplit

from gitnews.errors import HostBackoffError
from gitnews.format.trailers import parse_time as _parse_time
from gitnews.sources import robots as robotstxt

__all__ = ["Politeness", "HostState", "RobotsRow", "HostRow", "parse_retry_after", "host_key",
           "rfc3339", "DEFAULT_BACKOFF_S", "MAX_RETRY_AFTER_S"]

#: Back-off after a 429 that gives no usable ``Retry-After`` (seconds).
DEFAULT_BACKOFF_S = 60.0
#: A ``Retry-After`` further away than this is cut to it (seconds): a week.
MAX_RETRY_AFTER_S = 7 * 86400.0

_SECONDS = re.compile(r"\d+(?:\.\d+)?")


class RobotsRow(TypedDict):
    """A stored robots.txt copy of one origin, as the cache keeps it (times RFC 3339 UTC)."""

    origin: str
    status: int | None        # robots.txt's HTTP status (None: unreachable)
    body: str | None
    fetched_at: str
    expires_at: str


class HostRow(TypedDict):
    """A host's back-off and last request, as the cache keeps them (times RFC 3339 UTC,
    None: none)."""

    host: str
    backoff_until: str | None
    last_request: str | None


@overload
def rfc3339(dt: datetime) -> str: ...
@overload
def rfc3339(dt: None) -> None: ...
def rfc3339(dt: datetime | None) -> str | None:
    """``dt`` as RFC 3339 UTC with microseconds (the cache's form), None for None."""
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


@dataclass
class HostState:
    """What is known of one host: its request slots, pace and back-off."""

    sem: threading.BoundedSemaphore
    next_slot: float = 0.0             # monotonic time the next request may start
    backoff_until: datetime | None = None
    backoffs: int = 0                  # times backoff_until was moved later (see reserve)
    last_request: datetime | None = None
    crawl_delay_s: float = 0.0
    dirty: bool = False


class Politeness:
    """robots.txt copies, request slots, pacing and back-off of every host one
    fetcher talks to (the options are :class:`~gitnews.sources.http.Fetcher`'s)."""

    def __init__(self, *, concurrency: int, per_host: int, min_delay_s: float, max_wait_s: float,
                 obey_robots: bool, ignore_robots_for: Iterable[str],
                 now: Callable[[], datetime]) -> None:
        self.per_host = max(per_host, 1)
        self.min_delay_s = max(min_delay_s, 0.0)
        self.max_wait_s = max(max_wait_s, 0.0)
        self.obey_robots = obey_robots
        self.ignore_robots_for = tuple(h.strip().lower().lstrip(".")
                                       for h in ignore_robots_for if h.strip())
        self._now = now
        #: At most ``concurrency`` requests at once in all (the caller releases it).
        self.all_hosts = threading.BoundedSemaphore(max(concurrency, 1))
        self._lock = threading.Lock()
        self._hosts: dict[str, HostState] = {}
        self._robots: dict[str, robotstxt.RobotsCopy] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._cancel = threading.Event()

    # -- stopping ----------------------------------------------------------------------
    def interrupt(self) -> None:
        """Make every wait end now with :class:`HostBackoffError`, until :meth:`resume`."""
        self._cancel.set()

    def resume(self) -> None:
        """Undo :meth:`interrupt`."""
        self._cancel.clear()

    def pause(self, seconds: float, url: str) -> None:
        """Wait ``seconds`` unless interrupted (then :class:`HostBackoffError` for ``url``)."""
        if seconds > 0 and self._cancel.wait(seconds):
            raise HostBackoffError(f"not fetched {url}: gitnews is stopping", url=url)
        if self._cancel.is_set():
            raise HostBackoffError(f"not fetched {url}: gitnews is stopping", url=url)

    # -- persistence of host knowledge ---------------------------------------------------------
    def load_state(self, *, robots: Iterable[RobotsRow] = (), hosts: Iterable[HostRow] = ()) -> None:
        """Take what earlier runs learnt (see :meth:`Fetcher.load_state
        <gitnews.sources.http.Fetcher.load_state>`).  Newer knowledge already in memory wins."""
        mono, now = time.monotonic(), self._now()
        with self._lock:
            for row in robots:
                fetched = _parse_time(row["fetched_at"])
                old = self._robots.get(row["origin"])
                if fetched is None or (old and old.fetched_at >= fetched):
                    continue
                body = row.get("body")
                parser = robotstxt.parse_rules(row.get("status"), body)
                self._robots[row["origin"]] = robotstxt.RobotsCopy(
                    status=row.get("status"), body=body, fetched_at=fetched,
                    expires_at=_parse_time(row["expires_at"]) or fetched, parser=parser)
                if parser is not None:
                    self._host(urlsplit(row["origin"]).hostname or "").crawl_delay_s = \
                        robotstxt.crawl_delay(parser)
            for hrow in hosts:
                h = self._host(hrow["host"])
                until = _parse_time(hrow.get("backoff_until"))
                if until and (h.backoff_until is None or until > h.backoff_until):
                    h.backoff_until = until
                    h.backoffs += 1
                last = _parse_time(hrow.get("last_request"))
                if last and (h.last_request is None or last > h.last_request):
                    h.last_request = last
                    gap = self._delay(h) - (now - last).total_seconds()
                    h.next_slot = max(h.next_slot, mono + gap)

    def export_state(self) -> tuple[list[RobotsRow], list[HostRow]]:
        """What changed since the last export: ``(robots rows, host rows)``."""
        with self._lock:
            robots: list[RobotsRow] = [
                {"origin": o, "status": r.status, "body": r.body,
                 "fetched_at": rfc3339(r.fetched_at), "expires_at": rfc3339(r.expires_at)}
                for o, r in self._robots.items() if r.dirty]
            hosts: list[HostRow] = [
                {"host": k, "backoff_until": rfc3339(h.backoff_until),
                 "last_request": rfc3339(h.last_request)}
                for k, h in self._hosts.items() if h.dirty]
            for r in self._robots.values():
                r.dirty = False
            for h in self._hosts.values():
                h.dirty = False
        return robots, hosts

    # -- host limits ---------------------------------------------------------------------
    def _host(self, key: str) -> HostState:
        """The limits of host ``key`` (call with ``self._lock`` held)."""
        h = self._hosts.get(key)
        if h is None:
            h = self._hosts[key] = HostState(sem=threading.BoundedSemaphore(self.per_host))
        return h

    def _delay(self, h: HostState) -> float:
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

    def reserve(self, url: str, original: str) -> HostState:
        """Take a request slot on ``url``'s host and one of the ``concurrency``
        slots, waiting for them when that is within ``max_wait_s``; the request
        may then be sent at once.  The caller releases ``host.sem`` and
        :attr:`all_hosts`.

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
                            f"{key} may not be asked before {rfc3339(retry_at)[:19]}Z (it asked "
                            f"to wait, or its crawl delay leaves no slot within fetch.max_wait_s="
                            f"{self.max_wait_s:g} s); {url} is left for a later run",
                            url=original, retry_at=retry_at)
                    h.next_slot = start + self._delay(h)
                    h.last_request = now + timedelta(seconds=start - mono)
                    h.dirty = True
                    planned = h.backoffs
                self.pause(start - mono, original)
                while not self.all_hosts.acquire(timeout=0.2):
                    if self._cancel.is_set():
                        raise HostBackoffError(f"not fetched {url}: gitnews is stopping",
                                               url=original)
                with self._lock:
                    if h.backoffs == planned or (h.backoff_until is not None
                                                 and h.backoff_until <= self._now()):
                        return h  # no back-off came while this request waited, or it is over
                self.all_hosts.release()
        except BaseException:
            h.sem.release()
            raise

    def back_off(self, url: str, seconds: float) -> datetime:
        """Ask nothing of ``url``'s host for ``seconds`` from now (a later time
        already set stays); returns the time the back-off ends."""
        with self._lock:
            h = self._host(host_key(url))
            until = self._now() + timedelta(seconds=seconds)
            if h.backoff_until is None or until > h.backoff_until:
                h.backoff_until = until
                h.backoffs += 1
                h.dirty = True
            return h.backoff_until

    # -- robots.txt ----------------------------------------------------------------------
    def _exempt(self, host: str) -> bool:
        return any(host == h or host.endswith("." + h) for h in self.ignore_robots_for)

    def robots_for(self, url: str, get: Callable[[str], robotstxt.RobotsAnswer]
                   ) -> robotstxt.RobotsCopy:
        """The robots.txt copy for ``url``'s origin, read with ``get`` when it is
        missing or expired (one reader per origin at a time)."""
        origin = robotstxt.origin(url)
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            now = self._now()
            old = self._robots.get(origin)
            if old is not None and now < old.expires_at:
                return old
            entry = robotstxt.read_robots(origin, get, old, now)
            with self._lock:
                self._robots[origin] = entry
                self._host(host_key(url)).crawl_delay_s = \
                    robotstxt.crawl_delay(entry.parser) if entry.parser is not None else 0.0
            return entry

    def check_robots(self, url: str, original: str,
                     get: Callable[[str], robotstxt.RobotsAnswer]) -> None:
        """Raise unless robots.txt lets gitnews fetch ``url`` (see :func:`robots.check
        <gitnews.sources.robots.check>`); nothing when robots.txt is not obeyed for its host."""
        host = host_key(url)
        if not self.obey_robots or self._exempt(host):
            return
        robotstxt.check(self.robots_for(url, get), url, original, host)
