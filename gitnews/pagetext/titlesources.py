"""The title sources of a parsed page (pure; no I/O): its visible ``<h1>`` elements
(with what surrounds each: logo, page header, sidebar, the article), its
``<meta>`` titles, the headline and site names of its JSON-LD, and the brand
of its own host.

:mod:`gitnews.pagetext.headline` chooses line 1 from them (the rules are in
its docstring).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gitnews.pagetext.element import Element, JsonObject
from gitnews.pagetext.sitename import clean_line, is_site_name

__all__ = ["H1", "describe_h1", "host_brands", "json_ld", "meta_values", "visible_text"]

# Parts of a class or id (split at "-", "_" and case changes) that name a logo or a
# block beside the article.
_LOGO_PARTS = frozenset(("logo", "logos", "masthead", "branding", "sitename", "sitetitle", "sitelogo"))
_LOGO_PAIRS = frozenset((("site", "title"), ("site", "name"), ("site", "logo"), ("navbar", "brand"),
                         ("header", "brand")))
_WEAK_TAGS = frozenset(("nav", "aside", "footer"))
_WEAK_PARTS = frozenset(("sidebar", "widget", "widgets", "breadcrumb", "breadcrumbs", "related",
                         "channel", "menu", "navbar", "nav", "navigation", "footer", "promo", "teaser",
                         "teasers", "recommended", "recommendations", "trending", "mostread",
                         "mostpopular"))
_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_HEADER = re.compile(r"^(?:site-?|page-?|global-?|top-?)?header$", re.IGNORECASE)
_HIDDEN_CLASSES = frozenset(("sr-only", "screen-reader-text", "visually-hidden", "visuallyhidden",
                             "hidden", "element-invisible", "a11y-hidden", "u-hidden"))
_SKIP = frozenset(("script", "style", "noscript", "template", "svg", "button", "select", "input",
                   "textarea", "iframe", "object", "title", "rt", "rp"))
_BLOCK = frozenset(("br", "div", "p", "section", "header", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
                    "li", "dl", "dt", "dd", "figure", "figcaption", "table", "tr", "td", "th",
                    "blockquote", "hr", "time"))
_ARTICLE_TYPES = ("article", "blogposting", "report", "liveblogposting", "socialmediaposting",
                  "scholarlyarticle", "techarticle", "newsarticle", "analysisnewsarticle",
                  "opinionnewsarticle", "reportagenewsarticle", "reviewnewsarticle",
                  "backgroundnewsarticle", "askpublicnewsarticle", "satiricalarticle")
_SITE_TYPES = ("organization", "newsmediaorganization", "website", "corporation")
_MAX_H1_CHARS = 400
# Left out without separating the text around them (ruby annotations, code).
_SILENT = frozenset(("rt", "rp", "script", "style", "noscript", "template"))
# Class parts of a kicker or label set on a line of its own (by CSS, which is not read).
_KICKER_PARTS = frozenset(("overline", "kicker", "dachzeile", "topline", "roofline", "eyebrow",
                           "supertitle", "superline", "subheadline", "flag", "label"))


def _classes(elem: Element) -> list[str]:
    ident = elem.get("id")
    return (elem.get("class") or "").split() + ([ident] if ident else [])


def _parts(name: str) -> list[str]:
    return [p.lower() for p in _PARTS.findall(name)]


def _names_logo(names: Iterable[str]) -> bool:
    for name in names:
        parts = _parts(name)
        if any(p in _LOGO_PARTS for p in parts) \
                or any(pair in _LOGO_PAIRS for pair in zip(parts, parts[1:], strict=False)) \
                or name.lower() == "brand":
            return True
    return False


def _names_weak(names: Iterable[str]) -> bool:
    for name in names:
        parts = _parts(name)
        if any(p in _WEAK_PARTS for p in parts) or any(
                pair in (("most", "read"), ("most", "popular"))
                for pair in zip(parts, parts[1:], strict=False)):
            return True
    return False


def _hidden(elem: Element) -> bool:
    if elem.get("hidden") is not None:
        return True
    style = (elem.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    return any(c.lower() in _HIDDEN_CLASSES for c in (elem.get("class") or "").split())


def _marked_headline(elem: Element) -> bool:
    if (elem.get("itemprop") or "").strip().lower() == "headline":
        return True
    return any(c == "headline" or c.endswith(("-headline", "_headline"))
               for c in (elem.get("class") or "").lower().split())


def _walk_text(elem: Element, out: list[str], *, top: bool) -> None:
    tag = elem.tag if isinstance(elem.tag, str) else ""
    skip = not tag or tag.lower() in _SKIP or _hidden(elem) or (
        tag.lower() == "a" and (elem.get("href") or "").strip().lower().startswith(("#", "javascript:"))) \
        or (elem.get("role") or "").lower() == "button"
    if not skip or top:
        block = tag.lower() in _BLOCK or any(
            p in _KICKER_PARTS for n in _classes(elem) for p in _parts(n))
        if block:
            out.append(" ")
        if elem.text and tag:
            out.append(elem.text)
        for child in elem:
            _walk_text(child, out, top=False)
        if block:
            out.append(" ")
    elif tag and tag.lower() not in _SILENT:
        out.append(" ")  # a control or hidden text between two words separates them
    if not top and elem.tail:
        out.append(elem.tail)


def visible_text(elem: Element) -> str:
    """The text of ``elem`` (an ``<h1>``) as displayed, one clean line (rules
    in the module docstring); ``""`` when nothing shows."""
    out: list[str] = []
    try:
        _walk_text(elem, out, top=True)
    except RecursionError:  # a hostile nesting depth: the plain text
        out = [" ".join(elem.itertext())]
    return clean_line("".join(out))


def meta_values(tree: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        value = clean_line(meta.get("content"))
        if key and value and key not in found:
            found[key] = value
    return found


def _json_objects(value: object, out: list[JsonObject], depth: int = 0) -> None:
    if depth > 8:
        return
    if isinstance(value, list):
        for item in value:
            _json_objects(item, out, depth + 1)
    elif isinstance(value, dict):
        out.append(value)
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "item"):
            if key in value:
                _json_objects(value[key], out, depth + 1)


def _types(obj: JsonObject) -> list[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return [x.rsplit("/", 1)[-1].lower() for x in items if isinstance(x, str)]


def _name(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return clean_line(value)


def json_ld(tree: Element) -> tuple[list[str], list[str]]:
    """(article headlines, site names) of the page's JSON-LD."""
    objects: list[JsonObject] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").split(";")[0].strip().lower() != "application/ld+json":
            continue
        text = (script.text or "").strip()
        if text.startswith("<!--"):
            text = text[4:].rsplit("-->", 1)[0]
        try:
            _json_objects(json.loads(text, strict=False), objects)
        except (ValueError, RecursionError):
            continue
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    headlines: list[str] = []
    sites: list[str] = []
    for obj in objects:
        types = _types(obj)
        if any(t in _ARTICLE_TYPES for t in types):
            head = clean_line(obj.get("headline"))
            if head:
                headlines.append(head)
            publisher = obj.get("publisher")
            if isinstance(publisher, dict) and set(publisher) <= {"@id", "@type"}:
                publisher = by_id.get(publisher.get("@id"), publisher)
            if name := _name(publisher):
                sites.append(name)
        elif any(t in _SITE_TYPES for t in types):
            if name := _name(obj.get("name")):
                sites.append(name)
    return headlines, sites


