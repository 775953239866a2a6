"""The cache rebuilt from git (one streamed ``git log``, rows written in batches) holds
exactly the rows the incremental sync wrote run by run: real git repositories, the real
Recorder and Transaction, outside edits, a cherry-pick, a merge and odd messages."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.archive.cache import State, gitcalls
from gitnews.archive.cache import index as cache_index
from gitnews.archive.history import iter_commits
from gitnews.archive.repo import init_archive, open_archive
from gitnews.format.trailers import parse_trailers
from gitnews.models import Article, Page
from gitnews.versions.record import Capture, Recorder

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TABLES = {
    "articles": "SELECT * FROM articles ORDER BY path",
    "aliases": "SELECT * FROM aliases ORDER BY key",
    "versions": "SELECT * FROM versions ORDER BY path, number",
    "outside": "SELECT path, commit_id, at, blob, subject, after FROM outside ORDER BY rowid",
}


def _capture(url: str, headline: str, paragraphs: list[str], when: datetime, *,
             requested: str | None = None, feed: str | None = None) -> Capture:
    article = Article(headline=headline, paragraphs=tuple(paragraphs), byline="A. Writer",
                      published_at="2024-05-01", extractor="trafilatura 2.0.0")
    text = "\n\n".join([headline, *paragraphs]) + "\n"
    page = Page(url=requested or url, final_url=url, status=200, body=text.encode(),
                fetched_at=when, etag='"x"')
    return Capture(requested_url=requested or url, page=page, article=article, text=text,
                   feed=feed)


def _run(archive: Path, captures: list[Capture]) -> None:
    with open_archive(archive) as arc:
        tx = arc.transaction()
        recorder = Recorder(arc, tx)
        for c in captures:
            recorder.record(c)
        tx.finish()
        recorder.apply()


def _git(archive: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(archive), "-c", "user.name=Editor", "-c",
                           "user.email=editor@example.com", *args], check=True,
                          capture_output=True, text=True).stdout


def _tables(state: State) -> dict[str, list[tuple[object, ...]]]:
    return {name: state.db.execute(sql).fetchall() for name, sql in TABLES.items()}


def _drop_cache(archive: Path) -> None:
    for extra in ("", "-wal", "-shm"):
        (archive / ".git" / "gitnews" / f"state.sqlite{extra}").unlink(missing_ok=True)


def _history(tmp_path: Path) -> Path:
    """An archive whose history has every kind of commit the cache folds."""
    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    feed = "http://example.com/feed.xml"
    one, two = "http://example.com/news/one", "http://example.com/news/two"
    _run(archive, [
        _capture(one, "One", ["First."], T0, feed=feed),
        _capture(two, "Two: a story", ["Body."], T0,
                 requested="http://example.com/news/two?utm_source=rss"),
        _capture(one, "One, updated", ["First.", "Changed."], T0 + timedelta(minutes=5)),
        _capture("http://example.com/news/three", "Three – ü", ["Unicode ü."], T0),
    ])
    # An outside edit of one, then gitnews puts the page's text back (a repeat).
    (archive / "example.com/news/one.txt").write_text("Edited\n\nBy hand.\n", encoding="utf-8")
    (archive / "example.com/notes.txt").write_text("not an article\n", encoding="utf-8")
    _git(archive, "add", "-A")
    _git(archive, "commit", "-q", "-m", "tidy\n\nSome-Key: but no gitnews trailers\n")
    _run(archive, [
        _capture(one, "One, updated", ["First.", "Changed."], T0 + timedelta(hours=1)),
        _capture(two, "Two: a story", ["Body, longer now."], T0 + timedelta(hours=1),
                 requested="https://www.example.com/news/two#x"),
    ])
    # A cherry-picked version (-x): the "(cherry picked from ...)" line ends its trailer
    # block, so for gitnews it is an outside edit (git's %(trailers) would say otherwise).
    _git(archive, "checkout", "-q", "-b", "side", "HEAD~1")
    (archive / "example.com/news/two.txt").write_text("Two\n\nOn a side branch.\n",
                                                       encoding="utf-8")
    _git(archive, "commit", "-q", "-am", "side edit\n\n---\nArticle-Url: x\nVersion: 9\n")
    side = _git(archive, "rev-parse", "HEAD").strip()
    _git(archive, "checkout", "-q", "main")
    _git(archive, "cherry-pick", "-x", "--strategy-option=theirs",
         _git(archive, "rev-parse", "main").strip(), "--allow-empty", "--keep-redundant-commits")
    # A merge of the side branch (no changes of its own in git log's eyes).
    _git(archive, "merge", "-q", "--no-edit", "-X", "ours", side)
    _git(archive, "rm", "-q", "example.com/news/three.txt")
    _git(archive, "commit", "-q", "-m", "drop three")
    _run(archive, [_capture("http://example.com/news/four", "Four", ["New."],
                            T0 + timedelta(hours=3))])
    return archive


@pytest.mark.parametrize("batch", [1, 2, cache_index.REBUILD_BATCH])
def test_rebuild_gives_the_rows_of_the_incremental_sync(tmp_path, monkeypatch, batch):
    archive = _history(tmp_path)
    with open_archive(archive) as arc:  # the cache as the runs and syncs left it
        incremental = _tables(arc.state)
    assert incremental["outside"] and incremental["versions"]
    assert any(row[12] for row in incremental["articles"])  # a repeat (after the outside edit)
    monkeypatch.setattr(cache_index, "REBUILD_BATCH", batch)
    _drop_cache(archive)
    with open_archive(archive) as arc:
        assert _tables(arc.state) == incremental
        indexes = {r[0] for r in arc.state.db.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")}
    assert {"articles_folded", "outside_path"} <= indexes


def test_log_records_match_iter_commits(tmp_path):
    archive = _history(tmp_path)
    with open_archive(archive) as arc:
        head = gitcalls.head(arc.repo)
        assert head is not None
        streamed = list(gitcalls.log_records(arc.repo, head))
        walked = [(e.commit, int(e.time.timestamp()), e.message,
                   [(s, p, e.blobs.get(p)) for s, p in e.changes])
                  for e in iter_commits(arc.repo, head, blobs=True)]
    assert streamed == walked
    assert any(not changes for *_, changes in streamed)  # the merge


def test_tree_blobs_lists_the_files_of_a_tree(tmp_path):
    archive = _history(tmp_path)
    with open_archive(archive) as arc:
        found = gitcalls.tree_blobs(arc.repo, "HEAD")
    listed = _git(archive, "ls-tree", "-r", "HEAD").splitlines()
    assert found == {line.split("\t", 1)[1]: line.split()[2] for line in listed}


_KEY = st.text("AbZz09-", min_size=1, max_size=6)
_VALUE = st.text(" \tab:é-\r\x0b\xa0\x1c", max_size=8)
_LINE = st.one_of(
    st.builds(lambda k, sep, v: f"{k}{sep}{v}", _KEY, st.sampled_from([": ", ":", " : ", "\t:"]),
              _VALUE),
    st.sampled_from(["", " ", " \t", "---", "--- x", "(cherry picked from commit 1)", " cont",
                     "\tcont", "#c", "-Bad: x", "no colon", "x\r"]))


@settings(max_examples=400, deadline=None)
@given(subject=st.text(max_size=10), lines=st.lists(_LINE, max_size=8),
       blank=st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\n"]), tail=st.sampled_from(["", "\n", "\n\n"]))
def test_fast_trailers_equal_parse_trailers(subject, lines, blank, tail):
    message = subject + blank + "\n".join(lines) + tail
    assert cache_index._trailers(message) == dict(parse_trailers(message))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), st.text(max_size=10), max_size=6))
def test_trailers_json_is_json_dumps(pairs):
    import json

    assert cache_index._json_object(pairs) == json.dumps(pairs, ensure_ascii=False,
                                                         separators=(",", ":"))


def test_log_records_stopped_early_ends_git_and_its_reader(tmp_path):
    import threading

    archive = _history(tmp_path)
    with open_archive(archive) as arc:
        head = gitcalls.head(arc.repo)
        assert head is not None
        records = gitcalls.log_records(arc.repo, head)
        first = next(records)
        records.close()  # the reader stops after one commit: git is killed, no error
        assert len(first[0]) == 40
        # the whole log still reads the same after a stop
        assert len(list(gitcalls.log_records(arc.repo, head))) == int(
            _git(archive, "rev-list", "--count", head))
    assert not [t for t in threading.enumerate() if t.name == "git-log-reader"]


def test_log_records_in_tiny_chunks_read_the_same(tmp_path, monkeypatch):
    """Reads of a few bytes and a queue of one chunk (the reader thread blocked on a
    full queue most of the time): the records split across chunks come out whole."""
    archive = _history(tmp_path)
    with open_archive(archive) as arc:
        head = gitcalls.head(arc.repo)
        assert head is not None
        whole = list(gitcalls.log_records(arc.repo, head))
        monkeypatch.setattr(gitcalls, "LOG_PIPE_BYTES", 7)
        monkeypatch.setattr(gitcalls, "LOG_AHEAD_CHUNKS", 1)
        assert list(gitcalls.log_records(arc.repo, head)) == whole
