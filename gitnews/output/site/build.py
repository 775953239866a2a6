"""Building the site: :func:`build_site` reads the history, renders what is out of
date (:class:`~gitnews.output.site.pages.SitePages`), removes what no longer belongs,
and writes the manifest."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gitnews._version import __version__
from gitnews.errors import SiteError
from gitnews.models import FEED_LIMIT

# Light imports only: a run with nothing new returns before it renders anything, and the
# renderers (pages, views, feeds, diffs, statistics) are imported after that return.
from gitnews.output.site.search import (
    NOT_INSTALLED,
    SearchResult,
    is_version_page,
    pagefind_installed,
    remove_search,
    run_pagefind,
    search_intact,
    search_state,
)
from gitnews.output.site.writer import (
    SiteWriter,
    all_present,
    check_outdir,
    file_key,
    load_manifest,
    load_manifest_doc,
    template_sources,
)
from gitnews.output.sitelayout import INDEX, MANIFEST, NOJEKYLL, SEARCH_DIR, STYLE
from gitnews.versions.significance import check_kinds, check_level

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive
    from gitnews.output.site.pages import ScheduleNote

__all__ = ["build_site", "SiteResult", "SITE_FORMAT", "filter_words"]

_UP_TO_DATE = "search: the index is up to date"

#: Bumped when the site's layout or manifest changes in a way that needs a full rebuild.
SITE_FORMAT = "1"


@dataclass
class SiteResult:
    """What one ``build_site`` run did.

    ``files``: how many files the site has (pages, feeds, style sheet);
    ``written``: site-relative paths of the files written by this run, in
    the order written; ``removed``: files of an earlier run removed because
    they no longer belong to the site.
    """

    outdir: Path
    articles: int
    changes: int
    files: int
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: True when a stop request ended the run early: the pages written are kept
    #: (and listed in the manifest), nothing was removed; the next run finishes.
    interrupted: bool = False
    #: Articles whose pages were brought up to date (all of them unless interrupted).
    articles_done: int = 0
    #: The search step (:func:`gitnews.output.site.insights.run_pagefind`): None when not
    #: asked for (``search=False``) or the run was interrupted.
    search: SearchResult | None = None


def _search_current(outdir: Path, recorded: object, written: list[str],
                    removed: list[str]) -> bool:
    """Whether the search index of an earlier run still holds: Pagefind's folder is
    whole (:func:`~.insights.search_intact` of what the manifest recorded, ``recorded``)
    and no version page was written or removed by this run."""
    if not search_intact(outdir, recorded):
        return False
    return not any(is_version_page(rel) for rel in (*written, *removed))


def _count(doc: dict[str, object], key: str) -> int:
    value = doc.get(key)
    return value if isinstance(value, int) else 0


def _unchanged(outdir: Path, doc: dict[str, object], files: dict[str, str], *, head: str,
               inputs: str, installed: bool) -> bool:
    """Whether the site in ``outdir`` is already what this run would write: its manifest
    (``doc``) was written by a finished run of this site format at the same ``head`` with
    the same ``inputs`` (settings, templates, gitnews's version, filter, the articles'
    schedule notes, whether Pagefind runs), every file it lists is there, and so is the
    search index when Pagefind runs (every folder of it with as many files as it had:
    a file of ``pagefind/`` deleted by hand means Pagefind runs again)."""
    if (doc.get("format") != SITE_FORMAT or doc.get("head") != head
            or doc.get("inputs") != inputs or not files):
        return False
    if installed and not search_intact(outdir, doc.get("search")):
        return False
    return all_present(outdir, files)


def filter_words(min_significance: str | None, kinds: Sequence[str] | None) -> str:
    """The site's filter in words, as its pages and feeds say it (after "Only "):
    ``"changes of moderate significance or more, of kind correction or headline"``;
    "" for no filter.  ``min_significance`` and ``kinds`` are checked values
    (:func:`gitnews.versions.significance.check_level`, ``check_kinds``); kinds are
    named in sorted order, so the same filter gives the same words."""
    parts = []
    if min_significance:
        parts.append(f"{min_significance} significance or more")
    if kinds:
        names = sorted(kinds)
        parts.append("kind " + (" or ".join(names) if len(names) < 3
                                else ", ".join(names[:-1]) + " or " + names[-1]))
    return "changes of " + ", of ".join(parts) if parts else ""


def build_site(arc: Archive, outdir: Path | str, *, site_url: str | None = None,
               feed_limit: int = FEED_LIMIT, now: datetime | None = None,
               schedule_note: ScheduleNote | None = None,
               progress: Callable[[int, int], None] | None = None,
               stop: threading.Event | None = None, insights: bool = True,
               search: bool = False, min_significance: str | None = None,
               kinds: Sequence[str] | None = None) -> SiteResult:
    """Write (or bring up to date) the static site of ``arc`` in ``outdir``.

    ``site_url``: the site's public base URL (``https://me.github.io/news``),
    used for the absolute links that feeds need (entries then link to their
    diff pages; without it, to the article only).  ``feed_limit``: entries
    per feed.  ``now`` (aware, default the current time) and
    ``schedule_note`` (:data:`ScheduleNote`): the optional sentence about
    an article's checking schedule.  ``progress(done, total)`` is called as
    articles are done.  ``stop`` set (between two batches of articles): the
    pages written so far are kept and listed in the manifest, nothing is
    removed, and the result says ``interrupted``; the next run finishes.
    ``insights``: also the pages of changes by day and of statistics
    (:mod:`.insights`, from the cache).  ``search`` (``gitnews site`` sets it unless
    ``--no-search``): index the version pages with Pagefind when it is installed and
    put its search box on the front page (:attr:`SiteResult.search` says what
    happened; never an error).

    ``min_significance`` (``minor``, ``moderate``, ``major``) and ``kinds``
    (``Change-Kind`` values, ``new``), as ``gitnews feed`` takes them
    (:func:`gitnews.output.changefeed.change_filter`,
    :func:`gitnews.versions.significance.passes`): the site-wide feed, each host's
    feed and the "Latest changes" lists of the front page and the hosts' pages hold
    only the versions that pass, and say so; every article's page, feed and diff
    pages, the counts and the pages of changes by day stay complete.  The filter
    is part of the keys of the files that depend on it, and the manifest records
    it (``"filter"``, only when there is one), so an incremental run with another
    filter rewrites those files, and only those.  None/empty: no filter (the site
    is byte for byte what it was without the options).

    Raises :class:`~gitnews.errors.SiteError` (``usage`` set) for an unknown level
    or kind, and when ``outdir`` is a file or a
    folder holding other files than a gitnews site (``usage`` set), or a file
    cannot be written.
    """
    outdir = Path(outdir)
    try:
        level = check_level(min_significance)
        wanted = check_kinds(kinds)
    except ValueError as exc:
        raise SiteError(f"{exc} (gitnews site --min-significance / --kind, or [site] "
                        "min_significance / kinds in gitnews.toml)", usage=True) from None
    chosen = filter_words(level, sorted(wanted) if wanted else None)
    recorded: dict[str, object] = {}
    if chosen:
        recorded = {"filter": {"min_significance": level or "",
                               "kinds": sorted(wanted) if wanted else []}}
    check_outdir(outdir)
    now = now or datetime.now(UTC)
    repo = arc.repo
    state = arc.state  # synced with the branch
    head = state.get_meta("head")
    records = {r.path: r for r in state.articles()} if head else {}
    notes = {path: schedule_note(record, now) if schedule_note else None
             for path, record in records.items() if record.versions}
    site_url = site_url.rstrip("/") if site_url else None
    author = arc.config.archive.author_name or "gitnews"
    glob = file_key(SITE_FORMAT, __version__, template_sources(), site_url or "", feed_limit, author)
    installed = search and pagefind_installed()
    inputs = file_key(glob, chosen, "search" if installed else "",
                      *(f"{path}\0{note}" for path, note in notes.items() if note))
    old_doc = load_manifest_doc(outdir)
    old_files = load_manifest(outdir, old_doc)
    if head and _unchanged(outdir, old_doc, old_files, head=head, inputs=inputs,
                           installed=installed):
        # Nothing new since the last run (same head, settings, templates, notes; every file
        # still there): no history is read, nothing is written.
        current = (SearchResult(True, _UP_TO_DATE) if installed
                   else SearchResult(False, NOT_INSTALLED) if search else None)
        return SiteResult(outdir=outdir, articles=_count(old_doc, "articles"),
                          changes=_count(old_doc, "changes"), files=len(old_files),
                          articles_done=_count(old_doc, "articles"), search=current)
    from gitnews.archive.history import version_time
    from gitnews.archive.objects import BlobReader
    from gitnews.output.changefeed import change_filter
    from gitnews.output.changes import archive_id
    from gitnews.output.render import template_env
    from gitnews.output.site.articles import SiteArticle, cached_histories, record_from
    from gitnews.output.site.entries import EntryStore
    from gitnews.output.site.pages import GENERATOR, SitePages, Stopped
    from gitnews.output.site.views import SiteViews
    from gitnews.output.stats import archive_stats

    keep = change_filter(min_significance=min_significance, kinds=kinds)  # checked above
    histories = cached_histories(state) if head else {}
    articles: list[SiteArticle] = []
    for path in sorted(histories):
        versions = histories[path]
        record = records.get(path) or record_from(path, versions)
        articles.append(SiteArticle(path=path, host=path.split("/", 1)[0], versions=versions,
                                 times=[version_time(v) for v in versions], record=record))
    archive = archive_id(repo)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiteError(f"could not create {outdir}: {exc.strerror or exc}") from None
    writer = SiteWriter(outdir, old_files)
    if not old_doc:
        # A first build writes its manifest (no files yet) before any page, so that a build
        # killed part-way (SIGKILL, a power cut) leaves a folder that the next run
        # recognises as its own and finishes, instead of refusing it as someone else's.
        writer.put_atomic(MANIFEST, json.dumps(
            {"format": SITE_FORMAT, "generator": GENERATOR, "archive": archive, **recorded,
             "files": {}}, ensure_ascii=False, separators=(",", ":")) + "\n")
    versions_to_index = any(art.change_numbers for art in articles)  # version pages
    # The feed entries and summaries kept between runs (none on a read-only archive).
    store = None if state.read_only else EntryStore(Path(repo.git_dir) / "gitnews")
    with BlobReader(repo) as reader:
        views = SiteViews(repo, reader)
        views.store = store
        ctx = SitePages(writer=writer, views=views, glob=glob, site_url=site_url,
                       archive=archive, author=author, feed_limit=feed_limit, stop=stop,
                       search=search and pagefind_installed() and versions_to_index,
                       stats=archive_stats(arc) if insights else None,
                       keep=keep, filter_text=chosen,
                       store=store)
        try:
            changes = ctx.pages(articles, notes=lambda art: notes[art.path]
                                if art.path in notes else schedule_note(art.record, now)
                                if schedule_note else None, progress=progress)
        except Stopped:
            ctx.close_store(prune=False)
            # Keep what was written: the old entries of the files not reached yet, the new
            # ones of those done (a later run re-renders whatever is out of date).
            files = {**writer.old, **writer.new}
            manifest = {"format": SITE_FORMAT, "generator": GENERATOR, "archive": archive,
                        **recorded, "files": dict(sorted(files.items()))}
            writer.put_atomic(MANIFEST, json.dumps(manifest, ensure_ascii=False,
                                                   separators=(",", ":")) + "\n")
            return SiteResult(outdir=outdir, articles=len(articles), changes=0,
                              files=len(files), written=writer.written, interrupted=True,
                              articles_done=ctx.done)
        if writer.needs(STYLE, glob):
            writer.put(STYLE, template_env().get_template("site/style.css.j2").render())
        if writer.needs(NOJEKYLL, "1"):
            writer.put(NOJEKYLL, "")
        removed = writer.remove_stale()
        found: SearchResult | None = None
        if ctx.search and not _search_current(outdir, old_doc.get("search"), writer.written,
                                              removed):
            found = run_pagefind(outdir)
            if not found.indexed and ctx.index_args is not None:
                ctx.search = False  # the front page again, without the box
                writer.old.pop(INDEX, None)
                ctx.index(*ctx.index_args)
        elif ctx.search:
            found = SearchResult(True, _UP_TO_DATE)
        elif search and not pagefind_installed():
            found = SearchResult(False, NOT_INSTALLED)
        elif search:
            found = SearchResult(False, "no search box yet: no article has changed, so there is "
                                        "no version page to search")
        ctx.close_store()
    index_state: object = {}
    if found is not None and found.indexed:
        index_state = (old_doc.get("search") if found.message == _UP_TO_DATE
                       else search_state(outdir))
    elif remove_search(outdir, recorded=old_doc.get("search")):
        # No search box this run (--no-search, Pagefind gone or failed, no version page):
        # the index of an earlier run would be stale, so it goes, and the result says so.
        removed.append(SEARCH_DIR + "/")
        if found is None:
            found = SearchResult(False, f"search not asked for: removed the search index of "
                                        f"an earlier run ({outdir / SEARCH_DIR})")
    manifest = {"format": SITE_FORMAT, "generator": GENERATOR, "archive": archive,
                **recorded, "head": head or "", "inputs": inputs, "articles": len(articles),
                "changes": changes, **({"search": index_state} if index_state else {}),
                "files": dict(sorted(writer.new.items()))}
    writer.put_atomic(MANIFEST, json.dumps(manifest, ensure_ascii=False,
                                           separators=(",", ":")) + "\n")
    return SiteResult(outdir=outdir, articles=len(articles), changes=changes,
                      files=len(writer.new), written=writer.written, removed=removed,
                      articles_done=len(articles), search=found)
