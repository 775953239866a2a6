"""Captures: the raw HTTP exchanges behind the versions, as WARC files on a branch of their own.

The one reader and writer of the branch ``gitnews/captures``
(:data:`CAPTURES_REF`, docs/archive-format.md, "Captures").  The storage contract:

* One commit per capture on ``refs/heads/gitnews/captures``, parent = the
  previous captures commit; author and committer time = the fetch (or
  capture) time; message ``Capture: <article URL>`` with the trailers
  ``Article-Url`` and ``Fetched-At`` (a live fetch) or ``Captured-At`` (an import).
  The branch is written in the same ``git fast-import`` stream as the version
  commits on ``main`` (:meth:`gitnews.archive.store.Transaction.side_commit`),
  so that a kill leaves both or neither.
* Its tree holds one file per article: the article's path on ``main`` with the
  ``.txt`` suffix replaced by ``.warc`` (:func:`capture_path`).  Each capture
  of an article replaces that file: its history is the article's captures.
* The file is an **uncompressed** WARC/1.1 (ISO 28500:2017), written with
  warcio (``WARCWriter(gzip=False)``), so that git deltas one capture of a page
  against the next:

  - a live fetch (:func:`fetch_warc`): a ``response`` record (status line,
    headers, payload) and a ``request`` record (the request line and headers
    sent), the request's ``WARC-Concurrent-To`` naming the response;
  - an import from a WARC file: the original record(s) verbatim (their own
    WARC headers and date);
  - a version a ``304 Not Modified`` confirmed (:func:`not_modified_warc`): the
    page's capture as above, then the 304 as a ``revisit`` record (profile
    *server-not-modified*, ``WARC-Refers-To`` the page's response) and its request;
  - a Wayback import (:func:`wayback_warc`): one ``response`` record built from
    the raw (``id_``) answer, ``WARC-Date`` = the capture time,
    ``WARC-Target-URI`` = the original URL, ``WARC-Source-URI`` = the Wayback URL.

* The response's ``WARC-Payload-Digest`` is ``sha256:<base32>`` (RFC 4648
  base32 of the SHA-256 of the payload, the form warcio writes and ``warcio
  check`` verifies); :func:`digest_hex` turns it into the 64 hex digits of the
  version's ``Page-Sha256`` (same bytes, so the same digest).  ``WARC-Block-Digest``
  is the same algorithm over the record block (HTTP headers and payload).
* The payload is the body as gitnews read it: a ``Content-Encoding`` (gzip,
  br, deflate, zstd) is undone, so that its digest is ``Page-Sha256`` and a
  replay serves the bytes that were extracted.  The HTTP headers then say so:
  ``Content-Encoding``, ``Transfer-Encoding`` and a ``Content-Length`` that no
  longer describes the payload are replaced (``Content-Length`` = the payload's
  length) and their received values kept as ``X-Gitnews-Original-<Name>``
  headers.  A decoded body is never longer than ``fetch.max_bytes`` (a gzip
  bomb stops there); a body cut at that cap is marked ``WARC-Truncated: length``.
* Never recorded: the ``Authorization``, ``Cookie`` and ``Proxy-Authorization``
  request headers, and user info (``user:password@``) in URLs
  (:data:`gitnews.sources.http.SECRET_HEADERS`; the fetcher never records them,
  and :func:`fetch_warc` leaves them out again).

Determinism: the same exchange gives the same bytes (record ids are UUID 5
of the record's kind, URL, date and payload digest, not random).

Each version commit on ``main`` names its capture's blob in the ``Capture``
trailer (:data:`gitnews.format.trailers.CAPTURE`); :func:`read_capture` reads it back.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlsplit

from gitnews.archive.gitrun import RepoDirs, run
from gitnews.format.trailers import (
    ARTICLE_URL,
    CAPTURED_AT,
    FETCHED_AT,
    format_message,
    format_time,
    parse_time,
    parse_trailers,
)
from gitnews.models import Exchange
from gitnews.sources.http import SECRET_HEADERS, safe_url

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.utils import Digester
    from warcio.warcwriter import WARCWriter

    from gitnews.archive.repo import Archive
    from gitnews.archive.store import Transaction

__all__ = ["CAPTURES_BRANCH", "CAPTURES_REF", "SECRET_HEADERS", "ORIGINAL_PREFIX",
           "CaptureView", "CaptureEntry", "capture_path", "article_path_of", "fetch_warc",
           "wayback_warc", "payload_digest", "digest_hex", "write_capture",
           "capture_message", "read_capture", "capture_records", "capture_view",
           "iter_captures", "captures_tip", "safe_url", "not_modified_warc",
           "NOT_MODIFIED_PROFILE"]

#: The branch that holds the captures (never checked out; ``main`` is the archive).
CAPTURES_BRANCH = "gitnews/captures"
#: Its full ref name.
CAPTURES_REF = f"refs/heads/{CAPTURES_BRANCH}"
#: The file suffix of a capture (the article's ``.txt`` replaced).
SUFFIX = ".warc"
#: Response headers rewritten because the payload is stored decoded; the received
#: value is kept under this prefix (``X-Gitnews-Original-Content-Encoding: gzip``).
ORIGINAL_PREFIX = "X-Gitnews-Original-"
_FRAMING = ("content-encoding", "transfer-encoding")
#: The namespace of the record ids (UUID 5): fixed, so that ids are deterministic.
_ID_NAMESPACE = uuid.UUID("6f1c7e0a-5b57-4d0c-9a65-67c1a7b0e316")


# -- paths and messages ------------------------------------------------------------------------

def capture_path(article_path: str) -> str:
    """The capture file of the article file ``article_path`` (``a/b.txt`` -> ``a/b.warc``;
    a path without ``.txt`` gets ``.warc`` appended)."""
    stem = article_path[:-4] if article_path.endswith(".txt") else article_path
    return stem + SUFFIX


def article_path_of(path: str) -> str:
    """The article file on ``main`` of the capture file ``path`` (the inverse of
    :func:`capture_path` for ``.txt`` articles)."""
    return (path[: -len(SUFFIX)] if path.endswith(SUFFIX) else path) + ".txt"


def capture_message(url: str, when: datetime, *, imported: bool = False) -> str:
    """The captures commit's message: ``Capture: <url>``, then the trailers
    ``Article-Url`` and ``Fetched-At`` (``Captured-At`` when ``imported``),
    times in UTC RFC 3339."""
    return format_message(f"Capture: {url}",
                          [(ARTICLE_URL, url),
                           (CAPTURED_AT if imported else FETCHED_AT, format_time(when))])


# -- digests -------------------------------------------------------------------------------------

def payload_digest(payload: bytes) -> str:
    """The ``WARC-Payload-Digest`` of ``payload``: ``sha256:`` and the RFC 4648
    base32 of its SHA-256 (the form warcio writes and checks)."""
    return "sha256:" + base64.b32encode(hashlib.sha256(payload).digest()).decode("ascii")


def digest_hex(value: str) -> str | None:
    """The SHA-256 hex digits (``Page-Sha256``'s form) of a WARC digest value
    ``sha256:<base32 or hex>``; None for another algorithm or a malformed value."""
    algo, _, rest = value.strip().partition(":")
    if algo.lower() != "sha256" or not rest:
        return None
    rest = rest.strip()
    if len(rest) == 64:
        try:
            return bytes.fromhex(rest).hex()
        except ValueError:
            return None
    try:
        raw = base64.b32decode(rest.upper() + "=" * (-len(rest) % 8))
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


# -- writing WARC records -----------------------------------------------------------------------

@functools.cache
def _writer_class() -> type[WARCWriter]:
    from warcio.utils import Digester
    from warcio.warcwriter import WARCWriter

    class _Writer(WARCWriter):  # type: ignore[misc]  # warcio is untyped
        """WARC/1.1, uncompressed, SHA-256 digests (warcio defaults to SHA-1)."""

        @staticmethod
        def _create_digester() -> Digester:
            return Digester("sha256")

    return _Writer


def _writer(out: io.BytesIO) -> WARCWriter:
    return _writer_class()(out, gzip=False, warc_version="1.1")


def _ascii(line: str) -> str:
    """A request or status line as HTTP/1.1 sends it: non-ASCII characters (an IRI's path,
    a reason phrase read as ISO-8859-1) percent-encoded as UTF-8 (RFC 3987 §3.1).
    Header names and values get the same (:func:`_ascii_headers`)."""
    return "".join(c if ord(c) < 128 else quote(c) for c in line)


def _ascii_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers with their non-ASCII characters percent-encoded as :func:`_ascii` does.
    warcio's own encoding of such values (RFC 8187) fails on some of them (a value
    holding ``;`` and a non-ASCII character before any ``name=``), which would lose the
    capture; an ASCII header is kept as it is."""
    return [(k if k.isascii() else _ascii(k), v if v.isascii() else _ascii(v))
            for k, v in headers]


def _record_id(*parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, chr(31).join(parts))}>"


