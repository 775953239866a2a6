"""The pages and feeds of the site: :class:`SitePages` renders, host by host, each
article's page, feed and diff pages, each host's page and feed, the front page and
the site-wide feed, then the pages of changes by day and of statistics
(:mod:`.insights`), when their keys say they are out of date."""

from __future__ import annotations

import dataclasses
import heapq
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gitnews._version import __version__
from gitnews.archive.cache import ArticleRecord
from gitnews.format.trailers import ARTICLE_URL
from gitnews.models import Version
from gitnews.output.changefeed import (
    FeedEntry,
    FeedSpec,
    article_feed_spec,
    feed_entry,
    host_feed_spec,
    render_feed,
    site_diff_url,
    site_feed_spec,
    view_headline,
    view_summary,
)
from gitnews.output.changes import head_time
from gitnews.output.render import html_table, human_time, plural, safe_href, stats_words, template_env
from gitnews.output.site.articles import SiteArticle
from gitnews.output.site.entries import EntryStore, StoredEntry, entry_key, summary_key
from gitnews.output.site.insights import day_pages, stats_page
from gitnews.output.site.rows import article_rows, change_rows, on_date, version_rows
from gitnews.output.site.views import Change, ChangeSummary, SiteViews, chunks
from gitnews.output.site.writer import SiteWriter, file_key
from gitnews.output.sitelayout import (
    CHANGES_INDEX,
    FEED,
    INDEX,
    SEARCH_DIR,
    STATS,
    absolute_url,
    article_feed,
    article_page,
    diff_page,
    host_feed,
    host_page,
    href,
    root_prefix,
)
from gitnews.output.stats import ArchiveStats
from gitnews.versions.timeline import DiffView, Timeline, gap_words

__all__ = ["SitePages", "FilePlan", "Stopped", "ScheduleNote", "GENERATOR", "LATEST_LIMIT",
           "MOST_EDITED_LIMIT", "HOST_LATEST_LIMIT", "BATCH_ARTICLES"]

#: Rows of "Latest changes" and "Most-edited articles" on the front page.
LATEST_LIMIT = 50
MOST_EDITED_LIMIT = 50
#: Rows of "Latest changes" on a host's page.
HOST_LATEST_LIMIT = 25
#: Articles whose texts are read in one ``git cat-file --batch``.
BATCH_ARTICLES = 256
#: Articles per task of the processes that render a first build (:meth:`SitePages.pages`).
PROCESS_BATCH = 64
#: Articles to render from which a run renders them in processes (fewer: in this one).
PROCESS_MIN_ARTICLES = 2 * PROCESS_BATCH
#: Environment variable: how many processes render the articles (``0`` or ``1``: none,
#: all in the calling process); default: one per core the process may run on.
ENV_PROCESSES = "GITNEWS_SITE_PROCESSES"

#: The pages of the run being rendered in processes, as the forked workers inherit it.
_WORKER: tuple[SitePages, list[tuple[SiteArticle, str | None, FilePlan]]] | None = None


