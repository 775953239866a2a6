"""Reading an article's versions: history blobs, timeline, gaps in words, resolving ARTICLE,
filtering the list.  Real git repositories in tmp folders."""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta

import git
import pytest
from hypothesis import given
from hypothesis import strategies as st
from versions_support import (
    SEED_URL,
    SEED_V1_AT,
    SEED_V2_AT,
    add_versions,
    make_archive,
    seed_archive,
    seed_text,
)

from gitnews.archive.history import version_time, versions
from gitnews.archive.repo import open_archive
from gitnews.errors import NotFoundError
from gitnews.versions.resolve import pick_version, resolve_article, url_variants
from gitnews.versions.timeline import gap_words, load_timeline

SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return seed_archive(tmp_path_factory.mktemp("seed") / "archive")


# -- gap in words -------------------------------------------------------------------------

@pytest.mark.parametrize("delta, words", [
    (SEED_V2_AT - SEED_V1_AT, "about 7 hours later"),
    (timedelta(days=2), "2 days later"),
    (timedelta(hours=1), "an hour later"),
    (timedelta(minutes=45, seconds=10), "about 45 minutes later"),
    (timedelta(days=1, hours=12), "about a day later"),
    (timedelta(days=20), "20 days later"),
    (timedelta(days=400), "about 1 year, 1 month later"),
    (timedelta(0), "at the same time"),
    (timedelta(hours=-3), "3 hours earlier"),
])
def test_gap_words(delta, words):
    assert gap_words(delta) == words


@given(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=5000)))
def test_gap_words_always_reads_later(delta):
    words = gap_words(delta)
    assert words.endswith(" later") and len(words) > len(" later")


# -- history and timeline -----------------------------------------------------------------

def test_versions_carry_blob_ids_that_read_back_byte_for_byte(seed):
    repo = git.Repo(seed)
    try:
        vs = versions(repo, SEED_PATH)
        assert [v.number for v in vs] == [1, 2]
        for v in vs:
            stored = repo.git.execute(["git", "cat-file", "blob", f"{v.commit}:{SEED_PATH}"],
                                      stdout_as_string=False, strip_newline_in_stdout=False)
            assert v.blob == repo.git.rev_parse(f"{v.commit}:{SEED_PATH}")
            assert stored == seed_text(v.number).encode("utf-8")
        assert [version_time(v) for v in vs] == [SEED_V1_AT, SEED_V2_AT]
    finally:
        repo.close()


def test_timeline_infos(seed):
    with open_archive(seed) as arc:
        record = resolve_article(arc.state, SEED_URL)
        tl = load_timeline(arc.repo, record)
        first, second = tl.infos()
    assert first.gap is None and first.stats is None and first.paragraphs == 18
    assert second.gap == timedelta(hours=7, minutes=12)
    assert second.stats.words_added == second.stats.words_removed == 1
    assert not second.headline_changed
    assert tl.data(tl.versions[0]) == seed_text(1).encode()


def test_captured_at_trailer_wins_over_commit_time(tmp_path):
    root = make_archive(tmp_path / "a")
    now = datetime(2024, 1, 1, tzinfo=UTC)
    add_versions(root, [("http://example.com/a", "A\n\nOne.\n", now)],
                 extra={"Captured-At": "2016-09-29T10:02:00Z"})
    repo = git.Repo(root)
    try:
        (v,) = versions(repo, "example.com/a.txt")
    finally:
        repo.close()
    assert v.fetched_at == now
    assert version_time(v) == SEED_V1_AT


def test_removal_and_headline_change(tmp_path):
    root = make_archive(tmp_path / "a")
    t0 = datetime(2020, 5, 1, 8, tzinfo=UTC)
    add_versions(root, [("http://example.com/a", "Old title\n\nBody.\n", t0),
                        ("http://example.com/a", "New title\n\nBody.\n", t0 + timedelta(days=2)),
                        ("http://example.com/a", None, t0 + timedelta(days=3))])
    with open_archive(root) as arc:
        tl = load_timeline(arc.repo, resolve_article(arc.state, "example.com/a"))
        infos = tl.infos()
        assert [i.version.removed for i in infos] == [False, False, True]
        assert infos[1].previous_headline == "Old title" and infos[1].headline == "New title"
        assert infos[1].stats.headline_changed
        assert tl.data(tl.versions[2]) == b""
        with pytest.raises(NotFoundError, match="removal"):
            tl.pick(3, allow_removed=False)


# -- resolving ARTICLE --------------------------------------------------------------------

