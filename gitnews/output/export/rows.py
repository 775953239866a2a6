"""The rows of an export, streamed article by article from the cache and git.

:func:`iter_articles` walks the articles asked for in path order.  For each, the
cache's ``versions`` table gives its versions (oldest first; no ``git log``), and
one :class:`~gitnews.archive.objects.BlobReader` (one ``git cat-file --batch``
process for the whole export) reads their texts, a group of articles at a time:
memory holds one group (about :data:`GROUP_BLOBS` texts), never the archive.

Each article yields an :class:`ArticleExport`: its :class:`ArticleRow`, one
:class:`VersionRow` per version, one :class:`ChangeRow` per pair of consecutive
versions, and the :class:`SentenceEditRow` of each change
(:mod:`gitnews.output.export.sentences`).  Ids are numbers from 1 in that order,
so the same archive and the same selection give the same rows.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gitnews.archive.history import version_time
from gitnews.archive.objects import BlobReader
from gitnews.format.normalise import parse_text
from gitnews.format.trailers import (
    ARTICLE_URL,
    CHANGE_KIND,
    FETCHED_AT,
    PUBLISHED_AT,
    format_time,
)
from gitnews.models import Version
from gitnews.output.export.sentences import SentenceSplitter, align_sentences, changed_words

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive

__all__ = ["ArticleRow", "VersionRow", "ChangeRow", "SentenceEditRow", "ArticleExport",
           "iter_articles", "columns", "values", "GROUP_BLOBS", "Row"]

#: Texts read from git per round (a group of whole articles, at least one).
GROUP_BLOBS = 2000


@dataclass
class ArticleRow:
    """One article of the export.  ``path``: its file in the archive; ``url``: its
    newest ``Article-Url``; ``host``: its host folder (lower case, no ``www.``);
    ``headline``: line 1 of its newest text (a removal keeps the text before it);
    ``versions``/``changes``: how many of its versions and changes are in the
    export; ``first_time``/``last_time``: RFC 3339 UTC times of its first and last
    exported version; ``removed``: its newest version is a removal."""

    path: str
    url: str
    host: str
    headline: str
    versions: int
    changes: int
    first_time: str
    last_time: str
    removed: bool


@dataclass
class VersionRow:
    """One version.  ``id``: its number in the export (from 1); ``article``: the
    article's path; ``number``: its ``Version``; ``commit``: the commit id (40
    hex); ``time``: when its text was captured (RFC 3339 UTC:
    :func:`gitnews.archive.history.version_time`); ``fetched_at``, ``published_at``,
    ``change_kind``: those trailers ("" when absent); ``headline``: line 1 of the
    text; ``text``: the file's text exactly as stored, decoded as UTF-8 ("" for a
    removal); ``words``: its words (headline and body, ``gitnews diff``'s
    counting); ``paragraphs``, ``sentences``: of the body; ``trailers``: every
    trailer, key -> value, in the commit's order."""

    id: int
    article: str
    url: str
    number: int
    commit: str
    time: str
    fetched_at: str
    published_at: str
    subject: str
    change_kind: str
    removed: bool
    headline: str
    words: int
    paragraphs: int
    sentences: int
    text: str
    trailers: dict[str, str] = field(default_factory=dict)


@dataclass
class ChangeRow:
    """One pair of consecutive versions of an article: ``version_id``/``number``
    the newer one, ``previous_id``/``previous_number`` the one before (``previous_id``
    None when that one is not exported: before ``since``); ``time`` the
    newer one's; ``kind`` its ``Change-Kind`` trailer; ``headline_changed``: line 1
    differs; ``words_added``/``words_removed``: the words (``gitnews diff``'s
    counting) of the headline's word diff, of added and deleted sentences, and
    inserted or deleted inside edited sentences (a moved sentence adds and removes
    none; a removal removes every word, the return after it adds them); the
    sentence actions by kind (none for a removal or the return after one)."""

    id: int
    version_id: int
    previous_id: int | None
    article: str
    number: int
    previous_number: int
    time: str
    kind: str
    headline_changed: bool
    words_added: int
    words_removed: int
    sentences_added: int
    sentences_deleted: int
    sentences_edited: int
    sentences_moved: int


