"""Correction and update notices: which ones a new version brings (pure, but for the HTML parse).

A version *announces* a change when its page carries a notice that the version
before did not (docs/archive-format.md, "Corrections").  Two sources:

* **the text** (:func:`text_notices`): a paragraph of the body that begins with a
  label such as ``Correction:``, ``Clarification:``, ``Update:``,
  ``Korrektur:``, ``Rectificatif :``, ``Fe de errores:`` followed by at least
  :data:`MIN_NOTICE_WORDS` words of letters (a bare dateline such as
  ``Updated: 12 March 2024 10:00 GMT`` is no notice), or that contains a
  sentence such as "This article was amended on", "An earlier version of this
  article".  The phrases are data (``correction_notices.toml``, shipped in this
  package: English, German, French and Spanish) and a site adds its own with
  ``corrections = ["Nachtrag:"]`` under ``[sites."host"]`` in ``gitnews.toml``
  (:class:`Notices`).
* **the page's markup** (:func:`page_notices`): the schema.org ``correction``
  property (Text, or a ``CorrectionComment`` with ``text``/``description``;
  schema.org/correction, schemaorg/schemaorg#1950) and ``CorrectionComment``
  objects, in JSON-LD or in microdata (``itemprop="correction"``).

A notice is *new* (:func:`new_notices`) when its text is not in the previous
version's text and was not recorded by an earlier version's ``Correction``
trailer: a notice carried over from version to version is no new correction.
Notice texts are :func:`~gitnews.format.normalise.normalise_line` lines.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from gitnews.format.normalise import normalise_line, parse_text
from gitnews.format.trailers import CORRECTION, clean_value
from gitnews.pagetext.siterules import SiteRules, rules_for_url

__all__ = ["Notices", "MIN_NOTICE_WORDS", "NOTICE_MAX_CHARS", "CORRECTION_SEPARATOR",
           "default_notices", "text_notices", "page_notices", "new_notices", "paragraph_notices",
           "correction_value",
           "split_correction", "is_notice", "seen_notices", "notices_for"]

#: Words of letters that must follow a ``start`` label for the paragraph to be a notice.
MIN_NOTICE_WORDS = 4
#: A notice's text is cut to this many characters in the ``Correction`` trailer.
NOTICE_MAX_CHARS = 300
#: Separates several notices in one ``Correction`` trailer.
CORRECTION_SEPARATOR = " | "
#: JSON-LD scripts longer than this (characters) are not read; nesting deeper than
#: :data:`_MAX_DEPTH` is not followed.
_JSON_LD_MAX_CHARS = 1_000_000
_MAX_DEPTH = 12
_NOTICES_FILE = "correction_notices.toml"
#: The bytes without which a page has no schema.org correction: a JSON key
#: ``"correction"`` (or ``"schema:correction"``, or a full IRI ending in it), the type
#: ``CorrectionComment``, or a microdata ``itemprop`` that names ``correction``.
_MARKERS = re.compile(rb'[":/]correction"|CorrectionComment|itemprop\s*=\s*["\']?[^"\'>]{0,80}correction',
                      re.IGNORECASE)
_MARKER_REACH = 120


def _fold(text: str) -> str:
    """Lower case, typographic apostrophes as ``'``, white space as single spaces."""
    return " ".join(text.replace("\u2019", "'").replace("\u02bc", "'").lower().split())


@dataclass(frozen=True)
class Notices:
    """The phrases that make a paragraph a notice (folded: lower case, ``'``).

    ``start``: a paragraph that begins with one (followed by at least
    :data:`MIN_NOTICE_WORDS` words of letters); ``anywhere``: a paragraph that
    contains one.
    """

    start: tuple[str, ...] = ()
    anywhere: tuple[str, ...] = ()

    def with_site(self, start: Iterable[str]) -> Notices:
        """These notices plus a site's own ``start`` phrases (``[sites."host"] corrections``)."""
        extra = tuple(f for f in (_fold(s) for s in start) if f and f not in self.start)
        return Notices(self.start + extra, self.anywhere) if extra else self


