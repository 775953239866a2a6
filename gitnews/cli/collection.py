"""The commands of a collection (a folder of archives, one per site: :mod:`gitnews.collection`).

No commands of its own: ``init --collection``, and ``add``, ``run``, ``list``, ``feed``,
``changes``, ``search`` and ``stats`` given ``--archive`` pointing at a collection folder
(or ``$GITNEWS_ARCHIVE``), call the functions here.  Every line a read prints is labelled
with the archive (site) it came from (``--json``: a ``"site"`` field), the rows of all archives merged by
:func:`gitnews.collection.core.merge_labelled` in the command's own order; an archive that
cannot be read is named on stderr, the others are shown, and the exit status is 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .app import EXIT_FAILED, EXIT_OK, wait_seconds
from .printing import write, write_json

if TYPE_CHECKING:
    from gitnews.archive.cache import ArticleRecord
    from gitnews.archive.cache.search import Field
    from gitnews.archive.repo import Archive
    from gitnews.collection.core import FanOut
    from gitnews.collection.manifest import Manifest
    from gitnews.versions.timeline import DiffView


def is_collection(path: Path) -> bool:
    """True when ``path`` is a collection folder (it holds ``gitnews-collection.toml``)."""
    from gitnews.collection.manifest import MANIFEST_NAME

    return (path / MANIFEST_NAME).is_file()


def _manifest(path: Path) -> Manifest:
    from gitnews.collection.manifest import read_manifest

    return read_manifest(path)


def init_collection(path: Path, *, remote_base: str | None, github_actions: bool) -> None:
    """``gitnews init --collection DIR [--github-actions]`` (the workflow is written, or
    rewritten, also into an existing collection)."""
    from gitnews.collection.manifest import MANIFEST_NAME, init_collection, read_manifest
    from gitnews.collection.workflow import write_collection_workflow

    if github_actions and is_collection(path):
        typer.echo(f"Wrote {write_collection_workflow(read_manifest(path))}")
        return
    manifest = init_collection(path, remote_base=remote_base)
    typer.echo(f"Created a gitnews collection in {path} ({MANIFEST_NAME})")
    if github_actions:
        typer.echo(f"Wrote {write_collection_workflow(manifest)}")
    typer.echo(f"Next: gitnews add FEED_URL --archive {path} (each URL goes to its site's archive)")


def add(path: Path, urls: list[str], *, kind: str, wait: str | None) -> None:
    """``gitnews add`` in a collection: one line per URL, with the archive that took it."""
    from gitnews.collection.core import add as route

    routed = route(_manifest(path), urls, kind=kind, wait_s=wait_seconds(wait))
    failed = False
    for r in routed:
        where = f"[{r.site}] " if r.site else ""
        if r.result.kind == "failed":
            failed = True
            typer.echo(f"FAILED   {where}{r.result.url}: {r.result.message}", err=True)
        else:
            typer.echo(f"{r.result.kind.upper():8} {where}{r.result.url}: {r.result.message}")
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def run(path: Path, *, check_all: bool, push: bool | None, wait: str | None) -> None:
    """``gitnews run`` in a collection: the due archives one after another, each summary
    prefixed by its site."""
    from gitnews.collection.core import run_due

    from .run import print_summary, stop_on_signal

    manifest = _manifest(path)
    if not manifest.members:
        typer.echo("The collection has no archives yet: gitnews add URL --archive "
                   f"{path}", err=True)
        return
    failed = False
    with stop_on_signal() as (stop, _abandon):
        runs = run_due(manifest, check_all=check_all, wait_s=wait_seconds(wait),
                       push=bool(push), stop=stop)
    for done in runs:
        prefix = f"[{done.site}] "
        if done.error:
            failed = True
            typer.echo(f"{prefix}gitnews: {done.error}", err=True)
        if done.result is None:
            if not done.error:
                typer.echo(f"{prefix}nothing due")
            continue
        print_summary(done.result, prefix=prefix)
        failed = failed or bool(done.result.failures)
        for other, links in done.handed_over.items():
            typer.echo(f"{prefix}handed {len(links)} article(s) over to [{other}]")
        if done.push:
            typer.echo(f"{prefix}{done.push}")
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def list_articles(path: Path, *, host: str | None, min_versions: int, since: str | None,
                  until: str | None, limit: int | None, sort: str, json_out: bool) -> None:
    """``gitnews list`` in a collection: the rows of every archive, merged, with a SITE column
    (``--json``: each article gets an ``"archive"`` key)."""
    from gitnews.collection.core import fan_out, merge_labelled
    from gitnews.output.jsondocs import article_json

    from .listing import list_lines

    found = fan_out(_manifest(path), lambda arc: arc.state.query_articles(
        host=host, min_versions=min_versions, changed_since=since, changed_until=until,
        sort=sort, limit=limit))
    key: Callable[[ArticleRecord], Any] = {
        "changed": lambda r: r.last_edited or "", "versions": lambda r: r.changes,
        "headline": lambda r: (r.headline or "").lower()}[sort]
    rows = merge_labelled(found, key=key, reverse=sort != "headline", limit=limit)
    unread = report_unread(found)
    if json_out:
        write_json({"schema": "gitnews.list/1", "count": len(rows),
                    "articles": [{**article_json(r), "archive": site, "site": site}
                                 for site, r in rows]})
        raise typer.Exit(EXIT_FAILED if unread else EXIT_OK)
    if not rows:
        typer.echo("No articles match.", err=True)
        raise typer.Exit(EXIT_FAILED if unread else EXIT_OK)
    width = max(4, *(len(site) for site, _ in rows))
    lines = list_lines([r for _, r in rows], width=None)
    out = [f"{'SITE':{width}}  {lines[0]}"]
    out += [f"{site:{width}}  {line}" for (site, _), line in zip(rows, lines[1:], strict=True)]
    write("\n".join(out) + "\n")
    raise typer.Exit(EXIT_FAILED if unread else EXIT_OK)


def feed(path: Path, *, limit: int, rss: bool, site_url: str | None) -> bytes:
    """``gitnews feed`` in a collection: the latest changes of every archive, newest first
    (each entry's article URL names its site, which is its archive)."""
    from datetime import UTC, datetime

    from gitnews.collection.core import fan_out
    from gitnews.output.changefeed import render_feed, site_diff_url, site_feed_spec
    from gitnews.output.changes import latest_changes

    manifest = _manifest(path)
    found = fan_out(manifest, lambda arc: latest_changes(arc.repo, limit=limit))
    for site, message in found.errors:
        typer.echo(f"gitnews: [{site}] not read: {message}", err=True)
    views: list[DiffView] = [v for _, vs in found for v in vs]
    views.sort(key=lambda v: v.b.time, reverse=True)
    views = views[:limit]
    spec = site_feed_spec(f"collection:{manifest.root.name}", site_url=site_url)
    updated = views[0].b.time if views else datetime.now(UTC)
    return render_feed(views, spec, updated=updated,
                       diff_url=site_diff_url(site_url), rss=rss)



def report_unread(found: FanOut[Any]) -> bool:
    """Name every archive :func:`~gitnews.collection.core.fan_out` could not read, on
    stderr; True when there was one (the command then exits 1 after showing the rest)."""
    for site, message in found.errors:
        typer.echo(f"gitnews: [{site}] not read: {message}", err=True)
    return bool(found.errors)


def _done(unread: bool) -> None:
    raise typer.Exit(EXIT_FAILED if unread else EXIT_OK)


def changes(path: Path, *, since: datetime | None, until: datetime | None, host: str | None,
            kinds: tuple[str, ...], min_words: int, limit: int | None,
            trailer_filter: Callable[[Mapping[str, str]], bool] | None,
            json_out: bool) -> None:
    """``gitnews changes`` in a collection: every archive's changes merged, newest first,
    each line starting with its site and its ``gitnews diff`` given ``--archive`` of its
    archive (``--json``: a ``"site"`` field per change).  Without ``--since`` each archive's
    period starts at its own last run (``changes_cmd``'s default); the JSON ``since`` is the
    earliest of them.  ``limit`` None: every change."""
    from datetime import UTC

    from gitnews.collection.core import fan_out, merge_labelled
    from gitnews.format.trailers import format_time
    from gitnews.output.changelist import ChangeRow, list_changes

    from .changes import change_line, changes_json, default_since

    manifest = _manifest(path)
    now = datetime.now(UTC)

    def read(arc: Archive) -> tuple[datetime, list[ChangeRow]]:
        start = since if since is not None else default_since(arc, now)[0]
        return start, list_changes(arc, since=start, until=until, host=host, kinds=kinds,
                                   min_words=min_words,
                                   limit=None if limit is None else limit + 1,
                                   trailer_filter=trailer_filter)

    found = fan_out(manifest, read)
    starts = [start for _, (start, _) in found]
    earliest = min(starts) if starts else (since or now)
    merged = merge_labelled([(site, rows) for site, (_, rows) in found],
                            key=lambda r: r.at, reverse=True,
                            limit=None if limit is None else limit + 1)
    more = limit is not None and len(merged) > limit
    merged = merged[:limit] if limit is not None else merged
    unread = report_unread(found)
    if json_out:
        write_json(changes_json([r for _, r in merged], since=earliest, until=until, more=more,
                                sites=[site for site, _ in merged]))
        _done(unread)
    if not merged:
        if limit != 0:
            typer.echo(f"No changes in the collection since {format_time(earliest)}"
                       + (f" until {format_time(until)}" if until else "")
                       + "; try --since 1w.", err=True)
        _done(unread)
    width = max(len(site) for site, _ in merged)
    write("".join(f"{site:{width}}  {change_line(r)} --archive {manifest.members[site].path}\n"
                  for site, r in merged))
    if more:
        typer.echo(f"(the newest {limit} changes shown; there are more: --limit N or --all)",
                   err=True)
    _done(unread)


class _BadQuery(Exception):
    """A query FTS5 refuses: a usage error of the whole command, not of one archive."""


def search(path: Path, query: str, *, within: Field, host: str | None,
           since: datetime | None, until: datetime | None, limit: int, json_out: bool,
           color: bool) -> None:
    """``gitnews search`` in a collection: every archive's matching articles merged, newest
    match first, at most ``limit``; each result names its site (``--json``: ``"site"``) and
    its commands get ``--archive`` of its archive.  A query FTS5 refuses is a usage error
    (exit 2), said once."""
    from gitnews.archive.cache.search import SearchQueryError
    from gitnews.collection.core import fan_out, merge_labelled
    from gitnews.output.search import SearchResult, search_json
    from gitnews.output.search import search as search_archive

    from .app import EXIT_USAGE, fail
    from .printing import print_renderable
    from .search import results_text, tell_building

    manifest = _manifest(path)

    def read(arc: Archive) -> list[SearchResult]:
        try:
            return search_archive(arc, query, within=within, host=host, since=since,
                                  until=until, limit=limit,
                                  on_build=partial(tell_building, where=arc.path.name))
        except SearchQueryError as exc:
            raise _BadQuery(str(exc)) from None

    try:
        found = fan_out(manifest, read)
    except _BadQuery as exc:
        fail(str(exc), code=EXIT_USAGE)
    merged = merge_labelled(found, key=lambda r: r.at, reverse=True, limit=limit)
    unread = report_unread(found)
    results = [r for _, r in merged]
    if json_out:
        write_json(search_json(query, results, within=within,
                               sites=[site for site, _ in merged]))
        _done(unread)
    if not results:
        if limit:
            typer.echo("No versions match.", err=True)
        _done(unread)
    sites = [(site, str(manifest.members[site].path)) for site, _ in merged]
    print_renderable(results_text(results, within=within, color=color, sites=sites),
                     color=color)
    _done(unread)


def stats(path: Path, *, json_out: bool) -> None:
    """``gitnews stats`` in a collection: per site, its sources and its total; then the
    collection's total (counts added, times to the first change pooled:
    :func:`gitnews.output.stats.merge_sources`).  ``--json``: each source with a ``"site"``
    field, ``"sites"`` (each site's total) and ``"total"``."""
    from gitnews.collection.core import fan_out
    from gitnews.output.stats import archive_stats, merge_sources

    from .stats import source_json, source_lines

    found = fan_out(_manifest(path), archive_stats)
    unread = report_unread(found)
    total = merge_sources([st.total for _, st in found])
    if json_out:
        write_json({"schema": "gitnews.stats/1",
                    "sources": [{**source_json(s), "site": site}
                                for site, st in found for s in st.sources],
                    "sites": [{**source_json(st.total), "site": site} for site, st in found],
                    "total": source_json(total)})
        _done(unread)
    if not any(st.sources for _, st in found):
        typer.echo("The collection has no articles yet: gitnews add URL --archive "
                   f"{path}, then gitnews run --archive {path}.", err=True)
        _done(unread)
    lines: list[str] = []
    for site, st in found:
        lines += [f"== {site} ==", ""]
        for s in [*st.sources, st.total] if len(st.sources) > 1 else st.sources:
            lines += [*source_lines(s), ""]
    lines += [f"== collection ({len(found)} archives) ==", "", *source_lines(total), ""]
    write("\n".join(lines))
    _done(unread)


def site(path: Path, outdir: Path, *, site_url: str | None, search: bool) -> None:
    """``gitnews site OUTDIR`` in a collection: each archive's site in ``OUTDIR/<site>/``
    (its public URL ``--site-url`` + ``/<site>`` when given, else the archive's own
    ``site.url`` setting), then ``OUTDIR/index.html`` listing them
    (:func:`gitnews.output.site.collection.write_collection_index`).  An archive whose site
    cannot be written is named on stderr and on the page; the others are written (exit 1)."""
    from gitnews.collection.core import fan_out
    from gitnews.errors import SiteError
    from gitnews.output.site.build import SiteResult, build_site
    from gitnews.output.site.collection import CollectionSite, write_collection_index

    from .app import fail
    from .site import _site_url

    manifest = _manifest(path)
    site_of = {m.path.resolve(): s for s, m in manifest.members.items()}

    def read(arc: Archive) -> SiteResult:
        name = site_of[Path(arc.path).resolve()]
        base = f"{site_url.rstrip('/')}/{name}" if site_url else None
        return build_site(arc, outdir / name, site_url=_site_url(arc, base), search=search)

    found = fan_out(manifest, read)
    unread = report_unread(found)
    rows = {s: CollectionSite(s, articles=r.articles, changes=r.changes) for s, r in found}
    rows.update({s: CollectionSite(s, error=message) for s, message in found.errors})
    for s, r in found:
        typer.echo(f"[{s}] site in {r.outdir}: {r.articles:,} article(s), {r.changes:,} "
                   f"change(s); wrote {len(r.written):,} file(s)", err=True)
    try:
        index = write_collection_index(outdir, manifest.root.name,
                                       [rows[s] for s in manifest.members])
    except SiteError as exc:
        fail(str(exc))
    typer.echo(f"Sites of {len(found)} archive(s) in {outdir}. Open {index}", err=True)
    _done(unread)
