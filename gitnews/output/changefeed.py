"""Feeds of changes: the latest new versions of articles as Atom or RSS 2.0.

A *change* is a version after the first (``Version`` ≥ 2: an edit, a removal
or a restoration); a new article is not a change.  :func:`latest_changes`
finds the latest changes of the whole archive, of some hosts or of one
article with one ``git log`` over the repository (``--max-count``, a
``--grep`` on the ``Version`` trailer, ``--raw`` for the blob ids before and
after), then one path-limited ``git log`` that stops as soon as it has met
the version before each change (for its time), and reads the texts through
the repository's persistent ``git cat-file``.  Each change comes back as a
:class:`~gitnews.versions.timeline.DiffView`, the shape every renderer takes.

:func:`render_feed` writes a feed with feedgen: one entry per change, titled
with the headline and what changed ("Headline changed", "2 paragraphs
changed"), its ``updated`` date the version's capture time, its content the
word diff as HTML (:func:`gitnews.output.render.html_table`, changed paragraphs
with one unchanged paragraph around them), its link the diff page of the
static site when the site's public URL is known, else the article.  Entry ids
are ``urn:gitnews:<commit id>``: the same change keeps its id in every feed
and every regeneration (RFC 4287 §4.2.6).  The same input gives the same
bytes (no generation time is written).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from gitnews import __version__
from gitnews.archive import lazygit as git  # GitPython, imported on first use (start-up time)
from gitnews.archive.cache import ArticleRecord
from gitnews.archive.gitrun import GitError
from gitnews.archive.history import LogEntry, is_version, iter_commits, read_blobs, same_text, version_time
from gitnews.format.normalise import parse_text
from gitnews.models import FEED_LIMIT, Version
from gitnews.output.render import _env, html_table, human_time, plural, stats_words
from gitnews.output.sitelayout import (
    FEED,
    INDEX,
    absolute_url,
    article_feed,
    article_page,
    diff_page,
    host_feed,
    host_page,
)
from gitnews.versions.diff import DiffStats, count_words, diff_texts
from gitnews.versions.timeline import DiffView, VersionInfo

__all__ = ["DEFAULT_LIMIT", "FeedSpec", "latest_changes", "make_view", "change_summary",
           "view_summary", "view_headline", "entry_title", "entry_id", "entry_html",
           "render_feed", "archive_id", "host_folders", "site_feed_spec", "host_feed_spec",
           "article_feed_spec", "site_diff_url", "CHANGE_GREP"]

#: How many changes a feed carries unless told otherwise.
DEFAULT_LIMIT = FEED_LIMIT
#: Unchanged paragraphs kept around each change in an entry's content.
ENTRY_CONTEXT = 1
#: ``git log -E --grep`` that selects version commits after the first
#: (git matches each line of the message; the trailer block is one ``Key:
#: value`` line per trailer, see :mod:`gitnews.format.trailers`).
CHANGE_GREP = r"^Version: ([2-9]|[1-9][0-9]+)$"

# Characters XML 1.0 does not allow (lxml refuses them): C0 controls but tab,
# LF and CR; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


# -- reading the latest changes ------------------------------------------------------------

def host_folders(repo: git.Repo, host: str) -> list[str]:
    """The archive's top-level folders for ``host`` and its subdomains.

    ``host`` is lower-case, without ``www.`` (as :mod:`gitnews.format.paths` names
    host folders); ``bbc.co.uk`` gives ``bbc.co.uk`` and ``news.bbc.co.uk``.
    One ``git ls-tree`` of HEAD; [] when the archive has no commit.
    """
    try:
        out = repo.git.execute(["git", "-c", "core.quotePath=false", "ls-tree", "-d", "-z",
                                "--name-only", "HEAD"])
    except git.GitCommandError:
        return []
    names = [n for n in out.split("\0") if n]
    return [n for n in names if n == host or n.endswith("." + host)]


def _article_change(entry: LogEntry) -> tuple[str, str] | None:
    """``(status, path)`` of the article file a version commit touched, or None."""
    for status, path in entry.changes:
        if path.endswith(".txt"):
            return status, path
    return None


def latest_changes(repo: git.Repo, *, limit: int = DEFAULT_LIMIT,
                   paths: Sequence[str] | None = None) -> list[DiffView]:
    """The latest ``limit`` changes, newest first, each as a :class:`DiffView`.

    ``paths`` limits them to files or folders of the archive (literal git
    pathspecs: an article's file, or a host folder such as ``theguardian.com``);
    None means the whole archive.  Versions are numbered by their ``Version``
    trailer.  A change whose previous version git cannot find (a history that
    does not follow the archive format) is left out, and so is a version that
    only put back the text of the version before it after an outside edit
    (:func:`gitnews.archive.history.same_text`): it is no change.  The views' ``record``
    is built from the commit (``versions`` = the new version's number).
    """
    if limit <= 0:
        return []
    grep = ["-E", f"--grep={CHANGE_GREP}"]
    found: list[tuple[LogEntry, str, str, dict[str, str], int]] = []
    # Versions after an outside edit may be no change (same_text, known once their
    # previous versions are found): read on until ``limit`` others are found.
    others = 0
    walk = iter_commits(repo, "HEAD", paths=list(paths) if paths else None,
                        reverse=False, blobs=True, options=grep)
    try:
        for entry in walk:
            change = _article_change(entry)
            trailers = entry.trailers
            try:
                number = int(trailers.get("Version", ""))
            except ValueError:
                continue
            if change is None or "Article-Url" not in trailers or number < 2:
                continue
            status, path = change
            found.append((entry, status, path, trailers, number))
            if "outside-edit" not in trailers.get("Change-Kind", ""):
                others += 1
                if others >= limit:
                    break
    finally:
        try:
            walk.close()
        except GitError:
            pass  # git log stopped early by a closed pipe (SIGPIPE): expected
    if not found:
        return []
    previous = _previous_versions(repo, found)
    blobs = {b for e, _, path, _, _ in found
             for b in (e.blobs.get(path),
                       previous[e.commit].blobs.get(path) if e.commit in previous else None)
             if b}
    texts = read_blobs(repo, sorted(blobs))
    views: list[DiffView] = []
    for entry, status, path, trailers, number in found:
        prev_entry = previous.get(entry.commit)
        if prev_entry is None:
            continue
        new = Version(path=path, number=number, commit=entry.commit, fetched_at=entry.time,
                      subject=entry.message.split("\n", 1)[0], trailers=trailers,
                      removed=status == "D", blob=entry.blobs.get(path))
        prev_status = next((s for s, p in prev_entry.changes if p == path), "M")
        # The previous version's text, not the text the commit replaced: after an outside
        # edit the change is still shown against the article's previous version.
        old = Version(path=path, number=number - 1, commit=prev_entry.commit,
                      fetched_at=prev_entry.time, subject=prev_entry.message.split("\n", 1)[0],
                      trailers=prev_entry.trailers, removed=prev_status == "D",
                      blob=prev_entry.blobs.get(path))
        if same_text(old, new):
            continue
        views.append(make_view(old, new, _text(texts, old.blob), _text(texts, new.blob)))
    return views[:limit]


def _text(texts: dict[str, bytes], blob: str | None) -> str:
    return texts[blob].decode("utf-8", "replace") if blob else ""


def _previous_versions(repo: git.Repo,
                       found: Sequence[tuple[LogEntry, str, str, dict[str, str], int]]
                       ) -> dict[str, LogEntry]:
    """For each change, the commit of its article's version before it.

    One ``git log`` that reads commit messages only (``-F --grep`` on the
    changes' ``Article-Url`` trailers: no file comparisons, which git's
    changed-path Bloom filters would speed up for one path only), newest
    first, stopped as soon as every change has met its previous version.  A
    candidate counts only if it is a version (:func:`gitnews.archive.history.is_version`:
    an outside edit never is) and its ``Version`` is the change's minus one or
    its blob is the one the change replaced (so a version whose URL differs,
    e.g. ``http`` → ``https``, is not skipped over unnoticed); the rare change
    left without one gets a path-limited ``git log <change>^ -- <path>``
    stopped at the first version.
    """
    wanted = {e.commit: (path, e.old_blobs.get(path), status, number)
              for e, status, path, _, number in found}
    urls = sorted({trailers["Article-Url"] for _, _, _, trailers, _ in found})
    waiting: dict[str, str] = {}  # path -> change commit whose previous version comes next
    out: dict[str, LogEntry] = {}
    options = ["-F", *(f"--grep=Article-Url: {url}" for url in urls)]
    for entry in iter_commits(repo, "HEAD", reverse=False, blobs=True, options=options):
        trailers = entry.trailers
        for status, path in entry.changes:
            change = waiting.pop(path, None) if is_version(trailers) else None
            if change is not None and _replaced(entry, status, path, wanted[change], trailers):
                out[change] = entry
            if wanted.get(entry.commit, (None,))[0] == path:
                waiting[path] = entry.commit
        if len(out) == len(wanted):
            return out
    for commit, (path, _, _, _) in wanted.items():
        if commit not in out:
            try:
                for entry in iter_commits(repo, f"{commit}^", paths=[path], reverse=False,
                                          blobs=True):
                    if is_version(entry.trailers):
                        out[commit] = entry
                        break
            except GitError:  # a first commit has no parent: no previous version
                pass
    return out


def _replaced(entry: LogEntry, status: str, path: str,
              change: tuple[str, str | None, str, int], trailers: dict[str, str]) -> bool:
    """Whether the version ``entry`` (its ``trailers``) is the one before ``change``
    (path, old blob, status, number): its ``Version`` is one less, or it wrote the
    text the change replaced."""
    _, old_blob, change_status, number = change
    if trailers.get("Version") == str(number - 1):
        return True
    if change_status == "A":  # restored: the version before removed the file
        return status == "D"
    return entry.blobs.get(path) == old_blob


def make_view(old: Version, new: Version, old_text: str, new_text: str, *,
              record: ArticleRecord | None = None, versions: int | None = None) -> DiffView:
    """The :class:`DiffView` of two consecutive versions of one article.

    ``record`` defaults to one built from ``new`` (its ``Article-Url`` and
    headline); ``versions`` (how many versions the article has) to ``new.number``.
    """
    result = diff_texts(old_text, new_text)
    t_old, t_new = version_time(old), version_time(new)
    head_old = parse_text(old_text)[0] if old_text else None
    head_new, body_new = parse_text(new_text) if new_text else (None, [])
    info_old = VersionInfo(version=old, time=t_old, gap=None, stats=None, headline=head_old,
                           previous_headline=None,
                           paragraphs=len(parse_text(old_text)[1]) if old_text else 0,
                           words=count_words(old_text))
    info_new = VersionInfo(version=new, time=t_new, gap=t_new - t_old, stats=result.stats,
                           headline=head_new,
                           previous_headline=head_old if (head_old is not None and head_new
                                                          is not None and head_old != head_new)
                           else None,
                           paragraphs=len(body_new), words=count_words(new_text))
    if record is None:
        url = new.trailers.get("Article-Url") or old.trailers.get("Article-Url") or ""
        record = ArticleRecord(path=new.path, url=url, versions=new.number, blob=new.blob,
                               headline=head_new or head_old, feed=new.trailers.get("Feed"),
                               first_seen=None, last_changed=None, removed=new.removed)
    return DiffView(record=record, versions=versions or new.number, a=info_old, b=info_new,
                    old_text=old_text, new_text=new_text, diff=result)


# -- describing a change ---------------------------------------------------------------------

def change_summary(stats: DiffStats | None, *, removed: bool = False,
                   restored: bool = False, reverts_to: int | None = None) -> str:
    """What changed, in a few words: ``"Headline changed, 2 paragraphs changed"``.

    ``"Removed"`` when the version removed the article's file, ``"Restored"``
    when the one before had; ``"No change in the text"`` when the texts have
    the same words (only white space differs).  ``reverts_to``: the version a
    revert went back to (its ``Reverts-To`` trailer), added as
    ``", back to version N"``, the words ``gitnews log`` uses.
    """
    if removed:
        return "Removed"
    if restored:
        return "Restored"
    back = f", back to version {reverts_to}" if reverts_to is not None else ""
    if stats is None or not stats.changed:
        return "No change in the text" + back
    parts = ["Headline changed"] if stats.headline_changed else []
    for n, what in ((stats.paragraphs_changed, "changed"), (stats.paragraphs_added, "added"),
                    (stats.paragraphs_removed, "removed")):
        if n:
            parts.append(f"{plural(n, 'paragraph')} {what}")
    if not parts:  # words moved between paragraphs without a paragraph changing
        parts.append(f"{plural(stats.words_added + stats.words_removed, 'word')} changed")
    return ", ".join(parts) + back


def view_summary(view: DiffView) -> str:
    """:func:`change_summary` of a view (removal, restoration and, between
    consecutive versions, a revert included), plus ``" (replaces an outside edit)"``
    when the new version's ``Change-Kind`` says so (the file held a text committed
    without gitnews, which is never shown)."""
    reverts_to = None
    if view.b.number == view.a.number + 1:
        try:
            reverts_to = int(view.b.version.trailers.get("Reverts-To") or "")
        except ValueError:
            reverts_to = None
    what = change_summary(view.diff.stats, removed=view.b.version.removed,
                          restored=view.a.version.removed and not view.b.version.removed,
                          reverts_to=reverts_to)
    kinds = [k.strip() for k in view.b.version.trailers.get("Change-Kind", "").split(",")]
    return what + " (replaces an outside edit)" if "outside-edit" in kinds else what


def view_headline(view: DiffView) -> str:
    """The headline a change is shown under: the new version's, else the old one's."""
    return view.diff.headline.new or view.diff.headline.old or view.record.headline or \
        view.record.path


def entry_title(view: DiffView) -> str:
    """``"<headline> — <what changed>"``."""
    return f"{view_headline(view)} — {view_summary(view)}"


def entry_id(view: DiffView) -> str:
    """The entry's permanent id: ``urn:gitnews:<commit id of the new version>``."""
    return f"urn:gitnews:{view.b.version.commit}"


def entry_html(view: DiffView, *, diff_url: str | None = None) -> str:
    """The entry's content: a summary, links, and the word-marked two-column diff."""
    href = view.record.url if view.record.url.lower().startswith(("http://", "https://")) \
        else None
    return _env().get_template("feed_entry.html.j2").render(
        headline=view_headline(view), url=view.record.url, href=href, host=view.host,
        a=view.a.number, b=view.b.number, a_time=human_time(view.a.time),
        b_time=human_time(view.b.time), gap=view.gap_words, what=view_summary(view),
        stats=stats_words(view.diff.stats), diff_url=diff_url,
        table=html_table(view, context=ENTRY_CONTEXT))


# -- writing a feed ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedSpec:
    """What a feed says about itself.

    ``feed_id``: its permanent id (a URI); ``self_url``: its own absolute URL
    when known (Atom ``rel="self"``); ``page_url``: the absolute URL of the web
    page it belongs to (the site's page, or the article itself), when known;
    ``author``: the name Atom requires when entries have no author of their own.
    """

    title: str
    feed_id: str
    subtitle: str
    author: str = "gitnews"
    self_url: str | None = None
    page_url: str | None = None


def site_feed_spec(archive: str, *, site_url: str | None = None,
                   author: str = "gitnews") -> FeedSpec:
    """The site-wide feed: every change in the archive (``archive``: :func:`archive_id`)."""
    return FeedSpec(
        title="Changes to news articles", feed_id=f"urn:gitnews:{archive}:feed",
        subtitle="New versions of the articles this gitnews archive tracks, with the changed "
                 "words marked.", author=author,
        self_url=absolute_url(site_url, FEED) if site_url else None,
        page_url=absolute_url(site_url, INDEX) if site_url else None)


def host_feed_spec(archive: str, host: str, *, site_url: str | None = None,
                   author: str = "gitnews") -> FeedSpec:
    """The feed of one host's changes."""
    return FeedSpec(
        title=f"Changes to articles from {host}",
        feed_id=f"urn:gitnews:{archive}:host:{quote(host, safe='')}",
        subtitle=f"New versions of the articles from {host} that this gitnews archive tracks, "
                 "with the changed words marked.", author=author,
        self_url=absolute_url(site_url, host_feed(host)) if site_url else None,
        page_url=absolute_url(site_url, host_page(host)) if site_url else None)


def article_feed_spec(archive: str, record: ArticleRecord, *, site_url: str | None = None,
                      author: str = "gitnews") -> FeedSpec:
    """The feed of one article's changes."""
    safe = record.url if record.url.lower().startswith(("http://", "https://")) else None
    return FeedSpec(
        title=f"Changes to “{record.headline or record.url}”",
        feed_id=f"urn:gitnews:{archive}:article:{quote(record.path, safe='/')}",
        subtitle=f"New versions of {record.url}, with the changed words marked.", author=author,
        self_url=absolute_url(site_url, article_feed(record.path)) if site_url else None,
        page_url=absolute_url(site_url, article_page(record.path)) if site_url else safe)


def site_diff_url(site_url: str | None) -> Callable[[DiffView], str | None] | None:
    """``diff_url`` for :func:`render_feed`: the site's diff page of a change, or None."""
    if not site_url:
        return None
    return lambda view: absolute_url(site_url, diff_page(view.record.path, view.a.number,
                                                         view.b.number))


def archive_id(repo: git.Repo) -> str:
    """A stable name of the archive for feed ids: its first commit id (or ``"empty"``)."""
    try:
        roots = repo.git.rev_list("--max-parents=0", "HEAD").split()
    except git.GitCommandError:
        return "empty"
    return roots[-1] if roots else "empty"


def render_feed(views: Sequence[DiffView], spec: FeedSpec, *, updated: datetime,
                diff_url: Callable[[DiffView], str | None] | None = None,
                rss: bool = False, content_cache: dict[str, str] | None = None) -> bytes:
    """The feed of ``views`` (newest first) as UTF-8 XML: Atom 1.0 (RFC 4287) or RSS 2.0.

    ``updated`` is the feed's date when it has no entries (else the newest
    entry's).  ``diff_url(view)`` gives the absolute URL of a change's diff
    page, or None: the entry then links to the article only.  An entry's
    link (``rel="alternate"``, RSS ``<link>``) is the diff page when there is
    one, else the article; its content links to both.  ``content_cache``
    (entry id and link -> content HTML) lets several feeds that carry the
    same change render its content once.
    """
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(_xml(spec.feed_id))
    fg.title(_xml(spec.title))
    fg.subtitle(_xml(spec.subtitle))
    fg.author({"name": _xml(spec.author)})
    fg.generator("gitnews", version=__version__)
    fg.language("en")
    if spec.self_url:
        fg.link(href=spec.self_url, rel="self")
    # feedgen makes the last link the RSS channel's <link>, which RSS 2.0 requires.
    if spec.page_url:
        fg.link(href=spec.page_url, rel="alternate")
    elif rss:
        fg.link(href=spec.self_url or spec.feed_id, rel="alternate")
    newest = max((v.b.time for v in views), default=None)
    when = (newest or updated).astimezone(UTC)
    fg.updated(when)
    fg.lastBuildDate(when)
    for view in views:
        fe = fg.add_entry(order="append")
        fe.id(entry_id(view))
        fe.title(_xml(entry_title(view)))
        fe.updated(view.b.time.astimezone(UTC))
        fe.published(view.b.time.astimezone(UTC))
        target = diff_url(view) if diff_url else None
        article = view.record.url if view.record.url.lower().startswith(("http://", "https://")) \
            else None
        main = target or article
        if main:
            # One link only: feedgen 1.0 writes entry links without their rel attribute,
            # so a second (related) link would become a second alternate link, which
            # RFC 4287 §4.1.1 forbids.  The content links to the article.
            fe.link(href=main, rel="alternate")
        if view.host:
            fe.category(term=view.host)
        cache_key = f"{entry_id(view)} {target or ''}"
        content = content_cache.get(cache_key) if content_cache is not None else None
        if content is None:
            content = _xml(entry_html(view, diff_url=target))
            if content_cache is not None:
                content_cache[cache_key] = content
        fe.content(content, type="html")
        if rss:
            fe.description(_xml(f"{view_summary(view)}: {stats_words(view.diff.stats)}."))
    if rss:
        return fg.rss_str(pretty=True)
    return fg.atom_str(pretty=True)

