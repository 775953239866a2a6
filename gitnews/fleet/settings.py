"""The fleet's settings, read from the environment (Celery's commands take no gitnews options).

=============================  =========================================================
``GITNEWS_COLLECTION``         the collection folder on this machine (required)
``GITNEWS_REDIS_URL``          Redis: broker, result store and leases (required), e.g.
                               ``redis://127.0.0.1:6379/0`` (redis-py's URL syntax)
``GITNEWS_LEASE_TTL_S``        seconds a lease lives unless renewed (default 300); a dead
                               worker's archive is taken over this long after it died
``GITNEWS_DISPATCH_S``         seconds between two dispatches by ``celery beat`` (default 60)
``GITNEWS_REDIS_PREFIX``       prefix of gitnews's Redis keys (default ``gitnews:``)
=============================  =========================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gitnews.errors import ConfigError

__all__ = ["FleetSettings", "from_env"]


@dataclass(frozen=True)
class FleetSettings:
    """``collection`` (folder), ``redis_url``, ``lease_ttl_s`` and ``dispatch_s`` (seconds),
    ``prefix`` (Redis key prefix)."""

    collection: Path
    redis_url: str
    lease_ttl_s: float = 300.0
    dispatch_s: float = 60.0
    prefix: str = "gitnews:"

    def key(self, kind: str, site: str = "") -> str:
        """A Redis key: ``<prefix><kind>:<site>`` (``lease``, ``queued``, ``due``), or
        ``<prefix><kind>`` without a site (``sites``)."""
        return f"{self.prefix}{kind}:{site}" if site else f"{self.prefix}{kind}"


def _seconds(env: dict[str, str] | os._Environ[str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"${name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"${name} must be more than 0 seconds, not {raw!r}")
    return value


def from_env(env: dict[str, str] | None = None) -> FleetSettings:
    """The settings from ``env`` (default: the process's environment).  Raises
    :class:`~gitnews.errors.ConfigError` naming the variable that is missing or wrong."""
    src = os.environ if env is None else env
    collection = src.get("GITNEWS_COLLECTION", "")
    url = src.get("GITNEWS_REDIS_URL", "")
    if not collection:
        raise ConfigError("$GITNEWS_COLLECTION is not set: set it to the collection folder "
                          "(`gitnews init --collection DIR` makes one)")
    if not url:
        raise ConfigError("$GITNEWS_REDIS_URL is not set: set it to the Redis server's URL, "
                          "e.g. redis://127.0.0.1:6379/0 (without it, run the collection "
                          "with `gitnews run --archive DIR`)")
    return FleetSettings(collection=Path(collection), redis_url=url,
                         lease_ttl_s=_seconds(src, "GITNEWS_LEASE_TTL_S", 300.0),
                         dispatch_s=_seconds(src, "GITNEWS_DISPATCH_S", 60.0),
                         prefix=src.get("GITNEWS_REDIS_PREFIX") or "gitnews:")
