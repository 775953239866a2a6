"""``gitnews import``: versions from web archives (WARC files, the Wayback Machine)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import format_time
from gitnews.models import Outcome

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ArchiveOption,
    JsonOption,
    WaitOption,
    command,
    console,
    err_console,
    fail,
    open_for_writing,
    parse_time_option,
)
from .printing import write_json

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.ops.importing import ImportProgress, ImportResult, ProgressCallback
    from gitnews.output.jsondocs import Json

#: Skipped "not newer" captures listed one by one without --verbose.
_LISTED = 10


def _bound(value: str | None, option: str, *, end: bool) -> datetime | None:
    """The command line's one time syntax (gitnews.versions.timespec), and Wayback timestamps."""
    if value is None:
        return None
    if value.strip().isdigit() and len(value.strip()) > 4:
        from gitnews.ops.importing import parse_time_bound

        try:
            return parse_time_bound(value, end=end)
        except ValueError as exc:
            fail(f"{option}: {exc}", code=EXIT_USAGE)
    return parse_time_option(value, option, end=end)


def _check_sources(sources: list[str], wayback: bool) -> None:
    from gitnews.format.urls import is_fetchable

    for source in sources:
        if wayback:
            if not is_fetchable(source):
                fail(f"--wayback takes article URLs (http or https), not {source!r}",
                     code=EXIT_USAGE)
        else:
            path = Path(source)
            if path.is_dir():
                fail(f"{source} is a folder, not a WARC file; name the WARC files in it "
                     f"(e.g. {Path(source) / '*.warc.gz'})", code=EXIT_USAGE)
            if not path.is_file():
                hint = ("; to import from the Wayback Machine, use --wayback URL"
                        if "://" in source else "")
                fail(f"no such WARC file: {source}{hint}", code=EXIT_USAGE)


def print_import_summary(result: ImportResult, *, verbose: bool = False) -> None:
    """Versions added, skipped records (why), failures (stderr), and the counts line."""
    from gitnews.ops.importing import NOT_NEWER

    out = console()
    for item in result.items:
        if item.outcome in (Outcome.NEW, Outcome.CHANGED):
            when = format_time(item.captured_at) if item.captured_at else ""
            out.print(f"{item.outcome.value:9} v{item.version} {item.path}  "
                      f"{when}  [dim]{item.headline or ''}[/dim]",
                      markup=True, highlight=False)
    skipped = [i for i in result.items if i.outcome is Outcome.SKIPPED]
    listed = skipped if verbose else [i for i in skipped if i.reason == NOT_NEWER][:_LISTED]
    for item in listed:
        when = f", captured {format_time(item.captured_at)}" if item.captured_at else ""
        detail = item.message if item.reason == NOT_NEWER else \
            f"{item.reason}{' (' + item.message + ')' if item.message else ''}{when}"
        out.print(f"SKIPPED   {item.url or '-'} ({item.source}"
                  f"{', ' + item.where if item.where else ''}): {detail}", markup=False)
    older = sum(1 for i in skipped if i.reason == NOT_NEWER)
    if not verbose and older > _LISTED:
        out.print(f"  ... and {older - _LISTED} more captures not newer than their article's "
                  "newest version (--verbose lists them)", markup=False)
    if older:
        out.print("  (history is only ever appended to: a capture not newer than its article's "
                  "newest version is skipped, so importing the same captures twice adds nothing)",
                  markup=False)
    new, changed = result.count(Outcome.NEW), result.count(Outcome.CHANGED)
    out.print(f"RECORDS {result.records_read}, ARTICLES {result.articles}, "
              f"VERSIONS {result.versions_added} (NEW {new}, CHANGED {changed}), "
              f"SKIPPED {len(skipped)}, FAILED {len(result.failures)}", markup=False)
    for reason, n in result.skipped.items():
        out.print(f"  skipped {n:>6}: {reason}", markup=False)
    if result.failures:
        err = err_console()
        err.print(f"{len(result.failures)} record(s) failed:", markup=False)
        for item in result.failures:
            place = f"{item.source}{' ' + item.where if item.where else ''}"
            url = f" {item.url}" if item.url else ""
            err.print(f"  FAILED {place}{url}: {item.message}", markup=False)