@lru_cache(maxsize=1)
def default_notices() -> Notices:
    """The phrases of ``correction_notices.toml`` (every language), read once.

    Raises ValueError when the shipped file is malformed (a broken install)."""
    data = tomllib.loads(resources.files(__package__).joinpath(_NOTICES_FILE)
                         .read_text(encoding="utf-8"))
    start: list[str] = []
    anywhere: list[str] = []
    for lang, table in dict(data.get("languages", {})).items():
        for key, out in (("start", start), ("anywhere", anywhere)):
            values = table.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{_NOTICES_FILE}: languages.{lang}.{key} must be a list of "
                                 "strings")
            out += [f for f in (_fold(v) for v in values) if f and f not in out]
    # Longest first, so that "correction -" is tried before a shorter label.
    return Notices(tuple(sorted(start, key=len, reverse=True)), tuple(anywhere))


def _letter_words(text: str) -> int:
    return sum(1 for w in text.split() if sum(c.isalpha() for c in w) >= 2)


def _is_notice_folded(folded: str, notices: Notices) -> bool:
    """:func:`is_notice` of a paragraph already folded (:func:`_fold`).  One
    ``startswith`` with the tuple of ``start`` phrases (in C) tells whether any of them
    begins it, before the phrases are tried one by one (an alternation of the phrases
    as one regular expression was measured twice as slow as these substring tests)."""
    if notices.start and folded.startswith(notices.start):
        for phrase in notices.start:
            if folded.startswith(phrase) \
                    and _letter_words(folded[len(phrase):]) >= MIN_NOTICE_WORDS:
                return True
    return any(phrase in folded for phrase in notices.anywhere)


def is_notice(paragraph: str, notices: Notices) -> bool:
    """Whether one paragraph is a correction or update notice (see the module docstring)."""
    return _is_notice_folded(_fold(paragraph), notices)


def text_notices(text: str, notices: Notices | None = None) -> list[str]:
    """The body paragraphs of an archive text (:func:`~gitnews.format.normalise.parse_text`)
    that are notices, in order (the headline never is one)."""
    notices = notices or default_notices()
    return [p for p in parse_text(text)[1] if _is_notice_folded(_fold(p), notices)]


# -- schema.org ------------------------------------------------------------------------------

def _as_text(value: object) -> Iterator[str]:
    """The notice texts of one ``correction`` value: Text, a CorrectionComment, or a list."""
    if isinstance(value, str):
        if value.strip() and not value.strip().lower().startswith(("http://", "https://")):
            yield value
    elif isinstance(value, dict):
        for key in ("text", "description", "name"):
            if isinstance(value.get(key), str) and value[key].strip():
                yield value[key]
                return
    elif isinstance(value, list):
        for item in value:
            yield from _as_text(item)


def _is_correction_comment(obj: dict[str, object]) -> bool:
    kinds = obj.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.rsplit("/", 1)[-1] == "CorrectionComment" for k in kinds)


def _json_ld(data: object, depth: int = 0) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _json_ld(item, depth + 1)
    elif isinstance(data, dict):
        if _is_correction_comment(data):
            yield from _as_text(data)
            return
        for key, value in data.items():
            if key == "correction" or key.endswith("/correction"):
                yield from _as_text(value)
            elif isinstance(value, (dict, list)):
                yield from _json_ld(value, depth + 1)


def _has_marker(body: bytes) -> bool:
    """Whether :data:`_MARKERS` occurs in ``body``: searched only around each ``orrection``
    (a byte search), so a page without one costs no regular expression."""
    start = body.find(b"orrection")
    while start != -1:
        if _MARKERS.search(body, max(0, start - _MARKER_REACH), start + 20):
            return True
        start = body.find(b"orrection", start + 1)
    return False


def page_notices(body: bytes) -> list[str]:
    """The schema.org correction notices of an HTML page (raw bytes as fetched), in
    document order, JSON-LD first, each a normalised line; [] for a page without one.

    Never raises for odd markup or broken JSON-LD.  Only a page whose bytes have a
    ``"correction"`` key, a ``CorrectionComment`` or an ``itemprop`` naming
    ``correction`` (:data:`_MARKERS`) is parsed: the common case costs one search of
    the bytes, not a parse (a "Complaints & corrections" link parses nothing).
    """
    if not _has_marker(body):
        return []
    from trafilatura.utils import load_html

    try:
        tree = load_html(body)
    except Exception:  # lxml and trafilatura raise several kinds for broken input
        return []
    if tree is None:
        return []
    found: list[str] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text or ""
        if "orrection" not in text or len(text) > _JSON_LD_MAX_CHARS:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        found += _json_ld(data)
    for elem in tree.iter():
        if not isinstance(elem.tag, str):
            continue
        props = (elem.get("itemprop") or "").split()
        itemtype = (elem.get("itemtype") or "").rstrip("/")
        if not (any(p == "correction" or p.endswith("/correction") for p in props)
                or itemtype.endswith("/CorrectionComment")):
            continue
        inner = [e for e in elem.iter() if e is not elem and isinstance(e.tag, str)
                 and set((e.get("itemprop") or "").split()) & {"text", "description"}]
        source = inner[0] if inner else elem
        value = source.get("content") or source.text_content()
        if value and value.strip():
            found.append(value)
    out: list[str] = []
    for text in found:
        line = normalise_line(text)
        if line and line not in out:
            out.append(line)
    return out