@pytest.mark.parametrize("spelling", [
    SEED_URL,
    SEED_URL.replace("http://", "https://"),
    SEED_URL.replace("http://www.", "https://"),
    SEED_URL.replace("http://", ""),
    SEED_URL.replace("http://www.", ""),
    SEED_URL + "/",
    SEED_URL + "?utm_source=twitter&CMP=share_btn",
    SEED_URL + "#comments",
    SEED_PATH,
    SEED_PATH[:-4],
    "./" + SEED_PATH,
    SEED_PATH.upper(),
])
def test_every_spelling_of_the_seed_resolves(seed, spelling):
    with open_archive(seed) as arc:
        assert resolve_article(arc.state, spelling).path == SEED_PATH


def test_file_system_path_resolves(seed):
    with open_archive(seed) as arc:
        assert resolve_article(arc.state, str(seed / SEED_PATH), archive_dir=seed).path == SEED_PATH


def test_known_alias_resolves(seed):
    with open_archive(seed) as arc:
        arc.state.add_aliases(SEED_PATH, ["http://gu.com/p/4x7dz"])
        assert resolve_article(arc.state, "gu.com/p/4x7dz").path == SEED_PATH


def test_unknown_article_suggests_the_closest(seed):
    with open_archive(seed) as arc:
        with pytest.raises(NotFoundError) as info:
            resolve_article(arc.state, "theguardian.com/society/2016/sep/29/gaps-remain")
    assert info.value.suggestions == [SEED_URL]
    assert SEED_URL in str(info.value) and "gitnews list" in str(info.value)


def test_unknown_article_in_an_empty_archive(tmp_path):
    with open_archive(make_archive(tmp_path / "a")) as arc:
        with pytest.raises(NotFoundError, match="no articles yet"):
            resolve_article(arc.state, "http://example.com/x")


def test_url_variants():
    assert url_variants("example.com/a") == [
        "http://example.com/a", "http://example.com/a/", "http://www.example.com/a",
        "http://www.example.com/a/"]


@pytest.mark.parametrize("number, expected", [(1, 1), (2, 2), (-1, 2), (-2, 1)])
def test_pick_version(seed, number, expected):
    repo = git.Repo(seed)
    try:
        assert pick_version(versions(repo, SEED_PATH), number).number == expected
    finally:
        repo.close()


@pytest.mark.parametrize("number", [0, 3, -3])
def test_pick_version_out_of_range_names_the_range(seed, number):
    repo = git.Repo(seed)
    try:
        with pytest.raises(NotFoundError, match=r"numbered 1 to 2 \(-1 to -2"):
            pick_version(versions(repo, SEED_PATH), number)
    finally:
        repo.close()


# -- list filters -------------------------------------------------------------------------

def test_query_articles_filters_and_sorts(tmp_path):
    root = make_archive(tmp_path / "a")
    t0 = datetime(2021, 3, 1, tzinfo=UTC)
    add_versions(root, [
        ("http://www.example.com/one", "Zebra one\n\nA.\n", t0),
        ("http://news.example.com/two", "Apple two\n\nB.\n", t0 + timedelta(days=1)),
        ("http://news.example.com/two", "Apple two\n\nB2.\n", t0 + timedelta(days=2)),
        ("http://notexample.com/three", "Mango three\n\nC.\n", t0 + timedelta(days=3)),
    ])
    with open_archive(root) as arc:
        q = arc.state.query_articles
        assert [r.path for r in q()] == ["notexample.com/three.txt", "news.example.com/two.txt",
                                         "example.com/one.txt"]
        assert [r.path for r in q(host="example.com")] == ["news.example.com/two.txt",
                                                           "example.com/one.txt"]
        assert [r.path for r in q(min_versions=2)] == ["news.example.com/two.txt"]
        assert [r.headline for r in q(sort="headline")] == ["Apple two", "Mango three",
                                                            "Zebra one"]
        assert [r.versions for r in q(sort="versions")] == [2, 1, 1]
        assert [r.path for r in q(changed_since="2021-03-03T00:00:00Z")] == [
            "notexample.com/three.txt", "news.example.com/two.txt"]
        assert len(q(limit=1)) == 1
        with pytest.raises(ValueError):
            q(sort="nonsense")


def test_transactions_keep_a_commit_graph_with_changed_paths(tmp_path):
    """store.write_commit_graph: the Bloom filters that keep `git log -- <path>` fast."""
    seed = seed_archive(tmp_path / "a")
    add_versions(seed, [("http://example.com/other", "Other\n\nText.\n", SEED_V2_AT)])
    chain = seed / ".git" / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    assert chain.is_file()
    proc = subprocess.run(["git", "log", "--format=%H", "--", SEED_PATH], cwd=seed,
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_TRACE2_PERF": "1"})
    stats = re.search(r"bloom.*statistics:(\{.*?\})", proc.stderr)
    assert stats, "git did not use changed-path Bloom filters"
    numbers = json.loads(stats.group(1))
    # every commit of the branch has a filter; all but the seed's commits are skipped by it
    assert numbers["filter_not_present"] == 0 and numbers["definitely_not"] >= 1
