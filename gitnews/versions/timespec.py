"""One time syntax for every command-line option that takes a time
(``--since``, ``--until``, ``--from``, ``--to``): text -> an aware UTC datetime.

Accepted, tried in this order (the rule is written down in README.md,
"Command-line grammar"):

* an RFC 3339 date-time, ``2016-09-29T10:02:00Z`` or with an offset
  (``+01:00``); without an offset it is UTC; a space may stand for the ``T``;
* a date ``2016-09-29``, a year-month ``2016-09`` or a year ``2016``: the
  period's first second, or with ``end=True`` its last second (so that
  ``--until 2016-09`` includes all of September);
* ``now``, ``today`` and ``yesterday`` (days are UTC days; ``today`` is the
  day's first second, or with ``end=True`` its last one);
* a relative time back from now: a duration as :func:`gitnews.versions.schedule.parse_duration`
  reads it (``90s``, ``10m``, ``2h``, ``3d``, ``1w``, ``1h30m``), optionally
  followed by ``ago``;
* anything else English that :mod:`dateparser` reads relative to now
  (``3 days ago``, ``2 weeks ago``), in UTC.

Pure: the current time is a parameter.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

__all__ = ["parse_time", "TIME_FORMS"]

#: What the error message and the --help texts say is accepted.
TIME_FORMS = ("an RFC 3339 date-time (2016-09-29T10:02:00Z), a date (2016-09-29), a "
              "year-month (2016-09), today, yesterday, or a time back from now (2h, 3d, 1w)")

_PERIOD = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_SECOND = timedelta(seconds=1)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _period(year: int, month: int | None, day: int | None, *, end: bool) -> datetime:
    start = datetime(year, month or 1, day or 1, tzinfo=UTC)
    if not end:
        return start
    if day is not None:
        nxt = start + timedelta(days=1)
    elif month is not None:
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        nxt = start.replace(year=year + 1) if year < 9999 else datetime.max.replace(
            tzinfo=UTC) + _SECOND
    return nxt - _SECOND


def _day(day: datetime, *, end: bool) -> datetime:
    start = datetime.combine(day.date(), time(), tzinfo=UTC)
    return start + timedelta(days=1) - _SECOND if end else start


def parse_time(text: str, *, now: datetime, end: bool = False) -> datetime:
    """``text`` (see the module doc) -> an aware datetime in UTC, whole seconds
    for the fixed forms.

    ``now`` (an aware datetime) is what relative forms count back from;
    ``end=True`` reads a period (a day, a month, a year, ``today``) as its last
    second instead of its first, for an upper bound.  Raises
    :class:`ValueError` with a message naming the accepted forms.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(UTC)
    value = " ".join(text.split())
    low = value.lower()
    if not low:
        raise ValueError(f"an empty time; use {TIME_FORMS}")
    if (m := _PERIOD.fullmatch(low)) is not None:
        year, month, day = m.group(1), m.group(2), m.group(3)
        try:
            return _period(int(year), int(month) if month else None, int(day) if day else None,
                           end=end)
        except ValueError:
            raise ValueError(f"{text!r} is not a real date") from None
    if low[:1].isdigit() and len(low) >= 10 and low[4:5] == "-":
        try:
            return _utc(datetime.fromisoformat(value.upper().replace(" ", "T", 1)))
        except ValueError:
            raise ValueError(f"{text!r} is not a date-time; use {TIME_FORMS}") from None
    if low == "now":
        return now
    if low == "today":
        return _day(now, end=end)
    if low == "yesterday":
        return _day(now - timedelta(days=1), end=end)
    from gitnews.versions.schedule import parse_duration

    ago = low.removesuffix("ago").strip()
    if ago[-1:].isalpha():  # a bare number is no time: 90 what?
        try:
            return now - timedelta(seconds=parse_duration(ago))
        except (ValueError, OverflowError):
            pass
    if any(c.isalpha() for c in low) and any(c.isdigit() for c in low):
        parsed = _dateparser(value, now)
        if parsed is not None:
            return parsed
    raise ValueError(f"{text!r} is not a time; use {TIME_FORMS}")


def _dateparser(value: str, now: datetime) -> datetime | None:
    try:
        import dateparser
    except ImportError:  # pragma: no cover - trafilatura installs it
        return None
    try:
        parsed = dateparser.parse(value, languages=["en"], settings={
            "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "past"})
    except (ValueError, OverflowError):
        return None
    return _utc(parsed) if parsed is not None else None
