"""The feed entries a site keeps between runs (:mod:`gitnews.output.site.entries`, issue 19):
a run that rewrites the hosts' and the site's feeds takes the entries of the changes it
saw before from ``.git/gitnews/site-entries.sqlite`` instead of diffing them again, and
the feeds are the same bytes as those of a build without the store (real archives in tmp
dirs, real SQLite)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from test_site_incremental import T0, build, files_of, story
from versions_support import add_versions, seed_archive

from gitnews.output.site.entries import STORE_NAME
from gitnews.output.sitelayout import FEED

SITE_URL = "https://news.example.org/site"


def store_of(root: Path) -> Path:
    return root / ".git" / "gitnews" / STORE_NAME


def keys_in(store: Path) -> set[str]:
    with sqlite3.connect(store) as db:
        return {k for (k,) in db.execute("SELECT key FROM entries")}


def grow(root: Path, step: int) -> None:
    add_versions(root, [story(i, step) + (T0 + timedelta(days=step, minutes=i),)
                        for i in range(step, step + 4)])


def test_feeds_from_the_store_are_the_bytes_of_feeds_made_from_the_diffs(tmp_path):
    root = seed_archive(tmp_path / "a")
    for step in (1, 2):
        grow(root, step)
    out = tmp_path / "site"
    build(root, out, site_url=SITE_URL, feed_limit=3)
    store = store_of(root)
    first = keys_in(store)
    assert first  # the hosts' and the site's feeds' entries
    for step in (3, 4):
        grow(root, step)
        result = build(root, out, site_url=SITE_URL, feed_limit=3)
        assert FEED in result.written
        kept = keys_in(store)
        # Fresh: the same archive, no store, another folder.
        store.unlink()
        fresh = tmp_path / f"fresh{step}"
        build(root, fresh, site_url=SITE_URL, feed_limit=3)
        assert files_of(out) == files_of(fresh)
        # What the store keeps is exactly what the feeds carry (the rest was dropped).
        assert keys_in(store) == kept
    # Entries of changes that left every feed are gone: the store stays small.
    assert not first <= keys_in(store)


def test_a_damaged_store_is_ignored(tmp_path):
    root = seed_archive(tmp_path / "a")
    grow(root, 1)
    clean = tmp_path / "clean"
    build(root, clean, site_url=SITE_URL)
    store_of(root).write_bytes(b"not a database" * 100)
    out = tmp_path / "site"
    result = build(root, out, site_url=SITE_URL)
    assert result.written and files_of(out) == files_of(clean)


def test_without_a_site_url_the_entries_link_to_the_articles(tmp_path):
    root = seed_archive(tmp_path / "a")
    grow(root, 1)
    out = tmp_path / "site"
    build(root, out)
    grow(root, 2)
    build(root, out)
    store_of(root).unlink()
    fresh = tmp_path / "fresh"
    build(root, fresh)
    assert files_of(out) == files_of(fresh)
