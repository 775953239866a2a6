"""Time ``gitnews site`` (and ``gitnews feed``) on a large synthetic archive.

    python benchmarks/site_build.py OUT_DIR [--commits 40000] [--articles 20000]

Builds (once) an archive of COMMITS version commits over ARTICLES articles
(``versions_log.build``: through gitnews.archive.store.Transaction, real trailers),
then times: the first ``gitnews site`` (every page written), a second run
with nothing new (nothing written), a run after 20 changes and 5 new
articles (only their pages, their hosts' pages, the index and the feeds
written), and ``gitnews feed``.  Prints ``<what> <seconds> <gitnews's summary>``.
"""

from __future__ import annotations

import argparse
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
