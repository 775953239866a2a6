"""The schedule and the small parsers of politeness (pure functions; hypothesis)."""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitnews.config import parse_config
from gitnews.errors import ConfigError
from gitnews.format.trailers import format_time
from gitnews.sources.politeness import MAX_RETRY_AFTER_S, parse_retry_after
from gitnews.versions.schedule import (
    MIN_WAIT_S,
    Policy,
    describe_next_check,
    format_duration,
    is_stopped,
    next_check,
    parse_duration,
    wait_s,
)

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@dataclass
class Rec:
    last_changed: str | None
    last_checked: str | None = None
    removed: bool = False
    failures: int = 0
    unchanged: int = 0
    not_before: str | None = None


def ago(**kw: float) -> str:
    return format_time(NOW - timedelta(**kw))


# -- durations ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text,seconds", [
    ("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1w", 604800),
    ("1h30m", 5400), ("1.5h", 5400), ("45", 45), (" 2 h ", 7200), (30, 30), ("0", 0)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "h", "-5m", "1h-", "m10", "nan", "inf", True])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**8))
def test_format_duration_round_trips(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


# -- Retry-After -------------------------------------------------------------------------------
def test_retry_after_both_forms():
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("1.5", NOW) == 1.5
    date = email.utils.format_datetime(NOW + timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(date, NOW) == 300
    past = email.utils.format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(past, NOW) == 0
    assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW) == 0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("99999999999", NOW) == MAX_RETRY_AFTER_S


@given(st.text(max_size=40))
def test_retry_after_never_breaks(value):
    got = parse_retry_after(value, NOW)
    assert got is None or 0 <= got <= MAX_RETRY_AFTER_S


# -- the rule ----------------------------------------------------------------------------------
def test_default_waits_follow_both_trackers():
    p = Policy()
    # News Sniffer after a change: 30 min, then x1.2 per unchanged check ...
    assert [round(wait_s(p, age_s=0, unchanged=n) / 60, 1) for n in range(4)] == \
        [30.0, 36.0, 43.2, 51.8]
    # ... capped by the tiers: hourly in the first day, 3-hourly in the first
    # week, every 3 days in the first month, weekly after that.
    assert wait_s(p, age_s=3 * 3600, unchanged=10) == 3600
    assert wait_s(p, age_s=2 * 86400, unchanged=30) == 3 * 3600
    assert wait_s(p, age_s=10 * 86400, unchanged=60) == 3 * 86400
    assert wait_s(p, age_s=35 * 86400, unchanged=90) == 7 * 86400


@given(age=st.floats(min_value=0, max_value=1e9), n=st.integers(min_value=0, max_value=10**6))
def test_wait_grows_with_unchanged_checks_and_stays_in_bounds(age, n):
    p = Policy()
    w = wait_s(p, age_s=age, unchanged=n)
    assert MIN_WAIT_S <= w <= p.longest_wait_s
    assert wait_s(p, age_s=age, unchanged=n + 1) >= w


@given(changed_h=st.floats(min_value=0, max_value=24 * 100),
       checked_h=st.floats(min_value=0, max_value=24 * 100),
       n=st.integers(min_value=0, max_value=500))
def test_next_check_is_after_the_last_check_or_stopped(changed_h, checked_h, n):
    rec = Rec(last_changed=ago(hours=changed_h), last_checked=ago(hours=min(checked_h, changed_h)),
              unchanged=n)
    due = next_check(rec, NOW)
    if due is None:
        assert is_stopped(rec, NOW)
        assert changed_h * 3600 > Policy().stop_after_s - 1
    else:
        assert due > datetime.fromisoformat(rec.last_checked.replace("Z", "+00:00"))


def test_an_article_last_changed_60_days_ago_is_no_longer_checked():
    old = Rec(last_changed=ago(days=60), last_checked=ago(days=60))
    assert next_check(old, NOW) is None
    assert describe_next_check(old, NOW) == \
        "It last changed over 40 days ago and won't be checked again for changes."
    # "never" keeps checking it: never checked since that change, it is long overdue.
    never = Policy.from_settings(parse_config('[schedule]\nstop_after = "never"\n').schedule)
    assert never.stop_after_s is None
    assert next_check(old, NOW, never) == NOW - timedelta(days=60) + timedelta(minutes=30)
    assert describe_next_check(old, NOW, never) == "It is due for a check now."


def test_a_regularly_checked_article_gets_its_last_check_at_40_days():
    rec = Rec(last_changed=ago(days=38), last_checked=ago(days=1),
              unchanged=40)
    due = next_check(rec, NOW)
    assert due == NOW + timedelta(days=2)  # the 40-day mark, before the weekly wait ends
    done = Rec(last_changed=ago(days=41), last_checked=ago(days=1), unchanged=41)
    assert next_check(done, NOW) is None


def test_sentences():
    fresh = Rec(last_changed=ago(minutes=10), last_checked=ago(minutes=10))
    assert describe_next_check(fresh, NOW) == "Next check in about 20 minutes."
    day = Rec(last_changed=ago(days=2), last_checked=ago(minutes=1), unchanged=30)
    assert describe_next_check(day, NOW) == "Next check in about 3 hours."  # 2h59m
    assert describe_next_check(Rec(last_changed=None), NOW) == \
        "It has not been fetched yet; it is checked on the next run."
    assert describe_next_check(Rec(last_changed=ago(days=1), removed=True), NOW) == \
        "It was removed from its site and is no longer checked."
    put_off = Rec(last_changed=ago(minutes=10), last_checked=ago(minutes=10),
                  not_before=format_time(NOW + timedelta(hours=5)))
    assert describe_next_check(put_off, NOW) == "Next check in about 5 hours."


def test_failures_slow_the_checks_down():
    ok = Rec(last_changed=ago(minutes=5), last_checked=ago(minutes=5))
    failing = Rec(last_changed=ago(minutes=5), last_checked=ago(minutes=5), failures=3)
    assert next_check(failing, NOW) > next_check(ok, NOW)


@pytest.mark.parametrize("toml,message", [
    ('[schedule]\nfeed_interval = "30s"\n', "feed_interval must be at least 1m"),
    ('[schedule]\nafter_change = "soon"\n', "schedule.after_change: 'soon' is not a duration"),
    ('[schedule]\ntiers = [["7d", "3h"], ["1d", "1h"]]\n', "increasing order"),
    ('[schedule]\nbackoff = 0.5\n', "backoff must be a number from 1 to 10"),
    ('[fetch]\nper_host = 0\n', "fetch.per_host must be 1 or more"),
])
def test_bad_schedule_settings_are_config_errors(toml, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_config(toml)
