"""The version signals' fast paths give exactly what the straightforward rules give (branch
s7-signals): the Recorder's ``version_signals``, ``assess``, ``fact_changes``, ``new_notices``,
``is_notice`` and ``diff_stats`` against slow references kept here (the code gitnews had
before: whole texts read, every paragraph tested, the rows of ``diff_texts`` built)."""

from __future__ import annotations

import re
from collections import Counter

from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.format.normalise import parse_text, render_article, render_text
from gitnews.pagetext.extract import extract_article
from gitnews.versions.corrections import (
    MIN_NOTICE_WORDS,
    Notices,
    _fold,
    _key,
    _letter_words,
    correction_value,
    default_notices,
    is_notice,
    new_notices,
)
from gitnews.versions.diff import diff_stats, diff_texts
from gitnews.versions.significance import (
    HEADLINE_REWRITTEN_BELOW,
    MAJOR,
    MAJOR_PARAGRAPHS,
    MAJOR_WORDS_SHARE,
    MINOR,
    MODERATE,
    MODERATE_WORDS_SHARE,
    FactChanges,
    Signals,
    Significance,
    _headline_kept,
    _segments,
    assess,
    fact_changes,
    facts,
    unannounced_value,
    version_signals,
)

_WORD = re.compile(r"[^\W\d_][\w'’.-]*")

# -- the slow references ------------------------------------------------------------------------


def ref_is_notice(paragraph: str, notices: Notices) -> bool:
    folded = _fold(paragraph)
    for phrase in notices.start:
        if folded.startswith(phrase) and _letter_words(folded[len(phrase):]) >= MIN_NOTICE_WORDS:
            return True
    return any(phrase in folded for phrase in notices.anywhere)


def ref_new_notices(old_text: str, new_text: str, page=(), *, seen=(), notices=None) -> list[str]:
    notices = notices or default_notices()
    old_folded = _fold(old_text)
    seen_keys = {_key(s) for s in seen}
    out: list[str] = []
    old_paragraphs = {_fold(p) for p in parse_text(old_text)[1]} if old_text else set()
    for paragraph in [p for p in parse_text(new_text)[1] if ref_is_notice(p, notices)]:
        if _fold(paragraph) not in old_paragraphs and _key(paragraph) not in seen_keys:
            out.append(paragraph)
    texts = [_fold(p) for p in out]
    for notice in page:
        folded = _fold(notice)
        if not folded or folded in old_folded or _key(notice) in seen_keys \
                or any(folded in t or t in folded for t in texts):
            continue
        out.append(notice)
        texts.append(folded)
    return out


def ref_fact_changes(old: str, new: str) -> FactChanges:
    """The facts of the whole texts (the module docstring's definition)."""
    a, b = facts(old), facts(new)

    def changed(x: Counter[str], y: Counter[str]) -> int:
        return max(sum((x - y).values()), sum((y - x).values()))

    return FactChanges(numbers=changed(a.numbers, b.numbers), quotes=changed(a.quotes, b.quotes),
                       names=changed(a.names, b.names))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ref_assess(old_text: str, new_text: str, *, correction: bool = False,
               changes: FactChanges | None = None, restored: bool = False) -> Significance:
    if restored:
        return Significance(MAJOR, ("article restored",))
    stats = diff_texts(old_text, new_text).stats
    changes = changes if changes is not None else ref_fact_changes(old_text, new_text)
    major: list[str] = []
    moderate: list[str] = []
    old_head, new_head = parse_text(old_text)[0], parse_text(new_text)[0]
    if old_head != new_head:
        if _headline_kept(old_head, new_head) < HEADLINE_REWRITTEN_BELOW:
            major.append("headline rewritten")
        else:
            moderate.append("headline edited")
    changed = stats.words_added + stats.words_removed
    total = len(_WORD.findall(old_text)) + len(_WORD.findall(new_text))
    share = changed / total if total else 0.0
    words = f"{round(100 * share)}% of the words changed"
    if share >= MAJOR_WORDS_SHARE:
        major.append(words)
    elif share >= MODERATE_WORDS_SHARE:
        moderate.append(words)
    paragraphs = []
    if stats.paragraphs_added:
        paragraphs.append(f"{_plural(stats.paragraphs_added, 'paragraph')} added")
    if stats.paragraphs_removed:
        paragraphs.append(f"{_plural(stats.paragraphs_removed, 'paragraph')} removed")
    (major if stats.paragraphs_added + stats.paragraphs_removed >= MAJOR_PARAGRAPHS
     else moderate).extend(paragraphs)
    if correction:
        moderate.append("correction notice")
    if changes:
        moderate.append(" ".join([", ".join(changes.parts()), "changed"]))
    if major:
        return Significance(MAJOR, tuple(major + moderate))
    if moderate:
        return Significance(MODERATE, tuple(moderate))
    if changed:
        n = max(stats.words_added, stats.words_removed)
        return Significance(MINOR, (f"{_plural(n, 'word')} changed",))
    return Significance(MINOR, ("extraction only",) if old_text != new_text else ())


def ref_version_signals(old_text: str, text: str, *, first: bool, restored: bool = False,
                        page=(), seen=(), notices=None) -> Signals:
    fresh = ref_new_notices("" if first else old_text, text, page, seen=seen, notices=notices)
    correction = correction_value(fresh)
    if first:
        return Signals(correction=correction)
    changes = ref_fact_changes(old_text, text)
    level = ref_assess(old_text, text, correction=bool(fresh), changes=changes, restored=restored)
    return Signals(correction=correction,
                   unannounced=unannounced_value(changes, announced=bool(fresh)),
                   significance=level.value(), corrected=bool(fresh))


