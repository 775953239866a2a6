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
* :func:`gc` — ``gitnews gc``: ``git gc`` (loose objects and small packs into
  one pack, unreachable objects pruned after git's grace period) and a full
  rewrite of the commit-graph with Bloom filters in one file.  With captures
  (branch ``gitnews/captures``) the deltas are computed again (``git repack -f``
  at git's usual window), which is what stores each capture as a delta of the
  page's previous one.

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
           "has_commit_graph"]


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


def after_run(archive: Place, tx: Transaction) -> str | None:
    """Housekeeping after a run whose versions went through ``tx`` (finished).

    Waits for the commit-graph layer of the run's commits, when ``tx`` wrote
    it in the background (``tx.finish(graph_in_background=True)``), then, if
    the run committed, runs ``git gc --auto``: it packs only when git says it
    is due (``gc.auto`` loose objects, ``gc.autoPackLimit`` packs), in the
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
        try:
            _git(_git_dir(archive), "-c", "gc.autoDetach=false", "-c", "gc.writeCommitGraph=false",
                 "gc", "--auto", "--quiet", what="git gc --auto")
        except (StoreError, OSError) as exc:
            problems.append(str(exc))
    if not problems:
        return None
    message = "; ".join(problems)
    _log.warning("archive housekeeping after the run: %s", message)
    return message


def gc(archive: Place, *, aggressive: bool = False) -> GcReport:
    """``gitnews gc``: ``git gc`` then a full commit-graph with Bloom filters.

    ``aggressive`` passes ``--aggressive`` (a much slower, tighter repack).
    Unreachable objects are pruned only after git's grace period
    (``gc.pruneExpire``, two weeks by default), so an interrupted run's
    objects are never lost early.  Raises StoreError when git fails.
    """
    git_dir = _git_dir(archive)
    before = object_stats(git_dir)
    args = ["-c", "gc.autoDetach=false", "-c", "gc.writeCommitGraph=false", "gc", "--quiet"]
    if aggressive:
        args.append("--aggressive")
    elif run(git_dir, "rev-parse", "--verify", "-q", "refs/heads/gitnews/captures",
             check=False).ok:
        # Captures (issue 16): fast-import deltas each blob against the one written just
        # before it (another article's), and git gc reuses stored deltas, so the captures of
        # one page are only stored as deltas of each other once the deltas are computed
        # again: an --aggressive gc at git's usual window and depth is `git repack -f`.
        args[:0] = ["-c", "gc.aggressiveWindow=10", "-c", "gc.aggressiveDepth=50"]
        args.append("--aggressive")
    _git(git_dir, *args, what="git gc")
    write_commit_graph(git_dir, split=False)
    return GcReport(before=before, after=object_stats(git_dir),
                    bloom_filters=has_commit_graph(git_dir))
