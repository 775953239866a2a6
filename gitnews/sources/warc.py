"""Read captures from WARC files (ISO 28500: WARC/1.0 and 1.1) with warcio.

With :mod:`gitnews.sources.warc_record` (one record: its date, status,
payload and damage), the only module that reads WARC files; it uses warcio.  Two passes, so that a
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

A page counts as HTML when its HTTP Content-Type says so or, without a usable
one, its first bytes look like HTML (:func:`~gitnews.sources.warc_record.is_html`).
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING

from warcio.archiveiterator import WARCIterator
from warcio.exceptions import ArchiveLoadFailed

from gitnews.errors import GitnewsError
from gitnews.sources.warc_record import (
    FRAMING_PROBLEMS,
    READ_CHUNK,
    is_html,
    may_be_html,
    parse_warc_date,
    read_payload,
    status_of,
)

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

__all__ = ["WarcRecordInfo", "ArchivedResponse", "WarcFiles", "WarcError", "is_html", "may_be_html",
           "parse_warc_date", "CAPTURE_TYPES", "RAW_MAX_BYTES"]

#: The largest record :meth:`WarcFiles.raw` copies (bytes, uncompressed): a capture
#: bigger than this is not kept verbatim (its version is still imported).
RAW_MAX_BYTES = 64 * 1024 * 1024


#: WARC record types that hold a capture of a page.
CAPTURE_TYPES = ("response", "revisit")

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


class WarcFiles:
    """Scan and read WARC files (a context manager; :meth:`close` ends it).

    Keeps one open file per WARC and the temporary copies of whole-file-gzipped
    WARCs.  Not thread-safe.
    """

    def __init__(self) -> None:
        self._open: dict[str, IO[bytes]] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> WarcFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fh in self._open.values():
            fh.close()
        self._open.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _fh(self, path: str) -> IO[bytes]:
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
    def scan(self, path: str | os.PathLike[str]) -> Iterator[WarcRecordInfo]:
        """Index every record of the WARC file ``path``, in file order.

        Yields a :class:`WarcRecordInfo` per record, and one with
        ``record_type=None`` and a ``problem`` per stretch of bytes that is no
        readable record (reading goes on after it).  Raises :class:`WarcError`
        when the file cannot be opened at all.
        """
        name = str(path)
        found = False
        for info in self._scan(name):
            found = True
            yield info
        if not found:
            size = os.path.getsize(name)
            yield WarcRecordInfo(file=name, offset=0, record_type=None, problem=(
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
            failed: tuple[int, str] | None
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
                if not gz and info.problem and info.problem.startswith(FRAMING_PROBLEMS):
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
                shutil.copyfileobj(src, dst, READ_CHUNK)
        except (OSError, EOFError, zlib.error) as exc:
            # Keep what could be decompressed: a truncated download still has records.
            if not plain.exists():
                raise WarcError(f"cannot decompress {path}: {exc}") from None
        yield from self._scan(str(plain))

    def _info(self, path: str, offset: int, rec: ArcWarcRecord) -> WarcRecordInfo:
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
        head, damage = read_payload(rec, keep=False)
        return WarcRecordInfo(
            file=path, offset=offset, record_type=rtype, url=url, captured_at=captured,
            status=status_of(rec), content_type=content_type,
            html=rtype in CAPTURE_TYPES and is_html(content_type, head),
            payload_digest=headers.get_header("WARC-Payload-Digest"),
            refers_to_url=headers.get_header("WARC-Refers-To-Target-URI"),
            refers_to_date=headers.get_header("WARC-Refers-To-Date"),
            problem=damage or problem)

    @staticmethod
    def _next_start(fh: IO[bytes], after: int, gz: bool) -> int | None:
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
            body, problem = read_payload(rec, keep=True)
        except StopIteration:
            raise WarcError(f"no WARC record in {where}; was the file changed during "
                            "the import? import it again") from None
        except Exception as exc:
            raise WarcError(f"cannot read the record in {where} ({_first_line(exc)}); "
                            "was the file changed during the import? import it again") from None
        if problem:
            raise WarcError(f"{problem} ({where})")
        content_type = rec.http_headers.get_header("Content-Type") if rec.http_headers else None
        return ArchivedResponse(status=status_of(rec), content_type=content_type, body=body)

    def raw(self, info: WarcRecordInfo, *, max_bytes: int = RAW_MAX_BYTES) -> bytes | None:
        """The record ``info`` describes, verbatim and uncompressed (its WARC header
        block and content block as they are in the file, ``WARC/1.x`` first): what
        an import keeps as the capture (:mod:`gitnews.archive.captures`).  None when
        it is larger than ``max_bytes`` or can no longer be read."""
        return _raw_record(self._fh(info.file), info.offset, max_bytes=max_bytes)


def _raw_record(fh: IO[bytes], offset: int, *, max_bytes: int) -> bytes | None:
    """The uncompressed bytes of the record at ``offset`` (a gzip member, or a plain
    record: its header block, ``Content-Length`` bytes and the two CRLFs after them);
    None when it is over ``max_bytes`` or does not read as a record."""
    fh.seek(offset)
    head = fh.read(2)
    fh.seek(offset)
    out = bytearray()
    if head == b"\x1f\x8b":  # one gzip member per record (ISO 28500 annex D)
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while not inflate.eof:
            chunk = fh.read(READ_CHUNK)
            if not chunk:
                return None
            try:
                out += inflate.decompress(chunk, max_bytes + 1 - len(out))
                while inflate.unconsumed_tail and len(out) <= max_bytes:
                    out += inflate.decompress(inflate.unconsumed_tail, max_bytes + 1 - len(out))
            except zlib.error:
                return None
            if len(out) > max_bytes:
                return None
        return bytes(out)
    while b"\r\n\r\n" not in out:
        chunk = fh.read(4096)
        if not chunk or len(out) > 1 << 20:
            return None
        out += chunk
    end = out.index(b"\r\n\r\n") + 4
    length = None
    for line in bytes(out[:end]).split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    if length is None or end + length + 4 > max_bytes:
        return None
    total = end + length + 4
    if len(out) < total:
        out += fh.read(total - len(out))
    return bytes(out[:total]) if len(out) >= total else None


def _gzip_member_is_warc(fh: IO[bytes], at: int) -> bool:
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
