"""Per-site extraction rules, ``[sites."example.com"]`` in ``gitnews.toml`` (pure).

For the pages where generic extraction fails, a site can be given CSS
selectors (or XPath) for::

    [sites."example.com"]
    headline = "h1.article-title"          # the headline: text of the first match
    body = ["div.article-body"]            # the body: the blocks of every match, in page order
    remove = [".newsletter-box", "//aside"] # pruned before extraction
    corrections = ["Nachtrag:"]            # more correction-notice labels (not a selector)

Each value is one selector or a list.  A selector starting with ``/`` or
``(`` is XPath 1.0 (lxml), any other is CSS, translated with the
``cssselect`` library (the translation lxml itself uses).  A key covers its
host and every subdomain; the longest key that matches wins.  A selector
that does not compile is a :class:`~gitnews.errors.ConfigError`; one that
matches nothing on a page is reported for that page (the
:class:`~gitnews.models.Article`'s ``notes``), and generic extraction is
used for that part instead (DocNow/diffengine#28, adbar/trafilatura#193).

:class:`SiteRules` holds the selector strings only (it is pickled to the
extraction processes); compiled selectors are cached per process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gitnews.errors import ConfigError
from gitnews.pagetext.element import Element

if TYPE_CHECKING:  # lxml is imported where a selector is compiled: reading commands need none
    from lxml import etree

__all__ = ["SiteRules", "parse_sites", "rules_for_url", "select"]

_KEYS = ("headline", "body", "remove")
#: Keys of ``[sites."host"]`` read elsewhere: ``front`` (the story blocks of a front page,
#: :mod:`gitnews.sources.fronts`, checked by :mod:`gitnews.config.sources`) and
#: ``corrections`` (more correction-notice labels, :mod:`gitnews.versions.corrections`).
OTHER_KEYS = ("front", "corrections")


@dataclass(frozen=True)
class SiteRules:
    """The rules of one site: ``host`` (the ``gitnews.toml`` key) and the
    ``headline``, ``body`` and ``remove`` selectors (CSS or XPath strings)."""

    host: str
    headline: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    #: Phrases that begin this site's correction notices (:mod:`gitnews.versions.corrections`);
    #: not selectors, and not part of :attr:`digest` (they do not change the text).
    corrections: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        """12 hex digits naming these rules (part of a text's fingerprint)."""
        text = "\n".join(f"{k}={s}" for k in _KEYS for s in getattr(self, k))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=512)
def _compiled(selector: str) -> etree.XPath:
    """The XPath of ``selector``; raises ValueError with the reason when invalid."""
    from lxml import etree

    text = selector.strip()
    if not text:
        raise ValueError("an empty selector")
    if text.startswith(("/", "(")):
        try:
            return etree.XPath(text)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"not valid XPath ({exc})") from None
    from cssselect import GenericTranslator, SelectorError

    try:
        return etree.XPath(GenericTranslator().css_to_xpath(text))
    except SelectorError as exc:
        raise ValueError(f"not a valid CSS selector ({exc})") from None


def select(root: Element, selector: str) -> list[Element]:
    """The elements of the tree ``root`` that ``selector`` (CSS or XPath) matches,
    in document order (text or attribute results of an XPath are ignored)."""
    from lxml import etree

    found = _compiled(selector)(root)
    if not isinstance(found, list):
        return []
    return [e for e in found if isinstance(e, etree._Element) and isinstance(e.tag, str)]


def _selectors(host: str, key: str, value: object) -> tuple[str, ...]:
    where = f'sites."{host}".{key}'
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} in gitnews.toml must be a CSS selector or XPath (a string) "
                          "or a list of them")
    for selector in value:
        try:
            _compiled(selector)
        except ValueError as exc:
            raise ConfigError(f"{where} in gitnews.toml: {selector!r} is {exc}; fix or remove it") from None
    return tuple(value)


def _phrases(host: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f'sites."{host}".corrections in gitnews.toml must be a phrase (a '
                          'string such as "Nachtrag:") or a list of them')
    return tuple(v.strip() for v in value)


def parse_sites(data: Mapping[str, object]) -> dict[str, SiteRules]:
    """``{host: SiteRules}`` from the ``[sites]`` table of ``gitnews.toml``.

    Raises :class:`~gitnews.errors.ConfigError` naming the key for an unknown
    key, a value that is not a string or list of strings, or a selector that
    is neither valid CSS nor valid XPath.
    """
    out: dict[str, SiteRules] = {}
    for host, table in dict(data).items():
        if not isinstance(table, Mapping):
            raise ConfigError(f'sites."{host}" in gitnews.toml must be a table with the keys '
                              f"{', '.join(_KEYS + OTHER_KEYS)}")
        unknown = sorted(set(table) - set(_KEYS) - set(OTHER_KEYS))
        if unknown:
            raise ConfigError(f'unknown key {unknown[0]!r} in sites."{host}" of gitnews.toml; '
                              f"known keys: {', '.join(_KEYS + OTHER_KEYS)}")
        key = host.lower().strip(".")
        out[key] = SiteRules(host=key, **{k: _selectors(host, k, table[k]) for k in _KEYS if k in table},
                             corrections=_phrases(host, table.get("corrections", [])))
    return out


def rules_for_url(sites: Mapping[str, SiteRules], url: str | None) -> SiteRules | None:
    """The rules whose key is the host of ``url`` or its longest parent domain; None if none."""
    if not sites or not url:
        return None
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    best = None
    for key, rules in sites.items():
        if (host == key or host.endswith("." + key)) and (best is None or len(key) > len(best.host)):
            best = rules
    return best
