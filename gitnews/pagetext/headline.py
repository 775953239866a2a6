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

import re
from dataclasses import dataclass

from gitnews.pagetext.element import Element
from gitnews.pagetext.sitename import (
    clean_line,
    is_decorated,
    is_site_name,
    same_words,
    similarity,
    strip_site_name,
    words,
)
from gitnews.pagetext.titlesources import H1, describe_h1, host_brands, json_ld, meta_values, visible_text

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


def page_titles(tree: Element) -> PageTitles:
    """The titles of the page ``tree`` (an ``lxml.html`` document, unchanged):
    see :class:`PageTitles` and the module docstring.  Never raises on odd
    markup or broken JSON-LD."""
    metas = meta_values(tree)
    ld_heads, ld_sites = json_ld(tree)
    title_elem = next((t for t in tree.iter("title")
                       if not any(a.tag == "svg" for a in t.iterancestors())), None)
    seo = clean_line(title_elem.text_content()) if title_elem is not None else ""
    canonical = [link.get("href", "") for link in tree.iter("link")
                 if "canonical" in (link.get("rel") or "").lower().split()]
    site_urls = [metas.get("og:url", ""), *canonical]
    handle = metas.get("twitter:site", "").lstrip("@")
    site_names = tuple(dict.fromkeys(n for n in (
        metas.get("og:site_name"), *ld_sites, metas.get("application-name"), handle,
        *host_brands(site_urls)) if n))
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
           if (d := describe_h1(h1, i, site_names, front_pages)) is not None]
    for h in h1s:
        h.score = max((similarity(h.text, r) for r in references), default=0.0)
    usable = [h for h in h1s if not h.logo]
    agreeing = [h for h in usable if h.score >= AGREES]
    chosen: H1 | None = None
    if agreeing:
        chosen = max(agreeing, key=lambda h: (not h.weak, h.score, h.in_article, h.marked, -h.index))
    elif usable and not references:
        chosen = min(usable, key=lambda h: (h.weak, not h.in_article, not h.marked, h.index))
    else:
        strong = [h for h in usable if not h.weak and not (h.score == 0.0 and len(words(h.text)) < 3)]
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
