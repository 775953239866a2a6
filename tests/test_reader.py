"""The read commands' fast path (gitnews.archive.reader): an archive whose cache is current is
read from its cache alone, with the answers the archive opened in full gives; anything else
(a stale, missing or other-schema cache, a folder that is not an archive) takes the full path.
Real git repositories in tmp folders (archive_builders), real SQLite."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from archive_builders import T0, add_version, new_archive
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitnews.archive.cache.schema import SCHEMA_VERSION
from gitnews.archive.reader import CONFIG_FILE, open_current, open_reader
from gitnews.archive.repo import open_archive
from gitnews.errors import ArchiveError
from gitnews.format.trailers import (
    ARTICLE_URL,
    CHANGE_KIND,
    FETCHED_AT,
    VERSION,
    format_message,
    format_subject,
    format_time,
)
from gitnews.output.changelist import ChangeRow, list_changes
from gitnews.output.stats import archive_stats

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()


def _text(headline: str, n: int) -> str:
    return f"{headline}\n\n" + "\n\n".join(
        " ".join(WORDS[(i + j) % len(WORDS)] for j in range(3 + i % 4)) for i in range(n)) + "\n"


def build(folder: Path) -> Path:
    """An archive of 5 articles and 24 commits over two days, in one transaction: edits of
    several sizes and kinds, a removal, a text put back (the same blob: not a change), and
    two versions at the same second (the order's tie-break)."""
    archive = new_archive(folder)
    plan: list[tuple[float, int, str | None, str | None]] = []  # (hours, article, text, kind)
    for k in range(5):
        plan.append((k * 0.5, k, _text(f"Story {k}", 2 + k), None))
    for step in range(1, 17):
        k = step % 5
        kind = ("headline,body" if step % 4 == 0 else "body") if step % 7 else "byline"
        plan.append((3.0 + step * 2.75 - (step == 16) * 2.75, k,
                     _text(f"Story {k}{' again' if step % 4 == 0 else ''}", 2 + (step * 3) % 7),
                     kind))
    plan.append((48.0, 2, None, "removed"))
    plan.append((49.0, 3, _text("Story 3", 3), "body"))
    plan.append((49.5, 3, _text("Story 3", 3), "body"))  # the same text again: not a change
    numbers = [0] * 5
    with open_archive(archive) as arc, arc.transaction() as tx:
        for hours, k, text, kind in sorted(plan, key=lambda p: p[0]):
            numbers[k] += 1
            when = T0 + timedelta(hours=hours)
            trailers: list[tuple[str, str | int]] = [
                (ARTICLE_URL, f"https://news.example.org/{k}"), (VERSION, numbers[k]),
                (FETCHED_AT, format_time(when))]
            if kind:
                trailers.append((CHANGE_KIND, kind))
            message = format_message(
                format_subject("New" if numbers[k] == 1 else "Changed", f"Story {k}"), trailers)
            tx.commit({f"news.example.org/{k}.txt": text}, message=message, when=when)
    with open_archive(archive) as arc:
        assert arc.state.get_meta("head")  # the cache, synced
    return archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("reader") / "a")


def test_a_current_cache_is_read_alone_with_the_same_answers(archive):
    with open_archive(archive) as arc:
        full = list_changes(arc)
        stats = archive_stats(arc)
    assert len(full) >= 15 and any(r.removed for r in full)
    with open_current(archive) as reader:
        assert reader is not None and reader.fast
        assert list_changes(reader) == full
        assert dataclasses.asdict(archive_stats(reader)) == dataclasses.asdict(stats)
        with pytest.raises(sqlite3.OperationalError):  # opened read-only
            reader.db.execute("INSERT OR REPLACE INTO meta VALUES ('x', 'y')")
    with open_reader(archive) as reader:
        assert reader.fast and list_changes(reader) == full
    # Nothing left behind: the write-ahead log's files go with the last connection.
    assert not [p.name for p in (archive / ".git" / "gitnews").iterdir()
                if p.name.endswith(("-wal", "-shm"))]


def _keep(row: ChangeRow, since: datetime | None, until: datetime | None, min_words: int,
          kinds: tuple[str, ...]) -> bool:
    return ((since is None or row.at >= since) and (until is None or row.at <= until)
            and row.words_added + row.words_removed >= min_words
            and (not kinds or bool(set(kinds) & set(row.kinds))))


