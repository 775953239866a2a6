"""Canonical URL -> archive path (pure).

The archive format (docs/archive-format.md) stores each article at
``<host>/<url path>.txt``:

* host lower-cased, without a leading ``www.``; a non-default port appended
  as ``host_8080`` (``_`` cannot occur in a host name, so this stays unique);
* path segments percent-decoded (UTF-8, then Unicode NFC); a trailing
  ``.html .htm .shtml .stm .php .asp .aspx`` dropped; a trailing slash
  ignored; the site root named ``index``;
* the query (only article-identifying parameters survive canonicalisation)
  appended to the last segment as ``@k=v&k2=v2``;
* portable on Windows, macOS and Linux: ``\\ : * ? " < > |`` and control
  characters replaced by ``_``; no leading dot, no trailing dot or space; no
  reserved device name (``CON``, ``aux.txt``, ``LPT1`` ...); at most
  :data:`MAX_COMPONENT_BYTES` per component and :data:`MAX_PATH_BYTES` in all.

Where the readable form could be shared by two different URLs (a character
replaced, a name shortened, upper-case letters that a case-insensitive file
system would fold, or the ``@``/``~`` characters this scheme uses itself), the
file name ends in ``~`` and 8 hex digits of the SHA-256 of the URL key, which
keeps paths apart.  The path never leaves the archive: no empty, ``.`` or
``..`` component can come out.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from gitnews.format.urls import url_key

__all__ = ["article_path", "article_host", "host_key", "MAX_COMPONENT_BYTES", "MAX_PATH_BYTES",
           "SUFFIX"]

MAX_COMPONENT_BYTES = 100
MAX_PATH_BYTES = 200
SUFFIX = ".txt"

_DROPPED_EXTENSIONS = (".html", ".htm", ".shtml", ".stm", ".php", ".asp", ".aspx")
_FORBIDDEN = re.compile(r'[\\:*?"<>|\x00-\x1f\x7f]')
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
    + ["com¹", "com²", "com³", "lpt¹", "lpt²", "lpt³"]
)
_HASH_LEN = 8
#: The archive's own top-level files: a host of that name (``http://gitnews.toml/``)
#: would turn the file into a folder, so it gets a leading ``_`` (compared
#: case-insensitively, as macOS and Windows compare names).
_ARCHIVE_FILES = frozenset({"gitnews.toml", "readme.md", "license", "license.txt"})


def _url_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:_HASH_LEN]


def _decode_segment(segment: str) -> tuple[str, bool]:
    """Percent-decode one segment; returns (text, lossy)."""
    try:
        text = unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return segment, True
    nfc = unicodedata.normalize("NFC", text)
    return nfc, nfc != text


def _clean_component(name: str) -> tuple[str, bool]:
    """Make one path component portable; returns (name, lossy)."""
    lossy = False
    cleaned = _FORBIDDEN.sub("_", name)
    # Unicode line/paragraph separators and other invisible controls.
    cleaned = "".join("_" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                      for c in cleaned)
    if cleaned.startswith("."):
        cleaned = "_" + cleaned[1:]
    stripped = cleaned.rstrip(". ")
    if stripped != cleaned:
        cleaned = stripped
        lossy = True
    if not cleaned:
        cleaned = "_"
    if cleaned.split(".")[0].lower() in _RESERVED:
        cleaned = "_" + cleaned
    if cleaned != name:
        lossy = True
    return cleaned, lossy


def _truncate(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore").rstrip(". ")


def article_path(url: str, *, hashed: bool = False) -> str:
    """Return the archive path (POSIX, relative, ending in ``.txt``) for ``url``.

    ``url`` is any http(s) URL; it is canonicalised first, so ``http`` and
    ``https`` variants and tracking parameters give the same path.
    ``hashed=True`` forces the URL hash into the file name (the store uses it
    when the readable path is already taken by another article).

    Raises :class:`~gitnews.errors.BlockedURLError` for a URL that is not http(s).
    """
    key = url_key(url)
    parts = urlsplit("//" + key)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    if parts.port is not None:
        host = f"{host}_{parts.port}"
    lossy = hashed

    raw_segments = [s for s in parts.path.split("/")]
    lossy |= "//" in parts.path  # empty segments are dropped: `/` and `//` would share a file
    if raw_segments and raw_segments[0] == "":
        raw_segments = raw_segments[1:]
    while raw_segments and raw_segments[-1] == "":
        raw_segments.pop()
    segments: list[str] = []
    for seg in raw_segments:
        text, seg_lossy = _decode_segment(seg)
        lossy |= seg_lossy
        if "/" in text:
            text = text.replace("/", "_")
            lossy = True
        segments.append(text)
    if segments:
        low = segments[-1].lower()
        for ext in _DROPPED_EXTENSIONS:
            if low.endswith(ext) and len(low) > len(ext):
                segments[-1] = segments[-1][: -len(ext)]
                break
    if not segments:
        segments = ["index"]
    # '@' and '~' are this scheme's own separators: a path that has them is ambiguous.
    lossy |= any(c in seg for seg in segments for c in "@~")
    if parts.query:
        query, q_lossy = _decode_segment(parts.query)
        lossy |= q_lossy or "/" in query or "~" in query
        segments[-1] = f"{segments[-1]}@{query.replace('/', '_')}"

    components: list[str] = []
    for seg in [host, *segments]:
        lossy |= seg != seg.lower()  # case-insensitive file systems fold case
        cleaned, seg_lossy = _clean_component(seg)
        lossy |= seg_lossy
        components.append(cleaned)
    if components[0].casefold() in _ARCHIVE_FILES:
        components[0] = "_" + components[0]
        lossy = True

    tag = "~" + _url_hash(key) if lossy else ""
    # Budget: each component <= MAX_COMPONENT_BYTES, the whole <= MAX_PATH_BYTES.
    tail_extra = len((tag + SUFFIX).encode("utf-8"))
    dirs = [_truncate(c, MAX_COMPONENT_BYTES) for c in components[:-1]]
    name = components[-1]
    fixed = sum(len(d.encode("utf-8")) + 1 for d in dirs)
    budget = min(MAX_COMPONENT_BYTES, MAX_PATH_BYTES - fixed) - tail_extra
    truncated = any(d != c for d, c in zip(dirs, components[:-1], strict=True))
    if budget < 16:
        # Too deep: keep the host and fold the rest into the last component.
        dirs = dirs[:1]
        name = "_".join(components[1:])
        truncated = True
        budget = MAX_COMPONENT_BYTES - tail_extra
    short = _truncate(name, budget)
    if short != name or truncated:
        if not tag:
            tag = "~" + _url_hash(key)
            tail_extra = len((tag + SUFFIX).encode("utf-8"))
            fixed = sum(len(d.encode()) + 1 for d in dirs)
            budget = min(MAX_COMPONENT_BYTES, MAX_PATH_BYTES - fixed) - tail_extra
        short = _truncate(name, budget)
    short, _ = _clean_component(short) if short else ("_", True)
    return "/".join([*dirs, short + tag + SUFFIX])


def article_host(url: str) -> str:
    """The host of ``url``, lower-case, without ``www.``: ``theguardian.com``; "" when
    ``url`` has no host or is not a URL :func:`urllib.parse.urlsplit` reads."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def host_key(host: str) -> str:
    """A host as the archive's host folders are named: lower case, no trailing dot, no
    ``www.``, IDNA (``Bücher.de`` -> ``xn--bcher-kva.de``); a host IDNA refuses stays as
    it is (``--host`` of ``list``, ``feed``, ``changes``, ``search``, ``export``, ``site``)."""
    key = host.strip().lower().rstrip(".")
    key = key[4:] if key.startswith("www.") else key
    try:
        key = key.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return key
