"""The fast export makes the same rows as main's export before it (tests/export_reference.py),
on a real archive whose articles are edited every way a change can go (sentences edited,
added, deleted, moved and repeated; paragraphs inserted, removed, split and merged; the
headline; a removal and the return after it; Captured-At times), whole and selected by
time; and the pure pieces it is made of against the reference alignment (hypothesis)."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import export_reference
import pytest
from hypothesis import given
from hypothesis import strategies as st
from versions_support import add_versions, make_archive

from gitnews.archive.repo import open_archive
from gitnews.output.export.rows import ArticleExport, ArticleRow, VersionRow, iter_articles
from gitnews.output.export.sentences import (
    SentenceSplitter,
    align_middle,
    align_sentences,
    blocks_words,
    changed_words,
    common_ends,
)
from gitnews.output.export.writers import SQLITE_BATCH, write_sqlite

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
SENTENCES = ["The minister said on Friday that all expenses were correct.",
             "It's not clear who paid £40 for the barbecue.",
             "Hoon denied it.", "Hoon denied it all.", "Officials declined to comment.",
             "A spokesperson said the review would end in May.", "Version 2 of the plan.",
             "The council met on Monday.", "The council met on Tuesday.", "Dr. Smith agreed.",
             "Prices rose 3.5% in March, the U.K. figures show.", "Nothing changed."]


def _text(body: list[list[str]], headline: str) -> str:
    return headline + "\n\n" + "\n\n".join(" ".join(p) for p in body if p) + "\n"


def _edit(rng: random.Random, body: list[list[str]]) -> list[list[str]]:
    """One random edit of a body (a list of paragraphs of sentences)."""
    body = [list(p) for p in body if p] or [[rng.choice(SENTENCES)]]
    p = rng.randrange(len(body))
    kind = rng.randrange(9)
    if kind == 0:  # edit a sentence (a word changed)
        s = rng.randrange(len(body[p]))
        body[p][s] = body[p][s].replace("the", "a", 1).rstrip(".") + " again."
    elif kind == 1:  # add a sentence
        body[p].insert(rng.randrange(len(body[p]) + 1), rng.choice(SENTENCES))
    elif kind == 2 and len(body[p]) > 1:  # delete a sentence
        del body[p][rng.randrange(len(body[p]))]
    elif kind == 3:  # move a paragraph
        body.insert(rng.randrange(len(body)), body.pop(p))
    elif kind == 4:  # insert a paragraph
        body.insert(rng.randrange(len(body) + 1), rng.sample(SENTENCES, rng.randrange(1, 4)))
    elif kind == 5 and len(body) > 1:  # remove a paragraph
        del body[p]
    elif kind == 6 and len(body[p]) > 1:  # split a paragraph
        k = rng.randrange(1, len(body[p]))
        body[p:p + 1] = [body[p][:k], body[p][k:]]
    elif kind == 7 and p + 1 < len(body):  # merge two paragraphs
        body[p:p + 2] = [body[p] + body[p + 1]]
    else:  # repeat the next paragraph's first sentence at this one's end
        body[p].append(body[(p + 1) % len(body)][0])
    return body


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 articles of up to 9 versions each, every version a random edit of the one before."""
    root = make_archive(tmp_path_factory.mktemp("same-rows") / "archive")
    rng = random.Random(17)
    versions: list[tuple[str, str | None, datetime]] = []
    for a in range(12):
        url = f"https://news.example.org/2024/story-{a}"
        body = [rng.sample(SENTENCES, rng.randrange(1, 5)) for _ in range(rng.randrange(1, 6))]
        headline = f"Story {a}"
        for n in range(rng.randrange(1, 10)):
            if n:
                body = _edit(rng, body)
                if rng.random() < 0.2:
                    headline += " (updated)"
            text: str | None = _text(body, headline)
            if a == 3 and n == 2:
                text = None  # removed, then back
            versions.append((url, text, T0 + timedelta(hours=len(versions))))
    # The case where the sentences both versions share at the beginning run on into the
    # paragraph both end with: "A. B." + "B." becomes "A. B. B." + "B.".
    url = "https://news.example.org/2024/run-on"
    versions += [(url, "Run on\n\nA one. B two.\n\nB two.\n", T0 + timedelta(days=2)),
                 (url, "Run on\n\nA one. B two. B two.\n\nB two.\n", T0 + timedelta(days=3))]
    add_versions(root, versions)
    add_versions(root, [("https://news.example.org/2024/story-5", "Story 5 captured\n\nHoon "
                         "denied it.\n", T0 + timedelta(days=4))],
                 extra={"Captured-At": "2024-03-01T07:30:00Z"})
    return root


def _rows(blocks: object) -> list[tuple[str, list[object]]]:
    out = []
    for block in blocks:  # type: ignore[attr-defined]
        out.append(("article", [block.article]))
        out += [("versions", block.versions), ("changes", block.changes),
                ("sentence_edits", block.sentence_edits)]
    return out


