"""Import the Wayback Machine's captures of article URLs as versions.

Lists each URL's captures with the CDX API, plans the status-200 HTML ones,
and hands them to the import core (:func:`gitnews.ops.importing.import_planned`),
which fetches each capture's original bytes in capture-time order (through
the ``[wayback]`` settings: base address, request rates, retries) and records
it.  ``Source-Archive`` is the capture's Wayback address.  Each version keeps the
raw (``id_``) answer as its capture: a ``response`` record dated at the capture
time, naming the Wayback address in ``WARC-Source-URI``
(:func:`gitnews.archive.captures.wayback_warc`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from gitnews.archive.captures import wayback_warc
from gitnews.archive.repo import Archive
from gitnews.errors import GitnewsError
from gitnews.models import Outcome
from gitnews.ops.import_report import (
    NOT_200,
    NOT_HTML,
    OUT_OF_RANGE,
    ImportItem,
    ImportProgress,
    ImportResult,
    ProgressCallback,
    skip,
)
from gitnews.ops.importing import _Loaded, _Planned, import_planned, in_range, stopping

__all__ = ["import_wayback"]


def import_wayback(archive: Archive, urls: Sequence[str], *, since: datetime | None = None,
                   until: datetime | None = None,
                   progress: ProgressCallback | None = None,
                   stop: threading.Event | None = None,
                   abandon: threading.Event | None = None) -> ImportResult:
    """Import the Wayback Machine's captures of ``urls`` into ``archive``.

    Lists each URL's status-200 captures with the CDX API (one per distinct
    payload, ``since``/``until`` inclusive), then fetches each capture's
    original bytes (``id_``) in capture-time order, through the
    ``[wayback]`` settings of the archive (base address, request rates,
    retries).  ``Source-Archive`` is the capture's Wayback address.  Never
    raises for one URL or capture; raises
    :class:`~gitnews.errors.StoreError` when git cannot record the versions.
    ``stop``/``abandon``: as for :func:`import_warcs`.
    """
    from gitnews.sources.http import Fetcher
    from gitnews.sources.warc import may_be_html
    from gitnews.sources.wayback import CdxProblem, CdxRecord, WaybackClient, cdx_query_url, playback_url

    cfg = archive.config
    result = ImportResult(started_at=datetime.now(UTC), sources=len(urls))
    planned: list[_Planned] = []
    state = ImportProgress("listing", 0, len(urls))  # where the import is, for a wait's note

    def on_wait(note: str) -> None:
        if progress:
            progress(replace(state, note=note))

    with Fetcher(timeout_s=cfg.fetch.timeout_s, connect_timeout_s=cfg.fetch.connect_timeout_s,
                 max_bytes=cfg.fetch.max_bytes, max_redirects=cfg.fetch.max_redirects,
                 concurrency=1, contact=cfg.fetch.contact) as fetcher:
        wb = cfg.wayback
        client = WaybackClient(fetcher, base_url=wb.base_url,
                               cdx_requests_per_s=wb.cdx_requests_per_s,
                               capture_requests_per_s=wb.capture_requests_per_s,
                               max_retries=wb.max_retries, max_wait_s=wb.max_wait_s,
                               on_wait=on_wait)
        for n, url in enumerate(urls, 1):
            if stopping(result, stop, abandon, 0):
                break
            listing = cdx_query_url(wb.base_url, url, since=since, until=until)
            try:
                for entry in client.captures(url, since=since, until=until):
                    result.records_read += 1
                    if isinstance(entry, CdxProblem):
                        result.items.append(ImportItem(
                            outcome=Outcome.FAILED, source=listing, url=url,
                            where=f"CDX line {entry.line_no}",
                            message=f"{entry.message}: {entry.line!r}; this line was skipped"))
                        continue
                    source = playback_url(wb.base_url, entry.timestamp, entry.original)
                    item = ImportItem(outcome=Outcome.SKIPPED, source=source, url=entry.original,
                                      captured_at=entry.captured_at)
                    if entry.status is not None and entry.status != 200:
                        result.items.append(skip(item, NOT_200, f"status {entry.status}"))
                    elif not may_be_html(entry.mimetype):
                        result.items.append(skip(item, NOT_HTML, f"type {entry.mimetype}"))
                    elif not in_range(entry.captured_at, since, until):
                        result.items.append(skip(item, OUT_OF_RANGE))
                    else:
                        planned.append(_Planned(url=entry.original, captured_at=entry.captured_at,
                                                order=len(planned), source=source, where=None,
                                                digest=entry.digest, ref=entry))
            except GitnewsError as exc:
                result.items.append(ImportItem(
                    outcome=Outcome.FAILED, source=listing, url=url,
                    message=f"could not list the Wayback Machine's captures of {url}: {exc}"))
            state = replace(state, done=n)
            if progress:
                progress(ImportProgress("listing", n, len(urls)))
        state = ImportProgress("importing", 0, len(planned))

        def load(p: _Planned) -> _Loaded:
            nonlocal state
            assert isinstance(p.ref, CdxRecord)  # planned above
            got = client.fetch(p.ref)
            state = replace(state, done=state.done + 1)
            warc = wayback_warc(url=got.original, captured_at=got.captured_at,
                                source_uri=got.address or got.playback_url, status=got.status,
                                reason=got.reason, headers=got.headers, payload=got.body)
            return _Loaded(final_url=got.original, captured_at=got.captured_at,
                           status=got.status, content_type=got.content_type, body=got.body,
                           source=got.playback_url, warc=warc)

        if result.interrupted:  # stopped while listing: nothing was imported
            result.left_undone = len(planned)
        else:
            import_planned(archive, planned, load, result, progress, stop=stop,
                            abandon=abandon)
    result.finished_at = datetime.now(UTC)
    return result
