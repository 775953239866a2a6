"""Feed bytes -> :class:`~gitnews.models.FeedEntry` list (feedparser), and
feed discovery on a site's homepage (trafilatura's ``determine_feed``).

feedparser reads RSS 0.9x/1.0/2.0 and Atom 0.3/1.0; JSON Feed 1.0/1.1
(https://jsonfeed.org/version/1.1), which feedparser 6 does not read, is read
here from its ``items`` (``url``, else ``external_url``, else an http(s) ``id``).  A feed
with XML errors ("bozo") is still read when feedparser recovered entries from
it.  Relative links resolve against the feed's final URL and ``xml:base``
(feedparser does this when given the URL as ``Content-Location``).  Entry
dates that fail to parse or lie in the future are ignored.

Hostile feeds: external entities are never loaded (feedparser turns off
expat's ``feature_external_ges``), and a feed that declares entities in its
DOCTYPE has its prolog removed before parsing (:func:`_defuse`), because
feedparser's own stripping (``sanitizer.replace_doctype``) only sees
declarations at the start of a line, and entity expansion ("billion laughs")
is then bounded only by the expat version's amplification limit (2.4.0 and
later).  At most :data:`MAX_ENTRIES` entries of one feed are read.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from gitnews.errors import FeedError
from gitnews.format.urls import is_fetchable
from gitnews.models import FeedEntry

__all__ = ["parse_feed", "discover_feeds", "looks_like_feed", "EntryList", "MAX_ENTRIES"]

#: Bodies larger than this are not handed to feedparser (bytes).
MAX_FEED_BYTES = 20_000_000

#: Most entries read from one feed (in feed order): a broken or hostile feed
#: with a million items must not make one run fetch a million pages.
MAX_ENTRIES = 1000


class EntryList(list[FeedEntry]):
    """The entries :func:`parse_feed` returns (a list of FeedEntry), with what it left out:
    ``skipped`` entries had no usable http(s) link (none, another scheme, or a
    duplicate); ``truncated`` entries came after the first :data:`MAX_ENTRIES`."""

    skipped: int = 0
    truncated: int = 0

    def describe(self) -> str:
        """``"12 entries"`` (``"1 entry"``), plus what was left out and why."""
        text = f"{len(self)} {'entry' if len(self) == 1 else 'entries'}"
        if self.skipped:
            text += f"; {self.skipped} without a usable http(s) link or repeated, skipped"
        if self.truncated:
            text += f"; {self.truncated} more beyond the first {MAX_ENTRIES} ignored"
        return text


_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|(?:[A-Za-z_][\w.-]*:)?rdf)[\s/>]", re.IGNORECASE)
_XML_DECL = re.compile(rb"\s*(<\?xml[^>]{0,200}\?>)")


def _defuse(body: bytes, url: str) -> bytes:
    """Remove the prolog (DOCTYPE) of a feed that declares XML entities in it.

    Entity declarations can only come before the root element; the XML
    declaration (which may name the encoding) is kept.  Raises FeedError when
    the body declares entities and has no feed root element at all.
    """
    first = _ENTITY_DECL.search(body)
    if first is None:
        return body
    root = _FEED_ROOT.search(body)
    if root is not None and root.start() < first.start():
        return body  # "<!ENTITY" inside the content is text, not a declaration
    if root is None:
        raise FeedError(f"{url} declares XML entities and is not an RSS, RDF or Atom feed; "
                        "gitnews does not expand entities (entity-expansion and external-entity "
                        "attacks); check the URL")
    decl = _XML_DECL.match(body)
    return (decl.group(1) if decl else b"") + b"\n" + body[root.start():]


def looks_like_feed(body: bytes, content_type: str | None = None) -> bool:
    """Cheap check: is ``body`` a feed (XML rss/feed/rdf root or a JSON Feed)?"""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in ("application/rss+xml", "application/atom+xml", "application/feed+json",
                 "application/rdf+xml"):
        return True
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"{"):
        return b"jsonfeed.org" in head
    return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))


#: What an entry gives before checks: (link, id, title, published_at).
_RawEntry = tuple[str | None, str | None, str | None, datetime | None]


def _entry_date(entry: dict[str, Any], now: datetime) -> datetime | None:  # a FeedParserDict
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # plain lookup: no feedparser key aliasing
        if value:
            try:
                dt = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
            return dt if dt <= now else None
    return None


def parse_feed(body: bytes, *, url: str) -> EntryList:
    """Parse feed ``body`` fetched from ``url`` (its final URL after redirects).

    Returns the entries that have an http(s) link, in feed order, without
    duplicates (same link).  An entry without ``link`` uses its id when that
    is an http(s) URL (RSS ``guid isPermaLink``).  Raises
    :class:`~gitnews.errors.FeedError` when nothing usable is in the body.
    """
    import feedparser

    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"feed {url} is {len(body):,} bytes, over {MAX_FEED_BYTES:,}; "
                        "is the URL really a feed?")
    if body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _dedupe(url, _json_feed_items(body, url=url))
    parsed = feedparser.parse(_defuse(body, url), response_headers={"content-location": url})
    if parsed.get("bozo") and not parsed.get("entries"):
        exc = parsed.get("bozo_exception")
        raise FeedError(f"{url} is not a readable feed ({exc.__class__.__name__}: {exc}); "
                        "check the URL or ask the site for its feed address")
    if not parsed.get("version") and not parsed.get("entries"):
        raise FeedError(f"{url} is not a feed (no RSS, Atom or JSON Feed found); "
                        "give the feed's own URL, or the homepage to discover feeds")
    now = datetime.now(UTC)
    raw: list[_RawEntry] = [
        (entry.get("link"), entry.get("id"), entry.get("title"), _entry_date(entry, now))
        for entry in parsed.get("entries", [])]
    return _dedupe(url, raw)


def _json_feed_items(body: bytes, *, url: str) -> list[_RawEntry]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: [[[[...
        raise FeedError(f"{url} is not a readable JSON Feed ({str(exc)[:200]}); "
                        "check the URL") from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or "jsonfeed.org" not in str(data.get("version", "")):
        raise FeedError(f"{url} is JSON but not a JSON Feed (no version/items); check the URL")
    now = datetime.now(UTC)
    raw: list[_RawEntry] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        date: datetime | None = None
        published = item.get("date_published") or item.get("date_modified")
        if isinstance(published, str):
            try:
                date = datetime.fromisoformat(published.replace("Z", "+00:00"))
                date = date.astimezone(UTC) if date.tzinfo else None
            except ValueError:
                date = None
        if date is not None and date > now:
            date = None
        link = item.get("url") or item.get("external_url")
        raw.append((link if isinstance(link, str) else None,
                    str(item["id"]) if item.get("id") is not None else None,
                    item.get("title") if isinstance(item.get("title"), str) else None, date))
    return raw


def _dedupe(url: str, raw: list[_RawEntry]) -> EntryList:
    entries = EntryList()
    seen: set[str] = set()
    for link, entry_id, title, published_at in raw:
        link = link.strip() if isinstance(link, str) else ""
        entry_id = (entry_id.strip() if isinstance(entry_id, str) else "") or None
        if not link and entry_id and is_fetchable(entry_id):
            link = entry_id
        try:
            link = urljoin(url, link) if link else ""
        except ValueError:  # e.g. an invalid IPv6 literal
            link = ""
        if not link or not is_fetchable(link) or link in seen:
            entries.skipped += 1
            continue
        if len(entries) >= MAX_ENTRIES:
            entries.truncated += 1
            continue
        seen.add(link)
        entries.append(FeedEntry(feed_url=url, link=link, entry_id=entry_id,
                                 title=" ".join(title.split()) if title else None,
                                 published_at=published_at))
    return entries


def discover_feeds(body: bytes, *, url: str) -> list[str]:
    """Find the feed URLs a homepage advertises (``<link rel="alternate">``,
    then feed-looking ``<a>`` links), with trafilatura's ``determine_feed``.

    Returns absolute http(s) URLs, possibly none.
    """
    from trafilatura.feeds import FeedParameters, determine_feed

    try:
        html = body.decode("utf-8")
    except UnicodeDecodeError:
        html = body.decode("latin-1")
    host = urlsplit(url).hostname or ""
    params = FeedParameters(url, host, url)
    return [u for u in determine_feed(html, params) if is_fetchable(u)]
