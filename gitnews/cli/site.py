"""``gitnews feed | site | serve``: publish the changes as feeds and a static site."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.errors import SiteError
from gitnews.format.trailers import format_time, parse_time
from gitnews.models import FEED_LIMIT

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    ArchiveOption,
    command,
    err_console,
    fail,
)
from .printing import write

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.archive.repo import Archive

SiteUrlOption = Annotated[str | None, typer.Option(
    "--site-url", metavar="BASE",
    help="The site's public base URL (e.g. https://me.github.io/news), for absolute links "
         "to its diff pages in feeds. Default: the site.url setting of gitnews.toml; "
         "without one, feed entries link to the article only.")]


SiteLevelOption = Annotated[str | None, typer.Option(
    "--min-significance", metavar="LEVEL",
    help="The site's feeds and latest-changes lists hold only changes at least this "
         "significant: minor, moderate or major (articles' pages keep every version). "
         "Default: site.min_significance of gitnews.toml.")]
SiteKindOption = Annotated[list[str] | None, typer.Option(
    "--kind", metavar="KIND",
    help="The site's feeds and latest-changes lists hold only changes of this kind "
         "(a Change-Kind value such as correction); repeat for several. Default: "
         "site.kinds of gitnews.toml.")]


def _site_filter(arc: Archive, level: str | None,
                 kinds: list[str] | None) -> tuple[str | None, list[str] | None]:
    """The site's filter: each option given replaces its own [site] setting."""
    if level is None:
        level = arc.config.site.min_significance or None
    if not kinds:
        kinds = list(arc.config.site.kinds) or None
    return level, kinds


def _site_url(arc: Archive, given: str | None) -> str | None:
    url = (given if given is not None else arc.config.site.url).strip()
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        fail(f"the site URL {url!r} is not an http(s) URL; give the address the site is "
             "published at, e.g. https://me.github.io/news", code=EXIT_USAGE)
    return url.rstrip("/")


def _write_bytes(data: bytes, output: Path | None) -> None:
    if output is None:
        write(data)  # stdout as bytes; a closed pipe ends quietly
        return
    tmp = output.with_name(output.name + ".gitnews-tmp")
    if not output.parent.is_dir():  # refuse, as the shell's `>` would: no folders are made
        fail(f"could not write {output}: the folder {output.parent} does not exist; create it "
             "first or choose another --output")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, output)
    except OSError as exc:
        fail(f"could not write {output}: {exc.strerror or exc}; choose another --output")


# -- feed ---------------------------------------------------------------------------------------

