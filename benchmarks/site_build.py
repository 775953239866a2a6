"""Time ``gitnews site`` (and ``gitnews feed``) on a large synthetic archive.

    python benchmarks/site_build.py OUT_DIR [--commits 40000] [--articles 20000]
    python benchmarks/run.py --case site_build [--quick]

The ``site_build`` case of ``run.py`` (issue 19, :func:`case_site_build`): an archive of
100,000 versions of 20,000 articles (``--quick``: 5,000 of 1,000), its cache built first,
then, each a ``gitnews`` process of its own (start-up included, ``gitnews --help``
measured beside them): the history read (the whole ``git log`` as before, against the
cache's ``versions`` table), the first build in one process and in one per core (the
articles' pages rendered in forked processes), a run with nothing new, a run after 20
new versions and 5 new articles, and Pagefind alone over the built site (its share of
a run with search).  Targets: first build <= 60 s, nothing new <= 1 s beyond start-up,
after 20 new versions <= 2 s beyond start-up.

Builds (once) an archive of COMMITS version commits over ARTICLES articles
(``versions_log.build``: through gitnews.archive.store.Transaction, real trailers),
then times: the first ``gitnews site`` (every page written), a second run
with nothing new (nothing written), a run after 20 changes and 5 new
articles (only their pages, their hosts' pages, the index and the feeds
written), and ``gitnews feed``.  Prints ``<what> <seconds> <gitnews's summary>``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git

sys.path.insert(0, str(Path(__file__).resolve().parent))
from versions_log import build

from gitnews.archive.store import Transaction
from gitnews.format.paths import article_path
from gitnews.format.trailers import format_message, format_subject, format_time


def timed(what: str, args: list[str]) -> None:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from gitnews.cli import main; main()", *args],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{what} failed: {proc.stderr}")
    print(f"{what} {took:.1f} {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ''}",
          flush=True)


def add_changes(root: Path, articles: int) -> None:
    """20 changes of existing articles and 5 new articles, one transaction."""
    repo = git.Repo(root)
    rnd = random.Random(7)
    when = datetime(2030, 1, 1, tzinfo=UTC)
    with Transaction(repo, author=("gitnews", "gitnews@localhost")) as tx:
        for k in range(25):
            if k < 20:
                i = rnd.randrange(articles)
                url = f"http://www.example{i % 50}.com/news/{2016 + i % 5}/section{i % 30}/story-{i}"
                n = len(repo.git.log("--format=%H", "--", article_path(url)).split()) + 1
            else:
                url, n = f"http://www.example-new.com/news/late-{k}", 1
            text = f"Story late {k} version {n}\n\nA paragraph written for run {k}.\n"
            msg = format_message(format_subject("Changed" if n > 1 else "New", text[:40]),
                                 [("Article-Url", url), ("Version", n),
                                  ("Fetched-At", format_time(when)), ("Http-Status", 200),
                                  ("Extractor", "benchmark")])
            tx.commit({article_path(url): text}, message=msg, when=when + timedelta(minutes=k))
    repo.close()


#: CPU seconds (user + system) of each ``gitnews`` process :func:`_gitnews` ran, and of
#: the processes it waited for (git, the rendering processes), by the last call.
CPU: list[float] = []


def _gitnews(args: list[str], *, processes: int | None = None) -> float:
    """Wall seconds of one ``gitnews`` process (its CPU seconds appended to :data:`CPU`:
    on a loaded machine the wall time measures the others' work too)."""
    import resource

    env = dict(os.environ)
    if processes is not None:
        env["GITNEWS_SITE_PROCESSES"] = str(processes)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from gitnews.cli import main; main()", *args],
                          capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if proc.returncode:
        raise RuntimeError(f"gitnews {' '.join(args)} failed: {proc.stderr}")
    return took


def case_site_build(args: argparse.Namespace, tmp: Path):
    from site_filter import _run_mod

    from gitnews.archive.repo import open_archive
    from gitnews.output.site import read_histories
    from gitnews.output.site.articles import cached_histories
    from gitnews.output.site.entries import STORE_NAME
    from gitnews.output.site.insights import SEARCH_GLOB, pagefind_installed

    run = _run_mod()
    res = run.CaseResult("site_build")
    commits, articles = (5_000, 1_000) if args.quick else (100_000, 20_000)
    run.say(f"site_build: gitnews site on {commits:,} versions of {articles:,} articles")
    root = tmp / "archive"
    t_build, _ = run.timed(lambda: run.inputs.cached_build(  # kept with --inputs-cache
        f"site_build-{commits}-{articles}", root, lambda p: build(p, commits, articles)))
    a = ["--archive", str(root)]
    t_cache = _gitnews(["list", "--limit", "1", *a])
    with open_archive(root) as arc:
        t_git, from_git = run.timed(lambda: read_histories(arc.repo))
        t_db, from_db = run.timed(lambda: cached_histories(arc.state))
        assert from_git == from_db
    start_up = min(_gitnews(["--help"]) for _ in range(3))
    cpu_start_up = min(CPU[-3:])
    one, many = tmp / "site-1", tmp / "site-n"
    # The 1-process build and Pagefind are context, not targets: only with --all (run.py
    # NOT_TARGETS; they were 7 of the full benchmark's 39 minutes).
    every = getattr(args, "all", False)
    t_one = cpu_one = float("nan")
    # A first build is one without the feed entries an earlier build kept (.entries).
    store = root / ".git" / "gitnews" / STORE_NAME
    store.unlink(missing_ok=True)
    if every:
        t_one = _gitnews(["site", str(one), "--no-search", *a], processes=1)
        cpu_one = CPU[-1]
        store.unlink(missing_ok=True)
    t_many = _gitnews(["site", str(many), "--no-search", *a])
    cpu_many = CPU[-1]
    t_same = min(_gitnews(["site", str(many), "--no-search", *a]) for _ in range(2))
    cpu_same = min(CPU[-2:])
    add_changes(root, articles)
    _gitnews(["list", "--limit", "1", *a])  # the cache brought up to date (as the run does)
    # The same run without the feed entries and summaries kept by the builds before it
    # (:mod:`gitnews.output.site.entries`): on a copy of the site, the store moved aside.
    bare = tmp / "site-bare"
    shutil.copytree(many, bare)
    kept = store.with_name(store.name + ".kept")
    t_20 = _gitnews(["site", str(many), "--no-search", *a])
    cpu_20 = CPU[-1]
    shutil.copyfile(store, kept)
    store.unlink()
    t_20_bare = _gitnews(["site", str(bare), "--no-search", *a])
    cpu_20_bare = CPU[-1]
    os.replace(kept, store)
    t_pagefind = None
    if every and pagefind_installed():
        t_pagefind, _ = run.timed(lambda: subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", str(many), "--glob", SEARCH_GLOB,
             "--output-subdir", "pagefind", "--quiet"], check=True, capture_output=True))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    res.figures.update({
        "versions": commits, "articles": articles, "archive_build_s": round(t_build, 1),
        "cache_build_s": round(t_cache, 1), "history_git_log_s": round(t_git, 2),
        "history_cache_s": round(t_db, 2), "start_up_s": round(start_up, 2),
        "first_build_1_process_s": round(t_one, 1) if every else None, "first_build_s": round(t_many, 1),
        "processes": cores, "nothing_new_s": round(t_same, 2), "after_20_s": round(t_20, 2),
        "pagefind_s": None if t_pagefind is None else round(t_pagefind, 1),
        "cpu_start_up_s": round(cpu_start_up, 2), "cpu_first_build_1_process_s": round(cpu_one, 1) if every else None,
        "cpu_first_build_s": round(cpu_many, 1), "cpu_nothing_new_s": round(cpu_same, 2),
        "cpu_after_20_s": round(cpu_20, 2),
        "after_20_without_store_s": round(t_20_bare, 2),
        "cpu_after_20_without_store_s": round(cpu_20_bare, 2)})
    run.say(f"  history read: git log {t_git:.2f} s, cache {t_db:.2f} s; start-up {start_up:.2f} s")
    run.say("  first build: " + (f"{t_one:.1f} s in 1 process ({cpu_one:.1f} s CPU), "
                                 if every else "") + f"{t_many:.1f} s "
            f"in {cores} ({cpu_many:.1f} s CPU)")
    run.say(f"  CPU: start-up {cpu_start_up:.2f} s, nothing new {cpu_same:.2f} s, after 20 new "
            f"versions {cpu_20:.2f} s")
    run.say(f"  after 20 new versions without the kept feed entries: {t_20_bare:.2f} s "
            f"({cpu_20_bare:.2f} s CPU)")
    run.say(f"  nothing new {t_same:.2f} s, after 20 new versions {t_20:.2f} s"
            + (f"; Pagefind alone over the site {t_pagefind:.1f} s" if t_pagefind else ""))
    res.checks.append(run.Check("first build", t_many, 60.0, "<=", unit="s"))
    res.checks.append(run.Check("nothing new - start-up", t_same - start_up, 1.0, "<=", unit="s"))
    res.checks.append(run.Check("after 20 new versions - start-up", t_20 - start_up, 2.0, "<=",
                                unit="s"))
    # The same targets in CPU seconds (what the wall time would be on an idle core).
    res.checks.append(run.Check("CPU: nothing new - start-up", cpu_same - cpu_start_up, 1.0,
                                "<=", unit="s"))
    res.checks.append(run.Check("CPU: after 20 new versions - start-up", cpu_20 - cpu_start_up,
                                2.0, "<=", unit="s"))
    return res


CASES = {"site_build": case_site_build}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--commits", type=int, default=40_000)
    ap.add_argument("--articles", type=int, default=20_000)
    opts = ap.parse_args()
    root = opts.out / f"site-archive-{opts.commits}-{opts.articles}"
    if not root.exists():
        start = time.perf_counter()
        build(root, opts.commits, opts.articles)
        print(f"build-archive {time.perf_counter() - start:.1f}", flush=True)
    site = opts.out / f"site-{opts.commits}-{opts.articles}"
    shutil.rmtree(site, ignore_errors=True)
    a = ["--archive", str(root)]
    timed("list (cache rebuild)", ["list", "--limit", "1", *a])
    timed("site (first run)", ["site", str(site), *a])
    timed("site (nothing new)", ["site", str(site), *a])
    add_changes(root, opts.articles)
    timed("site (20 changes, 5 new articles)", ["site", str(site), *a])
    timed("feed --limit 50", ["feed", "--output", str(opts.out / "feed.atom"), *a])


if __name__ == "__main__":
    main()
