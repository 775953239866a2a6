"""The cache's git calls, in one place: the branch's head, whether one commit is an
ancestor of another, the blob ids and first lines of objects, and, for a rebuild,
the whole history as one stream (:func:`log_records`) and the files of a tree
(:func:`tree_blobs`).

The rest of the cache reads git only through these and
:func:`gitnews.archive.history.iter_commits`.  They run git through the archive's one
runner (:mod:`gitnews.archive.gitrun`) and one blob reader
(:class:`gitnews.archive.objects.BlobReader`), without GitPython: every command
asks the cache, and read commands must start fast.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from gitnews.archive import gitrun
from gitnews.archive.objects import BlobReader

if TYPE_CHECKING:
    from gitnews.archive.gitrun import RepoDirs

__all__ = ["head", "is_ancestor", "read_objects", "log_records", "tree_blobs"]


def head(repo: RepoDirs) -> str | None:
    """The branch's commit id, or None before the first commit (one ``git
    rev-parse``)."""
    done = gitrun.run(str(repo.git_dir), "rev-parse", "--verify", "-q", "HEAD", check=False)
    found = done.text.strip()
    return found if done.ok and found else None


def is_ancestor(repo: RepoDirs, ancestor: str, commit: str) -> bool:
    """Whether ``ancestor`` is ``commit`` or one of its ancestors (``git merge-base
    --is-ancestor``, git-merge-base(1): exit status 0)."""
    return gitrun.run(repo, "merge-base", "--is-ancestor", ancestor, commit, check=False).ok


def read_objects(repo: RepoDirs, names: list[str]) -> dict[str, tuple[str, str]]:
    """``name -> (blob id, line 1)`` for each object name (a blob id, or
    ``<commit>:<path>``) that names a blob; a name that names nothing (e.g. a file
    removed at that commit) is left out.  One ``git cat-file --batch``."""
    if not names:
        return {}
    with BlobReader(repo) as reader:
        found = reader.lookup(names)
    return {name: (blob, data.split(b"\n", 1)[0].decode("utf-8", "replace"))
            for name, (blob, data) in found.items()}


def log_records(repo: RepoDirs, head: str
                ) -> Iterator[tuple[str, int, str, list[tuple[str, str, str | None]]]]:
    """Every commit up to ``head``, oldest first, from one streamed ``git log``:
    ``(commit id, author time (Unix seconds), message, [(status, path, blob id)])``,
    status ``A``, ``M``, ``D`` (or ``T``), blob None for a deletion; merge commits
    have no changes (git log shows none without ``-m``).

    Machine-readable output (git-log(1)): ``--raw --no-abbrev -z`` with the
    format ``%x1e%H%x00%at%x00%B``, i.e. per commit a record separator, the
    commit id, its author time (Unix seconds) and its raw message, NUL-separated,
    then its changed files as NUL-terminated ``:<modes> <old> <new> <status>`` and
    path fields (no quoting of paths, no renames).  The message is whole: the
    caller reads its trailers as gitnews does everywhere
    (:func:`gitnews.format.trailers.parse_trailers`); git's own ``%(trailers)``
    reads some messages differently (a ``(cherry picked from ...)`` line joins
    git's trailer block, not gitnews's), and the cache's rows must not depend on
    which path wrote them.  Messages must not hold a byte 0x1E.  Raises
    :class:`~gitnews.archive.gitrun.GitError` when git fails.

    A thread (:class:`_Drain`) empties git's pipe (widened to
    :data:`LOG_PIPE_BYTES`) into a queue of at most :data:`LOG_AHEAD_CHUNKS`
    chunks, so that git writes ahead while the caller works on the commits it
    has; closing the generator early ends git and the thread.
    """
    proc = gitrun.start(repo, "log", "--no-renames", "--no-color", "--raw", "--no-abbrev", "-z",
                        "--reverse", "--format=%x1e%H%x00%at%x00%B", head, "--",
                        stderr=subprocess.PIPE)
    gitrun.widen_pipe(proc.stdout, LOG_PIPE_BYTES)
    chunks = _Drain(proc.stdout)
    buf = b""
    try:
        while True:
            chunk = chunks.get()
            if chunk:
                buf += chunk
                *records, buf = buf.split(b"\x1e")
            else:
                records, buf = [buf], b""
            for rec in records:
                if not rec:
                    continue
                fields = rec.split(b"\0")
                # [id, time, message, "\n:<raw>" or "", path, ":<raw>", path, ..., ""]
                changes: list[tuple[str, str, str | None]] = []
                for i in range(3, len(fields) - 1, 2):
                    raw = fields[i].lstrip(b"\n").split(b" ")
                    if len(raw) < 5 or not raw[0].startswith(b":"):
                        break
                    status = raw[4][:1].decode()
                    changes.append((status, fields[i + 1].decode("utf-8", "replace"),
                                    None if status == "D" else raw[3].decode()))
                message = fields[2].decode("utf-8", "replace").rstrip("\n") + "\n"
                yield fields[0].decode(), int(fields[1]), message, changes
            if not chunk:
                break
    finally:
        chunks.stop()
        # The thread ends at once after the end of the output, else at git's next
        # write; finish then kills a git still running (a reader that stopped early).
        chunks.join(timeout_s=1.0)
        gitrun.finish(proc)
        chunks.join(timeout_s=None)


#: The pipe buffer asked for ``git log``'s output in :func:`log_records`, and the
#: bytes its reader thread may hold unread: git writes ahead while the caller folds
#: commits and writes rows, but memory stays bounded at any history's size.
LOG_PIPE_BYTES = 1024 * 1024
LOG_AHEAD_CHUNKS = 16


class _Drain:
    """A thread that empties a pipe as fast as its writer fills it, into a bounded
    queue: ``git log`` then runs on a core of its own instead of waiting, blocked on
    a full pipe, each time the reader works on what it read (a rebuild writes its
    rows, issue 19).  :meth:`get` gives the chunks in order, then ``b""``."""

    def __init__(self, pipe: IO[bytes] | None) -> None:
        assert pipe is not None
        self._fd = pipe.fileno()
        self._queue: queue.Queue[bytes] = queue.Queue(LOG_AHEAD_CHUNKS)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="git-log-reader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # The reads gathered into one chunk of up to LOG_PIPE_BYTES while the reader
        # has chunks waiting (a pipe read gives what git wrote since the last one,
        # often a few KiB): the queue's bound is then in MiB, not in small reads.
        pending: list[bytes] = []
        size = 0
        while not self._stopped.is_set():
            try:
                chunk = os.read(self._fd, LOG_PIPE_BYTES)  # what the pipe holds; b"": EOF
            except OSError:
                chunk = b""  # the pipe was closed: the reader stopped early
            pending.append(chunk)
            size += len(chunk)
            if chunk and size < LOG_PIPE_BYTES and not self._queue.empty():
                continue
            if size and not self._put(b"".join(pending)):
                return
            pending, size = [], 0
            if not chunk:
                self._put(b"")
                return

    def _put(self, chunk: bytes) -> bool:
        """Queue ``chunk``, waiting while the queue is full; False when stopped."""
        while not self._stopped.is_set():
            try:
                self._queue.put(chunk, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> bytes:
        return self._queue.get()

    def stop(self) -> None:
        """Let the thread end (the caller stopped reading, or read to the end)."""
        self._stopped.set()

    def join(self, *, timeout_s: float | None) -> None:
        self._thread.join(timeout_s)


def tree_blobs(repo: RepoDirs, rev: str) -> dict[str, str]:
    """``path -> blob id`` of every file in the tree of ``rev`` (one ``git ls-tree -r
    -z --full-tree``: paths unquoted, submodules and other non-blobs left out)."""
    out = gitrun.run(repo, "ls-tree", "-r", "-z", "--full-tree", rev).stdout
    found: dict[str, str] = {}
    for entry in out.split(b"\0"):
        meta, tab, path = entry.partition(b"\t")
        fields = meta.split(b" ")
        if tab and len(fields) == 3 and fields[1] == b"blob":
            found[path.decode("utf-8", "replace")] = fields[2].decode()
    return found
