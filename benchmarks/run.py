#!/usr/bin/env python3
"""gitnews benchmarks: each case against its baseline, in the same run.

    python benchmarks/run.py                 # every case, full sizes (about 26 min on 2 idle cores)
    python benchmarks/run.py --quick         # smaller inputs, for a quick look
    python benchmarks/run.py --all           # also the cases that measure no target
    python benchmarks/run.py --inputs-cache ~/.cache/gitnews-bench   # reuse built inputs
    python benchmarks/run.py --case store    # one case (repeat --case for several)
    python benchmarks/run.py --json out.json # also write the figures as JSON
    python benchmarks/run.py --scale         # the scale case only, by hand: 1,000,000 versions
    python benchmarks/run.py --scale --scale-versions 100000   # the same, smaller

Cases (issue 7): ``store`` (commit throughput vs one raw ``git fast-import``),
``poll`` (a run over 2,000 articles on a loopback server vs plain httpx),
``extract`` (extract + normalise vs bare ``trafilatura.bare_extraction``),
``history`` (``gitnews log/show/diff`` vs ``git log -- <path>``, and start-up),
``memory`` (peak RSS of a run over 10,000 articles, small vs large archive),
``import`` (``gitnews import`` of a WARC of 20,000 captures), ``quality`` (the
stored text of the corpus pages with ground truth: precision, recall, F1 and
headline agreement vs bare ``trafilatura.bare_extraction``; ``benchmarks/quality.py``).

The big archives that several cases only read (100,000 versions / 20,000 articles for
history, export, changes and search) are built once per run and shared
(``inputs.shared_archive``); a case that writes works on a copy.  The summary gives each
case's time and the total.  ``--scale`` runs only the scale case (``benchmarks/scale.py``,
issue 19: a run, log, site, gc and the cache rebuild on an archive of a million versions);
it is not part of the full run.  The cases that measure no issue's target (``extract``,
``import``, ``quality``, ``fleet``, ``collection_reads``: :data:`NOT_TARGETS`) run only with
``--all`` or ``--case``.  ``--inputs-cache DIR`` keeps the built input archives between
runs (``inputs.cached_build``: keyed by their parameters and the code that builds them;
git's objects hard-linked into each run's copy); without it every run builds every input.

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
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import collection_reads  # noqa: E402
import fleet  # noqa: E402
import inputs  # noqa: E402
import poll  # noqa: E402
import search_index  # noqa: E402
import sources  # noqa: E402
from export import case_export  # noqa: E402
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


def cpu_timed(func: Callable[[], object]) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds of this process (all its threads), and the result."""
    c0, t0 = time.process_time(), time.perf_counter()
    value = func()
    return time.perf_counter() - t0, time.process_time() - c0, value


def load() -> str:
    """The machine's load average over the last minute (other people's work counts)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):
        return "?"


def best_of(repeat: int, func: Callable[[], float]) -> float:
    return min(func() for _ in range(max(1, repeat)))


def copy_archive(src: Path, dst: Path) -> Path:
    """A copy of ``src`` at ``dst``, git's objects hard-linked (inputs.copy_tree)."""
    return inputs.copy_tree(src, dst)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


#: Stored texts of the big archives' history (~1 KB: quick to build; see ArticleSpec.short_text).
SHORT = inputs.ArticleSpec.short_text


# -- case 1: store throughput ---------------------------------------------------------------

def _store_captures(site: Site, start: int, versions: int) -> tuple[list, list]:
    """``versions`` captures of articles ``start..`` of ``site`` (as a run would record them),
    and the same commits as raw fast-import :class:`inputs.CommitSpec` (the baseline)."""
    import random

    from gitnews.format.paths import article_path
    from gitnews.format.urls import canonical_url
    from gitnews.models import Article, Page
    from gitnews.pagetext.extract import EXTRACTOR
    from gitnews.versions.record import Capture

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
    from gitnews.archive import maintenance
    from gitnews.archive.repo import open_archive
    from gitnews.versions.record import Recorder

    with open_archive(archive) as arc:
        arc.state  # noqa: B018 - the cache is synced before the clock starts
        c0, k0 = time.process_time(), _cpu_of_children()
        t0 = time.perf_counter()
        tx = arc.transaction()
        rec = Recorder(arc, tx)
        for cap in captures:
            rec.record(cap)
        t1 = time.perf_counter()
        # As gitnews.ops.run.run does: the commit-graph layer and the files written
        # while the cache is updated.
        tx.finish(graph_in_background=True, worktree_in_background=True)
        t2 = time.perf_counter()
        rec.apply()
        t3 = time.perf_counter()
        tx.wait_worktree()
        tx.wait_commit_graph()
        t4 = time.perf_counter()
        # CPU seconds up to here: this process (all its threads) and its git children
        # (fast-import, the working-tree update, the commit-graph, cat-file).
        py_cpu, git_cpu = time.process_time() - c0, _cpu_of_children() - k0
        maintenance.after_run(arc, tx)  # gc --auto, and the packs kept small (case gc)
        t5 = time.perf_counter()
    return {"record_s": t1 - t0, "finish_s": t2 - t1, "cache_s": t3 - t2,
            "wait_s": t4 - t3, "total_s": t4 - t0, "packs_s": t5 - t4,
            "python_cpu_s": py_cpu, "git_cpu_s": git_cpu}


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
    from gitnews.archive.repo import init_archive
    init_archive(empty, now=BASE_TIME)
    t, _ = timed(lambda: inputs.cached_build(
        f"store-{big_articles}-{big_commits}-short", tmp / "store-big",
        lambda p: inputs.fast_import_archive(p, inputs.history_commits(
            Site(big_articles, seed="store"), commits=big_commits, text_for=SHORT))))
    say(f"  built the big archive in {t:.1f} s (raw fast-import, checkout, cache)")
    big = tmp / "store-big"

    for label, src in (("empty", empty), ("big", big)):
        base_times, gn_runs, base_cpu = [], [], []
        for rep in range(args.repeat):
            g = copy_archive(src, tmp / "store-gn")
            parent = inputs.head(g)
            gn_runs.append(_store_gitnews(g, captures))
            # The baseline streams exactly the commits gitnews wrote (messages, dates,
            # trailers and texts as they are), exported beforehand, untimed.
            stream = subprocess.run(
                ["git", "-C", str(g), "fast-export", "--use-done-feature",
                 "--reference-excluded-parents", f"{parent}..refs/heads/main"],
                check=True, capture_output=True).stdout
            b = copy_archive(src, tmp / "store-base")
            k0 = _cpu_of_children()
            bt, _ = timed(lambda: inputs.raw_fast_import(b / ".git", [stream]))
            base_times.append(bt)
            base_cpu.append(_cpu_of_children() - k0)
            if inputs.head(b) != inputs.head(g):
                raise SystemExit("store: gitnews and raw fast-import wrote different commits")
        if int(git(g, "rev-list", "--count", f"{parent}..HEAD")) != n_versions:
            raise SystemExit("store: gitnews did not write one commit per capture")
        bt = min(base_times)
        gn = min(gn_runs, key=lambda r: r["total_s"])
        ratio = (n_versions / gn["total_s"]) / (n_versions / bt)
        cpu = gn["python_cpu_s"] + gn["git_cpu_s"]
        res.figures[label] = {
            "baseline_cpu_s": round(min(base_cpu), 3), "cpu_ratio": round(min(base_cpu) / cpu, 3),
            "baseline_commits_per_s": round(n_versions / bt),
            "gitnews_commits_per_s": round(n_versions / gn["total_s"]),
            "ratio": round(ratio, 3), **{k: round(v, 3) for k, v in gn.items()}}
        say(f"  {label:5}: raw fast-import {n_versions / bt:7.0f} commits/s ({bt:.2f} s); "
            f"gitnews {n_versions / gn['total_s']:7.0f} commits/s ({gn['total_s']:.2f} s = "
            f"record {gn['record_s']:.2f} + finish {gn['finish_s']:.2f} + cache "
            f"{gn['cache_s']:.2f} + waiting for the files and the commit-graph "
            f"{gn['wait_s']:.2f}); ratio {ratio:.2f}×; then the packs (gc --auto and the "
            f"repack of case gc, not in the ratio: fast-import does neither) "
            f"{gn['packs_s']:.2f} s, ratio with them {(n_versions / (gn['total_s'] + gn['packs_s'])) / (n_versions / bt):.2f}×")
        say(f"         CPU: raw fast-import {min(base_cpu):.2f} s; gitnews {cpu:.2f} s = Python "
            f"{gn['python_cpu_s']:.2f} + git {gn['git_cpu_s']:.2f} (fast-import, files, "
            f"commit-graph, cat-file): {min(base_cpu) / cpu:.2f}× (on a loaded machine the "
            f"wall-clock ratio follows this one)")
        res.checks.append(Check(f"store into {label} archive, × raw fast-import throughput",
                                ratio, 0.9 if label == "big" else 0.5, ">="))
    return res


