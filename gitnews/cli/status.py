"""``gitnews status``: the last run, what fails, what is due, the archive, its remote, its cache."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import format_time

from .app import DEFAULT_ARCHIVE, ArchiveOption, JsonOption, command
from .maintenance import _size
from .printing import write_json

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.ops.status import ArchiveStatus
    from gitnews.output.jsondocs import Json


def _ago(now: datetime, then: datetime) -> str:
    import humanize

    delta = now - then
    if delta.total_seconds() < 0:
        return "in " + humanize.naturaldelta(-delta, months=False)
    return humanize.naturaldelta(delta, months=False) + " ago"


_ENDED = {"ok": "completed, nothing failed", "failures": "completed, some items failed",
          "stopped": "stopped on request (what was checked is committed)",
          "abandoned": "abandoned on a second signal (nothing of it was committed)"}


def _duration(value: str) -> float:
    from gitnews.versions.schedule import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@command("status")
def status_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    failing_for: Annotated[str, typer.Option(
        "--failing-for", metavar="DURATION",
        help="List the feeds and articles failing for this long or longer (e.g. 6h, 1d, 0s "
             "for every one failing now).")] = "1d",
    json_out: JsonOption = False,
) -> None:
    """How the archive is doing: the last run, feeds and articles failing for a day or more,
    what is due next, size, remote and push state, the cache.  Uses no network."""
    from datetime import timedelta

    from gitnews.archive.repo import open_archive
    from gitnews.ops.status import archive_status

    window = timedelta(seconds=_duration(failing_for))
    with open_archive(archive) as arc:
        st = archive_status(arc, failing_for=window)
    if json_out:
        write_json(status_json(st))
        return
    now, lines = st.now, [f"Archive {st.path}"]
    run = st.last_run
    if run is None:
        lines.append("Last run:  none recorded (`gitnews run` records one; the cache forgets "
                     "it when it is rebuilt)")
    else:
        counts = ", ".join(f"{k.upper()} {v}" for k, v in run.counts.items() if v)
        lines.append(f"Last run:  finished {format_time(run.finished_at)} "
                     f"({_ago(now, run.finished_at)}): {_ENDED.get(run.ended, run.ended)}"
                     + (f"; {counts}" if counts else "")
                     + (f"; {run.failed} item(s) failed" if run.failed else ""))
    if st.next_due is None:
        lines.append("Next due:  nothing (add a feed with `gitnews add URL`)")
    elif st.next_due <= now:
        lines.append("Next due:  now (`gitnews run`)")
    else:
        lines.append(f"Next due:  {format_time(st.next_due)} ({_ago(now, st.next_due)})")
    if st.failing:
        lines.append(f"Failing for {failing_for} or more: {len(st.failing)}")
        for f in st.failing:
            since = f"since {format_time(f.since)}" if f.since else ""
            tries = f", {f.failures} checks in a row" if f.failures else ""
            lines.append(f"  {f.kind:7} {f.path or f.url}  ({since}{tries}): {f.last_error}")
    else:
        lines.append(f"Failing for {failing_for} or more: nothing")
    lines.append(f"Size:      {st.articles} article(s), {st.feeds} feed(s), {st.commits} "
                 f"commit(s), {_size(st.git_bytes)} of git objects")
    r = st.remote
    if not r.exists:
        lines.append(f"Remote:    none named {r.name!r} (`git remote add {r.name} URL`, "
                     "then `gitnews push`)")
    else:
        pushed = ("pushed" if r.pushed else
                  f"NOT pushed: {r.name}/{r.branch} lacks commits (`gitnews push`)"
                  if r.pushed is False else "unknown")
        lines.append(f"Remote:    {r.name} {r.url or ''} ({r.branch}): {pushed}")
    c = st.cache
    lines.append(f"Cache:     {c.path} ({_size(c.size_bytes)}), in step with git; "
                 f"{c.backlog} article(s) waiting to be fetched, {c.held} text(s) held for "
                 "confirmation")
    lines += [f"Warning:   {note}" for note in st.notes]
    typer.echo("\n".join(lines))


def status_json(status: ArchiveStatus) -> Json:
    """``gitnews status --json`` (schema ``gitnews.status/1``)."""
    from gitnews.output.jsondocs import json_time

    run = status.last_run
    return {
        "schema": "gitnews.status/1", "archive": str(status.path), "now": format_time(status.now),
        "last_run": None if run is None else {
            "started_at": json_time(run.started_at), "finished_at": format_time(run.finished_at),
            "ended": run.ended, "counts": dict(run.counts), "failed": run.failed},
        "failing": [{"kind": f.kind, "url": f.url, "path": f.path, "since": json_time(f.since),
                     "failures": f.failures, "last_error": f.last_error}
                    for f in status.failing],
        "next_due": json_time(status.next_due), "feeds": status.feeds, "articles": status.articles,
        "commits": status.commits, "git_bytes": status.git_bytes,
        "remote": {"name": status.remote.name, "branch": status.remote.branch,
                   "exists": status.remote.exists, "url": status.remote.url,
                   "pushed": status.remote.pushed},
        "cache": {"path": str(status.cache.path), "size_bytes": status.cache.size_bytes,
                  "backlog": status.cache.backlog, "held": status.cache.held},
        "warnings": list(status.notes),
    }