@pytest.mark.parametrize("since, until", [(None, None), (T0 + timedelta(hours=5), None),
                                          (None, T0 + timedelta(hours=30)),
                                          (T0 + timedelta(hours=3), T0 + timedelta(hours=40))])
def test_same_rows_as_main(edited: Path, since: datetime | None, until: datetime | None) -> None:
    with open_archive(edited) as arc:
        ours = _rows(iter_articles(arc, since=since, until=until))
        theirs = _rows(export_reference.iter_articles(arc, since=since, until=until))
    assert ours == theirs
    if since is None and until is None:  # the archive does exercise every action
        actions = {e.action for table, rows in ours if table == "sentence_edits" for e in rows}
        assert actions == {"addition", "deletion", "edit", "moved"}


def test_same_rows_for_some_articles_and_without_sentences(edited: Path) -> None:
    with open_archive(edited) as arc:
        paths = sorted(r.path for r in arc.state.query_articles(sort="headline"))[::3]
        assert len(paths) >= 4
        for sentences in (True, False):
            ours = _rows(iter_articles(arc, paths=paths, sentences=sentences))
            theirs = _rows(export_reference.iter_articles(arc, paths=paths, sentences=sentences))
            assert ours == theirs


WORDS = st.sampled_from(["a.", "b.", "c.", "the cat sat.", "the cat sat down.", "x y z.", "x y."])


@given(st.lists(WORDS, max_size=9), st.lists(WORDS, max_size=9), st.data())
def test_alignment_as_main(old: list[str], new: list[str], data: st.DataObject) -> None:
    """align_sentences gives main's actions; align_middle from any known shared ends
    gives the same actions without the unchanged ones, and blocks_words main's counts."""
    reference = export_reference.align_sentences(old, new)
    assert align_sentences(old, new) == reference
    head, tail = common_ends(old, new)
    known_head = data.draw(st.integers(0, head))
    known_tail = data.draw(st.integers(0, tail))
    assert common_ends(old, new, head=known_head, tail=known_tail) == (head, tail)
    splitter = SentenceSplitter()
    blocks: dict[tuple[int, int], object] = {}
    middle = align_middle(old, new, head, tail, words=splitter.words,
                          blocks=blocks)  # type: ignore[arg-type]
    assert middle == [e for e in reference if e.action != "unchanged"]
    for e in middle:
        if e.action == "edit":
            a, b = splitter.words(old[e.old]), splitter.words(new[e.new])  # type: ignore[index]
            assert blocks_words(a, b, blocks[e.old, e.new]) == changed_words(a, b)  # type: ignore[arg-type]
            assert splitter.edit_words(old[e.old], new[e.new],  # type: ignore[index]
                                       blocks[e.old, e.new]) == changed_words(a, b)  # type: ignore[arg-type]
    for sentence in {*old, *new}:
        assert splitter.sentence_words(sentence) == changed_words([], splitter.words(sentence))[0]


def _block(n: int, text: object = "Headline\n\nBody.\n") -> ArticleExport:
    path = f"example.org/{n}.txt"
    version = VersionRow(id=n, article=path, url="https://example.org/", number=1, commit="0" * 40,
                         time="2024-03-01T08:00:00Z", fetched_at="", published_at="",
                         subject="New: Headline", change_kind="", removed=False,
                         headline="Headline", words=2, paragraphs=1, sentences=1,
                         text=text, trailers={"Version": "1"})  # type: ignore[arg-type]
    article = ArticleRow(path=path, url="https://example.org/", host="example.org",
                         headline="Headline", versions=1, changes=0, first_time=version.time,
                         last_time=version.time, removed=False)
    return ArticleExport(article, [version], [], [])


def test_sqlite_writer_errors_reach_the_caller(tmp_path: Path) -> None:
    """An error of the rows (the caller's thread) or of SQLite (the writing thread) is
    raised by write_sqlite, which returns (no thread left waiting)."""
    threads = threading.active_count()  # earlier tests may have left some

    def failing() -> Iterator[ArticleExport]:
        for n in range(1, 3 * SQLITE_BATCH):
            yield _block(n)
        raise ValueError("git could not read a text")

    with pytest.raises(ValueError, match="git could not read"):
        write_sqlite(failing(), tmp_path / "a.db")
    blocks = [_block(n) for n in range(1, 5)] + [_block(5, text=object())]
    with pytest.raises(sqlite3.ProgrammingError):
        write_sqlite(blocks, tmp_path / "b.db")
    assert threading.active_count() == threads
    counts = write_sqlite((_block(n) for n in range(1, 2 * SQLITE_BATCH + 2)), tmp_path / "c.db")
    assert counts.versions == 2 * SQLITE_BATCH + 1
    db = sqlite3.connect(tmp_path / "c.db")
    assert db.execute("SELECT count(*) FROM versions_fts WHERE versions_fts MATCH 'body'"
                      ).fetchone() == (2 * SQLITE_BATCH + 1,)