# -- cache rebuild (issue 19) ------------------------------------------------------------------

#: The baseline of the rebuild: one ``git log --raw`` with the same trailers (git's own
#: trailer parser), oldest first, as machine-readable as the rebuild's own log.
REBUILD_BASELINE = ("log", "--raw", "--no-abbrev", "--no-renames", "-z", "--reverse",
                    "--format=%x1e%H%x00%at%x00%s%x00%(trailers:only,unfold)")


def _cpu_of_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _rebuild_once(archive: Path, index_s: list[float] | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (this process and its git children) of one rebuild;
    ``index_s`` gets the wall seconds of building the full-text index afterwards
    (``SearchIndex.build_search``, what the first ``gitnews search`` does since the
    index is built on first use, branch s6-lazyidx: the texts read from git, words,
    FTS5 rows); the rebuild itself no longer indexes."""
    from gitnews.archive.repo import open_archive

    for extra in ("", "-wal", "-shm"):
        (archive / ".git" / "gitnews" / f"state.sqlite{extra}").unlink(missing_ok=True)
    c0, k0, t0 = time.process_time(), _cpu_of_children(), time.perf_counter()
    with open_archive(archive) as arc:
        state = arc.state  # opening the cache rebuilds it from git
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0 + _cpu_of_children() - k0
        if state.search_built():
            raise SystemExit("rebuild: the rebuild built the search index (expected: not)")
        t1 = time.perf_counter()
        state.build_search()  # the first search's extra cost
        if index_s is not None:
            index_s.append(time.perf_counter() - t1)
    return wall, cpu


def _baseline_log(archive: Path) -> tuple[float, float]:
    k0, t0 = _cpu_of_children(), time.perf_counter()
    subprocess.run(["git", "-C", str(archive), *REBUILD_BASELINE], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, _cpu_of_children() - k0


def case_rebuild(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """The cache rebuilt from git (a fresh clone, a schema change) vs one ``git log --raw``
    with the same trailers over the same history."""
    res = CaseResult("rebuild")
    # The ratio hardly depends on the size (both sides stream the same history); a
    # bigger archive only makes the whole benchmark longer to build.
    n_articles, n_commits = (1000, 5000) if args.quick else (4000, 20000)
    # A copy of the archive shared with export (inputs.shared_archive); its cache is
    # deleted before each rebuild.
    t, archive = timed(lambda: inputs.shared_archive(articles=n_articles, commits=n_commits,
                                                     short=True, fresh=tmp / "archive"))
    say(f"rebuild: {n_articles} articles / {n_commits} commits ({t:.0f} s to build or copy)")
    ours, base, index_s = [], [], []
    for _ in range(max(2, args.repeat)):  # alternate, keep the best of each
        base.append(_baseline_log(archive))
        ours.append(_rebuild_once(archive, index_s))
    (bw, bc), (ow, oc) = min(base), min(ours)
    ix = index_s[ours.index((ow, oc))]  # the search index's share of the best rebuild
    versions = _count_versions(archive)
    if versions != n_commits:
        raise SystemExit(f"rebuild: the cache holds {versions} versions, not {n_commits}")
    res.figures.update(commits=n_commits, baseline_wall_s=round(bw, 3), baseline_cpu_s=round(bc, 3),
                       rebuild_wall_s=round(ow, 3), rebuild_cpu_s=round(oc, 3),
                       wall_ratio=round(ow / bw, 3), cpu_ratio=round(oc / bc, 3),
                       s_per_10k_commits=round(ow / n_commits * 10000, 3),
                       search_index_s=round(ix, 3),
                       with_search_index_wall_ratio=round((ow + ix) / bw, 3))
    say(f"  one `git log --raw` with the trailers: {bw:.2f} s ({bc:.2f} s CPU); rebuild "
        f"{ow:.2f} s ({oc:.2f} s CPU, git included): {ow / bw:.2f}× wall, {oc / bc:.2f}× CPU; "
        f"the full-text index, built after it on first use (every text read from git), "
        f"{ix:.2f} s: both {(ow + ix) / bw:.2f}× wall")
    res.checks.append(Check("cache rebuild, × one git log --raw with the trailers (wall)",
                            ow / bw, 1.5, "<="))
    return res


def _count_versions(archive: Path) -> int:
    import sqlite3

    db = sqlite3.connect(archive / ".git" / "gitnews" / "state.sqlite")
    try:
        return int(db.execute("SELECT COUNT(*) FROM versions").fetchone()[0])
    finally:
        db.close()


# -- gc: the archive's size (issue 19) -------------------------------------------------------

def _pack_bytes(archive: Path) -> int:
    """Bytes of the archive's objects: packs and loose objects (``git count-objects -v``)."""
    from gitnews.archive.maintenance import object_stats

    stats = object_stats(archive)
    return stats.pack_bytes + stats.loose_bytes


def _repacked_bytes(archive: Path, tmp: Path) -> tuple[int, float]:
    """The size of a copy of ``archive`` after ``git repack -adf``, and how long that took."""
    copy = copy_archive(archive, tmp / "repacked")
    t, _ = timed(lambda: git(copy, "repack", "-adfq"))
    size = _pack_bytes(copy)
    shutil.rmtree(copy)
    return size, t


def case_gc(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """The archive's size after ``gitnews gc`` and then after 10 runs (each ending with
    its housekeeping, ``git gc --auto``, as a run does), each against ``git repack -adf``
    of the same repository."""
    from gitnews.archive import maintenance
    from gitnews.archive.repo import open_archive
    from gitnews.format.paths import article_path
    from gitnews.models import Article, Page
    from gitnews.pagetext.extract import EXTRACTOR
    from gitnews.versions.record import Capture, Recorder

    res = CaseResult("gc")
    n_articles, n_commits, per_run = (600, 1800, 60) if args.quick else (2500, 7500, 250)
    site = Site(n_articles, seed="gc")
    history = list(inputs.history_commits(site, commits=n_commits))  # full ~5 KB texts
    counts: dict[str, int] = {}
    for c in history:
        counts[c.path] = counts.get(c.path, 0) + 1
    t, archive = timed(lambda: inputs.cached_build(
        f"gc-{n_articles}-{n_commits}-full", tmp / "archive",
        lambda p: inputs.fast_import_archive(p, history)))
    say(f"gc: {n_articles} articles / {n_commits} commits (~5 KB texts; built in {t:.0f} s), "
        f"then 10 runs of {per_run} new versions")
    import random

    gc_t, _ = timed(lambda: maintenance.gc(archive))
    after_gc = _pack_bytes(archive)
    base_gc, repack_t = _repacked_bytes(archive, tmp)
    mib = 1 << 20
    say(f"  gitnews gc: {after_gc / mib:.1f} MiB in {gc_t:.1f} s; git repack -adf of the same "
        f"repository: {base_gc / mib:.1f} MiB in {repack_t:.1f} s ({after_gc / base_gc:.2f}×)")
    rng = random.Random("gc-runs")
    when = BASE_TIME + timedelta(days=500)
    sizes: list[int] = []
    housekeeping: list[float] = []
    for _ in range(10):
        with open_archive(archive) as arc:
            tx = arc.transaction()
            rec = Recorder(arc, tx)
            for i in rng.sample(range(n_articles), per_run):
                spec = site.article(i)
                path = article_path(spec.url)
                v = counts[path] = counts[path] + 1
                when += timedelta(seconds=1)
                article = Article(headline=spec.headline, paragraphs=tuple(spec.paragraphs(v)),
                                  byline=spec.byline, published_at=spec.published,
                                  canonical_url=spec.url, extractor=EXTRACTOR)
                page = Page(url=spec.url, final_url=spec.url, status=200, body=b"",
                            fetched_at=when, content_type="text/html; charset=utf-8")
                rec.record(Capture(requested_url=spec.url, page=page, article=article,
                                   text=spec.text(v)))
            tx.finish(graph_in_background=True)
            rec.apply()
            t, _ = timed(lambda: maintenance.after_run(arc, tx))
            housekeeping.append(t)
        sizes.append(_pack_bytes(archive))
    after_runs = sizes[-1]
    base_runs, _ = _repacked_bytes(archive, tmp)
    say(f"  after 10 runs (each ending as a run does, git gc --auto): {after_runs / mib:.1f} MiB;"
        f" git repack -adf: {base_runs / mib:.1f} MiB ({after_runs / base_runs:.2f}×); "
        f"housekeeping {sum(housekeeping):.1f} s in all (longest {max(housekeeping):.1f} s); "
        f"sizes run by run: {', '.join(f'{x / mib:.1f}' for x in sizes)} MiB")
    res.figures.update(after_runs_bytes=after_runs, repack_adf_after_runs_bytes=base_runs,
                       sizes_by_run_bytes=sizes, after_gc_bytes=after_gc,
                       repack_adf_bytes=base_gc, gc_s=round(gc_t, 2),
                       repack_adf_s=round(repack_t, 2),
                       housekeeping_s=[round(t, 2) for t in housekeeping])
    res.checks.append(Check("size after 10 runs (gc --auto), × git repack -adf",
                            after_runs / base_runs, 1.1, "<="))
    res.checks.append(Check("size after gitnews gc, × git repack -adf", after_gc / base_gc,
                            1.1, "<="))
    return res


# -- case 3: extraction overhead ----------------------------------------------------------

def case_extract(args: argparse.Namespace, tmp: Path) -> CaseResult:
    res = CaseResult("extract")
    corpus = SHARED / "scenarios" / "static-corpus"
    if not (corpus / "pages.json").exists():
        res.note = f"not available: needs {corpus} (the team's shared corpus)"
        say(f"extract: {res.note}")
        return res
    import trafilatura

    from gitnews.errors import ExtractionError
    from gitnews.pagetext.extract import TRAFILATURA_OPTIONS
    from gitnews.pagetext.pool import ExtractionPool, cpu_count, extract_page

    pages = json.loads((corpus / "pages.json").read_text())
    bodies = [(corpus / p["file"]).read_bytes() for p in pages]
    say(f"extract: {len(bodies)} real pages ({sum(map(len, bodies)) / 1e6:.1f} MB), "
        f"{cpu_count()} cores")

    def options() -> dict:
        return {**TRAFILATURA_OPTIONS,
                "date_extraction_params": dict(TRAFILATURA_OPTIONS["date_extraction_params"])}

    def bare_same() -> None:
        for b in bodies:
            trafilatura.bare_extraction(b, **options())

    def bare_default() -> None:
        for b in bodies:
            trafilatura.bare_extraction(b)

    def ours_serial() -> None:
        for b in bodies:
            try:
                extract_page(b)
            except ExtractionError:
                pass

    def ours_pool() -> None:  # as a run does it: the pool's start-up included
        with ExtractionPool(cpu_count()) as pool:
            list(pool.map(bodies))

    variants = {"bare_extraction, gitnews's options": bare_same,
                "bare_extraction, defaults": bare_default,
                "gitnews extract+render, one thread": ours_serial,
                f"gitnews extract+render, {cpu_count()} processes": ours_pool}
    bare_same()  # warm-up: imports, lazily built tables
    best = {k: float("inf") for k in variants}
    cpu = {k: float("inf") for k in variants}
    for _ in range(args.repeat + 1):  # interleaved, so that load changes hit every variant
        for name, func in variants.items():
            wall, used, _ = cpu_timed(func)
            best[name], cpu[name] = min(best[name], wall), min(cpu[name], used)
    base = best["bare_extraction, gitnews's options"]
    for name, t in best.items():
        cpu_note = ("" if "processes" in name else
                    f"  (CPU {cpu[name]:.2f} s, {cpu[name] / cpu[next(iter(cpu))]:.2f}×)")
        say(f"  {name:44} {t:6.2f} s  {1000 * t / len(bodies):6.1f} ms/page  "
            f"{t / base:5.2f}×{cpu_note}")
    res.figures = {k: round(v, 3) for k, v in best.items()}
    serial = best["gitnews extract+render, one thread"] / base
    pooled = best[f"gitnews extract+render, {cpu_count()} processes"] / base
    res.figures["cpu_s"] = {k: round(v, 3) for k, v in cpu.items() if "processes" not in k}
    res.figures.update(serial_ratio=round(serial, 3), pool_ratio=round(pooled, 3),
                       serial_vs_defaults=round(best["gitnews extract+render, one thread"]
                                                / best["bare_extraction, defaults"], 3))
    res.checks.append(Check("extract+render as a run does it (process pool) × bare_extraction "
                            "(same options)", pooled, 1.1, "<="))
    res.checks.append(Check("extract+render in one thread × bare_extraction (same options)",
                            serial, 1.1, "<="))
    return res


# -- case 2: polling overhead ---------------------------------------------------------------

def _proxy_env(server: inputs.Server) -> dict[str, str | None]:
    """Set os.environ so that httpx (trust_env) sends http:// through ``server``;
    returns the previous values."""
    keys = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
            "NO_PROXY", "no_proxy")
    old = {k: os.environ.get(k) for k in keys}
    for k in keys:
        os.environ.pop(k, None)
    os.environ.update(server.proxy_env())
    return old


def _restore_env(old: dict[str, str | None]) -> None:
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _poll_archive(tmp: Path, site: Site, *, mix: str, commits: int | None = None,
                  removed: int = 0, name: str = "archive", text_for=None) -> Path:
    """An archive tracking ``site`` (feeds per host) whose cache holds the validators
    the loopback server expects, built with raw fast-import."""
    from gitnews.archive.repo import open_archive
    from gitnews.format.paths import article_path
    from gitnews.ops.tracking import add

    live = len(site) - removed
    texts = "full" if text_for is None else getattr(text_for, "__name__", "other")
    path = inputs.cached_build(
        f"poll-{site.seed}-{len(site)}-{commits or len(site)}-{removed}-{texts}", tmp / name,
        lambda p: inputs.fast_import_archive(p, inputs.history_commits(
            site, commits=commits or len(site), removed=removed, text_for=text_for)))
    with open_archive(path) as arc:
        hosts: dict[str, list[str]] = {}
        for i in range(live):
            spec = site.article(i)
            hosts.setdefault(spec.host, []).append(spec.url)
        add(arc, [f"http://{h}/feed.xml" for h in hosts], kind="feed")
        state = arc.state
        now = datetime.now(UTC) - timedelta(days=1)
        with state.batch():
            for i in range(live):
                if inputs.behaviour(i, mix) != "same":
                    state.record_check(article_path(site.article(i).url), checked_at=now,
                                       etag=inputs.etag(i, 1))
            for h, links in hosts.items():
                state.set_feed(f"http://{h}/feed.xml", {"etag": '"feed"', "last_modified": None,
                                                        "links": links, "error": None})
    # Politeness (per-host delays and limits) is a deliberate wait, not overhead: off here,
    # as the baseline has none (both then run at fetch.concurrency).
    toml = path / "gitnews.toml"
    text = toml.read_text(encoding="utf-8")
    text, n1 = re.subn(r"(?m)^min_delay_s\s*=.*$", "min_delay_s = 0.0", text)
    text, n2 = re.subn(r"(?m)^per_host\s*=.*$", "per_host = 8", text)
    if not (n1 and n2):
        text = text.replace("[fetch]\n", "[fetch]\nmin_delay_s = 0.0\nper_host = 8\n", 1)
    toml.write_text(text, encoding="utf-8")
    subprocess.run(["git", "-C", str(path), "-c", "user.name=benchmark", "-c",
                    "user.email=benchmark@localhost", "commit", "-q", "-m",
                    "benchmark: no politeness delays", "--", "gitnews.toml"], check=True)
    subprocess.run(["git", "-C", str(path), "commit-graph", "write", "--reachable",
                    "--changed-paths", "--no-progress"], check=True)
    return path


def _run_gitnews(archive: Path) -> tuple[float, dict[str, int]]:
    """One ``gitnews.ops.run.run`` (open, run, close); returns seconds and outcome counts."""
    from gitnews.archive.repo import open_archive
    from gitnews.models import Outcome
    from gitnews.ops.run import run

    t0 = time.perf_counter()
    with open_archive(archive) as arc:
        result = run(arc, check_all=True)
    t = time.perf_counter() - t0
    counts = {o.value: result.count(o) for o in Outcome}
    if result.failures:
        say(f"    first failure: {result.failures[0].url}: {result.failures[0].message}")
    return t, counts


# case_poll: benchmarks/poll.py (issue 19: the machine's limit beside it)


def hashlib_sha1(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(data).hexdigest()


# -- case 5: memory ---------------------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out += kids
        todo += kids
    return out


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_child(archive: Path) -> None:
    """Run in a child process: one run over ``archive``; print its figures as JSON.

    No thread of our own here: the extraction pool forks only from a
    single-threaded process (gitnews.pagetext.pool), so the workers' peaks are
    sampled from outside, by :func:`_run_measured`."""
    from gitnews.archive.repo import open_archive
    from gitnews.models import Outcome
    from gitnews.ops.run import run

    t0 = time.perf_counter()
    with open_archive(archive) as arc:
        # Not --all: that would also re-check the large archive's removed articles (a run
        # over twice as many); the schedule of _every_live_article_due makes the live ones due.
        result = run(arc)
    t = time.perf_counter() - t0
    counts = {o.value: result.count(o) for o in Outcome}
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec,
    # so it would report the benchmark's own size.
    peak = _peak_kb(os.getpid()) or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": t, "counts": counts,
                      "failures": [f"{f.url}: {f.message}" for f in result.failures][:5],
                      "self_kb": peak}))


