"""A URL's place on its site: the site, its front pages, and the URL that names an article (pure).

The site of a URL is its registrable domain (:func:`site_of`, Public Suffix
List).  A site's root (:func:`is_site_root`) and its section fronts
(:func:`is_section_front`) are pages of links, not articles; a redirect of an
article to one of them (:func:`is_front_page`) is a "soft 404".

Which URL names an article (:func:`article_url`): the final URL after
redirects, unless the page's own ``rel=canonical`` (or, without one, its
``og:url`` or JSON-LD url) is a better name
(absolute or resolvable, http(s), on the same site, not the site's root or a
section front); only that one hop is taken.

Every URL is first put in its canonical form (:func:`gitnews.format.urls.canonical_url`).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

from gitnews.format.exceptions import BlockedURLError
from gitnews.format.urls import canonical_url

__all__ = ["site_of", "same_site", "is_site_root", "is_section_front", "is_front_page",
           "article_url", "SECTION_WORDS"]


def site_of(host: str) -> str:
    """The registrable domain of ``host`` (Public Suffix List, via the ``tld``
    package's bundled copy): ``news.bbc.co.uk`` -> ``bbc.co.uk``.  Hosts the
    list does not know (``localhost``, IP addresses, ``*.test``) give their
    last two labels (or the host itself)."""
    from tld import get_fld

    host = host.lower().rstrip(".")
    fld = get_fld(host, fix_protocol=True, fail_silently=True)
    if fld:
        return fld
    if host.replace(".", "").isdigit() or ":" in host:
        return host
    return ".".join(host.split(".")[-2:])


def same_site(a: str, b: str) -> bool:
    """True if URLs ``a`` and ``b`` are on the same site (registrable domain,
    :func:`site_of`).  False for URLs that are not http(s)."""
    try:
        ha, hb = urlsplit(canonical_url(a)).hostname, urlsplit(canonical_url(b)).hostname
    except Exception:
        return False
    if not ha or not hb:
        return False
    return site_of(ha) == site_of(hb)


_HOME_NAMES = re.compile(r"^/(index|default|home|start|main)(\.[a-z]{2,5})?/?$", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d{3,}")


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


#: Words that name sections on news sites (``/uk_politics/``, ``/world-news/``): a path
#: segment of several words is a section name only when all of them are such words.
SECTION_WORDS = frozenset("""
    news world uk us usa europe asia africa americas america australia middle east west north
    south latin canada china india local national international politics political business
    economy economics money finance markets tech technology science health education
    environment climate sport sports football soccer culture arts art entertainment music film
    films movies tv television books life lifestyle style fashion food travel opinion opinions
    comment editorial editorials analysis features feature society media law crime weather
    obituaries religion faith family home homepage latest top breaking live video videos
    audio photos pictures blog blogs magazine english edition hi lo regional england scotland
    wales ireland northern region regions city metro global
""".split())

_WORD_SPLIT = re.compile(r"[-_+\s]+")


def _section_like(segment: str) -> bool:
    """A path segment that names a section, not an article: no id (3+ digits),
    no file extension, and either a single word (``news``, ``europe``, ``hi``, ``1``)
    or words that all name sections (:data:`SECTION_WORDS`: ``uk_politics``,
    ``world-news``).  A slug of other words (``feed-link``, ``bitcoin-crash``,
    ``the-week``) is an article's."""
    text = unquote(segment)
    if _LONG_NUMBER.search(text) or "." in text:
        return False
    words = [w for w in _WORD_SPLIT.split(text) if w]
    return len(words) == 1 or (0 < len(words) <= 3
                               and all(w.lower() in SECTION_WORDS for w in words))


def is_site_root(url: str) -> bool:
    """True if ``url`` is a site's front page: the root (``/``) or a home page
    name (``/index.html``, ``/home``, ``/default.aspx``), without query.  False
    for URLs that cannot be parsed."""
    try:
        parts = urlsplit(canonical_url(url))
    except Exception:
        return False
    return (parts.path in ("", "/") or bool(_HOME_NAMES.match(parts.path))) and not parts.query


def is_section_front(url: str) -> bool:
    """True if ``url`` looks like a site's root or a section front: the root
    (``/``, ``/index.html``, ``/home``) or a path without query of at most three
    segments that each look like section names (:func:`_section_like`: ``/news``,
    ``/world/europe/``, ``/1/hi/uk_politics/``), not an article (an id of 3+
    digits, a file name, a slug of words that are not section words:
    ``/news/feed-link``, ``/story/bitcoin-crash/``, ``/p/the-week``, ``/café-story``).

    The rule is a guess from the URL alone, so it leans towards "an article": a
    single-word article slug under few segments (``/news/bitcoin``) still looks
    like a section."""
    try:
        parts = urlsplit(canonical_url(url))
    except Exception:
        return False
    if parts.path in ("", "/") or _HOME_NAMES.match(parts.path):
        return not parts.query
    if parts.query:
        return False
    segs = _segments(parts.path)
    return 0 < len(segs) <= 3 and all(_section_like(s) for s in segs)


def is_front_page(url: str, *, article: str | None = None) -> bool:
    """True if a redirect of ``article`` to ``url`` means the article is gone
    (a soft 404): ``url`` is a site's root (``/``, ``/index.html``, ``/home``), or
    a proper ancestor of ``article``'s path on the same site (``/news/`` for
    ``/news/story-123``), or a section front (:func:`is_section_front`) on the
    same site with fewer path segments than the article (``/politics/`` for
    ``/2016/sep/29/story``; not ``/news/brexit-deal`` for ``/news/brexit-deal-agreed``)."""
    try:
        parts = urlsplit(canonical_url(url))
    except Exception:
        return False
    if (parts.path in ("", "/") or _HOME_NAMES.match(parts.path)) and not parts.query:
        return True
    if article is None or not same_site(url, article):
        return False
    try:
        art = urlsplit(canonical_url(article))
    except Exception:
        return False
    mine, theirs = _segments(parts.path), _segments(art.path)
    if parts.query or len(mine) >= len(theirs):
        return False  # e.g. an edited slug: /news/brexit-deal-agreed -> /news/brexit-deal
    return theirs[:len(mine)] == mine or is_section_front(url)


def article_url(final_url: str, declared: str | None = None) -> str:
    """The canonical URL that names the article of a page fetched from ``final_url``.

    ``declared`` is the URL the page declares for itself (as extraction found it,
    possibly relative: :func:`gitnews.pagetext.declared.declared_url`, ``rel=canonical``
    first, ``og:url`` only without one, then JSON-LD).  It is used, canonicalised, when it resolves
    against ``final_url`` to an http(s) URL on the same site (:func:`same_site`)
    that is neither the site's root nor a section front
    (:func:`is_section_front`); otherwise the canonical form of ``final_url`` is.
    Only this one hop is taken: the declared page is not fetched.  Raises
    :class:`~gitnews.errors.BlockedURLError` when ``final_url`` is not http(s).
    """
    own = canonical_url(final_url)
    if not declared or not declared.strip():
        return own
    try:
        target = canonical_url(urljoin(final_url, declared.strip()))
    except (BlockedURLError, ValueError):
        return own
    if target == own or not same_site(target, own) or is_section_front(target):
        return own
    return target
