"""The URL a page declares for itself, read from its parsed HTML (pure).

:func:`declared_url` takes, in this order (issue 13; docs/archive-format.md,
"Redirects"):

1. ``<link rel="canonical" href>`` in the ``<head>`` (RFC 6596; like Google,
   a canonical link outside the head is not read);
2. only when the page has no canonical link: ``<meta property="og:url"
   content>`` in the ``<head>`` (the Open Graph protocol, ogp.me);
3. only when it has neither: the ``url`` (else ``mainEntityOfPage``) of the
   first article object of its JSON-LD (schema.org ``Article`` and its
   subtypes such as ``NewsArticle``, ``BlogPosting``), top level or in an
   ``@graph``.

trafilatura's own ``url`` takes ``og:url`` first (and then ``<base href>``),
so a page whose ``og:url`` is a short or stale address (``taz.de/!5655255/``,
``osthessen-news.de/n11752374/aritkel.html``) was filed under that instead of
its canonical link.

The value is returned as the page gives it (maybe relative; a relative one is
resolved against ``<base href>`` when the page has one); whether it names the
article is decided by :func:`gitnews.format.sites.article_url`.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin

from gitnews.pagetext.element import Element, JsonObject

__all__ = ["declared_url", "JSON_LD_MAX_CHARS"]

#: JSON-LD scripts longer than this (characters) are not parsed.
JSON_LD_MAX_CHARS = 1_000_000

_ARTICLE_TYPES = frozenset({"BlogPosting", "LiveBlogPosting", "SocialMediaPosting", "Report"})


def declared_url(tree: Element) -> str | None:
    """The URL page ``tree`` (an lxml HTML root element, e.g. from
    ``trafilatura.utils.load_html``) declares for itself, or None.

    See the module docstring for the order.  Never raises for odd markup or
    broken JSON-LD; the tree is not modified.
    """
    head = tree.find(".//head")
    url = None
    if head is not None:
        url = _canonical_link(head)
        if url is None:
            url = _og_url(head)
    if url is None:
        url = _json_ld_url(tree)
    if url is None:
        return None
    base = head.find(".//base[@href]") if head is not None else None
    base_href = (base.get("href") or "").strip() if base is not None else ""
    if base_href and "://" not in url and not url.startswith("//"):
        try:
            url = urljoin(base_href, url)
        except ValueError:
            pass
    return url


def _canonical_link(head: Element) -> str | None:
    for link in head.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            return href
    return None


def _og_url(head: Element) -> str | None:
    for meta in head.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name == "og:url" and content:
            return content
    return None


def _is_article(obj: JsonObject) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and (k.endswith("Article") or k in _ARTICLE_TYPES)
               for k in kinds)


def _objects(data: object) -> list[JsonObject]:
    """The top-level objects of one JSON-LD document, ``@graph`` items included."""
    items = data if isinstance(data, list) else [data]
    out: list[JsonObject] = []
    for item in items:
        if isinstance(item, dict):
            out.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                out += [g for g in graph if isinstance(g, dict)]
    return out


def _link_value(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@id") or value.get("url")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _json_ld_url(tree: Element) -> str | None:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text or ""
        if not text.strip() or len(text) > JSON_LD_MAX_CHARS:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        for obj in _objects(data):
            if _is_article(obj):
                url = _link_value(obj.get("url")) or _link_value(obj.get("mainEntityOfPage"))
                if url:
                    return url
    return None
