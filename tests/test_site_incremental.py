"""The site from the cache, incrementally (issue 19): the same bytes as a full build.

``gitnews site`` reads every article's versions from the cache's ``versions`` table
instead of the whole ``git log``; a run with nothing new (same head, settings and notes,
every file there) reads no history and writes nothing; a run after new versions renders
only what they touch.  Each test builds real archives (git repositories in tmp dirs) and
compares every file of a site brought up to date run after run with a site built once,
from nothing, of the same archive.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from versions_support import SEED_URL, SEED_V2_AT, add_versions, seed_archive, seed_text

from gitnews.archive.repo import open_archive
from gitnews.format.paths import article_path
from gitnews.format.urls import canonical_url
from gitnews.output.site import build_site, read_histories
from gitnews.output.site.articles import cached_histories
from gitnews.output.sitelayout import MANIFEST

T0 = SEED_V2_AT + timedelta(days=1)


def build(archive: Path, out: Path, **kw):
    """build_site as `gitnews site` calls it (the schedule's stopped-note, no Pagefind)."""
    from gitnews.versions.schedule import Policy, stopped_note

    with open_archive(archive) as arc:
        kw.setdefault("schedule_note", stopped_note(Policy.from_settings(arc.config.schedule)))
        kw.setdefault("now", datetime(2017, 1, 1, tzinfo=UTC))
        return build_site(arc, out, search=False, **kw)


def files_of(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def story(i: int, n: int) -> tuple[str, str]:
    return (f"http://example{i % 3}.com/news/story-{i}",
            f"Story {i}, take {n}\n\nThe first paragraph of story {i}.\n\nEdit number {n}.\n")


def outside_edit(root: Path, url: str, text: str) -> None:
    """A commit made with plain git (no trailers): an outside edit, not a version."""
    path = article_path(canonical_url(url))
    (root / path).write_text(text, encoding="utf-8")
    subprocess.run(["git", "-C", str(root), "-c", "user.name=someone",
                    "-c", "user.email=someone@example.org", "commit", "-qam", "Fix a typo"],
                   check=True)


def test_histories_from_the_cache_are_the_ones_git_log_gives(tmp_path):
    root = seed_archive(tmp_path / "a")
    add_versions(root, [story(i, 1) + (T0 + timedelta(minutes=i),) for i in range(6)])
    add_versions(root, [(story(1, 2)[0], None, T0 + timedelta(hours=2)),  # a removal
                        story(2, 2) + (T0 + timedelta(hours=3),)],
                 extra={"Significance": "major"})
    outside_edit(root, story(3, 1)[0], "Story 3, edited by hand\n")
    add_versions(root, [story(3, 1) + (T0 + timedelta(hours=5),)])  # the text put back
    with open_archive(root) as arc:
        from_git = read_histories(arc.repo)
        assert cached_histories(arc.state) == from_git
        assert len(from_git) == 7 and len(from_git[article_path(canonical_url(story(3, 1)[0]))]) == 2


def test_incremental_runs_give_the_bytes_of_a_full_build(tmp_path):
    root = seed_archive(tmp_path / "a")
    out = tmp_path / "site"
    first = build(root, out)
    assert first.written
    steps = [
        [story(i, 1) + (T0 + timedelta(minutes=i),) for i in range(5)],
        [story(i, 2) + (T0 + timedelta(days=1, minutes=i),) for i in (0, 3)]
        + [(SEED_URL, seed_text(2).replace("Ofsted report says.", "Ofsted said."),
            T0 + timedelta(days=1, hours=1))],
        [(story(4, 2)[0], None, T0 + timedelta(days=3))]  # a removal, on a new day
        + [story(7, 1) + (T0 + timedelta(days=3, minutes=1),)],
    ]
    for versions in steps:
        add_versions(root, versions)
        result = build(root, out)
        assert result.written and not result.interrupted
        clean = tmp_path / f"clean-{len(result.written)}"
        build(root, clean)
        assert files_of(out) == files_of(clean)
    outside_edit(root, story(0, 2)[0], "Story 0, edited by hand\n")
    build(root, out)
    clean = tmp_path / "clean-outside"
    build(root, clean)
    assert files_of(out) == files_of(clean)


def test_a_run_with_nothing_new_reads_nothing_and_writes_nothing(tmp_path):
    root = seed_archive(tmp_path / "a")
    out = tmp_path / "site"
    first = build(root, out)
    manifest = json.loads((out / MANIFEST).read_text())
    with open_archive(root) as arc:
        assert manifest["head"] == arc.state.get_meta("head")
    again = build(root, out)
    assert again.written == [] and again.removed == []
    assert (again.articles, again.changes, again.files) == (first.articles, first.changes,
                                                            first.files)
    # Other settings are not "nothing new": the pages that depend on them are rewritten.
    other = build(root, out, site_url="https://news.example.org")
    assert "feed.atom" in other.written
    assert build(root, out, site_url="https://news.example.org").written == []
    # A new version is not either.
    add_versions(root, [story(1, 1) + (T0,)])
    assert "index.html" in build(root, out, site_url="https://news.example.org").written


def test_a_filtered_site_brought_up_to_date_is_the_filtered_full_build(tmp_path):
    root = seed_archive(tmp_path / "a")
    out = tmp_path / "site"
    build(root, out, min_significance="moderate")
    add_versions(root, [story(0, 1) + (T0,)])
    add_versions(root, [story(0, 2) + (T0 + timedelta(hours=1),)],
                 extra={"Significance": "major"})
    add_versions(root, [story(0, 3) + (T0 + timedelta(hours=2),)],
                 extra={"Significance": "minor"})
    build(root, out, min_significance="moderate")
    clean = tmp_path / "clean"
    build(root, clean, min_significance="moderate")
    assert files_of(out) == files_of(clean)


def test_a_deleted_page_or_folder_is_noticed_with_nothing_new(tmp_path):
    root = seed_archive(tmp_path / "a")
    add_versions(root, [story(i, 1) + (T0 + timedelta(minutes=i),) for i in range(3)])
    add_versions(root, [story(i, 2) + (T0 + timedelta(hours=1, minutes=i),) for i in range(3)])
    out = tmp_path / "site"
    build(root, out)
    clean = files_of(out)
    diff = next(p for p in sorted(out.rglob("1-2.html")))
    diff.unlink()
    assert build(root, out).written == [diff.relative_to(out).as_posix()]
    folder = diff.parent
    gone = sorted(p.relative_to(out).as_posix() for p in folder.iterdir())
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    assert sorted(build(root, out).written) == gone
    assert files_of(out) == clean
    assert build(root, out).written == []


class _Killed(BaseException):
    """Stands for a SIGKILL: nothing of build_site's own clean-up runs after it."""


def test_a_first_build_killed_part_way_is_finished_by_the_next_run(tmp_path):
    """A first build into a new folder that dies after some pages (a ``kill -9``: the
    tester's finding) leaves a folder the next ``gitnews site`` recognises and finishes,
    the same bytes as a build from nothing; it used to be refused as "other files"."""
    root = seed_archive(tmp_path / "a")
    add_versions(root, [story(i, 1) + (T0 + timedelta(minutes=i),) for i in range(5)])
    out = tmp_path / "site"
    seen: list[bool] = []

    def die_after_first(done: int, total: int) -> None:
        seen.append((out / MANIFEST).exists())
        raise _Killed

    try:
        build(root, out, progress=die_after_first)
    except _Killed:
        pass
    assert seen == [True]  # the manifest was there before the first page was done
    assert any(p.suffix == ".html" for p in out.rglob("*"))  # pages written, no final manifest
    assert json.loads((out / MANIFEST).read_text())["files"] == {}
    result = build(root, out)
    assert not result.interrupted
    clean = tmp_path / "clean"
    build(root, clean)
    assert files_of(out) == files_of(clean)
