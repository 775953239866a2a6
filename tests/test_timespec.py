"""gitnews.versions.timespec: the one time syntax of --since/--until/--from/--to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.format.trailers import format_time
from gitnews.versions.timespec import parse_time

NOW = datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31),
                       timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m)))


@given(moments, st.booleans())
def test_rfc3339_round_trips(when, end):
    assert parse_time(format_time(when), now=NOW, end=end) == when


@given(moments, offsets)
def test_an_offset_is_turned_into_utc(when, tz):
    text = when.astimezone(tz).isoformat()
    parsed = parse_time(text, now=NOW)
    assert parsed == when and parsed.utcoffset() == timedelta(0)


@given(moments)
def test_a_date_is_its_day(when):
    text = when.strftime("%Y-%m-%d")
    start, end = parse_time(text, now=NOW), parse_time(text, now=NOW, end=True)
    assert start <= when <= end
    assert end - start == timedelta(days=1) - timedelta(seconds=1)
    assert start.tzinfo == UTC and start.time().isoformat() == "00:00:00"


@given(moments)
def test_a_year_month_is_its_month(when):
    text = when.strftime("%Y-%m")
    start, end = parse_time(text, now=NOW), parse_time(text, now=NOW, end=True)
    assert start <= when <= end
    assert start.day == 1 and (end + timedelta(seconds=1)).day == 1
    assert start.month == end.month == when.month


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from("smhdw"), moments)
def test_relative_times_count_back_from_now(n, unit, now):
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit] * n
    if now - datetime(1, 1, 2, tzinfo=UTC) < timedelta(seconds=seconds):
        return
    for text in (f"{n}{unit}", f"{n}{unit} ago"):
        assert parse_time(text, now=now) == now - timedelta(seconds=seconds)


@given(moments)
def test_today_and_yesterday_are_utc_days(now):
    today, today_end = parse_time("today", now=now), parse_time("today", now=now, end=True)
    assert today <= now <= today_end and today.date() == now.date()
    assert parse_time("yesterday", now=now) == today - timedelta(days=1)
    assert parse_time("yesterday", now=now, end=True) == today - timedelta(seconds=1)


@settings(deadline=None)  # the first call imports dateparser
@given(st.text(max_size=30))
def test_anything_gives_utc_or_a_clear_error(text):
    try:
        parsed = parse_time(text, now=NOW)
    except ValueError as exc:
        assert str(exc)
    else:
        assert parsed.utcoffset() == timedelta(0)


def test_words_dateparser_reads():
    assert parse_time("3 days ago", now=NOW) == NOW - timedelta(days=3)


@pytest.mark.parametrize("text", ["90", "garbage", "2016-13", "2016-02-30", "", "tomorrow-ish"])
def test_not_times(text):
    with pytest.raises(ValueError, match="not a|empty"):
        parse_time(text, now=NOW)