@command("feed")
def feed_cmd(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE",
        help="Write the feed to FILE (default, or `-`: standard output).",
        dir_okay=False)] = None,
    host: Annotated[str | None, typer.Option(
        "--host", metavar="HOST",
        help="Only the changes of articles from HOST (and its subdomains), e.g. theguardian.com.")] = None,
    article: Annotated[str | None, typer.Option(
        "--article", metavar="ARTICLE",
        help="Only the changes of one article (its URL or its file's path in the archive).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0,
                                       help="At most this many changes (entries).")] = FEED_LIMIT,
    rss: Annotated[bool, typer.Option("--rss", help="RSS 2.0 instead of Atom.")] = False,
    min_significance: Annotated[str | None, typer.Option(
        "--min-significance", metavar="LEVEL",
        help="Only changes at least this significant: minor, moderate or major "
             "(the Significance trailer).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", metavar="KIND",
        help="Only changes of this kind (a Change-Kind value such as headline or correction); "
             "repeat for several.")] = None,
    site_url: SiteUrlOption = None,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
) -> None:
    """A feed (Atom, or RSS 2.0) of the latest changes, with the changed words marked."""
    from gitnews.archive.repo import open_archive
    from gitnews.output.changefeed import (
        article_feed_spec,
        change_filter,
        host_feed_spec,
        render_feed,
        site_diff_url,
        site_feed_spec,
    )
    from gitnews.output.changes import archive_id, head_time, host_folders, host_key, latest_changes
    from gitnews.versions.resolve import resolve_article

    if host and article:
        fail("give --host or --article, not both", code=EXIT_USAGE)
    if output is not None and str(output) == "-":  # `-o -`: standard output, as usual
        output = None
    try:
        keep = change_filter(min_significance=min_significance, kinds=kind)
    except ValueError as exc:
        fail(str(exc), code=EXIT_USAGE)
    from .collection import is_collection

    if is_collection(archive):  # the latest changes of every archive of the collection
        from .collection import feed as collection_feed

        if host or article or min_significance or kind:
            fail("in a collection, give --archive COLLECTION/SITE for --host, --article, "
                 "--min-significance or --kind")
        data = collection_feed(archive, limit=limit, rss=rss, site_url=site_url)
        _write_bytes(data, output)
        return
    with open_archive(archive) as arc:
        base = _site_url(arc, site_url)
        name, author = archive_id(arc.repo), arc.config.archive.author_name or "gitnews"
        updated = head_time(arc.repo)
        if article:
            record = resolve_article(arc.state, article, archive_dir=arc.path)
            views = latest_changes(arc.repo, limit=limit, paths=[record.path], keep=keep)
            spec = article_feed_spec(name, record, site_url=base, author=author)
            if record.last_changed:
                updated = parse_time(record.last_changed) or updated
        elif host:
            key = host_key(host)
            folders = host_folders(arc.repo, key)
            if not folders:
                fail(f"the archive has no articles from {host}; `gitnews list` shows the hosts "
                     "it has (the HOST column)")
            views = latest_changes(arc.repo, limit=limit, paths=folders, keep=keep)
            spec = host_feed_spec(name, key, site_url=base, author=author)
        else:
            views = latest_changes(arc.repo, limit=limit, keep=keep)
            spec = site_feed_spec(name, site_url=base, author=author)
        data = render_feed(views, spec, updated=updated, diff_url=site_diff_url(base), rss=rss)
    _write_bytes(data, output)
    if output is not None:
        typer.echo(f"Wrote {output}: {len(views)} change(s).", err=True)


# -- site ---------------------------------------------------------------------------------------

