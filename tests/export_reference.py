"""The export's rows as main built them before branch s6-export made them faster (a
copy of gitnews/output/export/rows.py's iter_articles and of sentences.py's
align_sentences at main cfca382, unchanged but for names and imports): the reference
that tests/test_export_same_rows.py compares the export with, row by row."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from gitnews.archive.history import version_time
from gitnews.archive.objects import BlobReader
from gitnews.archive.repo import Archive
from gitnews.format.normalise import parse_text
from gitnews.format.trailers import ARTICLE_URL, CHANGE_KIND, FETCHED_AT, PUBLISHED_AT, format_time
from gitnews.models import Version
from gitnews.output.export.rows import ArticleExport, ArticleRow, ChangeRow, SentenceEditRow, VersionRow, _Ids
from gitnews.output.export.sentences import (
    EDIT_RATIO,
    MAX_PAIRING_WORK,
    SentenceEdit,
    SentenceSplitter,
    changed_words,
    tokens,
)

GROUP_BLOBS = 2000


def align_sentences(old: Sequence[str], new: Sequence[str], *,
                    words: Callable[[str], list[str]] = tokens) -> list[SentenceEdit]:
    """The sentence actions that turn ``old`` into ``new`` (see module doc).

    ``words``: a sentence's tokens (:func:`tokens`; :meth:`SentenceSplitter.words`
    remembers them).

    Returns one :class:`SentenceEdit` per old sentence and per new sentence not
    paired with an old one: unchanged, moved and edited sentences appear once
    with both indexes.  Ordered by the new index (deletions after the new
    sentence that follows them; those at the end last), then by the old index.
    """
    # The common beginning and end first (most changes touch a few sentences), then
    # SequenceMatcher on what lies between.
    n = min(len(old), len(new))
    head = 0
    while head < n and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < n - head and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]:
        tail += 1
    edits: list[SentenceEdit] = [SentenceEdit("unchanged", i, i, 1.0) for i in range(head)]
    edits += [SentenceEdit("unchanged", len(old) - 1 - k, len(new) - 1 - k, 1.0)
              for k in range(tail)]
    sm = SequenceMatcher(None, list(old[head:len(old) - tail]), list(new[head:len(new) - tail]),
                         autojunk=False)
    left_old: list[int] = []
    left_new: list[int] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        i1, i2, j1, j2 = i1 + head, i2 + head, j1 + head, j2 + head
        if tag == "equal":
            edits += [SentenceEdit("unchanged", i, j, 1.0)
                      for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
        else:
            left_old += range(i1, i2)
            left_new += range(j1, j2)
    # Moved: the same text left over on both sides (in reading order for repeats).
    waiting: dict[str, list[int]] = {}
    for i in left_old:
        waiting.setdefault(old[i], []).append(i)
    still_new: list[int] = []
    paired_old: set[int] = set()
    for j in left_new:
        same = waiting.get(new[j])
        if same:
            i = same.pop(0)
            paired_old.add(i)
            edits.append(SentenceEdit("moved", i, j, 1.0))
        else:
            still_new.append(j)
    still_old = [i for i in left_old if i not in paired_old]
    # Edits: the most similar pairs at or above EDIT_RATIO.
    matched_old: set[int] = set()
    matched_new: set[int] = set()
    if still_old and still_new:
        words_old = {i: words(old[i]) for i in still_old}
        words_new = {j: words(new[j]) for j in still_new}
        scored: list[tuple[float, int, int]] = []
        matcher: SequenceMatcher[str] = SequenceMatcher(None, autojunk=False)
        if len(still_old) * len(still_new) > MAX_PAIRING_WORK:
            candidates: Iterable[tuple[int, int]] = zip(still_old, still_new, strict=False)
        else:
            candidates = ((i, j) for j in still_new for i in still_old)
        for i, j in candidates:
            matcher.set_seqs(words_old[i], words_new[j])
            if (matcher.real_quick_ratio() >= EDIT_RATIO and matcher.quick_ratio() >= EDIT_RATIO):
                ratio = matcher.ratio()
                if ratio >= EDIT_RATIO:
                    scored.append((ratio, i, j))
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        for ratio, i, j in scored:
            if i not in matched_old and j not in matched_new:
                matched_old.add(i)
                matched_new.add(j)
                edits.append(SentenceEdit("edit", i, j, round(ratio, 4)))
    edits += [SentenceEdit("deletion", i, None, 0.0) for i in still_old if i not in matched_old]
    edits += [SentenceEdit("addition", None, j, 0.0) for j in still_new if j not in matched_new]
    return _in_reading_order(edits, len(old))


def _in_reading_order(edits: list[SentenceEdit], n_old: int) -> list[SentenceEdit]:
    """Sort by the new index; a deletion goes right after the new sentence of the
    nearest old sentence before it that has one (first when none has)."""
    new_of = [-1.0] * n_old
    for e in edits:
        if e.old is not None and e.new is not None:
            new_of[e.old] = float(e.new)
    anchor = -0.5
    where: dict[int, float] = {}
    for i in range(n_old):
        if new_of[i] >= 0:
            anchor = new_of[i] + 0.5
        else:
            where[i] = anchor
    return sorted(edits, key=lambda e: (
        float(e.new) if e.new is not None else where.get(e.old if e.old is not None else -1, 0.0),
        -1 if e.old is None else e.old))


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
