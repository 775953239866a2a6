#!/usr/bin/env python3
"""gitnews benchmarks: each case against its baseline, in the same run.

    python benchmarks/run.py                 # every case, full sizes (< 10 min on 2 cores)
    python benchmarks/run.py --quick         # smaller inputs, for a quick look
    python benchmarks/run.py --case store    # one case (repeat --case for several)
    python benchmarks/run.py --json out.json # also write the figures as JSON

Cases (issue 7): ``store`` (commit throughput vs one raw ``git fast-import``),
``poll`` (a run over 2,000 articles on a loopback server vs plain httpx),
``extract`` (extract + normalise vs bare ``trafilatura.bare_extraction``),
``history`` (``gitnews log/show/diff`` vs ``git log -- <path>``, and start-up),
``memory`` (peak RSS of a run over 10,000 articles, small vs large archive),
``import`` (``gitnews import`` of a WARC of 20,000 captures).

Every input is built here, in a temporary folder (deleted at the end unless
``--keep``): synthetic articles with real-looking URLs and ~5 KB texts
(``benchmarks/inputs.py``), big archives written with raw fast-import, and the
60 real pages of ``../shared/scenarios/static-corpus``.  Wall-clock times are
the best of ``--repeat`` runs; the machine is shared, so read ratios, not
absolute figures, and re-run a case that looks off.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import inputs  # noqa: E402
from inputs import BASE_TIME, Site  # noqa: E402

SHARED = ROOT.parent / "shared"


# -- reporting ----------------------------------------------------------------------------------

@dataclass
class Check:
    """One target: ``value`` compared with ``limit`` (``<=`` or ``>=``)."""

    name: str
    value: float | None
    limit: float
    op: str  # "<=" or ">="
    unit: str = "×"

    @property
    def ok(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def line(self) -> str:
        status = {True: "PASS", False: "FAIL", None: "n/a "}[self.ok]
        value = "—" if self.value is None else f"{self.value:.2f}{self.unit}"
        return f"  [{status}] {self.name}: {value} (target {self.op} {self.limit:g}{self.unit})"


@dataclass
class CaseResult:
    name: str
    figures: dict[str, object] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    note: str | None = None


def say(text: str = "") -> None:
    print(text, flush=True)


def timed(func: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    value = func()
    return time.perf_counter() - t0, value


def best_of(repeat: int, func: Callable[[], float]) -> float:
    return min(func() for _ in range(max(1, repeat)))


def copy_archive(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


# -- case 1: store throughput ---------------------------------------------------------------

def _store_captures(site: Site, start: int, versions: int) -> tuple[list, list]:
    """``versions`` captures of articles ``start..`` of ``site`` (as a run would record them),
    and the same commits as raw fast-import :class:`inputs.CommitSpec` (the baseline)."""
    import random

    from gitnews.extract import EXTRACTOR
    from gitnews.models import Article, Page
    from gitnews.paths import article_path
    from gitnews.record import Capture
    from gitnews.urls import canonical_url

    n = len(site) - start
    rng = random.Random("store-order")
    order = list(range(start, len(site))) + [rng.randrange(start, len(site))
                                              for _ in range(versions - n)]
    order[n:] = sorted(order[n:], key=lambda _: rng.random())
    counts: dict[int, int] = {}
    t = BASE_TIME + timedelta(days=400)
    captures, commits = [], []
    for k, i in enumerate(order):
        spec = site.article(i)
        v = counts[i] = counts.get(i, 0) + 1
        when = t + timedelta(seconds=k)
        paras = spec.paragraphs(v)
        article = Article(headline=spec.headline, paragraphs=tuple(paras), byline=spec.byline,
                          published_at=spec.published, canonical_url=spec.url,
                          extractor=EXTRACTOR)
        text = spec.text(v)
        page = Page(url=spec.url, final_url=spec.url, status=200, body=b"", fetched_at=when,
                    content_type="text/html; charset=utf-8", etag=inputs.etag(i, v))
        captures.append(Capture(requested_url=spec.url, page=page, article=article, text=text))
        url = canonical_url(spec.url)
        commits.append(inputs.CommitSpec(
            path=article_path(url), data=text.encode(),
            message=inputs.version_message(url, spec.headline, v, when, byline=spec.byline,
                                           published=spec.published, extractor=EXTRACTOR),
            when=int(when.timestamp())))
    return captures, commits


def _store_gitnews(archive: Path, captures: list) -> dict[str, float]:
    from gitnews import maintenance
    from gitnews.archive import open_archive
    from gitnews.record import Recorder

    with open_archive(archive) as arc:
        arc.state  # noqa: B018 - the cache is synced before the clock starts
        t0 = time.perf_counter()
        tx = arc.transaction()
        rec = Recorder(arc, tx)
        for cap in captures:
            rec.record(cap)
        t1 = time.perf_counter()
        tx.finish()
        t2 = time.perf_counter()
        rec.apply()
        t3 = time.perf_counter()
        maintenance.after_run(arc, tx.commits)
        t4 = time.perf_counter()
    return {"record_s": t1 - t0, "finish_s": t2 - t1, "cache_s": t3 - t2,
            "total_s": t3 - t0, "housekeeping_s": t4 - t3}


def case_store(args: argparse.Namespace, tmp: Path) -> CaseResult:
    res = CaseResult("store")
    n_new, n_versions = (300, 1000) if args.quick else (1500, 5000)
    big_articles, big_commits = (4000, 10000) if args.quick else (20000, 50000)
    site = Site(big_articles + n_new, seed="store")
    say(f"store: {n_versions} versions of {n_new} articles; big archive "
        f"{big_articles} articles / {big_commits} commits")
    captures, commits = _store_captures(site, big_articles, n_versions)
    mb = sum(len(c.data) for c in commits) / 1e6
    say(f"  inputs: {mb:.1f} MB of text")

    empty = tmp / "store-empty"
    from gitnews.archive import init_archive
    init_archive(empty, now=BASE_TIME)
    t, _ = timed(lambda: inputs.fast_import_archive(
        tmp / "store-big", inputs.history_commits(Site(big_articles, seed="store"),
                                                  commits=big_commits)))
    say(f"  built the big archive in {t:.1f} s (raw fast-import, checkout, cache)")
    big = tmp / "store-big"

    for label, src in (("empty", empty), ("big", big)):
        base_times, gn_runs = [], []
        for rep in range(args.repeat):
            b = copy_archive(src, tmp / "store-base")
            parent = inputs.head(b)
            bt, _ = timed(lambda: inputs.raw_fast_import(
                b / ".git", inputs.fast_import_stream(commits, parent=parent)))
            base_times.append(bt)
            g = copy_archive(src, tmp / "store-gn")
            gn_runs.append(_store_gitnews(g, captures))
            same = inputs.head(b) == inputs.head(g)
            if not same:
                raise SystemExit("store: gitnews and raw fast-import wrote different commits")
        bt = min(base_times)
        gn = min(gn_runs, key=lambda r: r["total_s"])
        ratio = (n_versions / gn["total_s"]) / (n_versions / bt)
        res.figures[label] = {
            "baseline_commits_per_s": round(n_versions / bt),
            "gitnews_commits_per_s": round(n_versions / gn["total_s"]),
            "ratio": round(ratio, 3), **{k: round(v, 3) for k, v in gn.items()}}
        say(f"  {label:5}: raw fast-import {n_versions / bt:7.0f} commits/s ({bt:.2f} s); "
            f"gitnews {n_versions / gn['total_s']:7.0f} commits/s ({gn['total_s']:.2f} s = "
            f"record {gn['record_s']:.2f} + finish {gn['finish_s']:.2f} + cache "
            f"{gn['cache_s']:.2f}); ratio {ratio:.2f}×; then commit-graph "
            f"{gn['housekeeping_s']:.2f} s")
        res.checks.append(Check(f"store into {label} archive, × raw fast-import throughput",
                                ratio, 0.5, ">="))
    return res


# -- main -------------------------------------------------------------------------------------

CASES: dict[str, Callable[[argparse.Namespace, Path], CaseResult]] = {
    "store": case_store,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--case", action="append", choices=list(CASES),
                        help="run only this case (repeatable)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement, best kept (default 2, quick 1)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.quick else 2
    tmp = Path(tempfile.mkdtemp(prefix="gitnews-bench-"))
    results: list[CaseResult] = []
    started = time.perf_counter()
    try:
        for name in args.case or list(CASES):
            t0 = time.perf_counter()
            (tmp / name).mkdir()
            results.append(CASES[name](args, tmp / name))
            say(f"  ({name}: {time.perf_counter() - t0:.0f} s)\n")
    finally:
        if args.keep:
            say(f"inputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    say(f"Summary ({time.perf_counter() - started:.0f} s, {os.cpu_count()} cores, "
        f"git {git(ROOT, '--version').split()[-1]}, Python {sys.version.split()[0]})")
    failed = False
    for r in results:
        say(f"{r.name}:" + (f" {r.note}" if r.note else ""))
        for c in r.checks:
            say(c.line())
            failed |= c.ok is False
    if args.json:
        args.json.write_text(json.dumps(
            [{"case": r.name, "note": r.note, "figures": r.figures,
              "checks": [{"name": c.name, "value": c.value, "limit": c.limit, "op": c.op,
                          "ok": c.ok} for c in r.checks]} for r in results], indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
