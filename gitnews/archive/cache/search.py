"""The full-text index of every version (SQLite FTS5), kept with the versions table.

Four tables of the cache (:mod:`~gitnews.archive.cache.schema`):

* ``search_docs``: one row per version that has a text (a removal has none):
  ``id`` (the FTS5 rowid), path, version number, time (Unix seconds), host folder.
  The ids are in time order (:func:`doc_id`: the time in Unix seconds times
  2**24 plus a sequence number within that second), so that FTS5 itself
  gives the matches newest first (``ORDER BY rowid DESC``, https://sqlite.org/
  fts5.html#full_text_query_syntax): a search reads matches until it has
  ``limit`` articles and stops, whatever the number of matches;
* ``search_text``: the headline (the text's line 1) and body (the rest) of each;
* ``search_added`` / ``search_removed``: the words each version added to and
  removed from the text of the version before it with a text
  (:func:`~gitnews.archive.cache.words.word_changes`); a first version, a version
  that only put back the text before it, a removal and a re-extraction by gitnews
  (``Change-Kind: extraction``: not the publisher's change) have none.

The FTS5 tables are *contentless* (``content=''``, https://sqlite.org/fts5.html#
contentless_tables): they hold the index, not the texts, which stay in git; the
few texts a search shows are read back from git.  All use the tokenizer
``unicode61 remove_diacritics 2`` (no stemming).

:meth:`SearchIndex.index_versions` is called by :meth:`~gitnews.archive.cache.index.
GitIndex.sync` for each batch of versions it writes (a run's new versions) when
the index is built, in the same transaction, and by
:meth:`SearchIndex.build_search`; it reads their texts with one ``git cat-file
--batch`` (:class:`~gitnews.archive.objects.BlobReader`), in groups, so
that memory stays flat whatever the number of versions; a thread reads the next
group from git while SQLite indexes the current one.

The index is built on first use, not by a rebuild of the cache: a rebuild
(:meth:`~gitnews.archive.cache.index.GitIndex._rebuild`, a fresh clone or a
schema change) empties it and records in the ``meta`` table that it is not built
(key :data:`UNBUILT_KEY`); the sync after a run then leaves it alone, and
:meth:`SearchIndex.build_search` (called by every search,
:func:`gitnews.output.search.search_index`) indexes every version once, in one
transaction.  A cache without that key (every cache main wrote before) holds a
built index, kept current by each sync.

:func:`open_current` opens the index alone (the cache file, when it is current)
for ``gitnews search``: no :class:`~gitnews.archive.cache.State`, no sync.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn

from gitnews.archive.cache.db import CacheDb
from gitnews.archive.cache.schema import SCHEMA_VERSION
from gitnews.archive.cache.words import word_changes
from gitnews.archive.gitrun import LazyRepo, start
from gitnews.archive.objects import BlobReader, read_blobs
from gitnews.errors import GitnewsError
from gitnews.format.trailers import CHANGE_KIND, KIND_EXTRACTION

__all__ = ["SearchIndex", "SearchHit", "SearchQueryError", "FIELDS", "doc_id", "open_current",
           "BuildProgress", "UNBUILT_KEY", "expand_prefixes", "QUERY_HELP"]

#: What a query is matched against: the whole text (headline and body), the headline
#: only, the words a version added, the words it removed.
Field = Literal["text", "headline", "added", "removed"]
FIELDS: tuple[Field, ...] = ("text", "headline", "added", "removed")

#: Versions indexed per group: their texts (and those of the versions before them) are
#: in memory at once, about 10 KB each (two groups: the one indexed, the one read).
GROUP = 1000

#: The ``meta`` key present (value ``"unbuilt"``) while the index is not built: a
#: rebuild of the cache sets it, :meth:`SearchIndex.build_search` removes it.
UNBUILT_KEY = "search_unbuilt"

#: Version rows read and indexed per step of :meth:`SearchIndex.build_search`: memory
#: bounded at any archive size.
BUILD_BATCH = 50_000

#: Told before :meth:`SearchIndex.build_search` builds the index: the number of
#: versions to index (those with a text), and whether the index is built in an
#: in-memory copy of the cache (a read-only archive: built again by each command)
#: rather than saved in the cache file (built once).
BuildProgress = Callable[[int, bool], None]

#: A full build (:meth:`SearchIndex.build_search`) of at least this many versions
#: computes the words added and removed in a second process (two cores).
PARALLEL_MIN = 2000

#: Versions per chunk of the second process's work (whole articles), two chunks
#: queued at a time: memory bounded at any archive size.
CHANGES_CHUNK = 5000

#: The FTS5 tables of the index.
_FTS_TABLES = ("search_text", "search_added", "search_removed")

#: FTS5's buffer of pending terms, in bytes (FTS5's default: 1 MiB), per table: memory
#: bounded whatever the archive's size.
HASH_BYTES = 64 * 1024 * 1024

#: A search id is ``at << ID_SHIFT | sequence``: up to 2**24 versions per second, and
#: times up to the year 2^31 s allows (the ids stay below 2**63, SQLite's rowid limit).
ID_SHIFT = 24
_SEQ = (1 << ID_SHIFT) - 1


def doc_id(at: int, seq: int) -> int:
    """The search id (FTS5 rowid) of the ``seq``-th version (0-based) indexed with the
    time ``at`` (Unix seconds): ids sort as ``(at, seq)`` do."""
    return (at << ID_SHIFT) | seq


def host_folder(path: str) -> str:
    """The host folder of an article path (its first component, ``theguardian.com``)."""
    return path.partition("/")[0]


class SearchQueryError(GitnewsError, ValueError):
    """The search query is not one SQLite FTS5 understands (the message says why, and
    what FTS5 expects)."""


@dataclass
class SearchHit:
    """One article whose versions match: its path, the matching version numbers
    (ascending) and the time of the newest of them (aware UTC)."""

    path: str
    numbers: list[int] = field(default_factory=list)
    at: datetime = datetime.min.replace(tzinfo=UTC)


#: What FTS5 expects of a query, said by every error about one.
QUERY_HELP = (
    "FTS5 expects words, \"phrases in double quotes\", prefix* searches, AND / OR / NOT "
    "between terms (in capitals), NEAR(word1 word2, 10) and parentheses; put a word that is "
    "an operator or holds punctuation in double quotes (docs/search.md)")


def _query_error(query: str, exc: sqlite3.Error) -> SearchQueryError:
    reason = str(exc).removeprefix("fts5: ")
    if reason.startswith("no such column"):
        # FTS5 reads "dial-up" as the column filter "dial - up" (a '-' before a word
        # is NOT-in-column syntax: https://sqlite.org/fts5.html#fts5_column_filters).
        joined = re.search(r"\w+-\w[\w-]*", query)
        reason += (f" (FTS5 reads a hyphen as an operator: write \"{joined.group()}\" in "
                   "double quotes)" if joined
                   else " (a word followed by ':' is read as a column name)")
    return SearchQueryError(f"the search query {query!r} is not valid: {reason}; {QUERY_HELP}")


#: The most words a ``prefix*`` of a query is expanded into (:func:`expand_prefixes`);
#: a prefix with more is left to FTS5's own prefix search.
MAX_PREFIX_TERMS = 64

# One token of an FTS5 query (https://sqlite.org/fts5.html#full_text_query_syntax): a
# quoted string ("" inside is one "), a bareword (FTS5's bareword characters: non-ASCII,
# letters, digits, _), or any other character.
_FTS_TOKEN = re.compile(r'"((?:[^"]|"")*)"|([^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]+)|(\S)')
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# What may stand before and after a ``prefix*`` that is replaced by ``(a OR b)``: a
# parenthesised expression is an operand of AND / OR / NOT or of a column filter,
# never of FTS5's implicit AND nor of '+' (phrase) or '^' (first token).
_BEFORE_OK = frozenset({"", "(", ":", *_OPERATORS})
_AFTER_OK = frozenset({"", ")", *_OPERATORS})


def expand_prefixes(query: str, terms: Callable[[str], list[str] | None]) -> str:
    """``query`` (FTS5 syntax) with each ``prefix*`` that stands alone (an operand of
    AND / OR / NOT, of a column filter or in parentheses; not in ``NEAR(...)``, not
    joined by ``+`` or ``^``, not beside another phrase) replaced by ``(w1 OR w2
    ...)``, the index's words with that prefix: ``terms(prefix)`` gives them (the
    folded prefix, ASCII letters and digits), or None to leave this one to FTS5.  A
    quoted ``"heavy wi"*`` becomes ``("heavy winds" OR ...)``.  FTS5 matches the same
    rows either way (a prefix query matches any token that starts with the prefix,
    https://sqlite.org/fts5.html#fts5_prefix_queries), but an ``OR`` of words streams
    its matches where FTS5 merges the lists of every word with the prefix before the
    first match.  Prefixes that are not ASCII are left as they are (FTS5's folding
    of them is its tokenizer's).  Never raises; a query FTS5 refuses stays refused."""
    if "*" not in query:
        return query
    tokens = [(m.start(), m.end(), m.group(1), m.group(2), m.group(3))
              for m in _FTS_TOKEN.finditer(query)]
    # Which tokens are inside NEAR( ... ): left as they are.
    near: list[bool] = []
    depth, near_at = 0, -1
    for i, (_, _, _, _bare, other) in enumerate(tokens):
        if other == "(":
            depth += 1
            if near_at < 0 and i and tokens[i - 1][3] == "NEAR":
                near_at = depth
        near.append(near_at >= 0)
        if other == ")":
            if depth == near_at:
                near_at = -1
            depth -= 1

    def kind(i: int) -> str:
        """The token ``i`` for :data:`_BEFORE_OK` / :data:`_AFTER_OK`."""
        if i < 0 or i >= len(tokens):
            return ""
        _, _, quoted, bare, other = tokens[i]
        if bare in _OPERATORS:
            return bare
        return other if other is not None else "phrase"

    def starts_operand(i: int) -> bool:
        """Whether an operand of AND / OR / NOT may start at token ``i``: after the
        start, '(' or an operator; after a column filter, where the filter starts."""
        before = kind(i - 1)
        if before != ":":
            return before in _BEFORE_OK
        j = i - 2  # the column filter: name, "name" or {names}, maybe after '-'
        if kind(j) == "}":
            while j >= 0 and tokens[j][4] != "{":
                j -= 1
        if kind(j - 1) == "-":
            j -= 1
        return j >= 0 and kind(j - 1) in _BEFORE_OK and kind(j - 1) != ":"

    out: list[str] = []
    at = 0
    for i, (begin, _, quoted, bare, _other) in enumerate(tokens):
        if (i + 1 >= len(tokens) or tokens[i + 1][4] != "*" or near[i]
                or (quoted is None and (bare is None or bare in _OPERATORS or bare == "NEAR"))
                or not starts_operand(i) or kind(i + 2) not in _AFTER_OK):
            continue
        text = quoted.replace('""', '"') if quoted is not None else bare or ""
        if not text.isascii():
            continue
        words = re.findall(r"[a-z0-9]+", text.lower())
        if not words:
            continue
        found = terms(words[-1])
        if not found:
            continue
        lead = " ".join(words[:-1])
        phrases = [f'"{lead} {t}"' if lead else f'"{t}"' for t in found]
        out.append(query[at:begin])
        out.append("(" + " OR ".join(phrases) + ")")
        at = tokens[i + 1][1]
    out.append(query[at:])
    return "".join(out)


class SearchIndex(CacheDb):
    """The cache's full-text index: writing it (per batch of versions) and asking it."""

    def forget_search(self) -> None:
        """Empty the index (before a rebuild of the git-derived tables), and set FTS5's
        in-memory buffer of pending terms to :data:`HASH_BYTES`."""
        self.db.execute("DELETE FROM search_docs")
        for table in _FTS_TABLES:
            # Contentless FTS5 tables are emptied by the 'delete-all' command.
            self.db.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
            # A bigger buffer of pending terms: fewer, bigger segments written (a
            # segment is written each time the buffer is full, and merged later),
            # and fewer segments for a query to look in (https://sqlite.org/
            # fts5.html#the_hashsize_configuration_option; stored in the table).
            self.db.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', ?)",
                            (HASH_BYTES,))

    def search_built(self) -> bool:
        """Whether the index is built (:data:`UNBUILT_KEY` absent from ``meta``): each
        sync keeps a built index current; an unbuilt one waits for
        :meth:`build_search`."""
        return self.db.execute("SELECT 1 FROM meta WHERE k=?", (UNBUILT_KEY,)).fetchone() is None

    def mark_search_unbuilt(self) -> None:
        """Record that the index is not built (a rebuild of the cache, after
        :meth:`forget_search`): the syncs leave it alone until :meth:`build_search`."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, 'unbuilt')", (UNBUILT_KEY,))

    def build_search(self, *, progress: BuildProgress | None = None) -> int:
        """Build the index when it is not built (:meth:`search_built`): every version
        with a text in the ``versions`` table indexed (:meth:`index_versions`, in
        time order, :data:`BUILD_BATCH` rows at a time), the FTS5 tables optimized,
        :data:`UNBUILT_KEY` removed, all in one SQLite transaction (taken with
        ``BEGIN IMMEDIATE``, so that two processes never build it both: the second
        finds it built).  ``progress(versions, in_memory)`` is called once before
        the work starts (not at all when there is nothing to build).  Returns the
        number of versions indexed (0: it was built).  The same ids and rows as
        indexing the versions as they were synced (a test compares the results)."""
        if self.search_built():
            return 0
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN IMMEDIATE")
        try:
            count = 0
            if not self.search_built():  # another process may have built it meanwhile
                count = self.db.execute(
                    "SELECT COUNT(*) FROM versions WHERE blob IS NOT NULL").fetchone()[0]
                if progress is not None:
                    progress(count, self.read_only)
                self.forget_search()
                if count >= PARALLEL_MIN and self._build_parallel():
                    pass
                else:
                    cursor = self.db.execute(
                        "SELECT path, number, commit_id, at, blob, subject, trailers"
                        " FROM versions WHERE blob IS NOT NULL ORDER BY at, path, number")
                    # One read of the table (sorted once), taken a batch at a time while
                    # the FTS5 tables are written (other tables: the cursor stays valid).
                    while rows := cursor.fetchmany(BUILD_BATCH):
                        self.index_versions(rows)
                    cursor.close()
                self.optimize_search()
                self.db.execute("DELETE FROM meta WHERE k=?", (UNBUILT_KEY,))
        except BaseException:
            if own:
                self.db.execute("ROLLBACK")
            raise
        if own:
            self.db.execute("COMMIT")
        return count

    def _build_parallel(self) -> bool:
        """Index every version with a text into the emptied index, the words added and
        removed computed by a second process while this one indexes the texts (two
        cores).  The same ids and rows as :meth:`index_versions` of every version in
        time order (a test compares them):

        * ``search_docs`` written by one SQL statement: each version's id is its time
          and its rank within that second by path and number (:func:`doc_id`);
        * the texts read in id order (one ``git cat-file --batch``, a thread one group
          ahead) and written to ``search_text``; a version whose text git lacks is
          left out (its ``search_docs`` row deleted);
        * meanwhile a Python process of its own (:class:`_ChangesWorker`: a fresh
          interpreter that shares nothing with this one) reads the texts in article
          order with its own
          ``git cat-file --batch`` (each text once: the text before a version is the
          one read just before it) and gives back each version's words added and
          removed; they go to a ``temp`` table, then to ``search_added`` /
          ``search_removed`` in id order (FTS5 keeps buffering while ids grow).

        False (nothing written) when the second process cannot be started or fails:
        the caller indexes in one process."""
        where = getattr(self.repo, "working_tree_dir", None)
        if not where:
            return False
        try:
            worker = _ChangesWorker(where)
        except OSError:
            return False
        try:
            with worker:
                self.db.execute(
                    "INSERT OR IGNORE INTO search_docs SELECT (at << ?) | min(ROW_NUMBER() OVER ("
                    " PARTITION BY at ORDER BY path, number) - 1, ?), path, number, at,"
                    " CASE WHEN instr(path, '/') > 0 THEN substr(path, 1, instr(path, '/') - 1)"
                    " ELSE path END FROM versions WHERE blob IS NOT NULL", (ID_SHIFT, _SEQ))
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS search_changes ("
                                "id INTEGER PRIMARY KEY, added TEXT, removed TEXT)")
                self.db.execute("DELETE FROM temp.search_changes")
                # The word changes' work, in chunks of whole articles (the text before each
                # version is in its chunk), at most two chunks queued at a time.
                by_article = self.db.execute(
                    "SELECT d.id, d.path, v.blob, v.trailers FROM search_docs d JOIN versions v"
                    " ON v.path = d.path AND v.number = d.number ORDER BY d.path, d.number")
                carry: list[tuple[int, str, str, bool]] = []  # the next chunk's first version
                done_changes = False

                def submit() -> None:
                    nonlocal done_changes
                    if done_changes:
                        return
                    items = carry[:]
                    carry.clear()
                    while rows := by_article.fetchmany(GROUP):
                        for i, p, b, t in rows:
                            if len(items) >= CHANGES_CHUNK and p != items[-1][1]:
                                carry.append((i, p, b, _is_extraction(t)))
                            elif carry:
                                carry.append((i, p, b, _is_extraction(t)))
                            else:
                                items.append((i, p, b, _is_extraction(t)))
                        if carry:
                            break
                    if not items:
                        done_changes = True
                        return
                    worker.send(items)

                def collect(wait: bool) -> None:
                    while worker.busy and (wait or worker.ready()):
                        self.db.executemany("INSERT INTO temp.search_changes VALUES (?,?,?)",
                                            worker.receive())
                        submit()

                missing: list[int] = []
                try:
                    submit()
                    cursor = self.db.execute(
                        "SELECT d.id, v.blob FROM search_docs d JOIN versions v"
                        " ON v.path = d.path AND v.number = d.number ORDER BY d.id")
                    while batch := cursor.fetchmany(BUILD_BATCH):
                        groups = [batch[g:g + GROUP] for g in range(0, len(batch), GROUP)]
                        for group, read in zip(groups, self._texts(
                                [[(0, "", 0, b, None) for _, b in g] for g in groups]),
                                strict=True):
                            rows = []
                            for rowid, blob in group:
                                text = read.get(blob)
                                if text is None:
                                    missing.append(rowid)
                                    continue
                                headline, _, body = text.partition("\n")
                                rows.append((rowid, headline, body))
                            self.db.executemany(
                                "INSERT INTO search_text(rowid, headline, body) VALUES (?,?,?)",
                                rows)
                            collect(wait=False)
                    cursor.close()
                    collect(wait=True)
                finally:
                    by_article.close()
                self.db.executemany("DELETE FROM search_docs WHERE id=?", [(i,) for i in missing])
                self.db.execute("INSERT INTO search_added(rowid, words) SELECT id, added FROM"
                                " temp.search_changes WHERE added != '' ORDER BY id")
                self.db.execute("INSERT INTO search_removed(rowid, words) SELECT id, removed FROM"
                                " temp.search_changes WHERE removed != '' ORDER BY id")
                self.db.execute("DROP TABLE temp.search_changes")
        except _WorkerFailed:
            # The second process failed (it could not import gitnews, say): start again
            # in one process, the rows written so far removed.
            self.db.execute("DROP TABLE IF EXISTS temp.search_changes")
            self.forget_search()
            return False
        return True

    def optimize_search(self) -> None:
        """Merge each FTS5 table's segments into one (FTS5's 'optimize' command): after
        a rebuild, so that a search looks up each id in one segment, not in each of
        many (https://sqlite.org/fts5.html#the_optimize_command)."""
        for table in _FTS_TABLES:
            self.db.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")

    def index_versions(self, rows: Sequence[Sequence[Any]]) -> None:
        """Index ``rows``, rows of the ``versions`` table just written (``path,
        number, commit id, time in Unix seconds, blob id or None, ...``), oldest
        first.  Their texts, and those of the versions before them, are read from
        git in groups of :data:`GROUP` through one ``git cat-file --batch`` (the
        next group read by a thread while this one is indexed), in time order.  A
        version already indexed is left as it is."""
        # In time order (then path and number, as the ids of one second are given): the
        # ids then grow with each insert, and FTS5 keeps buffering its pending terms
        # (it writes them out as a segment whenever a rowid is not above the last one,
        # https://sqlite.org/fts5.html#the_hashsize_configuration_option).  The text
        # before each version (the article's version with a text just before it, by
        # number) is read again from git with the version's group.
        todo = sorted((r[3], r[0], r[1], r[4]) for r in rows if r[4] is not None)
        if not todo:
            return
        # A re-extraction (Change-Kind: extraction) is gitnews's change, not the
        # publisher's: its words are searchable, but not as words added or removed.
        ours = {(r[0], r[1]) for r in rows if len(r) > 6 and _is_extraction(r[6])}
        before: dict[tuple[str, int], str | None] = {}  # (path, number) -> the blob before
        last: dict[str, str | None] = {}  # path -> blob of its newest version with a text so far
        for _, path, number, blob in sorted(todo, key=lambda r: (r[1], r[2])):
            if path not in last:
                last[path] = self._blob_before(path, number)
            before[path, number] = last[path]
            last[path] = blob
        next_seq = self._sequences({r[0] for r in todo})
        groups = [[(*r, before[r[1], r[2]]) for r in todo[g:g + GROUP]]
                  for g in range(0, len(todo), GROUP)]
        for group, texts in zip(groups, self._texts(groups), strict=True):
            docs, text_rows, added_rows, removed_rows = [], [], [], []
            for at, path, number, blob, old in group:
                text = texts.get(blob)
                if text is None:
                    continue
                seq = next_seq[at]
                next_seq[at] = seq + 1
                rowid = doc_id(at, min(seq, _SEQ))
                headline, _, body = text.partition("\n")
                docs.append((rowid, path, number, at, host_folder(path)))
                text_rows.append((rowid, headline, body))
                if (old is not None and old != blob and old in texts
                        and (path, number) not in ours):
                    added, removed = word_changes(texts[old], text)
                    if added:
                        added_rows.append((rowid, added))
                    if removed:
                        removed_rows.append((rowid, removed))
            if self.db.executemany("INSERT OR IGNORE INTO search_docs VALUES (?,?,?,?,?)",
                                   docs).rowcount != len(docs):
                # Some were indexed already (not expected: sync folds each version
                # once), or a second held more than 2**24 versions: index only the
                # rows written.
                fresh = {row[0] for d in docs for row in self.db.execute(
                    "SELECT id FROM search_docs WHERE id=? AND path=? AND number=?",
                    (d[0], d[1], d[2]))}
                text_rows = [r for r in text_rows if r[0] in fresh]
                added_rows = [r for r in added_rows if r[0] in fresh]
                removed_rows = [r for r in removed_rows if r[0] in fresh]
            self.db.executemany(
                "INSERT INTO search_text(rowid, headline, body) VALUES (?,?,?)", text_rows)
            self.db.executemany("INSERT INTO search_added(rowid, words) VALUES (?,?)",
                                added_rows)
            self.db.executemany("INSERT INTO search_removed(rowid, words) VALUES (?,?)",
                                removed_rows)

    def _texts(self, groups: list[list[tuple[int, str, int, str, str | None]]]
               ) -> Iterator[dict[str, str]]:
        """For each group of ``(time, path, number, blob, blob before)``, ``blob ->
        text`` of its versions and of the versions before them, read from git by a
        thread one group ahead of the caller."""
        from concurrent.futures import ThreadPoolExecutor  # here: start-up time of search

        with BlobReader(self.repo) as reader, ThreadPoolExecutor(1) as pool:
            def read(i: int) -> dict[str, str]:
                wanted = {b for r in groups[i] for b in r[3:] if b is not None}
                # lookup, not read: a blob git lacks (a partial clone) leaves its
                # version out of the index instead of failing the cache's sync.
                return {k: v.decode("utf-8", "replace")
                        for k, (_, v) in reader.lookup(wanted).items()}

            pending = pool.submit(read, 0)
            for i in range(len(groups)):
                texts = pending.result()
                if i + 1 < len(groups):
                    pending = pool.submit(read, i + 1)
                yield texts

    def _sequences(self, times: set[int]) -> dict[int, int]:
        """``at -> the next free sequence number`` of each of ``times``: 0 for a time
        after every indexed version (the usual case: one query), else one after the
        last id of that second."""
        newest = self.db.execute("SELECT MAX(id) FROM search_docs").fetchone()[0]
        floor = -1 if newest is None else newest >> ID_SHIFT
        out = {}
        for at in times:
            if at > floor:
                out[at] = 0
                continue
            found = self.db.execute("SELECT MAX(id) FROM search_docs WHERE id BETWEEN ? AND ?",
                                    (doc_id(at, 0), doc_id(at, _SEQ))).fetchone()[0]
            out[at] = 0 if found is None else (found & _SEQ) + 1
        return out

    def _blob_before(self, path: str, number: int) -> str | None:
        """The blob of the newest version of ``path`` before ``number`` that has a text."""
        if number <= 1:
            return None
        row = self.db.execute(
            "SELECT blob FROM versions WHERE path=? AND number<? AND blob IS NOT NULL"
            " ORDER BY number DESC LIMIT 1", (path, number)).fetchone()
        return row[0] if row else None

    def search_versions(self, query: str, *, within: Field = "text", host: str | None = None,
                        since: datetime | None = None, until: datetime | None = None,
                        path: str | None = None, limit: int = 20) -> list[SearchHit]:
        """The articles with versions that match ``query`` (SQLite FTS5 query syntax,
        https://sqlite.org/fts5.html#full_text_query_syntax), newest match first.

        ``within``: what is matched (:data:`FIELDS`): the version's whole text,
        its headline, the words it added or the words it removed.  ``host``: a
        host folder (lower case, no ``www.``); its subdomains match too.
        ``since``/``until``: aware datetimes, bounds (inclusive) on the version's
        time.  ``path``: one article.  ``limit``: at most this many articles.
        Raises :class:`SearchQueryError` for a query FTS5 cannot parse.

        FTS5 gives the matching ids newest first (they are in time order,
        :func:`doc_id`); they are read until ``limit`` articles are found, then
        those articles' versions are checked against the query (by id).
        """
        if not query.strip():
            raise SearchQueryError(f"the search query is empty; {QUERY_HELP}")
        table = {"text": "search_text", "headline": "search_text", "added": "search_added",
                 "removed": "search_removed"}[within]
        expanded = expand_prefixes(query, lambda prefix: self._prefix_terms(table, prefix))
        match = f"{{headline}} : ({expanded})" if within == "headline" else expanded
        ranges: list[str] = []
        bounds: list[int] = []
        if since is not None:
            ranges.append("f.rowid >= ?")
            bounds.append(doc_id(int(since.timestamp()), 0))
        if until is not None:
            ranges.append("f.rowid <= ?")
            bounds.append(doc_id(int(until.timestamp()), _SEQ))
        filters = "".join(f" AND {r}" for r in ranges)
        where: list[str] = []
        args: list[str] = []
        if host:
            where.append("(d.host = ? OR d.host LIKE ? ESCAPE '!')")
            escaped = host.replace("!", "!!").replace("%", "!%").replace("_", "!_")
            args += [host, "%." + escaped]
        if path is not None:
            where.append("d.path = ?")
            args.append(path)
        doc_filters = "".join(f" AND {w}" for w in where)
        chosen: dict[str, int] = {}  # path -> id of its newest match
        try:
            if limit > 0 and path is not None:
                # One article: its versions (newest first), each checked against the query.
                ids = [i for (i,) in self.db.execute(
                    "SELECT id FROM search_docs WHERE path=? ORDER BY id DESC", (path,))]
                found = self._matching(table, match, ids, filters, bounds)
                if found:
                    chosen[path] = max(found)
            elif limit > 0:
                # The matches newest first, straight from FTS5 (rowid order), each
                # joined to its version (the primary key) for its path and host.
                cursor = self.db.execute(
                    f"SELECT d.path, d.id FROM {table} f CROSS JOIN search_docs d"
                    f" ON d.id = f.rowid WHERE {table} MATCH ?{filters}{doc_filters}"
                    " ORDER BY f.rowid DESC", [match, *bounds, *args])
                for p, rowid in cursor:
                    if p not in chosen:
                        chosen[p] = rowid
                        if len(chosen) >= limit:
                            break
                cursor.close()
            numbers: dict[str, list[int]] = {p: [] for p in chosen}
            if chosen:
                # Every version of the chosen articles, checked against the query by
                # id (FTS5 seeks each id: no list of every match is built).
                versions: dict[int, tuple[str, int]] = {}
                paths = list(chosen)
                for i in range(0, len(paths), 500):
                    part = paths[i:i + 500]
                    versions.update((d, (p, n)) for d, p, n in self.db.execute(
                        "SELECT id, path, number FROM search_docs"
                        f" WHERE path IN ({','.join('?' * len(part))})", part))
                for d in self._matching(table, match, list(versions), filters, bounds):
                    p, n = versions[d]
                    numbers[p].append(n)
        except sqlite3.OperationalError as exc:
            error: sqlite3.Error = exc
        else:
            return [SearchHit(path=p, numbers=sorted(numbers[p]),
                              at=datetime.fromtimestamp(rowid >> ID_SHIFT, tz=UTC))
                    for p, rowid in chosen.items()]
        if within == "headline":  # say what was wrong with the user's query alone
            try:
                self.db.execute("SELECT 1 FROM search_text WHERE search_text MATCH ?",
                                (query,)).fetchone()
            except sqlite3.OperationalError as exc:
                error = exc
        raise _query_error(query, error) from None

    def search_hosts(self, host: str, *, most: int = 20) -> list[str] | None:
        """None when the index holds a version of an article of ``host`` (a host folder,
        as :meth:`search_versions` takes it: its subdomains count); else the host
        folders it does hold, sorted (at most ``most``; an empty list: no version at
        all).  For saying that a ``--host`` names no host of the archive rather than
        that nothing matched."""
        escaped = host.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        if self.db.execute("SELECT 1 FROM search_docs WHERE host = ? OR host LIKE ? ESCAPE '!'"
                           " LIMIT 1", (host, "%." + escaped)).fetchone():
            return None
        return [h for (h,) in self.db.execute(
            "SELECT DISTINCT host FROM search_docs ORDER BY host LIMIT ?", (most + 1,))]

    def _prefix_terms(self, table: str, prefix: str) -> list[str] | None:
        """The words of ``table``'s index that start with ``prefix`` (folded, ASCII
        letters and digits), read from an ``fts5vocab`` table of it (made in the
        connection's ``temp`` schema: nothing is added to the cache file,
        https://sqlite.org/fts5.html#the_fts5vocab_virtual_table_module); None when
        there are none, more than :data:`MAX_PREFIX_TERMS`, or one that is not ASCII
        letters and digits (FTS5's own prefix search is used then)."""
        vocab = f"{table}_vocab"
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        try:
            self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocab}"
                            f" USING fts5vocab(main, {table}, 'row')")
            found = [t for (t,) in self.db.execute(
                f"SELECT term FROM temp.{vocab} WHERE term >= ? AND term < ? LIMIT ?",
                (prefix, upper, MAX_PREFIX_TERMS + 1))]
        except sqlite3.Error:
            return None
        if not found or len(found) > MAX_PREFIX_TERMS:
            return None
        if not all(t.startswith(prefix) and t.isascii() and t.isalnum() for t in found):
            return None
        return found

    def is_current(self) -> bool:
        """Whether the index is that of the branch's head (the cache is synced by its
        opener: True; see :func:`open_current`).  Asking again gives the same answer."""
        return True

    def read_texts(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        """The bytes of each blob (:func:`~gitnews.archive.objects.read_blobs`)."""
        return read_blobs(self.repo, blob_ids)

    def _matching(self, table: str, match: str, ids: list[int], filters: str,
                  bounds: list[int]) -> list[int]:
        """The ids of ``ids`` whose rows of ``table`` match ``match`` (and the rowid
        bounds ``filters``/``bounds``)."""
        if not ids:
            return []
        if "*" in match:
            # A prefix query: FTS5 merges the lists of every word with that prefix
            # each time it starts, so one pass over the range of the ids, not one
            # lookup per id.
            wanted = set(ids)
            return [r for (r,) in self.db.execute(
                f"SELECT f.rowid FROM {table} f WHERE {table} MATCH ?{filters}"
                " AND f.rowid BETWEEN ? AND ?", [match, *bounds, min(ids), max(ids)])
                if r in wanted]
        out: list[int] = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            out += [r for (r,) in self.db.execute(
                f"SELECT f.rowid FROM {table} f WHERE {table} MATCH ?{filters}"
                f" AND f.rowid IN ({','.join('?' * len(part))})", [match, *bounds, *part])]
        return out

    def search_sources(self, hits: Sequence[SearchHit], *, within: Field
                       ) -> list[tuple[str, str, int | None, str | None]]:
        """For each hit, ``(url, headline, version, blob)``: the article's URL and
        (newest) headline from the cache, and the version whose text a snippet
        shows, with its blob: the newest matching version, or for ``removed`` the
        version with a text before it (None, None: no such text)."""
        out: list[tuple[str, str, int | None, str | None]] = []
        for hit in hits:
            row = self.db.execute("SELECT url, headline FROM articles WHERE path=?",
                                  (hit.path,)).fetchone()
            url, headline = (row[0], row[1] or "") if row else ("", "")
            newest = hit.numbers[-1]
            if within == "removed":
                shown = self.db.execute(
                    "SELECT number, blob FROM versions WHERE path=? AND number<?"
                    " AND blob IS NOT NULL ORDER BY number DESC LIMIT 1",
                    (hit.path, newest)).fetchone()
            else:
                shown = self.db.execute(
                    "SELECT number, blob FROM versions WHERE path=? AND number=?"
                    " AND blob IS NOT NULL", (hit.path, newest)).fetchone()
            out.append((url, headline, *(shown or (None, None))))
        return out


class _CurrentIndex(SearchIndex):
    """The index of an archive opened alone (:func:`open_current`): ``git rev-parse
    HEAD`` and ``git cat-file --batch`` started at once, so that git starts while
    SQLite searches."""

    def __init__(self, repo: LazyRepo, db: sqlite3.Connection, head: str) -> None:
        self.repo = repo  # type: ignore[assignment]  # git plumbing only: no GitPython
        self.path = Path(repo.git_dir) / "gitnews" / "state.sqlite"
        self.read_only = False
        self.db = db
        self._head = head
        self._rev_parse = start(str(repo.git_dir), "rev-parse", "--verify", "-q", "HEAD",
                                stderr=subprocess.DEVNULL)
        self._reader = BlobReader(repo)
        self._current: bool | None = None

    def is_current(self) -> bool:
        if self._current is None:
            out, _ = self._rev_parse.communicate()
            self._current = (self._rev_parse.returncode == 0
                             and out.decode().strip() == self._head)
        return self._current

    def read_texts(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        return self._reader.read(blob_ids)

    def close(self) -> None:
        try:
            self._reader.close()
            if self._rev_parse.returncode is None:  # not asked (is_current)
                self._rev_parse.communicate()
        finally:
            self.db.close()


#: The program of the build's second process (:class:`_ChangesWorker`), run as ``python -c``.
WORKER_CODE = "from gitnews.archive.cache.search import _changes_server; _changes_server()"


class _WorkerFailed(GitnewsError):
    """:class:`_ChangesWorker`'s process failed (the message has its error)."""


class _ChangesWorker:
    """A second Python process that computes words added and removed
    (:func:`_word_changes_of`) for :meth:`SearchIndex._build_parallel`: one chunk
    of work at a time, sent and answered as pickles over its stdin and stdout
    (started as ``python -c``: no ``multiprocessing``, whose ``spawn`` would run the
    caller's main module again).  :class:`OSError` when it cannot start; a worker
    that fails raises :class:`_WorkerFailed` with its error."""

    def __init__(self, where: str) -> None:
        import sys
        import tempfile

        self.where = where
        self.errors = tempfile.TemporaryFile()  # its error, if any (a pipe could fill)
        package_root = str(Path(__file__).resolve().parents[3])
        path = os.environ.get("PYTHONPATH")
        env = {**os.environ, "PYTHONPATH": package_root + (os.pathsep + path if path else "")}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.errors, env=env)
        self.busy = False

    def send(self, items: list[tuple[int, str, str, bool]]) -> None:
        """Give the worker a chunk (it reads it while computing nothing else)."""
        import pickle

        assert self.proc.stdin is not None
        try:
            pickle.dump((self.where, items), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._failed()
        self.busy = True

    def ready(self) -> bool:
        """Whether the chunk's answer can be read without waiting."""
        import select

        assert self.proc.stdout is not None
        return bool(select.select([self.proc.stdout], [], [], 0)[0])

    def receive(self) -> list[tuple[int, str, str]]:
        """The answer to the chunk sent (waits for it)."""
        import pickle

        assert self.proc.stdout is not None
        try:
            out: list[tuple[int, str, str]] = pickle.load(self.proc.stdout)
        except (EOFError, pickle.UnpicklingError):
            self._failed()
        self.busy = False
        return out

    def _failed(self) -> NoReturn:
        self.proc.kill()
        self.proc.communicate()
        self.errors.seek(0)
        err = self.errors.read().decode("utf-8", "replace").strip()[-2000:]
        raise _WorkerFailed("building the search index failed in its second process: "
                           f"{err}; run the "
                           "search again, and report the error if it stays")

    def __enter__(self) -> _ChangesWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # the worker's loop ends
        if exc[0] is not None:
            self.proc.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc.wait()
        self.errors.close()


def _changes_server() -> None:
    """The loop of :class:`_ChangesWorker`'s process: ``(where, items)`` pickles
    read from stdin, each answered with :func:`_word_changes_of` on stdout, until
    stdin ends."""
    import pickle
    import sys

    while True:
        try:
            where, items = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        pickle.dump(_word_changes_of(where, items), sys.stdout.buffer,
                    protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()


def _word_changes_of(where: str, items: list[tuple[int, str, str, bool]]
                     ) -> list[tuple[int, str, str]]:
    """``(id, added, removed)`` of each version of ``items`` (``(id, path, blob,
    re-extraction?)`` in article and version order, whole articles) whose text and
    text before it git has: the second process of
    :meth:`SearchIndex._build_parallel`.  The texts are read from the repository
    ``where`` (a working tree) with one ``git cat-file --batch``."""
    out: list[tuple[int, str, str]] = []
    path: str | None = None
    before: tuple[str, str] | None = None  # the blob and text of the version before
    with BlobReader(LazyRepo(where)) as reader:
        for g in range(0, len(items), GROUP):
            part = items[g:g + GROUP]
            texts = {k: v.decode("utf-8", "replace")
                     for k, (_, v) in reader.lookup({i[2] for i in part}).items()}
            for rowid, p, blob, ours in part:
                text = texts.get(blob)
                if p == path and before is not None and text is not None and not ours \
                        and before[0] != blob:
                    added, removed = word_changes(before[1], text)
                    if added or removed:
                        out.append((rowid, added, removed))
                path, before = p, (None if text is None else (blob, text))
    return out


def _is_extraction(trailers: str | None) -> bool:
    """Whether a version's trailers (the ``versions`` table's JSON object) say
    ``Change-Kind: extraction`` (:data:`~gitnews.format.trailers.KIND_EXTRACTION`)."""
    if not trailers or KIND_EXTRACTION not in trailers:
        return False
    try:
        kinds = json.loads(trailers).get(CHANGE_KIND) or ""
    except (ValueError, AttributeError):
        return False
    return KIND_EXTRACTION in (k.strip() for k in str(kinds).split(","))


def open_current(archive: Path) -> SearchIndex | None:
    """The search index of the archive folder ``archive`` without opening the archive
    (no :class:`~gitnews.archive.cache.State`, no GitPython, no configuration): the
    cache file ``.git/gitnews/state.sqlite`` opened for reading, when it exists, is
    writable (not a read-only archive) and has this schema version.  None otherwise:
    open the archive (:func:`~gitnews.archive.repo.open_archive`), which syncs the
    cache.  The result is only good when :meth:`SearchIndex.is_current` (the head it
    records is the branch's: one ``git rev-parse``, started here and asked there).
    Close it (:meth:`~CacheDb.close`)."""
    git_dir = archive / ".git"
    cache = git_dir / "gitnews" / "state.sqlite"
    if not (git_dir.is_dir() and cache.is_file() and os.access(cache, os.W_OK)
            and os.access(cache.parent, os.W_OK)):
        return None
    try:
        db = sqlite3.connect(cache, isolation_level=None, timeout=60)
    except sqlite3.Error:
        return None
    try:
        meta = dict(db.execute("SELECT k, v FROM meta WHERE k IN ('schema', 'head')"))
        if meta.get("schema") == SCHEMA_VERSION and meta.get("head"):
            return _CurrentIndex(LazyRepo(str(archive)), db, meta["head"])
    except (sqlite3.Error, OSError):
        pass
    db.close()
    return None
