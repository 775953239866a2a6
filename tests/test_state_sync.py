"""The cache after a run equals the cache rebuilt from git: the run hands its commits to
the cache (``State.sync(transaction=...)``) instead of reading them back, and that must
change nothing (real git repositories, the real Recorder and Transaction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gitnews.archive.cache import State
from gitnews.archive.history import file_history, versions
from gitnews.archive.repo import init_archive, open_archive
from gitnews.models import Article, Page
from gitnews.versions.record import Capture, Recorder

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _capture(url: str, headline: str, paragraphs: list[str], when: datetime, *,
             requested: str | None = None, feed: str | None = None) -> Capture:
    article = Article(headline=headline, paragraphs=tuple(paragraphs), byline="A. Writer",
                      published_at="2024-05-01", extractor="trafilatura 2.0.0")
    text = "\n\n".join([headline, *paragraphs]) + "\n"
    page = Page(url=requested or url, final_url=url, status=200, body=text.encode(),
                fetched_at=when, etag='"x"')
    return Capture(requested_url=requested or url, page=page, article=article, text=text,
                   feed=feed)


def _tables(state: State) -> tuple[list, list]:
    articles = state.db.execute(
        "SELECT path, folded, url, versions, blob, headline, feed, first_seen, last_changed,"
        " removed, vblob, outside FROM articles ORDER BY path").fetchall()
    aliases = state.db.execute("SELECT key, path FROM aliases ORDER BY key").fetchall()
    versions = state.db.execute("SELECT * FROM versions ORDER BY path, number").fetchall()
    return articles, aliases, versions


def _run(archive, captures: list[Capture]) -> None:
    with open_archive(archive) as arc:
        tx = arc.transaction()
        recorder = Recorder(arc, tx)
        for c in captures:
            recorder.record(c)
        tx.finish()
        assert tx.written is not None and len(tx.written) == len(tx.commits)
        recorder.apply()


def test_cache_after_runs_equals_the_cache_rebuilt_from_git(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    feed = "http://example.com/feed.xml"
    _run(archive, [
        _capture("http://example.com/news/one", "One", ["First.", "Second."], T0, feed=feed),
        _capture("http://example.com/news/two", "Two: a story", ["Body."], T0,
                 requested="http://example.com/news/two?utm_source=rss"),
        _capture("http://example.com/news/one", "One, updated", ["First.", "Changed."],
                 T0 + timedelta(minutes=5), feed=feed),
        _capture("http://example.com/News/One", "Other case", ["Another article."], T0),
    ])
    _run(archive, [
        _capture("http://example.com/news/one", "One", ["First.", "Third."],
                 T0 + timedelta(hours=2), requested="https://www.example.com/news/one#x"),
        _capture("http://example.com/news/three", "Three – ü", ["Unicode body ü."],
                 T0 + timedelta(hours=2)),
        _capture("http://example.com/news/one", "One, updated", ["First.", "Changed."],
                 T0 + timedelta(hours=3)),  # back to version 2's text: Reverts-To: 2
    ])
    with open_archive(archive) as arc:
        after_runs = _tables(arc.state)
        # The versions the cache gives (to the Recorder, and to log/show/diff) are
        # git's own history of each file, field for field.
        for (path, *_rest) in after_runs[0]:
            assert arc.state.versions(path) == versions(arc.repo, path)
        reverts = [v.trailers.get("Reverts-To") for v in arc.state.versions("example.com/news/one.txt")]
    assert len(after_runs[0]) == 4
    assert {row[3] for row in after_runs[0]} == {1, 4}
    assert reverts == [None, None, None, "2"]
    (archive / ".git" / "gitnews" / "state.sqlite").unlink()
    for extra in ("-wal", "-shm"):
        (archive / ".git" / "gitnews" / f"state.sqlite{extra}").unlink(missing_ok=True)
    with open_archive(archive) as arc:
        rebuilt = _tables(arc.state)
    assert after_runs == rebuilt


def _git(archive, *args: str) -> str:
    import subprocess

    return subprocess.run(["git", "-C", str(archive), "-c", "user.name=Editor", "-c",
                           "user.email=editor@example.com", *args], check=True,
                          capture_output=True, text=True).stdout


def _outside_tables(state: State) -> list:
    return state.db.execute("SELECT path, commit_id, at, blob, subject, after FROM outside"
                            " ORDER BY rowid").fetchall()


def _rebuild(archive) -> None:
    (archive / ".git" / "gitnews" / "state.sqlite").unlink()
    for extra in ("-wal", "-shm"):
        (archive / ".git" / "gitnews" / f"state.sqlite{extra}").unlink(missing_ok=True)


def test_an_edit_made_with_plain_git_is_an_outside_edit_and_a_rewrite_forgets_validators(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    url, path = "http://example.com/news/one", "example.com/news/one.txt"
    _run(archive, [_capture(url, "One", ["First."], T0)])
    # An edit with plain git (no gitnews trailers): an outside edit, not a version.
    text = (archive / path).read_text(encoding="utf-8")
    (archive / path).write_text(text.replace("One", "Hand-made headline", 1)
                                .replace("First.", "Edited by hand."), encoding="utf-8")
    _git(archive, "commit", "-q", "-am", "hand edit")
    with open_archive(archive) as arc:
        found, outside = file_history(arc.repo, path)
        assert arc.state.versions(path) == found == versions(arc.repo, path)
        assert [v.subject for v in found] == ["New: One"]
        assert arc.state.outside_edits(path) == outside
        assert [(e.subject, e.after, e.removed) for e in outside] == [("hand edit", 1, False)]
        record = arc.state.get(path)
        assert record.versions == 1 and record.outside_edit
        assert record.headline == "One"  # the newest version's, not the hand-made one
        # The next check fetches in full: a 304 must not keep the outside edit for good.
        assert record.etag is None and record.last_modified is None
    _run(archive, [_capture(url, "One", ["A second text, longer than the hand edit."],
                            T0 + timedelta(hours=1))])
    with open_archive(archive) as arc:
        newest = versions(arc.repo, path)[-1]
        assert newest.trailers["Version"] == "2" and len(versions(arc.repo, path)) == 2
        assert newest.trailers["Change-Kind"] == "body, outside-edit"
        assert arc.state.versions(path) == versions(arc.repo, path)
        assert not arc.state.get(path).outside_edit
        assert arc.state.get(path).etag == '"x"'
    # A rewritten history (reset): validators may name texts git no longer has.
    _git(archive, "reset", "-q", "--hard", "HEAD~2")
    with open_archive(archive) as arc:
        record = arc.state.get(path)
        assert record.versions == 1 and record.etag is None and record.last_modified is None
        assert arc.state.versions(path) == versions(arc.repo, path)
        assert arc.state.outside_edits(path) == []


def test_outside_edits_in_the_cache_equal_the_cache_rebuilt_from_git(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    one, two = "example.com/news/one.txt", "example.com/news/two.txt"
    _run(archive, [_capture("http://example.com/news/one", "One", ["First."], T0),
                   _capture("http://example.com/news/two", "Two", ["Second."], T0)])
    # One plain commit edits both article files and adds a file gitnews never wrote.
    for path in (one, two):
        (archive / path).write_text("Edited\n\nBy hand.\n", encoding="utf-8")
    (archive / "example.com" / "notes.txt").write_text("not an article\n", encoding="utf-8")
    _git(archive, "add", "-A")
    _git(archive, "commit", "-q", "-m", "tidy two articles")
    _run(archive, [_capture("http://example.com/news/one", "One", ["First, edited."],
                            T0 + timedelta(hours=1))])
    _git(archive, "rm", "-q", two)
    _git(archive, "commit", "-q", "-m", "drop two")
    with open_archive(archive) as arc:
        after = _tables(arc.state), _outside_tables(arc.state)
        assert [(e.subject, e.after, e.removed) for e in arc.state.outside_edits(two)] == \
            [("tidy two articles", 1, False), ("drop two", 1, True)]
        assert [e.after for e in arc.state.outside_edits(one)] == [1]
        assert [(r.path, r.versions, r.outside_edit) for r in arc.state.articles()] == \
            [(one, 2, False), (two, 1, True)]
        assert arc.state.get(two).removed is False  # gitnews never removed it
    _rebuild(archive)
    with open_archive(archive) as arc:
        assert (_tables(arc.state), _outside_tables(arc.state)) == after