# -- what is new -----------------------------------------------------------------------------

def split_correction(value: str | None) -> list[str]:
    """The notices of a ``Correction`` trailer value (:data:`CORRECTION_SEPARATOR`)."""
    return [v.strip() for v in (value or "").split(CORRECTION_SEPARATOR.strip()) if v.strip()]


def _key(text: str) -> str:
    return _fold(clean_value(text, max_chars=NOTICE_MAX_CHARS)).rstrip("…")


def new_notices(old_text: str, new_text: str, page: Sequence[str] = (), *,
                seen: Collection[str] = (), notices: Notices | None = None) -> list[str]:
    """The notices ``new_text`` (an archive text) and its ``page`` notices
    (:func:`page_notices`) bring that ``old_text`` (the previous version's text,
    "" for a first version) and the ``seen`` ones (earlier ``Correction`` trailer
    values, :func:`split_correction`) do not have; text notices first, in order.

    A page notice that one of the text notices contains (or that the old text
    contains) is not counted twice.
    """
    return paragraph_notices(parse_text(old_text)[1] if old_text else [], old_text,
                             parse_text(new_text)[1], page, seen=seen, notices=notices)


def paragraph_notices(old_body: Sequence[str], old_text: str, new_body: Sequence[str],
                      page: Sequence[str] = (), *, seen: Collection[str] = (),
                      notices: Notices | None = None) -> list[str]:
    """:func:`new_notices` of texts already split: ``old_body``/``new_body`` are the body
    paragraphs (:func:`~gitnews.format.normalise.parse_text`) of ``old_text`` and of the
    new text.  Only the new text's paragraphs that the old text does not hold are read
    (a paragraph the old text holds is no new notice); the old text is folded only when
    the page has notices of its own.
    """
    notices = notices or default_notices()
    seen_keys = {_key(s) for s in seen}
    out: list[str] = []
    old_raw = set(old_body)
    old_paragraphs: set[str] | None = None  # folded, when first needed
    for paragraph in new_body:
        if paragraph in old_raw:  # its folded text is one of the old text's
            continue
        folded = _fold(paragraph)
        if not _is_notice_folded(folded, notices):
            continue
        if old_paragraphs is None:
            old_paragraphs = {_fold(p) for p in old_body}
        if folded not in old_paragraphs and _key(paragraph) not in seen_keys:
            out.append(paragraph)
    if not page:
        return out
    old_folded = _fold(old_text)
    texts = [_fold(p) for p in out]
    for notice in page:
        folded = _fold(notice)
        if not folded or folded in old_folded or _key(notice) in seen_keys \
                or any(folded in t or t in folded for t in texts):
            continue
        out.append(notice)
        texts.append(folded)
    return out


def correction_value(notices: Sequence[str]) -> str | None:
    """The ``Correction`` trailer value: each notice cut to :data:`NOTICE_MAX_CHARS`
    characters, joined by :data:`CORRECTION_SEPARATOR`; None for no notice."""
    parts = [clean_value(n.replace(CORRECTION_SEPARATOR.strip(), "/"), max_chars=NOTICE_MAX_CHARS)
             for n in notices]
    parts = [p for p in parts if p]
    return CORRECTION_SEPARATOR.join(parts) if parts else None


def seen_notices(trailers: Iterable[Mapping[str, str]]) -> list[str]:
    """The notices recorded by earlier versions (their trailers, each a mapping of
    key to value), from their ``Correction`` trailers."""
    return [n for t in trailers for n in split_correction(t.get(CORRECTION))]


def notices_for(sites: Mapping[str, SiteRules], url: str | None) -> Notices:
    """The notice phrases for the article ``url``: :func:`default_notices` plus the
    ``corrections`` phrases of its ``[sites."host"]`` rules
    (:func:`~gitnews.pagetext.siterules.rules_for_url`)."""
    rules = rules_for_url(sites, url)
    notices = default_notices()
    return notices.with_site(rules.corrections) if rules is not None else notices
