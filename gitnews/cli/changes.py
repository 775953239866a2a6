"""``gitnews changes``: every change across the archive in a period, one line per version."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import CHANGE_KINDS, format_time

from .app import DEFAULT_ARCHIVE, ArchiveOption, JsonOption, command, parse_time_option
from .printing import cut, write, write_json

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.archive.reader import CacheSource
    from gitnews.output.changelist import ChangeRow
    from gitnews.output.jsondocs import Json

#: ``--since`` when no run is recorded in the cache.
DEFAULT_SINCE = timedelta(days=1)
#: ``--limit``: the newest changes shown (their words are counted from their texts).
DEFAULT_LIMIT = 50


def default_since(arc: CacheSource, now: datetime) -> tuple[datetime, str]:
    """The start of ``changes``'s period without ``--since``: the last run's start
    (as ``gitnews status`` knows it, :func:`gitnews.ops.status.last_run`), else its end,
    else :data:`DEFAULT_SINCE` before ``now``; and words saying which."""
    from gitnews.ops.status import last_run

    run = last_run(arc)
    if run is not None:
        return (run.started_at or run.finished_at), "since the last run"
    return now - DEFAULT_SINCE, "in the last day (no run recorded)"


def significance_filter(min_significance: str | None
                        ) -> Callable[[Mapping[str, str]], bool] | None:
    """The ``trailer_filter`` of ``--min-significance LEVEL`` (None without it).
    Raises :class:`typer.BadParameter` for an unknown level."""
    if min_significance is None:
        return None
    from gitnews.format.trailers import SIGNIFICANCE
    from gitnews.versions.significance import at_least, check_level

    try:
        level = check_level(min_significance) or ""
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--min-significance") from None
    return lambda trailers: at_least(trailers.get(SIGNIFICANCE), level)


def change_line(row: ChangeRow, *, headline_w: int = 60) -> str:
    """One line of ``gitnews changes``: time, host, kinds, words, headline, command."""
    words = f"+{row.words_added} -{row.words_removed}"
    return (f"{format_time(row.at)}  {row.host}  {','.join(row.kinds)}  {words}  "
            f"{cut(row.headline, headline_w)}  {row.diff_command}")


def changes_json(rows: list[ChangeRow], *, since: datetime | None,
                 until: datetime | None, more: bool = False,
                 sites: list[str] | None = None) -> Json:
    """``gitnews changes --json`` (schema ``gitnews.changes/1``, docs/json-output.md);
    ``sites`` (in a collection): each row's archive, given as its ``"site"`` field."""
    doc: Json = {
        "schema": "gitnews.changes/1",
        "since": format_time(since) if since else None,
        "until": format_time(until) if until else None,
        "more": more,
        "changes": [{
            "at": format_time(r.at), "host": r.host, "path": r.path, "url": r.url,
            "version": r.number, "commit": r.commit, "headline": r.headline,
            "kinds": list(r.kinds), "words_added": r.words_added,
            "words_removed": r.words_removed, "removed": r.removed, "feed": r.feed,
            "log_command": r.log_command, "diff_command": r.diff_command,
            "trailers": dict(r.trailers)} for r in rows],
    }
    if sites is not None:
        changes = doc["changes"]
        assert isinstance(changes, list)
        for c, site in zip(changes, sites, strict=True):
            c["site"] = site
    return doc


@command("changes")
def changes_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME",
        help="Changes at or after TIME (2016-09-29, RFC 3339, today, 2h, 1d; UTC) "
             "[default: the last run's start, else 1d].", show_default=False)] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME",
        help="Changes at or before TIME (a date includes its whole day).")] = None,
    host: Annotated[str | None, typer.Option(
        "--host", help="Only articles of this host (and its subdomains), e.g. "
                       "theguardian.com.")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", metavar="KIND",
        help=f"Only changes of this kind ({', '.join(CHANGE_KINDS)}); repeat for "
             "several.")] = None,
    min_significance: Annotated[str | None, typer.Option(
        "--min-significance", metavar="LEVEL",
        help="Only changes at least this significant: minor, moderate or major (the "
             "Significance trailer; versions recorded without it are left out).")] = None,
    min_words: Annotated[int, typer.Option(
        "--min-words", min=0, metavar="N",
        help="Only changes that added and removed N words or more together.")] = 0,
    limit: Annotated[int, typer.Option(
        "--limit", "-n", min=0, metavar="N",
        help="At most N changes (the newest); a note says when there are more.")] = DEFAULT_LIMIT,
    show_all: Annotated[bool, typer.Option(
        "--all", help="Every change of the period, however many.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Every change across the archive, newest first, one line per version: time (UTC),
    host, kind, words added and removed, headline, and the `gitnews diff` that shows it.
    Answers from the cache; no network."""
    from gitnews.archive.reader import open_current, open_reader
    from gitnews.output.changelist import list_changes

    kinds = tuple(kind or ())
    for k in kinds:
        if k not in CHANGE_KINDS:
            raise typer.BadParameter(f"unknown kind {k!r}; use one of {', '.join(CHANGE_KINDS)}",
                                     param_hint="--kind")
    now = datetime.now(UTC)
    start = parse_time_option(since, "--since") if since else None
    end = parse_time_option(until, "--until", end=True) if until else None
    if start is not None and end is not None and end < start:
        raise typer.BadParameter(f"--until {format_time(end)} is before --since "
                                 f"{format_time(start)}: give the earlier time to --since",
                                 param_hint="--until")
    host_key = None
    if host:
        from gitnews.output.changes import host_key as folder_name

        host_key = folder_name(host)
    # An archive whose cache is current is read at once, without opening the archive in
    # full (and is not a collection: asking that costs an import); else a collection's
    # archives, else the archive opened in full (its cache synced with git).
    fast = open_current(archive)
    if fast is None:
        from .collection import is_collection

        if is_collection(archive):  # every archive's changes, newest first, labelled with its site
            from .collection import changes as collection_changes

            collection_changes(archive, since=start, until=end, host=host_key, kinds=kinds,
                               min_words=min_words, limit=None if show_all else limit,
                               trailer_filter=significance_filter(min_significance),
                               json_out=json_out)
            return
    with fast or open_reader(archive) as arc:
        period = f"since {format_time(start)}" if start else ""
        if start is None:
            start, period = default_since(arc, now)
            period = (f"since the last run ({format_time(start)})" if period.startswith("since")
                      else f"in the last day (since {format_time(start)}; no run recorded)")
        # One row more than shown tells whether there are more (its words are counted too).
        rows = list_changes(arc, since=start, until=end, host=host_key, kinds=kinds,
                            min_words=min_words, limit=None if show_all else limit + 1,
                            trailer_filter=significance_filter(min_significance))
    more = not show_all and len(rows) > limit
    rows = rows if show_all else rows[:limit]
    if json_out:
        write_json(changes_json(rows, since=start, until=end, more=more))
        return
    if not rows:
        if limit != 0 or show_all:
            typer.echo(f"No changes {period}"
                       + (f" until {format_time(end)}" if end else "")
                       + ("" if not (host or kinds or min_words) else " that match")
                       + "; try --since 1w.", err=True)
        return
    write("".join(change_line(r) + "\n" for r in rows))
    if more:
        typer.echo(f"(the newest {limit} changes shown; there are more: --limit N or --all)",
                   err=True)
