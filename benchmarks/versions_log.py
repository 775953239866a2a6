"""Time ``gitnews log`` / ``diff`` / ``show`` on a large synthetic archive.

    python benchmarks/versions_log.py OUT_DIR [--commits 100000] [--articles 20000]

Builds (once) an archive of COMMITS version commits spread over ARTICLES
articles (through gitnews.archive.store.Transaction, so with the real trailers), then
times each read command on the article with the most versions.  Prints one
line per measurement: ``<what> <seconds>``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git

from gitnews.archive.store import Transaction
from gitnews.config import CONFIG_NAME, default_config_text
from gitnews.format.paths import article_path
from gitnews.format.trailers import format_message, format_subject, format_time


def build(root: Path, commits: int, articles: int) -> str:
    root.mkdir(parents=True)
    repo = git.Repo.init(root, initial_branch="main")
    rnd = random.Random(1)
    t0 = datetime(2016, 1, 1, tzinfo=UTC)
    words = "the minister said on tuesday that a report into the matter would be published".split()
    urls = [f"http://www.example{i % 50}.com/news/{2016 + i % 5}/section{i % 30}/story-{i}"
            for i in range(articles)]
    hot = urls[0]
    counts: dict[str, int] = {}
    bodies: dict[str, list[str]] = {}

    def para() -> str:
        return " ".join(rnd.choice(words) for _ in range(40)) + "."

    with Transaction(repo, author=("gitnews", "gitnews@localhost")) as tx:
        tx.commit({CONFIG_NAME: default_config_text()}, message="Start\n", when=t0)
        for n in range(commits):
            url = hot if n % 2000 == 0 else urls[n % articles] if n < articles else rnd.choice(urls)
            counts[url] = counts.get(url, 0) + 1
            # A new article has 15 paragraphs; each later version edits a few words of
            # one or two paragraphs, and sometimes adds or drops one (as news edits do).
            body = bodies.get(url) or [para() for _ in range(15)]
            if url in bodies:
                for _ in range(rnd.choice((1, 1, 2))):
                    k = rnd.randrange(len(body))
                    ws = body[k].split()
                    ws[rnd.randrange(len(ws))] = rnd.choice(words)
                    body[k] = " ".join(ws)
                if rnd.random() < 0.2:
                    body.insert(rnd.randrange(len(body) + 1), para())
                elif rnd.random() < 0.1 and len(body) > 5:
                    body.pop(rnd.randrange(len(body)))
            bodies[url] = body
            paras = body
            text = "\n\n".join([f"Story {url[-8:]} version {counts[url]}", *paras]) + "\n"
            when = t0 + timedelta(minutes=n)
            msg = format_message(format_subject("Changed" if counts[url] > 1 else "New", text[:40]),
                                 [("Article-Url", url), ("Version", counts[url]),
                                  ("Fetched-At", format_time(when)), ("Http-Status", 200),
                                  ("Extractor", "benchmark")])
            tx.commit({article_path(url): text}, message=msg, when=when)
    repo.close()
    return hot


def timed(what: str, args: list[str]) -> None:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from gitnews.cli import main; main()", *args],
                          capture_output=True)
    took = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{what} failed: {proc.stderr.decode()}")
    print(f"{what} {took:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--commits", type=int, default=100_000)
    ap.add_argument("--articles", type=int, default=20_000)
    opts = ap.parse_args()
    root = opts.out / f"archive-{opts.commits}"
    hot = "http://www.example0.com/news/2016/section0/story-0"
    if not root.exists():
        start = time.perf_counter()
        build(root, opts.commits, opts.articles)
        print(f"build {time.perf_counter() - start:.1f}")
    a = ["--archive", str(root)]
    timed("log(first: cache rebuild)", ["log", hot, *a])
    timed("log", ["log", hot, *a])
    timed("log --json", ["log", hot, "--json", *a])
    timed("diff", ["diff", hot, *a])
    timed("diff --format html", ["diff", hot, "-f", "html", *a])
    timed("show --version 1", ["show", hot, "--version", "1", *a])
    timed("list --limit 20", ["list", "--limit", "20", *a])
    timed("--help (startup)", ["--help"])


if __name__ == "__main__":
    main()
