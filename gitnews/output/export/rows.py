"""The rows of an export, streamed article by article from the cache and git.

:func:`iter_articles` walks the articles asked for in path order.  For each, the
cache's ``versions`` table gives its versions (oldest first; no ``git log``), and
one :class:`~gitnews.archive.objects.BlobReader` (one ``git cat-file --batch``
process for the whole export) reads their texts, a group of articles at a time,
the next group (in a thread) while this one's rows are made: memory holds two
groups (about :data:`GROUP_BLOBS` texts each), never the archive.

What versions of one article share is worked out once: each distinct paragraph is
split into sentences and its words counted once, and a change's sentence actions
are found only between the sentences both versions begin and end with
(:func:`~gitnews.output.export.sentences.common_ends`,
:func:`~gitnews.output.export.sentences.align_middle`): the same rows as aligning
the whole bodies (tests/test_export_same_rows.py).

Each article yields an :class:`ArticleExport`: its :class:`ArticleRow`, one
:class:`VersionRow` per version, one :class:`ChangeRow` per pair of consecutive
versions (but a version that only restores the text after an outside edit: no change,
as :func:`gitnews.archive.history.same_text` rules), and the :class:`SentenceEditRow` of each change
(:mod:`gitnews.output.export.sentences`).  Ids are numbers from 1 in that order,
so the same archive and the same selection give the same rows.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from gitnews.archive.history import version_time
from gitnews.archive.objects import BlobReader
from gitnews.format.trailers import (
    ARTICLE_URL,
    CAPTURED_AT,
    CHANGE_KIND,
    FETCHED_AT,
    PUBLISHED_AT,
    format_time,
)
from gitnews.models import Version
from gitnews.output.export.sentences import (
    Blocks,
    SentenceSplitter,
    align_middle,
    changed_words,
    common_ends,
)

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
    """One pair of consecutive versions of an article (none for a version that only
    puts back the text of the one before it: :func:`_restores`): ``version_id``/``number``
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


def _cache_rows(state_db: sqlite3.Connection, paths: Sequence[str] | None
                ) -> Iterator[list[tuple[Any, ...]]]:
    """Each article's versions as the cache's rows ``(path, number, commit_id, at, blob,
    subject, trailers)`` (oldest first), articles in path order."""
    sql = "SELECT path, number, commit_id, at, blob, subject, trailers FROM versions"
    if paths is None:
        cursor = state_db.execute(sql + " ORDER BY path, number")
        for _, group in itertools.groupby(cursor, key=itemgetter(0)):
            yield list(group)
        return
    for path in sorted(set(paths)):
        found = state_db.execute(sql + " WHERE path=? ORDER BY number", (path,)).fetchall()
        if found:
            yield found


@dataclass
class _Version:
    """One cache row, its trailers parsed, and when its text was captured."""

    number: int
    commit: str
    blob: str | None
    subject: str
    trailers: dict[str, str]
    trailers_json: str
    when: int | datetime  # the commit time (epoch seconds) or Captured-At

    def time(self) -> datetime:
        return (self.when if isinstance(self.when, datetime)
                else datetime.fromtimestamp(self.when, tz=UTC))


def _version(row: tuple[Any, ...]) -> _Version:
    path, number, commit, at, blob, subject, trailers_json = row
    trailers = json.loads(trailers_json)
    when: int | datetime = at
    if CAPTURED_AT in trailers:  # the rule of gitnews.archive.history.version_time
        when = version_time(Version(path=path, number=number, commit=commit,
                                    fetched_at=datetime.fromtimestamp(at, tz=UTC),
                                    subject=subject, trailers=trailers,
                                    removed=blob is None, blob=blob))
    return _Version(number, commit, blob, subject, trailers, trailers_json, when)


