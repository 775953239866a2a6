"""``gitnews gc``: archive housekeeping (pack objects, rewrite the commit-graph)."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import DEFAULT_ARCHIVE, ArchiveOption, WaitOption, command, open_for_writing


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


@command("gc")
def gc_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    aggressive: Annotated[bool, typer.Option(
        "--aggressive", help="Repack much harder (slow; git gc --aggressive).")] = False,
    wait: WaitOption = None,
) -> None:
    """Pack the archive's objects and rewrite its commit-graph, for fast history queries.

    Runs `git gc` (loose objects and the packs of past runs into one pack) and
    `git commit-graph write --reachable --changed-paths` (changed-path Bloom
    filters make `git log -- <file>` fast in a big archive).  Every run that
    commits already adds to the commit-graph and packs when git says it is due;
    run this after a big import, or from time to time.  History is not changed.
    """
    from gitnews.archive.maintenance import gc

    with open_for_writing(archive, wait=wait, command="gitnews gc") as arc:
        report = gc(arc, aggressive=aggressive)
    b, a = report.before, report.after
    typer.echo(f"Objects: {b.loose} loose + {b.packs} pack(s) ({_size(b.loose_bytes + b.pack_bytes)})"
               f" -> {a.loose} loose + {a.packs} pack(s) ({_size(a.loose_bytes + a.pack_bytes)})")
    typer.echo("Commit-graph written with changed-path Bloom filters."
               if report.bloom_filters else
               "Commit-graph written (this git does not write changed-path Bloom filters; "
               "git 2.27 or newer does).")
