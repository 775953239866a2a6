"""The archive's captures as one standard WARC file: ``gitnews export warc``.

:func:`write_warc` writes an ISO 28500 WARC/1.1 file, gzip-compressed record by
record (``.warc.gz``, the form web archives exchange), with **warcio**
(``WARCWriter``), from the captures the archive keeps on its ``gitnews/captures``
branch (docs/archive-format.md, "Captures"; each version names its capture in the
``Capture`` trailer).  For each version's capture, oldest version first:

* a ``response`` record: the status line, headers and payload bytes as captured,
  ``WARC-Target-URI`` the URL fetched, ``WARC-Date`` the fetch (or, for an
  import, the capture) time as the capture records it;
* its ``request`` record (the request line and headers sent), with
  ``WARC-Concurrent-To`` naming the response;
* where the payload equals one already written in this file (the same SHA-256), a
  ``revisit`` record instead of the response, in the *identical-payload-digest*
  profile of WARC 1.1 (ISO 28500:2017, 6.7.2): the HTTP headers only, with
  ``WARC-Refers-To`` (the earlier record's id), ``WARC-Refers-To-Target-URI`` and
  ``WARC-Refers-To-Date``.  A revisit never refers outside the file, so a file cut
  with ``since`` starts with full responses.

Every record has ``WARC-Block-Digest`` and (but the revisit's, which carries the
payload digest of the record it refers to) ``WARC-Payload-Digest``, both SHA-256 in
the ``sha256:<base32>`` form warcio writes and checks (``warcio check``;
:func:`gitnews.archive.captures.payload_digest`); the hex ``Page-Sha256`` trailer is
the same digest in base 16 (:func:`gitnews.archive.captures.digest_hex`).

The output is deterministic: record ids are UUID 5 of the capture's git blob id and
the record's place in it (:func:`record_id`), dates come from the captures, and the
gzip members carry no time stamp, so that the same archive gives the same bytes.
The file is written beside ``out_path`` and renamed into place at the end: an
error leaves no half-written file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING

from gitnews.archive.captures import NOT_MODIFIED_PROFILE, payload_digest, read_capture
from gitnews.archive.history import end_walk, is_version, iter_commits, version_time
from gitnews.archive.objects import BlobReader
from gitnews.errors import NotFoundError
from gitnews.format.trailers import CAPTURE, format_time

if TYPE_CHECKING:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from gitnews.archive.gitrun import RepoDirs
    from gitnews.archive.repo import Archive
    from gitnews.models import Version

__all__ = ["WarcReport", "CaptureRecord", "write_warc", "record_id", "capture_trailer",
           "read_capture_records", "version_capture", "page_record"]

#: The namespace of the record ids :func:`record_id` makes (a UUID 5 of gitnews's URL).
RECORD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/gitnews/warc-record")

#: The WARC headers of a captured record that are not carried over into the export:
#: ids and digests are made again (the ids must be unique in the new file), lengths
#: and types are written by warcio.
_DROPPED = {"warc-record-id", "warc-concurrent-to", "warc-block-digest", "warc-payload-digest",
            "content-length", "warc-type", "warc-refers-to", "warc-refers-to-target-uri",
            "warc-refers-to-date", "warc-profile", "warc-warcinfo-id", "warc-filename"}


def capture_trailer(trailers: dict[str, str]) -> str | None:
    """The capture's git blob id named by a version's trailers (40 hex), or None."""
    value = (trailers.get(CAPTURE) or "").strip().lower()
    return value or None


def record_id(capture: str, index: int, kind: str) -> str:
    """The ``WARC-Record-ID`` of record ``index`` (0, 1, ...) of the capture whose
    ``.warc`` blob id is ``capture``, written as a ``kind`` record:
    ``<urn:uuid:...>`` (UUID 5, RFC 4122 section 4.3; WARC 1.1, 5.2 asks for a
    globally unique URI in angle brackets)."""
    return f"<urn:uuid:{uuid.uuid5(RECORD_NAMESPACE, f'{capture}/{index}/{kind}')}>"


@dataclass(frozen=True)
class CaptureRecord:
    """One WARC record of a capture, read back (:func:`read_capture_records`).

    ``kind``: ``WARC-Type`` (``request``, ``response``, ``revisit``, ``resource``...);
    ``warc_headers``: its WARC headers in order; ``http_status``: the HTTP status
    line after the protocol (``"200 OK"``, ``"GET /path HTTP/1.1"`` for a request),
    None when the record holds no HTTP message; ``http_headers``: the HTTP headers in
    order; ``payload``: the bytes after the HTTP headers, exactly as stored
    (never decoded).
    """

    kind: str
    warc_headers: tuple[tuple[str, str], ...]
    http_protocol: str | None
    http_status: str | None
    http_headers: tuple[tuple[str, str], ...]
    payload: bytes

    def header(self, name: str) -> str | None:
        """The first WARC header ``name`` (any case), or None."""
        lowered = name.lower()
        return next((v for k, v in self.warc_headers if k.lower() == lowered), None)

    @property
    def target_uri(self) -> str | None:
        """``WARC-Target-URI`` (warcio strips the angle brackets of WARC 1.0 files)."""
        uri = self.header("WARC-Target-URI")
        return uri.strip("<>") if uri else None

    @property
    def date(self) -> str | None:
        """``WARC-Date`` as written (UTC, ``YYYY-MM-DDThh:mm:ss[.fraction]Z``)."""
        return self.header("WARC-Date")


def read_capture_records(data: bytes) -> list[CaptureRecord]:
    """The records of a capture's ``.warc`` file (uncompressed or gzip), in order.

    Raises :class:`ValueError` naming what is wrong when ``data`` is not a WARC file
    warcio can read (a damaged capture).
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    out: list[CaptureRecord] = []
    try:
        for rec in ArchiveIterator(BytesIO(data), check_digests=False):
            http = rec.http_headers
            payload = rec.raw_stream.read()
            out.append(CaptureRecord(
                kind=rec.rec_type or "",
                warc_headers=tuple((str(k), str(v)) for k, v in rec.rec_headers.headers),
                http_protocol=http.protocol if http is not None else None,
                http_status=http.statusline if http is not None else None,
                http_headers=tuple((str(k), str(v)) for k, v in http.headers) if http else (),
                payload=payload))
    except (ArchiveLoadFailed, ValueError, EOFError, OSError) as exc:
        raise ValueError(f"not a readable WARC file ({exc})") from None
    if not out:
        raise ValueError("not a readable WARC file (no record)")
    return out


