"""Benchmark case ``export`` (issue 17): ``gitnews export sqlite`` of the whole synthetic
archive (100,000 versions of 20,000 articles; ``--quick``: 20,000 / 4,000) against its
baseline, ``git cat-file --batch`` of every version's text, in the same run; and its
peak RSS on an archive five times smaller (memory must stay flat: streamed).

Then the stages of the export, each measured alone in this process on the smaller archive
(:func:`_stages`): the floor each puts under the whole, against the same ``git cat-file``.

Registered in ``benchmarks/run.py``'s CASES; run it alone with ``--case export``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import time
from pathlib import Path

import inputs


def _blob_ids(archive: Path) -> bytes:
    """Every version's blob id (one per line): the texts the export reads."""
    out = subprocess.run(["git", "-C", str(archive), "log", "--raw", "--no-abbrev", "--format=",
                          "--no-renames"], check=True, capture_output=True).stdout
    ids = [line.split()[3] for line in out.decode().splitlines()
           if line.startswith(":") and not line.split()[3].startswith("0000000")]
    return ("\n".join(ids) + "\n").encode()


def _sampled(cmd: list[str], *, stdin: Path | None = None) -> tuple[float, int, int]:
    """Run ``cmd``: seconds, and the peak RSS (kB) of the process itself and the largest
    of its children (git): VmHWM sampled from /proc while they live (not ru_maxrss:
    Linux carries it over from the parent across fork+exec)."""
    from run import _descendants, _peak_kb

    t0 = time.perf_counter()
    with (stdin.open("rb") if stdin else open(os.devnull, "rb")) as f:
        proc = subprocess.Popen(cmd, stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        own = kids = 0
        while proc.poll() is None:
            own = max(own, _peak_kb(proc.pid))
            for pid in _descendants(proc.pid):
                kids = max(kids, _peak_kb(pid))
            time.sleep(0.1)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"export: {' '.join(cmd)} failed: {err[-2000:]}")
    return seconds, own, kids


def _export(gitnews: list[str], archive: Path, out: Path) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) of gitnews, and of its git process, for one ``gitnews
    export sqlite`` into a new ``out``."""
    if out.exists():
        out.unlink()
    seconds, own, kids = _sampled([*gitnews, "export", "sqlite", str(out), "--archive",
                                   str(archive)])
    return seconds, own / 1024, kids / 1024


def _clock() -> tuple[float, float, float]:
    """Wall seconds, CPU seconds of this process (all its threads), and of its
    waited-for children (git)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time(), kids.ru_utime + kids.ru_stime


def _since(t0: tuple[float, float, float]) -> tuple[float, float, float]:
    t1 = _clock()
    return t1[0] - t0[0], t1[1] - t0[1], t1[2] - t0[2]


def _fts5_alone(docs: list[tuple[int, str, str]], out: Path) -> tuple[float, float, float]:
    """FTS5 alone over the texts: a new file with one FTS5 table (the export's tokenizer,
    :data:`~gitnews.output.export.writers.FTS_TOKENIZE`, journal and sync off as the export
    writes), every ``(rowid, headline, text)`` inserted in one transaction: what SQLite's
    full-text index costs whatever Python does."""
    import sqlite3

    from gitnews.output.export.writers import FTS_TOKENIZE

    out.unlink(missing_ok=True)
    t0 = _clock()
    db = sqlite3.connect(out)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(f"CREATE VIRTUAL TABLE fts USING FTS5 (headline, text, tokenize='{FTS_TOKENIZE}')")
    with db:
        db.executemany("INSERT INTO fts (rowid, headline, text) VALUES (?, ?, ?)", docs)
    db.close()
    took = _since(t0)
    out.unlink()
    return took


def _stages(archive: Path, ids_file: Path, out: Path) -> dict[str, tuple[float, float, float]]:
    """Each stage of ``export sqlite`` alone, in this process: ``(wall s, CPU s of
    this process, CPU s of git)``.  ``git``: ``git cat-file --batch`` of every text
    (the baseline); ``read``: the cache's rows and every text through
    :class:`~gitnews.archive.objects.BlobReader`, a group at a time, nothing else;
    ``split``: the texts read decoded, every distinct paragraph of each article split
    into sentences (sentencex) and every distinct block's words counted;
    ``floor_sentencex``: sentencex alone over each article's distinct paragraphs (the
    splitter's floor); ``floor_fts5``: FTS5 alone over the texts (SQLite's floor,
    :func:`_fts5_alone`); ``rows``: every row made, sentence edits included (read, split, align, the row objects); ``write``: the SQLite file (tables, FTS5, indexes)
    from rows already made; ``export``: the whole export in this process."""
    from gitnews.archive.objects import BlobReader
    from gitnews.archive.repo import open_archive
    from gitnews.output.export import export
    from gitnews.output.export.rows import _cache_rows, _version, iter_articles
    from gitnews.output.export.sentences import SentenceSplitter
    from gitnews.output.export.writers import write_sqlite

    found: dict[str, tuple[float, float, float]] = {}
    t0 = _clock()
    with ids_file.open("rb") as f:
        subprocess.run(["git", "-C", str(archive), "cat-file", "--batch"], stdin=f,
                       stdout=subprocess.DEVNULL, check=True)
    found["git"] = _since(t0)
    with open_archive(archive) as arc:
        t0 = _clock()
        texts: list[list[bytes]] = []
        with BlobReader(arc.repo) as reader:
            for rows in _cache_rows(arc.state.db, None):
                blobs = [v.blob for v in map(_version, rows) if v.blob]
                read = reader.read(blobs)
                texts.append([read[b] for b in blobs])
        found["read"] = _since(t0)
        splitter = SentenceSplitter()
        t0 = _clock()
        for article in texts:
            for text in article:
                decoded = text.decode("utf-8", "replace")
                splitter.count_words(decoded)
                for block in decoded.split("\n\n")[1:]:
                    splitter.paragraph(block.strip("\n"))
            splitter.clear()
        found["split"] = _since(t0)
        # The floors: sentencex alone over each article's distinct paragraphs (no decoding,
        # no word counts), and FTS5 alone over the texts (the export's tokenizer, one
        # transaction, no other table), gathered before the clock starts.
        from sentencex import segment  # type: ignore[import-untyped]

        distinct: list[str] = []
        docs: list[tuple[int, str, str]] = []
        for article in texts:
            seen: set[str] = set()
            for text in article:
                decoded = text.decode("utf-8", "replace")
                head, _, body = decoded.partition("\n\n")
                docs.append((len(docs) + 1, head, decoded))
                for block in body.split("\n\n"):
                    block = block.strip("\n")
                    if block and block not in seen:
                        seen.add(block)
                        distinct.append(block)
        t0 = _clock()
        for block in distinct:
            segment("en", block)
        found["floor_sentencex"] = _since(t0)
        found["floor_fts5"] = _fts5_alone(docs, out)
        del texts, docs, distinct
        t0 = _clock()
        blocks = list(iter_articles(arc))
        found["rows"] = _since(t0)
        out.unlink(missing_ok=True)
        t0 = _clock()
        write_sqlite(blocks, out)
        found["write"] = _since(t0)
        del blocks
        out.unlink()
        t0 = _clock()
        export(arc, "sqlite", out)
        found["export"] = _since(t0)
    return found


