"""The writer of versions: one run's versions go through one ``git fast-import``.

Why fast-import: GitPython's ``index.add`` + ``index.commit`` rewrites the
whole index for every commit (about 50 commits/s on a new repository, fewer as
it grows); one fast-import stream writes thousands per second and moves the
branch only when the stream ends with ``done`` (git-fast-import(1), "Crash
Recovery"): an interrupted run leaves the branch at its previous commit, never
half-written.  The working tree and index are brought up to date once, at the
end, with a two-tree ``git read-tree -m -u`` (git-read-tree(1)):
:mod:`gitnews.archive.worktree`.  The only other code that writes to the
archive's git is :mod:`gitnews.archive.remote` (fetching, replaying the
archive's commits on a remote's branch, pushing).

Usage::

    with Transaction(repo, author=("gitnews", "gitnews@localhost")) as tx:
        tx.commit({"a/b.txt": "text\\n"}, message="...", when=datetime(...))
    tx.commits   # full commit ids, in order
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from gitnews.archive.gitrun import RepoDirs, explain, run, start, widen_pipe
from gitnews.archive.worktree import (
    BRANCH,
    PendingUpdate,
    head_advice,
    start_update_worktree,
    symbolic_head,
    update_worktree,
)
from gitnews.errors import StoreError

__all__ = ["Transaction", "Written", "blob_id", "quote_path", "write_commit_graph",
           "start_commit_graph", "BRANCH"]

#: What one commit of a :class:`Transaction` wrote: ``(when, message, {path: (blob id,
#: line 1) or None for a deletion})``.
Written = tuple[datetime, str, dict[str, tuple[str, str] | None]]

#: Most commits a Transaction remembers in :attr:`Transaction.written` (memory stays flat).
WRITTEN_LIMIT = 20_000

#: Bytes of the stream gathered before one write to fast-import's pipe: a few large
#: writes instead of one (or several) per commit, each a system call that may wake
#: fast-import for a few kilobytes.
WRITE_CHUNK = 256 * 1024

#: The size asked for fast-import's input pipe (Linux ``F_SETPIPE_SZ``, fcntl(2); at
#: most ``/proc/sys/fs/pipe-max-size``, 1 MiB by default; 64 KiB otherwise): the run
#: writes a chunk and goes on deciding the next versions while fast-import reads it.
PIPE_BYTES = 1024 * 1024


def _widen_pipe(pipe: IO[bytes] | None) -> None:
    """Ask for a :data:`PIPE_BYTES` pipe buffer (:func:`~gitnews.archive.gitrun.widen_pipe`: best
    effort, Linux only)."""
    widen_pipe(pipe, PIPE_BYTES)


def blob_id(data: bytes) -> str:
    """The git blob id (SHA-1 hex) that ``data`` would get: ``git hash-object``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def quote_path(path: str) -> bytes:
    """C-style quote a path for fast-import (always quoted; UTF-8 kept raw)."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return b'"' + escaped.encode("utf-8") + b'"'


def write_commit_graph(repo: RepoDirs) -> bool:
    """Bring the repository's commit-graph with changed-path Bloom filters up to date.

    ``git commit-graph write --reachable --changed-paths --split``
    (git-commit-graph(1)): an index beside the objects, not history, that lets
    ``git log -- <path>`` skip the commits that did not touch the path, so
    that reading one article's versions stays fast in an archive with
    100,000 commits (about 1 s without it, 0.1 s with it).  ``--split`` writes
    only the commits added since the last layer.  Best effort: returns False
    (and changes nothing) when git cannot write it.
    """
    return run(repo, "commit-graph", "write", "--reachable", "--changed-paths", "--split",
               check=False).ok


def start_commit_graph(repo: RepoDirs) -> subprocess.Popen[bytes] | None:
    """:func:`write_commit_graph` in the background: the running ``git``, or None
    when it cannot start.  Wait for it (``.wait()``, exit status 0 = written)
    before the process ends if the layer must be there for what follows."""
    try:
        return start(repo, "commit-graph", "write", "--reachable", "--changed-paths", "--split",
                     "--no-progress", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None


class Transaction:
    """One fast-import stream on ``refs/heads/main`` of ``repo``.

    ``author`` is ``(name, email)``, used as author and committer; ``notify``
    (called with a str) receives notices about the working tree (see
    :meth:`finish`).  Commits are
    written with :meth:`commit`; leaving the ``with`` block normally ends the
    stream, moves the branch and updates the working tree; leaving it with an
    exception (or calling :meth:`abort`) discards everything: the branch stays
    where it was.  Raises :class:`~gitnews.errors.StoreError` when git fails.
    """

    def __init__(self, repo: RepoDirs, *, author: tuple[str, str],
                 notify: Callable[[str], None] | None = None) -> None:
        self.repo = repo
        self.author = author
        #: Called with a notice (str, for the user) about the working tree: a local
        #: edit of a file this transaction committed kept, an interrupted run repaired.
        self._notify = notify or (lambda notice: None)
        self.commits: list[str] = []
        self._marks = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._pending: list[bytes] = []  # stream bytes not yet written (WRITE_CHUNK)
        self._pending_bytes = 0
        self._marks_file: str | None = None
        self._old_head: str | None = None
        self._graph: subprocess.Popen[bytes] | None = None  # commit-graph writer (finish)
        self._worktree: PendingUpdate | None = None  # working-tree update (finish)
        #: What each commit wrote, in order: ``(when, message, {path: (blob id, line 1)
        #: or None for a deletion})``, so that the cache can take the run's commits
        #: without reading them back from git; None after :data:`WRITTEN_LIMIT` commits.
        self.written: list[Written] | None = []
        self._stderr: IO[bytes] | None = None
        #: Side branches written in this stream (:meth:`side_commit`): ref -> its
        #: commit before the transaction ("" for a new branch).
        self._side_heads: dict[str, str] = {}
        #: Commits queued on side branches (:meth:`side_commit`).
        self.side_commits = 0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            head = run(self.repo, "rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}",
                       check=False)
            self._old_head = head.text if head.ok else None
            self._check_head()
            fd, self._marks_file = tempfile.mkstemp(prefix="gitnews-marks-",
                                                    dir=self.repo.git_dir)
            os.close(fd)
            # stderr goes to a file, so that a chatty git can never block on a full pipe.
            self._stderr = tempfile.TemporaryFile()
            # In a process group of its own: a Ctrl-C at the terminal goes to gitnews's
            # group, which stops after the work in flight and still needs this stream to
            # commit it (gitnews ending the stream without `done` aborts it).
            self._proc = start(self.repo, "fast-import", "--quiet", "--done", "--date-format=raw",
                               f"--export-marks={self._marks_file}", stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=self._stderr, own_group=True)
            _widen_pipe(self._proc.stdin)
        return self._proc

    def _check_head(self) -> None:
        """Refuse to write unless HEAD is (or will be) the archive's branch.

        A detached checkout (as CI systems make) or another branch would get
        versions on a branch nobody looks at, or a second root commit.
        """
        head_ref = symbolic_head(self.repo)
        if head_ref != f"refs/heads/{BRANCH}":
            where = f"on {head_ref}" if head_ref else "detached"
            raise StoreError(f"the archive's HEAD is {where}, not on branch {BRANCH}; "
                             f"{head_advice(self.repo, head_ref)}")

    def _write(self, data: bytes | list[bytes]) -> None:
        """Queue ``data`` (bytes, or a list of parts) for the stream; written in
        chunks of :data:`WRITE_CHUNK`."""
        if isinstance(data, bytes):
            data = [data]
        self._pending += data
        self._pending_bytes += sum(map(len, data))
        if self._pending_bytes >= WRITE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        """Write the queued stream bytes to fast-import's pipe."""
        proc = self._start()
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        try:
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            err = self._collect_error()
            self._cleanup()
            self._proc = None
            raise StoreError(f"git fast-import stopped: {explain(err)}; "
                             "the archive is unchanged") from None

    def _collect_error(self) -> str:
        proc = self._proc
        if proc is None:
            return "not started"
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        proc.wait()
        if self._stderr is None:
            return f"exit status {proc.returncode}"
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace").strip()
        return err or f"exit status {proc.returncode}"

    # -- writing -------------------------------------------------------------------------
    def commit(self, changes: Mapping[str, bytes | str | None], *, message: str,
               when: datetime, blobs: Mapping[str, str] | None = None) -> int:
        """Queue one commit that sets each ``path`` to its bytes/str, or deletes it (None).

        ``when`` (aware datetime, stored in UTC) is the author and committer date.
        ``blobs``: the blob ids (:func:`blob_id`) of some of the contents, when the
        caller has computed them already (not checked: they must be right).
        Returns the commit's mark (1, 2, ...); the commit ids are known after
        :meth:`finish`, in :attr:`commits`.
        """
        self._start()
        self._marks += 1
        name, email = self.author
        ts = int(when.astimezone(UTC).timestamp())
        ident = f"{name} <{email}> {ts} +0000".encode()
        msg = message.encode("utf-8")
        out = [b"commit refs/heads/" + BRANCH.encode() + b"\n",
               b"mark :%d\n" % self._marks,
               b"author " + ident + b"\n",
               b"committer " + ident + b"\n",
               b"data %d\n" % len(msg), msg, b"\n"]
        if self._marks == 1 and self._old_head:
            # fast-import does not read existing refs: name the parent explicitly.
            out.append(b"from " + self._old_head.encode() + b"\n")
        written: dict[str, tuple[str, str] | None] = {}
        for path, content in changes.items():
            if content is None:
                out.append(b"D " + quote_path(path) + b"\n")
                written[path] = None
            else:
                data = content.encode("utf-8") if isinstance(content, str) else content
                out += [b"M 100644 inline " + quote_path(path) + b"\n",
                        b"data %d\n" % len(data), data, b"\n"]
                end = data.find(b"\n")
                written[path] = ((blobs or {}).get(path) or blob_id(data),
                                 (data if end < 0 else data[:end]).decode("utf-8", "replace"))
        self._write(out)
        if self.written is not None:
            if len(self.written) < WRITTEN_LIMIT:
                self.written.append((when, message, written))
            else:  # a huge transaction: readers replay git log instead (flat memory)
                self.written = None
        return self._marks

    def side_commit(self, ref: str, changes: Mapping[str, bytes | None], *, message: str,
                    when: datetime) -> None:
        """Queue one commit on the side branch ``ref`` (a full ref name such as
        ``refs/heads/gitnews/captures``) in the same stream: it moves with the
        version commits when the stream ends with ``done``, or not at all
        (git-fast-import(1): refs are updated only at the end).  Its parent is
        the branch's previous commit (in this stream, else in the repository);
        ``changes`` as :meth:`commit` (bytes or None), ``when`` the author and
        committer date.  Not counted in :attr:`commits` nor :attr:`written`.
        The index and working tree are never touched for it.
        """
        self._start()
        name, email = self.author
        ident = f"{name} <{email}> {int(when.astimezone(UTC).timestamp())} +0000".encode()
        msg = message.encode("utf-8")
        out = [b"commit " + ref.encode() + b"\n",
               b"author " + ident + b"\n", b"committer " + ident + b"\n",
               b"data %d\n" % len(msg), msg, b"\n"]
        if ref not in self._side_heads:
            head = run(self.repo, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}",
                       check=False)
            self._side_heads[ref] = head.text if head.ok else ""
            if self._side_heads[ref]:
                out.append(b"from " + self._side_heads[ref].encode() + b"\n")
        for path, content in changes.items():
            if content is None:
                out.append(b"D " + quote_path(path) + b"\n")
            else:
                out += [b"M 100644 inline " + quote_path(path) + b"\n",
                        b"data %d\n" % len(content), content, b"\n"]
        self._write(out)
        self.side_commits += 1

    @property
    def old_head(self) -> str | None:
        """The branch's commit before this transaction (None: no commit yet, or not started)."""
        return self._old_head

    def abort(self) -> None:
        """Discard the stream: the branch does not move.

        The stream is ended without ``done``, so fast-import stops with "stream
        ends early" and removes its temporary pack itself (a SIGKILL would leave
        ``objects/pack/tmp_pack_*`` behind); its crash report is deleted.
        """
        proc = self._proc
        self._pending.clear()
        self._pending_bytes = 0
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        try:
            os.unlink(os.path.join(self.repo.git_dir, f"fast_import_crash_{proc.pid}"))
        except OSError:
            pass
        self._cleanup()
        self._proc = None

    def _cleanup(self) -> None:
        for f in (self._proc.stdin if self._proc is not None else None, self._stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
        if self._marks_file:
            try:
                os.unlink(self._marks_file)
            except OSError:
                pass

    def finish(self, *, graph_in_background: bool = False,
               worktree_in_background: bool = False) -> list[str]:
        """End the stream, move the branch, update index and working tree once,
        and add the new commits to the commit-graph.

        ``graph_in_background``: start the commit-graph layer and return without
        waiting for it (it then runs while the caller updates its cache); call
        :meth:`wait_commit_graph` before relying on it.  ``worktree_in_background``:
        the same for the index and working tree
        (:func:`gitnews.archive.worktree.start_update_worktree`); call
        :meth:`wait_worktree` before reading the files or the index (it raises
        what this method would).  Returns the new commit
        ids in order (empty when nothing was committed).

        The index always ends at the new commit.  A file this transaction
        committed that held an uncommitted edit keeps that edit in the working
        tree (it is never overwritten), while its index entry takes the new
        version, so that a plain ``git commit`` cannot undo the new version;
        ``notify`` is told, naming the file and what to do.
        """
        if self._proc is None:
            return []
        if not self._marks and self.side_commits:  # only side commits: the ref itself says
            self._write(b"done\n")
            self._flush()
            err = self._collect_error()
            ok = self._proc.returncode == 0
            self._cleanup()
            self._proc = None
            if not ok:
                raise StoreError(f"git fast-import failed: {explain(err)}; "
                                 "the archive is unchanged")
            return []
        self._write(b"done\n")
        self._flush()
        err = self._collect_error()
        assert self._marks_file is not None  # set when the stream started
        if self._proc.returncode != 0 or not Path(self._marks_file).stat().st_size:
            self._cleanup()
            self._proc = None
            raise StoreError(f"git fast-import failed: {explain(err)}; the archive is unchanged")
        marks = dict(line.split() for line in
                     Path(self._marks_file).read_text().splitlines() if line.strip())
        self.commits = [marks[f":{i}"] for i in range(1, self._marks + 1)]
        self._cleanup()
        self._proc = None
        if worktree_in_background and self.commits:
            self._worktree = start_update_worktree(self.repo, old=self._old_head,
                                                   new=self.commits[-1])
        else:
            self._update_worktree()
        if graph_in_background:
            self._graph = start_commit_graph(self.repo)
        else:
            write_commit_graph(self.repo)
        return self.commits

    def wait_worktree(self) -> None:
        """Wait for the working-tree update that ``finish(worktree_in_background=True)``
        started (nothing to do otherwise).  Raises :class:`~gitnews.errors.StoreError`
        when the files cannot be brought up to date, as :meth:`finish` does."""
        pending, self._worktree = self._worktree, None
        if pending is not None:
            pending.wait(self._notify)

    def wait_commit_graph(self) -> bool:
        """Wait for the commit-graph layer that ``finish(graph_in_background=True)``
        started; True when it was written (or none was pending).  Best effort, as
        :func:`write_commit_graph`: never raises."""
        proc, self._graph = self._graph, None
        return proc is None or proc.wait() == 0

    def _update_worktree(self) -> None:
        """The index and working tree to the new branch (:func:`gitnews.archive.worktree.update_worktree`)."""
        if self.commits:
            update_worktree(self.repo, old=self._old_head, new=self.commits[-1],
                            notify=self._notify)