def _run_measured(cmd: list[str], env: dict[str, str]) -> tuple[str, list[int]]:
    """Run ``cmd``; return its stdout and the peak RSS (kB) of each process it started
    (read from /proc while they live: Linux only, else [])."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peaks: dict[int, int] = {}
    import threading

    out: dict[str, str] = {}
    reader = threading.Thread(target=lambda: out.update(zip(("stdout", "stderr"),
                                                             proc.communicate())))
    reader.start()
    while reader.is_alive():
        if Path("/proc/self/status").exists():
            for pid in _descendants(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), _peak_kb(pid))
        reader.join(0.2)
    if proc.returncode != 0:
        raise SystemExit(f"memory: the run failed:\n{out.get('stderr', '')[-2000:]}")
    return out["stdout"], sorted(peaks.values(), reverse=True)


def _every_live_article_due(archive: Path) -> None:
    """A schedule under which every live article of ``archive`` is due now (checked
    a day ago, never stopped) and removed ones are not checked (a run without --all)."""
    toml = archive / "gitnews.toml"
    text = re.sub(r"(?ms)^\[schedule\]\n.*?(?=^\[|\Z)", "", toml.read_text(encoding="utf-8"))
    toml.write_text(text.rstrip("\n") + '\n\n[schedule]\nafter_change = "1m"\ntiers = []\n'
                    'longest_wait = "1h"\nstop_after = "never"\n', encoding="utf-8")
    subprocess.run(["git", "-C", str(archive), "-c", "user.name=benchmark", "-c",
                    "user.email=benchmark@localhost", "commit", "-q", "-m",
                    "benchmark: every live article due", "--", "gitnews.toml"], check=True)


def case_memory(args: argparse.Namespace, tmp: Path) -> CaseResult:
    res = CaseResult("memory")
    n = 2000 if args.quick else 10000
    kinds = [inputs.behaviour(i, "memory") for i in range(n)]
    say(f"memory: a run over {n} articles ({kinds.count('changed')} changed, the rest 304), "
        "in a small and a large archive")
    archives = {}
    t, archives["small"] = timed(lambda: _poll_archive(tmp, Site(n, seed="mem"), mix="memory",
                                                       name="small", text_for=SHORT))
    say(f"  small archive: {n} articles, {n} commits ({t:.0f} s to build)")
    t, archives["large"] = timed(lambda: _poll_archive(
        tmp, Site(2 * n, seed="mem"), mix="memory", commits=4 * n, removed=n, name="large",
        text_for=SHORT))
    say(f"  large archive: {n} live + {n} removed articles, {4 * n} commits ({t:.0f} s to build)")
    for archive in archives.values():
        _every_live_article_due(archive)
    with inputs.Server(2 * n, seed="mem", workdir=tmp, mix="memory") as server:
        env = {k: v for k, v in os.environ.items()
               if k.lower() not in ("https_proxy", "all_proxy", "no_proxy")}
        env.update(server.proxy_env())
        for label, archive in archives.items():
            stdout, worker_kb = _run_measured(
                [sys.executable, str(Path(__file__).resolve()), "--memory-child", str(archive)], env)
            fig = json.loads(stdout.strip().splitlines()[-1])
            fig["workers_kb"] = worker_kb
            failed = fig["counts"].get("FAILED", 0)
            if fig["counts"].get("CHANGED", 0) + failed < kinds.count("changed") or failed > n // 100:
                raise SystemExit(f"memory: unexpected outcomes {fig['counts']}: {fig['failures']}")
            if failed:  # a timeout on a busy machine: reported, the measurement still stands
                say(f"  {label}: {failed} item(s) failed: {fig['failures']}")
            mb = fig["self_kb"] / 1024
            workers = [k / 1024 for k in fig["workers_kb"]]
            res.figures[label] = {"peak_rss_mb": round(mb, 1), "seconds": round(fig["seconds"], 1),
                                  "child_processes": len(workers),
                                  "child_peaks_mb": [round(w, 1) for w in workers[:10]]}
            say(f"  {label:5}: peak RSS of the run {mb:.0f} MB; its {len(workers)} child processes "
                f"(extraction workers, git) peaked at "
                f"{', '.join(f'{w:.0f}' for w in workers[:5]) or '—'}"
                f"{', ...' if len(workers) > 5 else ''} MB; {fig['seconds']:.1f} s")
            res.checks.append(Check(f"peak RSS, run over {n} articles, {label} archive",
                                    mb, 300, "<=", " MB"))
    growth = res.figures["large"]["peak_rss_mb"] / res.figures["small"]["peak_rss_mb"]
    res.checks.append(Check("peak RSS large archive × small archive", growth, 1.1, "<="))
    return res


# -- case 4: history queries and start-up ------------------------------------------------------

def _gitnews_cmd() -> list[str]:
    script = Path(sys.executable).parent / "gitnews"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gitnews"]


def _median_time(cmd: list[str], runs: int, **kwargs: object) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-1000:]}")
    return statistics.median(times)


def case_history(args: argparse.Namespace, tmp: Path) -> CaseResult:
    res = CaseResult("history")
    # Time gitnews as installed: its modules' bytecode written once, not compiled on every
    # command (a shell with PYTHONDONTWRITEBYTECODE and an editable install would).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([*_gitnews_cmd(), "--help"], capture_output=True)  # writes the bytecode
    runs = 5 if args.quick else 9
    gitnews = _gitnews_cmd()
    startup = _median_time([*gitnews, "--help"], runs)
    python = _median_time([sys.executable, "-c", "pass"], runs)
    heavy = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitnews", "--help"],
                           capture_output=True, text=True).stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in heavy.splitlines()
                if line.startswith("import time:")}
    loaded = sorted(imported & {"trafilatura", "httpx", "feedparser", "lxml", "git", "sqlite3",
                                "jinja2", "warcio"})
    say(f"history: `gitnews --help` {startup:.3f} s (bare Python start-up {python:.3f} s); "
        f"heavy modules imported for --help: {', '.join(loaded) or 'none'}")
    res.figures.update(startup_s=round(startup, 3), python_startup_s=round(python, 3),
                       heavy_modules_at_startup=loaded)
    res.checks.append(Check("`gitnews --help` start-up", startup, 0.3, "<=", " s"))
    available = subprocess.run([*gitnews, "log", "--help"], capture_output=True).returncode == 0
    if not available:
        res.note = "`gitnews log/show/diff` not available on this branch (issue 3): start-up only"
        say(f"  {res.note}")
        return res
    n_articles, n_commits = (4000, 20000) if args.quick else (20000, 100000)
    site = Site(n_articles, seed="big")
    # Read-only: the big archive shared with other cases (inputs.shared_archive).
    t, archive = timed(lambda: inputs.shared_archive(articles=n_articles, commits=n_commits,
                                                     short=True))
    say(f"  {n_articles} articles / {n_commits} commits ({t:.0f} s to build or find)")
    from gitnews.format.paths import article_path

    counts: dict[str, int] = {}
    for line in git(archive, "log", "--format=", "--name-only", "-n", "3000").splitlines():
        if line.endswith(".txt"):
            counts[line] = counts.get(line, 0) + 1
    path = max(counts, key=counts.get)
    url = next(s.url for s in site if article_path(s.url) == path)
    versions = int(git(archive, "rev-list", "--count", "HEAD", "--", path))
    say(f"  article: {path} ({versions} versions)")
    base = _median_time(["git", "-C", str(archive), "log", "--format=%H", "--", path], runs)
    say(f"  baseline `git log --format=%H -- <path>`: {base:.3f} s")
    res.figures.update(baseline_s=round(base, 3), versions=versions)
    for name, extra in (("log", []), ("show", []), ("diff", [])):
        t = _median_time([*gitnews, name, url, "--archive", str(archive), *extra], runs,
                         env={**os.environ, "NO_COLOR": "1"})
        beyond = t - startup
        say(f"  gitnews {name}: {t:.3f} s ({beyond:+.3f} s beyond start-up; "
            f"{beyond / base if base else float('inf'):.2f}× the baseline)")
        res.figures[f"{name}_s"] = round(t, 3)
        res.checks.append(Check(f"gitnews {name}: time beyond start-up", beyond, 0.1, "<=", " s"))
        res.checks.append(Check(f"gitnews {name}: time beyond start-up × git log", beyond / base,
                                1.2, "<="))
    return res


# -- case 6: import ---------------------------------------------------------------------------

def _write_warc(path: Path, site: Site, captures_per_article: int) -> int:
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    count = 0
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for k in range(captures_per_article):
            for spec in site:
                version = 1 + k // 4  # a new version every 4 captures
                body = inputs.page_html(spec, version)
                when = BASE_TIME + timedelta(days=400, hours=k, seconds=spec.index)
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                      ("Content-Length", str(len(body)))],
                                           protocol="HTTP/1.1")
                record = writer.create_warc_record(
                    spec.url, "response", payload=BytesIO(body), http_headers=headers,
                    warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")})
                writer.write_record(record)
                count += 1
    return count


def case_import(args: argparse.Namespace, tmp: Path) -> CaseResult:
    res = CaseResult("import")
    try:
        import warcio  # noqa: F401

        import gitnews.ops.importing
    except ImportError as exc:
        res.note = f"not available on this branch (issue 4): {exc}"
        say(f"import: {res.note}")
        return res
    gitnews = _gitnews_cmd()
    if subprocess.run([*gitnews, "import", "--help"], capture_output=True).returncode != 0:
        res.note = "not available: `gitnews import --help` fails"
        say(f"import: {res.note}")
        return res
    n = 200 if args.quick else 2000
    per = 10
    warc = tmp / "captures.warc.gz"
    t, captures = timed(lambda: _write_warc(warc, Site(n, seed="import"), per))
    say(f"import: a WARC of {captures} captures of {n} articles "
        f"({warc.stat().st_size / 1e6:.0f} MB, written in {t:.0f} s)")
    archive = tmp / "archive"
    subprocess.run([*gitnews, "init", "--archive", str(archive)], check=True,
                   capture_output=True)
    # In this process, so that the time spent in each part can be measured by wrapping it.
    from typer.testing import CliRunner

    import gitnews.format.normalise as gn
    import gitnews.ops.warc_import as gi
    import gitnews.pagetext.extract as gx
    from gitnews.archive.store import Transaction
    from gitnews.cli import app
    from gitnews.pagetext.pool import PendingArticle, processes_for
    from gitnews.sources.warc import WarcFiles
    from gitnews.versions.record import Recorder

    spent = {"store": 0.0, "extract_here": 0.0, "extract_wait": 0.0, "read": 0.0,
             "render": 0.0, "captures": 0.0}

    def wrap(owner: object, name: str, key: str) -> Callable[[], None]:
        real = getattr(owner, name)

        def wrapper(*a: object, **kw: object) -> object:
            t0 = time.perf_counter()
            try:
                return real(*a, **kw)
            finally:
                spent[key] += time.perf_counter() - t0
        setattr(owner, name, wrapper)
        return lambda: setattr(owner, name, real)

    undo = [wrap(Recorder, "record", "store"), wrap(Recorder, "apply", "store"),
            wrap(Transaction, "finish", "store"), wrap(gx, "extract_article", "extract_here"),
            wrap(PendingArticle, "result", "extract_wait"), wrap(WarcFiles, "read", "read"),
            wrap(gn, "render_text", "render"), wrap(gi, "import_planned", "captures")]
    processes = processes_for(captures)
    cpu0, kids0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        t0 = time.perf_counter()
        out = CliRunner().invoke(app, ["import", "--archive", str(archive), str(warc)])
        total = time.perf_counter() - t0
    finally:
        for u in undo:
            u()
    cpu1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_self = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    cpu_kids = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
    if out.exit_code not in (0, 1):
        raise SystemExit(f"import failed ({out.exit_code}): {out.output[-2000:]}")
    commits = int(git(archive, "rev-list", "--count", "HEAD"))
    index = total - spent["captures"]          # pass 1: every record read and checked
    extraction = spent["extract_here"] + spent["extract_wait"]
    rest = spent["captures"] - spent["store"] - extraction - spent["read"] - spent["render"]

    def pct(x: float) -> str:
        return f"{x:.1f} s ({100 * x / total:.0f} %)"

    say(f"  gitnews import: {total:.1f} s, {captures / total:.0f} captures/s, {commits - 1} commits, "
        f"extraction {'in ' + str(processes) + ' worker processes' if processes else 'in this thread'}"
        f"; CPU: {cpu_self:.1f} s this process, {cpu_kids:.1f} s children (git, workers)")
    say(f"  where the importing thread's time goes: reading the WARC index (pass 1) {pct(index)}; "
        f"reading the records extracted (pass 2) {pct(spent['read'])}; extraction "
        f"{pct(extraction)} (in this thread {spent['extract_here']:.1f} s, waiting for workers "
        f"{spent['extract_wait']:.1f} s); filters + rendering {pct(spent['render'])}; storing "
        f"(record + fast-import + cache) {pct(spent['store'])}; the rest {pct(rest)}")
    res.figures = {"captures": captures, "seconds": round(total, 1),
                   "captures_per_s": round(captures / total), "commits": commits - 1,
                   "processes": processes, "index_s": round(index, 1),
                   "read_s": round(spent["read"], 1), "store_s": round(spent["store"], 1),
                   "extract_in_process_s": round(spent["extract_here"], 1),
                   "extract_wait_s": round(spent["extract_wait"], 1),
                   "render_s": round(spent["render"], 1), "rest_s": round(rest, 1),
                   "cpu_self_s": round(cpu_self, 1), "cpu_children_s": round(cpu_kids, 1)}
    return res


# -- case 7: extraction quality -------------------------------------------------------------

def case_quality(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """The stored text of the corpus pages with ground truth vs bare trafilatura (quality.py)."""
    res = CaseResult("quality")
    corpus = SHARED / "corpus"
    if not (corpus / "html_pages" / "aeb" / "ground-truth.json").exists():
        res.note = f"not available: needs {corpus} (the team's shared corpus)"
        say(f"quality: {res.note}")
        return res
    import quality

    t0 = time.perf_counter()
    figures = quality.score(corpus, {"gitnews": quality.gitnews_extractor(),
                                     "bare trafilatura": quality.bare_extractor()})
    for name, f in figures.items():
        say(f"  {name:17} aeb ({f['aeb']['pages']} pages): P {f['aeb']['precision']:.3f} "
            f"R {f['aeb']['recall']:.3f} F1 {f['aeb']['f1']:.3f};  trafilatura_eval "
            f"({f['trafilatura_eval']['snippets']} snippets): P {f['trafilatura_eval']['precision']:.3f} "
            f"R {f['trafilatura_eval']['recall']:.3f} F1 {f['trafilatura_eval']['f1']:.3f};  "
            f"headline = the one <h1>: {f['headline_h1']['agree']}/{f['headline_h1']['pages']}")
    say(f"  ({time.perf_counter() - t0:.0f} s)")
    ours, bare = figures["gitnews"], figures["bare trafilatura"]
    res.figures = figures
    for kind in ("aeb", "trafilatura_eval"):
        res.checks.append(Check(f"body F1 on {kind} × bare trafilatura's",
                                ours[kind]["f1"] / bare[kind]["f1"], 1.0, ">="))
    res.checks.append(Check("headlines equal to the page's one <h1>",
                            100 * (ours["headline_h1"]["share"] or 0), 95, ">=", unit=" %"))
    return res


def case_signals(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """Correction notices, facts and significance per version, against extraction (signals.py)."""
    import signals

    res = CaseResult("signals")
    figures = signals.measure(repeat=3 if args.quick else 10)
    worst = 0.0
    for name, f in figures.items():
        say(f"  {name:32} extract {1000 * float(f['extract_s']):6.1f} ms CPU; page notices "
            f"{1000 * float(f['page_notices_s']):5.2f} ms; signals "
            f"{1000 * float(f['signals_s']):6.1f} ms; added × extraction {f['ratio']:.3f}; "
            f"{f['significance']}  (load {load()})")
        worst = max(worst, float(f["ratio"] or 0.0))
    res.figures = figures
    res.checks.append(Check("signals + page notices × extraction, worst pair", worst, 0.25, "<="))
    return res


def case_reextract(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """``gitnews reextract`` over the static corpus vs bare extraction on all cores (issue 16;
    benchmarks/evidence_bench.py)."""
    import evidence_bench

    result: CaseResult = evidence_bench.case_reextract(args, tmp, CaseResult=CaseResult,
                                                       Check=Check, say=say)
    return result
# -- case: changes (issue 17) -----------------------------------------------------------------

def _median_cpu(cmd: list[str], runs: int) -> float:
    """The median CPU time (user + system) of ``cmd``'s process and its children: less
    swayed than wall time by other processes on a shared machine."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def case_changes(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """``gitnews changes`` over the last day of a synthetic archive of 100,000 versions /
    20,000 articles (one commit a minute: the last day holds 1,440 changes), from the
    cache; also ``--all`` (every change of the day, words counted) and ``gitnews stats``."""
    res = CaseResult("changes")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    gitnews = _gitnews_cmd()
    subprocess.run([*gitnews, "--help"], capture_output=True)  # writes the bytecode
    runs = 5 if args.quick else 9
    n_articles, n_commits = (4000, 20000) if args.quick else (20000, 100000)
    # Read-only: the big archive shared with other cases (inputs.shared_archive).
    t, archive = timed(lambda: inputs.shared_archive(articles=n_articles, commits=n_commits,
                                                     short=False))
    say(f"changes: {n_articles} articles / {n_commits} commits ({t:.0f} s to build or find)")
    newest = int(git(archive, "log", "-1", "--format=%at").strip())
    from gitnews.format.trailers import format_time

    since = format_time(datetime.fromtimestamp(newest, UTC) - timedelta(days=1))
    startup = _median_time([*gitnews, "--help"], runs)
    say(f"  `gitnews --help` {startup:.3f} s")
    base = [*gitnews, "changes", "--since", since, "--archive", str(archive)]
    shown = subprocess.run([*base, "--json"], capture_output=True, text=True, check=True)
    doc = json.loads(shown.stdout)
    every = json.loads(subprocess.run([*base, "--all", "--json"], capture_output=True,
                                      text=True, check=True).stdout)
    say(f"  the last day (--since {since}): {len(every['changes'])} changes; "
        f"{len(doc['changes'])} shown by default")
    res.figures.update(startup_s=round(startup, 3), changes_in_day=len(every["changes"]),
                       shown=len(doc["changes"]))
    help_cpu = _median_cpu([*gitnews, "--help"], runs)
    for name, extra in (("changes", []), ("changes --all", ["--all"])):
        t = _median_time([*base, *extra], runs)
        cpu = _median_cpu([*base, *extra], runs)
        say(f"  gitnews {name}: {t:.3f} s ({t - startup:+.3f} s beyond start-up); CPU time "
            f"{cpu:.3f} s ({cpu - help_cpu:+.3f} s beyond `--help`'s {help_cpu:.3f} s)")
        res.figures[f"{name.replace(' --', '_')}_cpu_s"] = round(cpu, 3)
        res.figures[f"{name.replace(' --', '_')}_s"] = round(t, 3)
        if not extra:
            res.checks.append(Check("gitnews changes --since 1d: time beyond start-up",
                                    t - startup, 0.1, "<=", " s"))
    t = _median_time([*gitnews, "stats", "--archive", str(archive)], runs)
    cpu = _median_cpu([*gitnews, "stats", "--archive", str(archive)], runs)
    say(f"  gitnews stats: {t:.3f} s ({t - startup:+.3f} s beyond start-up); CPU time "
        f"{cpu:.3f} s ({cpu - help_cpu:+.3f} s beyond `--help`'s)")
    res.figures.update(stats_s=round(t, 3), stats_cpu_s=round(cpu, 3))
    # What `changes` imports beyond `--help` (gitnews.archive.reader: the cache alone).
    def modules(*cmd: str) -> set[str]:
        err = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitnews", *cmd],
                             capture_output=True, text=True).stderr
        return {line.rsplit("|", 1)[-1].strip() for line in err.splitlines()
                if line.startswith("import time:")}
    extra = modules(*base[len(gitnews):]) - modules("--help")
    heavy = sorted(extra & {"git", "gitdb", "gitnews.config", "gitnews.archive.repo",
                            "gitnews.archive.cache.state", "gitnews.collection"})
    say(f"  `gitnews changes` imports {len(extra)} modules beyond `--help`'s; of the full "
        f"archive's: {', '.join(heavy) or 'none'}")
    res.figures.update(changes_extra_modules=len(extra), changes_heavy_modules=heavy)
    return res


# -- main -------------------------------------------------------------------------------------

CASES: dict[str, Callable[[argparse.Namespace, Path], CaseResult]] = {
    "store": case_store,
    "poll": poll.case_poll,  # benchmarks/poll.py (issue 19)
    "extract": case_extract,
    "history": case_history,
    "memory": case_memory,
    "import": case_import,
    "quality": case_quality,
    "sources": sources.case_sources,
    "signals": case_signals,
    "reextract": case_reextract,
    "export": case_export,  # benchmarks/export.py (issue 17)
    "rebuild": case_rebuild,
    "gc": case_gc,
    "search": search_index.case_search,
    "changes": case_changes,
    "fleet": fleet.case_fleet,  # benchmarks/fleet.py (issue 20: 1 vs 2 Celery workers)
    "collection_reads": collection_reads.case_collection_reads,  # issue 20: reads across a collection
}

import captures  # noqa: E402 - issue 16's cases: captures_size, captures_store, captures_poll

CASES.update(captures.CASES)

import site_filter  # noqa: E402 - issue 18's site filter: site_filter

CASES.update(site_filter.CASES)

import site_build  # noqa: E402 - issue 19's site from the cache: site_build

CASES.update(site_build.CASES)


#: Cases that measure no issue's target (their figures are context: extraction speed and
#: quality, WARC import, the fleet's scaling, reads across a collection): run with ``--all``
#: or by name (``--case``), not in the default run, which must fit in 10 minutes on 2 idle
#: cores (issue 19).
NOT_TARGETS = ("extract", "import", "quality", "fleet", "collection_reads")


def selected_cases(args: argparse.Namespace) -> list[str]:
    """The cases a run does, in CASES order: ``--case`` names as given (any case), else
    every case but :data:`NOT_TARGETS` (all of them with ``--all``)."""
    if args.scale:
        return ["scale"]
    if args.case:
        return list(args.case)
    return [k for k in CASES if getattr(args, "all", False) or k not in NOT_TARGETS]


def case_scale(args: argparse.Namespace, tmp: Path) -> CaseResult:
    """The scale case (``--scale``; benchmarks/scale.py), not one of CASES: run by hand."""
    import scale

    result: CaseResult = scale.case_scale(args, tmp, CaseResult=CaseResult, Check=Check,
                                          descendants=_descendants,
                                          rebuild_baseline=REBUILD_BASELINE)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--case", action="append", choices=list(CASES),
                        help="run only this case (repeatable)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs per measurement, best kept (default 2, quick 1)")
    parser.add_argument("--all", action="store_true",
                        help="also the cases that measure no issue's target: "
                             + ", ".join(NOT_TARGETS))
    parser.add_argument("--inputs-cache", type=Path, metavar="DIR",
                        help="keep the built input archives in DIR and reuse them in later "
                             "runs (keyed by their sizes, seed and the code that builds "
                             "them; default: off, every run builds every input)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--memory-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scale", action="store_true",
                        help="run only the scale case, by hand (benchmarks/scale.py: builds "
                             "--scale-versions versions, says first what disk and time it needs)")
    parser.add_argument("--scale-versions", type=int, default=1_000_000, metavar="N",
                        help="versions of the scale case's archive, over N/5 articles "
                             "(default 1,000,000)")
    parser.add_argument("--scale-site-timeout", type=float, default=3600, metavar="SECONDS",
                        help="the scale case's first `gitnews site` is stopped after this long "
                             "(default 3600)")
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    if args.repeat is None:
        args.repeat = 1 if args.quick else 2
    tmp = Path(tempfile.mkdtemp(prefix="gitnews-bench-"))
    # The big archives several cases read (history, export, changes, search) are built
    # once, here, by the first case that asks (inputs.shared_archive).
    inputs.SHARED_ARCHIVES = tmp / "shared"
    inputs.SHARED_ARCHIVES.mkdir()
    if args.inputs_cache:
        inputs.INPUTS_CACHE = args.inputs_cache.resolve()
    results: list[CaseResult] = []
    case_s: dict[str, float] = {}
    started = time.perf_counter()
    try:
        for name in selected_cases(args):
            t0 = time.perf_counter()
            (tmp / name).mkdir()
            before = load()
            results.append((case_scale if args.scale else CASES[name])(args, tmp / name))
            results[-1].figures["load_average"] = [before, load()]
            case_s[name] = time.perf_counter() - t0
            results[-1].figures["case_s"] = round(case_s[name], 1)
            say(f"  ({name}: {case_s[name]:.0f} s; load average {before} before, "
                f"{load()} after, on {os.cpu_count()} cores)\n")
    finally:
        t_clean = time.perf_counter()
        if args.keep:
            say(f"inputs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        t_clean = time.perf_counter() - t_clean
    total = time.perf_counter() - started
    say(f"Summary ({total:.0f} s, {os.cpu_count()} cores, "
        f"git {git(ROOT, '--version').split()[-1]}, Python {sys.version.split()[0]}, "
        f"load average {load()} at the end)")
    # Deleting the inputs counts: tens of thousands of article folders (a working tree of
    # 20,000 articles has about as many folders) take longer to delete than to copy.
    say("Time per case: " + ", ".join(f"{k} {v:.0f} s" for k, v in case_s.items())
        + f"; deleting the inputs {t_clean:.0f} s; total {total:.0f} s")
    if inputs.SHARED_BUILD_S:
        say("Shared archives (built once, in the first case that asked): " + ", ".join(
            f"{k} {v:.0f} s, used by {inputs.SHARED_USES[k]} case(s)"
            for k, v in inputs.SHARED_BUILD_S.items()))
    if inputs.INPUTS_BUILT_S or inputs.INPUTS_COPIED_S:
        say(f"Inputs cache {inputs.INPUTS_CACHE}: " + ", ".join(
            [f"{k} built in {v:.0f} s" for k, v in inputs.INPUTS_BUILT_S.items()]
            + [f"{k} copied in {v:.1f} s" for k, v in inputs.INPUTS_COPIED_S.items()]))
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
