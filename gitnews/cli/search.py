"""``gitnews search QUERY``: full-text search over every version of every article."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import format_time

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_USAGE,
    ArchiveOption,
    JsonOption,
    NoColorOption,
    command,
    fail,
    parse_time_option,
)
from .printing import print_renderable, use_color, write, write_json

if TYPE_CHECKING:  # the core is imported by the command (start-up time)
    from rich.text import Text

    from gitnews.archive.cache.search import Field
    from gitnews.output.search import SearchResult


def _marked(result: SearchResult, *, color: bool) -> list[tuple[str, str]]:
    """The snippet with its matches bold (colour) or between ``[`` and ``]`` (plain), as
    ``(text, style)`` pieces."""
    out = [("  ", "")]
    at = 0
    for start, end in result.marks:
        out.append((result.snippet[at:start], ""))
        if color:
            out.append((result.snippet[start:end], "bold"))
        else:
            out.append((f"[{result.snippet[start:end]}]", ""))
        at = end
    out.append((result.snippet[at:] + "\n", ""))
    return out


@command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(
        metavar="QUERY",
        help='An SQLite FTS5 query: words, "a phrase", prefix*, AND / OR / NOT, '
             "NEAR(a b, 10) (docs/search.md).")],
    added: Annotated[bool, typer.Option(
        "--added", help="Match only the words a version added to the text before it.")] = False,
    removed: Annotated[bool, typer.Option(
        "--removed", help="Match only the words a version removed from the text before "
                          "it.")] = False,
    headline: Annotated[bool, typer.Option(
        "--headline", help="Match only the headlines (each version's line 1).")] = False,
    host: Annotated[str | None, typer.Option(
        "--host", help="Only articles of this host (and its subdomains), e.g. "
                       "theguardian.com.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME",
        help="Only versions at or after TIME (2016-09-29, 2016-09, RFC 3339, today, "
             "yesterday, 2h, 3d; UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME",
        help="Only versions at or before TIME (a date includes its whole day).")] = None,
    article: Annotated[str | None, typer.Option(
        "--article", metavar="ARTICLE",
        help="Only this article (its URL, any URL gitnews knows for it, or its file's "
             "path).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, metavar="N",
                                       help="At most N articles.")] = 20,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    json_out: JsonOption = False,
    no_color: NoColorOption = False,
) -> None:
    """Articles whose versions match QUERY, newest match first: time, host, headline,
    the matching versions, a snippet with the match marked, and the commands to read
    it."""
    if sum((added, removed, headline)) > 1:
        fail("--added, --removed and --headline exclude each other: give one", code=EXIT_USAGE)
    from gitnews.archive.cache.search import SearchQueryError
    from gitnews.output.search import check_query, search_index, search_json, unknown_host

    try:  # before anything is opened: an empty query is a usage error everywhere
        check_query(query)
    except SearchQueryError as exc:
        fail(str(exc), code=EXIT_USAGE)

    within: Field = "added" if added else "removed" if removed else "headline" if headline else "text"
    since_t = parse_time_option(since, "--since") if since else None
    until_t = parse_time_option(until, "--until", end=True) if until else None
    host_key = None
    if host:
        from gitnews.output.search import search_host

        host_key = search_host(host)
    from gitnews.archive.cache.search import open_current

    # The cache alone when it is current (no archive opened: start-up time), else the
    # archive (its cache synced with git first).  A collection has no cache of its own.
    results = None
    index = open_current(archive) if article is None else None
    try:
        # An index not built yet is built here only when the cache is current (else
        # the archive is opened below: its cache synced first, then the index built).
        if index is not None and (index.search_built() or index.is_current()):
            results = search_index(index, query, within=within, host=host_key,
                                   since=since_t, until=until_t, limit=limit,
                                   on_build=tell_building)
            if not index.is_current():
                results = None
            elif not results and host_key and (unknown := unknown_host(index, host_key)):
                fail(unknown, code=EXIT_USAGE)
    except SearchQueryError as exc:
        fail(str(exc), code=EXIT_USAGE)
    finally:
        if index is not None:
            index.close()
    if results is None:
        from .collection import is_collection

        if is_collection(archive):  # every archive's matches, newest first, by site
            if article is not None:
                fail("in a collection, give --archive COLLECTION/SITE for --article",
                     code=EXIT_USAGE)
            from .collection import search as collection_search

            collection_search(archive, query, within=within, host=host_key, since=since_t,
                              until=until_t, limit=limit, json_out=json_out,
                              color=use_color(no_color))
            return
        from gitnews.archive.repo import open_archive
        from gitnews.output.search import search

        try:
            with open_archive(archive) as arc:
                path = None
                if article is not None:
                    from gitnews.versions.resolve import resolve_article

                    path = resolve_article(arc.state, article, archive_dir=arc.path).path
                results = search(arc, query, within=within, host=host_key, since=since_t,
                                 until=until_t, path=path, limit=limit,
                                 on_build=tell_building)
                if not results and host_key and (unknown := unknown_host(arc.state,
                                                                          host_key)):
                    fail(unknown, code=EXIT_USAGE)
        except SearchQueryError as exc:
            fail(str(exc), code=EXIT_USAGE)
    if json_out:
        write_json(search_json(query, results, within=within))
        return
    if not results:
        typer.echo("No versions match.", err=True)
        return
    color = use_color(no_color)
    segments = _segments(results, within=within, color=color)
    plain = "".join(text for text, _ in segments)
    if not color and not _RICH_CHANGES.search(plain):
        # What print_renderable prints for this text without colour (rich leaves
        # text without tabs and control characters as it is), without importing rich.
        write("".join(line.rstrip() + "\n" for line in plain.splitlines()))
        return
    print_renderable(results_text(results, within=within, color=color), color=color)


def tell_building(versions: int, in_memory: bool, *, where: str = "") -> None:
    """Say on stderr that the search index is being built (before the first search of
    an archive: :meth:`gitnews.archive.cache.search.SearchIndex.build_search`);
    ``where``: the archive's name, in a collection."""
    of = f" of {where}" if where else ""
    if in_memory:
        typer.echo(f"Building the search index{of} in memory ({versions} versions; the "
                   "archive is read-only, so it is not saved: a writable clone keeps it)...",
                   err=True)
    else:
        typer.echo(f"Building the search index{of} (once, {versions} versions)...", err=True)


