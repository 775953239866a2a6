"""Prefix queries (``evacuat*``) expanded into the index's words with that prefix
(:func:`gitnews.archive.cache.search.expand_prefixes`, an ``fts5vocab`` table): the
same rows as FTS5's own prefix search, for any query (hypothesis, on a real SQLite
FTS5 table in memory made as the cache's is)."""

from __future__ import annotations

import random
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.archive.cache.schema import SCHEMA
from gitnews.archive.cache.search import MAX_PREFIX_TERMS, SearchIndex, expand_prefixes

WORDS = ["evacuate", "evacuated", "evacuation", "eve", "even", "event", "flood", "floods",
         "heavy", "heavier", "winds", "windy", "wind", "rain", "résumé", "resume", "naïve",
         "a1", "a2", "ab", "near", "and", "or", "not"]


def _index() -> SearchIndex:
    """A :class:`SearchIndex` over an in-memory database with the cache's search
    tables and 300 documents of :data:`WORDS` (same seed: the same rows)."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    rng = random.Random(17)
    for rowid in range(1, 301):
        headline = " ".join(rng.choices(WORDS, k=3))
        body = " ".join(rng.choices(WORDS, k=rng.randint(0, 25)))
        db.execute("INSERT INTO search_text(rowid, headline, body) VALUES (?,?,?)",
                   (rowid, headline, body))
    index = SearchIndex.__new__(SearchIndex)  # the query methods need only the connection
    index.db = db
    return index


INDEX = _index()


def _rows(query: str) -> list[int] | str:
    """The rowids ``query`` matches, or ``"error"`` when FTS5 refuses it."""
    try:
        return [r for (r,) in INDEX.db.execute(
            "SELECT rowid FROM search_text WHERE search_text MATCH ? ORDER BY rowid DESC",
            (query,))]
    except sqlite3.OperationalError:
        return "error"


def _expanded(query: str) -> str:
    return expand_prefixes(query, lambda p: INDEX._prefix_terms("search_text", p))


prefixes = st.sampled_from(["e", "ev", "evacuat", "eve", "flood", "wind", "he", "a", "r",
                            "res", "na", "zz", "EVAC", "Wind", "resum", "rés", "n"])
words_ = st.sampled_from(["flood", "heavy", "winds", "rain", "even", "résumé", "a1"])


@st.composite
def atoms(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 10))
    p = draw(prefixes)
    w = draw(words_)
    return [f"{p}*", f"{w}", f'"{w} {p}"*', f'"{p}"*', f"NEAR({w} {p}*, 3)",
            f"headline : {p}*", f"^{p}*", f"{w} + {p}*", f"{p} *",
            f"-headline : {p}*", f"{{headline body}} : {p}*"][kind]


queries = st.recursive(
    atoms(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from([" AND ", " OR ", " NOT ", " "]), inner)
        .map("".join),
        inner.map(lambda q: f"({q})"),
        inner.map(lambda q: f"{{body}} : ({q})")),
    max_leaves=4)


@settings(max_examples=300, deadline=None)
@given(queries)
def test_expanded_prefixes_match_the_same_rows(query):
    assert _rows(_expanded(query)) == _rows(query)


@pytest.mark.parametrize("query, expanded", [
    ("evacuat*", '("evacuate" OR "evacuated" OR "evacuation")'),
    ("Evacuat* AND flood", '("evacuate" OR "evacuated" OR "evacuation") AND flood'),
    ('"heavy wind"*', '("heavy wind" OR "heavy winds" OR "heavy windy")'),
    ("headline : flood*", 'headline : ("flood" OR "floods")'),
    # Left to FTS5: in NEAR, after ^ or +, beside another phrase, not ASCII, no such word.
    ("NEAR(heavy wind*, 3)", "NEAR(heavy wind*, 3)"),
    ("^flood*", "^flood*"),
    ("heavy + wind*", "heavy + wind*"),
    ("heavy wind*", "heavy wind*"),
    ("rés*", "rés*"),
    ("zzz*", "zzz*"),
    ("flood", "flood"),
])
def test_expansions(query, expanded):
    assert _expanded(query) == expanded
    assert _rows(expanded) == _rows(query)


def test_too_many_words_are_left_to_fts5():
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.executescript(SCHEMA)
    db.executemany("INSERT INTO search_added(rowid, words) VALUES (?, ?)",
                   [(i, f"w{i}") for i in range(1, MAX_PREFIX_TERMS + 2)])
    index = SearchIndex.__new__(SearchIndex)
    index.db = db
    assert index._prefix_terms("search_added", "w") is None
    assert index._prefix_terms("search_added", "w1") == sorted(
        f"w{i}" for i in range(1, MAX_PREFIX_TERMS + 2) if str(i).startswith("1"))
