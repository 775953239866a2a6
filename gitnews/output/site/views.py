"""The views of one site run: timelines, change summaries and diff views of the
site's articles (:class:`SiteViews`), each made once when needed, their texts read
in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from gitnews.archive.objects import BlobReader
from gitnews.models import Version
from gitnews.output.changefeed import view_headline, view_summary
from gitnews.output.changes import make_view
from gitnews.output.site.articles import SiteArticle
from gitnews.output.site.entries import EntryStore, summary_key
from gitnews.versions.timeline import DiffView, Timeline

if TYPE_CHECKING:
    import git

__all__ = ["ChangeSummary", "SiteViews", "Change", "ChangeAt", "chunks"]

#: One change of the site: ``(time, path, version number, article)``.
Change = tuple[datetime, str, int, SiteArticle]
#: A change asked for by the views (its time unknown: None).
ChangeAt = tuple[datetime | None, str, int, SiteArticle]


@dataclass
class ChangeSummary:
    """What the change lists show of one change (version ``number`` ≥ 2 of an article)."""

    headline: str
    what: str
    gap: str


class SiteViews:
    """Timelines, change summaries and diff views, each made once when needed.

    Texts are read in batches through one :class:`gitnews.archive.objects.BlobReader`
    (one ``git cat-file --batch`` for the run, one round trip per group of
    articles rather than per blob).  Only the last timeline is kept; the diff
    views in ``keep`` (those the feeds of the host being built and of the
    site need) are kept until :meth:`drop`.  A change of an article that is
    not rendered (a host's or the site's latest changes, in an incremental
    run) is diffed alone, from its two texts, not with the article's whole
    history.
    """

    def __init__(self, repo: git.Repo, reader: BlobReader) -> None:
        self.repo = repo
        self.reader = reader
        self.summaries: dict[tuple[str, int], ChangeSummary] = {}
        self.views: dict[tuple[str, int], DiffView] = {}
        self.keep: set[tuple[str, int]] = set()
        self._last: tuple[str, Timeline] | None = None
        #: Summaries kept between runs (:mod:`.entries`; None: none kept) and those
        #: made by this run, to keep (key, headline, what, gap).
        self.store: EntryStore | None = None
        self.fresh: list[tuple[str, str, str, str]] = []

    def load(self, arts: Iterable[SiteArticle]) -> dict[str, bytes]:
        """The texts of every version of ``arts`` (blob id -> bytes), in one batch."""
        return self.reader.read(v.blob for a in arts for v in a.versions if v.blob)

    def timeline(self, art: SiteArticle, texts: dict[str, bytes]) -> Timeline:
        """The article's :class:`Timeline`, with every change summarized (and the
        views in ``keep`` kept)."""
        if self._last is not None and self._last[0] == art.path:
            return self._last[1]
        tl = Timeline(repo=self.repo, record=art.record, versions=art.versions)
        missing = [v.blob for v in art.versions if v.blob and v.blob not in texts]
        tl.add_texts({**{v.blob: texts[v.blob] for v in art.versions
                         if v.blob and v.blob in texts}, **self.reader.read(missing)})
        self._last = (art.path, tl)
        tl.infos()  # every pair diffed once (Timeline caches the diffs)
        for n in range(2, len(art.versions) + 1):
            self._remember(art, n, tl.diff(art.versions[n - 2], art.versions[n - 1]))
        return tl

    def _remember(self, art: SiteArticle, n: int, view: DiffView) -> None:
        self.add_summary(art, n, ChangeSummary(view_headline(view), view_summary(view),
                                               view.gap_words))
        if (art.path, n) in self.keep:
            self.views[(art.path, n)] = view

    def add_summary(self, art: SiteArticle, n: int, summary: ChangeSummary) -> None:
        """Take the summary of the article's change ``n`` made by this run (kept in the
        store at the end of the run)."""
        if (art.path, n) not in self.summaries and self.store is not None:
            self.fresh.append((summary_key(art, n), summary.headline, summary.what,
                               summary.gap))
        self.summaries[(art.path, n)] = summary

    def _from_store(self, todo: list[tuple[SiteArticle, int]]) -> None:
        if self.store is None:
            return
        keys = {summary_key(art, n): (art.path, n) for art, n in todo}
        for key, (headline, what, gap) in self.store.summaries(keys).items():
            self.summaries[keys[key]] = ChangeSummary(headline, what, gap)

    def ensure(self, changes: Iterable[ChangeAt], *, views: bool) -> None:
        """Make the summaries (and, with ``views``, the diff views) of ``changes``
        (``(time, path, number, article)`` tuples) ready: the texts they lack are
        read in one batch, and each change is diffed alone."""
        todo = [(art, n) for _, path, n, art in changes
                if (path, n) not in self.summaries or (views and (path, n) not in self.views)]
        if todo and not views and self.store is not None:
            self._from_store(todo)
            todo = [(art, n) for art, n in todo if (art.path, n) not in self.summaries]
        if not todo:
            return
        texts = self.reader.read(v.blob for art, n in todo
                                 for v in art.versions[n - 2:n] if v.blob)
        for art, n in todo:
            view = self._pair(art, n, texts)
            self._remember(art, n, view)
            if views:
                self.views[(art.path, n)] = view

    def _pair(self, art: SiteArticle, n: int, texts: dict[str, bytes]) -> DiffView:
        a, b = art.versions[n - 2], art.versions[n - 1]
        if self._last is not None and self._last[0] == art.path:
            return self._last[1].diff(a, b)

        def text(v: Version) -> str:
            return texts[v.blob].decode("utf-8", "replace") if v.blob else ""
        return make_view(a, b, text(a), text(b), record=art.record, versions=len(art.versions))

    def summary(self, art: SiteArticle, number: int) -> ChangeSummary:
        """The summary of the article's change ``number`` (made when needed)."""
        if (art.path, number) not in self.summaries:
            self.ensure([(None, art.path, number, art)], views=False)
        return self.summaries[(art.path, number)]

    def view(self, art: SiteArticle, number: int) -> DiffView:
        """The diff view of the article's change ``number`` (kept, or made now)."""
        if (art.path, number) in self.views:
            return self.views[(art.path, number)]
        if self._last is not None and self._last[0] == art.path:
            return self._last[1].diff(art.versions[number - 2], art.versions[number - 1])
        blobs = [v.blob for v in art.versions[number - 2:number] if v.blob]
        return self._pair(art, number, self.reader.read(blobs))

    def drop(self, keys: Iterable[tuple[str, int]]) -> None:
        """Forget the kept diff views of ``keys`` (``(path, number)``)."""
        for k in keys:
            self.views.pop(k, None)


def chunks(items: list[SiteArticle], size: int) -> Iterator[list[SiteArticle]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]
