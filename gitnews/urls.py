"""URL canonicalisation: one article, one canonical URL (pure functions).

Rules (RFC 3986 section 6 normalisation, plus the news field's conventions):

* only ``http`` and ``https`` URLs are accepted (anything else raises
  :class:`~gitnews.errors.BlockedURLError`);
* scheme and host lower-cased, a trailing dot of the host dropped, the default
  port (80/443) dropped, the fragment dropped;
* percent-encoding normalised: unreserved characters decoded, other escapes
  upper-cased (RFC 3986 §6.2.2.2), dot segments removed (§5.2.4), an empty
  path becomes ``/``;
* tracking parameters (:data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`)
  removed; the remaining query parameters, which identify the article, are
  kept in their order.

``http`` and ``https`` name the same article: :func:`url_key` gives the
scheme-less identity used to look articles up.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from .errors import BlockedURLError

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonical_url", "url_key", "is_fetchable"]

#: Query parameters that track a click and never identify an article
#: (compared case-insensitively).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid",
    "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "smid", "smtyp",
    "ocid", "mc_cid", "mc_eid", "_ga", "_gl", "ito", "int_source", "int_medium",
    "int_campaign", "s_cid", "sr_share",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3",
    "at_custom4", "guccounter", "guce_referrer", "guce_referrer_sig", "spm",
    "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "wt_mc",
    "wt.mc_id", "outputtype", "amp",
})

#: Prefixes of tracking parameters (``utm_source``, ``utm_medium``, ...).
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "vero_", "oly_")

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_fetchable(url: str) -> bool:
    """True if ``url`` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _normalise_escapes(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()
    # Quote characters that must be escaped, keep existing escapes and delimiters.
    text = quote(text, safe="/:@!$&'()*+,;=%~-._?=")
    return _ESCAPE.sub(fix, text)


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


@lru_cache(maxsize=1 << 15)  # pure, and asked many times per article in a run
def canonical_url(url: str) -> str:
    """Return the canonical form of an absolute http(s) ``url``.

    Raises :class:`~gitnews.errors.BlockedURLError` for another scheme, a
    missing host, an invalid port or control characters.
    """
    raw = url.strip()
    if _CONTROL.search(raw):
        raise BlockedURLError(f"URL contains control characters: {raw!r}; fix the link", url=raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise BlockedURLError(f"not a valid URL: {raw!r} ({exc})", url=raw) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BlockedURLError(
            f"only http and https URLs are fetched, not {scheme or 'a relative URL'!s}: {raw!r}",
            url=raw)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedURLError(f"URL has no host: {raw!r}", url=raw)
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise BlockedURLError(f"URL has an invalid host name: {raw!r}", url=raw) from None
    netloc = host.lower()
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(_normalise_escapes(parts.path or "/"))
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = _normalise_escapes(urlencode(pairs, quote_via=quote, safe="/:@!$'()*+,;~")) if pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """The scheme-less identity of ``url``: ``host[:port]/path[?query]``.

    ``http://www.example.com/a`` and ``https://www.example.com/a`` have the same key.
    Raises like :func:`canonical_url`.
    """
    canon = canonical_url(url)
    return canon.split("://", 1)[1]
