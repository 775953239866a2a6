"""Import WARC files: every HTML capture in them becomes a version of its article.

Reads the records of each file (:class:`~gitnews.sources.warc.WarcFiles`),
plans the captures (``response`` records, and ``revisit`` records resolved to
a response of the same payload in the files imported), and hands them to the
import core (:func:`gitnews.ops.importing.import_planned`), which records them
in capture order, extracting in worker processes when there are enough.
``Source-Archive`` is the file's name.  Each version keeps its record verbatim
as its capture (a revisit: the revisit record, then the response record holding
its payload; :mod:`gitnews.archive.captures`), with its own WARC headers and date.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gitnews.archive.repo import Archive
from gitnews.models import Outcome
from gitnews.ops.import_report import (
    NOT_200,
    NOT_CAPTURE,
    NOT_HTML,
    OUT_OF_RANGE,
    UNRESOLVED_REVISIT,
    ImportItem,
    ImportProgress,
    ImportResult,
    ProgressCallback,
    skip,
)
from gitnews.ops.importing import _Loaded, _Planned, import_planned, in_range, stopping

if TYPE_CHECKING:
    from gitnews.sources.warc import WarcFiles, WarcRecordInfo

__all__ = ["import_warcs"]


def import_warcs(archive: Archive, files: Sequence[str | Path], *, since: datetime | None = None,
                 until: datetime | None = None,
                 progress: ProgressCallback | None = None,
                 stop: threading.Event | None = None,
                 abandon: threading.Event | None = None) -> ImportResult:
    """Import every HTML capture of the WARC ``files`` into ``archive``.

    Takes ``response`` records with status 200 and an HTML payload, and
    ``revisit`` records whose payload digest matches a response record in one
    of ``files``; ``since``/``until`` (inclusive, aware datetimes) limit the
    capture times.  ``Source-Archive`` is the file's name.  Never raises for a
    bad file or record (see :class:`~gitnews.ops.import_report.ImportItem`); raises
    :class:`~gitnews.errors.StoreError` when git cannot record the versions
    (then nothing of the import is recorded).  ``stop`` set while the files are
    read: nothing is imported; while captures are recorded: the ones recorded
    are committed (``ImportResult.interrupted``); ``abandon``: see
    :func:`~gitnews.ops.importing.import_planned`.
    """
    from gitnews.sources.warc import CAPTURE_TYPES, WarcError, WarcFiles

    result = ImportResult(started_at=datetime.now(UTC), sources=len(files))
    planned: list[_Planned] = []
    revisits: list[tuple[str, WarcRecordInfo]] = []
    by_digest: dict[str, WarcRecordInfo] = {}
    sizes = [_size(f) for f in files]
    with WarcFiles() as warcs:
        for n, file in enumerate(files, 1):
            name = Path(file).name
            before = sum(sizes[:n - 1])
            if stopping(result, stop, abandon, 0):
                break
            try:
                for info in warcs.scan(file):
                    if stopping(result, stop, abandon, 0):
                        break
                    result.records_read += 1
                    if progress and result.records_read % 100 == 0:
                        progress(ImportProgress("reading", before + min(info.offset, sizes[n - 1]),
                                                sum(sizes), f"{result.records_read:,} records"))
                    where = f"byte {info.offset:,}"
                    item = ImportItem(outcome=Outcome.SKIPPED, source=name, url=info.url,
                                      captured_at=info.captured_at, where=where)
                    if info.record_type is not None and info.record_type not in CAPTURE_TYPES:
                        result.items.append(skip(item, NOT_CAPTURE))
                    elif info.problem:
                        item.outcome, item.message = Outcome.FAILED, info.problem
                        result.items.append(item)
                    elif info.record_type == "revisit":
                        if info.status not in (None, 200, 304):
                            result.items.append(skip(item, NOT_200, f"status {info.status}"))
                        else:
                            revisits.append((name, info))
                    elif info.status != 200:
                        result.items.append(skip(item, NOT_200, f"status {info.status}"))
                    else:
                        if info.payload_digest:
                            by_digest.setdefault(info.payload_digest, info)
                        url, captured_at = _placed(info)
                        if not info.html:
                            result.items.append(skip(
                                item, NOT_HTML, f"Content-Type {info.content_type or 'missing'}"))
                        elif not in_range(captured_at, since, until):
                            result.items.append(skip(item, OUT_OF_RANGE))
                        else:
                            planned.append(_Planned(
                                url=url, captured_at=captured_at, order=len(planned),
                                source=name, where=where, digest=info.payload_digest,
                                ref=(info, info)))
            except WarcError as exc:
                result.items.append(ImportItem(outcome=Outcome.FAILED, source=name,
                                               message=str(exc)))
            if progress:
                progress(ImportProgress("reading", sum(sizes[:n]), sum(sizes),
                                        f"{result.records_read:,} records"))
        for name, info in revisits:
            url, captured_at = _placed(info)
            item = ImportItem(outcome=Outcome.SKIPPED, source=name, url=info.url,
                              captured_at=info.captured_at, where=f"byte {info.offset:,}")
            original = by_digest.get(info.payload_digest) if info.payload_digest else None
            if original is None:
                result.items.append(skip(item, UNRESOLVED_REVISIT, (
                    f"a revisit of {info.refers_to_url or info.url}"
                    f"{' captured ' + info.refers_to_date if info.refers_to_date else ''}, whose "
                    f"bytes (payload digest {info.payload_digest or 'missing'}) are in none of the "
                    "files imported; import the WARC holding that capture together with this one")))
            elif not original.html:
                result.items.append(skip(item, NOT_HTML,
                                          f"Content-Type {original.content_type or 'missing'}"))
            elif not in_range(captured_at, since, until):
                result.items.append(skip(item, OUT_OF_RANGE))
            else:
                planned.append(_Planned(url=url, captured_at=captured_at,
                                        order=len(planned), source=name, where=item.where,
                                        digest=info.payload_digest, ref=(info, original)))

        def load(p: _Planned) -> _Loaded:
            assert isinstance(p.ref, tuple)  # planned above: (the record, the one holding its bytes)
            info, original = p.ref
            try:
                response = warcs.read(original)
            except WarcError as exc:
                raise WarcError(f"{exc}" + (f" (the capture revisited by {p.source} {p.where})"
                                            if original is not info else "")) from None
            url, captured_at = _placed(info)
            return _Loaded(final_url=url, captured_at=captured_at,
                           status=200 if original is not info else response.status,
                           content_type=response.content_type, body=response.body,
                           source=p.source, warc=_verbatim(warcs, info, original))

        if result.interrupted:  # stopped while reading: nothing was imported
            result.left_undone = len(planned) + len(revisits)
        else:
            import_planned(archive, planned, load, result, progress, read_ahead=True,
                           stop=stop, abandon=abandon)
    result.finished_at = datetime.now(UTC)
    return result


def _verbatim(warcs: WarcFiles, info: WarcRecordInfo, original: WarcRecordInfo) -> bytes | None:
    """The capture kept for an imported record: the record verbatim (uncompressed) and,
    for a revisit, the response record holding its payload after it; None when a
    record cannot be copied (too large: :data:`~gitnews.sources.warc.RAW_MAX_BYTES`)."""
    first = warcs.raw(info)
    if first is None or original is info:
        return first
    second = warcs.raw(original)
    return None if second is None else first + second


def _placed(info: WarcRecordInfo) -> tuple[str, datetime]:
    """The URL and capture time of a record scanned without a ``problem``
    (:meth:`~gitnews.sources.warc.WarcFiles.scan` reports a record lacking either)."""
    assert info.url is not None and info.captured_at is not None
    return info.url, info.captured_at


def _size(path: str | Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