def version_capture(repo: RepoDirs, version: Version, *, label: str = "the article") -> list[CaptureRecord]:
    """The records of the capture ``version`` names in its ``Capture`` trailer.

    ``label``: how errors name the article.  Raises
    :class:`~gitnews.errors.NotFoundError` when the version names no capture (a
    version recorded before captures were kept, or by an import without one), when
    git does not have it, or when it is not a WARC file warcio can read.
    """
    capture = capture_trailer(version.trailers)
    if capture is None:
        raise NotFoundError(f"version {version.number} of {label} has no capture: it was recorded "
                            "before gitnews kept captures (or with [captures] keep = \"none\"); "
                            "`gitnews show` without --raw/--headers prints its text")
    try:
        data = read_capture(repo, capture)
    except KeyError:
        raise NotFoundError(f"the capture {capture} of version {version.number} of {label} is "
                            "missing from the repository (a clone without the gitnews/captures "
                            "branch?); fetch it with `git fetch origin gitnews/captures:"
                            "gitnews/captures`, or run `gitnews verify`") from None
    try:
        return read_capture_records(data)
    except ValueError as exc:
        raise NotFoundError(f"the capture {capture} of version {version.number} of {label} is "
                            f"damaged: {exc}; `gitnews verify` lists every damaged capture") from None


def page_record(records: Sequence[CaptureRecord]) -> CaptureRecord | None:
    """The record holding the page of a capture: its first ``response`` (or
    ``resource``) record, None when there is none."""
    for kind in ("response", "resource"):
        found = next((r for r in records if r.kind == kind), None)
        if found is not None:
            return found
    return None


@dataclass
class WarcReport:
    """What :func:`write_warc` wrote.

    ``path``: the file; ``captures``: versions whose capture was written;
    ``responses``/``revisits``/``requests``/``other``: records written by type
    (``other``: ``resource``/``metadata`` records of imported captures);
    ``without_capture``: versions that name no capture (older versions, outside
    edits are not versions); ``problems``: ``(article path, version number,
    what is wrong)`` for each capture that could not be read (left out);
    ``size_bytes``: the file's size.
    """

    path: Path
    captures: int = 0
    responses: int = 0
    revisits: int = 0
    requests: int = 0
    other: int = 0
    without_capture: int = 0
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    size_bytes: int = 0

    @property
    def records(self) -> int:
        """Records written (the ``warcinfo`` record not counted)."""
        return self.responses + self.revisits + self.requests + self.other


@dataclass(frozen=True)
class _Pending:
    path: str
    number: int
    capture: str
    when: datetime


