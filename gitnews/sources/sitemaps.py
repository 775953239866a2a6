"""Sitemap bytes -> article entries (ultimate-sitemap-parser), and a site's sitemaps.

Reads what the sitemaps protocol (https://www.sitemaps.org/protocol.html)
defines: a sitemap (``<urlset>``), a sitemap index (``<sitemapindex>``, whose
``<sitemap><loc>`` children are sitemaps or, on some sites, indexes again), gzip
files of either, and the Google News extension
(https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap,
namespace ``http://www.google.com/schemas/sitemap-news/0.9``: ``news:title``,
``news:publication_date``, ``news:language``, ``news:keywords``), whatever prefix
the file binds to that namespace.

The parsing is ultimate-sitemap-parser's (``usp.tree.sitemap_from_str``, Media
Cloud's parser), given bytes that gitnews fetched itself: the one HTTP client
(:class:`~gitnews.sources.http.Fetcher`: robots.txt, pacing, size caps) asks for
every sitemap, and usp never goes on the network here.

Limits (the protocol's): a sitemap file holds at most :data:`MAX_URLS` URLs and
:data:`MAX_UNCOMPRESSED_BYTES` bytes uncompressed.  A file over the byte limit is
refused with an error naming it; URLs past the first :data:`MAX_URLS` are counted
and left out.  Indexes are followed :data:`MAX_DEPTH` levels deep, at most
:data:`MAX_CHILDREN` child sitemaps per read; a child that fails is reported by
URL and the others are read.  Of all the URLs of one read, the
:data:`~gitnews.sources.feeds.MAX_ENTRIES` most recent (by ``news:publication_date``,
else ``lastmod``; undated ones last, in file order) become entries, so that
adding a 50,000-URL archive sitemap does not make one run fetch 50,000 pages.
"""

from __future__ import annotations

import gzip
import io
import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.errors import FeedError, GitnewsError
from gitnews.format.urls import is_fetchable
from gitnews.models import FeedEntry
from gitnews.sources.feeds import MAX_ENTRIES, EntryList

if TYPE_CHECKING:
    from gitnews.models import Page

__all__ = ["SitemapEntry", "Sitemap", "SitemapRead", "looks_like_sitemap", "parse_sitemap",
           "read_sitemaps", "robots_sitemaps", "decompress", "MAX_URLS",
           "MAX_UNCOMPRESSED_BYTES", "MAX_DEPTH", "MAX_CHILDREN"]

#: Most URLs in one sitemap file (sitemaps protocol).
MAX_URLS = 50_000
#: Largest sitemap file, uncompressed, in bytes (sitemaps protocol: 50 MiB).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
#: How many levels of sitemap indexes are followed below the one given (an index
#: naming an index naming sitemaps is 2).
MAX_DEPTH = 2
#: Most child sitemaps fetched in one read of a source (all levels together).
MAX_CHILDREN = 50