def _warc_date(when: datetime) -> str:
    """WARC-Date (ISO 28500 §5.4: UTC, W3C-ISO8601); whole seconds unless ``when`` has more."""
    when = when.astimezone(UTC)
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stored_headers(headers: Sequence[tuple[str, str]], payload: bytes) -> list[tuple[str, str]]:
    """The response headers as stored: framing that no longer describes the decoded
    payload replaced, its received values kept under :data:`ORIGINAL_PREFIX`."""
    kept: list[tuple[str, str]] = []
    originals: list[tuple[str, str]] = []
    length = str(len(payload))
    for name, value in headers:
        low = name.lower()
        if low in _FRAMING and not (low == "content-encoding" and value.strip().lower()
                                    in ("", "identity")):
            originals.append((ORIGINAL_PREFIX + name, value))
        elif low == "content-length":
            if value.strip() != length:
                originals.append((ORIGINAL_PREFIX + name, value))
        else:
            kept.append((name, value))
    return [*kept, ("Content-Length", length), *originals]


def _response_record(writer: WARCWriter, *, url: str, when: datetime, status: int, reason: str,
                     protocol: str, headers: Sequence[tuple[str, str]], payload: bytes,
                     truncated: bool,
                     extra: Sequence[tuple[str, str]] = ()) -> ArcWarcRecord:
    from warcio.statusandheaders import StatusAndHeaders

    digest = payload_digest(payload)
    warc_headers = {"WARC-Record-ID": _record_id("response", url, _warc_date(when), digest),
                    "WARC-Date": _warc_date(when)}
    if truncated:
        warc_headers["WARC-Truncated"] = "length"
    warc_headers.update(extra)
    http = StatusAndHeaders(_ascii(f"{status} {reason}".strip()),
                            _ascii_headers(_stored_headers(headers, payload)),
                            protocol=protocol or "HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                     length=len(payload), http_headers=http,
                                     warc_headers_dict=warc_headers)


