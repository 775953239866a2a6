"""``gitnews run``: one polling pass (or ``--watch``: one after another), its summary,
and the stop on SIGINT/SIGTERM that every long command shares (:func:`stop_on_signal`)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, cast

import typer

from gitnews.format.trailers import KIND_OUTSIDE_EDIT
from gitnews.models import ItemResult, Outcome, RunResult

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ArchiveOption,
    WaitOption,
    command,
    console,
    err_console,
    open_for_writing,
)

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.archive.repo import Archive


def _duration(value: str | None) -> float | None:
    """Typer callback: "10m", "2h", "1d", "1h30m", "90s" or seconds -> seconds."""
    if value is None:
        return None
    from gitnews.versions.schedule import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _about(seconds: float) -> str:
    import datetime as _dt

    import humanize

    return humanize.naturaldelta(_dt.timedelta(seconds=max(seconds, 0)), months=False)


def _versions(n: int) -> str:
    return f"{n} version" if n == 1 else f"{n} versions"


def print_summary(result: RunResult, *, next_due: datetime | None = None, prefix: str = "") -> None:
    """The run's versions, counts, skipped items and failures (failures on stderr)."""
    out = console()
    counts = {o: result.count(o) for o in (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED,
                                            Outcome.FAILED, Outcome.SKIPPED)}
    from rich.markup import escape

    verb = "would commit" if result.dry_run else "committed"
    held, removed = result.count(Outcome.HELD), result.count(Outcome.REMOVED)
    # A version that only puts back the text an outside edit changed is committed but is
    # not a change (README, "outside edits"): listed and counted as RESTORED, not CHANGED.
    restored = sum(1 for item in result.items if item.outcome is Outcome.CHANGED
                   and item.change_kind == KIND_OUTSIDE_EDIT)
    counts[Outcome.CHANGED] -= restored
    for item in result.items:
        if item.outcome in (Outcome.NEW, Outcome.CHANGED, Outcome.REMOVED):
            kind = f" ({item.change_kind})" if item.change_kind else ""
            label = item.outcome.value
            if item.change_kind == KIND_OUTSIDE_EDIT:  # the previous version's text put back
                kind = " (outside-edit: the text put back, no change)"
                label = "RESTORED" if item.outcome is Outcome.CHANGED else label
            out.print(f"{prefix}{label:9} v{item.version} {escape(item.path or '')}{kind}  "
                      f"[dim]{escape(item.headline or '')}[/dim]", markup=True, highlight=False)
            if item.message and item.kind == "article":  # e.g. a site rule that matched nothing
                out.print(f"{prefix}{'':9} {item.message}", markup=False, highlight=False)
        elif item.outcome is Outcome.HELD or (item.message and item.kind == "article"
                                              and item.outcome is Outcome.UNCHANGED):
            out.print(f"{prefix}{item.outcome.value:9} {item.path or item.url}: {item.message}",
                      markup=False, highlight=False)
    for item in result.items:  # a dry run also says what each source gave (and its filters)
        if result.dry_run and item.kind in ("feed", "sitemap", "front") and item.message \
                and item.outcome is Outcome.UNCHANGED:
            out.print(f"{prefix}READ    {item.kind} {item.url}: {item.message}", markup=False)
    for item in result.items:
        if item.outcome is Outcome.SKIPPED:
            out.print(f"{prefix}SKIPPED {item.kind} {item.url}: {item.message}", markup=False)
    for path in result.fronts:  # a front page's story list that changed (a commit of its own)
        out.print(f"{prefix}FRONT     {path}", markup=False, highlight=False)
    skipped = f", SKIPPED {counts[Outcome.SKIPPED]}" if counts[Outcome.SKIPPED] else ""
    fronts = (f" and {len(result.fronts)} front page{'s' if len(result.fronts) != 1 else ''}"
              if result.fronts else "")
    out.print(f"{prefix}NEW {counts[Outcome.NEW]}, CHANGED {counts[Outcome.CHANGED]}, "
              f"UNCHANGED {counts[Outcome.UNCHANGED]}, FAILED {counts[Outcome.FAILED]}{skipped}"
              + (f", HELD {held}" if held else "") + (f", REMOVED {removed}" if removed else "")
              + (f", RESTORED {restored}" if restored else "")
              + f" ({verb} "
              f"{_versions(counts[Outcome.NEW] + counts[Outcome.CHANGED] + removed + restored)}"
              + f"{fronts})", markup=False)
    notes = []
    if result.not_due:
        notes.append(f"{result.not_due} article(s) not due")
    if result.left_over:
        notes.append(f"{result.left_over} due article(s) left for the next run, which checks "
                     "them first")
    if next_due is not None and result.finished_at is not None:
        wait = (next_due - result.finished_at).total_seconds()
        notes.append("something is due now" if wait <= 0 else
                     f"next check due in about {_about(wait)}")
    if notes:
        out.print(f"{prefix}{'; '.join(notes)}"
                  + (" (`gitnews run --all` checks everything now)"
                     if result.not_due and not any(i.kind == "article" for i in result.items)
                     else ""), markup=False)
    failures = result.failures
    if failures:
        err = err_console()
        err.print(f"{prefix}{len(failures)} item(s) failed:", markup=False)
        for item in failures:
            err.print(f"{prefix}  FAILED {item.kind} {item.url}: {item.message}", markup=False)


