"""The headline of an article page: the one a reader sees (pure; no I/O).

:func:`page_titles` reads the title sources of a parsed page and chooses line 1
of the archive file.  Why: ``og:title`` (the *social* title) and ``<title>``
(the *SEO* title) are often written and changed apart from the visible
headline, and they carry the site's name ("… | WIRED"); a headline read from
them missed real rewrites of the visible headline and made versions of changes
nobody sees (issue 13, items 1 and 2).

Rules, and where they come from:

* **Sources.**  Every visible ``<h1>``; the ``headline`` of the page's JSON-LD
  article (schema.org ``Article``, ``NewsArticle``, ``BlogPosting``, ... ; in a
  list or an ``@graph`` too; when several, the one nearest to the other
  titles); ``<meta name="headline">`` (old BBC pages); ``og:title`` (Open
  Graph protocol);
  ``twitter:title`` (Twitter/X cards); ``<title>`` (HTML).
* **Site names** (:func:`strip_site_name`): ``og:site_name``, the JSON-LD
  ``publisher`` name and ``Organization``/``WebSite`` names,
  ``application-name``, the ``twitter:site`` handle without ``@``, and the
  page's *host brand*: the first label of the registrable domain of its own
  ``og:url`` or ``rel=canonical`` (``japantimes`` for
  ``www.japantimes.co.jp``; Public Suffix List, via ``tld``).  This is the
  part a host repeats on all its pages, learned from the one page.  A title
  segment is the site's name when, letters and digits compared without case,
  it equals a site name, contains one with at most 4 more characters ("The
  Japan Times" for ``japantimes``, "SpaceNews.com") or is a part of one at
  least half as long ("日本経済新聞" of "日本経済新聞 電子版").  Segments are
  separated by ``-``, ``–``, ``—``, ``·``, ``•``, ``»`` (with spaces around),
  ``|``, ``｜``, ``::``, or a colon (``:`` then a space, ``：``); the site's
  name is removed from either end (a colon only ends a title: "Brexit: ..."
  is not a site name), never leaving nothing.
* **Agreement** (:func:`similarity`): the Dice coefficient of the two word sets
  (words casefolded, NFKC; each Han, kana or Hangul character a word of its
  own, as those scripts do not separate words).  An ``<h1>`` *agrees* with the
  titles when its similarity with one of them (site names removed) is at least
  :data:`AGREES`.
* **Which ``<h1>``.**  Never one that is hidden (``hidden``,
  ``display:none``, screen-reader-only classes; ``aria-hidden`` hides from
  screen readers only) or *the site's logo*: inside an element whose class or
  id names a logo, brand, masthead or site title, whose text is a site name,
  or whose only link goes to the site's front page.  Of the others: the
  agreeing ones first, preferring one that is not in a page header,
  navigation, sidebar, footer or teaser block, then the most similar, inside
  the article (``<article>``, ``<main>``, schema.org ``articleBody``), marked
  as the headline, first in the page.  An ``<h1>``
  that agrees with no title is taken only when the page has no title sources,
  or it is outside those blocks and is not a label (one or two words sharing
  none with the titles): the newsroom's visible headline differs from its SEO
  title, as it often does.
* **Text of an ``<h1>``** (:func:`visible_text`): what is displayed, block
  elements, ``<br>`` and kicker elements (class ``overline``, ``kicker``,
  ``dachzeile``, ``eyebrow``, ...) separated by a space; scripts, styles,
  ruby readings (``<rt>``), hidden elements, buttons and in-page links
  (``href="#..."``, "Add to ...") left out.  A kicker inside the ``<h1>``
  (tagesschau.de, Tagesspiegel, The Economist) is part of the headline a
  reader sees, so it is part of line 1.
* **Fallbacks** without a usable ``<h1>``: JSON-LD ``headline``,
  ``<meta name="headline">``, ``og:title``, ``twitter:title``, ``<title>``,
  each with the site's name removed.
* **Social and SEO titles** (:attr:`PageTitles.social_title`,
  :attr:`PageTitles.seo_title`): ``og:title`` (else ``twitter:title``) and
  ``<title>`` as the page gives them (one line), kept only when they are
  not the headline with labels (:func:`is_decorated`: site name removed, the
  words compared as in :func:`same_words`, section names around them
  ignored): only a title worded otherwise is a title of its own.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["AGREES", "RULES", "PageTitles", "page_titles", "strip_site_name", "is_site_name",
           "similarity", "same_words", "is_decorated", "visible_text", "clean_line"]

#: The version of these rules.  It is part of the fingerprint of every extracted
#: text (:mod:`gitnews.ops.run`), so that after a change to them each page is fetched
#: in full once (not answered 304): a new line 1 of a page whose bytes did not
#: change is committed then as ``Change-Kind: extraction``, not later beside a
#: real edit as if the newsroom had changed the headline.
RULES = "headline 1"

#: Similarity (:func:`similarity`) from which an ``<h1>`` agrees with a title.
AGREES = 0.5

# Han, kana, Hangul: scripts without spaces between words; each character is a word.
_CJK = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_ALNUM = re.compile(r"[\W_]+")
# A separator between a title and the site's name.  Group 1: one that may end a
# title only (a colon); group 2: the others.
_SEP = re.compile(r"(\s*：\s*|(?<!:):\s+)|(\s*::\s*|\s+[|\-–—·•»]\s+|\s*｜\s*|\s*\|\s*)")
_SEP_CHARS = " \t|-–—·•»｜：:"
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


@dataclass(frozen=True)
class PageTitles:
    """The titles of one page.

    ``headline``: line 1, chosen as the module docstring says (one clean line),
    or None when the page has no usable title at all.  ``source``: where it came
    from: ``"h1"``, ``"json-ld"``, ``"meta-headline"``, ``"og:title"``,
    ``"twitter:title"`` or ``"title"`` (None with no headline).
    ``social_title`` / ``seo_title``: ``og:title`` (else ``twitter:title``) and
    ``<title>`` as the page gives them, or None when missing or when their words
    are the headline's (site name removed).  ``site_names``: what the page says
    its site is called (see the module docstring), in the order found.
    """

    headline: str | None
    source: str | None
    social_title: str | None = None
    seo_title: str | None = None
    site_names: tuple[str, ...] = ()


def clean_line(text: object) -> str:
    """``text`` as one line: entities left in it unescaped, white space
    collapsed, NFC; ``""`` for anything that is not a string."""
    if not isinstance(text, str):
        return ""
    if "&" in text:
        text = html.unescape(text)
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text) if not text.isascii() else text


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the word sets of ``a`` and ``b``: 0.0 (no word in
    common, or one has no words) to 1.0 (the same words).  Symmetric."""
    wa, wb = set(_words(a)), set(_words(b))
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def same_words(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are the same words in the same order (case,
    punctuation, quotes and white space aside)."""
    return _words(a) == _words(b)


def _key(text: str) -> str:
    """Letters and digits only, casefolded, without accents ("Aktuálně.cz" -> "aktualnecz")."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return _ALNUM.sub("", "".join(c for c in text if not unicodedata.combining(c)))


def is_site_name(segment: str, site_names: Iterable[str]) -> bool:
    """Whether the title segment ``segment`` is one of ``site_names`` (the
    matching rule of the module docstring)."""
    s = _key(segment)
    if not s:
        return False
    for name in site_names:
        k = _key(name)
        if len(k) < 2:
            continue
        if s == k or (len(k) >= 3 and k in s and len(s) - len(k) <= 4) \
                or (len(s) >= 4 and s in k and 2 * len(s) >= len(k)):
            return True
    return False


def _segments(title: str) -> tuple[list[str], list[str], list[bool]]:
    """``title`` split at its separators: (texts, separators between them, whether
    each separator is a colon)."""
    parts: list[str] = []
    colon: list[bool] = []
    pos = 0
    for m in _SEP.finditer(title):
        if m.start() == 0 or m.end() == len(title):
            continue
        parts.append(title[pos:m.start()])
        parts.append(m.group(0))
        colon.append(m.group(1) is not None)
        pos = m.end()
    parts.append(title[pos:])
    return parts[0::2], parts[1::2], colon


def is_decorated(title: str, headline: str) -> bool:
    """Whether ``title`` is ``headline`` (:func:`same_words`), or some of its
    separated segments in a row are ("Gaps remain ... | Society | The Guardian"
    for "Gaps remain ..."): the headline with labels such as section and site
    names, not a title of its own."""
    if same_words(title, headline):
        return True
    texts, seps, _ = _segments(title.strip())
    for i in range(len(texts)):
        run = texts[i]
        for j in range(i + 1, len(texts) + 1):
            if j > i + 1:
                run += seps[j - 2] + texts[j - 1]
            if same_words(run, headline):
                return True
    return False


def strip_site_name(title: str, site_names: Iterable[str]) -> str:
    """``title`` without the site's name at its start or end (repeatedly).

    Segments are split at the separators of the module docstring; a colon only
    separates a last segment.  The title's own text is never removed in full:
    the result is ``title`` itself (stripped of outer white space) when every
    segment is a site name.
    """
    names = [n for n in site_names if n]
    title = title.strip()
    if not names or not title:
        return title
    texts, seps, colon = _segments(title)
    lo, hi = 0, len(texts)  # the kept segments: texts[lo:hi]
    changed = True
    while changed and hi - lo > 1:
        changed = False
        if is_site_name(texts[hi - 1], names):
            hi -= 1
            changed = True
        elif not colon[lo] and is_site_name(texts[lo], names):
            lo += 1
            changed = True
    if (lo, hi) == (0, len(texts)):
        return title
    out = texts[lo]
    for i in range(lo + 1, hi):
        out += seps[i - 1] + texts[i]
    return out.strip(_SEP_CHARS) or title


# -- reading the page -------------------------------------------------------------------------

def _classes(elem) -> list[str]:  # noqa: ANN001 - lxml element
    return (elem.get("class") or "").split() + ([elem.get("id")] if elem.get("id") else [])


def _parts(name: str) -> list[str]:
    return [p.lower() for p in _PARTS.findall(name)]


def _names_logo(names: Iterable[str]) -> bool:
    for name in names:
        parts = _parts(name)
        if any(p in _LOGO_PARTS for p in parts) or any(pair in _LOGO_PAIRS for pair in zip(parts, parts[1:])) \
                or name.lower() == "brand":
            return True
    return False


def _names_weak(names: Iterable[str]) -> bool:
    for name in names:
        parts = _parts(name)
        if any(p in _WEAK_PARTS for p in parts) or any(
                pair in (("most", "read"), ("most", "popular")) for pair in zip(parts, parts[1:])):
            return True
    return False


def _hidden(elem) -> bool:  # noqa: ANN001
    if elem.get("hidden") is not None:
        return True
    style = (elem.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    return any(c.lower() in _HIDDEN_CLASSES for c in (elem.get("class") or "").split())


def _marked_headline(elem) -> bool:  # noqa: ANN001
    if (elem.get("itemprop") or "").strip().lower() == "headline":
        return True
    return any(c == "headline" or c.endswith(("-headline", "_headline"))
               for c in (elem.get("class") or "").lower().split())


def _walk_text(elem, out: list[str], *, top: bool) -> None:  # noqa: ANN001
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


def visible_text(elem) -> str:  # noqa: ANN001 - lxml element
    """The text of ``elem`` (an ``<h1>``) as displayed, one clean line (rules
    in the module docstring); ``""`` when nothing shows."""
    out: list[str] = []
    try:
        _walk_text(elem, out, top=True)
    except RecursionError:  # a hostile nesting depth: the plain text
        out = [" ".join(elem.itertext())]
    return clean_line("".join(out))


def _metas(tree) -> dict[str, str]:  # noqa: ANN001
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or "").strip().lower()
        value = clean_line(meta.get("content"))
        if key and value and key not in found:
            found[key] = value
    return found


def _json_objects(value, out: list[dict], depth: int = 0) -> None:  # noqa: ANN001
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


def _types(obj: dict) -> list[str]:
    t = obj.get("@type")
    items = t if isinstance(t, list) else [t]
    return [x.rsplit("/", 1)[-1].lower() for x in items if isinstance(x, str)]


def _name(value) -> str:  # noqa: ANN001
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return clean_line(value)


def _json_ld(tree) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """(article headlines, site names) of the page's JSON-LD."""
    objects: list[dict] = []
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


def _host_brands(urls: Iterable[str]) -> list[str]:
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
class _H1:
    text: str
    index: int
    logo: bool
    weak: bool
    in_article: bool
    marked: bool
    score: float = 0.0


def _describe_h1(h1, index: int, site_names: Sequence[str], front_pages: set[str]) -> _H1 | None:  # noqa: ANN001
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
    return _H1(text=text, index=index, logo=logo, weak=weak, in_article=in_article,
               marked=_marked_headline(h1))


def _front_page(href: str, front_pages: set[str]) -> bool:
    href = href.strip()
    if href in ("/", "./", "."):
        return True
    m = re.match(r"^(?:https?:)?//([^/?#]+)/?$", href, re.IGNORECASE)
    return bool(m) and (not front_pages or m.group(1).lower().removeprefix("www.") in front_pages)


def page_titles(tree) -> PageTitles:  # noqa: ANN001 - lxml.html element (the whole document)
    """The titles of the page ``tree`` (an ``lxml.html`` document, unchanged):
    see :class:`PageTitles` and the module docstring.  Never raises on odd
    markup or broken JSON-LD."""
    metas = _metas(tree)
    ld_heads, ld_sites = _json_ld(tree)
    title_elem = next((t for t in tree.iter("title")
                       if not any(a.tag == "svg" for a in t.iterancestors())), None)
    seo = clean_line(title_elem.text_content()) if title_elem is not None else ""
    canonical = [link.get("href", "") for link in tree.iter("link")
                 if "canonical" in (link.get("rel") or "").lower().split()]
    site_urls = [metas.get("og:url", ""), *canonical]
    handle = metas.get("twitter:site", "").lstrip("@")
    site_names = tuple(dict.fromkeys(n for n in (
        metas.get("og:site_name"), *ld_sites, metas.get("application-name"), handle,
        *_host_brands(site_urls)) if n))
    front_pages = {m.group(1).lower().removeprefix("www.") for u in site_urls
                   if (m := re.match(r"^https?://([^/?#]+)", u.strip(), re.IGNORECASE))}

    og = metas.get("og:title", "")
    twitter = metas.get("twitter:title", "")
    micro = metas.get("headline", "")
    plain_titles = [t for t in (og, twitter, seo) if t]
    ld = max(ld_heads, key=lambda h: max((similarity(h, t) for t in plain_titles), default=0.0)) \
        if len(set(ld_heads)) > 1 else (ld_heads[0] if ld_heads else "")
    sources = [(name, strip_site_name(value, site_names))
               for name, value in (("json-ld", ld), ("meta-headline", micro), ("og:title", og),
                                   ("twitter:title", twitter), ("title", seo)) if value]
    references = [value for _, value in sources]

    h1s = [d for i, h1 in enumerate(tree.iter("h1"))
           if (d := _describe_h1(h1, i, site_names, front_pages)) is not None]
    for h in h1s:
        h.score = max((similarity(h.text, r) for r in references), default=0.0)
    usable = [h for h in h1s if not h.logo]
    agreeing = [h for h in usable if h.score >= AGREES]
    chosen: _H1 | None = None
    if agreeing:
        chosen = max(agreeing, key=lambda h: (not h.weak, h.score, h.in_article, h.marked, -h.index))
    elif usable and not references:
        chosen = min(usable, key=lambda h: (h.weak, not h.in_article, not h.marked, h.index))
    else:
        strong = [h for h in usable if not h.weak and not (h.score == 0.0 and len(_words(h.text)) < 3)]
        if strong:
            chosen = min(strong, key=lambda h: (not h.in_article, not h.marked, h.index))
    if chosen is not None:
        headline, source = strip_site_name(chosen.text, site_names), "h1"
    elif sources:
        source, headline = sources[0]
    else:
        headline, source = None, None

    def other(title: str) -> str | None:
        if not title or (headline and is_decorated(strip_site_name(title, site_names), headline)):
            return None
        return title

    return PageTitles(headline=headline or None, source=source if headline else None,
                      social_title=other(og or twitter), seo_title=other(seo),
                      site_names=site_names)
