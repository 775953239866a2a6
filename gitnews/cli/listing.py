"""``gitnews list``: one row per article of the archive."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import format_time

from .app import DEFAULT_ARCHIVE, ArchiveOption, JsonOption, command, parse_time_option
from .printing import cut, write, write_json

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.archive.cache import ArticleRecord


class SortKey(str, enum.Enum):
    """``gitnews list --sort`` values."""

    changed = "changed"
    versions = "versions"
    headline = "headline"


def _list_width() -> int | None:
    """The width ``list`` fits: COLUMNS, else the terminal's; None (no limit) in a pipe."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        pass
    if sys.stdout.isatty():
        import shutil

        return max(40, shutil.get_terminal_size().columns)
    return None


def list_lines(records: Sequence[ArticleRecord], *, width: int | None) -> list[str]:
    """``gitnews list``'s table, fitted to ``width`` characters (None: no limit).

    Columns that do not fit are left out, PATH first, then FIRST SEEN (``--json``
    has them all); then the headline and the host are cut (``…``), the
    headline to no less than 20 characters. A headline takes whatever room is left;
    with ``width`` None nothing is cut.
    """
    from gitnews.versions.timeline import article_host

    hosts = [article_host(r.url) for r in records]
    heads = [(r.headline or "") + (" (removed)" if r.removed else "") for r in records]
    host_full = max(4, *(len(h) for h in hosts))
    head_full = max(8, *(len(h) for h in heads))
    # Without a width (a pipe) every column is whole; with one, the host and headline
    # start at 24 and 50 characters (to decide which columns fit) and the headline then
    # takes the room left over.
    host_w = host_full if width is None else min(24, host_full)
    head_w = head_full if width is None else min(50, head_full)
    path_w = max(4, *(len(r.path) for r in records))
    show_first, show_path = True, True

    def total() -> int:
        return (8 + 2 + (22 if show_first else 0) + 20 + 2 + host_w + 2 + head_w
                + (2 + path_w if show_path else 0))

    if width is not None:
        if total() > width:
            show_path = False
        if total() > width:
            show_first = False
        if total() > width:
            head_w = max(20, head_w - (total() - width))
        if total() > width:
            host_w = max(4, host_w - (total() - width))
        if total() < width:
            head_w = min(head_full, head_w + (width - total()))
    cols = [f"{'VERSIONS':>8}"] + ([f"{'FIRST SEEN':20}"] if show_first else []) + [
        f"{'LAST CHANGED':20}", f"{'HOST':{host_w}}", f"{'HEADLINE':{head_w}}"] + (
        ["PATH"] if show_path else [])
    lines = ["  ".join(cols).rstrip()]
    for r, host, headline in zip(records, hosts, heads, strict=True):
        cols = [f"{r.changes + 1:>8}"] + ([f"{r.first_seen or '':20}"] if show_first else []) + [
            f"{r.last_edited or '':20}", f"{cut(host, host_w):{host_w}}",
            f"{cut(headline, head_w):{head_w}}"] + ([r.path] if show_path else [])
        lines.append("  ".join(cols).rstrip())
    return [line[:width] if width else line for line in lines]




@command("list")
def list_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    host: Annotated[str | None, typer.Option(
        "--host", help="Only articles of this host (and its subdomains), e.g. theguardian.com.")] = None,
    changed: Annotated[bool, typer.Option(
        "--changed", help="Only articles that changed (2 or more versions).")] = False,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME",
        help="Only articles whose last version is at or after TIME (2016-09-29, 2016-09, "
             "RFC 3339, today, yesterday, 2h, 3d; UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME",
        help="Only articles whose last version is at or before TIME (a date includes its "
             "whole day).")] = None,
    sort: Annotated[SortKey, typer.Option(
        "--sort",
        help="changed: latest change first; versions: most versions first; headline: A to Z.")
    ] = SortKey.changed,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=0, metavar="N",
                                                       help="At most N articles.")] = None,
    json_out: JsonOption = False,
) -> None:
    """One row per article: versions, first seen, last changed, host, headline, path
    (fitted to the terminal's width: --json has every field in full)."""
    from gitnews.archive.repo import open_archive
    from gitnews.output.jsondocs import list_json

    since_ts = format_time(parse_time_option(since, "--since")) if since else None
    until_ts = format_time(parse_time_option(until, "--until", end=True)) if until else None
    host_key = None
    if host:
        from gitnews.output.changes import host_key as folder_name

        host_key = folder_name(host)
    from .collection import is_collection

    if is_collection(archive):  # every archive's rows, labelled with its site
        from .collection import list_articles

        list_articles(archive, host=host_key, min_versions=2 if changed else 1, since=since_ts,
                      until=until_ts, limit=limit, sort=sort.value, json_out=json_out)
        return
    with open_archive(archive) as arc:
        records = arc.state.query_articles(host=host_key, min_versions=2 if changed else 1,
                                           changed_since=since_ts, changed_until=until_ts,
                                           sort=sort.value, limit=limit)
    if json_out:
        write_json(list_json(records))
        return
    if not records:
        if limit == 0:  # asked for none: there is nothing to say about the archive
            return
        typer.echo("No articles match." if (host or changed or since or until) else
                   "The archive has no articles yet: `gitnews add URL`, then `gitnews run`.",
                   err=True)
        return
    write("\n".join(list_lines(records, width=_list_width())) + "\n")