@contextmanager
def stop_on_signal() -> Iterator[tuple[threading.Event, threading.Event]]:
    """``(stop, abandon)`` events set by SIGINT/SIGTERM while the block runs: the
    first signal stops after the work in flight (it is committed), a second one
    abandons it (nothing of the run is committed; nothing is damaged)."""
    import os
    import signal

    stop, abandon = threading.Event(), threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            abandon.set()
            os.write(2, b"gitnews: abandoning the work in flight (nothing is damaged)\n")
        else:
            stop.set()
            os.write(2, b"gitnews: stopping after the work in flight "
                        b"(signal again to abandon it)\n")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop, abandon
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch(arc: Archive, *, interval_s: float | None, max_articles: int | None,
           max_time_s: float | None, dry_run: bool, push: bool | None = None,
           on_change: str | None = None, json_out: bool = False) -> None:
    """``run --watch``: until SIGINT/SIGTERM; exit status 0, or 130 when the stop
    cut a run short (due articles unchecked, or the work in flight abandoned)."""
    from gitnews.ops.run import Abandoned
    from gitnews.ops.status import note_run
    from gitnews.ops.watch import watch

    def on_cycle(result: RunResult, wake_at: datetime) -> None:
        if not result.items and not result.left_over:
            return  # a quiet run: nothing was due
        if not dry_run:
            note_run(arc, result, ended="failures" if result.failures else "ok")
        stamp = (result.started_at or wake_at).strftime("%Y-%m-%dT%H:%M:%SZ")
        _report(result, next_due=wake_at, json_out=json_out, prefix=f"[{stamp}] ")
        from .publish import publish_and_report

        with _stdout_to_stderr(json_out):
            publish_and_report(arc.path, result, push=push, on_change=on_change,
                      arc=arc)  # pushes, then hooks, under the watch's lock
        sys.stdout.flush()

    last: list[RunResult | None] = [None]

    def seen(result: RunResult, wake_at: datetime) -> None:
        last[0] = result
        on_cycle(result, wake_at)

    cycles = 0
    undone = False
    with stop_on_signal() as (stop, abandon):
        try:
            cycles = watch(arc, stop=stop, abandon=abandon, interval_s=interval_s,
                           on_cycle=seen, max_articles=max_articles,
                           max_time_s=max_time_s, dry_run=dry_run)
        except Abandoned as exc:
            typer.echo(f"gitnews: {exc}", err=True)
            undone = True
    undone = undone or bool(last[0] is not None and last[0].interrupted)
    typer.echo(f"gitnews: watch stopped after {cycles} run(s)"
               + ("; the last run's unchecked articles are left for the next run"
                  if undone else ""), err=True)
    # The rule of every long command: work left undone (a run cut short) -> 130.
    raise typer.Exit(EXIT_INTERRUPTED if undone else EXIT_OK)


