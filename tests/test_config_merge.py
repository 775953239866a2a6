"""The three-way merge of gitnews.toml (two copies of the archive edited it): properties."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.config import default_config_text, merge_config, merge_tracked
from gitnews.errors import ConfigError

URLS = st.sampled_from([f"https://site{i}.example.org/feed" for i in range(8)])
LISTS = st.lists(URLS, unique=True, max_size=6)


@given(LISTS, LISTS, LISTS)
def test_merge_tracked_keeps_additions_and_removals_of_both_sides(base, ours, theirs):
    merged = merge_tracked(base, ours, theirs)
    assert len(merged) == len(set(merged))
    for url in set(base) | set(ours) | set(theirs):
        removed = (url in base) and (url not in ours or url not in theirs)
        assert (url in merged) == (not removed), url
    # theirs' order first, then ours' additions in their order
    assert merged == [u for u in theirs if u in merged] + \
        [u for u in ours if u in merged and u not in theirs]


@given(LISTS, LISTS)
def test_merge_tracked_with_one_side_unchanged_is_the_other_side(base, other):
    assert merge_tracked(base, base, other) == other
    assert sorted(merge_tracked(base, other, base)) == sorted(other)


def _with(text: str, *, feeds: list[str] | None = None, concurrency: int | None = None,
          per_host: int | None = None) -> str:
    if feeds is not None:
        text = text.replace("feeds = []", "feeds = [" + ", ".join(f'"{u}"' for u in feeds) + "]")
    if concurrency is not None:
        text = text.replace("concurrency = 8", f"concurrency = {concurrency}")
    if per_host is not None:
        text = text.replace("per_host = 2", f"per_host = {per_host}")
    return text


SETTING = st.one_of(st.none(), st.integers(min_value=1, max_value=12))


@settings(max_examples=60, deadline=None)
@given(LISTS, LISTS, LISTS, SETTING, SETTING, SETTING, SETTING)
def test_merge_config(base_feeds, our_feeds, their_feeds, our_c, their_c, our_h, their_h):
    text = default_config_text()
    base = _with(text, feeds=base_feeds)
    ours = _with(text, feeds=our_feeds, concurrency=our_c, per_host=our_h)
    theirs = _with(text, feeds=their_feeds, concurrency=their_c, per_host=their_h)
    merge = merge_config(base, ours, theirs)
    data = tomllib.loads(merge.text)
    assert data["feeds"] == merge_tracked(base_feeds, our_feeds, their_feeds)
    for key, mine, other, default in (("concurrency", our_c, their_c, 8),
                                      ("per_host", our_h, their_h, 2)):
        mine, other = mine or default, other or default
        expected = other if other != default else mine
        assert data["fetch"][key] == expected
        conflict = mine != default and other != default and mine != other
        assert (f"fetch.{key}", mine, other) in merge.conflicts if conflict else \
            all(c[0] != f"fetch.{key}" for c in merge.conflicts)
    # theirs' comments are kept; merging again changes nothing (deterministic)
    assert "# Politeness. At most this many requests at once to one host:" in merge.text
    assert merge_config(base, ours, theirs).text == merge.text
    assert merge_config(base, theirs, merge.text).text == merge.text


def test_merge_config_adds_removes_keys_and_tables_of_one_side():
    base = 'feeds = []\n[fetch]\ncontact = "a@example.org"\n'
    ours = 'feeds = []\n[fetch]\n\n[site]\nurl = "https://me.example.org"\n'
    theirs = '# theirs\nfeeds = ["https://x.example.org/f"]\n[fetch]\ncontact = "a@example.org"\n'
    merge = merge_config(base, ours, theirs)
    data = tomllib.loads(merge.text)
    assert data == {"feeds": ["https://x.example.org/f"], "fetch": {},
                    "site": {"url": "https://me.example.org"}}
    assert merge.text.startswith("# theirs\n")
    assert sorted(merge.settings) == [("fetch.contact", None),
                                      ("site.url", "https://me.example.org")]


def test_merge_config_that_is_not_valid_says_so():
    with pytest.raises(ConfigError, match="not valid TOML"):
        merge_config("", "feeds = [", "")
    with pytest.raises(ConfigError, match="merge .* by hand"):
        merge_config("", "[fetch]\nconcurrency = 0\n", "")