# What rich changes in a Text: tabs (expanded) and the control characters it strips
# (rich.control.strip_control_codes).
_RICH_CHANGES = re.compile("[\t\x07\x08\x0b\x0c\x0d]")


def results_text(results: list[SearchResult], *, within: Field, color: bool,
                 sites: list[tuple[str, str]] | None = None) -> Text:
    """The text of ``gitnews search``'s results; ``sites`` (in a collection): each result's
    ``(site, archive path)``, the site shown first on its line and the archive given to its
    commands as ``--archive``."""
    from rich.text import Text

    out = Text()
    for text, style in _segments(results, within=within, color=color, sites=sites):
        out.append(text, style)
    return out


def _segments(results: list[SearchResult], *, within: Field, color: bool,
              sites: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """:func:`results_text` as ``(text, style)`` pieces (style ``""``: none)."""
    out: list[tuple[str, str]] = []
    for i, r in enumerate(results):
        site, where = sites[i] if sites is not None else ("", "")
        label = f"[{site}]  " if site else ""
        arg = f" --archive {where}" if where else ""
        numbers = ", ".join(str(n) for n in r.numbers)
        what = {"added": "added in", "removed": "removed in"}.get(within, "in")
        out.append((f"{label}{format_time(r.at)}  {r.host}  ", ""))
        out.append((r.headline + "\n", "bold" if color else ""))
        out.append((f"  {what} version{'s' if len(r.numbers) > 1 else ''} {numbers} of "
                    f"{r.url}\n", ""))
        if r.snippet:
            source = (f" (version {r.snippet_version}, the text before)"
                      if within == "removed" else "")
            if source:
                out.append((f" {source.strip()}:\n", "dim" if color else ""))
            out += _marked(r, color=color)
        out.append((f"  {r.show_command}{arg}\n", "dim" if color else ""))
        if r.diff_command:
            out.append((f"  {r.diff_command}{arg}\n", "dim" if color else ""))
        out.append(("\n", ""))
    return out