@command("run")
def run_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    check_all: Annotated[bool, typer.Option(
        "--all", help="Read every feed and check every known article now, whatever the "
                      "schedule.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run",
                                          help="Fetch and report, commit nothing.")] = False,
    max_articles: Annotated[int | None, typer.Option(
        "--max-articles", min=0, metavar="N",
        help="Check at most N articles; the rest are checked first next time.")] = None,
    max_time: Annotated[str | None, typer.Option(
        "--max-time", metavar="DURATION", callback=_duration,
        help="Start no article check after this long (e.g. 10m, 1h; one always starts); "
             "the rest are checked first next time.")] = None,
    watch: Annotated[bool, typer.Option(
        "--watch", help="Keep running: sleep until the next feed or article is due, run, "
                        "repeat; stop with Ctrl-C or SIGTERM.")] = False,
    interval: Annotated[str | None, typer.Option(
        "--interval", metavar="DURATION", callback=_duration,
        help="With --watch: the longest sleep between runs (default: schedule.feed_interval "
             "of gitnews.toml).")] = None,
    progress: Annotated[bool, typer.Option(
        "--progress/--no-progress", help="Progress bar (default: on a terminal).")] = sys.stderr.isatty(),
    show_text: Annotated[str | None, typer.Option(
        "--show-text", metavar="URL",
        help="Fetch only URL and print the text that would be stored, then the paragraphs "
             "the boilerplate filters dropped (on stderr); commits nothing.")] = None,
    push: Annotated[bool | None, typer.Option(
        "--push/--no-push", help="Push the archive to its git remote afterwards "
        "(default: [publish] push in gitnews.toml).")] = None,
    on_change: Annotated[str | None, typer.Option(
        "--on-change", metavar="COMMAND", help="Shell command run once per new version, with "
        "the change as JSON on stdin (default: [hooks] on_change).")] = None,
    wait: WaitOption = None,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print the summary and every item as JSON (docs/json-output.md; with "
                       "--watch one document per line and run); the rest goes to stderr.")] = False,
) -> None:
    """One polling pass: read the feeds that are due, check the articles that are due
    (most overdue first), commit every changed text.

    Holds the archive's write lock until its push and hooks are done (with
    --watch: as long as it watches): exits with 75 at once when another
    gitnews process is writing to the archive, or waits with --wait.  A
    --dry-run does not need the lock.  Ctrl-C or SIGTERM: the checks under way
    are committed, the summary printed; exit status 130 when due articles were
    left unchecked (a second signal abandons the checks under way).
    """
    from gitnews.archive.repo import open_archive
    from gitnews.ops.watch import next_due_at

    from .collection import is_collection

    if is_collection(archive):  # the due archives of the collection, one after another
        from .collection import run as run_collection

        if watch or dry_run or show_text is not None or max_articles is not None:
            raise typer.BadParameter("in a collection, `gitnews run` takes --all, --push and "
                                     "--wait only (or give --archive COLLECTION/SITE)")
        run_collection(archive, check_all=check_all, push=push, wait=wait)
    if show_text is not None:  # a preview: never commits, with or without --dry-run
        _show_text(archive, show_text)
        return
    # --max-time and --interval are parsed to seconds by their callback (_duration).
    max_time_s = cast("float | None", max_time)
    interval_s = cast("float | None", interval)
    if interval is not None and not watch:
        raise typer.BadParameter("--interval goes with --watch", param_hint="--interval")
    if watch and check_all:
        raise typer.BadParameter("--all cannot be combined with --watch (it would check "
                                 "everything on every run)", param_hint="--all")
    arc = (open_archive(archive) if dry_run else
           open_for_writing(archive, wait=wait,
                            command="gitnews run --watch" if watch else "gitnews run"))
    with arc:
        if not arc.config.feeds and not arc.config.articles and not arc.config.sitemaps \
                and not arc.config.fronts and not any(True for _ in arc.state.articles()):
            typer.echo("Nothing tracked yet: add a feed with `gitnews add URL`", err=True)
        from gitnews.ops.status import config_notes

        for note in config_notes(arc):  # the config's warnings, as `gitnews status` shows them
            typer.echo(f"gitnews: warning: {note}", err=True)
        if watch:
            _watch(arc, interval_s=interval_s, max_articles=max_articles, max_time_s=max_time_s,
                   dry_run=dry_run, push=push, on_change=on_change, json_out=json_out)
        from gitnews.ops.run import Abandoned
        from gitnews.ops.status import note_run

        with stop_on_signal() as (stop, abandon):
            try:
                result = _run_once(arc, progress=progress, check_all=check_all,
                                   dry_run=dry_run, max_articles=max_articles,
                                   max_time_s=max_time_s, stop=stop, abandon=abandon)
            except Abandoned as exc:
                if not dry_run:
                    note_run(arc, None, ended="abandoned")
                typer.echo(f"gitnews: {exc}", err=True)
                raise typer.Exit(EXIT_INTERRUPTED) from None
        if not dry_run:
            note_run(arc, result, ended="stopped" if stop.is_set() else
                     "failures" if result.failures else "ok")
        if stop.is_set():
            typer.echo("gitnews: stopped on request; what was checked is committed, "
                       + (f"{result.left_over} due article(s) are left for the next run"
                          if result.interrupted else "nothing was left undone"), err=True)
        next_due = next_due_at(arc)
        _report(result, next_due=next_due, json_out=json_out)
        from .publish import publish_and_report

        with _stdout_to_stderr(json_out):
            published = publish_and_report(archive, result, push=push, on_change=on_change, arc=arc)
    if result.interrupted:  # the rule of every long command: work left undone -> 130
        raise typer.Exit(EXIT_INTERRUPTED)
    raise typer.Exit(EXIT_FAILED if result.failures or not published else EXIT_OK)