def host_brands(urls: Iterable[str]) -> list[str]:
    from tld import get_fld

    brands = []
    for url in urls:
        if not url or "://" not in url:
            continue
        try:
            fld = get_fld(url.strip(), fail_silently=True)
        except Exception:
            fld = None
        if fld:
            brands.append(fld.split(".", 1)[0])
            brands.append(fld)
    return brands


@dataclass
class H1:
    text: str
    index: int
    logo: bool
    weak: bool
    in_article: bool
    marked: bool
    score: float = 0.0


def describe_h1(h1: Element, index: int, site_names: Sequence[str], front_pages: set[str]) -> H1 | None:
    if _hidden(h1):
        return None
    text = visible_text(h1)
    if not text or len(text) > _MAX_H1_CHARS:
        return None
    logo = weak = in_article = in_header = False
    for anc in h1.iterancestors():
        tag = anc.tag.lower() if isinstance(anc.tag, str) else ""
        if _hidden(anc):
            return None
        if tag in ("body", "html"):  # their classes describe the page, not a block
            break
        names = _classes(anc)
        if _names_logo(names):
            logo = True
        if tag in ("article", "main") or (anc.get("role") or "").lower() == "main" \
                or (anc.get("itemprop") or "").lower() == "articlebody" \
                or any(t in (anc.get("itemtype") or "").lower() for t in ("article", "blogposting")):
            in_article = True
        if tag in _WEAK_TAGS or _names_weak(names):
            weak = True
        if tag == "header" or any(_HEADER.match(n) for n in names):
            in_header = True
    weak = weak or (in_header and not in_article)  # a page header, not the article's
    if _names_logo(_classes(h1)) or is_site_name(text, site_names):
        logo = True
    links = [a.get("href", "").strip() for a in h1.iter("a")]
    if links and all(_front_page(href, front_pages) for href in links):
        logo = True
    return H1(text=text, index=index, logo=logo, weak=weak, in_article=in_article,
               marked=_marked_headline(h1))


def _front_page(href: str, front_pages: set[str]) -> bool:
    href = href.strip()
    if href in ("/", "./", "."):
        return True
    m = re.match(r"^(?:https?:)?//([^/?#]+)/?$", href, re.IGNORECASE)
    return m is not None and (not front_pages or m.group(1).lower().removeprefix("www.") in front_pages)
