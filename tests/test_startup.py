"""``gitnews --help`` must start fast: the heavy libraries are imported only by the commands
that need them (checked with ``python -X importtime``, not with a clock)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC

HEAVY = {"trafilatura", "httpx", "feedparser", "lxml", "htmldate", "courlan", "git", "gitdb",
         "jinja2", "warcio", "sqlite3"}


def _imported(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitnews", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


def test_help_does_not_import_the_heavy_libraries():
    for args in (["--help"], ["run", "--help"], ["log", "--help"], ["gc", "--help"]):
        modules = _imported(*args)
        assert "gitnews.cli" in modules  # the measurement works
        assert not modules & HEAVY, (args, sorted(modules & HEAVY))


def test_top_level_help_imports_neither_rich_nor_pydantic():
    # Plain click help (rich_markup_mode=None); typer itself needs pydantic only to
    # parse a command's parameters.
    modules = _imported("--help")
    assert "gitnews.cli" in modules
    assert not modules & {"rich", "pydantic", "markdown_it"}, sorted(modules & {"rich", "pydantic"})


def test_reading_the_history_does_not_import_gitpython(tmp_path):
    # log/show/diff/list ask the cache and git plumbing only (gitnews.archive.gitrun.LazyRepo).
    from datetime import datetime

    from gitnews.archive.repo import init_archive, open_archive
    from gitnews.models import Article, Page
    from gitnews.versions.record import Capture, Recorder

    archive = init_archive(tmp_path / "a")
    url = "http://example.com/news/one"
    for i, body in enumerate(["First text.", "Second text, a little longer."]):
        when = datetime(2024, 5, 1, 12 + i, tzinfo=UTC)
        text = f"One\n\n{body}\n"
        with open_archive(archive) as arc:
            tx = arc.transaction()
            recorder = Recorder(arc, tx)
            recorder.record(Capture(
                requested_url=url, text=text,
                page=Page(url=url, final_url=url, status=200, body=b"", fetched_at=when),
                article=Article(headline="One", paragraphs=(body,), extractor="test")))
            tx.finish()
            recorder.apply()
    for args in (["list"], ["log", url], ["show", url], ["diff", url]):
        modules = _imported(*args, "--archive", str(archive))
        assert "gitnews.archive.repo" in modules  # the command ran
        assert not modules & {"git", "gitdb", "trafilatura", "httpx", "lxml"}, (args, sorted(
            modules & {"git", "gitdb", "trafilatura", "httpx", "lxml"}))
    # status and the change feed ask git through gitnews.archive's functions (the one
    # runner), never through GitPython (the feed writes its XML with lxml).
    for args in (["status"], ["feed"], ["feed", "--host", "example.com"]):
        modules = _imported(*args, "--archive", str(archive))
        assert "gitnews.archive.repo" in modules
        assert not modules & {"git", "gitdb"}, (args, sorted(modules & {"git", "gitdb"}))


def test_changes_and_stats_read_the_cache_alone(tmp_path):
    # gitnews.archive.reader: with a current cache, `changes` and `stats` open neither
    # GitPython nor the archive in full (no configuration, none of the cache's writers);
    # with a stale one they sync it through the full path, still without GitPython.
    from archive_builders import add_version, new_archive

    archive = new_archive(tmp_path / "a")
    url, path = "https://news.example.org/a", "news.example.org/a.txt"
    add_version(archive, path, "A\n\nOne.\n", version=1, url=url)
    add_version(archive, path, "A\n\nOne, edited.\n", version=2, url=url, hours=2)
    full = {"gitnews.archive.repo", "gitnews.config", "gitnews.archive.cache.state"}
    # sqlite3: the cache is read; gitnews.collection: asked only when the fast path is not taken.
    unwanted = full | (HEAVY - {"sqlite3"}) | {"gitnews.collection"}
    for i, command in enumerate([["changes", "--since", "2016-09-01"], ["stats"]]):
        add_version(archive, path, f"A\n\nOne, edited {i}.\n", version=3 + i, url=url,
                    hours=3 + i)
        stale = _imported(*command, "--archive", str(archive))  # a new commit: synced in full
        assert full <= stale and not stale & {"git", "gitdb"}, sorted(stale & {"git", "gitdb"})
        current = _imported(*command, "--archive", str(archive))
        assert "gitnews.archive.reader" in current  # the command ran
        assert not current & unwanted, sorted(current & unwanted)
