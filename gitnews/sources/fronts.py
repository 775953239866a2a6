"""Front pages (homepages, section fronts) -> their story lists.

A front's story list is the article links of the page with their headlines, in
page order.  Which links are stories:

* with a ``front`` selector in ``[sites."host"]`` (CSS, cssselect), the links
  inside the elements it matches (the story blocks), one story per block: the
  block's first link that :func:`looks_like_article` accepts, headlined by the
  block's first heading (``h1``-``h6``) when it has one, else by the link's text;
* without one, every link of the page that :func:`looks_like_article` accepts,
  headlined by its text (else its ``title`` attribute, else an image's ``alt``).

:func:`looks_like_article` keeps the links that look like article URLs: courlan
(``check_url`` with ``strict=True``: http(s), a valid domain, no
spam/adult/social-network or file URLs; ``is_navigation_page``: no tag, category,
page-N URLs; ``is_not_crawlable``: no login, feed or search URLs), and a path
that names one document: a number of 4 digits or more somewhere in it (an id, a
date) or a last segment with at least two ``-``/``_`` (a slug).  A link to the
front itself or to the site's root is never a story.  Links may point to other
sites (aggregators such as a "daily reporter" link out).

The archive keeps the list as a text file (:func:`gitnews.format.fronts.front_path`,
:meth:`Front.text`; docs/archive-format.md, "Front pages"): one line per story,
``headline — URL`` (an em dash between spaces), in page order, the line number
being the story's position; each distinct (headline, URL) pair once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import urljoin, urlsplit

from gitnews.errors import FeedError
from gitnews.format.fronts import SEPARATOR
from gitnews.format.urls import is_fetchable
from gitnews.models import FeedEntry

__all__ = ["Story", "Front", "parse_front", "looks_like_article", "MAX_STORIES",
           "article_page_signs", "FEW_ARTICLES"]

#: Most stories kept from one front (in page order).
MAX_STORIES = 500
#: A headline longer than this is cut (characters).
MAX_HEADLINE_CHARS = 300

_FILE_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|ico|pdf|mp3|mp4|m4a|mov|avi|zip|gz|css|js|"
                       r"json|xml|rss|atom|txt)$", re.IGNORECASE)
_PAGE_EXT = re.compile(r"\.(?:html?|shtml|stm|php|aspx?)$", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d{4,}")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass(frozen=True)
class Story:
    """One story of a front: ``position`` (1-based, page order), ``headline``, ``url``."""

    position: int
    headline: str
    url: str

    def line(self) -> str:
        """The story's line in the front's file (without the line break)."""
        return f"{self.headline}{SEPARATOR}{self.url}"


@dataclass
class Front:
    """A front's story list as read: ``source`` (the URL tracked), ``url`` (the
    final URL read), ``stories`` in page order, ``dropped`` stories past
    :data:`MAX_STORIES`."""

    source: str
    url: str
    stories: list[Story] = field(default_factory=list)
    dropped: int = 0

    def text(self) -> str:
        """The front's file: one ``headline — URL`` line per story, each ending in ``\\n``."""
        return "".join(s.line() + "\n" for s in self.stories)

    def entries(self) -> list[FeedEntry]:
        """The stories' articles as feed entries (each URL once, headline = its first story's)."""
        seen: dict[str, FeedEntry] = {}
        for s in self.stories:
            if s.url not in seen:
                seen[s.url] = FeedEntry(feed_url=self.source, link=s.url, title=s.headline)
        return list(seen.values())

    def describe(self) -> str:
        """``"a front with 12 stories (10 articles)"``."""
        n, arts = len(self.stories), len({s.url for s in self.stories})
        text = (f"a front with {n} {'story' if n == 1 else 'stories'} "
                f"({arts} {'article' if arts == 1 else 'articles'})")
        if self.dropped:
            text += f"; {self.dropped} more past the first {MAX_STORIES} left out"
        return text


def _is_ip(host: str) -> bool:
    try:
        ip_address(host.strip("[]"))
    except ValueError:
        return host == "localhost"
    return True


def looks_like_article(url: str, *, front_url: str | None = None) -> bool:
    """True when ``url`` (absolute) looks like an article's URL (see the module
    docstring); never for ``front_url`` itself or a site root.

    courlan refuses IP-address hosts (a test server on 127.0.0.1): for those its
    domain check is left out, the others apply.
    """
    import courlan

    if not is_fetchable(url):
        return False
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not _is_ip(host) and courlan.check_url(url, strict=True) is None:
        return False
    if courlan.is_navigation_page(url) or courlan.is_not_crawlable(url):
        return False
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return False
    if front_url is not None:
        front = urlsplit(front_url)
        if (front.hostname, front.path.rstrip("/"), front.query) == \
                (host, parts.path.rstrip("/"), parts.query):
            return False
    last = segments[-1]
    if _FILE_EXT.search(last):
        return False
    slug = _PAGE_EXT.sub("", last)
    return bool(_LONG_NUMBER.search(parts.path)) or slug.count("-") + slug.count("_") >= 2


