"""Benchmark case ``collection_reads`` (issue 20): the read commands across a collection.

The same number of articles and versions held once in one archive and once spread over a
collection of 8 archives (synthetic, built with raw fast-import; ``inputs.Site``); each
command run as a fresh process against both.  The figure is the ratio of the collection's
time to the single archive's (the fan-out's cost: 8 archives opened, 8 caches queried,
rows merged), targets <= 3x for ``changes``, ``search`` and ``stats``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import inputs
from inputs import Site

ARCHIVES = 8


def case_collection_reads(args: argparse.Namespace, tmp: Path):  # -> run.CaseResult
    from run import CaseResult, Check, _gitnews_cmd, say, timed
    from search_index import _best

    from gitnews.collection.manifest import MANIFEST_NAME, init_collection

    res = CaseResult("collection_reads")
    per, versions = (250, 2) if args.quick else (1000, 3)
    single = tmp / "single"
    t_build, _ = timed(lambda: inputs.fast_import_archive(
        single, inputs.history_commits(Site(per * ARCHIVES, seed="reads"),
                                       commits=per * ARCHIVES * versions)))
    root = tmp / "collection"
    init_collection(root)
    lines = []
    for i in range(ARCHIVES):
        site = f"s{i}.test"
        inputs.fast_import_archive(root / site, inputs.history_commits(
            Site(per, seed=f"reads{i}"), commits=per * versions))
        lines.append(f'"{site}" = {{ path = "{site}" }}\n')
    manifest = root / MANIFEST_NAME
    manifest.write_text(manifest.read_text() + "".join(lines))
    say(f"collection_reads: {per * ARCHIVES} articles / {per * ARCHIVES * versions} versions, "
        f"in one archive and in {ARCHIVES} (single built in {t_build:.0f} s)")
    gitnews = _gitnews_cmd()
    runs = 3 if args.quick else 5
    commands = {"changes": ["changes", "--since", "2000-01-01", "--limit", "50"],
                "search": ["search", "council", "--limit", "20"],
                "stats": ["stats"]}
    for name, argv in commands.items():
        one = _best([*gitnews, *argv, "--archive", str(single)], runs)
        many = _best([*gitnews, *argv, "--archive", str(root)], runs)
        ratio = many / one
        say(f"  {name}: one archive {one * 1000:.0f} ms, {ARCHIVES} archives "
            f"{many * 1000:.0f} ms ({ratio:.2f}x)")
        res.figures.update({f"{name}_single_s": round(one, 3), f"{name}_collection_s":
                            round(many, 3), f"{name}_ratio": round(ratio, 2)})
        res.checks.append(Check(f"{name} across {ARCHIVES} archives x one archive", ratio,
                                3.0, "<="))
    return res
