"""The cache's SQLite schema: the tables, and the version that says when to rebuild them.

The table definitions are the cache file's format: a change to them is a new
:data:`SCHEMA_VERSION` (an older cache is then rebuilt from git).
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "SCHEMA", "NOISE_SCHEMA"]

# 2: alias keys are identity_key (no www., no trailing /); 4: the versions table;
# 5: only gitnews's commits are versions, outside edits in their own table.
# 6: both (5 was never released): URL keys in Unicode NFC (issue 13) and outside edits;
# an older cache is rebuilt from git, as at every schema change.
# 7: repeats and edited (versions that only put back the text after an outside edit
# are not changes).
# 8: the full-text index of every version (search_docs, search_text, search_added,
# search_removed; gitnews.archive.cache.search, docs/search.md).
# 9: time-ordered search ids (the version's time and a sequence number: FTS5 streams
# the matches newest first) and the host folder in search_docs; no search_docs_at.
# 9 also: the index versions_at (versions by time: `gitnews changes` reads only the period's).
SCHEMA_VERSION = "9"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS articles (
    path TEXT PRIMARY KEY, folded TEXT NOT NULL, url TEXT NOT NULL,
    versions INTEGER NOT NULL, blob TEXT, headline TEXT, feed TEXT,
    first_seen TEXT, last_changed TEXT, removed INTEGER NOT NULL DEFAULT 0,
    vblob TEXT, outside INTEGER NOT NULL DEFAULT 0,
    repeats INTEGER NOT NULL DEFAULT 0, edited TEXT);
-- blob: the file's blob at the branch's head (NULL: no file); vblob: the newest
-- version's (NULL: a removal); outside: 1 when they differ, i.e. the file holds
-- an outside edit. versions, first_seen, last_changed, removed, headline: of
-- gitnews's versions only. repeats: versions whose text is the one of the version
-- before them (committed after an outside edit, gitnews.archive.history.same_text): not
-- changes; edited: the time of the newest version that is not one of those.
CREATE INDEX IF NOT EXISTS articles_folded ON articles(folded);
CREATE TABLE IF NOT EXISTS aliases (key TEXT PRIMARY KEY, path TEXT NOT NULL);
-- Every version of every article (blob NULL: the removal): commit id, commit time
-- (Unix seconds), subject and trailers (a JSON object, the last value of a repeated
-- key), so that reading an article's history (gitnews.versions.record's change decisions,
-- gitnews log/show/diff) needs no git log, whatever the archive's size.
CREATE TABLE IF NOT EXISTS versions (
    path TEXT NOT NULL, number INTEGER NOT NULL, commit_id TEXT NOT NULL, at INTEGER NOT NULL,
    blob TEXT, subject TEXT NOT NULL, trailers TEXT NOT NULL,
    PRIMARY KEY (path, number)) WITHOUT ROWID;
-- Versions by time (its entries hold the key too: at, path, number), newest last:
-- `gitnews changes` (gitnews.output.changelist) walks it from the end and reads only the
-- versions of its period, whatever the archive's size.
CREATE INDEX IF NOT EXISTS versions_at ON versions(at);
-- Commits without gitnews's trailers that touched an article's file (gitnews.archive.history
-- .is_version): not versions. after: the number of the version they follow; blob
-- NULL: the file was deleted. In the order git gave them (rowid).
CREATE TABLE IF NOT EXISTS outside (
    path TEXT NOT NULL, commit_id TEXT NOT NULL, at INTEGER NOT NULL, blob TEXT,
    subject TEXT NOT NULL, after INTEGER NOT NULL, UNIQUE (path, commit_id));
CREATE INDEX IF NOT EXISTS outside_path ON outside(path);
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checks (
    path TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, last_checked TEXT,
    failures INTEGER NOT NULL DEFAULT 0, last_error TEXT);
-- The schedule (gitnews.versions.schedule): unchanged checks since the last change, and
-- a check put off (robots.txt refused it) until not_before.
CREATE TABLE IF NOT EXISTS schedule (
    path TEXT PRIMARY KEY, unchanged INTEGER NOT NULL DEFAULT 0, not_before TEXT);
-- Articles seen in a feed but not fetched yet (a bounded run left them over):
-- checked first next time, in the order they were first seen.
CREATE TABLE IF NOT EXISTS backlog (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, feed TEXT, aliases TEXT NOT NULL DEFAULT '[]',
    first_seen TEXT NOT NULL);
-- Politeness (gitnews.sources.http): robots.txt copies per origin, back-off per host.
CREATE TABLE IF NOT EXISTS robots (
    origin TEXT PRIMARY KEY, status INTEGER, body TEXT, fetched_at TEXT NOT NULL,
    expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (host TEXT PRIMARY KEY, backoff_until TEXT, last_request TEXT);
-- The full-text index (gitnews.archive.cache.search): one row per version with a text;
-- id is the rowid of the version in the three FTS5 tables, which are contentless (the
-- texts stay in git). at: the version's time (Unix seconds); id = at * 2^24 + a sequence
-- number within that second, so that the ids are in time order and FTS5 gives the
-- matches newest first (ORDER BY rowid DESC). host: the article's host folder.
CREATE TABLE IF NOT EXISTS search_docs (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, number INTEGER NOT NULL, at INTEGER NOT NULL,
    host TEXT NOT NULL, UNIQUE (path, number));
CREATE VIRTUAL TABLE IF NOT EXISTS search_text USING fts5(
    headline, body, content='', columnsize=0, tokenize='unicode61 remove_diacritics 2');
-- The words each version added to / removed from the text of the version before it
-- (gitnews.archive.cache.words.word_changes).
CREATE VIRTUAL TABLE IF NOT EXISTS search_added USING fts5(
    words, content='', columnsize=0, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS search_removed USING fts5(
    words, content='', columnsize=0, tokenize='unicode61 remove_diacritics 2');
"""

# Noise control (gitnews.versions.record): not history, so not rebuilt from git; losing it
# only delays a confirmation or forgets how often an article alternated.
NOISE_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    path TEXT PRIMARY KEY, blob TEXT NOT NULL, first_seen TEXT NOT NULL,
    sightings INTEGER NOT NULL, reason TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gone (
    path TEXT PRIMARY KEY, first_seen TEXT NOT NULL, status INTEGER, detail TEXT);
CREATE TABLE IF NOT EXISTS alternations (
    path TEXT PRIMARY KEY, returns INTEGER NOT NULL, last_seen TEXT, seen_blob TEXT);
CREATE TABLE IF NOT EXISTS fetched (path TEXT PRIMARY KEY, url TEXT, fingerprint TEXT);
-- Since when an article's checks fail (the first failure of the current streak),
-- for `gitnews status`.
CREATE TABLE IF NOT EXISTS failing (path TEXT PRIMARY KEY, since TEXT NOT NULL);
"""