def _build(arc: Archive, outdir: Path, base: str | None, *, search: bool = True,
           min_significance: str | None = None, kinds: list[str] | None = None) -> None:
    started = time.monotonic()
    from gitnews.ops.plan import HostPolicies
    from gitnews.output.site import build_site
    from gitnews.versions.schedule import Policy, stopped_note

    from .run import stop_on_signal

    note = stopped_note(HostPolicies(arc.config.schedule,
                                     Policy.from_settings(arc.config.schedule)).for_url)
    console = err_console()
    try:
        with stop_on_signal() as (stop, _abandon):  # a second signal: see below
            if console.is_terminal:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

                # No refresh thread (auto_refresh): the articles are rendered in forked
                # processes only when this process runs one thread.
                with Progress(TextColumn("articles"), BarColumn(), MofNCompleteColumn(),
                              console=console, transient=True, auto_refresh=False) as bar:
                    task = bar.add_task("articles", total=None)
                    result = build_site(arc, outdir, site_url=base, schedule_note=note,
                                        progress=lambda done, total:
                                        bar.update(task, completed=done, total=total,
                                                   refresh=True),
                                        stop=stop, search=search,
                                        min_significance=min_significance, kinds=kinds)
            else:
                result = build_site(arc, outdir, site_url=base, schedule_note=note, stop=stop,
                                    search=search, min_significance=min_significance,
                                    kinds=kinds)
    except SiteError as exc:
        fail(str(exc), code=EXIT_USAGE if exc.usage else EXIT_FAILED)
    seconds = time.monotonic() - started
    if result.interrupted:  # the rule of every long command: work left undone -> 130
        typer.echo(
            f"Site in {outdir}: stopped on request after {result.articles_done:,} of "
            f"{result.articles:,} article(s); wrote {len(result.written):,} file(s) in "
            f"{seconds:.1f} s, kept and listed; the front page and feeds were not updated. "
            "Run `gitnews site` again to finish.", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    typer.echo(
        f"Site in {outdir}: {result.articles:,} article(s), {result.changes:,} change(s), "
        f"{result.files:,} files; wrote {len(result.written):,}"
        + (f", removed {len(result.removed):,}" if result.removed else "")
        + f" in {seconds:.1f} s. Open {outdir / 'index.html'}", err=True)
    if result.search is not None and not result.search.indexed:
        typer.echo(f"gitnews: note: {result.search.message}", err=True)


@command("site")
def site_cmd(
    outdir: Annotated[Path, typer.Argument(
        metavar="OUTDIR", file_okay=False,
        help="The folder for the site (created if needed; a second run updates only what "
             "changed).")],
    site_url: SiteUrlOption = None,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    search: Annotated[bool, typer.Option(
        "--search/--no-search",
        help="Index the version pages with Pagefind (when installed: pip install "
             "'gitnews[search]') and put a search box on the front page.")] = True,
    min_significance: SiteLevelOption = None,
    kind: SiteKindOption = None,
) -> None:
    """Write the archive as a static HTML site with feeds (plain HTML and CSS, relative links),
    changes by day, statistics with SVG charts, and a search box (Pagefind).

    Ctrl-C: the pages written so far are kept; exit status 130; the next run finishes.
    """
    from gitnews.archive.repo import open_archive

    from .collection import is_collection

    if is_collection(archive):  # one site per archive in OUTDIR/<site>/, and a page of them
        from .collection import site as collection_site

        collection_site(archive, outdir, site_url=site_url, search=search)
        return
    with open_archive(archive) as arc:
        level, kinds = _site_filter(arc, min_significance, kind)
        _build(arc, outdir, _site_url(arc, site_url), search=search, min_significance=level,
               kinds=kinds)


# -- serve --------------------------------------------------------------------------------------

@command("serve")
def serve_cmd(
    port: Annotated[int, typer.Option("--port", "-p", min=0, max=65535,
                                      help="TCP port on 127.0.0.1 (0: any free port).")] = 8000,
    outdir: Annotated[Path | None, typer.Option(
        "--dir", metavar="DIR", file_okay=False,
        help="Where to write the site (default: inside the archive's .git folder, never "
             "committed).")] = None,
    site_url: SiteUrlOption = None,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    min_significance: SiteLevelOption = None,
    kind: SiteKindOption = None,
) -> None:
    """Bring the site up to date, then serve it on 127.0.0.1 for a quick look (Ctrl-C stops)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from gitnews.archive.cache import STATE_DIR
    from gitnews.archive.readonly import is_read_only
    from gitnews.archive.repo import open_archive

    temporary = None
    with open_archive(archive) as arc:
        folder = outdir or Path(arc.repo.git_dir) / STATE_DIR / "site"
        if outdir is None and is_read_only(folder):
            # A read-only archive: the site goes to a temporary folder, removed on exit.
            import tempfile

            folder = temporary = Path(tempfile.mkdtemp(prefix="gitnews-site-"))
            typer.echo(f"gitnews: note: the archive cannot be written (read-only); the site is "
                       f"written to the temporary folder {folder}, removed when serve stops "
                       "(--dir DIR keeps it)", err=True)
        level, kinds = _site_filter(arc, min_significance, kind)
        _build(arc, folder, _site_url(arc, site_url), min_significance=level, kinds=kinds)

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                          ".atom": "application/atom+xml", ".html": "text/html; charset=utf-8",
                          ".css": "text/css; charset=utf-8"}

        def log_message(self, format: str, *args: object) -> None:
            pass

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port),
                                     functools.partial(Handler, directory=str(folder)))
    except OSError as exc:
        if temporary is not None:
            import shutil

            shutil.rmtree(temporary, ignore_errors=True)
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}; choose another "
             "--port (0 picks a free one)", code=EXIT_USAGE)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        if temporary is not None:  # `kill` too removes the temporary folder (finally below)
            import signal

            signal.signal(signal.SIGTERM, lambda *_: sys.exit(EXIT_OK))
        typer.echo(f"Serving {folder} at {url} (updated "
                   f"{format_time(datetime.now(UTC))}); Ctrl-C stops.")
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if temporary is not None:
            import shutil

            shutil.rmtree(temporary, ignore_errors=True)
