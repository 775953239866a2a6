"""The export formats: JSON Lines, CSV, SQLite (sqlite-utils) and Parquet (pyarrow).

Each writer takes the rows of :func:`gitnews.output.export.rows.iter_articles` and
writes them to ``out`` as they come (nothing waits for the whole archive), and
returns :class:`ExportCounts`.  docs/export.md describes every file, table and column.
"""

from __future__ import annotations

import csv
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from gitnews.output.export.rows import (
    ArticleExport,
    ArticleRow,
    ChangeRow,
    Row,
    SentenceEditRow,
    VersionRow,
    columns,
)

__all__ = ["ExportCounts", "write_jsonl", "write_csv", "write_sqlite", "write_parquet",
           "FTS_TOKENIZE", "PARQUET_ROWS", "MissingExtraError"]

#: The tokenizer of the SQLite export's full-text index (SQLite FTS5,
#: https://sqlite.org/fts5.html#unicode61_tokenizer): case and diacritics folded.
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
#: Rows per Parquet row group (and per batch written).
PARQUET_ROWS = 10_000


class MissingExtraError(ImportError):
    """An optional library of a format is not installed: the message names the extra."""


@dataclass
class ExportCounts:
    """What an export wrote: articles, versions, changes and sentence edits."""

    articles: int = 0
    versions: int = 0
    changes: int = 0
    sentence_edits: int = 0

    def add(self, block: ArticleExport) -> None:
        self.articles += 1
        self.versions += len(block.versions)
        self.changes += len(block.changes)
        self.sentence_edits += len(block.sentence_edits)


def _counted(blocks: Iterable[ArticleExport], counts: ExportCounts) -> Iterator[ArticleExport]:
    for block in blocks:
        counts.add(block)
        yield block


# -- JSON Lines -----------------------------------------------------------------------------------

def write_jsonl(blocks: Iterable[ArticleExport], out: Path | IO[str]) -> ExportCounts:
    """One JSON object per version and line (https://jsonlines.org/: UTF-8, LF), the
    :class:`VersionRow` fields in order, without ``id`` (the line's place is its
    order) and with the article's path as ``article``; keys as written, no
    ASCII escaping, so the same archive gives the same bytes.  ``out``: a file's
    path, or an open text stream (left open)."""
    counts = ExportCounts()
    names = [n for n in columns(VersionRow) if n != "id"]
    with (out.open("w", encoding="utf-8", newline="\n") if isinstance(out, Path)
          else nullcontext(out)) as f:
        for block in _counted(blocks, counts):
            for row in block.versions:
                f.write(json.dumps({n: getattr(row, n) for n in names}, ensure_ascii=False,
                                   separators=(",", ":")))
                f.write("\n")
    return counts


# -- CSV ------------------------------------------------------------------------------------------

#: The files of a CSV export (OUT is a folder), and the columns each leaves out.
CSV_FILES: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "versions.csv": (VersionRow, ("text",)),
    "changes.csv": (ChangeRow, ()),
    "sentence_edits.csv": (SentenceEditRow, ()),
}


