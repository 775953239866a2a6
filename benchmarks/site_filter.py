"""Benchmark case of issue 18's site filter, registered in ``run.py``'s CASES: ``site_filter``.

A synthetic archive (written through :class:`gitnews.archive.store.Transaction`, real
trailers: every later version has a ``Significance`` of minor, moderate or major and a
``Change-Kind``), then, in one run:

* ``full``: the first ``build_site`` without a filter (every file written);
* ``filtered_full``: the first ``build_site`` with ``min_significance="moderate"`` into
  another folder.  Target: <= 1.10x ``full`` (filtering costs one trailer parse per change);
* ``switch``: the unfiltered site rebuilt with the filter.  Target: <= 0.25x ``full`` (only
  the front page, the site feed and the hosts' pages and feeds are rewritten), and the
  number of files written is exactly ``2 + 2 x hosts``.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git

from gitnews.archive.store import Transaction
from gitnews.config import CONFIG_NAME, default_config_text
from gitnews.format.paths import article_path
from gitnews.format.trailers import (
    CHANGE_KIND,
    SIGNIFICANCE,
    format_message,
    format_subject,
    format_time,
)

HOSTS = 20


def _run_mod():  # run.py imports this module: take its helpers late
    main = sys.modules.get("__main__")
    if main is not None and hasattr(main, "CaseResult"):
        return main
    import run  # type: ignore[import-not-found]
    return run


def build_archive(root: Path, *, commits: int, articles: int) -> None:
    """``commits`` versions over ``articles`` articles of :data:`HOSTS` hosts."""
    root.mkdir(parents=True)
    repo = git.Repo.init(root, initial_branch="main")
    rnd = random.Random(18)
    t0 = datetime(2016, 1, 1, tzinfo=UTC)
    words = "the minister said on tuesday that a report into the matter would be published".split()
    urls = [f"http://www.example{i % HOSTS}.com/news/story-{i}" for i in range(articles)]
    counts: dict[str, int] = {}
    with Transaction(repo, author=("gitnews", "gitnews@localhost")) as tx:
        tx.commit({CONFIG_NAME: default_config_text()}, message="Start\n", when=t0)
        for n in range(commits):
            url = urls[n] if n < articles else rnd.choice(urls)
            counts[url] = counts.get(url, 0) + 1
            body = [" ".join(rnd.choice(words) for _ in range(40)) + "." for _ in range(8)]
            text = "\n\n".join([f"Story {url[-8:]} version {counts[url]}", *body]) + "\n"
            when = t0 + timedelta(minutes=n)
            trailers: list[tuple[str, object]] = [
                ("Article-Url", url), ("Version", counts[url]), ("Fetched-At", format_time(when)),
                ("Http-Status", 200), ("Extractor", "benchmark")]
            if counts[url] > 1:
                trailers += [(CHANGE_KIND, "body"),
                             (SIGNIFICANCE, rnd.choice(("minor", "minor", "moderate", "major")))]
            msg = format_message(format_subject("Changed" if counts[url] > 1 else "New",
                                                text[:40]), trailers)
            tx.commit({article_path(url): text}, message=msg, when=when)
    repo.close()


def case_site_filter(args: argparse.Namespace, tmp: Path):
    from gitnews.archive.repo import open_archive
    from gitnews.output.site import build_site

    run = _run_mod()
    res = run.CaseResult("site_filter")
    commits, articles = (800, 400) if args.quick else (4000, 2000)
    run.say(f"site_filter: gitnews site with --min-significance moderate, {commits:,} versions "
            f"of {articles:,} articles from {HOSTS} hosts")
    root = tmp / "archive"
    build_archive(root, commits=commits, articles=articles)
    with open_archive(root) as arc:
        arc.state.articles()  # the cache built before timing
        t_full, full = run.timed(lambda: build_site(arc, tmp / "a", insights=False))
        t_filtered, filtered = run.timed(lambda: build_site(arc, tmp / "b", insights=False,
                                                            min_significance="moderate"))
        t_switch, switch = run.timed(lambda: build_site(arc, tmp / "a", insights=False,
                                                        min_significance="moderate"))
    res.figures.update({"versions": commits, "articles": articles, "full_s": round(t_full, 2),
                        "filtered_full_s": round(t_filtered, 2),
                        "switch_s": round(t_switch, 2), "files": full.files,
                        "switch_written": len(switch.written)})
    run.say(f"  full {t_full:.2f} s ({full.files:,} files), filtered first build "
            f"{t_filtered:.2f} s ({filtered.files:,} files), switch to the filter "
            f"{t_switch:.2f} s ({len(switch.written)} files written)")
    res.checks.append(run.Check("filtered first build / full", t_filtered / t_full, 1.10, "<="))
    res.checks.append(run.Check("switch / full", t_switch / t_full, 0.25, "<="))
    res.checks.append(run.Check("switch files written - (2 + 2 x hosts)",
                                abs(len(switch.written) - (2 + 2 * HOSTS)), 0, "<=", unit=""))
    return res


CASES = {"site_filter": case_site_filter}