def _captured_versions(archive: Archive, *, articles: Sequence[str] | None,
                       since: datetime | None, until: datetime | None,
                       report: WarcReport) -> Iterator[_Pending]:
    """The versions to export, oldest commit first (one ``git log`` of main)."""
    numbers: dict[str, int] = {}
    walk = iter_commits(archive.repo, "HEAD", paths=list(articles) if articles else None)
    try:
        for entry in walk:
            trailers = entry.trailers
            if not is_version(trailers):
                continue
            for status, path in entry.changes:
                if not path.endswith(".txt") or (articles and path not in articles):
                    continue
                numbers[path] = numbers.get(path, 0) + 1
                version = entry.version(path, numbers[path], status=status, trailers=trailers)
                when = version_time(version)
                if (since is not None and when < since) or (until is not None and when > until):
                    continue
                capture = capture_trailer(trailers)
                if capture is None:
                    report.without_capture += 1
                    continue
                yield _Pending(path, version.number, capture, when)
    finally:
        end_walk(walk)


def _writer(out: IO[bytes]) -> WARCWriter:
    from warcio.utils import Digester
    from warcio.warcwriter import WARCWriter

    class _Sha256Writer(WARCWriter):  # type: ignore[misc]  # warcio has no type hints
        """warcio's writer with SHA-256 digests (its default is SHA-1)."""

        @staticmethod
        def _create_digester() -> Digester:
            return Digester("sha256")

    return _Sha256Writer(out, gzip=True, warc_version="1.1")


def _status_headers(protocol: str | None, status: str | None,
                    headers: tuple[tuple[str, str], ...]) -> StatusAndHeaders:
    from warcio.statusandheaders import StatusAndHeaders

    return StatusAndHeaders(status or "", list(headers), protocol=protocol or "")


def write_warc(archive: Archive, out_path: Path | str, *, articles: Sequence[str] | None = None,
               since: datetime | None = None, until: datetime | None = None) -> WarcReport:
    """Write the captures of ``archive``'s versions to ``out_path`` as WARC/1.1 (``.warc.gz``).

    ``articles``: the article files (paths on main, ``host/.../slug.txt``) to
    export, None for all; ``since``/``until`` (aware datetimes, inclusive): only the
    versions captured in that time (:func:`gitnews.archive.history.version_time`).
    Records as in the module docstring; a version without a ``Capture`` trailer is
    counted (:attr:`WarcReport.without_capture`), a capture that is missing or
    damaged is left out and reported (:attr:`WarcReport.problems`), and the rest
    is written.  Returns the :class:`WarcReport`.  Raises :class:`OSError` when the
    file cannot be written (nothing is left at ``out_path`` then).
    """
    out_path = Path(out_path)
    report = WarcReport(path=out_path)
    folder = out_path.parent if str(out_path.parent) else Path(".")
    from gitnews.output.export import signals_held

    tmp_name: str | None = None
    try:
        with signals_held():  # an interruption comes once the name is known (and removed)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp",
                                            dir=folder)
        with os.fdopen(fd, "wb") as out, BlobReader(archive.repo) as reader:
            writer = _writer(out)
            _write_warcinfo(writer, archive, out_path.name)
            # payload sha256 hex -> (record id, target URI, WARC-Date) of its first response
            seen: dict[str, tuple[str, str, str]] = {}
            done: set[str] = set()
            for item in _captured_versions(archive, articles=articles, since=since, until=until,
                                           report=report):
                if item.capture in done:  # two versions naming one capture: written once
                    continue
                try:
                    data = reader.read([item.capture])[item.capture]
                    records = read_capture_records(data)
                except ValueError as exc:
                    if "no blob" in str(exc):
                        reader = _reopen(reader, archive)
                        what = f"its capture {item.capture} is missing from the repository"
                    else:
                        what = f"its capture {item.capture} is damaged: {exc}"
                    report.problems.append((item.path, item.number, what))
                    continue
                done.add(item.capture)
                report.captures += 1
                _write_capture(writer, item.capture, records, seen, report)
        report.size_bytes = os.path.getsize(tmp_name)
        mask = os.umask(0)  # mkstemp made it private: the umask decides, as for open()
        os.umask(mask)
        os.chmod(tmp_name, 0o666 & ~mask)
        os.replace(tmp_name, out_path)
    except BaseException:
        try:
            if tmp_name is not None:
                os.unlink(tmp_name)
        except OSError:
            pass
        raise
    return report


def _reopen(reader: BlobReader, archive: Archive) -> BlobReader:
    """A new reader after :meth:`BlobReader.read` closed one on a missing blob."""
    reader.close()
    return BlobReader(archive.repo)


def _write_warcinfo(writer: WARCWriter, archive: Archive, filename: str) -> None:
    from gitnews._version import __version__
    from gitnews.archive.objects import head_time

    when = head_time(archive.repo) or datetime(1970, 1, 1, tzinfo=UTC)
    fields = (f"software: gitnews {__version__}\r\n"
              "format: WARC File Format 1.1\r\n"
              "conformsTo: https://iipc.github.io/warc-specifications/specifications/"
              "warc-format/warc-1.1/\r\n"
              "description: captures of a gitnews archive (gitnews export warc)\r\n").encode()
    record = writer.create_warc_record(
        "", "warcinfo", payload=BytesIO(fields), length=len(fields),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Record-ID": record_id(filename, 0, "warcinfo"),
                           "WARC-Filename": filename,
                           "WARC-Date": format_time(when)})
    writer.write_record(record)


