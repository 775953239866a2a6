"""Turn a fetched page (raw bytes) into an :class:`~gitnews.models.Article`.

This is the only module that imports trafilatura.  One call of
``trafilatura.bare_extraction`` per page gives both the metadata and the body;
the body is read from trafilatura's document tree (``Document.body``: ``<p>``,
``<head>``, ``<list>/<item>``, ``<quote>``, ``<table>/<row>/<cell>``, ...), not
from its plain text, which renders a table-layout page (the 2009 BBC story) as
a few ``| ... |`` rows so that any edit would look like a rewrite.

Rules, and where they come from:

* **Decoding** (:func:`decode_html`).  ``trafilatura.utils.decode_file`` tries
  UTF-8 and otherwise *guesses* with charset_normalizer; it never reads the
  page's ``<meta>`` charset (an ISO-8859-1 page guessed as latin-1 loses the
  windows-1252 '…' of byte 0x85; a short one may be guessed as windows-1250,
  '£' becoming 'Ł').  So the bytes are decoded here: byte-order mark; strict
  UTF-8 (this also overrides a ``<meta>`` that lies); each charset the page
  declares, mapped as browsers map labels (WHATWG Encoding Standard:
  ISO-8859-1/ASCII mean windows-1252, GB2312 means GBK) and used only if it
  decodes without error.  Otherwise the bytes go to trafilatura unchanged (its
  decompression and guess).
* **Blocks** (:func:`extract_article`).  Every block element of the tree is one
  paragraph: ``p``, ``head``, ``item``, ``quote``, ``cell``, ``code``...  Loose
  text beside blocks (a layout cell holding text and ``<p>``) is a paragraph of
  its own, so a cell without block children is one paragraph.  Inline elements
  (``hi``, ``ref``, ``del``, ``lb``) stay in their block, ``<lb/>`` becoming a
  space.  White space is collapsed, entities left in the tree are unescaped and
  text is NFC-normalised, as trafilatura does for its text output; the words
  are those of that output.  Empty blocks are dropped; boilerplate is *not*
  (that is the normalise stage's job).  Comments (``Document.commentsbody``)
  are not part of the article.
* **Determinism.**  The result depends on the bytes only: deduplication is off,
  ``filedate`` is never read, the URL is not given to trafilatura (it would
  become the canonical URL of pages that declare none), and htmldate's
  ``max_date``, which defaults to *today*, is pinned to :data:`MAX_DATE` (with
  the default, the 2016 seed page read with a 2012 clock is dated 2009-05-21).
"""

from __future__ import annotations

import codecs
import copy
import re
import threading
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import trafilatura
from lxml import etree
from trafilatura.utils import load_html

from gitnews.errors import ExtractionError
from gitnews.models import Article
from gitnews.pagetext import prune
from gitnews.pagetext.declared import declared_url
from gitnews.pagetext.element import Element
from gitnews.pagetext.headline import PageTitles, clean_line, page_titles
from gitnews.pagetext.siterules import SiteRules, select

if TYPE_CHECKING:
    from trafilatura.settings import Document

__all__ = ["EXTRACTOR", "MAX_DATE", "TRAFILATURA_OPTIONS", "decode_html", "extract_article"]

#: Value of :attr:`Article.extractor`, e.g. ``"trafilatura 2.3.1"``.
EXTRACTOR = f"trafilatura {trafilatura.__version__}"

#: Latest publication date htmldate accepts (trafilatura's default: today).
MAX_DATE = datetime(2099, 12, 31, 23, 59, 59)

#: Serialises every trafilatura call of the process.  Concurrent calls from
#: threads (``gitnews run`` fetches with a thread pool) crash the process now and
#: then inside lxml/libxml2 (SIGSEGV, "munmap_chunk(): invalid pointer",
#: ``XPathEvalError('unknown error')``, or an XPath that never returns): seen
#: here in the crash tests with trafilatura 2.3.1 and lxml 6.1.3, and reported
#: upstream (adbar/trafilatura issues 840 and 925).  Extraction is CPU-bound
#: Python under the GIL anyway, so the lock costs no throughput; fetching
#: stays concurrent.
_TRAFILATURA_LOCK = threading.Lock()

