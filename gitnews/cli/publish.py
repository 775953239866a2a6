"""``gitnews push``, and the report of what ``gitnews run`` does after its commits: push, hooks.

Also the ``--github-actions`` part of ``gitnews init``.  The work itself is in
:mod:`gitnews.ops.publish` and :mod:`gitnews.ops.push`; this module parses,
calls and prints.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.models import RunResult

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    EXIT_OK,
    ArchiveOption,
    WaitOption,
    command,
    err_console,
    open_for_writing,
    wait_seconds,
)

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive
    from gitnews.ops.publish import PushStep
    from gitnews.ops.push import PushResult
    from gitnews.output.hooks import HookReport

__all__ = ["publish_and_report", "init_github_actions"]


def _describe(result: PushResult) -> str:
    where = f"{result.remote}/{result.branch}"
    head_note = (f"; the remote's HEAD now names {result.branch!r} (a clone checks it out)"
                 if result.remote_head_set else "")
    if result.up_to_date:
        return f"Push: {where} is up to date{head_note}"
    parts = []
    if result.pulled:
        parts.append(f"took in {result.pulled} commit(s) from {where}")
    if result.config_merged:
        parts.append(f"merged this archive's gitnews.toml edits with {where}'s")
    if result.replayed:
        parts.append(f"replayed {result.replayed} commit(s) on top of them")
    if result.pushed:
        parts.append(f"pushed {result.pushed} commit(s) to {where}")
    return "Push: " + ", ".join(parts) + head_note


def _print_pushed(result: PushResult) -> None:
    """Print what a push did, and the gitnews.toml settings both sides changed."""
    from gitnews.ops.push import describe_conflict

    typer.echo(_describe(result))
    for key, mine, theirs in result.config_conflicts:
        typer.echo("gitnews: note: gitnews.toml: "
                   + describe_conflict(key, mine, theirs, f"{result.remote}/{result.branch}"),
                   err=True)


def _print_push_step(step: PushStep) -> None:
    if step.error is not None:
        typer.echo(f"gitnews: push failed: {step.error}", err=True)
    elif step.result is not None:
        _print_pushed(step.result)


def _push(arc: Archive, *, remote: str | None = None, branch: str | None = None) -> bool:
    """Push and print what happened; False when it failed."""
    from gitnews.ops.publish import try_push

    step = try_push(arc, remote=remote, branch=branch)
    _print_push_step(step)
    return step.error is None


@command("push")
def push_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    remote: Annotated[str | None, typer.Option(
        "--remote", help="The git remote (default: [publish] remote, \"origin\").")] = None,
    branch: Annotated[str | None, typer.Option(
        "--branch", help="The remote's branch (default: [publish] branch, \"main\").")] = None,
    wait: WaitOption = None,
) -> None:
    """Push the archive to its git remote, first replaying it on what the remote got meanwhile."""
    with open_for_writing(archive, wait=wait, command="gitnews push") as arc:
        ok = _push(arc, remote=remote, branch=branch)
    raise typer.Exit(EXIT_OK if ok else EXIT_FAILED)


def _print_hooks(report: HookReport) -> None:
    if report.events:
        done = []
        if report.commands:
            done.append(f"ran the on-change command {report.commands} time(s)")
        if report.posts:
            done.append(f"posted {report.posts} event(s) to the webhook")
        typer.echo(f"Hooks: {', '.join(done)}, {len(report.failures)} failed")
    if report.filtered:
        typer.echo(f"Hooks: {report.filtered} version(s) left out by [hooks] min_significance/kinds")
    if report.failures:
        err = err_console()
        for f in report.failures:
            err.print(f"  FAILED {f.target} hook for {f.path} v{f.version}: {f.message}",
                      markup=False)


def publish_and_report(archive: Path, result: RunResult, *, push: bool | None = None,
                       on_change: str | None = None, arc: Archive | None = None) -> bool:
    """What ``gitnews run`` does once its commits are in git
    (:func:`gitnews.ops.publish.publish_run`: push, then hooks), printed as it
    goes; True when all went well.

    ``arc`` is the run's archive, still open and holding the write lock (else
    ``archive`` is opened for writing here).  ``push`` and ``on_change``
    override ``[publish] push`` and ``[hooks] on_change``.
    """
    if result.dry_run:
        return True
    from gitnews.ops.publish import publish_run

    opened = nullcontext(arc) if arc is not None else open_for_writing(
        archive, wait=None, command="gitnews run")
    with opened as held:
        done = publish_run(held, result, push=push, on_change=on_change,
                           pushed=_print_push_step)
        if done.hooks is not None:
            _print_hooks(done.hooks)
    return done.ok


def init_github_actions(archive: Path, *, force: bool = False, wait: str | None = None) -> None:
    """``gitnews init --github-actions``: create the archive if needed, commit the workflow."""
    from gitnews.archive.repo import init_archive
    from gitnews.ops.workflows import add_github_workflow

    if not ((archive / ".git").exists() and (archive / "gitnews.toml").exists()):
        notices: list[str] = []
        init_archive(archive, wait_s=wait_seconds(wait), notices=notices)
        for notice in notices:
            typer.echo(f"gitnews: note: {notice}", err=True)
        typer.echo(f"Created a gitnews archive in {archive}")
    with open_for_writing(archive, wait=wait, command="gitnews init --github-actions") as arc:
        result = add_github_workflow(arc, force=force)
    if result.action == "unchanged":
        typer.echo(f"{result.path} is already there and up to date")
        return
    if result.action == "restored":
        typer.echo(f"Restored {result.path} to the committed workflow (your edit was undone)")
        return
    typer.echo(f"{result.action.capitalize()} {result.path} (committed {(result.commit or '')[:12]})")
    typer.echo("Next: push the archive to GitHub (e.g. `git remote add origin URL` and "
               f"`gitnews push --archive {archive}`), then in the repository's Settings -> "
               "Pages choose Source: \"GitHub Actions\".")