def _carried(record: CaptureRecord) -> dict[str, str]:
    """The WARC headers of ``record`` the exported record keeps (see :data:`_DROPPED`)."""
    kept: dict[str, str] = {}
    for key, value in record.warc_headers:
        if key.lower() not in _DROPPED and key not in kept:
            kept[key] = value
    return kept


def _write_capture(writer: WARCWriter, capture: str, records: list[CaptureRecord],
                   seen: dict[str, tuple[str, str, str]], report: WarcReport) -> None:
    """Write one capture's records: responses (or revisits) first, then the requests
    naming them (``WARC-Concurrent-To``)."""
    response_id: str | None = None
    #: the records' own WARC-Record-IDs -> the ids written (for WARC-Concurrent-To), and
    #: -> (id, URI, date) of the full response holding their payload (for WARC-Refers-To)
    written: dict[str, str] = {}
    payloads: dict[str, tuple[str, str, str, str]] = {}
    order = sorted(range(len(records)),
                   key=lambda i: (records[i].kind == "request", records[i].kind == "revisit"))
    for index in order:
        rec = records[index]
        own_id = rec.header("WARC-Record-ID") or ""
        headers = _carried(rec)
        uri = rec.target_uri or ""
        http = (_status_headers(rec.http_protocol, rec.http_status, rec.http_headers)
                if rec.http_status is not None else None)
        if rec.kind == "response" and http is not None:
            digest = hashlib.sha256(rec.payload).hexdigest()
            earlier = seen.get(digest)
            if earlier is not None:
                rid = record_id(capture, index, "revisit")
                headers.update({"WARC-Record-ID": rid, "WARC-Refers-To": earlier[0]})
                out = writer.create_revisit_record(uri, payload_digest(rec.payload), earlier[1],
                                                   earlier[2], http_headers=http,
                                                   warc_headers_dict=headers)
                report.revisits += 1
            else:
                rid = record_id(capture, index, "response")
                headers["WARC-Record-ID"] = rid
                out = writer.create_warc_record(uri, "response", payload=BytesIO(rec.payload),
                                                length=len(rec.payload), http_headers=http,
                                                warc_headers_dict=headers)
                earlier = seen[digest] = (rid, uri, rec.date or "")
                report.responses += 1
            response_id = response_id or rid
            written[own_id] = rid
            payloads[own_id] = (*earlier, payload_digest(rec.payload))
        elif (rec.kind == "revisit" and http is not None
              and rec.header("WARC-Profile") == NOT_MODIFIED_PROFILE
              and (rec.header("WARC-Refers-To") or "") in payloads):
            # a 304 that confirmed the page of this capture (not_modified_warc): it
            # refers to the response written for that page (or the one it revisits)
            first_id, first_uri, first_date, digest_value = payloads[rec.header("WARC-Refers-To")
                                                                     or ""]
            rid = written[own_id] = record_id(capture, index, "revisit")
            headers.update({"WARC-Record-ID": rid, "WARC-Profile": NOT_MODIFIED_PROFILE,
                            "WARC-Refers-To": first_id, "WARC-Refers-To-Target-URI": first_uri,
                            "WARC-Refers-To-Date": first_date,
                            "WARC-Payload-Digest": digest_value})
            out = writer.create_warc_record(uri, "revisit", http_headers=http,
                                            warc_headers_dict=headers)
            report.revisits += 1
        elif rec.kind == "request":
            headers["WARC-Record-ID"] = record_id(capture, index, "request")
            concurrent = written.get(rec.header("WARC-Concurrent-To") or "") or response_id
            if concurrent:
                headers["WARC-Concurrent-To"] = concurrent
            out = writer.create_warc_record(uri, "request", payload=BytesIO(rec.payload),
                                            length=len(rec.payload), http_headers=http,
                                            warc_headers_dict=headers)
            report.requests += 1
        elif rec.kind in ("resource", "metadata"):
            headers["WARC-Record-ID"] = record_id(capture, index, rec.kind)
            content_type = headers.pop("Content-Type", "") or "application/octet-stream"
            out = writer.create_warc_record(uri, rec.kind,
                                            payload=BytesIO(rec.payload), length=len(rec.payload),
                                            http_headers=http, warc_content_type=content_type,
                                            warc_headers_dict=headers)
            report.other += 1
        else:  # an imported revisit: what it refers to is not in this file
            continue
        writer.write_record(out)
