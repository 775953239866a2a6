"""Versions with ``Change-Kind: extraction`` (gitnews re-read a page it had: no edit by the
publisher) are marked in the feed of changes: the entry's title says so and the entry has
the category ``gitnews:extraction`` (a real archive, the real ``gitnews feed``)."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
from capture_fixtures import BBC_URL, add_captured_version, new_archive, page
from conftest import run_gitnews

from gitnews.output.changefeed import EXTRACTION_CATEGORY, EXTRACTION_NOTE

T1 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
T2 = datetime(2006, 10, 22, 9, 0, tzinfo=UTC)
T3 = datetime(2006, 10, 23, 9, 0, tzinfo=UTC)


def test_extraction_versions_are_marked_in_the_feed(tmp_path) -> None:
    archive = new_archive(tmp_path / "archive")
    a = page("6072486-A.html")
    path, _ = add_captured_version(archive, BBC_URL, T1, a)
    text = (archive / path).read_text(encoding="utf-8")
    # the same page read again with a rule that drops the last paragraph
    add_captured_version(archive, BBC_URL, T2, a, kinds=("extraction",),
                         text=text.rsplit("\n\n", 1)[0] + "\n")
    add_captured_version(archive, BBC_URL, T3, page("6072486-B.html"), kinds=("body",))
    for rss in (False, True):
        done = run_gitnews("feed", "--archive", str(archive), *(["--rss"] if rss else []))
        assert done.returncode == 0, done.stderr
        entries = feedparser.parse(done.stdout).entries
        assert len(entries) == 2
        newest, older = entries  # newest first
        assert older.title.endswith(EXTRACTION_NOTE)
        assert EXTRACTION_CATEGORY in [t.term for t in older.tags]
        assert EXTRACTION_NOTE not in newest.title
        assert EXTRACTION_CATEGORY not in [t.term for t in newest.get("tags", [])]
