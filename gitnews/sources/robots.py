"""robots.txt (RFC 9309, parsed by protego): reading one origin's copy and what it allows.

* robots.txt is read before anything else on an origin and kept for
  :data:`ROBOTS_TTL_S` (a day; :class:`~gitnews.sources.politeness.Politeness`
  keeps the copies, and callers persist them).  A 2xx answer's rules apply (the
  ``gitnews`` group, else ``*``); a 4xx means no rules (§2.3.1.3); a 5xx or
  network error means "unreachable": the last copy is used when there is one,
  otherwise nothing is fetched from that origin (§2.3.1.4).  At most
  :data:`ROBOTS_MAX_BYTES` are read (§2.5), at most 5 redirects followed
  (§2.3.1.2).  ``Crawl-delay`` raises the host's delay (:func:`crawl_delay`).
* Disallowed URLs raise :class:`~gitnews.errors.RobotsDisallowedError`
  without any request (:func:`check`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urljoin, urlsplit

from gitnews.errors import FetchError, HostBackoffError, RobotsDisallowedError
from gitnews.format.urls import is_fetchable

if TYPE_CHECKING:
    from protego import Protego

__all__ = ["ROBOTS_TOKEN", "ROBOTS_TTL_S", "ROBOTS_RETRY_S", "ROBOTS_MAX_BYTES", "REDIRECT_STATUSES",
           "RobotsAnswer", "RobotsCopy", "origin", "crawl_delay", "parse_rules", "read_robots",
           "check"]

#: The product token matched against robots.txt ``User-agent`` lines.
ROBOTS_TOKEN = "gitnews"
#: How long a robots.txt is used before it is read again (seconds): a day.
ROBOTS_TTL_S = 86400.0
#: When robots.txt could not be read, how long before trying again (seconds).
ROBOTS_RETRY_S = 600.0
#: The most of a robots.txt that is read (RFC 9309 §2.5: at least 500 KiB).
ROBOTS_MAX_BYTES = 500 * 1024
#: The HTTP statuses that redirect (followed when they carry a ``Location``).
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class RobotsAnswer(Protocol):
    """What a GET of a robots.txt gives back (the HTTP client's response)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def body(self) -> bytes: ...


@dataclass
class RobotsCopy:
    """The copy of one origin's robots.txt that is in use."""

    status: int | None                 # robots.txt's HTTP status; None: unreachable
    body: str | None
    fetched_at: datetime
    expires_at: datetime
    parser: Protego | None = None      # None: everything allowed
    dirty: bool = False


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, the default port left out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def crawl_delay(parser: Protego) -> float:
    """The ``Crawl-delay`` for gitnews in seconds (0 when none or unreadable)."""
    try:
        value = parser.crawl_delay(ROBOTS_TOKEN)
    except Exception:
        return 0.0
    try:
        return max(float(value), 0.0) if value is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def parse_rules(status: int | None, body: str | None) -> Protego | None:
    """The rules of a stored copy: parsed for a 2xx answer with a body, else None (no rules)."""
    from protego import Protego

    return Protego.parse(body) if status and 200 <= status < 300 and body is not None else None


def read_robots(robots_origin: str, get: Callable[[str], RobotsAnswer], old: RobotsCopy | None,
                now: datetime) -> RobotsCopy:
    """Read ``robots_origin``'s robots.txt with ``get`` (one GET, no redirect followed)
    and return the copy to use from ``now`` on: the new one, or ``old`` again for a
    while when robots.txt is unreachable.  :class:`HostBackoffError` from ``get``
    goes through; other :class:`FetchError` mean "unreachable"."""
    from protego import Protego

    target, status, body, reason = robots_origin + "/robots.txt", None, None, ""
    try:
        for _ in range(6):  # the first request and at most 5 redirects
            resp = get(target)
            location = resp.headers.get("location")
            if resp.status in REDIRECT_STATUSES and location:
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
    if status is not None and body is not None and status < 500 and not (300 <= status < 400):
        parser = Protego.parse(body) if 200 <= status < 300 else None
        return RobotsCopy(status=status, body=body if parser is not None else None,
                          fetched_at=now, expires_at=now + timedelta(seconds=ROBOTS_TTL_S),
                          parser=parser, dirty=True)
    if old is not None and old.status is not None:
        # Unreachable now: keep using the last copy (RFC 9309 §2.4), try again later.
        return RobotsCopy(status=old.status, body=old.body, fetched_at=old.fetched_at,
                          expires_at=now + timedelta(seconds=ROBOTS_RETRY_S),
                          parser=old.parser, dirty=True)
    return RobotsCopy(status=None, body=reason, fetched_at=now,
                      expires_at=now + timedelta(seconds=ROBOTS_RETRY_S), dirty=True)


def check(copy: RobotsCopy, url: str, original: str, host: str) -> None:
    """Raise unless ``copy`` lets gitnews fetch ``url`` (a hop of the fetch of
    ``original``, on ``host``): :class:`FetchError` (transient) when robots.txt
    could not be read, :class:`RobotsDisallowedError` when it disallows ``url``."""
    if copy.status is None:
        raise FetchError(
            f"could not read {origin(url)}/robots.txt ({copy.body}); nothing is fetched "
            f"from {host} until it can be read (RFC 9309 §2.3.1.4); it will be retried",
            url=original, transient=True)
    if copy.parser is not None and not copy.parser.can_fetch(url, ROBOTS_TOKEN):
        raise RobotsDisallowedError(
            f"{origin(url)}/robots.txt disallows {url} for gitnews, so it was not fetched "
            "(with the site's permission, add its host to fetch.ignore_robots_for)",
            url=original)
