"""Recording versions into the archive: one transaction, one Recorder, then the cache.

Every use case that adds versions (a run, an import) goes through
:func:`recording`: it opens one :class:`~gitnews.archive.store.Transaction`
(none for a dry run) and a :class:`~gitnews.versions.record.Recorder` on it;
the caller records captures; when the ``with`` block ends normally the
transaction finishes (the commits are in git, the branch moved) and then the
Recorder applies its cache updates (:meth:`~gitnews.versions.record.Recorder.apply`),
so that an interrupted process never leaves the cache ahead of git.  Work that
needs only the commits (a run's housekeeping: ``git gc --auto``, pack tidying) can
start then, beside the cache update (``after_finish``).  When the
block ends with an exception (including a stop that abandons the work), the
transaction is aborted and nothing of it is committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gitnews.archive.repo import Archive
from gitnews.archive.store import Transaction
from gitnews.versions.record import Recorder

__all__ = ["recording", "Abandoned"]


class Abandoned(Exception):
    """The run (or import) was abandoned on request (a second SIGINT/SIGTERM):
    nothing of it was committed, and nothing was damaged."""


@contextmanager
def recording(archive: Archive, *, dry_run: bool = False, check_all: bool = False,
              graph_in_background: bool = False,
              worktree_in_background: bool = False,
              after_finish: Callable[[Transaction], object] | None = None) -> Iterator[Recorder]:
    """A :class:`~gitnews.versions.record.Recorder` on a new transaction of ``archive``.

    Leaving the block normally: the transaction finishes (``graph_in_background``:
    see :meth:`~gitnews.archive.store.Transaction.finish`; then call
    :func:`gitnews.archive.maintenance.after_run` with ``recorder.tx``, which waits
    for that commit-graph layer; ``worktree_in_background``: the files are written
    while the cache is updated, call ``recorder.tx.wait_worktree()`` after the
    block), ``after_finish(tx)`` is called if given (the commits are in git and the
    branch moved; the cache is not updated yet: a caller that starts work in a
    thread there must wait for it), then the Recorder's cache updates are applied.
    Leaving it with an exception: the transaction is aborted.  ``dry_run``: no
    transaction; the Recorder decides but commits and applies nothing.
    ``check_all``: see :class:`~gitnews.versions.record.Recorder`.  The Recorder's
    git reader is closed either way.  Raises
    :class:`~gitnews.errors.StoreError` when git cannot record the versions
    (then none is recorded).
    """
    tx = None if dry_run else archive.transaction()
    recorder = Recorder(archive, tx, check_all=check_all)
    try:
        try:
            yield recorder
        except BaseException:
            if tx is not None:
                tx.abort()
            raise
        if tx is not None:
            tx.finish(graph_in_background=graph_in_background,
                      worktree_in_background=worktree_in_background)
            if after_finish is not None:
                after_finish(tx)
            recorder.apply()
    finally:
        recorder.close()
