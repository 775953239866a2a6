"""Archive housekeeping: pack objects, keep the commit-graph fresh.

Nothing here changes history, refs, the working tree or the cache: these are
git's own maintenance commands, which only rewrite how objects are stored and
indexed (git-gc(1), git-commit-graph(1)).

* The commit-graph: every :class:`~gitnews.archive.store.Transaction` appends its
  commits as a new *split* layer with changed-path Bloom filters
  (:func:`gitnews.archive.store.write_commit_graph`; cost proportional to the run,
  not the archive; git merges layers geometrically), so that
  ``git log -- <path>`` (every history question gitnews asks) stays fast as
  the archive grows.
* :func:`after_run` — called at the end of every run: waits for the run's
  commit-graph layer (a run writes it while it updates its cache), then, if
  the run committed, ``git gc --auto`` packs objects only when git says it is due (``gc.auto``
  loose objects or ``gc.autoPackLimit`` packs; each run adds a pack, or loose
  objects when it is small, since the store writes through ``git fast-import``).
* :func:`gc` — ``gitnews gc``: ``git gc`` with the deltas recomputed (loose
  objects and all packs into one pack, as small as ``git repack -adf`` makes
  it; unreachable objects pruned after git's grace period) and a full rewrite
  of the commit-graph with Bloom filters in one file.

Changed-path Bloom filters: ``git commit-graph write --changed-paths`` (git
>= 2.27); once the graph has them, later writes keep adding them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gitnews.archive.gitrun import GitError, RepoDirs, run
from gitnews.errors import StoreError

if TYPE_CHECKING:
    from gitnews.archive.store import Transaction

_log = logging.getLogger("gitnews")

__all__ = ["ObjectStats", "GcReport", "object_stats", "write_commit_graph", "after_run", "gc",
           "has_commit_graph", "packs_outgrown"]


@dataclass(frozen=True)
class ObjectStats:
    """``git count-objects -v``: ``loose`` objects, ``packs``, and sizes in bytes."""

    loose: int
    loose_bytes: int
    packs: int
    pack_bytes: int


@dataclass(frozen=True)
class GcReport:
    """What :func:`gc` did: object stats ``before`` and ``after``, and whether the
    commit-graph now has changed-path Bloom filters (``bloom_filters``)."""

    before: ObjectStats
    after: ObjectStats
    bloom_filters: bool


@runtime_checkable
class _HasRepo(Protocol):
    """An :class:`~gitnews.archive.repo.Archive` (anything with a ``repo``)."""

    @property
    def repo(self) -> RepoDirs: ...


#: An :class:`~gitnews.archive.repo.Archive`, a :class:`git.Repo`, or the path of an
#: archive's folder or of its ``.git`` folder.
Place = _HasRepo | RepoDirs | str | os.PathLike[str]


def _git_dir(archive: Place) -> Path:
    """The ``.git`` folder of an :class:`~gitnews.archive.repo.Archive`, a repo or a path."""
    if isinstance(archive, str | os.PathLike):
        path = Path(archive)
        return path / ".git" if (path / ".git").is_dir() else path
    repo = archive.repo if isinstance(archive, _HasRepo) else archive
    return Path(repo.git_dir)


def _git(git_dir: Path, *args: str, what: str) -> str:
    try:
        return run(git_dir, *args).stdout.decode("utf-8", "replace")
    except GitError as exc:
        raise StoreError(f"{what} failed in {git_dir.parent}: "
                         f"{exc.stderr.strip() or f'exit status {exc.status}'}; "
                         "the archive's history is unchanged — check the disk and "
                         "`git fsck`, then try `gitnews gc` again") from None


def object_stats(archive: Place) -> ObjectStats:
    """``git count-objects -v`` of ``archive`` (an Archive, a git.Repo or a path)."""
    out = _git(_git_dir(archive), "count-objects", "-v", what="git count-objects")
    values = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return ObjectStats(loose=int(values.get("count", 0)),
                       loose_bytes=int(values.get("size", 0)) * 1024,
                       packs=int(values.get("packs", 0)),
                       pack_bytes=int(values.get("size-pack", 0)) * 1024)


def _graph_files(git_dir: Path) -> list[Path]:
    info = git_dir / "objects" / "info"
    files = [info / "commit-graph"] if (info / "commit-graph").exists() else []
    chain = info / "commit-graphs"
    if chain.is_dir():
        files += sorted(chain.glob("graph-*.graph"))
    return files


def has_commit_graph(archive: Place, *, bloom: bool = True) -> bool:
    """True when the archive has a commit-graph (every layer with changed-path
    Bloom filters, when ``bloom``: the ``BDAT`` chunk of the file format,
    gitformat-commit-graph(5))."""
    files = _graph_files(_git_dir(archive))
    if not files:
        return False
    return not bloom or all(_has_chunk(f, b"BDAT") for f in files)


def _has_chunk(path: Path, chunk_id: bytes) -> bool:
    """Read the chunk table of a commit-graph file (gitformat-commit-graph(5))."""
    with path.open("rb") as f:
        header = f.read(8)
        if header[:4] != b"CGPH":
            return False
        count = header[6]
        table = f.read(12 * (count + 1))
    return any(table[12 * i:12 * i + 4] == chunk_id for i in range(count))


def write_commit_graph(archive: Place, *, split: bool = True) -> None:
    """``git commit-graph write --reachable --changed-paths`` (``--split``: only the
    commits not yet in the graph, as a new layer).  Raises StoreError."""
    args = ["commit-graph", "write", "--reachable", "--changed-paths", "--no-progress"]
    if split:
        args.append("--split")
    _git(_git_dir(archive), *args, what="git commit-graph write")


#: After a run, the packs are consolidated when those besides the largest hold more than
#: this share of its bytes (:func:`packs_outgrown`).
PACK_GROWTH = 0.08


def packs_outgrown(archive: Place) -> bool:
    """Whether the archive's packs besides the largest weigh more than
    :data:`PACK_GROWTH` of the largest (file sizes of ``objects/pack/*.pack``).

    Each run's texts go into a pack of their own through ``git fast-import``,
    which cannot store them as deltas of their earlier versions (those live in
    other packs): a run's pack is several times the size its texts take once
    repacked.  Consolidating into one pack when they add up to this share keeps
    the archive within about ``1 + PACK_GROWTH`` of ``git repack -adf``, and
    rewrites the archive only after it has grown by that share (the cost per
    run stays proportional to the run).
    """
    sizes = [f.stat().st_size for f in _packs(_git_dir(archive))]
    return len(sizes) > 1 and sum(sizes[:-1]) > PACK_GROWTH * sizes[-1]


def _packs(git_dir: Path) -> list[Path]:
    """The archive's pack files, smallest first."""
    return sorted((git_dir / "objects" / "pack").glob("*.pack"), key=lambda f: f.stat().st_size)


def _tidy_packs(git_dir: Path) -> None:
    """Keep the packs near ``git repack -adf``'s size as runs add theirs.

    ``git fast-import`` stores each text as a delta of the text written before
    it in the stream (another article's, mostly), and a repack keeps the deltas
    it finds.  So when the packs besides the largest have outgrown it
    (:func:`packs_outgrown`), they are first repacked with their deltas
    computed anew (``git repack -A -d -f --keep-pack=<largest>``: a cost that
    follows their size, not the archive's; a text whose earlier version is in
    the largest pack is then stored whole); if they still outweigh the share,
    ``git gc --auto`` with ``gc.autoPackLimit=1`` puts them all in one pack,
    which stores those whole texts as deltas of their earlier versions and
    keeps every other delta (the archive is rewritten once per that share of
    growth).  Unreachable objects are loosened (``-A``), never dropped: git gc
    prunes them after its grace period.
    """
    packs = _packs(git_dir)
    if len(packs) < 2 or not packs_outgrown(git_dir):
        return
    _git(git_dir, "repack", "-A", "-d", "-f", "-q", f"--keep-pack={packs[-1].name}",
         what="git repack")
    if packs_outgrown(git_dir):
        _git(git_dir, "-c", "gc.autoDetach=false", "-c", "gc.writeCommitGraph=false",
             "-c", "gc.autoPackLimit=1", "gc", "--auto", "--quiet", what="git gc --auto")


def after_run(archive: Place, tx: Transaction) -> str | None:
    """Housekeeping after a run whose versions went through ``tx`` (finished).

    Waits for the commit-graph layer of the run's commits, when ``tx`` wrote
    it in the background (``tx.finish(graph_in_background=True)``), then, if
    the run committed, runs ``git gc --auto``: it packs only when git says it
    is due (``gc.auto`` loose objects, ``gc.autoPackLimit`` packs), and again
    with ``gc.autoPackLimit=1`` (all packs into one) when the runs' packs have
    outgrown the main one (:func:`packs_outgrown`), in the
    foreground (``gc.autoDetach=false``), leaving the commit-graph as it is
    (``gc.writeCommitGraph=false``: repacking does not invalidate it, and
    gitnews's layers carry the Bloom filters).

    Never raises: the run's versions are already safe, and housekeeping is
    tried again after the next run (or with ``gitnews gc``).  A failure is
    logged on the ``gitnews`` logger and its message returned; None when all
    went well.
    """
    problems = []
    if not tx.wait_commit_graph():
        problems.append("git commit-graph write failed (history queries may be slower "
                        "until the next run or `gitnews gc`)")
    if tx.commits:
        git_dir = _git_dir(archive)
        try:
            _git(git_dir, "-c", "gc.autoDetach=false", "-c", "gc.writeCommitGraph=false",
                 "gc", "--auto", "--quiet", what="git gc --auto")
            _tidy_packs(git_dir)
        except (StoreError, OSError) as exc:
            problems.append(str(exc))
    if not problems:
        return None
    message = "; ".join(problems)
    _log.warning("archive housekeeping after the run: %s", message)
    return message


#: The delta window and depth of ``gitnews gc`` (git's defaults for ``pack.window`` and
#: ``pack.depth``, git-config(1)).
GC_WINDOW, GC_DEPTH = 10, 50


def gc(archive: Place, *, aggressive: bool = False) -> GcReport:
    """``gitnews gc``: ``git gc`` with every delta recomputed, then a full
    commit-graph with Bloom filters.

    The deltas are computed anew (``git gc --aggressive`` with git's everyday
    window and depth, :data:`GC_WINDOW`, :data:`GC_DEPTH`: what ``git repack
    -adf`` does), because the packs written by ``git fast-import`` (every
    run's, every import's) hold poor deltas or none, and a plain ``git gc``
    keeps the deltas it finds: the archive was 1.42× the size of ``git repack
    -adf`` of the same repository after a plain ``git gc``, 1.0× now.
    ``aggressive`` uses git's own ``--aggressive`` window and depth instead
    (``gc.aggressiveWindow``, default 250; a much slower, slightly tighter repack).
    Unreachable objects are pruned only after git's grace period
    (``gc.pruneExpire``, two weeks by default), so an interrupted run's
    objects are never lost early.  Raises StoreError when git fails.
    """
    git_dir = _git_dir(archive)
    before = object_stats(git_dir)
    args = ["-c", "gc.autoDetach=false", "-c", "gc.writeCommitGraph=false"]
    if not aggressive:
        # git gc's --aggressive is its only way to recompute the deltas (``repack
        # -f``); here with git's everyday window and depth (pack.window,
        # pack.depth defaults), not its aggressive ones.
        args += ["-c", f"gc.aggressiveWindow={GC_WINDOW}", "-c", f"gc.aggressiveDepth={GC_DEPTH}"]
    _git(git_dir, *args, "gc", "--quiet", "--aggressive", what="git gc")
    write_commit_graph(git_dir, split=False)
    return GcReport(before=before, after=object_stats(git_dir),
                    bloom_filters=has_commit_graph(git_dir))
