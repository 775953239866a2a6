"""The cache after a run equals the cache rebuilt from git: the run hands its commits to
the cache (``State.sync(transaction=...)``) instead of reading them back, and that must
change nothing (real git repositories, the real Recorder and Transaction)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from gitnews.archive import init_archive, open_archive
from gitnews.history import versions
from gitnews.models import Article, Page
from gitnews.record import Capture, Recorder
from gitnews.state import State

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def _capture(url: str, headline: str, paragraphs: list[str], when: datetime, *,
             requested: str | None = None, feed: str | None = None) -> Capture:
    article = Article(headline=headline, paragraphs=tuple(paragraphs), byline="A. Writer",
                      published_at="2024-05-01", extractor="trafilatura 2.0.0")
    text = "\n\n".join([headline, *paragraphs]) + "\n"
    page = Page(url=requested or url, final_url=url, status=200, body=b"", fetched_at=when,
                etag='"x"')
    return Capture(requested_url=requested or url, page=page, article=article, text=text,
                   feed=feed)


def _tables(state: State) -> tuple[list, list]:
    articles = state.db.execute(
        "SELECT path, folded, url, versions, blob, headline, feed, first_seen, last_changed,"
        " removed FROM articles ORDER BY path").fetchall()
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


def test_an_edit_made_with_plain_git_is_a_version_and_a_rewrite_forgets_validators(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    url, path = "http://example.com/news/one", "example.com/news/one.txt"
    _run(archive, [_capture(url, "One", ["First."], T0)])
    # An edit with plain git: git counts it, so gitnews does (Version = the file's commits).
    text = (archive / path).read_text(encoding="utf-8")
    (archive / path).write_text(text.replace("First.", "Edited by hand."), encoding="utf-8")
    _git(archive, "commit", "-q", "-am", "hand edit")
    with open_archive(archive) as arc:
        assert arc.state.versions(path) == versions(arc.repo, path)
        assert [v.subject for v in arc.state.versions(path)] == ["New: One", "hand edit"]
        assert arc.state.get(path).versions == 2
        assert arc.state.get(path).etag == '"x"'
    _run(archive, [_capture(url, "One", ["A second text, longer than the hand edit."],
                            T0 + timedelta(hours=1))])
    with open_archive(archive) as arc:
        newest = versions(arc.repo, path)[-1]
        assert newest.trailers["Version"] == "3" and len(versions(arc.repo, path)) == 3
        assert arc.state.versions(path) == versions(arc.repo, path)
    # A rewritten history (reset): validators may name texts git no longer has.
    _git(archive, "reset", "-q", "--hard", "HEAD~2")
    with open_archive(archive) as arc:
        record = arc.state.get(path)
        assert record.versions == 1 and record.etag is None and record.last_modified is None
        assert arc.state.versions(path) == versions(arc.repo, path)


def test_a_damaged_cache_is_set_aside_and_rebuilt_from_git(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    _run(archive, [_capture("http://example.com/news/one", "One", ["First."], T0)])
    cache = archive / ".git" / "gitnews" / "state.sqlite"
    with open_archive(archive) as arc:
        before = _tables(arc.state)
    for extra in ("-wal", "-shm"):
        Path(f"{cache}{extra}").unlink(missing_ok=True)
    cache.write_bytes(b"this is not an SQLite database\n" * 100)
    with open_archive(archive) as arc:
        assert _tables(arc.state) == before
        assert any("damaged" in n for n in arc.notices)
    assert (cache.parent / "state.sqlite.damaged").read_bytes().startswith(b"this is not")
