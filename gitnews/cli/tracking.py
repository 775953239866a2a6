"""``gitnews init | add | remove | feeds | run``: set up an archive and poll it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..models import Outcome, RunResult
from .app import (DEFAULT_ARCHIVE, EXIT_FAILED, EXIT_OK, EXIT_USAGE, ArchiveOption, command,
                  console, err_console, fail)


# gitnews.archive loads GitPython: import it when a command runs, never for `--help`.
def init_archive(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201
    from ..archive import init_archive
    return init_archive(*args, **kwargs)


def open_archive(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201
    from ..archive import open_archive
    return open_archive(*args, **kwargs)


@command("init")
def init_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    github_actions: Annotated[bool, typer.Option(
        "--github-actions", help="Also commit a GitHub Actions workflow that runs gitnews on a "
        "schedule, pushes and publishes the site (works on an existing archive too).")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="With --github-actions: replace a different workflow file.")] = False,
) -> None:
    """Create an archive: a git repository with gitnews.toml and a README."""
    if force and not github_actions:
        fail("--force only goes with --github-actions", code=EXIT_USAGE)
    if github_actions:
        from .publish import init_github_actions

        init_github_actions(archive, force=force)
        return
    path = init_archive(archive)
    typer.echo(f"Created a gitnews archive in {path}")
    typer.echo(f"Next: gitnews add FEED_URL --archive {path}")


@command("add")
def add_cmd(
    urls: Annotated[list[str], typer.Argument(help="Feed, homepage or article URLs.")],
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    feed: Annotated[bool, typer.Option("--feed", help="Add as feeds without fetching.")] = False,
    article: Annotated[bool, typer.Option("--article",
                                          help="Add as single articles without fetching.")] = False,
) -> None:
    """Track feeds (RSS, Atom, JSON Feed), homepages (their feeds) or single articles."""
    from ..tracking import add

    kind = "feed" if feed else "article" if article else "auto"
    with open_archive(archive, create=True) as arc:
        results = add(arc, urls, kind=kind)
    failed = False
    for r in results:
        if r.kind == "failed":
            failed = True
            typer.echo(f"FAILED {r.url}: {r.message}", err=True)
        else:
            typer.echo(f"{r.kind.upper():8} {r.url}: {r.message}")
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


@command("remove")
def remove_cmd(
    urls: Annotated[list[str], typer.Argument(help="Tracked feed or article URLs.")],
    archive: ArchiveOption = DEFAULT_ARCHIVE,
) -> None:
    """Stop tracking feeds or articles (their history stays in the archive)."""
    from ..tracking import remove

    with open_archive(archive) as arc:
        removed = remove(arc, urls)
    for url in urls:
        typer.echo(f"{'removed' if url in removed else 'not tracked'}: {url}")
    raise typer.Exit(EXIT_OK if len(removed) == len(set(urls)) else EXIT_FAILED)


@command("feeds")
def feeds_cmd(archive: ArchiveOption = DEFAULT_ARCHIVE) -> None:
    """List the tracked feeds and single articles."""
    with open_archive(archive) as arc:
        cfg = arc.config
    for url in cfg.feeds:
        typer.echo(f"feed     {url}")
    for url in cfg.articles:
        typer.echo(f"article  {url}")
    if not cfg.feeds and not cfg.articles:
        typer.echo("Nothing tracked yet: gitnews add URL", err=True)


def print_summary(result: RunResult) -> None:
    out = console()
    counts = {o: result.count(o) for o in (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED,
                                            Outcome.FAILED)}
    verb = "would commit" if result.dry_run else "committed"
    for item in result.items:
        if item.outcome in (Outcome.NEW, Outcome.CHANGED):
            out.print(f"{item.outcome.value:9} v{item.version} {item.path}  "
                      f"[dim]{item.headline or ''}[/dim]", markup=True, highlight=False)
    out.print(f"NEW {counts[Outcome.NEW]}, CHANGED {counts[Outcome.CHANGED]}, "
              f"UNCHANGED {counts[Outcome.UNCHANGED]}, FAILED {counts[Outcome.FAILED]}"
              f" ({verb} {counts[Outcome.NEW] + counts[Outcome.CHANGED]} versions)",
              markup=False)
    failures = result.failures
    if failures:
        err = err_console()
        err.print(f"{len(failures)} item(s) failed:", markup=False)
        for item in failures:
            err.print(f"  FAILED {item.kind} {item.url}: {item.message}", markup=False)


@command("run")
def run_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    check_all: Annotated[bool, typer.Option("--all", help="Check every known article now.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run",
                                          help="Fetch and report, commit nothing.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress",
                                           help="Progress bar (default: on a terminal).")] = sys.stderr.isatty(),
    push: Annotated[bool | None, typer.Option(
        "--push/--no-push", help="Push the archive to its git remote afterwards "
        "(default: [publish] push in gitnews.toml).")] = None,
    on_change: Annotated[str | None, typer.Option(
        "--on-change", metavar="COMMAND", help="Shell command run once per new version, with "
        "the change as JSON on stdin (default: [hooks] on_change).")] = None,
) -> None:
    """One polling pass: read feeds, fetch articles, commit every changed text."""
    from ..poll import run

    with open_archive(archive, create=True) as arc:
        if not arc.config.feeds and not arc.config.articles and not any(True for _ in arc.state.articles()):
            typer.echo("Nothing tracked yet: add a feed with `gitnews add URL`", err=True)
        if progress:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          console=err_console(), transient=True) as bar:
                task = bar.add_task("checking", total=None)

                def on_item(done: int, total: int, item) -> None:  # noqa: ANN001
                    bar.update(task, completed=done, total=total,
                               description=f"{item.outcome.value.lower():9}")
                result = run(arc, check_all=check_all, dry_run=dry_run, progress=on_item)
        else:
            result = run(arc, check_all=check_all, dry_run=dry_run)
    print_summary(result)
    from .publish import after_run

    published = after_run(archive, result, push=push, on_change=on_change)
    raise typer.Exit(EXIT_FAILED if result.failures or not published else EXIT_OK)
