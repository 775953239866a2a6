"""Feeds of changes: the latest new versions of articles as Atom or RSS 2.0.

Describing a change (:func:`change_summary`, :func:`view_summary`, the entry's
title, id and content) and writing feeds of changes (the latest are read by
:mod:`gitnews.output.changes`), each described by a :class:`FeedSpec`.

:func:`render_feed` writes a feed with feedgen: one entry per change, titled
with the headline and what changed ("Headline changed", "2 paragraphs
changed"), its ``updated`` date the version's capture time, its content the
word diff as HTML (:func:`gitnews.output.render.html_table`, changed paragraphs
with one unchanged paragraph around them), its link the diff page of the
static site when the site's public URL is known, else the article.
:func:`change_filter` keeps only the changes of a significance or kind
(``gitnews feed --min-significance``, ``--kind``).  Entry ids
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

from gitnews._version import __version__
from gitnews.archive.cache import ArticleRecord
from gitnews.format.trailers import (
    CHANGE_KIND,
    CORRECTION,
    KIND_EXTRACTION,
    KIND_OUTSIDE_EDIT,
    REVERTS_TO,
    SIGNIFICANCE,
    UNANNOUNCED,
)
from gitnews.models import FEED_LIMIT, Version
from gitnews.output.render import html_table, human_time, plural, stats_words, template_env
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
from gitnews.versions.diff import DiffStats
from gitnews.versions.significance import check_kinds, check_level, passes
from gitnews.versions.timeline import DiffView

__all__ = ["DEFAULT_LIMIT", "FeedSpec", "FeedEntry", "feed_entry", "change_summary",
           "view_summary", "view_headline",
           "entry_title", "entry_id", "entry_html", "render_feed", "site_feed_spec",
           "host_feed_spec", "article_feed_spec", "site_diff_url", "change_filter",
           "signals_note"]

#: How many changes a feed carries unless told otherwise.
DEFAULT_LIMIT = FEED_LIMIT
#: Unchanged paragraphs kept around each change in an entry's content.
ENTRY_CONTEXT = 1

# Characters XML 1.0 does not allow (lxml refuses them): C0 controls but tab,
# LF and CR; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


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
            reverts_to = int(view.b.version.trailers.get(REVERTS_TO) or "")
        except ValueError:
            reverts_to = None
    what = change_summary(view.diff.stats, removed=view.b.version.removed,
                          restored=view.a.version.removed and not view.b.version.removed,
                          reverts_to=reverts_to)
    kinds = [k.strip() for k in view.b.version.trailers.get(CHANGE_KIND, "").split(",")]
    if KIND_EXTRACTION in kinds:  # gitnews read the same page again: no publisher's edit
        what += EXTRACTION_NOTE
    return what + " (replaces an outside edit)" if KIND_OUTSIDE_EDIT in kinds else what


#: What a feed entry's title adds for a version with ``Change-Kind: extraction`` (made by
#: ``gitnews reextract`` or a run re-reading an old capture: the publisher changed nothing);
#: its entry also has the category :data:`EXTRACTION_CATEGORY`, for feed readers' filters.
EXTRACTION_NOTE = " (re-extracted by gitnews, not an edit by the publisher)"
EXTRACTION_CATEGORY = "gitnews:extraction"


def signals_note(version: Version) -> str | None:
    """The significance and correction of ``version`` in words, from its
    ``Significance``, ``Correction`` and ``Unannounced`` trailers:
    ``"Significance: major (headline rewritten). Correction notice: “An earlier
    version …”"``; None when it has none of them (versions recorded before gitnews
    wrote them: their feed entries stay as they were)."""
    parts = []
    if version.trailers.get(SIGNIFICANCE):
        parts.append(f"Significance: {version.trailers[SIGNIFICANCE]}.")
    if version.trailers.get(CORRECTION):
        parts.append(f"Correction notice: \u201c{version.trailers[CORRECTION]}\u201d.")
    if version.trailers.get(UNANNOUNCED):
        parts.append(f"Changed without a notice: {version.trailers[UNANNOUNCED]}.")
    return " ".join(parts) or None


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
    html: str = template_env().get_template("feed_entry.html.j2").render(
        headline=view_headline(view), url=view.record.url, href=href, host=view.host,
        a=view.a.number, b=view.b.number, a_time=human_time(view.a.time),
        b_time=human_time(view.b.time), gap=view.gap_words, what=view_summary(view),
        stats=stats_words(view.diff.stats), diff_url=diff_url,
        table=html_table(view, context=ENTRY_CONTEXT))
    return html


def change_filter(*, min_significance: str | None = None,
                  kinds: Sequence[str] | None = None) -> Callable[[Version], bool] | None:
    """The filter of ``--min-significance LEVEL`` and ``--kind KIND``, for
    :func:`gitnews.output.changes.latest_changes` ``keep``: a predicate on a
    version (:func:`gitnews.versions.significance.passes`), None when neither is
    given.  Raises ValueError naming the known values for an unknown level or kind.
    """
    level = check_level(min_significance)
    wanted = check_kinds(kinds)
    if level is None and wanted is None:
        return None
    return lambda version: passes(version, min_significance=level, kinds=wanted)


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


@dataclass(frozen=True)
class FeedEntry:
    """One change as a feed shows it, ready to render without its diff (a site keeps
    these between runs: :mod:`gitnews.output.site.entries`).

    ``id``: :func:`entry_id`; ``title``: :func:`entry_title`; ``time``: the new
    version's time (aware); ``url``: the article's URL; ``host``: its host ("" for
    none); ``version``: the new version (its trailers give the categories and
    :func:`signals_note`); ``target``: the absolute URL of the change's diff page or
    None; ``content``: :func:`entry_html`, XML-safe; ``line``: ``"<what changed>:
    <size of the change>."`` (RSS description, Atom summary)."""

    id: str
    title: str
    time: datetime
    url: str
    host: str
    version: Version
    target: str | None
    content: str
    line: str


