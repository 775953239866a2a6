"""The archive as a static HTML site: ``gitnews site OUTDIR``.

Pages (where each lives: :mod:`gitnews.output.sitelayout`), rendered by the Jinja2
templates in ``gitnews/output/templates/site/`` with autoescaping on (a headline
holding ``<script>`` shows as text), plain HTML and CSS, no JavaScript,
relative links only (the site works from a folder, a ``file://`` URL, or a
sub-path of GitHub/GitLab Pages):

* ``index.html``: the latest changes, the most-edited articles, the sources;
* one page per host: its latest changes and all its articles;
* one page per article, in News Sniffer's words: "This article is from the
  source '<host>' and was first seen on <date>. It last changed on <date>",
  "The article has changed N times", a table of versions (time, gap, size of
  the change, headline changes) with a link to each diff, a link to its feed;
* one page per pair of consecutive versions: the side-by-side,
  paragraph-aligned, word-marked diff (:func:`gitnews.output.render.html_table`:
  "Version 1 / Version 2 … (about 7 hours later)");
* Atom feeds of changes (:mod:`gitnews.output.changefeed`): site-wide, per host and
  per article, each linked from its pages with ``<link rel="alternate">``.

Pages state dates, never "3 days ago": the same archive gives the same
bytes, whenever it is built.

**Incremental.** ``OUTDIR/.gitnews-site.json`` (the *manifest*) maps every
file the site has to a key of what it was made from (commit ids, the
templates, the settings).  A run computes each file's key from the history
alone (one ``git log`` over the repository, no text read) and renders only
the files whose key changed or that are missing; a rendered file whose bytes
are unchanged is not rewritten.  A diff page's key is its two commits: once
written it never changes.  Article texts are read (``git cat-file``) only for
the articles whose pages are rendered.  Files of an earlier run that no
longer belong to the site are removed; files that gitnews did not write are
never touched.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from gitnews import __version__
from gitnews.archive import lazygit as git  # GitPython, imported on first use (start-up time)
from gitnews.archive.cache import ArticleRecord
from gitnews.archive.history import BlobReader, is_version, iter_commits, same_text, version_time
from gitnews.archive.repo import Archive
from gitnews.errors import SiteError
from gitnews.format.trailers import format_time
from gitnews.models import Version
from gitnews.output.changefeed import (
    DEFAULT_LIMIT,
    archive_id,
    article_feed_spec,
    host_feed_spec,
    make_view,
    render_feed,
    site_diff_url,
    site_feed_spec,
    view_headline,
    view_summary,
)
from gitnews.output.render import _env, _safe_href, html_table, human_time, plural, stats_words
from gitnews.output.sitelayout import (
    FEED,
    INDEX,
    MANIFEST,
    NOJEKYLL,
    STYLE,
    article_feed,
    article_page,
    diff_page,
    host_feed,
    host_page,
    href,
    root_prefix,
)
from gitnews.versions.timeline import DiffView, Timeline, gap_words

__all__ = ["build_site", "SiteResult", "ScheduleNote", "SITE_FORMAT", "LATEST_LIMIT",
           "MOST_EDITED_LIMIT", "HOST_LATEST_LIMIT", "read_histories"]

#: Bumped when the site's layout or manifest changes in a way that needs a full rebuild.
SITE_FORMAT = "1"
#: Rows of "Latest changes" and "Most-edited articles" on the front page.
LATEST_LIMIT = 50
MOST_EDITED_LIMIT = 50
#: Rows of "Latest changes" on a host's page.
HOST_LATEST_LIMIT = 25
#: Articles whose texts are read in one ``git cat-file --batch``.
BATCH_ARTICLES = 256

#: ``schedule_note(record, now)``: a sentence for an article's page about its
#: checking schedule (e.g. "It won't be checked again for changes."), or None.
#: Called once per article and run; the sentence is part of the page's key, so
#: a note that changes with ``now`` rewrites the page on every run.
ScheduleNote = Callable[[ArticleRecord, datetime], "str | None"]

_GENERATOR = f"gitnews {__version__}"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


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


class _Stopped(Exception):
    """A stop was requested between two batches of articles."""


@dataclass
class _Article:
    path: str
    host: str
    versions: list[Version]
    times: list[datetime]
    record: ArticleRecord

    @property
    def change_numbers(self) -> list[int]:
        """The numbers of the versions that are changes, oldest first: every version
        after the first but those that only put back the text of the version before
        (after an outside edit, :func:`gitnews.archive.history.same_text`): no diff page,
        no feed entry, not counted."""
        return [n for n in range(2, len(self.versions) + 1)
                if not same_text(self.versions[n - 2], self.versions[n - 1])]

    @property
    def changes(self) -> int:
        return len(self.change_numbers)

    @property
    def last_change_time(self) -> datetime:
        """When the article last changed (its first version's time if never)."""
        numbers = self.change_numbers
        return self.times[numbers[-1] - 1] if numbers else self.times[0]

    @property
    def last_commit(self) -> str:
        return self.versions[-1].commit


def _on(dt: datetime) -> str:
    """``"29 September 2016 at 10:02 UTC"``."""
    dt = dt.astimezone(UTC)
    return f"{dt.day} {_MONTHS[dt.month - 1]} {dt.year} at {dt:%H:%M} UTC"


def _key(*parts: object) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


# -- reading the history ---------------------------------------------------------------------

def read_histories(repo: git.Repo) -> dict[str, list[Version]]:
    """Every article's versions, oldest first, from one ``git log`` of the repository.

    ``{archive path: [Version, ...]}``: the commits that touched a ``.txt``
    file and are gitnews's versions (:func:`gitnews.archive.history.is_version`, as
    the cache counts them, :mod:`gitnews.archive.cache`), numbered from 1, each with
    its blob id (None for a removal).  Outside edits (commits made without
    gitnews) are no versions: the site never shows them as changes.  {} for
    an archive without commits.
    """
    out: dict[str, list[Version]] = {}
    try:
        repo.git.rev_parse("--verify", "-q", "HEAD")
    except git.GitCommandError:
        return out
    for entry in iter_commits(repo, "HEAD", blobs=True):
        trailers = None
        for status, path in entry.changes:
            if not path.endswith(".txt"):
                continue
            if trailers is None:
                trailers = entry.trailers
            if not is_version(trailers):
                continue
            versions = out.setdefault(path, [])
            versions.append(Version(
                path=path, number=len(versions) + 1, commit=entry.commit,
                fetched_at=entry.time, subject=entry.message.split("\n", 1)[0],
                trailers=trailers, removed=status == "D", blob=entry.blobs.get(path)))
    return out


def _record_from(path: str, versions: list[Version]) -> ArticleRecord:
    last = versions[-1]
    return ArticleRecord(path=path, url=last.trailers.get("Article-Url", ""),
                         versions=len(versions), blob=last.blob,
                         headline=None, feed=last.trailers.get("Feed"),
                         first_seen=format_time(versions[0].fetched_at),
                         last_changed=format_time(last.fetched_at), removed=last.removed)


# -- writing files ---------------------------------------------------------------------------

class _Writer:
    """Writes files under ``outdir`` when their key changed; keeps the new manifest."""

    def __init__(self, outdir: Path, old: dict[str, str]) -> None:
        self.outdir = outdir
        self._root = str(outdir)
        self.old = old
        self.new: dict[str, str] = {}
        self.written: list[str] = []
        self._dirs: set[Path] = set()

    def needs(self, rel: str, key: str) -> bool:
        """Record ``rel``'s key; True when it must be (re)rendered."""
        self.new[rel] = key
        return self.old.get(rel) != key or not os.path.isfile(os.path.join(self._root, rel))

    def put(self, rel: str, data: str | bytes) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.outdir / rel
        try:
            if rel in self.old:  # written before: leave it alone when the bytes are the same
                try:
                    if target.stat().st_size == len(raw) and target.read_bytes() == raw:
                        return
                except FileNotFoundError:
                    pass
            if target.parent not in self._dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(target.parent)
            tmp = target.with_name(target.name + ".gitnews-tmp")
            tmp.write_bytes(raw)
            os.replace(tmp, target)
        except OSError as exc:
            raise SiteError(f"could not write {target}: {exc.strerror or exc}; check that the "
                            "folder is writable and the disk has room, then run "
                            "`gitnews site` again") from None
        self.written.append(rel)

    def put_atomic(self, rel: str, text: str) -> None:
        """Write ``rel`` (not part of the site's files: the manifest) in one step,
        unless it already holds ``text`` (a run that changes nothing writes nothing)."""
        target = self.outdir / rel
        tmp = target.with_name(target.name + ".gitnews-tmp")
        try:
            if target.read_text(encoding="utf-8") == text:
                return
        except (OSError, ValueError):
            pass
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            raise SiteError(f"could not write {target}: {exc.strerror or exc}; check that the "
                            "folder is writable, then run `gitnews site` again") from None

    def remove_stale(self) -> list[str]:
        removed = []
        for rel in sorted(set(self.old) - set(self.new)):
            target = self.outdir / rel
            try:
                target.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                continue
            removed.append(rel)
            parent = target.parent
            while parent != self.outdir:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent
        return removed


def _load_manifest(outdir: Path) -> dict[str, str]:
    path = outdir / MANIFEST
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pages = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(pages, dict):
        return {}
    return {str(k): str(v) for k, v in pages.items()}


def _check_outdir(outdir: Path) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise SiteError(f"{outdir} is a file, not a folder; give a new or empty folder for "
                        "the site", usage=True)
    if outdir.is_dir() and not (outdir / MANIFEST).exists():
        others = sorted(p.name for p in outdir.iterdir())
        if others:
            raise SiteError(
                f"{outdir} already holds other files ({', '.join(others[:3])}"
                f"{', …' if len(others) > 3 else ''}) and no site made by gitnews; give a new "
                "or empty folder for the site (gitnews never overwrites files it did not "
                "write)", usage=True)


def _template_sources() -> str:
    """The text of every template the site uses (part of each file's key)."""
    root = resources.files("gitnews.output").joinpath("templates")
    parts = []
    for name in ("diff_table.html.j2", "diff_table.css", "feed_entry.html.j2"):
        parts.append(root.joinpath(name).read_text(encoding="utf-8"))
    site = root.joinpath("site")
    for item in sorted(site.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".j2"):
            parts.append(item.name + "\n" + item.read_text(encoding="utf-8"))
    return "\n".join(parts)


# -- the views of one run --------------------------------------------------------------------

@dataclass
class _Summary:
    """What the change lists show of one change (version ``number`` ≥ 2 of an article)."""

    headline: str
    what: str
    gap: str


class _Views:
    """Timelines, change summaries and diff views, each made once when needed.

    Texts are read in batches through one :class:`gitnews.archive.history.BlobReader`
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
        self.summaries: dict[tuple[str, int], _Summary] = {}
        self.views: dict[tuple[str, int], DiffView] = {}
        self.keep: set[tuple[str, int]] = set()
        self._last: tuple[str, Timeline] | None = None

    def load(self, arts: Iterable[_Article]) -> dict[str, bytes]:
        """The texts of every version of ``arts`` (blob id -> bytes), in one batch."""
        return self.reader.read(v.blob for a in arts for v in a.versions if v.blob)

    def timeline(self, art: _Article, texts: dict[str, bytes]) -> Timeline:
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

    def _remember(self, art: _Article, n: int, view: DiffView) -> None:
        self.summaries[(art.path, n)] = _Summary(view_headline(view), view_summary(view),
                                                 view.gap_words)
        if (art.path, n) in self.keep:
            self.views[(art.path, n)] = view

    def ensure(self, changes: Iterable[tuple], *, views: bool) -> None:
        """Make the summaries (and, with ``views``, the diff views) of ``changes``
        (``(time, path, number, article)`` tuples) ready: the texts they lack are
        read in one batch, and each change is diffed alone."""
        todo = [(art, n) for _, path, n, art in changes
                if (path, n) not in self.summaries or (views and (path, n) not in self.views)]
        if not todo:
            return
        texts = self.reader.read(v.blob for art, n in todo
                                 for v in art.versions[n - 2:n] if v.blob)
        for art, n in todo:
            view = self._pair(art, n, texts)
            self._remember(art, n, view)
            if views:
                self.views[(art.path, n)] = view

    def _pair(self, art: _Article, n: int, texts: dict[str, bytes]) -> DiffView:
        a, b = art.versions[n - 2], art.versions[n - 1]
        if self._last is not None and self._last[0] == art.path:
            return self._last[1].diff(a, b)

        def text(v: Version) -> str:
            return texts[v.blob].decode("utf-8", "replace") if v.blob else ""
        return make_view(a, b, text(a), text(b), record=art.record, versions=len(art.versions))

    def summary(self, art: _Article, number: int) -> _Summary:
        if (art.path, number) not in self.summaries:
            self.ensure([(None, art.path, number, art)], views=False)
        return self.summaries[(art.path, number)]

    def view(self, art: _Article, number: int) -> DiffView:
        if (art.path, number) in self.views:
            return self.views[(art.path, number)]
        if self._last is not None and self._last[0] == art.path:
            return self._last[1].diff(art.versions[number - 2], art.versions[number - 1])
        blobs = [v.blob for v in art.versions[number - 2:number] if v.blob]
        return self._pair(art, number, self.reader.read(blobs))

    def drop(self, keys: Iterable[tuple[str, int]]) -> None:
        for k in keys:
            self.views.pop(k, None)


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# -- building --------------------------------------------------------------------------------

def build_site(arc: Archive, outdir: Path | str, *, site_url: str | None = None,
               feed_limit: int = DEFAULT_LIMIT, now: datetime | None = None,
               schedule_note: ScheduleNote | None = None,
               progress: Callable[[int, int], None] | None = None,
               stop: threading.Event | None = None) -> SiteResult:
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

    Raises :class:`~gitnews.errors.SiteError` when ``outdir`` is a file or a
    folder holding other files than a gitnews site (``usage`` set), or a file
    cannot be written.
    """
    outdir = Path(outdir)
    _check_outdir(outdir)
    now = now or datetime.now(UTC)
    repo = arc.repo
    histories = read_histories(repo)
    records = {r.path: r for r in arc.state.articles()} if histories else {}
    articles: list[_Article] = []
    for path in sorted(histories):
        versions = histories[path]
        record = records.get(path) or _record_from(path, versions)
        articles.append(_Article(path=path, host=path.split("/", 1)[0], versions=versions,
                                 times=[version_time(v) for v in versions], record=record))
    site_url = site_url.rstrip("/") if site_url else None
    author = arc.config.archive.author_name or "gitnews"
    glob = _key(SITE_FORMAT, __version__, _template_sources(), site_url or "", feed_limit, author)
    archive = archive_id(repo)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SiteError(f"could not create {outdir}: {exc.strerror or exc}") from None
    writer = _Writer(outdir, _load_manifest(outdir))
    with BlobReader(repo) as reader:
        ctx = _Context(writer=writer, views=_Views(repo, reader), glob=glob, site_url=site_url,
                       archive=archive, author=author, feed_limit=feed_limit, stop=stop)
        try:
            changes = ctx.pages(articles, now=now, schedule_note=schedule_note,
                                progress=progress)
        except _Stopped:
            # Keep what was written: the old entries of the files not reached yet, the new
            # ones of those done (a later run re-renders whatever is out of date).
            files = {**writer.old, **writer.new}
            manifest = {"format": SITE_FORMAT, "generator": _GENERATOR, "archive": archive,
                        "files": dict(sorted(files.items()))}
            writer.put_atomic(MANIFEST, json.dumps(manifest, ensure_ascii=False,
                                                   separators=(",", ":")) + "\n")
            return SiteResult(outdir=outdir, articles=len(articles), changes=0,
                              files=len(files), written=writer.written, interrupted=True,
                              articles_done=ctx.done)
    if writer.needs(STYLE, glob):
        writer.put(STYLE, _env().get_template("site/style.css.j2").render())
    if writer.needs(NOJEKYLL, "1"):
        writer.put(NOJEKYLL, "")
    removed = writer.remove_stale()
    manifest = {"format": SITE_FORMAT, "generator": _GENERATOR, "archive": archive,
                "files": dict(sorted(writer.new.items()))}
    writer.put_atomic(MANIFEST, json.dumps(manifest, ensure_ascii=False,
                                           separators=(",", ":")) + "\n")
    return SiteResult(outdir=outdir, articles=len(articles), changes=changes,
                      files=len(writer.new), written=writer.written, removed=removed,
                      articles_done=len(articles))


@dataclass
class _Plan:
    """Which files of one article must be rendered: its page, its feed, which diff pages
    (by the number of their newer version)."""

    page: bool
    feed: bool
    diffs: list[int]

    @property
    def any(self) -> bool:
        return self.page or self.feed or bool(self.diffs)


@dataclass
class _Context:
    """The renderers of one run (shared settings, writer and views)."""

    writer: _Writer
    views: _Views
    glob: str
    site_url: str | None
    archive: str
    author: str
    feed_limit: int
    entries: dict[str, str] = field(default_factory=dict)
    stop: threading.Event | None = None
    done: int = 0  # articles done

    # -- the whole site, host by host ------------------------------------------------------
    def pages(self, articles: list[_Article], *, now: datetime,
              schedule_note: ScheduleNote | None,
              progress: Callable[[int, int], None] | None) -> int:
        """Render what changed: articles host by host, each host's pages, the front
        page and the site-wide feed.  Returns the number of changes in the archive."""
        views = self.views
        by_host: dict[str, list[_Article]] = {}
        for art in articles:
            by_host.setdefault(art.host, []).append(art)
        all_changes = [(art.times[n - 1], art.path, n, art) for art in articles
                       for n in art.change_numbers]
        site_top = heapq.nlargest(max(self.feed_limit, LATEST_LIMIT), all_changes,
                                  key=lambda c: (c[0], c[1], c[2]))
        site_keep = {(c[1], c[2]) for c in site_top[:self.feed_limit]}
        site_ids = {f"urn:gitnews:{c[3].versions[c[2] - 1].commit}"
                    for c in site_top[:self.feed_limit]}
        views.keep = set(site_keep)
        done = 0
        host_keys: list[str] = []
        for host in sorted(by_host):
            arts = by_host[host]
            host_changes = heapq.nlargest(
                max(self.feed_limit, HOST_LATEST_LIMIT),
                ((art.times[n - 1], art.path, n, art) for art in arts
                 for n in art.change_numbers),
                key=lambda c: (c[0], c[1], c[2]))
            host_keep = {(c[1], c[2]) for c in host_changes[:self.feed_limit]}
            views.keep |= host_keep
            for chunk in _chunks(arts, BATCH_ARTICLES):
                if self.stop is not None and self.stop.is_set():
                    self.done = done
                    raise _Stopped
                plans = [(art, note, self.plan(art, note)) for art in chunk
                         for note in [schedule_note(art.record, now) if schedule_note else None]]
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
        return len(all_changes)

    # -- shared bits ---------------------------------------------------------------------
    def _render(self, template: str, page: str, **context: object) -> str:
        return _env().get_template(f"site/{template}").render(
            root=root_prefix(page), generator=_GENERATOR, **context)

    def _change_rows(self, page: str, changes: list[tuple], limit: int) -> list[dict]:
        rows = []
        for when, path, number, art in changes[:limit]:
            s = self.views.summary(art, number)
            rows.append({
                "time": format_time(when), "time_text": human_time(when),
                "headline": s.headline, "what": s.what, "gap": s.gap,
                "article_href": href(page, article_page(path)), "host": art.host,
                "host_href": href(page, host_page(art.host)), "a": number - 1, "b": number,
                "diff_href": href(page, diff_page(path, number - 1, number))})
        return rows

    def _article_rows(self, page: str, arts: Iterable[_Article]) -> list[dict]:
        return [{"headline": a.record.headline or a.record.url or a.path,
                 "href": href(page, article_page(a.path)), "host": a.host,
                 "host_href": href(page, host_page(a.host)), "changes": a.changes,
                 "first": format_time(a.times[0]), "first_text": human_time(a.times[0]),
                 "last": format_time(a.last_change_time),
                 "last_text": human_time(a.last_change_time),
                 "removed": a.versions[-1].removed} for a in arts]

    def _feed(self, rel: str, spec, views: list[DiffView], updated: datetime) -> None:  # noqa: ANN001
        self.writer.put(rel, render_feed(views, spec, updated=updated,
                                         diff_url=site_diff_url(self.site_url),
                                         content_cache=self.entries))

    # -- one article: its page, its feed, its diff pages ----------------------------------------
    def plan(self, art: _Article, note: str | None) -> _Plan:
        """Record the keys of the article's files; which of them must be rendered."""
        w, commits = self.writer, [v.commit for v in art.versions]
        return _Plan(
            page=w.needs(article_page(art.path), _key(self.glob, "article", note or "", *commits)),
            feed=w.needs(article_feed(art.path),
                         _key(self.glob, "article-feed", *commits[-self.feed_limit - 1:])),
            diffs=[n for n in art.change_numbers
                   if w.needs(diff_page(art.path, n - 1, n),
                              _key(self.glob, "diff", commits[n - 2], commits[n - 1]))])

    def render_article(self, art: _Article, note: str | None, plan: _Plan,
                       texts: dict[str, bytes]) -> None:
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

    def _article_page(self, art: _Article, tl: Timeline, note: str | None) -> None:
        page = article_page(art.path)
        infos = tl.infos()
        headline = next((i.headline for i in reversed(infos) if i.headline), None) \
            or art.record.headline or art.record.url or art.path
        rows = []
        for i, info in enumerate(infos):
            v = info.version
            if i == 0:
                what, gap = "First version", "first seen"
                size = f"{plural(info.paragraphs, 'paragraph')}, {plural(info.words, 'word')}"
            elif info.same_text:  # no change: no diff page, not counted
                what, gap, size = ("No change: the text put back after an outside edit "
                                   "(not counted)"), gap_words(info.gap), None
            else:
                what = self.views.summary(art, i + 1).what
                gap = gap_words(info.gap)
                size = None if v.removed else \
                    f"+{info.stats.words_added:,} -{info.stats.words_removed:,} words"
            rows.append({"number": v.number, "time": format_time(info.time),
                         "time_text": human_time(info.time), "gap": gap, "what": what,
                         "size": size, "removed": v.removed,
                         "previous_headline": info.previous_headline,
                         "headline": info.headline,
                         "diff_href": href(page, diff_page(art.path, i, i + 1))
                         if i and not info.same_text else None})
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
            headline=headline, url=url, href=_safe_href(url), host=art.host,
            host_href=href(page, host_page(art.host)), first_text=_on(art.times[0]),
            last_text=_on(art.last_change_time),  # a removal is a change
            last_gap=gap_words(art.last_change_time - art.times[0]).replace(
                "later", "after it was first seen").replace(
                "earlier", "before it was first seen"),
            removed=art.versions[-1].removed, note=note, changes=changes,
            changes_text=changes_text, feed_href=href(page, article_feed(art.path)),
            versions=rows)
        self.writer.put(page, html)

    def _diff_page(self, art: _Article, view: DiffView) -> None:
        a, b = view.a.number, view.b.number
        page = diff_page(art.path, a, b)
        url = view.b.version.trailers.get("Article-Url") or view.record.url
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
            headline=headline, url=url, href=_safe_href(url), host=art.host,
            host_href=href(page, host_page(art.host)),
            article_href=href(page, article_page(art.path)),
            previous_href=href(page, diff_page(art.path, previous - 1, previous))
            if previous else None,
            a=a, b=b, a_text=human_time(view.a.time), b_text=human_time(view.b.time),
            gap=view.gap_words, stats=stats_words(view.diff.stats), what=view_summary(view),
            table=html_table(view))
        self.writer.put(page, html)

    # -- one host ----------------------------------------------------------------------------
    def host(self, host: str, arts: list[_Article], changes: list[tuple]) -> str:
        w = self.writer
        key = _key(self.glob, "host", *(f"{a.path}:{a.last_commit}:{len(a.versions)}"
                                        for a in arts))
        page, feed = host_page(host), host_feed(host)
        need_page, need_feed = w.needs(page, key), w.needs(feed, key)
        if need_page:
            self.views.ensure(changes[:HOST_LATEST_LIMIT], views=False)
            ordered = sorted(arts, key=lambda a: (-a.last_change_time.timestamp(), a.path))
            n_changes = sum(a.changes for a in arts)
            html = self._render(
                "host.html.j2", page, title=f"Articles from {host}",
                feeds=[{"href": href(page, feed), "title": f"Changes to articles from {host}"},
                       {"href": href(page, FEED), "title": "Every change"}],
                crumbs=[{"href": href(page, INDEX), "label": "All sources"},
                        {"href": None, "label": host}],
                host=host, latest=self._change_rows(page, changes, HOST_LATEST_LIMIT),
                articles=self._article_rows(page, ordered),
                counts_text=f"{plural(len(arts), 'article')}, {plural(n_changes, 'change')}.",
                feed_href=href(page, feed))
            w.put(page, html)
        if need_feed:
            top = changes[:self.feed_limit]
            self.views.ensure(top, views=True)
            spec = host_feed_spec(self.archive, host, site_url=self.site_url, author=self.author)
            updated = max(a.times[-1] for a in arts)
            self._feed(feed, spec, [self.views.view(c[3], c[2]) for c in top], updated)
        return key

    # -- the front page and the site-wide feed -------------------------------------------------
    def index(self, by_host: dict[str, list[_Article]], articles: list[_Article],
              site_top: list[tuple], host_keys: list[str], all_changes: list[tuple]) -> None:
        w = self.writer
        key = _key(self.glob, "index", *host_keys)
        if w.needs(INDEX, key):
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
                latest=self._change_rows(INDEX, site_top, LATEST_LIMIT),
                most_edited=self._article_rows(INDEX, edited), hosts=hosts, totals=totals,
                feed_href=href(INDEX, FEED))
            w.put(INDEX, html)
        top = site_top[:self.feed_limit]
        if w.needs(FEED, _key(self.glob, "feed", *(f"{c[1]}:{c[2]}:{c[3].versions[c[2] - 1].commit}"
                                                   for c in top))):
            self.views.ensure(top, views=True)
            spec = site_feed_spec(self.archive, site_url=self.site_url, author=self.author)
            updated = max((a.times[-1] for a in articles), default=_head_time(self.views.repo))
            self._feed(FEED, spec, [self.views.view(c[3], c[2]) for c in top], updated)


def _head_time(repo: git.Repo) -> datetime:
    try:
        return repo.head.commit.authored_datetime.astimezone(UTC)
    except (ValueError, git.GitCommandError):
        return datetime(1970, 1, 1, tzinfo=UTC)