def _report(result: RunResult, *, next_due: datetime | None = None, json_out: bool = False,
            prefix: str = "") -> None:
    """The run's summary: text (:func:`print_summary`), or one JSON document."""
    if not json_out:
        print_summary(result, next_due=next_due, prefix=prefix)
        return
    import json

    from gitnews.output.jsondocs import run_json

    doc = json.dumps(run_json(result, next_due=next_due), ensure_ascii=False,
                     indent=None if prefix else 2)
    sys.stdout.write(doc + "\n")
    sys.stdout.flush()


@contextmanager
def _stdout_to_stderr(on: bool) -> Iterator[None]:
    """With --json, what would be printed on stdout (push, hooks) goes to stderr."""
    if not on:
        yield
        return
    from contextlib import redirect_stdout

    with redirect_stdout(sys.stderr):
        yield


def _run_once(arc: Archive, *, progress: bool, stop: threading.Event,
              abandon: threading.Event, check_all: bool, dry_run: bool,
              max_articles: int | None, max_time_s: float | None) -> RunResult:
    """One run, with a progress bar on a terminal."""
    from gitnews.ops.run import run

    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      console=err_console(), transient=True) as bar:
            task = bar.add_task("checking", total=None)

            def on_item(done: int, total: int, item: ItemResult) -> None:
                bar.update(task, completed=done, total=total,
                           description=f"{item.outcome.value.lower():9}")
            return run(arc, progress=on_item, stop=stop, abandon=abandon, check_all=check_all,
                       dry_run=dry_run, max_articles=max_articles, max_time_s=max_time_s)
    return run(arc, stop=stop, abandon=abandon, check_all=check_all, dry_run=dry_run,
               max_articles=max_articles, max_time_s=max_time_s)


def _show_text(archive: Path, url: str) -> None:
    """``gitnews run --show-text URL``: the text that would be stored (never committed)."""
    from gitnews.archive.repo import open_archive
    from gitnews.ops.run import preview

    with open_archive(archive) as arc:
        shown = preview(arc, url)
    sys.stdout.write(shown.text)
    sys.stdout.flush()
    err = err_console()
    item = shown.item
    what = item.outcome.value + (f" v{item.version}" if item.version else "")
    err.print(f"--- {what} {shown.path}  (article URL {shown.canonical}, "
              f"{len(shown.text.encode('utf-8'))} bytes)", markup=False, highlight=False)
    if item.message:
        err.print(f"--- {item.message}", markup=False, highlight=False)
    err.print(f"--- {len(shown.pruned)} part(s) of the page pruned before extraction"
              + (":" if shown.pruned else ""), markup=False, highlight=False)
    for part in shown.pruned:
        err.print(f"  [{part.rule}] {part.text}", markup=False, highlight=False)
    err.print(f"--- {len(shown.dropped)} paragraph(s) dropped by the boilerplate filters"
              + (":" if shown.dropped else ""), markup=False, highlight=False)
    for paragraph, rule in shown.dropped:
        err.print(f"  [{rule}] {paragraph}", markup=False, highlight=False)
