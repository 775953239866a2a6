"""``gitnews init | add | remove | feeds``: set up an archive and say what it tracks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ArchiveOption,
    JsonOption,
    WaitOption,
    command,
    fail,
    open_for_writing,
    wait_seconds,
)
from .printing import write_json


@command("init")
def init_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    github_actions: Annotated[bool, typer.Option(
        "--github-actions", help="Also commit a GitHub Actions workflow that runs gitnews on a "
        "schedule, pushes and publishes the site (works on an existing archive too).")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="With --github-actions: replace a different workflow file.")] = False,
    wait: WaitOption = None,
    collection: Annotated[Path | None, typer.Option(
        "--collection", metavar="DIR", help="Create a collection instead: a folder of archives, "
        "one per site, that `gitnews add URL --archive DIR` routes to (docs/scaling.md).")] = None,
    remote_base: Annotated[str | None, typer.Option(
        "--remote-base", metavar="URL", help="With --collection: each archive's git remote is "
        "URL + its site + .git (e.g. git@github.com:example-news/).")] = None,
) -> None:
    """Create an archive: a git repository with gitnews.toml and a README (or, with
    --collection DIR, a collection of archives)."""
    if collection is not None:
        from .collection import init_collection

        init_collection(collection, remote_base=remote_base, github_actions=github_actions)
        return
    if remote_base is not None:
        fail("--remote-base only goes with --collection", code=EXIT_USAGE)
    if force and not github_actions:
        fail("--force only goes with --github-actions", code=EXIT_USAGE)
    if github_actions:
        from .publish import init_github_actions

        init_github_actions(archive, force=force, wait=wait)
        return
    from gitnews.archive.repo import init_archive

    notices: list[str] = []
    path = init_archive(archive, wait_s=wait_seconds(wait), notices=notices)
    for notice in notices:
        typer.echo(f"gitnews: note: {notice}", err=True)
    typer.echo(f"Created a gitnews archive in {path}")
    typer.echo(f"Next: gitnews add FEED_URL --archive {path}")


@command("add")
def add_cmd(
    urls: Annotated[list[str], typer.Argument(
        help="Feed, sitemap, homepage, front page or article URLs.")],
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    feed: Annotated[bool, typer.Option("--feed", help="Add as feeds without fetching.")] = False,
    article: Annotated[bool, typer.Option("--article",
                                          help="Add as single articles without fetching.")] = False,
    sitemap: Annotated[bool, typer.Option(
        "--sitemap", help="Add as sitemaps (sitemap, index or news sitemap) without "
        "fetching.")] = False,
    front: Annotated[bool, typer.Option(
        "--front", help="Track as front pages (homepage, section front): their story "
        "lists are versioned in fronts/ and their stories tracked.")] = False,
    wait: WaitOption = None,
) -> None:
    """Track feeds (RSS, Atom, JSON Feed), sitemaps, pages' feeds (discovered), front
    pages (--front) or single articles.

    Each URL is fetched once to say what it is: a feed, a sitemap (index, news
    sitemap), a page with feeds (those are tracked), an article page, or none of
    these (refused: exit status 1; a homepage without feeds gets the sitemaps its
    robots.txt lists offered).  The archive is created when there is none (as
    `gitnews init`).
    """
    from gitnews.ops.tracking import add

    if sum((feed, article, sitemap, front)) > 1:
        fail("--feed, --article, --sitemap and --front exclude each other", code=EXIT_USAGE)
    kind = ("feed" if feed else "article" if article else "sitemap" if sitemap
            else "front" if front else "auto")
    from .collection import is_collection

    if is_collection(archive):  # each URL to its site's archive
        from .collection import add as add_routed

        add_routed(archive, urls, kind=kind, wait=wait)
    with open_for_writing(archive, wait=wait, create=True, command="gitnews add") as arc:
        results = add(arc, urls, kind=kind)
    failed = False
    for r in results:
        if r.kind == "failed":
            failed = True
            typer.echo(f"FAILED   {r.url}: {r.message}", err=True)
        else:
            typer.echo(f"{r.kind.upper():8} {r.url}: {r.message}")
        if r.warning:
            typer.echo(f"gitnews: warning: {r.url}: {r.warning}", err=True)
    _say_hand_edits(results.hand_edits)
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _say_hand_edits(keys: list[str] | None) -> None:
    if keys is not None:
        typer.echo("gitnews: note: gitnews.toml had edits made by hand and not committed ("
                   + (", ".join(keys) or "comments or layout only")
                   + "); they are committed with this change", err=True)


@command("remove")
def remove_cmd(
    urls: Annotated[list[str], typer.Argument(
        help="Tracked feed or article URLs (any spelling: http/https, www., a trailing "
             "slash; for articles also an alias or the article file's path).")],
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    wait: WaitOption = None,
) -> None:
    """Stop tracking feeds or articles (their history stays in the archive)."""
    from gitnews.ops.tracking import remove

    with open_for_writing(archive, wait=wait, command="gitnews remove") as arc:
        results = remove(arc, urls)
    for r in results:
        if r.removed:
            typer.echo(f"removed: {r.given}" + (f" ({r.message})" if r.message else ""))
        else:
            typer.echo(f"not tracked: {r.given} ({r.message})")
    _say_hand_edits(results.hand_edits)
    raise typer.Exit(EXIT_OK if all(r.removed for r in results) else EXIT_FAILED)


@command("feeds")
def feeds_cmd(archive: ArchiveOption = DEFAULT_ARCHIVE, json_out: JsonOption = False) -> None:
    """List the tracked feeds, sitemaps, front pages and single articles."""
    from gitnews.archive.repo import open_archive

    with open_archive(archive) as arc:
        cfg = arc.config
        if json_out:
            from gitnews.format.urls import identity_key
            from gitnews.ops.plan import sources_of
            from gitnews.output.jsondocs import feeds_json

            rules = cfg.source_rules()
            write_json(feeds_json([(url, arc.state.get_feed(url)) for url in cfg.feeds],
                                   cfg.articles,
                                   [(kind, url, arc.state.get_feed(url), rules.get(identity_key(url)))
                                    for kind, url in sources_of(cfg)]))
            return
    for url in cfg.feeds:
        typer.echo(f"feed     {url}")
    for url in cfg.sitemaps:
        typer.echo(f"sitemap  {url}")
    for url in cfg.fronts:
        typer.echo(f"front    {url}")
    for url in cfg.articles:
        typer.echo(f"article  {url}")
    if not cfg.feeds and not cfg.articles and not cfg.sitemaps and not cfg.fronts:
        typer.echo("Nothing tracked yet: gitnews add URL", err=True)
