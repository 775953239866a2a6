"""Source filters and schedules (issue 18): ``[sources."URL"]`` include/exclude patterns
and interval, ``[schedule.hosts."host"]`` re-check schedules, as read from gitnews.toml and
as the plan applies them (pure functions: property tests)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitnews.config import ScheduleSettings, parse_config
from gitnews.config.sources import host_key_for, parse_pattern
from gitnews.errors import ConfigError
from gitnews.format.urls import identity_key
from gitnews.ops.plan import HostPolicies, feed_due, sources_of
from gitnews.versions.schedule import Policy, next_check

SITEMAP = "https://www.bentonvillebulletin.com/news-sitemap.xml"

_url_part = st.text("abcdefghij-/0123456789", min_size=0, max_size=20)


@given(_url_part)
def test_a_glob_without_wildcards_matches_only_itself(tail):
    url = "https://e.test/" + tail
    pattern = parse_pattern(url, where="t")
    assert pattern.matches(url)
    assert not pattern.matches(url + "x")
    assert not pattern.matches("x" + url)


@given(_url_part, _url_part)
def test_a_glob_matches_the_whole_url_as_fnmatch_does_and_star_crosses_slashes(a, b):
    url = f"https://e.test/{a}/sport/{b}"
    assert parse_pattern("*/sport/*", where="t").matches(url)
    assert parse_pattern("*/sport/*", where="t").matches(url) == \
        fnmatch.fnmatchcase(url, "*/sport/*")


@given(_url_part)
def test_a_regular_expression_is_searched_anywhere(tail):
    url = "https://e.test/" + tail
    pattern = parse_pattern(r"re:\d{3}", where="t")
    assert pattern.matches(url) == (re.search(r"\d{3}", url) is not None)


@given(st.lists(_url_part, min_size=1, max_size=8), st.lists(st.sampled_from(
    ["*/a*", "re:b", "*0*", "https://e.test/-*"]), max_size=3), st.lists(st.sampled_from(
        ["*/a*", "re:b", "*0*", "re:^https://e.test/c"]), max_size=3))
def test_a_rule_keeps_what_an_include_matches_and_no_exclude_matches(tails, include, exclude):
    table = {"include": include, "exclude": exclude}
    rule = parse_config(f'[sources."{SITEMAP}"]\n' + "\n".join(
        f"{k} = {v!r}".replace("'", '"') for k, v in table.items())).source_rules()[identity_key(SITEMAP)]
    for tail in tails:
        url = "https://e.test/" + tail
        inc = [parse_pattern(p, where="t") for p in include]
        exc = [parse_pattern(p, where="t") for p in exclude]
        kept = (not inc or any(p.matches(url) for p in inc)) and not any(
            p.matches(url) for p in exc)
        assert rule.keeps(url) is kept
        assert (rule.why_dropped(url) is None) is kept


def test_bad_sources_tables_are_clear_errors_naming_the_key():
    with pytest.raises(ConfigError, match=r'sources."x".include: .*not a valid regular'):
        parse_config('feeds = []\n[sources."x"]\ninclude = ["re:(unclosed"]\n')
    with pytest.raises(ConfigError, match=r'sources."x".interval must be at least 1m'):
        parse_config('[sources."x"]\ninterval = "30s"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'every' in sources.\"x\""):
        parse_config('[sources."x"]\nevery = "1h"\n')
    with pytest.raises(ConfigError, match=r"list of strings"):
        parse_config('[sources."x"]\nexclude = [1]\n')


def test_a_sources_interval_replaces_the_feed_interval():
    policy = Policy()
    t = datetime(2026, 1, 1, tzinfo=UTC)
    stored = {"read_at": "2026-01-01T00:00:00Z"}
    assert feed_due(stored, t, policy) == t + timedelta(minutes=10)
    assert feed_due(stored, t, policy, 3600.0) == t + timedelta(hours=1)
    assert feed_due({}, t, policy, 3600.0) == t
    config = parse_config(f'feeds = ["{SITEMAP}"]\nsitemaps = ["{SITEMAP}", "https://b.test/s"]\n'
                          'fronts = ["https://c.test/"]\n')
    assert sources_of(config) == [("feed", SITEMAP), ("sitemap", "https://b.test/s"),
                                  ("front", "https://c.test/")]


# -- per-host schedules --------------------------------------------------------------------------

@dataclass
class _Record:
    url: str
    last_changed: str | None
    last_checked: str | None
    removed: bool = False
    failures: int = 0
    unchanged: int = 0


def test_a_hosts_schedule_overrides_the_default_for_it_and_its_subdomains_only():
    config = parse_config('[schedule]\nafter_change = "30m"\n'
                          '[schedule.hosts."theguardian.com"]\nafter_change = "10m"\n'
                          'stop_after = "7d"\n'
                          '[schedule.hosts."live.theguardian.com"]\nafter_change = "2m"\n')
    policies = HostPolicies(config.schedule, Policy.from_settings(config.schedule))
    t = datetime(2026, 1, 1, 12, tzinfo=UTC)
    changed = "2026-01-01T12:00:00Z"

    def due(url: str) -> datetime | None:
        record = _Record(url, changed, changed)
        return next_check(record, t, policies.for_url(url))

    assert due("https://www.theguardian.com/a") == t + timedelta(minutes=10)
    assert due("https://live.theguardian.com/a") == t + timedelta(minutes=2)
    assert due("https://example.com/a") == t + timedelta(minutes=30)
    assert policies.for_url("https://www.theguardian.com/x").stop_after_s == 7 * 86400
    assert policies.for_url("https://notguardian.com/x").stop_after_s == 40 * 86400
    # The backlog and checks of other hosts keep the [schedule] default.
    assert policies.for_url("https://example.com/x") is policies.for_url("https://e.org/y")


def test_bad_host_schedules_are_clear_errors():
    with pytest.raises(ConfigError, match=r'schedule.hosts."a.test".backoff must be a number'):
        parse_config('[schedule.hosts."a.test"]\nbackoff = 50\n')
    with pytest.raises(ConfigError, match=r"unknown key 'feed_interval' in schedule.hosts"):
        parse_config('[schedule.hosts."a.test"]\nfeed_interval = "1h"\n')
    assert ScheduleSettings(hosts={"a.test": {"after_change": "5m"}}).for_host(
        "a.test").after_change == "5m"


@given(st.sampled_from(["a.test", "www.a.test", "x.a.test", "b.test", "aa.test"]))
def test_host_keys_cover_the_host_and_its_subdomains(host):
    key = host_key_for(host, ["a.test", "x.a.test"])
    if host in ("a.test", "www.a.test"):
        assert key == "a.test"
    elif host == "x.a.test":
        assert key == "x.a.test"
    else:
        assert key is None
