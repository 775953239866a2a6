"""Every change across the archive in a period (``gitnews changes``), from the cache.

A *change* is a version after the first (``Version`` >= 2: an edit, a removal, a
restoration), less the versions that only put back the text of the version
before them after an outside edit (:func:`gitnews.archive.history.same_text`):
the same rule as ``gitnews log``, the site and the feeds.

:func:`list_changes` answers from the cache's ``versions`` table (every version's
commit, time and trailers; :mod:`gitnews.archive.cache.schema`), never from a
``git log`` walk: one SQL query walks the versions of the period newest first
(the ``versions_at`` index; a join on the table's primary key gives each
version's previous blob) and is read only until ``limit`` rows are found; only
those rows have their two texts read, in one ``git cat-file --batch`` stream, to
count the words added and removed (:func:`words_changed`) and to name the
headline (the new text's first line; a removal's old one).  The archive may be
opened with :func:`gitnews.archive.reader.open_reader` (no GitPython, no
configuration: ``gitnews changes``) or be an open
:class:`~gitnews.archive.repo.Archive`.

Rows come newest first (time, then path and version number, both descending, as the
site's lists of changes: deterministic).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.archive.objects import BlobReader
from gitnews.format.normalise import parse_text
from gitnews.format.trailers import ARTICLE_URL, CHANGE_KIND, FEED

if TYPE_CHECKING:
    from gitnews.archive.reader import CacheSource

__all__ = ["ChangeRow", "list_changes", "change_kinds", "host_of", "TrailerFilter",
           "words_changed"]

#: ``trailer_filter(trailers) -> keep?``: an extra test on a version's trailers
#: (e.g. ``--min-significance`` on the ``Significance`` trailer), None for none.
TrailerFilter = Callable[[Mapping[str, str]], bool]


def change_kinds(trailers: Mapping[str, str], *, removed: bool) -> tuple[str, ...]:
    """The kinds of a change: its ``Change-Kind`` trailer's values in the order
    written (docs/archive-format.md); for a version without the trailer (an
    archive older than it) ``("removed",)`` for a removal, else ``("body",)``."""
    kinds = tuple(k for k in (s.strip() for s in trailers.get(CHANGE_KIND, "").split(",")) if k)
    if kinds:
        return kinds
    return ("removed",) if removed else ("body",)


#: A word, as :func:`gitnews.versions.diff.count_words` counts them (letters and digits, with
#: inner apostrophes, hyphens, dots, commas, colons and slashes).
_WORD = re.compile(r"\w+(?:[’'.,:/\-]\w+)*")


def words_changed(old: str, new: str) -> tuple[int, int]:
    """``(words added, words removed)`` from text ``old`` to text ``new`` (headline
    and body): the difference of the two texts' words counted as multisets (a word
    is what :func:`gitnews.versions.diff.count_words` counts), so that
    ``added - removed`` is always the change in :func:`count_words`.

    Linear in the texts' length, with no alignment: a word moved elsewhere counts
    as neither added nor removed, where ``gitnews log``/``diff``
    (:func:`gitnews.versions.diff.diff_texts`, which aligns paragraphs and words)
    may count a moved passage as removed and added; for edits in place, and
    paragraphs added or removed, both give the same counts."""
    if old == new:
        return 0, 0
    # The paragraphs both texts hold add the same words to both sides: leave them out
    # (exactly the same difference), and read the words of the others only.
    pa, pb = Counter(old.split("\n\n")), Counter(new.split("\n\n"))
    old_words = _WORD.findall("\n".join((pa - pb).elements()))
    new_words = _WORD.findall("\n".join((pb - pa).elements()))
    a, b = Counter(old_words), Counter(new_words)
    removed = sum(n - b[w] for w, n in a.items() if n > b[w])
    return removed + len(new_words) - len(old_words), removed


def host_of(path: str) -> str:
    """The host folder of an archive path (its first segment, :mod:`gitnews.format.paths`)."""
    return path.split("/", 1)[0]


@dataclass(frozen=True)
class ChangeRow:
    """One change: the article's archive ``path``, its ``url`` (``Article-Url``),
    the version ``number`` and ``commit``, its time ``at`` (aware UTC), the
    ``host`` folder, the ``headline`` of the new text (of the old one for a
    removal), its ``kinds`` (:func:`change_kinds`), the words added and removed
    (headline and body, :func:`words_changed`), the ``feed`` it
    came from (None: a single article) and every trailer of the version."""

    path: str
    url: str
    number: int
    commit: str
    at: datetime
    host: str
    headline: str
    kinds: tuple[str, ...]
    words_added: int
    words_removed: int
    removed: bool
    feed: str | None = None
    trailers: Mapping[str, str] = field(default_factory=dict)

    @property
    def log_command(self) -> str:
        """The command that shows the article's versions."""
        return f"gitnews log {_quote(self.path)}"

    @property
    def diff_command(self) -> str:
        """The command that shows this change (version ``number - 1`` against ``number``)."""
        return f"gitnews diff {_quote(self.path)} {self.number - 1} {self.number}"


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)


