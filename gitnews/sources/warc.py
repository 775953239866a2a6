"""Read captures from WARC files (ISO 28500: WARC/1.0 and 1.1) with warcio.

The only module that reads WARC files; it uses warcio.  Two passes, so that a
file with tens of thousands of captures never has its bodies in memory at once:

1. :meth:`WarcFiles.scan` reads every record of a file once and yields one
   :class:`WarcRecordInfo` per record (type, target URI, ``WARC-Date``, HTTP
   status, Content-Type, payload digest, offset) or per unreadable stretch of
   the file; bodies are read to check them (length and digests) but not kept.
2. :meth:`WarcFiles.read` seeks to one record's offset and returns its HTTP
   payload as an :class:`ArchivedResponse`.

Random access needs a WARC that is uncompressed or gzipped one record per gzip
member (WARC 1.1, annex D.2; what crawlers write).  A file gzipped as a whole
is decompressed into a temporary file first.

What counts as damage, reported per record (``WarcRecordInfo.problem``) while
the rest of the file is still read:

* a record cut short (the file ends before its ``Content-Length``: a truncated
  download) or whose ``WARC-Block-Digest``/``WARC-Payload-Digest`` does not
  match its bytes (checked by warcio);
* bytes that are not a WARC record (corrupt gzip member, broken header): the
  reader skips to the next record start (next gzip member that decompresses
  to ``WARC/``, or next ``WARC/1.`` line) and goes on; in an uncompressed
  file, a record cut short or failing its digest (a wrong ``Content-Length``
  runs over the records after it) is reported and reading goes on at the next
  ``WARC/1.`` line after its start, so only that record is lost;
* a capture (response or revisit) without ``WARC-Date``, with an unparseable
  one, or without ``WARC-Target-URI``.

A page counts as HTML when its HTTP Content-Type is ``text/html`` or
``application/xhtml+xml``; without a usable Content-Type, when its first bytes
look like HTML (a simplified WHATWG MIME sniffing: ``<!DOCTYPE HTML``,
``<html``, ``<head``, ``<body`` ...).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import WARCIterator
from warcio.exceptions import ArchiveLoadFailed

from gitnews.errors import GitnewsError

__all__ = ["WarcRecordInfo", "ArchivedResponse", "WarcFiles", "WarcError", "is_html", "may_be_html",
           "parse_warc_date", "CAPTURE_TYPES"]

#: WARC record types that hold a capture of a page.
CAPTURE_TYPES = ("response", "revisit")

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFF_TYPES = ("", "application/octet-stream", "unk", "unknown", "application/unknown",
                "*/*")
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<!--", b"<meta",
                b"<?xml")
_SNIFF_BYTES = 1024
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b\x08"


class WarcError(GitnewsError):
    """A WARC file or record could not be read (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class WarcRecordInfo:
    """One record of a WARC file, as indexed by :meth:`WarcFiles.scan` (no body).

    ``file``: the path the record is read from; ``offset``: where its record
    (or gzip member) starts, in bytes; ``record_type``: ``WARC-Type``
    (``response``, ``revisit``, ``request``, ``warcinfo``, ``metadata``...), or
    None for bytes that are no record; ``url``: ``WARC-Target-URI``;
    ``captured_at``: ``WARC-Date`` as an aware UTC datetime (fractions of
    seconds kept); ``status``/``content_type``: of the archived HTTP response;
    ``html``: whether the payload is an HTML page (see the module docstring);
    ``payload_digest``: ``WARC-Payload-Digest`` (``sha1:BASE32``);
    ``refers_to_url``/``refers_to_date``: a revisit's original capture;
    ``problem``: why the record cannot be used (None when it can).
    """

    file: str
    offset: int
    record_type: str | None
    url: str | None = None
    captured_at: datetime | None = None
    status: int | None = None
    content_type: str | None = None
    html: bool = False
    payload_digest: str | None = None
    refers_to_url: str | None = None
    refers_to_date: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ArchivedResponse:
    """The archived HTTP response of one capture: ``body`` is the payload as
    the server sent it, de-chunked and with its Content-Encoding (gzip, br)
    undone, never decoded to text."""

    status: int | None
    content_type: str | None
    body: bytes


def parse_warc_date(value: str | None) -> datetime:
    """``WARC-Date`` (W3C/ISO 8601 UTC, e.g. ``2016-09-29T10:02:00Z``, WARC 1.1
    allows fractions of seconds) -> an aware UTC datetime.

    A value without a UTC offset is read as UTC (the standard requires UTC).
    Raises ValueError for a missing or unparseable value.
    """
    if not value or not value.strip():
        raise ValueError("no WARC-Date")
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"WARC-Date {text!r} is not an ISO 8601 date-time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
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


def _status(rec) -> int | None:  # noqa: ANN001 - warcio ArcWarcRecord
    if rec.http_headers is None:
        return None
    try:
        return int(rec.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def _drain(stream) -> None:  # noqa: ANN001
    while stream.read(_CHUNK):
        pass


#: How the problems of a record's framing begin (:func:`_read_payload`): its length or
#: bytes are wrong, so the next record may not start where it says it ends.
_FRAMING = ("the record is", "the record's bytes")


def _read_payload(rec, *, keep: bool) -> tuple[bytes, str | None]:  # noqa: ANN001
    """Read a record to its end; returns (payload or its first bytes, problem).

    The payload is the HTTP body de-chunked and decompressed (warcio's
    ``content_stream``); the whole record is read so that its length and
    digests are checked.
    """
    problem = None
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


class WarcFiles:
    """Scan and read WARC files (a context manager; :meth:`close` ends it).

    Keeps one open file per WARC and the temporary copies of whole-file-gzipped
    WARCs.  Not thread-safe.
    """

    def __init__(self) -> None:
        self._open: dict[str, object] = {}
        self._tmp: tempfile.TemporaryDirectory | None = None

    def __enter__(self) -> WarcFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fh in self._open.values():
            fh.close()  # type: ignore[attr-defined]
        self._open.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _fh(self, path: str):  # noqa: ANN202
        fh = self._open.get(path)
        if fh is None:
            try:
                fh = open(path, "rb")
            except OSError as exc:
                raise WarcError(f"cannot read {path}: {exc.strerror or exc}; check the file name "
                                "and its permissions") from None
            self._open[path] = fh
        return fh

    # -- pass 1 ----------------------------------------------------------------------------
    def scan(self, path: str | os.PathLike) -> Iterator[WarcRecordInfo]:
        """Index every record of the WARC file ``path``, in file order.

        Yields a :class:`WarcRecordInfo` per record, and one with
        ``record_type=None`` and a ``problem`` per stretch of bytes that is no
        readable record (reading goes on after it).  Raises :class:`WarcError`
        when the file cannot be opened at all.
        """
        path = str(path)
        found = False
        for info in self._scan(path):
            found = True
            yield info
        if not found:
            size = os.path.getsize(path)
            yield WarcRecordInfo(file=path, offset=0, record_type=None, problem=(
                ("the file is empty" if size == 0 else "the file holds no WARC record")
                + ": nothing to import; check that the crawl or the download finished"))

    def _scan(self, path: str) -> Iterator[WarcRecordInfo]:
        fh = self._fh(path)
        head = fh.read(4)
        fh.seek(0)
        gz = head.startswith(_GZIP_MAGIC)
        pos: int | None = 0
        while pos is not None:
            fh.seek(pos)
            it = WARCIterator(fh, check_digests=True)
            records = iter(it)
            last: int | None = None
            # warcio notices a WARC gzipped as a whole only at its second record: hold the first.
            held: WarcRecordInfo | None = None
            while True:
                try:
                    rec = next(records)
                except StopIteration:
                    if held is not None:
                        yield held
                    return
                except Exception as exc:
                    if isinstance(exc, ArchiveLoadFailed) and "non-chunked gzip" in str(exc):
                        yield from self._scan_whole_gzip(path)
                        return
                    if held is not None:
                        yield held
                        held = None
                    at = it.offset if last is None or it.offset > last else last + 1
                    failed = (max(at, pos), _first_line(exc))
                    break
                last = it.offset
                try:
                    info = self._info(path, last, rec)
                except Exception as exc:
                    failed = (last, _first_line(exc))
                    break
                if held is not None:
                    yield held
                    held = None
                if not gz and info.problem and info.problem.startswith(_FRAMING):
                    # A wrong Content-Length may have run over the next records (or left
                    # bytes of this one behind): go on at the next `WARC/1.` line instead.
                    nxt = self._next_start(fh, last + 1, gz)
                    if nxt is not None:
                        info = replace(info, problem=f"{info.problem}; reading goes on at the "
                                                     f"next record (byte {nxt:,})")
                    yield info
                    failed = None
                    pos = nxt
                    break
                if gz and pos == 0 and last == 0:
                    held = info
                else:
                    yield info
            if failed is None:
                continue
            at, why = failed
            pos = self._next_start(fh, at + 1, gz)
            span = f"bytes {at:,} to {pos - 1:,}" if pos is not None else f"byte {at:,} to the end"
            if at == 0 and pos is None:
                yield WarcRecordInfo(file=path, offset=0, record_type=None, problem=(
                    f"not a WARC file ({why}); check that you named the right file"))
                return
            yield WarcRecordInfo(file=path, offset=at, record_type=None,
                                 problem=f"{span} of the file are no readable WARC record ({why}) "
                                         "and were skipped; the file is damaged: a fresh copy "
                                         "may hold the records lost here")

    def _scan_whole_gzip(self, path: str) -> Iterator[WarcRecordInfo]:
        """A WARC gzipped as one stream: index a decompressed temporary copy."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gitnews-warc-")
        plain = Path(self._tmp.name) / f"{len(self._open)}-{Path(path).name}.warc"
        try:
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
        except (OSError, EOFError, zlib.error) as exc:
            # Keep what could be decompressed: a truncated download still has records.
            if not plain.exists():
                raise WarcError(f"cannot decompress {path}: {exc}") from None
        yield from self._scan(str(plain))

    def _info(self, path: str, offset: int, rec) -> WarcRecordInfo:  # noqa: ANN001
        headers = rec.rec_headers
        rtype = rec.rec_type
        url = headers.get_header("WARC-Target-URI")
        url = url.strip().strip("<>") if url else None
        problem = None
        captured = None
        if rtype in CAPTURE_TYPES:
            try:
                captured = parse_warc_date(headers.get_header("WARC-Date"))
            except ValueError as exc:
                problem = f"{exc}: the capture cannot be placed in time"
            if not url:
                problem = problem or "no WARC-Target-URI: the captured URL is unknown"
        content_type = rec.http_headers.get_header("Content-Type") if rec.http_headers else None
        head, damage = _read_payload(rec, keep=False)
        return WarcRecordInfo(
            file=path, offset=offset, record_type=rtype, url=url, captured_at=captured,
            status=_status(rec), content_type=content_type,
            html=rtype in CAPTURE_TYPES and is_html(content_type, head),
            payload_digest=headers.get_header("WARC-Payload-Digest"),
            refers_to_url=headers.get_header("WARC-Refers-To-Target-URI"),
            refers_to_date=headers.get_header("WARC-Refers-To-Date"),
            problem=damage or problem)

    @staticmethod
    def _next_start(fh, after: int, gz: bool) -> int | None:  # noqa: ANN001
        """The offset of the next plausible record start at or after ``after``."""
        needle = _GZIP_MAGIC if gz else b"\nWARC/1."
        fh.seek(after)
        base, tail = after, b""
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return None
            data = tail + chunk
            start = 0
            while (i := data.find(needle, start)) >= 0:
                at = base - len(tail) + i
                if not gz:
                    return at + 1
                if _gzip_member_is_warc(fh, at):
                    return at
                start = i + 1
            tail = data[-(len(needle) - 1):]
            base += len(chunk)
            fh.seek(base)

    # -- pass 2 ----------------------------------------------------------------------------
    def read(self, info: WarcRecordInfo) -> ArchivedResponse:
        """The HTTP payload of the record ``info`` describes.

        Raises :class:`WarcError` when the record can no longer be read or is
        damaged (the file changed since :meth:`scan`).
        """
        fh = self._fh(info.file)
        fh.seek(info.offset)
        where = f"{Path(info.file).name} at byte {info.offset:,}"
        try:
            it = WARCIterator(fh, check_digests=True)
            rec = next(iter(it))
            body, problem = _read_payload(rec, keep=True)
        except StopIteration:
            raise WarcError(f"no WARC record in {where}; was the file changed during "
                            "the import? import it again") from None
        except Exception as exc:
            raise WarcError(f"cannot read the record in {where} ({_first_line(exc)}); "
                            "was the file changed during the import? import it again") from None
        if problem:
            raise WarcError(f"{problem} ({where})")
        content_type = rec.http_headers.get_header("Content-Type") if rec.http_headers else None
        return ArchivedResponse(status=_status(rec), content_type=content_type, body=body)


def _gzip_member_is_warc(fh, at: int) -> bool:  # noqa: ANN001
    """True when a gzip member starts at ``at`` and decompresses to a WARC header."""
    fh.seek(at)
    data = fh.read(4096)
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 16)
    except zlib.error:
        return False
    return out.startswith((b"WARC/", b"filedesc://", b"http://", b"https://", b"dns:"))


def _first_line(exc: BaseException) -> str:
    """A short printable description of a warcio error (which may quote binary bytes)."""
    text = " ".join(str(exc).split())
    if ", first line:" in text:  # warcio quotes the (binary) line it could not parse
        text = text.split(", first line:", 1)[0] + ": not a WARC record header"
    text = "".join(c if c.isascii() and c.isprintable() else "?" for c in text)
    if len(text) > 120:
        text = text[:119] + "…"
    return text or exc.__class__.__name__
