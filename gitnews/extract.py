"""Turn a fetched page (raw bytes) into an :class:`~gitnews.models.Article`.

This is the only module that imports trafilatura.  One call of
``trafilatura.bare_extraction`` per page gives both the metadata and the body;
the body is read from trafilatura's document tree (``Document.body``: ``<p>``,
``<head>``, ``<list>/<item>``, ``<quote>``, ``<table>/<row>/<cell>``, ...), not
from its plain text, which renders a table-layout page (the 2009 BBC story) as
a few ``| ... |`` rows so that any edit would look like a rewrite.

Rules, and where they come from:

* **Decoding.**  ``trafilatura.utils.decode_file`` tries UTF-8 and otherwise
  *guesses* with charset_normalizer; it never reads the page's ``<meta>``
  charset.  So the bytes are decoded here, in this order: a byte-order mark;
  strict UTF-8 (this also fixes pages whose ``<meta>`` lies); each charset the
  page declares (``<meta charset>``, ``http-equiv``, XML declaration), mapped as
  browsers map labels (WHATWG Encoding: ISO-8859-1/ASCII mean windows-1252,
  GB2312 means GBK) and accepted only if it decodes without error.  Anything
  else (no usable declaration, compressed bytes) is passed to trafilatura as
  bytes, i.e. left to its guess.
* **Blocks.**  Every block element of the tree is one paragraph: ``p``,
  ``head``, ``item``, ``quote``, ``cell``, ``code``...  Loose text beside
  blocks (a layout cell holding both text and ``<p>``) is a paragraph of its
  own; a cell with no block children is one paragraph.  Inline elements
  (``hi``, ``ref``, ``del``, ``lb``...) stay in their block, ``<lb/>`` becoming
  a space.  White space is collapsed, entities left escaped in the tree are
  unescaped and text is NFC-normalised, as trafilatura does for its text
  output.  Empty blocks are dropped.  Boilerplate is *not* filtered here.
* **Determinism.**  Deduplication is off (``deduplicate=False``), the
  extraction date (``filedate``) is never used, and htmldate's ``max_date``,
  which defaults to *today*, is pinned to :data:`MAX_DATE` so that the date
  found in given bytes does not depend on the day of extraction.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from datetime import datetime

import trafilatura
from lxml import etree

from gitnews.errors import ExtractionError
from gitnews.models import Article

__all__ = ["EXTRACTOR", "MAX_DATE", "decode_html", "extract_article"]

#: Value of :attr:`Article.extractor`, e.g. ``"trafilatura 2.3.1"``.
EXTRACTOR = f"trafilatura {trafilatura.__version__}"

#: Latest publication date htmldate may accept (trafilatura's default is today).
MAX_DATE = datetime(2099, 12, 31, 23, 59, 59)

# trafilatura's own defaults (settings.set_date_params) except max_date.
_DATE_PARAMS = {"original_date": True, "extensive_search": True, "max_date": MAX_DATE}

# Tags that never start a paragraph: trafilatura's inline output elements, plus
# HTML inline tags a fallback extractor (readability, justext) may leave.
_INLINE = frozenset(
    "hi ref del lb graphic a b i u s em strong span small sub sup font abbr br img".split()
)

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([a-z0-9][a-z0-9._:-]*)""", re.IGNORECASE)
_PRESCAN = 65536  # bytes searched for a charset declaration
# WHATWG Encoding Standard label -> Python codec, where they differ.
_ALIASES = {
    **dict.fromkeys(("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1",
                     "us-ascii", "ascii", "cp819", "ibm819", "windows-1252", "cp1252"), "cp1252"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "gb_2312-80", "chinese", "csgb2312"), "gb18030"),
    **dict.fromkeys(("iso-8859-9", "latin5", "l5", "iso8859-9"), "cp1254"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "windows-31j"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "windows-949"), "cp949"),
    **dict.fromkeys(("tis-620", "iso-8859-11"), "cp874"),
    "big5": "big5hkscs",
}


