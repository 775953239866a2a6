"""``gitnews export``: the archive as a dataset (docs/export.md).

* :mod:`.sentences`: a body's sentences (sentencex) and the NewsEdits-style sentence
  actions between two versions (pure);
* :mod:`.rows`: the rows (articles, versions, changes, sentence edits), streamed
  article by article from the cache and one ``git cat-file --batch``;
* :mod:`.writers`: JSON Lines, CSV, SQLite (sqlite-utils) and Parquet (pyarrow, the
  ``parquet`` extra).

:func:`export` checks where the export goes, writes it under a temporary name next
to it and moves it into place only once complete, so that a failed or interrupted
export never leaves half a file at OUT.  :data:`FORMATS` is the table of formats:
another format is one more entry (its ``write(archive, out, *, articles, since,
until)`` writes a file or a folder at ``out``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from gitnews.errors import GitnewsError

if TYPE_CHECKING:
    from gitnews.archive.cache import State
    from gitnews.archive.repo import Archive

__all__ = ["ExportError", "ExportFormat", "FORMATS", "export", "readable_as_made", "select_paths",
           "check_out", "check_language", "export_jsonl_stream", "signals_held"]


class ExportError(GitnewsError):
    """The export cannot be written where or how it was asked (an existing OUT
    without ``force``, a missing folder, an unknown format, a missing extra):
    a usage error (``gitnews export`` exits 2)."""


@dataclass(frozen=True)
class ExportFormat:
    """One export format.  ``folder``: OUT is a folder of files (else one file).
    ``write(archive, out, *, articles, since, until, **options)``: writes the export
    at ``out`` (``articles``: the articles' paths, None for all; ``since``/``until``:
    aware datetimes or None) and returns what it wrote (e.g.
    :class:`~gitnews.output.export.writers.ExportCounts`).  ``options``: the names of
    the other keyword options ``write`` takes (``language``).  ``atomic``: ``write``
    itself writes under a temporary name and moves the file into place (it is given
    OUT, so that what it records of the file's name is OUT's)."""

    name: str
    folder: bool
    write: Callable[..., Any]
    summary: str
    options: tuple[str, ...] = ()
    atomic: bool = False


def _rows_writer(writer_name: str) -> Callable[..., Any]:
    def write(archive: Archive, out: Path, *, articles: Sequence[str] | None = None,
              since: datetime | None = None, until: datetime | None = None,
              language: str = "en") -> object:
        from gitnews.output.export import writers
        from gitnews.output.export.rows import iter_articles

        writer = getattr(writers, writer_name)
        try:
            return writer(iter_articles(archive, paths=articles, since=since, until=until,
                                        language=language), out)
        except writers.MissingExtraError as exc:
            raise ExportError(str(exc)) from None

    write.__name__ = writer_name
    return write


def _warc_writer(archive: Archive, out: Path, *, articles: Sequence[str] | None = None,
                 since: datetime | None = None, until: datetime | None = None) -> object:
    from gitnews.output.warcout import write_warc

    return write_warc(archive, out, articles=articles, since=since, until=until)


#: The export formats by name (``gitnews export FORMAT``), in the order ``--help`` lists them.
FORMATS: dict[str, ExportFormat] = {
    "jsonl": ExportFormat("jsonl", False, _rows_writer("write_jsonl"),
                          "one JSON object per version and line, with its text and trailers",
                          ("language",)),
    "csv": ExportFormat("csv", True, _rows_writer("write_csv"),
                        "a folder: versions.csv (no text), changes.csv, sentence_edits.csv",
                        ("language",)),
    "sqlite": ExportFormat("sqlite", False, _rows_writer("write_sqlite"),
                           "a SQLite database for sqlite-utils and Datasette, with full-text "
                           "search", ("language",)),
    "parquet": ExportFormat("parquet", True, _rows_writer("write_parquet"),
                            "a folder of Parquet files, one per table (needs gitnews[parquet])",
                            ("language",)),
    "warc": ExportFormat("warc", False, _warc_writer,
                         "WARC/1.1 (.warc.gz) of the versions' captures: request, response "
                         "and revisit records, for pywb and other replay tools "
                         "(docs/evidence.md)", atomic=True),
}


def select_paths(state: State, *, articles: Sequence[str] = (), host: str | None = None,
                 archive_dir: Path | None = None) -> list[str] | None:
    """The paths of the articles to export, or None for every article.

    ``articles``: what the user typed for each (a path, a URL, a piece of the
    headline: :func:`gitnews.versions.resolve.resolve_article`, which raises
    :class:`~gitnews.errors.NotFoundError` for one it cannot find); ``host``: only
    articles of this host and its subdomains (as ``gitnews list --host``).  Both
    given: the articles named that are of the host.
    """
    if not articles and not host:
        return None
    chosen: list[str] | None = None
    if articles:
        from gitnews.versions.resolve import resolve_article

        chosen = list(dict.fromkeys(resolve_article(state, text, archive_dir=archive_dir).path
                                    for text in articles))
    if host:
        from gitnews.output.changes import host_key

        of_host = [r.path for r in state.query_articles(host=host_key(host), sort="headline")]
        chosen = of_host if chosen is None else [p for p in chosen if p in set(of_host)]
    return sorted(chosen or [])


def check_out(out: Path, *, folder: bool, force: bool) -> None:
    """Raise :class:`ExportError` unless an export may be written at ``out``: its
    folder exists, and ``out`` does not (or ``force``, and it is a file for a
    one-file format, a folder for a folder format)."""
    parent = out.parent
    if not parent.is_dir():
        raise ExportError(f"cannot export to {out}: the folder {parent} does not exist; "
                          "create it first, or choose another OUT")
    if not out.exists() and not out.is_symlink():
        return
    if not force:
        raise ExportError(f"{out} already exists; pass --force to replace it, or choose "
                          "another OUT")
    if folder and not out.is_dir():
        raise ExportError(f"{out} is a file, and this format writes a folder; choose "
                          "another OUT")
    if not folder and out.is_dir():
        raise ExportError(f"{out} is a folder, and this format writes one file; choose "
                          "another OUT, e.g. a file inside it")


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM are held (blocked, then delivered) while the block runs, in
    the main thread: a temporary file is made and its name kept before an
    interruption can come, so that the cleanup that follows always knows it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def check_language(language: str) -> None:
    """Raise :class:`ExportError` unless ``language`` is a language code
    (:func:`gitnews.output.export.sentences.language_problem`)."""
    from gitnews.output.export.sentences import language_problem

    problem = language_problem(language)
    if problem is not None:
        raise ExportError(f"--language: {problem}; give the texts' language as an ISO 639 "
                          "code, e.g. en, de, fr, pt-BR")


def export_jsonl_stream(archive: Archive, stream: IO[str], *,
                        articles: Sequence[str] | None = None, since: datetime | None = None,
                        until: datetime | None = None, language: str = "en") -> object:
    """The ``jsonl`` export written to ``stream`` (``gitnews export jsonl -``: standard
    output) as it is made: no temporary file, so an error or interruption leaves the
    lines written so far.  Arguments and errors as :func:`export`."""
    from gitnews.output.export.rows import iter_articles
    from gitnews.output.export.writers import write_jsonl

    check_language(language)
    return write_jsonl(iter_articles(archive, paths=articles, since=since, until=until,
                                     language=language), stream)


def readable_as_made(path: Path) -> None:
    """Give ``path`` (and, for a folder, what it holds) the permissions a file or
    folder made with ``open``/``mkdir`` would have under the process's umask:
    :func:`tempfile.mkstemp` and :func:`tempfile.mkdtemp` make them readable by
    their owner only, and an export is meant to be shared like any other file."""
    mask = os.umask(0)
    os.umask(mask)
    for item in [path, *(path.rglob("*") if path.is_dir() else ())]:
        os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)


def export(archive: Archive, fmt: str, out: Path | str, *, articles: Sequence[str] | None = None,
           since: datetime | None = None, until: datetime | None = None, force: bool = False,
           language: str = "en") -> object:
    """Write the export ``fmt`` (a key of :data:`FORMATS`) of ``archive`` at ``out``.

    ``articles``: the articles' paths (:func:`select_paths`; None: all);
    ``since``/``until``: aware datetimes, versions captured in that range (ends
    included); ``force``: replace an existing ``out`` (for a folder format: the
    files the export writes in it; others are left alone); ``language``: the
    language of the texts for sentence splitting (an ISO 639 code, sentencex).
    Returns what the format's writer returns (:class:`~gitnews.output.export.writers.ExportCounts`).
    Raises :class:`ExportError` (unknown format, OUT refused, a missing extra) before
    anything is written.  The export is written under a temporary name next to
    ``out`` and moved into place once complete; on any error nothing is left.
    """
    spec = FORMATS.get(fmt)
    if spec is None:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    check_language(language)
    out = Path(out)
    check_out(out, folder=spec.folder, force=force)
    options = {"language": language} if "language" in spec.options else {}
    if spec.atomic:
        return spec.write(archive, out, articles=articles, since=since, until=until, **options)
    tmp: Path | None = None
    try:
        with signals_held():  # Ctrl-C/SIGTERM come once the name is known (and cleaned up)
            if spec.folder:
                tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp",
                                            dir=out.parent))
            else:
                handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp",
                                                dir=out.parent)
                os.close(handle)
                tmp = Path(name)
                tmp.unlink()  # the writer creates it (sqlite-utils wants a new file)
        result = spec.write(archive, tmp, articles=articles, since=since, until=until, **options)
        readable_as_made(tmp)  # mkstemp/mkdtemp make them private: the umask decides
        if not spec.folder:
            os.replace(tmp, out)
        elif out.is_dir():
            for item in sorted(tmp.iterdir()):
                os.replace(item, out / item.name)
            tmp.rmdir()
        else:
            os.rename(tmp, out)
    except BaseException:
        if tmp is not None and tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    return result
