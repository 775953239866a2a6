"""``gitnews export FORMAT OUT``: the archive as a dataset (docs/export.md)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    EXIT_USAGE,
    ArchiveOption,
    command,
    err_console,
    fail,
    parse_time_option,
)


@command("export")
def export_cmd(
    fmt: Annotated[str, typer.Argument(
        metavar="FORMAT",
        help="jsonl (one version per line, with text and trailers), csv (a folder: "
             "versions.csv without text, changes.csv, sentence_edits.csv), sqlite (tables "
             "for sqlite-utils and Datasette, full-text search), parquet (a folder, one "
             "file per table; needs gitnews[parquet]), warc (WARC/1.1 .warc.gz of the versions' "
             "captures, for pywb; docs/evidence.md).")],
    out: Annotated[Path, typer.Argument(
        metavar="OUT", help="The file (jsonl, sqlite, warc) or folder (csv, parquet) to write; its "
                            "folder must exist. - for jsonl: standard output.")],
    articles: Annotated[list[str] | None, typer.Argument(
        metavar="[ARTICLE]...",
        help="Only these articles (a path, a URL or a piece of the headline); default all.",
        show_default=False)] = None,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME",
        help="Only versions captured at or after TIME (2016-09-29, RFC 3339, today, 3d; "
             "UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME",
        help="Only versions captured at or before TIME (a date includes its whole day).")
    ] = None,
    host: Annotated[str | None, typer.Option(
        "--host", help="Only articles of this host (and its subdomains).")] = None,
    language: Annotated[str, typer.Option(
        "--language", metavar="CODE",
        help="The texts' language for splitting sentences (ISO 639 code, e.g. en, de, fr).")
    ] = "en",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace OUT when it exists.")] = False,
) -> None:
    """Export the archive's versions, changes and sentence edits as a dataset."""
    from gitnews.archive.repo import open_archive
    from gitnews.output.export import (
        FORMATS,
        ExportError,
        check_out,
        export,
        export_jsonl_stream,
        select_paths,
    )

    spec = FORMATS.get(fmt)
    if spec is None:
        fail(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}", code=EXIT_USAGE)
    to_stdout = str(out) == "-"
    if to_stdout and fmt != "jsonl":
        fail(f"OUT '-' (standard output) is for the jsonl format only: {fmt} writes "
             f"{'a folder of files' if spec.folder else 'a file'}; give its path",
             code=EXIT_USAGE)
    since_dt = parse_time_option(since, "--since") if since else None
    until_dt = parse_time_option(until, "--until", end=True) if until else None
    try:
        with sigterm_interrupts():  # the temporary file is removed, as on Ctrl-C
            if not to_stdout:
                check_out(out, folder=spec.folder, force=force)  # before opening the archive
            with open_archive(archive) as arc:
                paths = select_paths(arc.state, articles=articles or (), host=host,
                                     archive_dir=arc.path)
                if to_stdout:
                    try:
                        result = export_jsonl_stream(arc, sys.stdout, articles=paths,
                                                     since=since_dt, until=until_dt,
                                                     language=language)
                        sys.stdout.flush()
                    except BrokenPipeError:
                        # The reader went away (`export jsonl - | head`): stop quietly
                        # with 0, as git and `gitnews log` do (Python docs, "Note on
                        # SIGPIPE": stdout pointed at devnull for the final flush).
                        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                        raise typer.Exit(0) from None
                else:
                    result = export(arc, fmt, out, articles=paths, since=since_dt,
                                    until=until_dt, force=force, language=language)
    except ExportError as exc:
        fail(str(exc), code=EXIT_USAGE)
    from gitnews.output.export.writers import ExportCounts
    from gitnews.output.warcout import WarcReport

    where = "standard output" if to_stdout else str(out)
    if isinstance(result, WarcReport):
        missing = len(result.problems)
        typer.echo(f"Exported {result.captures} captures to {out} (warc: {result.responses} "
                   f"responses, {result.revisits} revisits, {result.requests} requests; "
                   f"{result.without_capture + missing} versions without their capture: "
                   f"{result.without_capture} name none, {missing} missing or damaged).")
        for path, number, what in result.problems:
            err_console().print(f"capture of {path} version {number} left out: {what}",
                                markup=False, highlight=False)
        if result.problems:
            raise typer.Exit(EXIT_FAILED)
    elif isinstance(result, ExportCounts):
        typer.echo(f"Exported {result.versions} versions of {result.articles} articles "
                   f"({result.changes} changes, {result.sentence_edits} sentence edits) "
                   f"to {where} ({fmt}).", err=to_stdout)
    else:
        typer.echo(f"Exported to {where} ({fmt}).", err=to_stdout)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`KeyboardInterrupt` while the block runs, as Ctrl-C
    does: the export's temporary file is removed on the way out, and the command
    ends with the interrupted message and status 130 (without this, SIGTERM's
    default action ends the process at once and leaves the temporary file)."""
    import signal

    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