_GZIP_MAGIC = b"\x1f\x8b"
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex)[\s/>]")
#: What may come before the root element: white space, the XML declaration, processing
#: instructions (an XSL stylesheet), comments, a DOCTYPE.
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.S)


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` of a sitemap: ``url`` (absolute http(s)), ``lastmod`` (UTC or
    None), and from a Google News ``<news:news>``: ``title``, ``published_at`` (UTC;
    a date without a time is midnight UTC), ``language`` (ISO 639 code as written),
    ``keywords`` (as listed, comma-separated in the file)."""

    url: str
    lastmod: datetime | None = None
    title: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    keywords: tuple[str, ...] = ()

    def feed_entry(self, source: str) -> FeedEntry:
        """The entry as a feed's (``feed_url`` = the sitemap ``source`` as tracked)."""
        return FeedEntry(feed_url=source, link=self.url, title=self.title,
                         published_at=self.published_at or self.lastmod)


@dataclass
class Sitemap:
    """One parsed sitemap file: ``kind`` "urlset" or "index"; ``entries`` its
    URLs (urlset, in file order, without repeats, at most :data:`MAX_URLS`);
    ``children`` the sitemaps an index names; ``skipped`` URLs that were not
    usable http(s) URLs or repeated; ``truncated`` URLs past :data:`MAX_URLS`."""

    url: str
    kind: str
    entries: list[SitemapEntry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    skipped: int = 0
    truncated: int = 0


@dataclass
class SitemapRead:
    """What one read of a sitemap source gave: ``entries`` (an
    :class:`~gitnews.sources.feeds.EntryList` of at most ``MAX_ENTRIES``),
    ``files`` the sitemap files read, ``errors`` one message per child sitemap
    that could not be read, ``news`` True when any URL had ``news:`` data,
    ``total`` the URLs found before the ``MAX_ENTRIES`` cut."""

    entries: EntryList
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    news: bool = False
    total: int = 0

    def describe(self) -> str:
        """``"a news sitemap: 10 entries"``, with the files and failures."""
        what = "a news sitemap" if self.news else "a sitemap"
        if len(self.files) > 1:
            what = f"a sitemap index ({len(self.files) - 1} sitemaps read)"
        text = f"{what}: {self.entries.describe()}"
        if self.total > len(self.entries) + self.entries.truncated:
            text += f"; {self.total:,} URLs in all, the {len(self.entries)} most recent kept"
        if self.errors:
            text += f"; {len(self.errors)} failed: " + "; ".join(self.errors[:3])
        return text


def decompress(body: bytes, *, url: str) -> bytes:
    """``body`` gunzipped when it is gzip data (magic bytes 1f 8b), else as is.

    Raises :class:`~gitnews.errors.FeedError` when the data is not valid gzip or
    is larger than :data:`MAX_UNCOMPRESSED_BYTES` uncompressed (read in bounded
    steps: a "zip bomb" never fills memory).
    """
    if not body.startswith(_GZIP_MAGIC):
        if len(body) > MAX_UNCOMPRESSED_BYTES:
            raise FeedError(f"sitemap {url} is {len(body):,} bytes, over the sitemaps "
                            f"protocol's {MAX_UNCOMPRESSED_BYTES:,}; ask the site to split it")
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
            while chunk := f.read(1 << 20):
                out.write(chunk)
                if out.tell() > MAX_UNCOMPRESSED_BYTES:
                    raise FeedError(f"sitemap {url} is over {MAX_UNCOMPRESSED_BYTES:,} bytes "
                                    "uncompressed (the sitemaps protocol's limit); ask the "
                                    "site to split it")
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedError(f"sitemap {url} is not valid gzip data ({exc}); check the URL") from None
    return out.getvalue()


def looks_like_sitemap(body: bytes) -> bool:
    """Cheap check: is ``body`` (maybe gzip) an XML sitemap or sitemap index (its root
    element ``<urlset>`` or ``<sitemapindex>``, in any namespace prefix)?"""
    if body.startswith(_GZIP_MAGIC):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
                body = f.read(4096)
        except (OSError, EOFError, zlib.error):
            return False
    head = body[:4096].removeprefix(b"\xef\xbb\xbf")
    start = _PROLOG.match(head)
    return _ROOT.match(head, start.end() if start else 0) is not None


def _utc(value: datetime | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value if value <= now else None


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("latin-1")


class _Collect(logging.Handler):
    """The messages of the ERROR records ultimate-sitemap-parser logs during a parse."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def parse_sitemap(body: bytes, *, url: str) -> Sitemap:
    """Parse one sitemap file fetched from ``url`` (gzip or not).

    Returns a :class:`Sitemap` of kind "urlset" or "index".  Dates in the future
    are dropped (as feed dates are).  Raises :class:`~gitnews.errors.FeedError`
    when the body is not an XML sitemap or index, or is over the protocol's size.
    """
    from usp.objects.sitemap import (
        AbstractIndexSitemap,
        AbstractPagesSitemap,
        InvalidSitemap,
    )
    from usp.tree import sitemap_from_str

    data = decompress(body, url=url)
    if not looks_like_sitemap(data):
        raise FeedError(f"{url} is not an XML sitemap (no <urlset> or <sitemapindex>); "
                        "check the URL")
    usp_log = logging.getLogger("usp")
    usp_log.setLevel(logging.ERROR)  # it warns per odd URL; we count them
    # usp reports a document that breaks off (a truncated download, malformed XML) only
    # in its log, and returns what it read before: an empty sitemap.  Its errors are
    # caught here, so that such a sitemap fails instead of reading as one without URLs.
    errors = _Collect()
    usp_log.addHandler(errors)
    propagate, usp_log.propagate = usp_log.propagate, False
    try:
        parsed = sitemap_from_str(_text(data))
    except Exception as exc:  # usp raises its own and expat's errors
        raise FeedError(f"sitemap {url} could not be parsed ({exc.__class__.__name__}: "
                        f"{str(exc)[:200]}); check the URL") from None
    finally:
        usp_log.removeHandler(errors)
        usp_log.propagate = propagate
    if errors.messages:
        why = errors.messages[0].rsplit(" failed: ", 1)[-1][:200]
        raise FeedError(f"sitemap {url} could not be parsed ({why}); it may be cut short or "
                        "not well-formed XML: check the URL, the next run reads it again")
    if isinstance(parsed, InvalidSitemap):
        raise FeedError(f"sitemap {url} could not be parsed ({parsed.reason}); check the URL")
    now = datetime.now(UTC)
    if isinstance(parsed, AbstractIndexSitemap):
        out = Sitemap(url=url, kind="index")
        for child in parsed.sub_sitemaps:
            if is_fetchable(child.url) and child.url not in out.children:
                out.children.append(child.url)
            else:
                out.skipped += 1
        return out
    out = Sitemap(url=url, kind="urlset")
    seen: set[str] = set()
    pages = parsed.pages if isinstance(parsed, AbstractPagesSitemap) else []
    for page in pages:
        link = (page.url or "").strip()
        if not link or not is_fetchable(link) or link in seen:
            out.skipped += 1
            continue
        if len(out.entries) >= MAX_URLS:
            out.truncated += 1
            continue
        seen.add(link)
        news = page.news_story
        title = " ".join(news.title.split()) if news is not None and news.title else None
        out.entries.append(SitemapEntry(
            url=link, lastmod=_utc(page.last_modified, now), title=title or None,
            published_at=_utc(news.publish_date, now) if news is not None else None,
            language=(news.publication_language or None) if news is not None else None,
            keywords=tuple(news.keywords) if news is not None else ()))
    return out


def read_sitemaps(url: str, fetch: Callable[[str], Page], *, first: Page | None = None,
                  max_depth: int = MAX_DEPTH, max_children: int = MAX_CHILDREN) -> SitemapRead:
    """Read the sitemap source ``url``: the file, and when it is an index its
    children (depth first, in file order), with ``fetch`` (the Fetcher's).

    ``first`` is the response for ``url`` when already fetched.  Returns a
    :class:`SitemapRead`.  Raises :class:`~gitnews.errors.FeedError` (or what
    ``fetch`` raises) for ``url`` itself; a child that fails becomes one message
    in ``errors``, and the read goes on.
    """
    page = first if first is not None else fetch(url)
    root = parse_sitemap(page.body, url=page.final_url)
    read = SitemapRead(entries=EntryList(), files=[url])
    found: list[SitemapEntry] = []
    skipped = truncated = 0
    queue: list[tuple[Sitemap, int]] = [(root, 0)]
    done = {url, page.final_url}
    children = 0
    while queue:
        sitemap, depth = queue.pop(0)
        skipped += sitemap.skipped
        truncated += sitemap.truncated
        found.extend(sitemap.entries)
        for child in sitemap.children:
            if child in done:
                continue
            done.add(child)
            if depth >= max_depth:
                read.errors.append(f"{child}: nested deeper than {max_depth} index levels, "
                                   "not read (add it as a source of its own)")
                continue
            if children >= max_children:
                read.errors.append(f"{len(sitemap.children) - sitemap.children.index(child)} "
                                   f"more sitemaps past the first {max_children} not read; "
                                   "add the ones you want as sources of their own")
                break
            children += 1
            try:
                got = fetch(child)
                queue.append((parse_sitemap(got.body, url=got.final_url), depth + 1))
                read.files.append(child)
            except GitnewsError as exc:
                read.errors.append(f"{child}: {exc}")
    unique: dict[str, SitemapEntry] = {}
    for e in found:
        if e.url in unique:
            skipped += 1
        else:
            unique[e.url] = e
    read.total = len(unique)
    read.news = any(e.title or e.published_at for e in unique.values())
    order = list(unique.values())

    def recency(i: int) -> tuple[int, float, int]:
        when = order[i].published_at or order[i].lastmod
        return (0, -when.timestamp(), i) if when is not None else (1, 0.0, i)

    ranked = sorted(range(len(order)), key=recency)
    keep = sorted(ranked[:MAX_ENTRIES])  # the most recent, back in file order
    read.entries.extend(order[i].feed_entry(url) for i in keep)
    read.entries.skipped = skipped
    read.entries.truncated = truncated
    return read


def robots_sitemaps(robots_txt: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt text (protego; RFC 9309 leaves them to
    the sitemaps protocol), http(s) only, each once, in file order."""
    from protego import Protego

    try:
        urls = list(Protego.parse(robots_txt).sitemaps)
    except Exception:
        return []
    return [u for u in dict.fromkeys(u.strip() for u in urls) if is_fetchable(u)]
