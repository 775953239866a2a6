"""URL canonicalisation: one article, one canonical URL (pure functions).

Rules (RFC 3986 section 6 normalisation, plus the news field's conventions):

* only ``http`` and ``https`` URLs are accepted (anything else raises
  :class:`~gitnews.errors.BlockedURLError`);
* scheme and host lower-cased, a trailing dot of the host dropped, the default
  port (80/443) dropped, the fragment dropped;
* percent-encoding normalised: unreserved characters decoded, other escapes
  upper-cased (RFC 3986 §6.2.2.2), dot segments removed (§5.2.4), an empty
  path becomes ``/``;
* Unicode text in Normalization Form C (:func:`_nfc_escapes`): the
  percent-encoded path and query are read as UTF-8, normalised to NFC and
  encoded again, so that ``Cafe%CC%81`` (NFD, as macOS and some CMSs write it)
  and ``Caf%C3%A9`` (NFC) are one article (RFC 3987 §5.3.2.2 recommends NFC;
  issue 13);
* tracking parameters (:data:`TRACKING_PARAMS`, :data:`TRACKING_PREFIXES`)
  removed; the remaining query parameters, which identify the article, are
  kept in their order;
* AMP and mobile variants resolve to the article they stand for
  (:func:`_resolve_variant`): an ``amp``/``m``/``mobile`` first host label
  becomes ``www`` (only in front of a registrable domain, e.g. not
  ``m.co.uk``), a path segment ``amp`` and an ``.amp`` before the file
  extension are dropped, and so are the query parameters ``amp``, ``_amp``,
  ``outputType=amp``, ``usqp`` and ``amp_js_v``; Google AMP cache URLs
  (``*.cdn.ampproject.org/c/s/<host>/<path>``, ``google.*/amp/s/<host>/<path>``)
  become the URL they cache.

``http`` and ``https`` name the same article: :func:`url_key` gives the
scheme-less form used for archive paths, :func:`identity_key` the form used to
look articles up (also without a leading ``www.``, since the archive path
drops it too).

Which of a page's URLs names its article, and which URLs are a site's front
or section pages, is judged in :mod:`gitnews.format.sites`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from gitnews.format.exceptions import BlockedURLError

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonical_url", "url_key", "is_fetchable",
           "identity_key"]

#: Query parameters that track a click and never identify an article
#: (compared case-insensitively).  Sources: the click identifiers of the ad
#: networks (Google, Microsoft, Meta, Twitter/X, Yandex, TikTok...), the
#: query-stripping lists of Brave and Firefox, and the campaign parameters news
#: sites put on feed and share links (Guardian ``CMP``/``INTCMP``, NYT
#: ``smid``/``smtyp``/``emc``/``partner``, BBC ``at_*``/``ns_*``, WSJ ``mod``
#: is *not* removed: other CMSs use it for content).  AMP markers (``amp``,
#: ``outputType=amp``...) are handled by the AMP rules instead.
TRACKING_PARAMS = frozenset({
    # click identifiers
    "fbclid", "gclid", "dclid", "gclsrc", "gbraid", "wbraid", "gad_source", "msclkid",
    "yclid", "ysclid", "twclid", "ttclid", "igshid", "igsh", "li_fat_id", "epik",
    "rb_clickid", "irclickid", "wickedid", "s_kwcid", "ef_id", "srsltid", "_openstat",
    # analytics / e-mail marketing
    "_ga", "_gl", "_hsenc", "_hsmi", "__hsfp", "__hssc", "__hstc", "__s",
    "hsctatracking", "mc_cid", "mc_eid", "mkt_tok", "ml_subscriber",
    "ml_subscriber_hash", "oly_anon_id", "oly_enc_id", "vero_conv", "vero_id",
    "__twitter_impression", "fb_action_ids", "fb_action_types", "fb_ref", "fb_source",
    "action_object_map", "action_type_map", "action_ref_map",
    # referrers and campaigns of news sites
    "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "intcmp", "smid", "smtyp",
    "emc", "partner", "ocid", "ncid", "ito", "int_source", "int_medium", "int_campaign",
    "s_cid", "sr_share", "at_medium", "at_campaign", "at_custom1", "at_custom2",
    "at_custom3", "at_custom4", "at_link_id", "at_link_origin", "at_link_type",
    "at_ptr_name", "at_format", "at_bbc_team", "guccounter", "guce_referrer",
    "guce_referrer_sig", "spm", "ns_mchannel", "ns_source", "ns_campaign",
    "ns_linkname", "ns_fee", "wt_mc", "wt.mc_id", "wt.mc_ev", "xtor", "wpisrc", "wpmm",
    "soc_src", "soc_trk", "ftag", "cvid", "taid", "traffic_source", "ss_source",
    "ss_campaign_id",
})

#: Prefixes of tracking parameters (``utm_source``, ``utm_medium``, ...).
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "vero_", "oly_", "itm_", "stm_")

#: Query parameters that mark an AMP variant (dropped; ``outputType`` only when ``amp``).
AMP_PARAMS = frozenset({"amp", "_amp", "amp_js_v", "usqp", "amp_gsa", "amp_tf"})

#: First host labels of mobile and AMP variants of a site.
VARIANT_HOST_LABELS = frozenset({"m", "mobile", "amp", "mobil"})

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HIGH_ESCAPE = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")  # a byte of a UTF-8 sequence
_UTF8_SEQUENCE = {n: re.compile(r"%[C-F][0-9A-F]" + r"%[89AB][0-9A-F]" * (n - 1))
                  for n in (2, 3, 4)}
# What _normalise_escapes leaves unescaped, for re-encoding text after NFC.
_REENCODE_SAFE = "/:@!$&'()*+,;=~-._?"


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


def _utf8_tokens(text: str) -> list[tuple[str | None, str]]:
    """``text`` as ``(character, spelling)`` pairs: a literal character, an
    escaped ASCII character (``("/", "%2F")``), an escaped UTF-8 sequence
    (``("é", "%C3%A9")``), or ``(None, "%E9")`` for a byte that is not part of
    valid UTF-8."""
    tokens: list[tuple[str | None, str]] = []
    i, n = 0, len(text)
    while i < n:
        m = _ESCAPE.match(text, i)
        if m is None:
            tokens.append((text[i], text[i]))
            i += 1
            continue
        lead = int(m.group(1), 16)
        if lead < 0x80:
            tokens.append((chr(lead), m.group(0)))
            i = m.end()
            continue
        size = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else \
            4 if 0xF0 <= lead <= 0xF4 else 0
        raw = text[i:i + 3 * size]
        char = None
        if size and _UTF8_SEQUENCE[size].fullmatch(raw):
            try:
                char = bytes.fromhex(raw.replace("%", "")).decode("utf-8")
            except UnicodeDecodeError:
                char = None
        if char is None:
            tokens.append((None, m.group(0)))
            i = m.end()
        else:
            tokens.append((char, raw))
            i += len(raw)
    return tokens


def _nfc_escapes(text: str) -> str:
    """``text`` (a path or query after :func:`_normalise_escapes`: escapes
    upper-case, every non-ASCII character escaped) with its text in Unicode
    Normalization Form C, escaped again as UTF-8.

    The escapes are read as UTF-8 (``Cafe%CC%81`` is ``Cafe`` + U+0301) and
    each stretch from one ASCII character to the next is normalised: ASCII
    characters are never composed with what comes before them, so this is the
    NFC of the whole decoded text.  A stretch NFC leaves as it is keeps its
    spelling, so an escaped ASCII character (``%2F``, ``%3D``) stays escaped
    unless NFC composes it with a following mark (``%3C`` + U+0338 is ``≮``).
    Bytes that are not valid UTF-8 are kept and composed with nothing.
    Idempotent; text without escaped non-ASCII bytes is returned unchanged.
    """
    if not _HIGH_ESCAPE.search(text):
        return text
    out: list[str] = []
    stretch: list[tuple[str, str]] = []  # (character, spelling), every character valid UTF-8

    def flush() -> None:
        if not stretch:
            return
        chars = "".join(c for c, _ in stretch)
        nfc = unicodedata.normalize("NFC", chars)
        if nfc == chars:
            out.extend(spelling for _, spelling in stretch)
        elif stretch[0][0].isascii() and nfc[0] == stretch[0][0]:
            out.append(stretch[0][1] + quote(nfc[1:], safe=_REENCODE_SAFE))
        else:
            out.append(quote(nfc, safe=_REENCODE_SAFE))
        stretch.clear()

    for char, spelling in _utf8_tokens(text):
        if char is None:  # not UTF-8: a stretch of its own
            flush()
            out.append(spelling)
        else:
            if char.isascii():
                flush()
            stretch.append((char, spelling))
    flush()
    return "".join(out)


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


def _is_tracking(name: str, value: str = "") -> bool:
    low = name.lower()
    if low in AMP_PARAMS or (low == "outputtype" and value.lower() == "amp"):
        return True
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _variant_host(host: str) -> str:
    """``m.example.com``/``amp.example.com`` -> ``www.example.com`` (else ``host``)."""
    first, _, rest = host.partition(".")
    if first in VARIANT_HOST_LABELS and "." in rest:
        from tld import get_fld

        fld = get_fld(host, fix_protocol=True, fail_silently=True)
        if fld and fld != host:  # the label is a subdomain, not the site's own name
            return "www." + rest
    return host


def _variant_path(path: str) -> str:
    """Drop an ``amp`` path segment and an ``.amp`` before the extension."""
    segments = path.split("/")
    kept = [seg for seg in segments if seg.lower() != "amp"]
    if kept == [""] or not kept:
        kept = ["", ""]
    last = kept[-1]
    low = last.lower()
    for marker in (".amp.", ".amp"):
        at = low.rfind(marker)
        if at > 0 and (marker == ".amp." or low.endswith(".amp")):
            kept[-1] = last[:at] + last[at + 4:]
            break
    return "/".join(kept) or "/"


def _amp_cache_target(host: str, path: str, query: str) -> str | None:
    """The URL a Google AMP cache URL stands for, or None."""
    if host.endswith(".cdn.ampproject.org"):
        m = re.match(r"^/[cvi]/(s/)?([^/]+)(/.*)?$", path)
    elif re.match(r"^(www\.)?google\.[a-z.]+$", host):
        m = re.match(r"^/amp/(s/)?([^/]+)(/.*)?$", path)
    else:
        return None
    if not m or "." not in m.group(2):
        return None
    scheme = "https" if m.group(1) else "http"
    return f"{scheme}://{m.group(2)}{m.group(3) or '/'}" + (f"?{query}" if query else "")


@lru_cache(maxsize=1 << 15)  # pure, and asked many times per article in a run
def canonical_url(url: str, *, _resolve: bool = True) -> str:
    """Return the canonical form of an absolute http(s) ``url``.

    Idempotent: ``canonical_url(canonical_url(u)) == canonical_url(u)``.

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
        hint = ""  # `theguardian.com/x` typed without its scheme: say what was meant
        if not scheme and "." in raw.split("/", 1)[0].strip(".") and not raw.startswith("."):
            hint = f"; did you mean 'https://{raw}'?"
        raise BlockedURLError(
            f"only http and https URLs are fetched, not {scheme or 'a relative URL'!s}: {raw!r}"
            + hint, url=raw)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BlockedURLError(f"URL has no host: {raw!r}", url=raw)
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise BlockedURLError(f"URL has an invalid host name: {raw!r}", url=raw) from None
    netloc = host.lower()
    path = _remove_dot_segments(_nfc_escapes(_normalise_escapes(parts.path or "/")))
    if _resolve:
        target = _amp_cache_target(netloc, path, parts.query)
        if target is not None:
            return canonical_url(target, _resolve=False)
        netloc = _variant_host(netloc)
        path = _variant_path(path)
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k, v)]
    query = _nfc_escapes(_normalise_escapes(
        urlencode(pairs, quote_via=quote, safe="/:@!$'()*+,;~"))) if pairs else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def url_key(url: str) -> str:
    """The scheme-less identity of ``url``: ``host[:port]/path[?query]``.

    ``http://www.example.com/a`` and ``https://www.example.com/a`` have the same key.
    Raises like :func:`canonical_url`.
    """
    canon = canonical_url(url)
    return canon.split("://", 1)[1]


def identity_key(url: str) -> str:
    """The key that names an article when looking it up: :func:`url_key`
    without a leading ``www.`` and without a trailing slash (``https://www.x.org/a/``
    and ``http://x.org/a`` are one article, as they are one archive path).
    Raises like :func:`canonical_url`."""
    key = url_key(url)
    key = key[4:] if key.startswith("www.") else key
    host, slash, rest = key.partition("/")
    path, mark, query = rest.partition("?")
    return f"{host}{slash}{path.rstrip('/')}{mark}{query}"