def _time_text(when: int | datetime) -> str:
    """:func:`~gitnews.format.trailers.format_time` of a version's time (for epoch
    seconds, the same text without building a datetime)."""
    if isinstance(when, datetime):
        return format_time(when)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _restores(previous: _Version, version: _Version) -> bool:
    """Whether ``version`` only puts back the text of ``previous``, the version before
    it (the same blob; neither a removal): the version gitnews commits after an
    outside edit when the page did not change.  The rule of
    :func:`gitnews.archive.history.same_text`: such a version is no change for
    ``gitnews log``, ``changes`` and ``stats``, and gets no row in the export's
    ``changes`` (it keeps its row in ``versions``)."""
    return previous.blob is not None and previous.blob == version.blob


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

    The texts of the next group of articles are read from git (in a thread: git and
    the pipe do the work, the thread waits on them) while this group's rows are made.
    """
    state = archive.state
    ids = _Ids()
    work = _ArticleWork(SentenceSplitter(language=language), sentences)
    filtered = since is not None or until is not None

    def groups() -> Iterator[list[tuple[str, list[_Version], list[int]]]]:
        batch: list[tuple[str, list[_Version], list[int]]] = []
        size = 0
        for rows in _cache_rows(state.db, paths):
            found = [_version(r) for r in rows]
            if filtered:
                wanted = [k for k, v in enumerate(found) if _in_range(v.time(), since, until)]
                if not wanted:
                    continue
            else:
                wanted = list(range(len(found)))
            batch.append((rows[0][0], found, wanted))
            size += len(found)
            if size >= GROUP_BLOBS:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def needed(batch: list[tuple[str, list[_Version], list[int]]]) -> list[str]:
        out: list[str] = []
        for _, found, wanted in batch:
            out += [v.blob for v in found[max(0, wanted[0] - 1):wanted[-1] + 1] if v.blob]
        return out

    with BlobReader(archive.repo) as reader, ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[dict[str, bytes]] | None = None
        current: list[tuple[str, list[_Version], list[int]]] | None = None
        for batch in groups():
            ahead = pool.submit(reader.read, needed(batch))
            if current is not None and pending is not None:
                yield from work.batch(current, pending.result(), ids)
            current, pending = batch, ahead
        if current is not None and pending is not None:
            yield from work.batch(current, pending.result(), ids)


@dataclass
class _Text:
    """One version's text, parsed: what its row and its changes need."""

    text: str
    head: str
    body: list[str]
    sentences: list[str]  # the body's sentences, in order ([] without sentences)
    counts: list[int]  # sentences per paragraph
    removed: bool
    row_id: int | None  # None: read for a change, not exported
    words: int  # gitnews.versions.diff.count_words of the text