def _clean(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text[:MAX_HEADLINE_CHARS - 1] + "\u2026" if len(text) > MAX_HEADLINE_CHARS else text


def _anchor_text(a: object) -> str:
    from lxml import html

    assert isinstance(a, html.HtmlElement)
    text = _clean(a.text_content())
    if not text:
        text = _clean(a.get("title"))
    if not text:
        for img in a.iter("img"):
            text = _clean(img.get("alt"))
            if text:
                break
    return text


def parse_front(body: bytes, *, url: str, source: str | None = None,
                selector: str | None = None) -> Front:
    """The story list of the front page ``body`` fetched from ``url`` (its final URL).

    ``source``: the URL as tracked (default ``url``); ``selector``: the CSS
    selector of the story blocks (``[sites."host"] front``).  Raises
    :class:`~gitnews.errors.FeedError` when the body is not HTML that lxml can
    read, or has no story at all (the message says what to try).
    """
    from lxml import etree, html

    try:
        try:  # UTF-8 (most pages, BOM or not); else lxml reads the bytes and their <meta charset>
            root = html.document_fromstring(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):  # ValueError: an XML encoding declaration
            root = html.document_fromstring(body)
    except (etree.ParserError, ValueError, TypeError) as exc:
        raise FeedError(f"front {url} is not a readable HTML page ({exc}); check the URL") \
            from None
    base = root.base_url or url
    for b in root.iter("base"):
        if b.get("href"):
            base = urljoin(url, b.get("href") or "")
            break
    front = Front(source=source or url, url=url)
    seen: set[tuple[str, str]] = set()

    def resolve(a: html.HtmlElement) -> str | None:
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            return None
        try:
            link = urljoin(base, href).split("#", 1)[0]
        except ValueError:
            return None
        return link if looks_like_article(link, front_url=url) else None

    def add(headline: str, link: str) -> None:
        if not headline or (headline, link) in seen:
            return
        if len(front.stories) >= MAX_STORIES:
            front.dropped += 1
            return
        seen.add((headline, link))
        front.stories.append(Story(len(front.stories) + 1, headline, link))

    if selector:
        try:
            blocks = root.cssselect(selector)
        except Exception as exc:  # cssselect.SelectorError, lxml's XPath errors
            raise FeedError(f"front {url}: the selector {selector!r} failed ({exc}); "
                            "fix [sites] front in gitnews.toml") from None
        for block in blocks:
            anchors = [block] if block.tag == "a" else list(block.iter("a"))
            for a in anchors:
                link = resolve(a)
                if link is None:
                    continue
                heading = next((h for h in block.iter(*_HEADINGS)), None)
                add(_clean(heading.text_content()) if heading is not None else _anchor_text(a),
                    link)
                break
    else:
        for a in root.iter("a"):
            link = resolve(a)
            if link is not None:
                add(_anchor_text(a), link)
    if not front.stories:
        hint = ("the selector matched no story block with an article link" if selector else
                "no link on it looks like an article URL")
        raise FeedError(f"front {url} has no stories: {hint}; check the URL, or name the "
                        'story blocks with a CSS selector: [sites."host"] front = "..."')
    return front


#: A front linking to fewer distinct articles than this looks like an article page
#: (its related-stories box), not a homepage or a section front.
FEW_ARTICLES = 5


def article_page_signs(body: bytes, front: Front) -> list[str]:
    """Why the page ``body`` read as the front ``front`` looks like one article
    rather than a front (for ``gitnews add --front`` to warn); empty when it does
    not.  The signs: Open Graph ``og:type`` = ``article`` (ogp.me, the type news
    sites give their article pages, and not their fronts), its own URL looking like
    an article's (:func:`looks_like_article`), and fewer than :data:`FEW_ARTICLES`
    articles linked.  (Not schema.org's JSON-LD: fronts often list their stories
    as ``NewsArticle`` items too.)"""
    from lxml import etree, html

    signs: list[str] = []
    try:
        root = html.document_fromstring(body)
    except (etree.ParserError, ValueError, TypeError):
        return signs
    for meta in root.iter("meta"):
        prop = (meta.get("property") or meta.get("name") or "").strip().lower()
        if prop == "og:type" and (meta.get("content") or "").strip().lower() == "article":
            signs.append("its og:type is article")
            break
    if looks_like_article(front.url):
        signs.append("its URL looks like an article's")
    articles = len({s.url for s in front.stories})
    if articles < FEW_ARTICLES:
        signs.append(f"it links to only {articles} article{'s' if articles != 1 else ''}")
    return signs