#: Keyword arguments of the one ``bare_extraction`` call (use them to benchmark it).
#: ``date_extraction_params`` is trafilatura's default (settings.set_date_params)
#: except ``max_date``.
_DATE_PARAMS: Mapping[str, object] = MappingProxyType(
    {"original_date": True, "extensive_search": True, "max_date": MAX_DATE})
TRAFILATURA_OPTIONS: Mapping[str, object] = MappingProxyType({
    "with_metadata": True,
    "deduplicate": False,
    "date_extraction_params": _DATE_PARAMS,
})

# Tags that never start a paragraph: trafilatura's inline output elements, plus
# HTML inline tags a fallback extractor (readability, justext) may leave.
_INLINE = frozenset("hi ref del lb graphic a b i u s em strong span small sub sup font abbr br img "
                    "time mark q cite label".split())
# Dropped from the elements a site's ``body`` selector picks (never text of the article).
_NOT_TEXT = ("script", "style", "noscript", "template", "iframe", "svg", "button", "form", "select", "input")
#: Share of the extracted text (0-1) found in reader-comment threads
#: (:func:`gitnews.pagetext.prune.thread_text`) above which a page is refused.
COMMENT_LIMIT = 0.5

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([a-z0-9][a-z0-9._:-]*)""", re.IGNORECASE)
_PRESCAN = 65536  # bytes searched for charset declarations
# WHATWG Encoding Standard label -> Python codec, where Python's differs.
_ALIASES = {
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
                     "us-ascii", "ascii", "cp819", "ibm819", "windows-1252"), "cp1252"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "gb_2312-80", "chinese", "csgb2312"), "gb18030"),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "latin5", "l5"), "cp1254"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "windows-31j"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "windows-949"), "cp949"),
    **dict.fromkeys(("tis-620", "iso-8859-11"), "cp874"),
    "big5": "big5hkscs",
}
_TAG = re.compile(r"<[!?a-zA-Z]")
_BINARY = {b"%PDF-": "a PDF document", b"\x89PNG": "a PNG image", b"GIF8": "a GIF image",
           b"\xff\xd8\xff": "a JPEG image", b"PK\x03\x04": "a ZIP archive"}


def decode_html(body: bytes) -> str | bytes:
    """Decode raw page bytes as a browser would; return ``body`` itself if unsure.

    Order: byte-order mark, strict UTF-8, then each charset declared in the
    first 64 KiB (``<meta charset>``, ``http-equiv``, XML declaration; WHATWG
    label mapping) that decodes without error.  Bytes returned unchanged are
    left to trafilatura (``trafilatura.utils.decode_file``).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    tried = set()
    for match in _DECLARED.finditer(body, 0, _PRESCAN):
        label = match.group(1).decode("ascii").lower()
        codec = _ALIASES.get(label, label)
        if codec not in tried:
            tried.add(codec)
            try:
                return body.decode(codec)
            except LookupError:
                pass
            except UnicodeDecodeError:
                if codec == "cp1252":  # a byte windows-1252 leaves undefined: real ISO-8859-1
                    return body.decode("latin-1")
    return body


def _inline_text(elem: Element, out: list[str]) -> None:
    """Append the text of inline ``elem`` (without its tail) to ``out``."""
    if elem.tag in ("lb", "br"):
        out.append(" ")
        return
    inline = elem.tag in _INLINE  # else a block nested in an inline element
    if not inline:
        out.append(" ")
    if elem.text:
        out.append(elem.text)
    for child in elem:
        if isinstance(child.tag, str):
            _inline_text(child, out)
        if child.tail:
            out.append(child.tail)
    if not inline:
        out.append(" ")


def _blocks(elem: Element, paragraphs: list[str]) -> None:
    """Append the paragraphs of block ``elem`` to ``paragraphs``, in reading order.

    A run of text and inline children is one paragraph; a block child ends the
    run and is walked in turn.  May append empty strings.
    """
    run = [elem.text] if elem.text else []
    for child in elem:
        if not isinstance(child.tag, str):  # comment or processing instruction
            pass
        elif child.tag in _INLINE:
            _inline_text(child, run)
        else:
            if run:
                paragraphs.append(clean_line("".join(run)))
                run = []
            _blocks(child, paragraphs)
        if child.tail:
            run.append(child.tail)
    if run:
        paragraphs.append(clean_line("".join(run)))


