"""The search index's layout and the search command's lean path (issue 17, performance):
time-ordered ids, the cache read alone when current (and the archive opened when not),
what `gitnews search` imports, and the pure functions behind them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from archive_builders import add_version, new_archive
from conftest import run_gitnews
from hypothesis import given
from hypothesis import strategies as st

from gitnews.archive.cache.search import ID_SHIFT, doc_id
from gitnews.archive.cache.words import _changed_texts, _changed_texts_counted, word_changes
from gitnews.format.paths import article_host, host_key


def _search(archive: Path, *args: str) -> list[tuple[str, list[int]]]:
    proc = run_gitnews("search", "--archive", str(archive), "--json", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [(r["url"], r["versions"]) for r in json.loads(proc.stdout)["results"]]


def _imported(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitnews", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


def _url(name: str) -> str:
    return f"http://news.example.org/2024/{name}"


def _path(name: str) -> str:
    return f"news.example.org/2024/{name}.txt"


def test_newest_first_whatever_the_order_the_versions_were_indexed(tmp_path):
    # Versions indexed later with older times (an import) still come in time order;
    # versions of the same second come in the order they were indexed, newest last.
    archive = new_archive(tmp_path / "archive")
    add_version(archive, _path("a"), "Storm\n\nThe storm hit the coast.\n", version=1,
                url=_url("a"), hours=10)
    assert _search(archive, "storm") == [(_url("a"), [1])]  # the cache is built here
    add_version(archive, _path("b"), "Storm\n\nAn older storm report.\n", version=1,
                url=_url("b"), hours=2)
    assert _search(archive, "storm") == [(_url("a"), [1]), (_url("b"), [1])]
    add_version(archive, _path("c"), "Storm\n\nThe storm, the same hour.\n", version=1,
                url=_url("c"), hours=10)
    add_version(archive, _path("a"), "Storm\n\nThe storm hit the coast hard.\n", version=2,
                url=_url("a"), hours=1)
    assert _search(archive, "storm") == [(_url("c"), [1]), (_url("a"), [1, 2]),
                                         (_url("b"), [1])]
    assert _search(archive, "storm", "--limit", "1") == [(_url("c"), [1])]
    assert _search(archive, "hard", "--added") == [(_url("a"), [2])]
    assert _search(archive, "storm", "--since", "1970-01-01") == _search(archive, "storm")


def test_a_stale_cache_is_synced_before_the_search(tmp_path):
    # The lean path reads the cache only when it records the branch's head; a commit
    # made since (here without gitnews syncing it) sends the search through the archive.
    archive = new_archive(tmp_path / "archive")
    add_version(archive, _path("a"), "Vote\n\nThe council voted on Monday.\n", version=1,
                url=_url("a"))
    assert _search(archive, "tuesday") == []
    add_version(archive, _path("a"), "Vote\n\nThe council voted on Tuesday.\n", version=2,
                url=_url("a"), hours=2)
    assert _search(archive, "tuesday") == [(_url("a"), [2])]
    assert _search(archive, "monday", "--removed") == [(_url("a"), [2])]
    assert _search(archive, "voted", "--article", _url("a")) == [(_url("a"), [1, 2])]


def test_search_reads_the_cache_without_the_archive_machinery(tmp_path):
    archive = new_archive(tmp_path / "archive")
    add_version(archive, _path("a"), "Vote\n\nThe council voted on Monday.\n", version=1,
                url=_url("a"))
    assert _search(archive, "monday") == [(_url("a"), [1])]  # the cache is current now
    for args in (["monday"], ["monday", "--json"], ["monday", "--removed"],
                 ["monday", "--host", "example.org"], ["nothing"]):
        modules = _imported("search", *args, "--no-color", "--archive", str(archive))
        assert "gitnews.archive.cache.search" in modules  # the command ran
        heavy = {"git", "gitdb", "rich", "gitnews.archive.repo", "gitnews.config",
                 "gitnews.versions", "gitnews.collection", "trafilatura", "httpx", "lxml"}
        assert not modules & heavy, (args, sorted(modules & heavy))


def test_a_bad_query_on_the_lean_path_exits_2(tmp_path):
    archive = new_archive(tmp_path / "archive")
    add_version(archive, _path("a"), "Vote\n\nThe council voted.\n", version=1, url=_url("a"))
    assert _search(archive, "voted")
    proc = run_gitnews("search", "--archive", str(archive), '"unbalanced')
    assert proc.returncode == 2
    assert "FTS5 expects" in proc.stderr and "Traceback" not in proc.stderr


# -- pure functions ----------------------------------------------------------------------------

_seconds = st.integers(min_value=-(2**31), max_value=2**32)
_seqs = st.integers(min_value=0, max_value=2**ID_SHIFT - 1)


@given(_seconds, _seqs, _seconds, _seqs)
def test_ids_sort_as_time_then_sequence(a, s, b, t):
    assert (doc_id(a, s) < doc_id(b, t)) == ((a, s) < (b, t))
    assert doc_id(a, s) >> ID_SHIFT == a
    assert -(2**63) <= doc_id(a, s) < 2**63  # an SQLite rowid


_hosts = st.lists(st.sampled_from(["www", "WWW", "news", "example", "org", "bbc", "co", "uk",
                                   "xn--bcher-kva", "a-b", "1"]), min_size=1, max_size=4)


@given(_hosts, st.sampled_from(["http", "https"]), st.sampled_from(["", ":8080", ":x"]),
       st.text(max_size=10))
def test_article_host_is_the_lower_case_host_without_www(labels, scheme, port, rest):
    # format.paths owns the rule; search's results, the JSON and `list` all use it.
    url = f"{scheme}://{'.'.join(labels)}{port}/{rest}"
    host = article_host(url)
    assert host == host.lower()
    full = ".".join(labels).lower()
    assert host == (full[4:] if full.startswith("www.") else full)  # one www. only


@given(_hosts, st.sampled_from(["", ".", " "]), st.sampled_from(["", "Bücher.", "ä" * 70]))
def test_host_key_is_idempotent_and_folds_case_and_www(labels, end, prefix):
    # --host of search, changes, list and export all go through this one function.
    host = prefix + ".".join(labels) + end
    key = host_key(host)
    assert host_key(key) == key or key.startswith("www.")
    assert host_key(host.upper()) == key or not host.isascii()
    assert not key.endswith(".")
    if host.strip().rstrip(".").isascii():
        assert key == key.lower()


def test_host_key_examples():
    assert host_key("WWW.BBC.co.uk.") == "bbc.co.uk"
    assert host_key("Bücher.de") == "xn--bcher-kva.de"
    assert article_host("https://www.TheGuardian.com/uk") == "theguardian.com"
    assert article_host("http://[::1") == ""


_lines = st.lists(st.sampled_from(["", "alpha beta", "Beta gamma.", "délta x1", "alpha beta",
                                   "the end", "Ωmega"]), max_size=12).map("\n".join)


@given(_lines, _lines)
def test_changed_lines_without_counting_is_the_counted_result(old, new):
    assert _changed_texts(old, new) == _changed_texts_counted(old.split("\n"),
                                                              new.split("\n"))


@given(_lines, _lines)
def test_word_changes_of_paragraphs_is_a_multiset_difference(old, new):
    from gitnews.archive.cache.words import GAP, words

    added, removed = word_changes(old, new)
    assert Counter(w for w in added.split() if w != GAP) == \
        Counter(words(new)) - Counter(words(old))
    assert Counter(w for w in removed.split() if w != GAP) == \
        Counter(words(old)) - Counter(words(new))