def site_processes() -> int:
    """How many processes render a large run's articles: :data:`ENV_PROCESSES` when set
    (an integer), else the number of cores this process may run on; 1 where processes
    cannot be forked (not Linux) or the calling process runs other threads (a fork
    copies only the calling thread, and a lock another thread holds would stay held)."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    given = os.environ.get(ENV_PROCESSES, "").strip()
    if given.isdigit():
        return max(1, int(given))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _worker_signals() -> None:
    """In a forked worker: Ctrl-C is the parent's to handle (it stops between tasks);
    SIGTERM (the pool's ``terminate``) ends the worker, whatever handler the parent had."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _render_task(bounds: tuple[int, int]) -> tuple[list[str], list[tuple[str, int, str, str, str]]]:
    """In a forked worker: render the articles ``bounds`` (start, end) of the run's list
    with a ``git cat-file --batch`` of its own; the files written and the summaries of
    the articles' changes (path, number, headline, what, gap)."""
    from gitnews.archive.objects import BlobReader

    assert _WORKER is not None
    ctx, todo = _WORKER
    part = todo[bounds[0]:bounds[1]]
    start = len(ctx.writer.written)
    with BlobReader(ctx.views.repo) as reader:
        views = ctx.views = SiteViews(ctx.views.repo, reader)
        texts = views.load(art for art, _, _ in part)
        for art, note, plan in part:
            ctx.render_article(art, note, plan, texts)
    summaries = [(path, n, s.headline, s.what, s.gap)
                 for (path, n), s in views.summaries.items()]
    return ctx.writer.written[start:], summaries

#: ``schedule_note(record, now)``: a sentence for an article's page about its
#: checking schedule (e.g. "It won't be checked again for changes."), or None.
#: Called once per article and run; the sentence is part of the page's key, so
#: a note that changes with ``now`` rewrites the page on every run.
ScheduleNote = Callable[[ArticleRecord, datetime], "str | None"]

#: What the pages and the manifest name as their generator.
GENERATOR = f"gitnews {__version__}"


class Stopped(Exception):
    """A stop was requested between two batches of articles."""


@dataclass
class FilePlan:
    """Which files of one article must be rendered: its page, its feed, which diff pages
    (by the number of their newer version)."""

    page: bool
    feed: bool
    diffs: list[int]

    @property
    def any(self) -> bool:
        """Whether any of the article's files must be rendered."""
        return self.page or self.feed or bool(self.diffs)


@dataclass
class SitePages:
    """The renderers of one run (shared settings, writer and views)."""

    writer: SiteWriter
    views: SiteViews
    glob: str
    site_url: str | None
    archive: str
    author: str
    feed_limit: int
    entries: dict[str, str] = field(default_factory=dict)
    stop: threading.Event | None = None
    done: int = 0  # articles done
    #: The front page carries the Pagefind search box (:mod:`.insights`).
    search: bool = False
    #: The figures of the statistics page (None: no statistics page, no day pages).
    stats: ArchiveStats | None = None
    #: What :meth:`index` was called with (to render the front page again without the
    #: search box when Pagefind fails after it was written).
    index_args: tuple[dict[str, list[SiteArticle]], list[SiteArticle], list[Change], list[str],
                      list[Change]] | None = None
    #: The site's filter (``gitnews site --min-significance/--kind``, :func:`.build.build_site`): which
    #: versions the site's and hosts' feeds and latest-changes lists hold (None: all).
    #: Articles' own pages, feeds and diff pages, and the day pages, stay complete.
    keep: Callable[[Version], bool] | None = None
    #: The filter in words (``"changes of moderate significance or more"``; "" without a
    #: filter): said under "Latest changes" and in the feeds' subtitles, and part of
    #: the keys of the files that depend on the filter.
    filter_text: str = ""
    #: The plans made before the articles are rendered (path -> note, plan).
    planned: dict[str, tuple[str | None, FilePlan]] = field(default_factory=dict)
    #: The feed entries kept between runs (:mod:`.entries`; None: none kept).
    store: EntryStore | None = None
    #: The changes the site's and the hosts' feeds carry (set by :meth:`pages`): the
    #: entries of the store that stay.
    fed: list[Change] = field(default_factory=list)
    #: Every change of the site (set by :meth:`pages`).
    all_changes: list[Change] = field(default_factory=list)

    def _target(self, art: SiteArticle, number: int) -> str | None:
        """The absolute URL of the change's diff page (None without a site URL), as
        :func:`~gitnews.output.changefeed.site_diff_url` makes it."""
        return (absolute_url(self.site_url, diff_page(art.path, number - 1, number))
                if self.site_url else None)

    def _seed(self, changes: list[Change]) -> None:
        """Take the summaries of ``changes`` that the store keeps (no diff needed for them)."""
        if self.store is None:
            return
        keys = {(c[1], c[2]): entry_key(self.glob, c[3], c[2], self._target(c[3], c[2]))
                for c in changes if (c[1], c[2]) not in self.views.summaries}
        found = self.store.get(keys.values())
        for (path, n), key in keys.items():
            kept = found.get(key)
            if kept is not None:
                self.views.summaries[(path, n)] = ChangeSummary(kept.headline, kept.what,
                                                                kept.gap)

    def _feed_entries(self, changes: list[Change]) -> list[FeedEntry]:
        """The feed entries of ``changes``: from the store, or made from their diffs (and
        then kept in the store)."""
        keyed = [(c, self._target(c[3], c[2])) for c in changes]
        if self.store is None:
            self.views.ensure(changes, views=True)
            return [feed_entry(self.views.view(c[3], c[2]), diff_url=target,
                               content_cache=self.entries) for c, target in keyed]
        keys = [entry_key(self.glob, c[3], c[2], target) for c, target in keyed]
        found = self.store.get(keys)
        self.views.ensure([c for c, key in zip(changes, keys, strict=True) if key not in found],
                          views=True)
        out: list[FeedEntry] = []
        for (c, target), key in zip(keyed, keys, strict=True):
            art, n = c[3], c[2]
            kept = found.get(key)
            if kept is None:
                made = feed_entry(self.views.view(art, n), diff_url=target,
                                  content_cache=self.entries)
                s = self.views.summaries[(art.path, n)]
                self.store.put(key, StoredEntry(title=made.title, content=made.content,
                                                line=made.line, host=made.host,
                                                headline=s.headline, what=s.what, gap=s.gap))
                out.append(made)
            else:
                self.views.summaries.setdefault((art.path, n), ChangeSummary(
                    kept.headline, kept.what, kept.gap))
                out.append(kept.entry(art.versions[n - 1], art, n, target))
        return out

    def close_store(self, *, prune: bool = True) -> None:
        """Write the store's new entries and summaries; drop the entries no feed carries
        (:attr:`fed`), and the summaries of changes the site no longer has when there are
        more than twice as many as it has changes.  ``prune`` False (a run stopped before
        every host was reached): nothing is dropped."""
        if self.store is None:
            return
        live = ({entry_key(self.glob, c[3], c[2], self._target(c[3], c[2])) for c in self.fed}
                if self.store.added and prune else None)
        live_summaries = None
        if self.views.fresh:
            self.store.put_summaries(self.views.fresh)
            self.views.fresh = []
            if prune and self.store.summary_count() > 2 * len(self.all_changes) + 1000:
                live_summaries = {summary_key(c[3], c[2]) for c in self.all_changes}
        self.store.close(live, live_summaries)

    def _passes(self, change: Change) -> bool:
        return self.keep is None or self.keep(change[3].versions[change[2] - 1])

    def _filter_parts(self) -> tuple[str, ...]:
        """What the keys of the filtered files add (nothing without a filter, so that
        those keys, and the files, stay what they were)."""
        return ("filter", self.filter_text) if self.filter_text else ()

    def _filtered(self, spec: FeedSpec) -> FeedSpec:
        if not self.filter_text:
            return spec
        return dataclasses.replace(spec, subtitle=f"{spec.subtitle} Only {self.filter_text}.")

    # -- the whole site, host by host ------------------------------------------------------
    def pages(self, articles: list[SiteArticle], *,
              notes: Callable[[SiteArticle], str | None],
              progress: Callable[[int, int], None] | None) -> int:
        """Render what changed: articles host by host, each host's pages, the front
        page and the site-wide feed (``notes(article)``: the sentence about its
        checking schedule, :data:`ScheduleNote`, or None).  Returns the number of
        changes in the archive."""
        views = self.views
        by_host: dict[str, list[SiteArticle]] = {}
        for art in articles:
            by_host.setdefault(art.host, []).append(art)
        all_changes = [(art.times[n - 1], art.path, n, art) for art in articles
                       for n in art.change_numbers]
        self.all_changes = all_changes
        shown = all_changes if self.keep is None else [c for c in all_changes if self._passes(c)]
        site_top = heapq.nlargest(max(self.feed_limit, LATEST_LIMIT), shown,
                                  key=lambda c: (c[0], c[1], c[2]))
        site_keep = {(c[1], c[2]) for c in site_top[:self.feed_limit]}
        site_ids = {f"urn:gitnews:{c[3].versions[c[2] - 1].commit}"
                    for c in site_top[:self.feed_limit]}
        views.keep = set(site_keep)
        self.fed = list(site_top[:self.feed_limit])
        done = 0
        host_keys: list[str] = []
        rendered = self._render_in_processes(
            [art for host in sorted(by_host) for art in by_host[host]], notes, progress)
        for host in sorted(by_host):
            arts = by_host[host]
            host_changes = heapq.nlargest(
                max(self.feed_limit, HOST_LATEST_LIMIT),
                (c for c in ((art.times[n - 1], art.path, n, art) for art in arts
                             for n in art.change_numbers) if self._passes(c)),
                key=lambda c: (c[0], c[1], c[2]))
            host_keep = {(c[1], c[2]) for c in host_changes[:self.feed_limit]}
            self.fed.extend(host_changes[:self.feed_limit])
            views.keep |= host_keep
            for chunk in [] if rendered else chunks(arts, BATCH_ARTICLES):
                if self.stop is not None and self.stop.is_set():
                    self.done = done
                    raise Stopped
                plans = [(art, *(self.planned.pop(art.path, None)
                                  or self._plan_with(art, notes(art)))) for art in chunk]
                todo = [(art, note, plan) for art, note, plan in plans if plan.any]
                texts = views.load(art for art, _, _ in todo) if todo else {}
                for art, note, plan in todo:
                    self.render_article(art, note, plan, texts)
                del texts
                done += len(chunk)
                if progress:
                    progress(done, len(articles))
            host_keys.append(self.host(host, arts, host_changes))
            # Keep the diff views and entries the site-wide feed needs; drop this host's others.
            views.keep = set(site_keep)
            views.drop(host_keep - site_keep)
            self.entries = {k: v for k, v in self.entries.items()
                            if k.split(" ", 1)[0] in site_ids}
        self.index(by_host, articles, site_top, host_keys, all_changes)
        self.index_args = (by_host, articles, site_top, host_keys, all_changes)
        if self.stats is not None:
            day_pages(self, all_changes)
            stats_page(self, self.stats)
        return len(all_changes)

    def _render_in_processes(self, ordered: list[SiteArticle],
                             notes: Callable[[SiteArticle], str | None],
                             progress: Callable[[int, int], None] | None) -> bool:
        """Render the files of every article of ``ordered`` that needs it in forked
        processes (:func:`site_processes`), when there are at least
        :data:`PROCESS_MIN_ARTICLES` of them, :data:`PROCESS_BATCH` articles per task.
        Each file's bytes depend on its article alone, so the files are the ones this
        process would write; the summaries of the changes come back for the host pages,
        the front page and the day pages, and the written files are listed in the order
        of the articles.  Returns False (nothing done) when the run is too small or
        processes cannot be used; raises :class:`Stopped` when a stop is asked for
        (the files of the tasks not finished are left out of the manifest)."""
        global _WORKER
        processes = site_processes()
        if processes < 2:
            return False
        plans = [(art, note, self.plan(art, note)) for art in ordered for note in [notes(art)]]
        todo = [p for p in plans if p[2].any]
        if len(todo) < PROCESS_MIN_ARTICLES:
            # Rendered by the caller, chunk by chunk, with these plans.
            self.planned = {art.path: (note, plan) for art, note, plan in plans}
            return False
        import multiprocessing

        bounds = [(i, min(i + PROCESS_BATCH, len(todo))) for i in range(0, len(todo), PROCESS_BATCH)]
        _WORKER = (self, todo)
        by_path = {art.path: art for art in ordered}
        finished = 0
        try:
            with multiprocessing.get_context("fork").Pool(
                    processes, initializer=_worker_signals) as pool:
                for written, summaries in pool.imap(_render_task, bounds):
                    self.writer.written.extend(written)
                    for path, n, headline, what, gap in summaries:
                        self.views.add_summary(by_path[path], n,
                                               ChangeSummary(headline, what, gap))
                    finished += 1
                    if progress:
                        progress(len(ordered) - len(todo) + bounds[finished - 1][1], len(ordered))
                    if self.stop is not None and self.stop.is_set() and finished < len(bounds):
                        pool.terminate()
                        self._unplan(todo[bounds[finished][0]:])
                        self.done = len(ordered) - len(todo) + bounds[finished - 1][1]
                        raise Stopped
        finally:
            _WORKER = None
        self.done = len(ordered)
        return True

    def _plan_with(self, art: SiteArticle, note: str | None) -> tuple[str | None, FilePlan]:
        return note, self.plan(art, note)

    def _unplan(self, todo: list[tuple[SiteArticle, str | None, FilePlan]]) -> None:
        """Forget the keys :meth:`plan` recorded for these articles' files (not written)."""
        for art, _, _ in todo:
            for rel in (article_page(art.path), article_feed(art.path),
                        *(diff_page(art.path, n - 1, n) for n in art.change_numbers)):
                self.writer.new.pop(rel, None)

    # -- shared bits ---------------------------------------------------------------------
    def _render(self, template: str, page: str, **context: object) -> str:
        return template_env().get_template(f"site/{template}").render(
            root=root_prefix(page), generator=GENERATOR, **context)

    def _feed(self, rel: str, spec: FeedSpec, views: list[DiffView], updated: datetime) -> None:
        self.writer.put(rel, render_feed(views, spec, updated=updated,
                                         diff_url=site_diff_url(self.site_url),
                                         content_cache=self.entries))

    # -- one article: its page, its feed, its diff pages ----------------------------------------
    def plan(self, art: SiteArticle, note: str | None) -> FilePlan:
        """Record the keys of the article's files; which of them must be rendered."""
        w, commits = self.writer, [v.commit for v in art.versions]
        return FilePlan(
            page=w.needs(article_page(art.path), file_key(self.glob, "article", note or "", *commits)),
            feed=w.needs(article_feed(art.path),
                         file_key(self.glob, "article-feed", *commits[-self.feed_limit - 1:])),
            diffs=[n for n in art.change_numbers
                   if w.needs(diff_page(art.path, n - 1, n),
                              file_key(self.glob, "diff", commits[n - 2], commits[n - 1]))])

    def render_article(self, art: SiteArticle, note: str | None, plan: FilePlan,
                       texts: dict[str, bytes]) -> None:
        """Render the files of ``plan`` (``texts``: the article's texts, by blob id)."""
        tl = self.views.timeline(art, texts)
        for n in plan.diffs:
            self._diff_page(art, self.views.view(art, n))
        if plan.page:
            self._article_page(art, tl, note)
        if plan.feed:
            numbers = art.change_numbers[::-1][:self.feed_limit]
            spec = article_feed_spec(self.archive, art.record, site_url=self.site_url,
                                     author=self.author)
            self._feed(article_feed(art.path), spec, [self.views.view(art, n) for n in numbers],
                       art.times[-1])

    def _article_page(self, art: SiteArticle, tl: Timeline, note: str | None) -> None:
        page = article_page(art.path)
        infos = tl.infos()
        headline = next((i.headline for i in reversed(infos) if i.headline), None) \
            or art.record.headline or art.record.url or art.path
        rows = version_rows(self.views, art, infos, page)
        changes = art.changes
        changes_text = (f"The article has changed {plural(changes, 'time')}."
                        if changes else "The article has not changed since it was first seen.")
        url = art.record.url
        html = self._render(
            "article.html.j2", page, title=f"{headline} – versions",
            feeds=[{"href": href(page, article_feed(art.path)),
                    "title": "Changes to this article"},
                   {"href": href(page, host_feed(art.host)),
                    "title": f"Changes to articles from {art.host}"}],
            crumbs=[{"href": href(page, INDEX), "label": "All sources"},
                    {"href": href(page, host_page(art.host)), "label": art.host},
                    {"href": None, "label": headline}],
            headline=headline, url=url, href=safe_href(url), host=art.host,
            host_href=href(page, host_page(art.host)), first_text=on_date(art.times[0]),
            last_text=on_date(art.last_change_time),  # a removal is a change
            last_gap=gap_words(art.last_change_time - art.times[0]).replace(
                "later", "after it was first seen").replace(
                "earlier", "before it was first seen"),
            removed=art.versions[-1].removed, note=note, changes=changes,
            changes_text=changes_text, feed_href=href(page, article_feed(art.path)),
            versions=rows)
        self.writer.put(page, html)

    def _diff_page(self, art: SiteArticle, view: DiffView) -> None:
        a, b = view.a.number, view.b.number
        page = diff_page(art.path, a, b)
        url = view.b.version.trailers.get(ARTICLE_URL) or view.record.url
        headline = view_headline(view)
        previous = max((n for n in art.change_numbers if n <= a), default=None)
        html = self._render(
            "diff.html.j2", page,
            title=f"{headline} – version {a} and version {b}",
            feeds=[{"href": href(page, article_feed(art.path)),
                    "title": "Changes to this article"}],
            crumbs=[{"href": href(page, INDEX), "label": "All sources"},
                    {"href": href(page, host_page(art.host)), "label": art.host},
                    {"href": href(page, article_page(art.path)), "label": headline},
                    {"href": None, "label": f"Versions {a} and {b}"}],
            headline=headline, url=url, href=safe_href(url), host=art.host,
            host_href=href(page, host_page(art.host)),
            article_href=href(page, article_page(art.path)),
            previous_href=href(page, diff_page(art.path, previous - 1, previous))
            if previous else None,
            a=a, b=b, a_text=human_time(view.a.time), b_text=human_time(view.b.time),
            gap=view.gap_words, stats=stats_words(view.diff.stats), what=view_summary(view),
            table=html_table(view))
        self.writer.put(page, html)

    # -- one host ----------------------------------------------------------------------------
    def host(self, host: str, arts: list[SiteArticle], changes: list[Change]) -> str:
        """The host's page and feed, when out of date (``changes``: its latest, newest
        first); returns the key of the host's files (part of the front page's)."""
        w = self.writer
        key = file_key(self.glob, "host", *(f"{a.path}:{a.last_commit}:{len(a.versions)}"
                                        for a in arts), *self._filter_parts())
        page, feed = host_page(host), host_feed(host)
        need_page, need_feed = w.needs(page, key), w.needs(feed, key)
        entries: list[FeedEntry] = []
        if need_feed:  # first: the page's latest changes are among them (each diffed once)
            entries = self._feed_entries(changes[:self.feed_limit])
        if need_page:
            self._seed(changes[:HOST_LATEST_LIMIT])
            self.views.ensure(changes[:HOST_LATEST_LIMIT], views=False)
            ordered = sorted(arts, key=lambda a: (-a.last_change_time.timestamp(), a.path))
            n_changes = sum(a.changes for a in arts)
            html = self._render(
                "host.html.j2", page, title=f"Articles from {host}",
                feeds=[{"href": href(page, feed), "title": f"Changes to articles from {host}"},
                       {"href": href(page, FEED), "title": "Every change"}],
                crumbs=[{"href": href(page, INDEX), "label": "All sources"},
                        {"href": None, "label": host}],
                host=host, latest=change_rows(self.views, page, changes, HOST_LATEST_LIMIT),
                filter_text=self.filter_text,
                articles=article_rows(page, ordered),
                counts_text=f"{plural(len(arts), 'article')}, {plural(n_changes, 'change')}.",
                feed_href=href(page, feed))
            w.put(page, html)
        if need_feed:
            spec = self._filtered(host_feed_spec(self.archive, host, site_url=self.site_url,
                                                 author=self.author))
            updated = max(a.times[-1] for a in arts)
            w.put(feed, render_feed(entries, spec, updated=updated))
        return key

    # -- the front page and the site-wide feed -------------------------------------------------
    def index(self, by_host: dict[str, list[SiteArticle]], articles: list[SiteArticle],
              site_top: list[Change], host_keys: list[str], all_changes: list[Change]) -> None:
        """The front page and the site-wide feed, when out of date."""
        w = self.writer
        key = file_key(self.glob, "index", *host_keys,
                       *(("search",) if self.search else ()), *self._filter_parts())
        top = site_top[:self.feed_limit]
        feed_key = file_key(self.glob, "feed", *(f"{c[1]}:{c[2]}:{c[3].versions[c[2] - 1].commit}"
                                                 for c in top), *self._filter_parts())
        need_feed = w.needs(FEED, feed_key)
        entries: list[FeedEntry] = []
        if need_feed:  # first: the front page's latest changes are among them
            entries = self._feed_entries(top)
        if w.needs(INDEX, key):
            self._seed(site_top[:LATEST_LIMIT])
            self.views.ensure(site_top[:LATEST_LIMIT], views=False)
            edited = heapq.nlargest(MOST_EDITED_LIMIT, (a for a in articles if a.changes),
                                    key=lambda a: (a.changes, a.last_change_time, a.path))
            hosts = [{"host": h, "href": href(INDEX, host_page(h)), "articles": len(arts),
                      "changes": sum(a.changes for a in arts)} for h, arts in sorted(by_host.items())]
            n_versions = sum(a.changes + 1 for a in articles)  # no mere restorations
            totals = {"articles_text": plural(len(articles), "article"),
                      "hosts_text": plural(len(by_host), "source"),
                      "versions_text": plural(n_versions, "version"),
                      "changes_text": plural(len(all_changes), "change")}
            html = self._render(
                "index.html.j2", INDEX, title="How the news changes – gitnews",
                feeds=[{"href": href(INDEX, FEED), "title": "Every change"}],
                crumbs=[{"href": None, "label": "All sources"}],
                latest=change_rows(self.views, INDEX, site_top, LATEST_LIMIT),
                filter_text=self.filter_text,
                most_edited=article_rows(INDEX, edited), hosts=hosts, totals=totals,
                feed_href=href(INDEX, FEED), changes_href=href(INDEX, CHANGES_INDEX),
                stats_href=href(INDEX, STATS), search=self.search,
                search_dir=href(INDEX, SEARCH_DIR))
            w.put(INDEX, html)
        if need_feed:
            spec = self._filtered(site_feed_spec(self.archive, site_url=self.site_url,
                                                 author=self.author))
            updated = max((a.times[-1] for a in articles), default=head_time(self.views.repo))
            w.put(FEED, render_feed(entries, spec, updated=updated))