def _one_line(value: object) -> str | None:
    """A metadata string as one line, or None when missing or blank."""
    return (clean_line(value) or None) if isinstance(value, str) else None


def _headline_from(paragraph: str, limit: int = 100) -> str:
    """Fallback headline: ``paragraph`` cut at a word boundary to ``limit`` characters."""
    if len(paragraph) <= limit:
        return paragraph
    return paragraph[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _titles(tree: Element | None) -> PageTitles:
    """The headline, social and SEO titles of the page (:mod:`gitnews.pagetext.headline`),
    read from the page's tree as parsed (``bare_extraction`` works on a copy of a
    tree it is given, so this one is unchanged)."""
    try:
        return page_titles(tree) if tree is not None else PageTitles(None, None)
    except Exception:
        return PageTitles(None, None)


def _prepare(tree: Element, site: SiteRules | None, notes: list[str], pruned: list[prune.Pruned],
             *, generic: bool = True) -> tuple[str | None, list[Element] | None, str]:
    """Prune the parsed page in place (caller holds the lock); ``generic``: also
    the generic prunings (:func:`gitnews.pagetext.prune.prune_page`).

    Returns ``(site headline, site body elements, comment-thread text)``.
    Appends unmatched selectors to ``notes``.
    """
    headline: str | None = None
    body: list[Element] | None = None
    if site is not None:
        for selector in site.remove:
            found = select(tree, selector)
            if not found:
                notes.append(f"site rule remove {selector!r} of [sites.\"{site.host}\"] matched nothing")
            pruned.extend(prune.prune_selected(tree, found, f"site rule remove {selector!r}"))
    if generic:
        pruned.extend(prune.prune_page(tree))
    if site is not None:
        for selector in site.headline:
            texts = [t for t in (clean_line("".join(e.itertext())) for e in select(tree, selector)) if t]
            if texts:
                headline = texts[0]
                break
            notes.append(f"site rule headline {selector!r} of [sites.\"{site.host}\"] matched nothing; "
                         "the generic headline is used")
        picked: list[Element] = []
        for selector in site.body:
            found = select(tree, selector)
            if not found:
                notes.append(f"site rule body {selector!r} of [sites.\"{site.host}\"] matched nothing")
            picked.extend(e for e in found if not any(e is p or any(a is p for a in e.iterancestors())
                                                      for p in picked))
        if picked:
            body = []
            for elem in picked:
                dup = copy.deepcopy(elem)
                dup.tail = None
                prune.prune_selected(dup, [*dup.iter(*_NOT_TEXT), *dup.iter(etree.Comment)], "")
                body.append(dup)
        elif site.body:
            notes[-1] += "; generic extraction is used for the body"
    return headline, body, prune.thread_text(tree)


def _refuse_comments(paragraphs: list[str], threads: str, where: str) -> None:
    """Raise ExtractionError when most of the text is in reader-comment threads."""
    total = sum(len(p) for p in paragraphs)
    inside = sum(len(p) for p in paragraphs if len(p) >= 20 and p[:80] in threads)
    if total and inside / total > COMMENT_LIMIT:
        raise ExtractionError(
            f"the text found in the page{where} is mostly reader comments ({inside * 100 // total} % of "
            "its characters lie in a comment thread), not the article; nothing is stored. Give the "
            "site a body selector in gitnews.toml ([sites.\"host\"] body = \"...\") and try it with "
            "`gitnews run --dry-run --show-text URL`")


def extract_article(body: bytes, *, url: str | None = None, site: SiteRules | None = None,
                    pruned: list[prune.Pruned] | None = None, generic_pruning: bool = True) -> Article:
    """Extract the article of one page, with one ``trafilatura.bare_extraction`` call.

    ``body``: the response body exactly as fetched (bytes, never decoded; see
    :func:`decode_html`).  ``url``: where it was fetched from, used only in
    error messages (the Article depends on the bytes alone).

    Returns an :class:`Article`: ``paragraphs`` are the blocks of trafilatura's
    main-content tree (module docstring), ``headline`` the visible headline
    (:func:`gitnews.pagetext.headline.page_titles`; else trafilatura's metadata title;
    else the first paragraph, shortened), ``social_title``/``seo_title`` the
    page's ``og:title``/``<title>`` where they are not the headline (same),
    ``byline`` its author, ``published_at`` its date (``"YYYY-MM-DD"``),
    ``canonical_url`` the URL the page declares (:func:`gitnews.pagetext.declared.declared_url`:
    ``rel=canonical``, else ``og:url``, else JSON-LD; not trafilatura's, which
    prefers ``og:url``),
    ``extractor`` :data:`EXTRACTOR`.  Equal bytes give equal Articles.

    Before extraction the page's tree is pruned (:mod:`gitnews.pagetext.prune`:
    comment sections, link blocks, and the ``remove`` selectors of ``site``,
    the :class:`~gitnews.pagetext.siterules.SiteRules` of the page's host); each
    removed part is appended to ``pruned`` when a list is given (for
    ``--show-text``).  ``generic_pruning=False`` skips the generic prunings
    (comments, link blocks; site rules still apply): ``gitnews add`` measures
    how much of such a page is links (:func:`gitnews.ops.classify.link_text_share`).
    ``site``'s ``headline`` and ``body`` selectors, when
    they match, give the headline and the paragraphs; a selector that matches
    nothing is named in the Article's ``notes`` and generic extraction is used.

    Raises :class:`ExtractionError` if the body is empty, binary or has no
    markup at all, if trafilatura fails, if the page yields no article text,
    or if more than :data:`COMMENT_LIMIT` of that text lies in reader-comment
    threads that pruning did not recognise (:func:`gitnews.pagetext.prune.thread_text`).
    """
    where = f" of {url}" if url else ""
    if not body or not body.strip():
        raise ExtractionError(f"the response body{where} is empty: nothing to extract; try again later")
    kind = next((k for magic, k in _BINARY.items() if body.startswith(magic)), None)
    text = decode_html(body) if kind is None else ""
    if isinstance(text, str) and not _TAG.search(text, 0, _PRESCAN):  # trafilatura's own test
        kind = kind or "text without markup"  # only looks for "html" in the first 50 characters
    if kind:
        raise ExtractionError(f"the response body{where} is {kind}, not an HTML page; "
                              "remove this URL or point it at the article's web page")
    # bare_extraction's keyword arguments, with a fresh date_extraction_params dict per call
    options: dict[str, Any] = {**TRAFILATURA_OPTIONS, "date_extraction_params": dict(_DATE_PARAMS)}
    notes: list[str] = []
    with _TRAFILATURA_LOCK:  # one extraction at a time: see _TRAFILATURA_LOCK
        try:
            # One parse: the page's own URL and titles are read from the tree as
            # served, then it is pruned and trafilatura extracts it (from a copy).
            tree = load_html(text)
            declared = declared_url(tree) if tree is not None else None
            titles = _titles(tree)
            site_headline, site_body, threads = (None, None, "") if tree is None else _prepare(
                tree, site, notes, [] if pruned is None else pruned, generic=generic_pruning)
            # A Document: as_dict is off.
            doc = cast("Document | None", trafilatura.bare_extraction(text if tree is None else tree,
                                                                      **options))
        except Exception as err:  # a parser bug on hostile input must stay a per-page failure
            raise ExtractionError(f"trafilatura {trafilatura.__version__} failed on the page{where}: "
                                  f"{err!r}; check that the URL serves an HTML article") from err
        paragraphs: list[str] = []
        if site_body is not None:
            for elem in site_body:
                _blocks(elem, paragraphs)
        elif doc is not None and doc.body is not None:
            _blocks(doc.body, paragraphs)
    paragraphs = [p for p in paragraphs if p]
    if threads and paragraphs and site_body is None:
        _refuse_comments(paragraphs, threads, where)
    if not paragraphs:
        raise ExtractionError(f"no article text found in the page{where} ({len(body)} bytes); check that "
                              "the URL serves an HTML article, not an index page, a paywall or a "
                              "non-HTML file")
    return Article(
        headline=(site_headline or titles.headline or _one_line(getattr(doc, "title", None))
                  or _headline_from(paragraphs[0])),
        paragraphs=tuple(paragraphs),
        byline=_one_line(getattr(doc, "author", None)),  # doc is None only with a site body rule
        published_at=_one_line(getattr(doc, "date", None)),
        canonical_url=_one_line(declared),
        extractor=EXTRACTOR,
        social_title=titles.social_title,
        seo_title=titles.seo_title,
        notes=tuple(notes),
    )