@dataclass
class SentenceEditRow:
    """One sentence action of a change (not ``unchanged``): ``action`` ``addition``,
    ``deletion``, ``edit`` or ``moved``; ``old_index``/``new_index``: the sentence's
    0-based index in the older/newer version's body (None on the missing side),
    ``old_paragraph``/``new_paragraph`` its paragraph's; the sentence before and
    after (None on the missing side); ``ratio``: the word similarity of an edit."""

    id: int
    change_id: int
    version_id: int
    article: str
    number: int
    action: str
    old_index: int | None
    new_index: int | None
    old_paragraph: int | None
    new_paragraph: int | None
    old_sentence: str | None
    new_sentence: str | None
    ratio: float


@dataclass
class ArticleExport:
    """One article and its rows, in the export's order."""

    article: ArticleRow
    versions: list[VersionRow]
    changes: list[ChangeRow]
    sentence_edits: list[SentenceEditRow]


#: Any row of an export.
Row = ArticleRow | VersionRow | ChangeRow | SentenceEditRow


def columns(row_type: type[Any]) -> list[str]:
    """The column names of a row type, in order."""
    return [f.name for f in fields(row_type)]


def values(row: Row) -> tuple[Any, ...]:
    """A row's values in column order (shallow: ``trailers`` stays a dict)."""
    return tuple(getattr(row, f.name) for f in fields(row))


@dataclass
class _Ids:
    version: int = 0
    change: int = 0
    edit: int = 0


def _version_rows(state_db: sqlite3.Connection, paths: Sequence[str] | None) -> Iterator[list[Version]]:
    """Each article's versions (oldest first), articles in path order, from the cache."""
    sql = "SELECT path, number, commit_id, at, blob, subject, trailers FROM versions"

    def version(row: tuple[Any, ...]) -> Version:
        path, number, commit, at, blob, subject, trailers = row
        return Version(path=path, number=number, commit=commit,
                       fetched_at=datetime.fromtimestamp(at, tz=UTC), subject=subject,
                       trailers=json.loads(trailers), removed=blob is None, blob=blob)

    if paths is None:
        cursor = state_db.execute(sql + " ORDER BY path, number")
        for _, group in itertools.groupby(cursor, key=lambda r: r[0]):
            yield [version(r) for r in group]
        return
    for path in sorted(set(paths)):
        found = [version(r) for r in state_db.execute(sql + " WHERE path=? ORDER BY number",
                                                      (path,))]
        if found:
            yield found


def _in_range(when: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or when >= since) and (until is None or when <= until)


def iter_articles(archive: Archive, *, paths: Sequence[str] | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  language: str = "en", sentences: bool = True) -> Iterator[ArticleExport]:
    """Stream the export's rows, one article at a time, in path order.

    ``paths``: the articles' files (None: every article).  ``since``/``until``
    (aware datetimes): only versions captured in that range, ends included
    (:func:`gitnews.archive.history.version_time`); a change is exported with
    its newer version (the older one's text is read for it).  An article with no
    version in range is left out.  ``language``: sentencex's language for
    splitting sentences; ``sentences`` False leaves sentence edits (and counts)
    out.  Raises :class:`~gitnews.archive.gitrun.GitError` when git cannot read
    a text (a damaged repository).
    """
    state = archive.state
    ids = _Ids()
    splitter = SentenceSplitter(language=language)
    with BlobReader(archive.repo) as reader:
        batch: list[tuple[list[Version], list[int]]] = []
        size = 0
        for found in _version_rows(state.db, paths):
            times = [version_time(v) for v in found]
            wanted = [k for k, t in enumerate(times) if _in_range(t, since, until)]
            if not wanted:
                continue
            batch.append((found, wanted))
            size += len(found)
            if size >= GROUP_BLOBS:
                yield from _export_batch(reader, batch, ids, splitter, sentences)
                batch, size = [], 0
        if batch:
            yield from _export_batch(reader, batch, ids, splitter, sentences)


def _export_batch(reader: BlobReader, batch: list[tuple[list[Version], list[int]]], ids: _Ids,
                  splitter: SentenceSplitter, sentences: bool) -> Iterator[ArticleExport]:
    needed: list[str] = []
    for found, wanted in batch:
        first = max(0, wanted[0] - 1)
        needed += [v.blob for v in found[first:wanted[-1] + 1] if v.blob]
    texts = reader.read(needed)
    for found, wanted in batch:
        yield _export_article(found, wanted, texts, ids, splitter, sentences)
        splitter.clear()