class _ArticleWork:
    """The rows of each article, with what one article's versions share remembered
    (each distinct paragraph split, tokenized and counted once: the splitter)."""

    def __init__(self, splitter: SentenceSplitter, sentences: bool) -> None:
        self.splitter = splitter
        self.sentences = sentences

    def batch(self, batch: list[tuple[str, list[_Version], list[int]]], texts: dict[str, bytes],
              ids: _Ids) -> Iterator[ArticleExport]:
        for path, found, wanted in batch:
            yield self.article(path, found, wanted, texts, ids)
            self.splitter.clear()

    def parse(self, v: _Version, texts: dict[str, bytes], row_id: int | None) -> _Text:
        text = texts[v.blob].decode("utf-8", "replace") if v.blob else ""
        if not text:
            return _Text(text, "", [], [], [], v.blob is None, row_id, 0)
        blocks = text.split("\n\n")  # gitnews.format.normalise.parse_text, block by block
        body = [b.strip("\n") for b in blocks[1:]]
        body = [b for b in body if b]
        splitter = self.splitter
        if not self.sentences:
            return _Text(text, blocks[0].strip("\n"), body, [], [], v.blob is None, row_id,
                         splitter.count_words(text))
        parts = [splitter.paragraph(p) for p in body]
        # count_words(text): block by block; a paragraph's block differs from it only
        # by line ends around it (empty blocks have no word).
        words = splitter.block_words(blocks[0]) + sum(map(splitter.block_words, body))
        return _Text(text, blocks[0].strip("\n"), body, list(itertools.chain.from_iterable(parts)),
                     [len(s) for s in parts], v.blob is None, row_id, words)

    def article(self, path: str, found: list[_Version], wanted: list[int],
                texts: dict[str, bytes], ids: _Ids) -> ArticleExport:
        rows: list[VersionRow] = []
        changes: list[ChangeRow] = []
        edits: list[SentenceEditRow] = []
        wanted_set = set(wanted)
        previous: tuple[_Version, _Text] | None = None
        headline = ""
        for k in range(max(0, wanted[0] - 1), wanted[-1] + 1):
            v = found[k]
            if k not in wanted_set:
                parsed = self.parse(v, texts, None)
                if v.blob is not None:
                    headline = parsed.head
                previous = (v, parsed)
                continue
            ids.version += 1
            parsed = self.parse(v, texts, ids.version)
            if v.blob is not None:
                headline = parsed.head
            row = VersionRow(
                id=ids.version, article=path, url=v.trailers.get(ARTICLE_URL, ""),
                number=v.number, commit=v.commit, time=_time_text(v.when),
                fetched_at=v.trailers.get(FETCHED_AT, ""),
                published_at=v.trailers.get(PUBLISHED_AT, ""), subject=v.subject,
                change_kind=v.trailers.get(CHANGE_KIND, ""), removed=v.blob is None,
                headline=parsed.head, words=parsed.words,
                paragraphs=len(parsed.body), sentences=len(parsed.sentences), text=parsed.text,
                trailers=v.trailers)
            rows.append(row)
            if previous is not None and not _restores(previous[0], v):
                changes.append(self.change(path, previous, (v, parsed), row, ids, edits))
            previous = (v, parsed)
        last = found[wanted[-1]]
        article = ArticleRow(
            path=path, url=last.trailers.get(ARTICLE_URL, "") or rows[-1].url,
            host=path.split("/", 1)[0], headline=headline, versions=len(rows),
            changes=len(changes), first_time=rows[0].time, last_time=rows[-1].time,
            removed=last.blob is None)
        return ArticleExport(article, rows, changes, edits)

    def change(self, path: str, old: tuple[_Version, _Text], new: tuple[_Version, _Text],
               row: VersionRow, ids: _Ids, edits: list[SentenceEditRow]) -> ChangeRow:
        (v0, t0), (v1, t1) = old, new
        splitter = self.splitter
        head0 = t0.text.split("\n", 1)[0] if t0.text else ""
        head1 = t1.text.split("\n", 1)[0] if t1.text else ""
        ids.change += 1
        change = ChangeRow(
            id=ids.change, version_id=row.id, previous_id=t0.row_id, article=path,
            number=v1.number, previous_number=v0.number, time=row.time,
            kind=v1.trailers.get(CHANGE_KIND, ""), headline_changed=head0 != head1,
            words_added=0, words_removed=0, sentences_added=0, sentences_deleted=0,
            sentences_edited=0, sentences_moved=0)
        if head0 != head1:
            change.words_added, change.words_removed = changed_words(
                splitter.words(head0), splitter.words(head1))
        body0, body1 = t0.body, t1.body
        # A removal (or the return after one): every word goes (or comes back); no sentence
        # edits, the change's kind says it.
        if t0.removed or t1.removed or not self.sentences:
            if body0 != body1:
                added, removed = changed_words(
                    [t for p in body0 for t in splitter.words(p)],
                    [t for p in body1 for t in splitter.words(p)])
                change.words_added += added
                change.words_removed += removed
            return change
        if body0 == body1:
            return change
        s0, s1 = t0.sentences, t1.sentences
        # The sentences of the paragraphs both bodies begin and end with are shared: the
        # scan for the common ends starts after them (common_ends: the same ends).
        n = min(len(body0), len(body1))
        p = 0
        while p < n and body0[p] == body1[p]:
            p += 1
        q = 0
        while q < n - p and body0[-1 - q] == body1[-1 - q]:
            q += 1
        head, tail = common_ends(s0, s1, head=sum(t0.counts[:p]),
                                 tail=sum(t0.counts[len(body0) - q:]) if q else 0)
        blocks: Blocks = {}
        counts = {"addition": 0, "deletion": 0, "edit": 0, "moved": 0}
        para0 = para1 = None
        for e in align_middle(s0, s1, head, tail, words=splitter.words, blocks=blocks):
            counts[e.action] += 1
            a = s0[e.old] if e.old is not None else None
            b = s1[e.new] if e.new is not None else None
            if e.action == "edit":
                assert e.old is not None and e.new is not None and a is not None and b is not None
                added, removed = splitter.edit_words(a, b, blocks[e.old, e.new])
            elif e.action == "addition":
                added, removed = splitter.sentence_words(b or ""), 0
            elif e.action == "deletion":
                added, removed = 0, splitter.sentence_words(a or "")
            else:  # moved: still there
                added = removed = 0
            change.words_added += added
            change.words_removed += removed
            if e.old is not None and para0 is None:
                para0 = list(itertools.accumulate(t0.counts))
            if e.new is not None and para1 is None:
                para1 = list(itertools.accumulate(t1.counts))
            ids.edit += 1
            edits.append(SentenceEditRow(
                id=ids.edit, change_id=change.id, version_id=row.id, article=path,
                number=v1.number, action=e.action, old_index=e.old, new_index=e.new,
                old_paragraph=bisect_right(para0, e.old) if para0 and e.old is not None else None,
                new_paragraph=bisect_right(para1, e.new) if para1 and e.new is not None else None,
                old_sentence=a, new_sentence=b, ratio=e.ratio))
        change.sentences_added, change.sentences_deleted = counts["addition"], counts["deletion"]
        change.sentences_edited, change.sentences_moved = counts["edit"], counts["moved"]
        return change