def fetch_warc(exchange: Exchange, *, fetched_at: datetime | None = None) -> bytes:
    """The capture file of a live fetch: a ``response`` record then a ``request``
    record (``WARC-Concurrent-To`` the response), WARC/1.1, uncompressed.

    ``WARC-Date`` = ``fetched_at`` (default ``exchange.sent_at``; aware datetime);
    ``WARC-Target-URI`` = the URL requested (user info removed).  Secret request
    headers (:data:`SECRET_HEADERS`) are left out.  Deterministic.
    """

    when = fetched_at or exchange.sent_at
    url = safe_url(exchange.url)
    out = io.BytesIO()
    writer = _writer(out)
    resp = _response_record(writer, url=url, when=when, status=exchange.status,
                            reason=exchange.reason, protocol=exchange.http_version,
                            headers=exchange.response_headers, payload=exchange.body,
                            truncated=exchange.truncated)
    req_http = _request_http(exchange, url)
    req = writer.create_warc_record(
        url, "request", http_headers=req_http,
        warc_headers_dict={"WARC-Record-ID": _record_id("request", url, _warc_date(when),
                                                        resp.rec_headers.get_header(
                                                            "WARC-Payload-Digest")),
                           "WARC-Date": _warc_date(when)})
    writer.write_request_response_pair(req, resp)
    return out.getvalue()


