"""One WARC record as warcio reads it: its ``WARC-Date``, the status of the HTTP
response it holds, and its payload with any damage; and whether a captured
payload is an HTML page.

A page counts as HTML when its HTTP Content-Type is ``text/html`` or
``application/xhtml+xml``; without a usable Content-Type, when its first bytes
look like HTML (a simplified WHATWG MIME sniffing: ``<!DOCTYPE HTML``,
``<html``, ``<head``, ``<body`` ...).

Damage of one record (:func:`read_payload`): a record cut short (the file ends
before its ``Content-Length``), whose bytes do not decode, or whose
``WARC-Block-Digest``/``WARC-Payload-Digest`` does not match its bytes
(checked by warcio).
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING

from gitnews.format.trailers import parse_time

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

__all__ = ["is_html", "may_be_html", "parse_warc_date", "status_of", "read_payload",
           "FRAMING_PROBLEMS", "READ_CHUNK"]

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF_TYPES = ("", "application/octet-stream", "unk", "unknown", "application/unknown",
                "*/*")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<!--", b"<meta",
                b"<?xml")
_SNIFF_BYTES = 1024
#: How much is read at a time from a record's stream or a file being copied.
READ_CHUNK = 1 << 16


def parse_warc_date(value: str | None) -> datetime:
    """``WARC-Date`` (W3C/ISO 8601 UTC, e.g. ``2016-09-29T10:02:00Z``, WARC 1.1
    allows fractions of seconds) -> an aware UTC datetime.

    A value without a UTC offset is read as UTC (the standard requires UTC).
    Raises ValueError for a missing or unparseable value.
    """
    if not value or not value.strip():
        raise ValueError("no WARC-Date")
    text = value.strip()
    dt: datetime | None
    try:
        dt = parse_time(text)  # no UTC offset: UTC
    except ValueError:
        dt = None
    if dt is None:
        raise ValueError(f"WARC-Date {text!r} is not an ISO 8601 date-time")
    return dt.astimezone(UTC)


def is_html(content_type: str | None, head: bytes) -> bool:
    """True when a payload is an HTML page: by its Content-Type, else by its first bytes."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _HTML_TYPES:
        return True
    if media not in _SNIFF_TYPES:
        return False
    start = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x0c").lower()
    return start.startswith(_HTML_STARTS)


def may_be_html(content_type: str | None) -> bool:
    """True when a page with this Content-Type (or CDX mimetype) is or may be HTML:
    an HTML type, or none that says otherwise (it is sniffed once read)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in _HTML_TYPES or media in _SNIFF_TYPES


def status_of(rec: ArcWarcRecord) -> int | None:
    """The HTTP status of the response a record holds (None: none, or unreadable)."""
    if rec.http_headers is None:
        return None
    try:
        return int(rec.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def _drain(stream: IO[bytes]) -> None:
    while stream.read(READ_CHUNK):
        pass


#: How the problems of a record's framing begin (:func:`read_payload`): its length or
#: bytes are wrong, so the next record may not start where it says it ends.
FRAMING_PROBLEMS = ("the record is", "the record's bytes")


def read_payload(rec: ArcWarcRecord, *, keep: bool) -> tuple[bytes, str | None]:
    """Read a record to its end; returns (payload or its first bytes, problem).

    The payload is the HTTP body de-chunked and decompressed (warcio's
    ``content_stream``); the whole record is read so that its length and
    digests are checked.
    """
    problem: str | None = None
    try:
        stream = rec.content_stream()
        if keep:
            body = stream.read()
        else:
            body = stream.read(_SNIFF_BYTES)
            _drain(stream)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        body, problem = b"", (f"the HTTP body could not be decoded "
                              f"({exc.__class__.__name__}: {exc})")
    try:
        _drain(rec.raw_stream)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        return body, f"the record is corrupt ({exc.__class__.__name__}: {exc})"
    missing = getattr(rec.raw_stream, "limit", 0)
    if missing:
        return body, (f"the record is cut short: the file ends {missing:,} bytes before the "
                      "record's end (a truncated file? download it again)")
    checker = getattr(rec, "digest_checker", None)
    if checker is not None and checker.passed is False:
        return body, (f"the record's bytes do not match its digest ({'; '.join(checker.problems)}): "
                      "the file is corrupt")
    return body, problem
