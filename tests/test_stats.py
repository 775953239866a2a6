"""``gitnews stats``: per source and in total, on an archive made by real ``gitnews run``
processes against the loopback replay server (tests/changes_support.py)."""

from __future__ import annotations

import json
import statistics

import pytest
from changes_support import BBC_CHANGED, BBC_FEED, SEED_PATH, build_runs_archive
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from versions_support import make_archive

from gitnews.cli import app
from gitnews.output.stats import FIRST_CHANGE_BUCKETS, SINGLE_ARTICLES, SourceStats, quantile


@pytest.fixture(scope="module")
def runs_archive(tmp_path_factory):
    return build_runs_archive(tmp_path_factory.mktemp("runs"))


def stats(archive, *args: str):
    result = CliRunner().invoke(app, ["stats", *args, "--archive", str(archive)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_per_source_and_total(runs_archive):
    result = stats(runs_archive, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == "gitnews.stats/1"
    bbc, single = doc["sources"]
    assert bbc["source"] == BBC_FEED and single["source"] == SINGLE_ARTICLES
    assert (bbc["articles"], bbc["versions"], bbc["changed_articles"], bbc["changes"]) == (2, 3, 1, 1)
    assert bbc["changed_share"] == 0.5 and bbc["kinds"] == {"body": 1}
    assert (bbc["headline_changes"], bbc["removals"]) == (0, 0)
    assert [a["path"] for a in bbc["most_edited"]] == [BBC_CHANGED]
    # The seed article: a one-word change, then removed.
    assert (single["articles"], single["versions"], single["changes"]) == (1, 3, 2)
    assert single["kinds"] == {"body": 1, "removed": 1} and single["removals"] == 1
    assert single["changed_share"] == 1.0
    total = doc["total"]
    assert (total["articles"], total["versions"], total["changes"], total["removals"]) == (3, 6, 3, 1)
    assert [a["path"] for a in total["most_edited"]] == [SEED_PATH, BBC_CHANGED]
    assert sum(total["per_day"].values()) == 3
    # The runs were seconds apart: every first change came within a minute.
    for s in (bbc, single, total):
        assert 0 <= s["first_change_median_s"] <= s["first_change_p90_s"] < 60


def test_text_output(runs_archive):
    out = stats(runs_archive).stdout
    assert out.splitlines()[0] == BBC_FEED
    assert "single articles\n  articles 1, versions 3, changed 1 (100 %), changes 2" in out
    assert "changes by kind: body 1, removed 1; headline changes 0, removals 1" in out
    assert "\ntotal\n  articles 3, versions 6, changed 2 (67 %), changes 3" in out


def test_an_empty_archive(tmp_path):
    archive = make_archive(tmp_path / "archive")
    result = stats(archive)
    assert result.exit_code == 0 and "no articles yet" in result.stderr
    doc = json.loads(stats(archive, "--json").stdout)
    assert doc["sources"] == [] and doc["total"]["articles"] == 0
    assert doc["total"]["first_change_median_s"] is None


@given(st.lists(st.floats(min_value=0, max_value=1e9), min_size=1, max_size=50))
def test_quantiles_lie_within_the_values_and_rise(values):
    med, p90 = quantile(values, 0.5), quantile(values, 0.9)
    assert med is not None and p90 is not None
    assert min(values) <= med <= p90 <= max(values)
    assert med == pytest.approx(statistics.median(values))


@given(st.lists(st.floats(min_value=0, max_value=1e7), max_size=30))
def test_buckets_count_every_changed_article_once(values):
    s = SourceStats("x", first_change=sorted(values))
    buckets = s.buckets()
    assert [label for label, _ in buckets] == [label for label, _ in FIRST_CHANGE_BUCKETS]
    assert sum(n for _, n in buckets) == len(values)


def test_the_json_is_as_documented(runs_archive):
    from test_changes import documented_fields

    doc = json.loads(stats(runs_archive, "--json").stdout)
    assert set(doc) == documented_fields("gitnews.stats/1")
    for s in (*doc["sources"], doc["total"]):
        assert set(s) == documented_fields("source_stats")
        for a in s["most_edited"]:
            assert set(a) == documented_fields("edited_article")