def case_export(args: argparse.Namespace, tmp: Path):  # type: ignore[no-untyped-def]
    from run import CaseResult, Check, _gitnews_cmd, say, timed

    res = CaseResult("export")
    n_articles, n_commits = (4000, 20000) if args.quick else (20000, 100000)
    gitnews = _gitnews_cmd()
    archives = {}
    for label, (arts, commits) in (("small", (n_articles // 5, n_commits // 5)),
                                   ("large", (n_articles, n_commits))):
        # Read-only: the big archives shared with other cases (inputs.shared_archive).
        t, archives[label] = timed(lambda arts=arts, commits=commits: inputs.shared_archive(
            articles=arts, commits=commits, short=True))
        say(f"export: {label} archive, {arts} articles / {commits} versions ({t:.0f} s to "
            "build or find)")
    archive = archives["large"]
    ids_file = tmp / "blob-ids.txt"
    ids_file.write_bytes(_blob_ids(archive))
    texts = ids_file.read_bytes().count(b"\n")
    cat = [min((_sampled(["git", "-C", str(archive), "cat-file", "--batch"], stdin=ids_file)
                for _ in range(max(1, args.repeat))), key=lambda r: r[0])][0]
    base, cat_kb = cat[0], cat[1]
    say(f"  baseline `git cat-file --batch` of {texts} texts: {base:.2f} s, "
        f"peak RSS {cat_kb / 1024:.0f} MB")
    runs = [_export(gitnews, archive, tmp / "large.db") for _ in range(max(1, args.repeat))]
    seconds = min(r[0] for r in runs)
    peak, git_peak = max(r[1] for r in runs), max(r[2] for r in runs)
    small_s, small_peak, small_git = _export(gitnews, archives["small"], tmp / "small.db")
    size_mb = (tmp / "large.db").stat().st_size / 1e6
    ratio = seconds / base
    say(f"  gitnews export sqlite: {seconds:.2f} s ({ratio:.1f}× the baseline), "
        f"{size_mb:.0f} MB database; peak RSS of gitnews {peak:.0f} MB, of its git "
        f"cat-file {git_peak:.0f} MB (archive 5× smaller: {small_peak:.0f} MB and "
        f"{small_git:.0f} MB, {small_s:.2f} s)")
    res.figures.update(baseline_s=round(base, 2), baseline_peak_rss_mb=round(cat_kb / 1024, 1),
                       export_s=round(seconds, 2), ratio=round(ratio, 2),
                       peak_rss_mb=round(peak, 1), git_peak_rss_mb=round(git_peak, 1),
                       small_peak_rss_mb=round(small_peak, 1),
                       small_git_peak_rss_mb=round(small_git, 1),
                       small_export_s=round(small_s, 2), database_mb=round(size_mb, 1),
                       versions=n_commits, articles=n_articles)
    small_ids = tmp / "small-blob-ids.txt"
    small_ids.write_bytes(_blob_ids(archives["small"]))
    stages = _stages(archives["small"], small_ids, tmp / "stages.db")
    git_wall, _, git_cpu = stages["git"]
    say("  stages alone, archive 5× smaller, in one process (wall s, CPU s of gitnews, of git; "
        "wall and CPU × git cat-file's; floor_*: the floors, sentencex and FTS5 alone):")
    for name, (wall, cpu, kids) in stages.items():
        say(f"    {name:15} {wall:6.2f} s  {cpu:6.2f} s  {kids:5.2f} s  {wall / git_wall:5.1f}×"
            f"  {(cpu + kids) / max(git_cpu, 1e-6):5.1f}×")
        res.figures[f"stage_{name}_s"] = round(wall, 2)
        res.figures[f"stage_{name}_cpu_s"] = round(cpu + kids, 2)
    res.checks.append(Check("export sqlite × git cat-file --batch of every text", ratio, 2, "<="))
    res.checks.append(Check("peak RSS of gitnews, archive 5× larger × smaller",
                            peak / small_peak, 1.2, "<="))
    return res