@command("import")
def import_cmd(
    sources: Annotated[list[str], typer.Argument(
        help="WARC files (.warc, .warc.gz), or with --wayback article URLs.",
        show_default=False)],
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    wayback: Annotated[bool, typer.Option(
        "--wayback", help="Import the Wayback Machine's captures of the URLs given.")] = False,
    since: Annotated[str | None, typer.Option(
        "--from", metavar="TIME", help="Only captures from this time on: 2016-09-29, 2016-09, "
        "2016-09-29T10:02:00Z, today, yesterday, 3d, or a Wayback timestamp "
        "(20160929100200).", show_default=False)] = None,
    until: Annotated[str | None, typer.Option(
        "--to", metavar="TIME",
        help="Only captures up to this time (a date includes its whole day).",
        show_default=False)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="List every skipped record.")] = False,
    progress: Annotated[bool, typer.Option(
        "--progress/--no-progress", help="Progress bar (default: on a terminal).")] = sys.stderr.isatty(),
    wait: WaitOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import versions from web archives: each capture of an article becomes a version
    dated when it was captured.

    Reads WARC files (response records of HTML pages with status 200, and revisit
    records whose original capture is in the files), or with --wayback asks the
    Wayback Machine for every capture of the URLs.  Captures not newer than an
    article's newest version are skipped: history is only ever appended to, so
    importing the same captures again adds nothing.  Exit status: 0 when every
    record was imported or deliberately skipped, 1 when some failed, 2 for bad usage,
    130 when Ctrl-C stopped it (the captures recorded until then are committed).
    """
    from gitnews.ops.run import Abandoned
    from gitnews.ops.warc_import import import_warcs
    from gitnews.ops.wayback_import import import_wayback

    from .run import stop_on_signal

    start, end = _bound(since, "--from", end=False), _bound(until, "--to", end=True)
    if start and end and start > end:
        fail(f"--from {since} is after --to {until}", code=EXIT_USAGE)
    _check_sources(sources, wayback)
    with open_for_writing(archive, wait=wait, command="gitnews import") as arc, \
            stop_on_signal() as (stop, abandon):
        def do(callback: ProgressCallback | None) -> ImportResult:
            run = import_wayback if wayback else import_warcs
            try:
                return run(arc, sources, since=start, until=end, progress=callback, stop=stop,
                           abandon=abandon)
            except Abandoned as exc:
                fail(str(exc), code=EXIT_INTERRUPTED)

        if progress:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                          TextColumn("{task.fields[detail]}"), console=err_console(),
                          transient=True) as bar:
                task = bar.add_task("reading WARC files", total=None, detail="")
                labels = {"reading": "reading WARC files", "listing": "listing captures",
                          "importing": "importing captures"}

                def on_progress(p: ImportProgress) -> None:
                    detail = p.note or (f"{p.done:,}/{p.total:,}" if p.total else f"{p.done:,}")
                    bar.update(task, completed=p.done, total=p.total,
                               description=labels.get(p.stage, p.stage), detail=detail)
                result = do(on_progress)
        else:
            result = do(None)
    if json_out:
        write_json(import_json(result))
    else:
        print_import_summary(result, verbose=verbose)
    if result.interrupted:  # the rule of every long command: work left undone -> 130
        typer.echo("gitnews: stopped on request; the versions listed are committed"
                   + (f", {result.left_undone} capture(s) were not imported" if result.left_undone
                      else ", the rest of the input was not read")
                   + "; import the same input again to add the rest (what is already in the "
                     "archive is skipped)", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_FAILED if result.failures else EXIT_OK)


def import_json(result: ImportResult) -> Json:
    """``gitnews import --json`` (schema ``gitnews.import/1``)."""
    from gitnews.output.jsondocs import json_time

    return {"schema": "gitnews.import/1", "records_read": result.records_read,
            "articles": result.articles, "versions": result.versions_added,
            "counts": {o.value.lower(): result.count(o) for o in
                       (Outcome.NEW, Outcome.CHANGED, Outcome.SKIPPED, Outcome.FAILED)},
            "skipped": dict(result.skipped),
            "items": [{"outcome": i.outcome.value, "source": i.source, "where": i.where,
                       "url": i.url, "captured_at": json_time(i.captured_at), "reason": i.reason,
                       "message": i.message, "path": i.path, "version": i.version,
                       "headline": i.headline} for i in result.items]}
