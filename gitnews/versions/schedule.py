"""When to check an article again (pure functions, no I/O, no clock).

The rule combines the two best-known change trackers:

* News Sniffer (newssniffer.co.uk): re-check an article 30 minutes after each
  change and multiply the wait by 1.2 after every check that found nothing;
  stop when the article has not changed for 40 days ("It last changed over
  40 days ago and won't be checked again for changes").
* NewsDiffs (newsdiffs.org): check by age tiers — every 15 min in the first
  3 hours, hourly in the first day, every 3 hours in the first week, every
  3 days in the first month, then rarely.

Combined: after a check, the wait is ``after_change × backoff^n`` (``n`` =
unchanged checks since the last change, plus the current failure streak),
but never longer than the tier cap for the article's age since its last
change (``tiers``, then ``longest_wait``), and never shorter than
:data:`MIN_WAIT_S`.  With the defaults an article is re-checked at 30, 36,
43 and 52 minutes after a change, then hourly through its first day, every
3 hours through its first week, every 3 days through its first month, then
weekly; it is no longer checked once its last change is more than
``stop_after`` (40 days) old.  ``stop_after = "never"`` never stops.

Durations in ``gitnews.toml`` are strings such as ``"90s"``, ``"10m"``,
``"2h"``, ``"1d"``, ``"1w"`` or ``"1h30m"`` (:func:`parse_duration`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from gitnews.format.trailers import parse_time

__all__ = ["Policy", "parse_duration", "format_duration", "wait_s", "next_check",
           "is_stopped", "describe_next_check", "stopped_note", "MIN_WAIT_S", "MIN_FEED_INTERVAL_S",
           "CheckRecord", "ScheduleValues"]

#: No article is checked more often than this (seconds), whatever the settings.
MIN_WAIT_S = 60.0
#: No feed is read more often than this (seconds): ``feed_interval`` may not be lower.
MIN_FEED_INTERVAL_S = 60.0

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(text: str | int | float) -> float:
    """``"90s"``, ``"10m"``, ``"2h"``, ``"1d"``, ``"1w"``, ``"1h30m"``, ``"1.5h"`` or a
    plain number of seconds -> seconds (float, >= 0).

    Units: s, m (minutes), h, d, w; parts add up.  Raises :class:`ValueError`
    with a message saying what is accepted.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        s = text.strip().lower().replace(" ", "")
        try:
            value = float(s)
        except ValueError:
            pos, value = 0, 0.0
            for m in _PART.finditer(s):
                if m.start() != pos:
                    break
                value += float(m.group(1)) * _UNITS[m.group(2)]
                pos = m.end()
            if not s or pos != len(s):
                raise ValueError(f"{text!r} is not a duration; write e.g. 90s, 10m, 2h, 1d, "
                                 "1w or 1h30m") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{text!r} is not a duration: it must be zero or more")
    return value


def format_duration(seconds: float) -> str:
    """Seconds -> the shortest exact form :func:`parse_duration` reads (``5400`` -> ``"1h30m"``)."""
    rest = round(seconds)
    if rest <= 0:
        return "0s"
    out = []
    for unit in ("d", "h", "m", "s"):
        n, rest = divmod(rest, _UNITS[unit])
        if n:
            out.append(f"{n}{unit}")
    return "".join(out)


class ScheduleValues(Protocol):
    """What :meth:`Policy.from_settings` reads (:class:`gitnews.config.ScheduleSettings` has
    it): the values as ``gitnews.toml`` gave them, checked by ``from_settings``."""

    @property
    def after_change(self) -> object: ...
    @property
    def backoff(self) -> object: ...
    @property
    def tiers(self) -> Iterable[object]: ...
    @property
    def longest_wait(self) -> object: ...
    @property
    def stop_after(self) -> object: ...
    @property
    def feed_interval(self) -> object: ...


@dataclass(frozen=True)
class Policy:
    """The schedule's numbers, in seconds (see the module docstring).

    ``tiers`` are ``(age limit, longest wait)`` pairs in increasing age:
    while the time since the last change is under the limit, the wait is at
    most that long; past the last tier it is at most ``longest_wait_s``.
    ``stop_after_s`` None means never stop.  ``feed_interval_s`` is how often
    each feed is read.
    """

    after_change_s: float = 30 * 60.0
    backoff: float = 1.2
    tiers: tuple[tuple[float, float], ...] = ((86400.0, 3600.0), (7 * 86400.0, 3 * 3600.0),
                                               (30 * 86400.0, 3 * 86400.0))
    longest_wait_s: float = 7 * 86400.0
    stop_after_s: float | None = 40 * 86400.0
    feed_interval_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: ScheduleValues) -> Policy:
        """Build from a :class:`gitnews.config.ScheduleSettings`; raises ValueError
        naming the key when a value is unusable."""
        def dur(key: str) -> float:
            try:
                return parse_duration(getattr(settings, key))
            except ValueError as exc:
                raise ValueError(f"schedule.{key}: {exc}") from None

        tiers: list[tuple[float, float]] = []
        for i, pair in enumerate(settings.tiers):
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise ValueError(f"schedule.tiers[{i}] must be a pair [\"age\", \"longest wait\"], "
                                 f"e.g. [\"1d\", \"1h\"]")
            try:
                tiers.append((parse_duration(pair[0]), parse_duration(pair[1])))
            except ValueError as exc:
                raise ValueError(f"schedule.tiers[{i}]: {exc}") from None
        if [t[0] for t in tiers] != sorted({t[0] for t in tiers}):
            raise ValueError("schedule.tiers must be in increasing order of age, each age once")
        backoff = settings.backoff
        if not isinstance(backoff, (int, float)) or not 1.0 <= backoff <= 10.0:
            raise ValueError(f"schedule.backoff must be a number from 1 to 10, not {backoff!r}")
        stop = settings.stop_after
        stop_s = None if isinstance(stop, str) and stop.strip().lower() in ("never", "") \
            else dur("stop_after")
        feed = dur("feed_interval")
        if feed < MIN_FEED_INTERVAL_S:
            raise ValueError(f"schedule.feed_interval must be at least "
                             f"{format_duration(MIN_FEED_INTERVAL_S)} (a politeness floor), "
                             f"not {settings.feed_interval!r}")
        return cls(after_change_s=dur("after_change"), backoff=float(backoff), tiers=tuple(tiers),
                   longest_wait_s=dur("longest_wait"), stop_after_s=stop_s, feed_interval_s=feed)


