"""The sentence actions between two versions (gitnews.output.export.sentences): properties
of the pure alignment, and the splitter on real text."""

from __future__ import annotations

from difflib import SequenceMatcher

from hypothesis import given
from hypothesis import strategies as st

from gitnews.output.export.sentences import (
    ACTIONS,
    EDIT_RATIO,
    SentenceSplitter,
    align_sentences,
    split_body,
    split_paragraph,
)
from gitnews.versions.diff import tokenize

WORDS = st.sampled_from(["the", "minister", "said", "on", "Friday", "Monday", "£40", "it's",
                         "barbecue", "not", "all", "expenses", "were", "correct", "Hoon"])
SENTENCE = st.lists(WORDS, min_size=1, max_size=8).map(lambda w: " ".join(w) + ".")
SENTENCES = st.lists(SENTENCE, max_size=12)


def _check_partition(old: list[str], new: list[str]) -> None:
    edits = align_sentences(old, new)
    assert all(e.action in ACTIONS for e in edits)
    assert sorted(e.old for e in edits if e.old is not None) == list(range(len(old)))
    assert sorted(e.new for e in edits if e.new is not None) == list(range(len(new)))
    for e in edits:
        if e.action in ("unchanged", "moved"):
            assert e.old is not None and e.new is not None and old[e.old] == new[e.new]
        elif e.action == "edit":
            assert e.old is not None and e.new is not None and old[e.old] != new[e.new]
            words = SequenceMatcher(None, [t for t, _, _ in tokenize(old[e.old])],
                                    [t for t, _, _ in tokenize(new[e.new])], autojunk=False)
            assert e.ratio >= EDIT_RATIO and abs(words.ratio() - e.ratio) < 1e-3
        elif e.action == "addition":
            assert e.old is None and e.new is not None
        else:
            assert e.new is None and e.old is not None
    kept = [(e.old, e.new) for e in edits if e.action == "unchanged"]
    assert kept == sorted(kept) and [n for _, n in kept] == sorted(n for _, n in kept)
    news = [e.new for e in edits if e.new is not None]
    assert news == sorted(news)  # in the new version's reading order


@given(SENTENCES, SENTENCES)
def test_every_sentence_once_and_actions_hold(old: list[str], new: list[str]) -> None:
    _check_partition(old, new)


@given(SENTENCES)
def test_same_sentences_all_unchanged(sentences: list[str]) -> None:
    assert {e.action for e in align_sentences(sentences, sentences)} <= {"unchanged"}
    assert len(align_sentences(sentences, sentences)) == len(sentences)


@given(st.lists(SENTENCE, unique=True, max_size=10), st.randoms(use_true_random=False))
def test_a_reordering_only_moves(sentences: list[str], rng) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(sentences)
    rng.shuffle(shuffled)
    actions = {e.action for e in align_sentences(sentences, shuffled)}
    assert actions <= {"unchanged", "moved"}
    if shuffled != sentences:
        assert "moved" in actions


@given(SENTENCES, st.integers(min_value=0))
def test_one_sentence_removed_is_one_deletion(sentences: list[str], k: int) -> None:
    if not sentences:
        return
    k %= len(sentences)
    new = sentences[:k] + sentences[k + 1:]
    edits = align_sentences(sentences, new)
    assert [e.action for e in edits].count("deletion") == 1
    assert {e.action for e in edits} <= {"unchanged", "deletion"}


def test_a_corrected_word_is_an_edit_and_a_new_sentence_an_addition() -> None:
    old = ["Gordon Brown says he has more important issues.", "Geoff Hoon insists he broke no rules."]
    new = ["Gordon Brown says he has far more important issues.",
           "Geoff Hoon insists he broke no rules.", "A spokesman declined to comment."]
    edits = align_sentences(old, new)
    assert [(e.action, e.old, e.new) for e in edits] == [
        ("edit", 0, 0), ("unchanged", 1, 1), ("addition", None, 2)]
    assert 0.8 < edits[0].ratio < 1


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300))
def test_split_paragraph_keeps_every_character(paragraph: str) -> None:
    pieces = split_paragraph(paragraph)
    assert "".join("".join(pieces).split()) == "".join(paragraph.split())
    assert all(p == p.strip() and p for p in pieces)


def test_split_real_sentences_with_abbreviations() -> None:
    paragraph = ("Mr. Hoon said: \"I broke no rules.\" The BBC's Nick Robinson said it was "
                 "about £40 (approx. 45 euros). Is it over? Not yet.")
    assert split_paragraph(paragraph) == [
        "Mr. Hoon said: \"I broke no rules.\"",
        "The BBC's Nick Robinson said it was about £40 (approx. 45 euros).",
        "Is it over?", "Not yet."]
    assert split_paragraph("Das ist z.B. ein Test. Und noch einer.", language="de") == [
        "Das ist z.B. ein Test.", "Und noch einer."]


def test_body_numbers_sentences_across_paragraphs() -> None:
    body = split_body(["One. Two.", "Three."])
    assert [(s.text, s.paragraph, s.index) for s in body] == [
        ("One.", 0, 0), ("Two.", 0, 1), ("Three.", 1, 2)]
    splitter = SentenceSplitter()
    assert splitter.body(["One. Two."]) == splitter.body(["One. Two."])