def _request_http(exchange: Exchange, url: str) -> StatusAndHeaders:
    """The HTTP part of a ``request`` record: the request line (method, path and query of
    ``url``, protocol) and the headers sent, without :data:`SECRET_HEADERS`."""
    from warcio.statusandheaders import StatusAndHeaders

    parts = urlsplit(url)
    target = _ascii((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    sent = _ascii_headers([(k, v) for k, v in exchange.request_headers
                           if k.lower() not in SECRET_HEADERS])
    return StatusAndHeaders(f"{exchange.method} {target} {exchange.http_version or 'HTTP/1.1'}",
                            sent, is_http_request=True)


#: WARC 1.1's revisit profile for an answer "304 Not Modified" (ISO 28500:2017, 6.7.3).
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def not_modified_warc(page_capture: bytes, exchange: Exchange, *,
                      fetched_at: datetime | None = None) -> bytes:
    """The capture file of a version a ``304 Not Modified`` confirmed (a held text):
    ``page_capture`` — the capture file of the page the version's text comes from
    (a live fetch's :func:`fetch_warc`: its ``response`` and ``request`` records),
    verbatim — followed by the 304 exchange ``exchange``:

    * a ``revisit`` record in the *server-not-modified* profile of WARC 1.1
      (:data:`NOT_MODIFIED_PROFILE`): block = the 304's status line and headers,
      ``WARC-Refers-To`` = the page's response record's ``WARC-Record-ID``,
      ``WARC-Refers-To-Target-URI``/``-Date`` its URI and date, and
      ``WARC-Payload-Digest`` the digest of the payload it re-confirms (so that a
      replay tool can find it by digest too); ``WARC-Date`` = ``fetched_at``
      (default ``exchange.sent_at``);
    * the 304's ``request`` record (``WARC-Concurrent-To`` the revisit).

    The file thus holds the page (its payload digest is the version's
    ``Page-Sha256``) and the answer that confirmed it.  Deterministic.  Raises
    :class:`ValueError` when ``page_capture`` holds no response record.
    """
    from warcio.statusandheaders import StatusAndHeaders

    refers: tuple[str, str, str, str] | None = None
    for record in capture_records(page_capture):
        h = record.rec_headers
        if record.rec_type == "response" and refers is None:
            refers = (h.get_header("WARC-Record-ID") or "", h.get_header("WARC-Target-URI") or "",
                      h.get_header("WARC-Date") or "", h.get_header("WARC-Payload-Digest") or "")
        record.content_stream().read()
    if refers is None or not all(refers):
        raise ValueError("the page's capture holds no complete response record")
    when = fetched_at or exchange.sent_at
    url = safe_url(exchange.url)
    out = io.BytesIO()
    writer = _writer(out)
    http = StatusAndHeaders(_ascii(f"{exchange.status} {exchange.reason}".strip()),
                            _ascii_headers(exchange.response_headers),
                            protocol=exchange.http_version or "HTTP/1.1")
    revisit_id = _record_id("revisit", url, _warc_date(when), refers[0])
    revisit = writer.create_warc_record(
        url, "revisit", http_headers=http,
        warc_headers_dict={"WARC-Record-ID": revisit_id, "WARC-Date": _warc_date(when),
                           "WARC-Profile": NOT_MODIFIED_PROFILE, "WARC-Refers-To": refers[0],
                           "WARC-Refers-To-Target-URI": refers[1],
                           "WARC-Refers-To-Date": refers[2],
                           "WARC-Payload-Digest": refers[3]})
    req_http = _request_http(exchange, url)
    req = writer.create_warc_record(
        url, "request", http_headers=req_http,
        warc_headers_dict={"WARC-Record-ID": _record_id("request", url, _warc_date(when),
                                                        revisit_id),
                           "WARC-Date": _warc_date(when), "WARC-Concurrent-To": revisit_id})
    writer.write_record(revisit)
    writer.write_record(req)
    return page_capture + out.getvalue()


def wayback_warc(*, url: str, captured_at: datetime, source_uri: str, status: int,
                 reason: str, headers: Sequence[tuple[str, str]], payload: bytes,
                 truncated: bool = False) -> bytes:
    """The capture file of a Wayback Machine capture: one ``response`` record of the
    raw (``id_``) answer, ``WARC-Date`` = ``captured_at`` (the archive's capture
    time), ``WARC-Target-URI`` = ``url`` (the original page),
    ``WARC-Source-URI`` = ``source_uri`` (the Wayback URL it was read from).
    Deterministic."""
    out = io.BytesIO()
    writer = _writer(out)
    record = _response_record(writer, url=safe_url(url), when=captured_at, status=status,
                              reason=reason, protocol="HTTP/1.1", headers=headers,
                              payload=payload, truncated=truncated,
                              extra=[("WARC-Source-URI", source_uri)])
    writer.write_record(record)
    return out.getvalue()


def write_capture(tx: Transaction, *, article_path: str, data: bytes, url: str,
                  when: datetime, imported: bool = False) -> str:
    """Queue the capture file ``data`` (WARC bytes) of the article at ``article_path``
    as one commit on :data:`CAPTURES_REF` in ``tx``'s fast-import stream
    (author and committer time ``when``; :func:`capture_message`).

    Returns the blob id of ``data`` (for the version's ``Capture`` trailer).  The
    commit lands when ``tx`` finishes, with the version commits, or not at all.
    """
    from gitnews.archive.store import blob_id

    tx.side_commit(CAPTURES_REF, {capture_path(article_path): data},
                   message=capture_message(url, when, imported=imported), when=when)
    return blob_id(data)


# -- reading ---------------------------------------------------------------------------------------

def _repo(archive: Archive | RepoDirs) -> RepoDirs:
    repo = getattr(archive, "repo", None)
    return cast("RepoDirs", archive if repo is None else repo)


def captures_tip(archive: Archive | RepoDirs) -> str | None:
    """The commit id at the tip of :data:`CAPTURES_REF`, None when the branch does not exist."""
    done = run(_repo(archive), "rev-parse", "--verify", "-q", f"{CAPTURES_REF}^{{commit}}",
               check=False)
    return done.text if done.ok and done.text else None


def read_capture(archive: Archive | RepoDirs, blob_id: str) -> bytes:
    """The capture file (WARC bytes, exactly as stored) of the blob ``blob_id``
    (the ``Capture`` trailer's value).

    Raises :class:`KeyError` when git has no such blob (a damaged or missing
    captures branch; ``gitnews verify`` reports it).
    """
    blob_id = blob_id.strip()
    if not blob_id or any(c not in "0123456789abcdef" for c in blob_id.lower()):
        raise KeyError(f"{blob_id!r} is not a git blob id")
    done = run(_repo(archive), "cat-file", "blob", blob_id, check=False)
    if not done.ok:
        raise KeyError(f"the archive has no capture blob {blob_id}")
    return done.stdout


def capture_records(data: bytes) -> Iterator[ArcWarcRecord]:
    """The WARC records of a capture file, as warcio ``ArcWarcRecord`` objects
    (``ArchiveIterator``; read each record's ``content_stream()`` before moving on).

    Raises :class:`ValueError` when ``data`` is not a WARC file.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        yield from ArchiveIterator(io.BytesIO(data), no_record_parse=False, check_digests=False)
    except ArchiveLoadFailed as exc:
        raise ValueError(f"not a WARC capture: {exc}") from None


@dataclass(frozen=True)
class CaptureView:
    """The response of a capture file, read back (:func:`capture_view`).

    ``url``: ``WARC-Target-URI``; ``fetched_at``: ``WARC-Date`` (aware UTC);
    ``status``/``reason`` and ``http_headers`` (``(name, value)`` as stored,
    see the module docstring for the framing headers); ``payload``: the body
    bytes; ``truncated``: ``WARC-Truncated`` was set; ``request_headers``: the
    request record's headers (empty for imports without one); ``request_line``
    (``GET /path HTTP/1.1``, "" without a request record); ``payload_digest``:
    the record's ``WARC-Payload-Digest`` as written; ``source_uri``:
    ``WARC-Source-URI`` (Wayback imports) or None; ``record_type``: the WARC
    type of the record read (``response``; ``resource`` or ``revisit`` for some
    imports).
    """

    url: str
    fetched_at: datetime | None
    status: int
    reason: str
    http_headers: tuple[tuple[str, str], ...]
    payload: bytes
    truncated: bool
    request_headers: tuple[tuple[str, str], ...] = ()
    request_line: str = ""
    payload_digest: str | None = None
    source_uri: str | None = None
    record_type: str = "response"

    def header(self, name: str) -> str | None:
        """The first HTTP response header ``name`` (any case), or None."""
        low = name.lower()
        return next((v for k, v in self.http_headers if k.lower() == low), None)

    @property
    def payload_sha256(self) -> str:
        """SHA-256 hex of :attr:`payload` (compare with ``Page-Sha256``)."""
        return hashlib.sha256(self.payload).hexdigest()


def _parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    return parse_time(value.strip())


def capture_view(data: bytes) -> CaptureView:
    """The first ``response`` (or ``resource``) record of a capture file, with the
    request record's headers when there is one.  An imported revisit (a
    ``revisit`` record, then the response holding its payload) gives the
    revisit's URL and date, the response's status, headers and payload, and
    ``record_type="revisit"``.

    Raises :class:`ValueError` when ``data`` holds no such record.
    """
    view: dict[str, Any] | None = None
    req_headers: tuple[tuple[str, str], ...] = ()
    req_line = ""
    revisit: tuple[str, datetime | None] | None = None
    for record in capture_records(data):
        kind = record.rec_type
        if kind == "revisit" and revisit is None:
            revisit = (record.rec_headers.get_header("WARC-Target-URI") or "",
                       _parse_warc_date(record.rec_headers.get_header("WARC-Date")))
            record.content_stream().read()
        elif kind == "request" and not req_line and record.http_headers is not None:
            req_headers = tuple(record.http_headers.headers)
            req_line = f"{record.http_headers.protocol} {record.http_headers.statusline}".strip()
            record.content_stream().read()
        elif kind in ("response", "resource") and view is None:
            h = record.rec_headers
            status, reason, headers = 200, "", ()
            if record.http_headers is not None:
                code, _, reason = (record.http_headers.statusline or "").partition(" ")
                status = int(code) if code.isdigit() else 0
                headers = tuple(record.http_headers.headers)
            view = {"url": h.get_header("WARC-Target-URI") or "",
                    "fetched_at": _parse_warc_date(h.get_header("WARC-Date")),
                    "status": status, "reason": reason, "http_headers": headers,
                    "payload": record.content_stream().read(),
                    "truncated": bool(h.get_header("WARC-Truncated")),
                    "payload_digest": h.get_header("WARC-Payload-Digest"),
                    "source_uri": h.get_header("WARC-Source-URI"), "record_type": kind}
        else:
            record.content_stream().read()
    if view is None:
        raise ValueError("the capture holds no response or resource record")
    if revisit is not None:  # an imported revisit: its own URL and date, the response's bytes
        view.update(url=revisit[0] or view["url"], fetched_at=revisit[1] or view["fetched_at"],
                    record_type="revisit")
    return CaptureView(request_headers=req_headers, request_line=req_line, **view)


@dataclass(frozen=True)
class CaptureEntry:
    """One commit of the captures branch (:func:`iter_captures`).

    ``commit``: its id; ``path``: the capture file (``a/b.warc``);
    ``article_path``: the article's file on ``main``; ``blob``: the capture
    file's blob id (the ``Capture`` trailer's value); ``url``: ``Article-Url``;
    ``when``: ``Fetched-At`` or ``Captured-At`` (aware UTC; the commit time when
    neither is readable); ``imported``: ``Captured-At`` was used.
    """

    commit: str
    path: str
    article_path: str
    blob: str
    url: str
    when: datetime
    imported: bool


def iter_captures(archive: Archive | RepoDirs, *,
                  paths: Iterable[str] | None = None) -> Iterator[CaptureEntry]:
    """The captures on :data:`CAPTURES_REF`, **newest first** (``git log`` order),
    optionally only those of the article files ``paths`` (their ``.txt`` paths on
    ``main``).  Nothing when the branch does not exist.  One ``git log`` process,
    read as it goes (memory stays flat)."""
    repo = _repo(archive)
    if captures_tip(repo) is None:
        return
    args = ["-c", "core.quotePath=false", "log", "--format=%x1e%H%x00%ct%x00%B%x00", "--raw",
            "--no-abbrev", "--no-renames", CAPTURES_REF]
    if paths is not None:
        wanted = [capture_path(p) for p in paths]
        if not wanted:
            return
        args += ["--", *wanted]
    out = run(repo, *args).stdout.decode("utf-8", "replace")
    for chunk in out.split("\x1e")[1:]:
        commit, ct, message, raw = (chunk.split("\x00", 3) + ["", "", ""])[:4]
        trailers = dict(parse_trailers(message))
        imported = CAPTURED_AT in trailers
        when = parse_time(trailers.get(CAPTURED_AT if imported else FETCHED_AT)) \
            or datetime.fromtimestamp(int(ct or 0), UTC)
        for line in raw.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            fields = meta.split()
            if len(fields) < 5 or fields[4] == "D":
                continue
            yield CaptureEntry(commit=commit, path=path, article_path=article_path_of(path),
                               blob=fields[3], url=trailers.get(ARTICLE_URL, ""), when=when,
                               imported=imported)