def _csv_value(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "" if value is None else value


def write_csv(blocks: Iterable[ArticleExport], out: Path) -> ExportCounts:
    """``out`` (a folder) gets ``versions.csv`` (no text: use jsonl, sqlite or parquet
    for it), ``changes.csv`` and ``sentence_edits.csv``: RFC 4180 CSV (UTF-8,
    CRLF row ends, a header row), booleans as 0/1, ``trailers`` as a JSON object,
    missing values empty."""
    counts = ExportCounts()
    handles = {name: (out / name).open("w", encoding="utf-8", newline="")
               for name in CSV_FILES}
    try:
        writers = {}
        for name, (row_type, skip) in CSV_FILES.items():
            names = [c for c in columns(row_type) if c not in skip]
            writers[name] = (csv.writer(handles[name], lineterminator="\r\n"), names)
            writers[name][0].writerow(names)
        for block in _counted(blocks, counts):
            for name, rows in (("versions.csv", block.versions), ("changes.csv", block.changes),
                               ("sentence_edits.csv", block.sentence_edits)):
                writer, names = writers[name]
                writer.writerows([_csv_value(getattr(r, n)) for n in names] for r in rows)
    finally:
        for handle in handles.values():
            handle.close()
    return counts


# -- SQLite ---------------------------------------------------------------------------------------

_STRING = json.encoder.encode_basestring  # json's own escaping


def _json_object(pairs: dict[str, str]) -> str:
    """``json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))`` of a dict of
    strings: the same text (json's own string escaping, keys in order), without an
    encoder per call (as gitnews.archive.cache.index writes the cache's trailers)."""
    return "{" + ",".join(f"{_STRING(k)}:{_STRING(v)}" for k, v in pairs.items()) + "}"


def _sqlite_rows(row_type: type[Any]) -> Callable[[Iterable[Row]], list[tuple[object, ...]]]:
    """Rows of ``row_type`` -> tuples for sqlite3 (bool is an int to it; ``trailers``
    as JSON text)."""
    names = columns(row_type)
    get = attrgetter(*names)
    if "trailers" not in names:
        return lambda rows: [get(r) for r in rows]
    at = names.index("trailers")

    def convert(rows: Iterable[Row]) -> list[tuple[object, ...]]:
        out = []
        for r in rows:
            t = get(r)
            out.append((*t[:at], _json_object(t[at]), *t[at + 1:]))
        return out
    return convert


def _table_columns(row_type: type[Any]) -> dict[str, Any]:
    hints = {"id": int, "number": int}
    out: dict[str, Any] = {}
    for f in row_type.__dataclass_fields__.values():
        kind = str(f.type)
        out[f.name] = hints.get(f.name) or (
            int if kind.startswith(("int", "bool")) else float if kind.startswith("float")
            else str)
    return out


#: Versions per batch of rows handed to the SQLite thread (and at most
#: :data:`SQLITE_QUEUE` batches waiting: memory stays bounded).
SQLITE_BATCH = 1000
SQLITE_QUEUE = 4
_TABLES: dict[str, type[Any]] = {"articles": ArticleRow, "versions": VersionRow,
                                 "changes": ChangeRow, "sentence_edits": SentenceEditRow}


def write_sqlite(blocks: Iterable[ArticleExport], out: Path) -> ExportCounts:
    """A SQLite database in the conventions of sqlite-utils (https://sqlite-utils.datasette.io/),
    which writes it, so that Datasette opens it as it is: tables ``articles``
    (primary key ``path``), ``versions``, ``changes`` and ``sentence_edits``
    (primary key ``id``), foreign keys between them (``versions.article`` ->
    ``articles.path``, ``changes.version_id``/``previous_id`` -> ``versions.id``,
    ``sentence_edits.change_id`` -> ``changes.id``, ...), indexes on them, and a
    full-text index (FTS5, :data:`FTS_TOKENIZE`) on ``versions.headline`` and
    ``versions.text`` made by ``enable_fts``.  Booleans are 0/1, ``trailers`` a
    JSON object (text).

    The rows and the full-text index are written by a thread, in one transaction,
    while the next rows are made: SQLite releases Python's lock while it works
    (https://docs.python.org/3/library/sqlite3.html), so its inserts and FTS5's
    tokenizing run beside the making of the rows.  The indexes are made after the rows.
    """
    import sqlite3

    import sqlite_utils

    counts = ExportCounts()
    # Used by one thread at a time: this one, then the writing thread, then this one.
    db = sqlite_utils.Database(sqlite3.connect(out, check_same_thread=False))
    # A new file that replaces OUT only once complete (gitnews.output.export): no journal.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    fks = {
        "versions": [("article", "articles", "path")],
        "changes": [("version_id", "versions", "id"), ("previous_id", "versions", "id"),
                    ("article", "articles", "path")],
        "sentence_edits": [("change_id", "changes", "id"), ("version_id", "versions", "id"),
                           ("article", "articles", "path")],
    }
    for name, row_type in _TABLES.items():
        db[name].create(_table_columns(row_type),  # type: ignore[union-attr]
                        pk="path" if name == "articles" else "id",
                        foreign_keys=fks.get(name, []))
    # The FTS5 table as enable_fts makes it (empty: populated with nothing), filled below
    # with each version's row, as its populate_fts would (rowid, headline, text).
    db["versions"].enable_fts(["headline", "text"], tokenize=FTS_TOKENIZE)  # type: ignore[union-attr]
    inserts = {name: f"INSERT INTO [{name}] ({', '.join(f'[{c}]' for c in columns(t))}) "
                     f"VALUES ({', '.join('?' * len(columns(t)))})" for name, t in _TABLES.items()}
    names = columns(VersionRow)
    fts_columns = itemgetter(names.index("id"), names.index("headline"), names.index("text"))
    conn = db.conn
    batches: queue.Queue[dict[str, list[tuple[object, ...]]] | None] = queue.Queue(SQLITE_QUEUE)
    failed: list[BaseException] = []

    def write() -> None:
        try:
            with conn:  # one transaction
                while (batch := batches.get()) is not None:
                    for name, rows in batch.items():
                        conn.executemany(inserts[name], rows)
                    conn.executemany("INSERT INTO [versions_fts] (rowid, [headline], [text]) "
                                     "VALUES (?, ?, ?)", map(fts_columns, batch["versions"]))
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)
            while batches.get() is not None:  # let the producer finish
                pass

    writer = threading.Thread(target=write, name="gitnews-export-sqlite", daemon=True)
    writer.start()
    convert = {name: _sqlite_rows(t) for name, t in _TABLES.items()}
    pending: dict[str, list[tuple[object, ...]]] = {name: [] for name in _TABLES}
    try:
        for block in _counted(blocks, counts):
            pending["articles"] += convert["articles"]([block.article])
            pending["versions"] += convert["versions"](block.versions)
            pending["changes"] += convert["changes"](block.changes)
            pending["sentence_edits"] += convert["sentence_edits"](block.sentence_edits)
            if len(pending["versions"]) >= SQLITE_BATCH:
                batches.put(pending)
                pending = {name: [] for name in _TABLES}
                if failed:
                    break
        else:
            batches.put(pending)
    finally:
        batches.put(None)
        writer.join()
    if failed:
        db.conn.close()
        raise failed[0]
    for name, cols in (("versions", ["article"]), ("changes", ["version_id"]),
                       ("changes", ["previous_id"]), ("changes", ["article"]),
                       ("sentence_edits", ["change_id"]), ("sentence_edits", ["version_id"]),
                       ("sentence_edits", ["action"])):
        db[name].create_index(cols)  # type: ignore[union-attr]
    db.conn.close()
    return counts


