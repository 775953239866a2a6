"""The ``reextract`` case of benchmarks/run.py (issue 16): ``gitnews reextract`` over the
static corpus against bare extraction of the same pages on all cores.

The archive: each of the real pages of ``../shared/scenarios/static-corpus`` recorded as
one version whose capture (``gitnews.archive.captures.fetch_warc``, on the branch
``gitnews/captures``) holds the page, written through one ``Transaction`` as a run writes
them.  Timed, interleaved, best of ``--repeat``:

* ``reextract``: :func:`gitnews.ops.reextract.reextract` as the command runs it (the pool
  started, each capture read from git and parsed, every page extracted and rendered with
  the archive's settings, each text compared with the stored one; nothing changes, so
  nothing is committed);
* ``bare, all cores``: ``trafilatura.bare_extraction`` of the same bytes with gitnews's
  options in a process pool of every core (its start-up included);
* ``extract+render, all cores``: gitnews's extraction and rendering of the same bytes in its
  pool (``ExtractionPool.map``), what ``reextract`` adds to only the reading of captures.

Target: ``reextract`` <= 1.2x ``bare, all cores``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _bare(body: bytes) -> object:
    import trafilatura

    from gitnews.pagetext.extract import TRAFILATURA_OPTIONS

    options = {**TRAFILATURA_OPTIONS,
               "date_extraction_params": dict(TRAFILATURA_OPTIONS["date_extraction_params"])}
    trafilatura.bare_extraction(body, **options)
    return None


def build_archive(folder: Path, pages: list[tuple[str, bytes, str]]) -> int:
    """An archive with one captured version per page ``(url, body, content type)``;
    returns the number of versions (pages without article text are left out)."""
    from gitnews.archive.captures import fetch_warc, write_capture
    from gitnews.archive.repo import init_archive, open_archive
    from gitnews.errors import ExtractionError
    from gitnews.format.messages import version_message, version_trailers
    from gitnews.format.paths import article_path
    from gitnews.format.trailers import SUBJECT_NEW
    from gitnews.models import Exchange
    from gitnews.pagetext.pipeline import TextSettings, page_text
    from gitnews.versions.record import page_sha256

    when = datetime(2026, 1, 1, tzinfo=UTC)
    init_archive(folder, now=when - timedelta(days=1))
    done = 0
    with open_archive(folder, lock=True) as arc:
        settings = TextSettings.from_config(arc.config)
        seen: set[str] = set()
        with arc.transaction() as tx:
            for i, (url, body, ctype) in enumerate(pages):
                try:
                    text = page_text(body, url, settings)
                except ExtractionError:
                    continue
                path = article_path(url)
                if path in seen:
                    continue
                seen.add(path)
                at = when + timedelta(minutes=i)
                exchange = Exchange(method="GET", url=url, http_version="HTTP/1.1",
                                    request_headers=(("User-Agent", "gitnews-bench"),),
                                    status=200, reason="OK",
                                    response_headers=(("Content-Type", ctype),),
                                    body=body, sent_at=at)
                blob = write_capture(tx, article_path=path, data=fetch_warc(exchange), url=url,
                                     when=at)
                headline = text.text.split("\n", 1)[0]
                trailers = version_trailers(url=url, version=1, fetched_at=at, headline=headline,
                                            status=200, extractor=text.article.extractor,
                                            page_sha=page_sha256(body), capture=blob)
                tx.commit({path: text.text}, message=version_message(SUBJECT_NEW, headline,
                                                                     trailers), when=at)
                done += 1
    return done


def case_reextract(args: argparse.Namespace, tmp: Path, *, CaseResult: Any, Check: Any,
                   say: Callable[[str], None]) -> Any:
    """The case (see the module docstring); ``CaseResult``/``Check``/``say`` are run.py's."""
    res = CaseResult("reextract")
    corpus = SHARED / "scenarios" / "static-corpus"
    if not (corpus / "pages.json").exists():
        res.note = f"not available: needs {corpus} (the team's shared corpus)"
        say(f"reextract: {res.note}")
        return res
    from gitnews.archive.repo import open_archive
    from gitnews.ops.reextract import reextract
    from gitnews.pagetext.pool import ExtractionPool, cpu_count

    meta = json.loads((corpus / "pages.json").read_text())
    pages = [(p["url"], (corpus / p["file"]).read_bytes(), p.get("content_type") or "text/html")
             for p in meta]
    archive = tmp / "archive"
    t0 = time.perf_counter()
    versions = build_archive(archive, pages)
    say(f"reextract: {versions} captured versions of {len(pages)} real pages "
        f"(archive built in {time.perf_counter() - t0:.1f} s), {cpu_count()} cores")
    bodies = [b for _, b, _ in pages]

    def run_reextract() -> None:
        with open_archive(archive, lock=True) as arc:
            result = reextract(arc)
        assert not result.changed and not result.failed, (result.changed[:1], result.failed[:3])

    def bare_pool() -> None:
        with ProcessPoolExecutor(cpu_count()) as pool:
            list(pool.map(_bare, bodies, chunksize=4))

    def ours_pool() -> None:
        with ExtractionPool(cpu_count()) as pool:
            list(pool.map(bodies, urls=[u for u, _, _ in pages]))

    variants = {"bare_extraction, all cores": bare_pool,
                "gitnews extract+render, all cores": ours_pool,
                "gitnews reextract (whole command core)": run_reextract}
    bare_pool()  # warm-up
    best = {k: float("inf") for k in variants}
    for _ in range(args.repeat + 1):
        for name, func in variants.items():
            t = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - t)
    base = best["bare_extraction, all cores"]
    for name, t in best.items():
        say(f"  {name:40} {t:6.2f} s  {1000 * t / len(bodies):6.1f} ms/page  {t / base:5.2f}×")
    ratio = best["gitnews reextract (whole command core)"] / base
    res.figures = {k: round(v, 3) for k, v in best.items()}
    res.figures.update(pages=len(pages), versions=versions, ratio=round(ratio, 3))
    res.checks.append(Check("reextract over the static corpus × bare extraction on all cores",
                            ratio, 1.2, "<="))
    return res
