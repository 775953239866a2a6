"""The commands of a collection (a folder of archives, one per site: :mod:`gitnews.collection`).

No commands of its own: ``init --collection``, and ``add``, ``run``, ``list`` and ``feed``
given ``--archive`` pointing at a collection folder (or ``$GITNEWS_ARCHIVE``), call the
functions here.  Every line a read prints is labelled with the archive (site) it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .app import EXIT_FAILED, EXIT_OK, wait_seconds
from .printing import write, write_json

if TYPE_CHECKING:
    from gitnews.archive.cache import ArticleRecord
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
    from gitnews.collection.core import fan_out
    from gitnews.output.jsondocs import article_json

    from .listing import list_lines

    found = fan_out(_manifest(path), lambda arc: arc.state.query_articles(
        host=host, min_versions=min_versions, changed_since=since, changed_until=until,
        sort=sort, limit=limit))
    rows: list[tuple[str, ArticleRecord]] = [(site, r) for site, records in found
                                             for r in records]
    key = {"changed": lambda sr: sr[1].last_edited or "", "versions": lambda sr: sr[1].changes,
           "headline": lambda sr: (sr[1].headline or "").lower()}[sort]
    rows.sort(key=key, reverse=sort != "headline")
    if limit is not None:
        rows = rows[:limit]
    for site, message in found.errors:
        typer.echo(f"gitnews: [{site}] not read: {message}", err=True)
    if json_out:
        write_json({"schema": "gitnews.list/1", "count": len(rows),
                    "articles": [{**article_json(r), "archive": site} for site, r in rows]})
        return
    if not rows:
        typer.echo("No articles match.", err=True)
        return
    width = max(4, *(len(site) for site, _ in rows))
    lines = list_lines([r for _, r in rows], width=None)
    out = [f"{'SITE':{width}}  {lines[0]}"]
    out += [f"{site:{width}}  {line}" for (site, _), line in zip(rows, lines[1:], strict=True)]
    write("\n".join(out) + "\n")


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