DEFAULT_POLICY = Policy()


def wait_s(policy: Policy, *, age_s: float, unchanged: int) -> float:
    """Seconds to wait after a check, for an article whose last change was
    ``age_s`` seconds before that check and which has had ``unchanged`` checks
    (plus failures) since.  Never below :data:`MIN_WAIT_S`."""
    # 1.2 ** 200 is ~ 7e15 s: far past any cap, and still a finite float.
    grown = policy.after_change_s * policy.backoff ** min(max(unchanged, 0), 200)
    cap = next((w for limit, w in policy.tiers if age_s < limit), policy.longest_wait_s)
    return max(min(grown, cap), MIN_WAIT_S)


class CheckRecord(Protocol):
    """What the schedule reads of an article (:class:`gitnews.archive.cache.ArticleRecord` has it).

    Times are RFC 3339 UTC strings; ``last_changed`` None means never fetched.
    """

    last_changed: str | None
    last_checked: str | None
    removed: bool
    failures: int
    unchanged: int


def is_stopped(record: CheckRecord, now: datetime, policy: Policy = DEFAULT_POLICY) -> bool:
    """True when the article is no longer checked because its last change is
    more than ``stop_after`` old.

    An article checked regularly gets its last check at (or just after) the
    ``stop_after`` mark; one that was never checked since its last change (an
    import of an old capture) stops as soon as that change is too old.
    """
    changed: datetime | None = parse_time(record.last_changed)
    if changed is None or policy.stop_after_s is None:
        return False
    limit = changed + timedelta(seconds=policy.stop_after_s)
    checked: datetime | None = parse_time(record.last_checked)
    if checked is not None and checked >= limit:
        return True
    never_rechecked = checked is None or checked <= changed
    return never_rechecked and now > limit


def next_check(record: CheckRecord, now: datetime,
               policy: Policy = DEFAULT_POLICY) -> datetime | None:
    """When the article is next due (aware UTC datetime; <= ``now`` means due),
    or None when it is no longer checked (removed, or :func:`is_stopped`).

    An article never fetched is due ``now``.  A record's ``not_before`` (RFC
    3339, when it has one) delays the check: robots.txt refused it last time.
    """
    if record.removed:
        return None
    changed: datetime | None = parse_time(record.last_changed)
    if changed is None:
        return now
    if is_stopped(record, now, policy):
        return None
    checked = max(parse_time(record.last_checked) or changed, changed)
    wait = wait_s(policy, age_s=(checked - changed).total_seconds(),
                  unchanged=(record.unchanged or 0) + (record.failures or 0))
    due = checked + timedelta(seconds=wait)
    if policy.stop_after_s is not None:
        due = min(due, changed + timedelta(seconds=policy.stop_after_s))
    later: datetime | None = parse_time(getattr(record, "not_before", None))
    return max(due, later) if later else due


def _about(delta: timedelta) -> str:
    import humanize

    return humanize.naturaldelta(delta, months=False)


def describe_next_check(record: CheckRecord, now: datetime,
                        policy: Policy = DEFAULT_POLICY) -> str:
    """One sentence for ``gitnews list``/``log``: when the article is next
    checked, or that it no longer is and why.  E.g. "Next check in about 3
    hours." or "It last changed over 40 days ago and won't be checked again
    for changes."  Pure: depends only on the record, ``now`` and the policy.
    """
    if record.removed:
        return "It was removed from its site and is no longer checked."
    if parse_time(record.last_changed) is None:
        return "It has not been fetched yet; it is checked on the next run."
    if is_stopped(record, now, policy):
        assert policy.stop_after_s is not None
        return (f"It last changed over {_about(timedelta(seconds=policy.stop_after_s))} ago "
                "and won't be checked again for changes.")
    due = next_check(record, now, policy)
    assert due is not None
    if due <= now:
        return "It is due for a check now."
    return f"Next check in about {_about(due - now)}."


def stopped_note(policy: Policy | Callable[[str], Policy] = DEFAULT_POLICY
                 ) -> Callable[[CheckRecord, datetime], str | None]:
    """A ``schedule_note(record, now)`` for :func:`gitnews.output.site.build_site`: the
    seed page's sentence for an article no longer checked ("It last changed over
    40 days ago and won't be checked again for changes."), None otherwise.  Only
    that stable sentence is given, so that pages are not rewritten on every run.

    ``policy`` is one policy for all articles, or a function from an article's URL
    (the record's ``url``) to its host's policy (``[schedule.hosts."host"]``)."""
    def note(record: CheckRecord, now: datetime) -> str | None:
        p = policy if isinstance(policy, Policy) else policy(getattr(record, "url", None) or "")
        return describe_next_check(record, now, p) if is_stopped(record, now, p) else None
    return note