# -- Parquet --------------------------------------------------------------------------------------

def _arrow_type(pa: ModuleType, kind: str) -> object:
    if kind.startswith("bool"):
        return pa.bool_()
    if kind.startswith("int"):
        return pa.int64()
    if kind.startswith("float"):
        return pa.float64()
    if kind.startswith("dict"):
        return pa.map_(pa.string(), pa.string())
    return pa.string()


def write_parquet(blocks: Iterable[ArticleExport], out: Path) -> ExportCounts:
    """``out`` (a folder) gets ``articles.parquet``, ``versions.parquet``,
    ``changes.parquet`` and ``sentence_edits.parquet`` (Apache Parquet through
    pyarrow, zstd-compressed, row groups of :data:`PARQUET_ROWS`), the columns of
    the SQLite tables with their types (``trailers`` a map of strings).  Raises
    :class:`MissingExtraError` when pyarrow is not installed."""
    try:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtraError(
            "the parquet format needs pyarrow: install gitnews with the parquet extra "
            "(pip install 'gitnews[parquet]'), or export jsonl, csv or sqlite") from None
    tables: dict[str, type[Any]] = {"articles": ArticleRow, "versions": VersionRow,
                                    "changes": ChangeRow, "sentence_edits": SentenceEditRow}
    schemas = {name: pa.schema([(f.name, _arrow_type(pa, str(f.type)))
                                for f in t.__dataclass_fields__.values()])
               for name, t in tables.items()}
    writers = {name: pq.ParquetWriter(out / f"{name}.parquet", schemas[name], compression="zstd")
               for name in tables}
    pending: dict[str, list[Any]] = {name: [] for name in tables}

    def flush(name: str) -> None:
        rows = pending[name]
        if rows:
            names = schemas[name].names
            data = {n: [getattr(r, n) for r in rows] for n in names}
            if "trailers" in data:
                data["trailers"] = [list(t.items()) for t in data["trailers"]]
            writers[name].write_table(pa.table(data, schema=schemas[name]))
            rows.clear()

    counts = ExportCounts()
    try:
        for block in _counted(blocks, counts):
            pending["articles"].append(block.article)
            pending["versions"] += block.versions
            pending["changes"] += block.changes
            pending["sentence_edits"] += block.sentence_edits
            for name, rows in pending.items():
                if len(rows) >= PARQUET_ROWS:
                    flush(name)
        for name in tables:
            flush(name)
    finally:
        for writer in writers.values():
            writer.close()
    return counts
