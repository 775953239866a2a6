"""The watch loop: run, sleep until the next feed or article is due, repeat.

:func:`watch` repeats :func:`gitnews.ops.run.run` until stopped, sleeping
until the next feed or article is due (:func:`next_due_at`), with one
archive, one git repository and one HTTP client for all cycles.

Every function takes the clock as ``now`` (a callable returning an aware
UTC datetime), so that tests can move time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gitnews.archive.repo import Archive
from gitnews.format.trailers import parse_time
from gitnews.format.urls import identity_key
from gitnews.models import RunResult
from gitnews.ops.plan import HostPolicies, feed_due, sources_of
from gitnews.ops.run import _utcnow, run
from gitnews.versions.schedule import Policy, next_check

if TYPE_CHECKING:
    from gitnews.sources.http import Fetcher

__all__ = ["watch", "next_due_at", "MIN_SLEEP_S"]

#: The watch loop never sleeps less than this between two runs (seconds).
MIN_SLEEP_S = 1.0


def next_due_at(archive: Archive, *, now: Callable[[], datetime] = _utcnow,
                fetcher: Fetcher | None = None) -> datetime | None:
    """When the next feed read or article check is due (aware UTC datetime;
    <= now: something is due now), or None when nothing will ever be due.

    With ``fetcher``, a host's back-off and delay put its articles and feeds later.
    """
    policy = Policy.from_settings(archive.config.schedule)
    t = now()
    state = archive.state
    found: list[datetime] = []

    def later(due: datetime, url: str) -> datetime:
        if fetcher is None:
            return due
        return max(due, t + timedelta(seconds=fetcher.host_wait_s(url)))

    rules = archive.config.source_rules()
    policies = HostPolicies(archive.config.schedule, policy)
    for _kind, feed_url in sources_of(archive.config):  # feeds, sitemaps, fronts
        rule = rules.get(identity_key(feed_url))
        found.append(later(feed_due(state.get_feed(feed_url), t, policy,
                                    rule.interval_s if rule else None), feed_url))
    for row in state.backlog():
        found.append(later(parse_time(row["first_seen"]) or t, row["url"]))
    for link in archive.config.articles:
        if state.lookup(link) is None:
            found.append(later(t, link))
    for record in state.articles():
        due = next_check(record, t, policies.for_url(record.url))
        if due is not None:
            found.append(later(due, record.url))
    return min(found) if found else None


def watch(archive: Archive, *, stop: threading.Event, abandon: threading.Event | None = None,
          interval_s: float | None = None, now: Callable[[], datetime] = _utcnow,
          sleep: Callable[[float], object] | None = None,
          on_cycle: Callable[[RunResult, datetime], None] | None = None,
          max_cycles: int | None = None, max_articles: int | None = None,
          max_time_s: float | None = None, dry_run: bool = False) -> int:
    """Run, sleep until the next feed or article is due (at most ``interval_s``
    seconds, default ``schedule.feed_interval``; at least :data:`MIN_SLEEP_S`),
    repeat — until ``stop`` is set (or ``max_cycles`` runs).  Returns the
    number of runs.

    ``gitnews.toml`` is read again before every run (new feeds are picked
    up).  One HTTP client serves all runs; the archive's git repository and
    cache are reused, and each run's ``git fast-import`` ends with the run.
    ``on_cycle(result, wake_at)`` is called after every run.  ``sleep``
    (seconds) defaults to waiting on ``stop``, so that a stop ends the sleep.
    ``abandon``: see :func:`run`.
    """
    from gitnews.sources.http import make_fetcher

    sleep = sleep or stop.wait
    cycles = 0
    with make_fetcher(archive.config.fetch, now=now) as fetcher:
        while not stop.is_set():
            archive.reload_config()
            result = run(archive, fetcher=fetcher, now=now, stop=stop, abandon=abandon,
                         max_articles=max_articles, max_time_s=max_time_s, dry_run=dry_run)
            cycles += 1
            t = now()
            cap = interval_s if interval_s is not None else \
                Policy.from_settings(archive.config.schedule).feed_interval_s
            wake = next_due_at(archive, now=now, fetcher=fetcher)
            delay = cap if wake is None else (wake - t).total_seconds()
            delay = max(min(delay, cap), MIN_SLEEP_S)
            if on_cycle:
                on_cycle(result, t + timedelta(seconds=delay))
            if stop.is_set() or (max_cycles is not None and cycles >= max_cycles):
                break
            sleep(delay)
    return cycles