def feed_entry(view: DiffView, *, diff_url: str | None = None,
               content_cache: dict[str, str] | None = None) -> FeedEntry:
    """The :class:`FeedEntry` of a change (``diff_url``: its diff page's absolute URL or
    None).  ``content_cache`` (entry id and link -> content) as for :func:`render_feed`."""
    cache_key = f"{entry_id(view)} {diff_url or ''}"
    content = content_cache.get(cache_key) if content_cache is not None else None
    if content is None:
        content = _xml(entry_html(view, diff_url=diff_url))
        if content_cache is not None:
            content_cache[cache_key] = content
    return FeedEntry(id=entry_id(view), title=entry_title(view), time=view.b.time,
                     url=view.record.url, host=view.host, version=view.b.version,
                     target=diff_url, content=content,
                     line=f"{view_summary(view)}: {stats_words(view.diff.stats)}.")


def render_feed(views: Sequence[DiffView | FeedEntry], spec: FeedSpec, *, updated: datetime,
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
    newest = max((v.time if isinstance(v, FeedEntry) else v.b.time for v in views),
                 default=None)
    when = (newest or updated).astimezone(UTC)
    fg.updated(when)
    fg.lastBuildDate(when)
    for item in views:
        entry = item if isinstance(item, FeedEntry) else feed_entry(
            item, diff_url=diff_url(item) if diff_url else None, content_cache=content_cache)
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(_xml(entry.title))
        fe.updated(entry.time.astimezone(UTC))
        fe.published(entry.time.astimezone(UTC))
        article = entry.url if entry.url.lower().startswith(("http://", "https://")) else None
        main = entry.target or article
        if main:
            # One link only: feedgen 1.0 writes entry links without their rel attribute,
            # so a second (related) link would become a second alternate link, which
            # RFC 4287 §4.1.1 forbids.  The content links to the article.
            fe.link(href=main, rel="alternate")
        if entry.host:
            fe.category(term=entry.host)
        if KIND_EXTRACTION in entry.version.trailers.get(CHANGE_KIND, ""):
            fe.category(term=EXTRACTION_CATEGORY)
        fe.content(entry.content, type="html")
        note = signals_note(entry.version)
        if rss:
            fe.description(_xml(entry.line + (f" {note}" if note else "")))
        elif note:  # Atom: a summary only for a version with these trailers (RFC 4287 §4.2.13)
            fe.summary(_xml(f"{entry.line} {note}"))
    data: bytes = fg.rss_str(pretty=True) if rss else fg.atom_str(pretty=True)
    return data