hours = st.none() | st.integers(min_value=-2, max_value=52).map(lambda h: T0 + timedelta(hours=h))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(since=hours, until=hours, limit=st.none() | st.integers(min_value=0, max_value=20),
       min_words=st.sampled_from([0, 0, 3, 8]),
       kinds=st.sampled_from([(), ("headline",), ("byline", "removed")]))
def test_the_walk_stops_at_the_limit_with_the_newest_of_the_period(
        archive, since, until, limit, min_words, kinds):
    # The index is walked newest first and read only as far as needed: the rows are the
    # first `limit` of every change of the archive that passes the same filters.
    with open_current(archive) as reader:
        assert reader is not None
        every = list_changes(reader)
        got = list_changes(reader, since=since, until=until, limit=limit,
                           min_words=min_words, kinds=kinds)
    wanted = [r for r in every if _keep(r, since, until, min_words, kinds)]
    assert got == (wanted if limit is None else wanted[:limit])


def test_newest_first_with_ties_by_path_and_number(archive):
    with open_current(archive) as reader:
        assert reader is not None
        rows = list_changes(reader)
    keys = [(r.at, r.path, r.number) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert len({r.at for r in rows}) < len(rows)  # the tie is there


def test_the_period_is_read_from_the_time_index_without_a_sort(archive):
    statements: list[str] = []
    with open_current(archive) as reader:
        assert reader is not None
        reader.db.set_trace_callback(statements.append)
        list_changes(reader, since=T0 + timedelta(days=1), limit=3)
        reader.db.set_trace_callback(None)
        query = next(s for s in statements if "FROM versions v" in s)
        plan = " / ".join(row[-1] for row in reader.db.execute(f"EXPLAIN QUERY PLAN {query}"))
    assert "versions_at" in plan and "TEMP B-TREE" not in plan, plan


def test_a_stale_cache_is_synced_by_the_full_path_then_read_alone(tmp_path):
    archive = build(tmp_path / "a")
    add_version(archive, "news.example.org/0.txt", _text("Story 0, later", 9), version=5,
                url="https://news.example.org/0", hours=60)
    assert open_current(archive) is None  # the cache has not seen the new commit
    with open_reader(archive) as reader:
        assert not reader.fast
        newest = list_changes(reader, limit=1)[0]
    assert (newest.path, newest.number) == ("news.example.org/0.txt", 5)
    with open_current(archive) as reader:
        assert reader is not None and list_changes(reader, limit=1) == [newest]


def test_another_schema_or_no_cache_is_rebuilt_by_the_full_path(tmp_path):
    archive = build(tmp_path / "a")
    with open_current(archive) as reader:
        assert reader is not None
        expected = list_changes(reader)
    cache = archive / ".git" / "gitnews" / "state.sqlite"
    db = sqlite3.connect(cache)
    db.execute("UPDATE meta SET v='8' WHERE k='schema'")
    db.commit()
    db.close()
    assert open_current(archive) is None
    with open_reader(archive) as reader:
        assert not reader.fast and list_changes(reader) == expected
        assert reader.get_meta("schema") == SCHEMA_VERSION
    shutil.rmtree(cache.parent)
    assert open_current(archive) is None
    with open_reader(archive) as reader:
        assert not reader.fast and list_changes(reader) == expected
    assert open_current(archive) is not None


def test_a_folder_that_is_not_an_archive(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "missing"):
        assert open_current(folder) is None
        with pytest.raises(ArchiveError, match="no gitnews archive"):
            open_reader(folder)


def test_the_config_file_is_the_configuration_s():
    from gitnews.config import CONFIG_NAME

    assert CONFIG_FILE == CONFIG_NAME


def test_the_default_period_reads_the_last_run_from_the_cache(tmp_path):
    from gitnews.cli.changes import default_since
    from gitnews.models import RunResult
    from gitnews.ops.status import note_run

    archive = build(tmp_path / "a")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    with open_current(archive) as reader:
        assert reader is not None
        assert default_since(reader, now) == (now - timedelta(days=1),
                                              "in the last day (no run recorded)")
    started = T0 + timedelta(hours=30)
    with open_archive(archive) as arc:
        note_run(arc, RunResult(started_at=started, finished_at=started + timedelta(minutes=1)),
                 ended="ok")
    with open_current(archive) as reader:
        assert reader is not None
        assert default_since(reader, now) == (started, "since the last run")
