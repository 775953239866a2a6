"""What a URL is, for ``gitnews add``: a feed, a page with feeds, an article page, or none.

:func:`classify` fetches the URL once and says what it is:

* a feed (RSS, Atom, JSON Feed): tracked as a feed;
* a page that advertises feeds (trafilatura's feed discovery): those feeds are
  tracked instead;
* an article page: trafilatura finds its text, at least :data:`MIN_ARTICLE_CHARS`
  characters of it, and that text is not a list of links (:func:`link_text_share`,
  measured before the link blocks are pruned, below :data:`INDEX_LINK_SHARE`):
  tracked as a single article (on a section front's URL, a page that also
  advertises feeds gives its feeds);
* a page that is not an article (too little text, an index page, no text at
  all) and advertises feeds (``<link rel=alternate>``, at any URL): its feeds;
* none of these (another media type, a page without article text, an index
  page without feed links): refused with the reason (``--article`` tracks it
  anyway).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitnews.errors import ExtractionError, FetchError, GitnewsError
from gitnews.format.sites import is_section_front
from gitnews.format.urls import canonical_url
from gitnews.models import Article, Page

if TYPE_CHECKING:
    from gitnews.sources.http import Fetcher

__all__ = ["AddResult", "classify", "link_text_share", "plural", "INDEX_LINK_SHARE",
           "MIN_ARTICLE_CHARS", "HTML_TYPES"]

#: A page whose extracted text is at least this share (by words) of link text is an
#: index page (a homepage or section front listing headlines), not an article.  It is
#: measured on the text extracted without the generic pruning (``generic_pruning=False``
#: of :func:`gitnews.pagetext.extract.extract_article`), which removes link blocks and would
#: hide the very links this counts.  Measured on the team's corpus (379 pages that
#: extract): 376 real article pages of about 250 sites score at most 0.5 (a 28-word
#: Japanese page; all others at most 0.18), the three link-list homepages (Christian
#: Daily Reporter) 0.96-0.97 (after pruning they scored 0.54-0.77: not refused).
INDEX_LINK_SHARE = 0.8

#: A page whose extracted text (all paragraphs, white space collapsed) has fewer
#: characters than this is not an article (``<p>Hi</p>``, an error page).  Measured
#: on the team's corpus: the shortest real article texts have 151 characters (an
#: scmp.com photo caption page) and 369 (an NHK page in Japanese); a "403 Forbidden"
#: page served as a story has 59.
MIN_ARTICLE_CHARS = 100

#: Media types of web pages (``Content-Type`` without parameters).
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass
class AddResult:
    """What ``add`` made of one URL.

    ``kind`` is "feed", "article", "sitemap", "front", "already" (tracked before, under this or
    another spelling: nothing changed) or "failed" (refused or unreachable:
    ``message`` says why and what to do); ``added`` lists the URLs now tracked
    because of it (the feeds a page advertises, for a page with feeds).
    """

    url: str
    kind: str
    added: list[str]
    message: str = ""
    #: Added, but maybe not what was meant (e.g. an article page given as a front):
    #: one sentence saying why and what to do, else "".
    warning: str = ""


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"



def _clean(text: str) -> str:
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text) if not text.isascii() else text


def link_text_share(body: bytes, paragraphs: Iterable[str]) -> float:
    """The share (0.0 to 1.0, by words) of ``paragraphs`` that is link text of the
    HTML page ``body``.

    A paragraph counts as link text when it is the text of one of the page's
    ``<a>`` elements, or contains such a text of more than 10 characters that is
    at least 80 % as long as the paragraph (white space collapsed, NFC).  The
    paragraphs are those trafilatura extracted (:func:`gitnews.pagetext.extract.extract_article`):
    on an article page few of them are links, on a homepage or section front
    that lists headlines nearly all are.  0.0 when there are no words, or the
    body is not parseable HTML.
    """
    from lxml import etree, html

    from gitnews.pagetext.extract import decode_html

    paragraphs = [p for p in (_clean(p) for p in paragraphs) if p]
    total = sum(len(p.split()) for p in paragraphs)
    if not total:
        return 0.0
    try:
        try:
            root = html.document_fromstring(decode_html(body))
        except ValueError:  # a str with an XML encoding declaration: lxml wants the bytes
            root = html.document_fromstring(body)
    except (etree.ParserError, ValueError, TypeError):
        return 0.0
    anchors = {t for t in (_clean(a.text_content()) for a in root.iter("a")) if t}
    long_anchors = [a for a in anchors if len(a) > 10]
    linked = 0
    for p in paragraphs:
        if p in anchors or any(len(a) >= 0.8 * len(p) and a in p for a in long_anchors):
            linked += len(p.split())
    return linked / total


_RETRIED = re.compile(r";?\s*(?:the server is failing, )?it will be retried(?: on the next run)?",
                      re.IGNORECASE)


def _fetch_failure(url: str, exc: GitnewsError) -> str:
    """The message of a failed fetch at ``add`` time: nothing was saved, so nothing
    "will be retried" (the fetch module's wording for runs); say what to do instead."""
    text = _RETRIED.sub("", str(exc)).rstrip(" ;")
    if isinstance(exc, FetchError) and exc.transient:
        text += ("; nothing was added: try `gitnews add` again later (or add it without "
                 "checking, with --feed or --article)")
    return text


def classify(url: str, fetcher: Fetcher) -> AddResult:
    """Fetch ``url`` once and say what it is: a feed, a page with feeds (the feeds are
    returned in ``added``), an article page, or none of these ("failed", with the reason).

    Never raises for a bad URL, a failed fetch or an unusable page: those are
    "failed" results whose message says what failed and what to do.
    """
    from gitnews.pagetext.extract import extract_article
    from gitnews.sources.feeds import discover_feeds, looks_like_feed, parse_feed

    try:
        canonical_url(url)
        page = fetcher.fetch(url)
    except GitnewsError as exc:
        return AddResult(url, "failed", [], _fetch_failure(url, exc))
    none_of_these = "not a feed, a page with feeds or an article page"
    force = "; `gitnews add --article URL` tracks it anyway"
    try:
        from gitnews.sources.sitemaps import looks_like_sitemap

        if looks_like_sitemap(page.body):  # a sitemap, sitemap index or news sitemap
            return classify_sitemap(url, page)
        if looks_like_feed(page.body, page.content_type):
            entries = parse_feed(page.body, url=page.final_url)
            return AddResult(url, "feed", [url], f"a feed with {plural(len(entries), 'entry', 'entries')}")
        ctype = (page.content_type or "").split(";")[0].strip().lower()
        if ctype and ctype not in HTML_TYPES:
            return AddResult(url, "failed", [],
                             f"{none_of_these}: the server sends {ctype} "
                             f"({len(page.body):,} bytes), not an HTML page or a feed; "
                             "check the URL" + force)
        found = list(dict.fromkeys(discover_feeds(page.body, url=page.final_url)))
        article: Article | None
        share: float
        try:
            article = extract_article(page.body, url=page.final_url)
        except ExtractionError as exc:
            article, share, why = None, 1.0, str(exc)
        else:
            chars = sum(len(" ".join(p.split())) for p in article.paragraphs)
            if chars < MIN_ARTICLE_CHARS:  # no second extraction for the link share then
                article, share = None, 1.0
                why = (f"a page with almost no text ({plural(chars, 'character')}; "
                       f"an article has at least {MIN_ARTICLE_CHARS})")
            else:
                share = _index_share(page.body, page.final_url, article.paragraphs)
                why = (f"an index page (a homepage or section front: {share:.0%} of its text "
                       "is links) that advertises no feeds; add the site's feed URL instead, or "
                       "track its story list with `gitnews add --front URL`")
    except GitnewsError as exc:
        return AddResult(url, "failed", [], f"{none_of_these}: {exc}" + force)
    front = is_section_front(page.final_url)
    if article is not None and share < INDEX_LINK_SHARE and not (front and found):
        return AddResult(url, "article", [url], f"an article page: {article.headline}")
    if found:
        return AddResult(url, "feed", found, f"a page with {plural(len(found), 'feed')}: "
                         + ", ".join(found))
    return AddResult(url, "failed", [], f"{none_of_these}: {why}" + force
                     + offered_sitemaps(page.final_url, fetcher))


def classify_sitemap(url: str, page: Page) -> AddResult:
    """The result for a URL whose body is a sitemap (index): tracked as a sitemap, or
    "failed" when it cannot be parsed.  Only this file is read (an index's children
    are read by the runs)."""
    from gitnews.sources.sitemaps import parse_sitemap

    try:
        sitemap = parse_sitemap(page.body, url=page.final_url)
    except GitnewsError as exc:
        return AddResult(url, "failed", [], str(exc))
    if sitemap.kind == "index":
        what = f"a sitemap index of {plural(len(sitemap.children), 'sitemap')}"
    else:
        news = any(e.title or e.published_at for e in sitemap.entries)
        what = (f"a {'news ' if news else ''}sitemap with "
                f"{plural(len(sitemap.entries), 'URL')}")
    return AddResult(url, "sitemap", [url], what)


def offered_sitemaps(url: str, fetcher: Fetcher) -> str:
    """For a homepage without feeds: ``"; its robots.txt lists sitemaps: ... "``
    naming the ``Sitemap:`` lines of the site's robots.txt, or "" when it has none
    (or cannot be read)."""
    from gitnews.sources.robots import origin
    from gitnews.sources.sitemaps import robots_sitemaps

    try:
        page = fetcher.fetch(origin(url) + "/robots.txt")
    except GitnewsError:
        return ""
    if page.status != 200:
        return ""
    found = robots_sitemaps(page.body.decode("utf-8", errors="replace"))
    if not found:
        return ""
    shown = found[:5] + ([f"and {len(found) - 5} more"] if len(found) > 5 else [])
    return (f"; the site's robots.txt lists {plural(len(found), 'sitemap')}: "
            + ", ".join(shown) + " (track one with `gitnews add SITEMAP_URL`)")


def _index_share(body: bytes, url: str, paragraphs: Iterable[str]) -> float:
    """:func:`link_text_share` of the page's text extracted without the generic
    pruning (see :data:`INDEX_LINK_SHARE`); of ``paragraphs`` (the pruned
    extraction) when that extraction fails."""
    from gitnews.pagetext.extract import extract_article

    try:
        paragraphs = extract_article(body, url=url, generic_pruning=False).paragraphs
    except ExtractionError:
        pass
    return link_text_share(body, paragraphs)
