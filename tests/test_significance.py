"""Significance, facts and the filter: the rule table on real recorded pages, and property tests
of the pure rules (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import DATA
from hypothesis import given
from hypothesis import strategies as st

from gitnews.format.normalise import render_article, render_text
from gitnews.format.trailers import CHANGE_KIND, SIGNIFICANCE
from gitnews.format.version import Version
from gitnews.pagetext.extract import extract_article
from gitnews.versions.significance import (
    LEVELS,
    MAJOR,
    MINOR,
    MODERATE,
    FactChanges,
    Significance,
    assess,
    check_kinds,
    check_level,
    fact_changes,
    facts,
    parse_significance,
    passes,
    unannounced_value,
    version_signals,
)

SEED = DATA / "scenarios" / "seed-guardian" / "pages"
BBC = DATA / "scenarios" / "bbc-2009"
ARS = DATA / "signals"


def text_of(path) -> str:
    return render_article(extract_article(path.read_bytes(), url="http://example.test/a"))


# -- the three cases of "Done means", on the real pages --------------------------------------

def test_seed_article_one_word_corrected_is_minor():
    old, new = text_of(SEED / "gaps-remain-v1.html"), text_of(SEED / "gaps-remain-v2.html")
    level = assess(old, new)
    assert level == Significance(MINOR, ("1 word changed",))
    assert fact_changes(old, new) == FactChanges()


def test_bbc_2009_two_paragraphs_removed_is_at_least_moderate():
    old, new = text_of(BBC / "7984711-A.stm.html"), text_of(BBC / "7984711-B.stm.html")
    level = assess(old, new)
    assert LEVELS.index(level.level) >= LEVELS.index(MODERATE)
    assert "2 paragraphs removed" in level.reasons


def test_ars_headline_rewritten_is_major():
    old, new = text_of(ARS / "ars-pagers-v1.html"), text_of(ARS / "ars-pagers-v2.html")
    level = assess(old, new)
    assert level.level == MAJOR
    assert level.reasons[0] == "headline rewritten"
    changes = fact_changes(old, new)
    assert changes.numbers >= 1  # "8 dead" -> "11 dead", "eight" -> "11"
    assert parse_significance(level.value()) == level


# -- the rule table on small texts -------------------------------------------------------------

BODY = ["The council said on Monday that 42 homes were damaged in the storm.",
        "Residents were moved to the school hall overnight.",
        "The mayor, Anna Berg, said repairs would take weeks.",
        "Roads reopened in the afternoon."]


def t(headline: str, body: list[str]) -> str:
    return render_text(headline, body)


def test_headline_edited_is_moderate_and_rewritten_major():
    old = t("Storm damages 42 homes in town", BODY)
    assert assess(old, t("Storm damages 42 homes in the town", BODY)) == \
        Significance(MODERATE, ("headline edited",))
    assert assess(old, t("Mayor promises quick repairs", BODY)).level == MAJOR


def test_paragraphs_added_or_removed():
    old = t("Storm", BODY)
    assert "1 paragraph removed" in assess(old, t("Storm", BODY[:3])).reasons
    longer = t("Storm", BODY + ["One.", "Two more words.", "Three more words here."])
    assert assess(old, longer).level == MAJOR


def test_facts_numbers_quotes_names():
    text = t("Headline", ['Officials said 2,700 people were hurt at 3:30 pm in Beirut.',
                          '“We all thought he was wounded,” Ahmad Ayoud said.',
                          'Police in New York said nothing.'])
    found = facts(text)
    assert found.numbers == {"2,700": 1, "3:30": 1}
    assert found.quotes == {"We all thought he was wounded,": 1}
    assert set(found.names) == {"Beirut", "Ahmad Ayoud", "New York"}


def test_fact_change_without_notice_is_unannounced():
    old = t("Storm", BODY)
    new = t("Storm", [BODY[0].replace("42", "44"), *BODY[1:3],
                      "Roads reopened in the afternoon, Berg said."])
    changes = fact_changes(old, new)
    assert changes == FactChanges(numbers=1, names=1)
    assert unannounced_value(changes, announced=False) == "1 number, 1 name"
    assert unannounced_value(changes, announced=True) is None
    signals = version_signals(old, new, first=False)
    assert signals.unannounced == "1 number, 1 name"
    assert signals.significance is not None and signals.significance.startswith("moderate (")
    assert not signals.corrected


def test_a_new_notice_is_announced_and_moderate():
    old = t("Storm", BODY)
    new = t("Storm", [BODY[0].replace("42", "44"), *BODY[1:],
                      "Correction: an earlier figure for the damaged homes was wrong."])
    signals = version_signals(old, new, first=False)
    assert signals.corrected and signals.unannounced is None
    assert signals.correction == "Correction: an earlier figure for the damaged homes was wrong."
    assert "correction notice" in (parse_significance(signals.significance) or Significance("x")).reasons


def test_extraction_only_and_removal():
    assert version_signals("a\n", "b\n", first=False, extraction_only=True).significance == \
        "minor (extraction only)"
    assert assess("", "", removed=True) == Significance(MAJOR, ("article removed",))


# -- the filter ----------------------------------------------------------------------------------

def version(number: int, **trailers: str) -> Version:
    return Version(path="a.test/x.txt", number=number, commit="0" * 40,
                   fetched_at=datetime(2026, 1, 1, tzinfo=UTC), subject="Changed: x",
                   trailers=dict(trailers))


def test_passes():
    minor = version(2, **{SIGNIFICANCE: "minor (1 word changed)", CHANGE_KIND: "body"})
    major = version(3, **{SIGNIFICANCE: "major (headline rewritten)",
                          CHANGE_KIND: "headline, body, correction"})
    old = version(4, **{CHANGE_KIND: "body"})  # recorded before the trailer existed
    first = version(1)
    assert passes(minor) and passes(first)
    assert not passes(minor, min_significance="moderate")
    assert passes(major, min_significance="moderate")
    assert not passes(old, min_significance="minor")
    assert passes(major, kinds=["correction"]) and not passes(minor, kinds={"correction"})
    assert not passes(first, min_significance="minor")
    assert passes(first, min_significance="major", kinds=["new"])
    assert not passes(major, min_significance="major", kinds=["byline"])
    with pytest.raises(ValueError, match="minor, moderate, major"):
        passes(minor, min_significance="huge")
    with pytest.raises(ValueError, match="unknown change kind 'typo'"):
        check_kinds(["typo"])
    assert check_level(" Major ") == MAJOR and check_kinds([]) is None


# -- properties of the pure rules -----------------------------------------------------------------

words = st.text(alphabet="abcdefgh XYZ0123456789.,“”\"", min_size=0, max_size=40)
paragraphs = st.lists(words.map(lambda s: " ".join(s.split())).filter(bool), max_size=6)
texts = st.builds(lambda h, b: render_text(h, b), words, paragraphs)


@given(texts)
def test_no_change_is_minor_without_reasons(text):
    assert assess(text, text) == Significance(MINOR, ())
    assert fact_changes(text, text) == FactChanges()


@given(texts, texts)
def test_level_is_a_level_and_the_value_parses_back(old, new):
    level = assess(old, new)
    assert level.level in LEVELS
    assert parse_significance(level.value()) == level
    assert all(";" not in r and ")" not in r for r in level.reasons)


@given(texts, texts)
def test_fact_changes_are_symmetric(old, new):
    assert fact_changes(old, new) == fact_changes(new, old)


@given(texts, texts)
def test_a_correction_never_lowers_the_level(old, new):
    plain, corrected = assess(old, new), assess(old, new, correction=True)
    assert LEVELS.index(corrected.level) >= max(LEVELS.index(plain.level), LEVELS.index(MODERATE))


def _changed_whole(old: str, new: str) -> FactChanges:
    """fact_changes as the module docstring defines it: the facts of the whole texts."""
    a, b = facts(old), facts(new)

    def changed(x, y) -> int:
        return max(sum((x - y).values()), sum((y - x).values()))

    return FactChanges(numbers=changed(a.numbers, b.numbers), quotes=changed(a.quotes, b.quotes),
                       names=changed(a.names, b.names))


shared = st.lists(st.sampled_from(["Mr Ahab Starbuck said 12 “go on now”.", "The Pequod sailed.",
                                   "Ishmael, 3.5 and \"two words\" Queequeg", "a b c"]), max_size=5)


@given(st.builds(lambda h, b, c: render_text(h, b + c), words, paragraphs, shared),
       st.builds(lambda h, b, c: render_text(h, c + b), words, paragraphs, shared))
def test_fact_changes_read_only_the_paragraphs_that_differ(old, new):
    # Paragraphs both texts hold cancel out: the shortcut gives the whole texts' answer.
    assert fact_changes(old, new) == _changed_whole(old, new)