# -- texts and their edits ----------------------------------------------------------------------

_TOKENS = ["the", "a", "said", "Mr", "Ahab", "Starbuck", "of", "New", "York", "Times", "von",
           "Ishmael's", "don't", "12", "3.5", "2,700", "10:02", "U.S", "15-year-old", "“go",
           "on”", "\"two", "words\"", "„drei", "Worte“", "«", "»", "(see", "it)", "-", "—",
           "said.", "Ahab.", "again!", "Why?", "note:", "end;", "it.”", "’tis", "_x", "é",
           "Ünal", "March", "Monday", "x.", "Pequod,", "Correction:", "Update:", "amended",
           "This article was amended on", "An earlier version of this article",
           "Korrektur:", "éditeur", "1.", "…"]
_paragraph = st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=18).map(" ".join)
_NOTICE_PARAGRAPHS = ["Correction: the figure was wrong in the first version.",
                      "This article was amended on 30 September 2016 to correct a name.",
                      "Update: the minister has since resigned from the cabinet.",
                      "Correction: 12 March"]
_body = st.lists(st.one_of(_paragraph, st.sampled_from(_NOTICE_PARAGRAPHS)), max_size=8)


@st.composite
def _edited(draw: st.DrawFn) -> tuple[str, str]:
    """An old text and a new one made from it by a few edits: paragraphs kept, dropped,
    added, moved, or with words changed (so that the two share much, as versions do)."""
    head = draw(_paragraph)
    body = draw(_body)
    new_head = head if draw(st.booleans()) else draw(_paragraph)
    new_body = list(body)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["word", "drop", "add", "move", "sentence"]))
        if kind == "add" or not new_body:
            new_body.insert(draw(st.integers(0, len(new_body))),
                            draw(st.one_of(_paragraph, st.sampled_from(_NOTICE_PARAGRAPHS))))
            continue
        i = draw(st.integers(0, len(new_body) - 1))
        if kind == "drop":
            del new_body[i]
        elif kind == "move":
            new_body.insert(draw(st.integers(0, len(new_body) - 1)), new_body.pop(i))
        elif kind == "sentence":
            new_body[i] = new_body[i] + " " + draw(_paragraph)
        else:
            words = new_body[i].split()
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(_TOKENS))
            new_body[i] = " ".join(words)
    return render_text(head, body), render_text(new_head, new_body)


# -- the properties -----------------------------------------------------------------------------

@settings(max_examples=400)
@given(_edited())
def test_diff_stats_are_the_rows_statistics(pair):
    old, new = pair
    assert diff_stats(old, new) == diff_texts(old, new).stats
    assert diff_stats("", new) == diff_texts("", new).stats


@settings(max_examples=400)
@given(_edited(), st.booleans(), st.booleans())
def test_assess_and_fact_changes_are_the_straightforward_ones(pair, correction, restored):
    old, new = pair
    assert fact_changes(old, new) == ref_fact_changes(old, new)
    assert assess(old, new, correction=correction, restored=restored) \
        == ref_assess(old, new, correction=correction, restored=restored)


@settings(max_examples=400)
@given(_edited(), st.lists(st.sampled_from(_NOTICE_PARAGRAPHS + ["An earlier version misstated "
                                                                 "the number of areas."]),
                           max_size=2),
       st.lists(st.sampled_from(_NOTICE_PARAGRAPHS), max_size=2), st.booleans(),
       st.booleans())
def test_version_signals_are_the_straightforward_ones(pair, page, seen, first, restored):
    old, new = pair
    notices = default_notices().with_site(["Nachtrag:", "Note:"])
    for n in (None, notices):
        assert new_notices(old, new, page, seen=seen, notices=n) \
            == ref_new_notices(old, new, page, seen=seen, notices=n)
        assert version_signals(old, new, first=first, restored=restored, page=page, seen=seen,
                               notices=n) \
            == ref_version_signals(old, new, first=first, restored=restored, page=page,
                                   seen=seen, notices=n)


@given(_paragraph)
def test_is_notice_is_the_phrase_by_phrase_test(paragraph):
    notices = default_notices().with_site(["Nachtrag:"])
    for p in (paragraph, "Correction: " + paragraph, paragraph + " this article was amended on",
              "Nachtrag: " + paragraph):
        assert is_notice(p, notices) == ref_is_notice(p, notices)
    assert is_notice(paragraph, Notices()) is False


@given(_paragraph)
def test_a_paragraph_is_its_sentences(paragraph):
    pieces = _segments(paragraph)
    assert "".join(pieces) == paragraph
    whole, parts = facts(render_text("H", [paragraph])), [facts(render_text("H", [p]))
                                                           for p in pieces]
    assert whole.names == sum((p.names for p in parts), Counter())
    assert whole.numbers == sum((p.numbers for p in parts), Counter())


def test_the_real_pages_give_the_same_signals():
    texts = [render_article(extract_article(p.read_bytes(), url="http://example.test/a"))
             for p in (DATA / "signals" / "ars-pagers-v1.html",
                       DATA / "signals" / "ars-pagers-v2.html")]
    texts += [(DATA / "versions" / f"seed-v{n}.txt").read_text(encoding="utf-8") for n in (1, 2)]
    for old in texts:
        for new in texts:
            assert diff_stats(old, new) == diff_texts(old, new).stats
            assert version_signals(old, new, first=False) \
                == ref_version_signals(old, new, first=False)