def _host_clause(host: str) -> tuple[str, list[str]]:
    escaped = host.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return ("(substr(v.path, 1, instr(v.path, '/') - 1) = ?"
            " OR substr(v.path, 1, instr(v.path, '/') - 1) LIKE ? ESCAPE '!')",
            [host, "%." + escaped])


def list_changes(arc: CacheSource, *, since: datetime | None = None,
                 until: datetime | None = None, host: str | None = None,
                 kinds: tuple[str, ...] = (), min_words: int = 0, limit: int | None = None,
                 trailer_filter: TrailerFilter | None = None) -> list[ChangeRow]:
    """Every change of ``arc`` (an open archive, or an
    :class:`~gitnews.archive.reader.ArchiveReader`) from ``since`` to ``until``
    (aware datetimes, both included; None: no bound), newest first.

    ``host``: only articles whose host folder is ``host`` or a subdomain of it
    (lower case, without ``www.``: :func:`gitnews.output.changes.host_key`).
    ``kinds``: only changes having one of these ``Change-Kind`` values
    (:data:`gitnews.format.trailers.CHANGE_KINDS`).  ``min_words``: only changes
    that added and removed that many words or more together.  ``limit``: at
    most this many rows.  ``trailer_filter``: an extra test on each version's
    trailers (:data:`TrailerFilter`).

    Cost: one SQL query over the cache that walks the ``versions_at`` index from
    ``until`` (or the newest version) back to ``since`` and is read only as far as
    needed (no text, no git; each version's previous blob by primary key), so that
    it depends on the period, not on the archive's size; then one ``git cat-file
    --batch`` for the texts of the rows kept (two per row): without ``min_words``
    exactly the ``limit`` rows' texts, else groups of :data:`_GROUP` rows until
    ``limit`` rows are kept.
    """
    if limit is not None and limit <= 0:
        return []
    where = ["v.number >= 2",
             "NOT (v.blob IS NOT NULL AND p.blob IS NOT NULL AND v.blob = p.blob)"]
    args: list[str | int] = []
    if since is not None:
        where.append("v.at >= ?")
        args.append(int(since.timestamp()))
    if until is not None:
        where.append("v.at <= ?")
        args.append(int(until.timestamp()))
    if host:
        clause, values = _host_clause(host)
        where.append(clause)
        args += values
    # CROSS JOIN: SQLite keeps this order (the versions by time, newest first, from the
    # versions_at index, whose entries end with the key: no sort; then the version
    # before each by key).
    sql = ("SELECT v.path, v.number, v.commit_id, v.at, v.blob, v.trailers, p.blob"
           " FROM versions v INDEXED BY versions_at"
           " CROSS JOIN versions p ON p.path = v.path AND p.number = v.number - 1"
           f" WHERE {' AND '.join(where)} ORDER BY v.at DESC, v.path DESC, v.number DESC")
    wanted = set(kinds)
    found_rows = iter(arc.state.db.execute(sql, args))
    rows: list[ChangeRow] = []
    reader: BlobReader | None = None
    try:
        while limit is None or len(rows) < limit:
            # Without --min-words every candidate is kept: read just the texts still needed.
            size = _GROUP if min_words or limit is None else limit - len(rows)
            group = []
            for path, number, commit, at, blob, trailers_json, prev_blob in found_rows:
                trailers = json.loads(trailers_json)
                found = change_kinds(trailers, removed=blob is None)
                if wanted and not wanted.intersection(found):
                    continue
                if trailer_filter is not None and not trailer_filter(trailers):
                    continue
                group.append((path, number, commit, at, blob, trailers, prev_blob, found))
                if len(group) >= size:
                    break
            if not group:
                break
            reader = reader or BlobReader(arc.repo)
            texts = reader.read({b for c in group for b in (c[4], c[6]) if b})
            for path, number, commit, at, blob, trailers, prev_blob, found in group:
                old = texts[prev_blob].decode("utf-8") if prev_blob else ""
                new = texts[blob].decode("utf-8") if blob else ""
                added, removed = words_changed(old, new)
                if added + removed < min_words:
                    continue
                headline = _headline(new) or _headline(old) or trailers.get(ARTICLE_URL) or path
                rows.append(ChangeRow(
                    path=path, url=trailers.get(ARTICLE_URL) or "", number=number,
                    commit=commit, at=datetime.fromtimestamp(at, tz=UTC), host=host_of(path),
                    headline=headline, kinds=found, words_added=added, words_removed=removed,
                    removed=blob is None, feed=trailers.get(FEED) or None, trailers=trailers))
                if limit is not None and len(rows) >= limit:
                    break
    finally:
        if reader is not None:
            reader.close()
    return rows


#: Rows whose texts are read in one ``git cat-file --batch`` round (with ``min_words``,
#: or without a limit).
_GROUP = 256


def _headline(text: str) -> str:
    return parse_text(text)[0] if text else ""