def decode_html(body: bytes) -> str | bytes:
    """Decode raw page bytes as a browser would; return ``body`` unchanged if unsure.

    Order: byte-order mark, strict UTF-8, then each charset declared in the
    first 64 KiB (WHATWG label mapping), accepted only if it decodes without
    error.  When nothing fits, the bytes are returned for trafilatura to guess
    (``trafilatura.utils.decode_file``: decompression, charset_normalizer).
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
        if codec in tried:
            continue
        tried.add(codec)
        try:
            return body.decode(codec)
        except (LookupError, UnicodeDecodeError):
            if codec == "cp1252":  # 5 bytes cp1252 leaves undefined: ISO-8859-1 proper
                return body.decode("latin-1")
    return body


def _clean(text: str) -> str:
    """One line: white space collapsed, stray entities unescaped, NFC."""
    text = " ".join(text.split())
    if "&" in text:
        text = " ".join(html.unescape(text).split())
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def _inline_text(elem: etree._Element, out: list[str]) -> None:
    """Append the text of inline ``elem`` (tail excluded) to ``out``."""
    if elem.tag == "lb" or elem.tag == "br":
        out.append(" ")
        return
    if elem.tag not in _INLINE:  # a block nested in an inline element
        out.append(" ")
    if elem.text:
        out.append(elem.text)
    for child in elem:
        if isinstance(child.tag, str):
            _inline_text(child, out)
        if child.tail:
            out.append(child.tail)
    if elem.tag not in _INLINE:
        out.append(" ")


def _blocks(elem: etree._Element, paragraphs: list[str]) -> None:
    """Append the paragraphs of block ``elem`` to ``paragraphs``, in reading order.

    Runs of text and inline children form one paragraph; each block child is
    walked in turn and ends the run before it.
    """
    run = [elem.text] if elem.text else []
    for child in elem:
        if not isinstance(child.tag, str):  # comment or processing instruction
            pass
        elif child.tag in _INLINE:
            _inline_text(child, run)
        else:
            if run:
                paragraphs.append(_clean("".join(run)))
                run = []
            _blocks(child, paragraphs)
        if child.tail:
            run.append(child.tail)
    if run:
        paragraphs.append(_clean("".join(run)))


def _one_line(value: object) -> str | None:
    """A metadata string as one line, or None when missing or blank."""
    if not isinstance(value, str):
        return None
    return _clean(value) or None


def _headline_from(paragraph: str, limit: int = 100) -> str:
    """Fallback headline: ``paragraph`` cut at a word boundary to ``limit`` characters."""
    if len(paragraph) <= limit:
        return paragraph
    return paragraph[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def extract_article(body: bytes, *, url: str | None = None) -> Article:
    """Extract the article of one page.

    ``body`` is the response body exactly as fetched (bytes, not decoded; see
    :func:`decode_html` for how its charset is found).  ``url`` is the URL the
    page was fetched from: it is given to trafilatura as the page's URL (a
    fallback for the canonical URL, a hint for the date) and named in errors.

    Returns an :class:`Article` whose ``paragraphs`` are the blocks of
    trafilatura's main-content tree (see the module docstring), ``headline``
    trafilatura's metadata title (else the first paragraph, shortened),
    ``byline`` its author, ``published_at`` its date (``"YYYY-MM-DD"``),
    ``canonical_url`` its URL (the page's ``rel=canonical``/``og:url``, or
    ``url``) and ``extractor`` :data:`EXTRACTOR`.  The same bytes and URL
    always give an equal Article.

    Raises :class:`ExtractionError` when the body is empty, is not HTML, or
    yields no article text.
    """
    where = f" ({url})" if url else ""
    if not body or not body.strip():
        raise ExtractionError(f"empty response body{where}: nothing to extract; fetch the page again later")
    try:
        doc = trafilatura.bare_extraction(
            decode_html(body), with_metadata=True, deduplicate=False,
            date_extraction_params=dict(_DATE_PARAMS),
        )
    except Exception as err:  # a parser bug on hostile input must stay per-page
        raise ExtractionError(f"trafilatura failed on the page{where}: {err!r}; "
                              "check that the URL serves an HTML article") from err
    paragraphs: list[str] = []
    if doc is not None and doc.body is not None:
        _blocks(doc.body, paragraphs)
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise ExtractionError(f"no article text found in the page{where} ({len(body)} bytes); "
                              "check that the URL serves an HTML article, not a PDF, an index page or a paywall")
    return Article(
        headline=_one_line(doc.title) or _headline_from(paragraphs[0]),
        paragraphs=tuple(paragraphs),
        byline=_one_line(doc.author),
        published_at=_one_line(doc.date),
        canonical_url=_one_line(doc.url),
        extractor=EXTRACTOR,
    )