def _export_article(found: list[Version], wanted: list[int], texts: dict[str, bytes],
                    ids: _Ids, splitter: SentenceSplitter, sentences: bool) -> ArticleExport:
    path = found[0].path
    rows: list[VersionRow] = []
    changes: list[ChangeRow] = []
    edits: list[SentenceEditRow] = []
    wanted_set = set(wanted)
    # version, text, body, id (None: read for the change, not exported)
    previous: tuple[Version, str, list[str], int | None] | None = None
    start = max(0, wanted[0] - 1)
    headline = ""
    for k in range(start, wanted[-1] + 1):
        v = found[k]
        text = texts[v.blob].decode("utf-8", "replace") if v.blob else ""
        head, body = parse_text(text) if text else ("", [])
        if not v.removed:
            headline = head
        if k not in wanted_set:
            previous = (v, text, body, None)
            continue
        split = splitter.body(body) if sentences else []
        ids.version += 1
        row = VersionRow(
            id=ids.version, article=path, url=v.trailers.get(ARTICLE_URL, ""), number=v.number,
            commit=v.commit, time=format_time(version_time(v)),
            fetched_at=v.trailers.get(FETCHED_AT, ""),
            published_at=v.trailers.get(PUBLISHED_AT, ""), subject=v.subject,
            change_kind=v.trailers.get(CHANGE_KIND, ""), removed=v.removed, headline=head,
            words=splitter.count_words(text), paragraphs=len(body), sentences=len(split), text=text,
            trailers=v.trailers)
        rows.append(row)
        if previous is not None:
            changes.append(_change(previous, (v, text, body, row.id), ids, splitter, edits,
                                   sentences))
        previous = (v, text, body, row.id)
    last = found[wanted[-1]]
    article = ArticleRow(
        path=path, url=last.trailers.get(ARTICLE_URL, "") or rows[-1].url,
        host=path.split("/", 1)[0], headline=headline, versions=len(rows), changes=len(changes),
        first_time=rows[0].time, last_time=rows[-1].time, removed=last.removed)
    return ArticleExport(article, rows, changes, edits)


def _change(old: tuple[Version, str, list[str], int | None],
            new: tuple[Version, str, list[str], int],
            ids: _Ids, splitter: SentenceSplitter, edits: list[SentenceEditRow],
            sentences: bool) -> ChangeRow:
    (v0, text0, body0, id0), (v1, text1, body1, id1) = old, new
    head0 = text0.split("\n", 1)[0] if text0 else ""
    head1 = text1.split("\n", 1)[0] if text1 else ""
    ids.change += 1
    change = ChangeRow(
        id=ids.change, version_id=id1, previous_id=id0, article=v1.path, number=v1.number,
        previous_number=v0.number, time=format_time(version_time(v1)),
        kind=v1.trailers.get(CHANGE_KIND, ""), headline_changed=head0 != head1,
        words_added=0, words_removed=0, sentences_added=0, sentences_deleted=0,
        sentences_edited=0, sentences_moved=0)
    if head0 != head1:
        change.words_added, change.words_removed = changed_words(
            splitter.words(head0), splitter.words(head1))
    # A removal (or the return after one): every word goes (or comes back); no sentence
    # edits, the change's kind says it.
    if v0.removed or v1.removed or not sentences:
        if body0 != body1:
            added, removed = changed_words(
                [t for p in body0 for t in splitter.words(p)],
                [t for p in body1 for t in splitter.words(p)])
            change.words_added += added
            change.words_removed += removed
        return change
    if body0 == body1:
        return change
    s0, s1 = splitter.body(body0), splitter.body(body1)
    counts = {"addition": 0, "deletion": 0, "edit": 0, "moved": 0}
    for e in align_sentences([s.text for s in s0], [s.text for s in s1], words=splitter.words):
        if e.action == "unchanged":
            continue
        counts[e.action] += 1
        a = s0[e.old] if e.old is not None else None
        b = s1[e.new] if e.new is not None else None
        if e.action != "moved":
            added, removed = changed_words(splitter.words(a.text) if a else [],
                                           splitter.words(b.text) if b else [])
            change.words_added += added
            change.words_removed += removed
        ids.edit += 1
        edits.append(SentenceEditRow(
            id=ids.edit, change_id=change.id, version_id=id1, article=v1.path,
            number=v1.number, action=e.action, old_index=e.old, new_index=e.new,
            old_paragraph=a.paragraph if a else None, new_paragraph=b.paragraph if b else None,
            old_sentence=a.text if a else None, new_sentence=b.text if b else None,
            ratio=e.ratio))
    change.sentences_added, change.sentences_deleted = counts["addition"], counts["deletion"]
    change.sentences_edited, change.sentences_moved = counts["edit"], counts["moved"]
    return change
