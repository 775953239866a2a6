"""The only git writer: one run's versions go through one ``git fast-import``.

Why fast-import: GitPython's ``index.add`` + ``index.commit`` rewrites the
whole index for every commit (about 50 commits/s on a new repository, fewer as
it grows); one fast-import stream writes thousands per second and moves the
branch only when the stream ends with ``done`` (git-fast-import(1), "Crash
Recovery"): an interrupted run leaves the branch at its previous commit, never
half-written.  The working tree and index are brought up to date once, at the
end, with a two-tree ``git read-tree -m -u`` (git-read-tree(1)).

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

from gitnews.archive import lazygit as git  # GitPython, imported on first use (start-up time)
from gitnews.errors import PushError, StoreError

__all__ = ["Transaction", "blob_id", "write_commit_graph", "start_commit_graph", "BRANCH",
           "fetch_branch", "replay_commits", "move_branch", "push_branch", "tracking_ref",
           "set_remote_head",
           "sync_worktree", "switch_unborn_head", "head_advice"]

BRANCH = "main"

#: Most commits a Transaction remembers in :attr:`Transaction.written` (memory stays flat).
WRITTEN_LIMIT = 20_000


def blob_id(data: bytes) -> str:
    """The git blob id (SHA-1 hex) that ``data`` would get: ``git hash-object``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _quote_path(path: str) -> bytes:
    """C-style quote a path for fast-import (always quoted; UTF-8 kept raw)."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return b'"' + escaped.encode("utf-8") + b'"'


def write_commit_graph(repo: git.Repo) -> bool:
    """Bring the repository's commit-graph with changed-path Bloom filters up to date.

    ``git commit-graph write --reachable --changed-paths --split``
    (git-commit-graph(1)): an index beside the objects, not history, that lets
    ``git log -- <path>`` skip the commits that did not touch the path, so
    that reading one article's versions stays fast in an archive with
    100,000 commits (about 1 s without it, 0.1 s with it).  ``--split`` writes
    only the commits added since the last layer.  Best effort: returns False
    (and changes nothing) when git cannot write it.
    """
    try:
        repo.git.commit_graph("write", "--reachable", "--changed-paths", "--split")
    except git.GitCommandError:
        return False
    return True


def start_commit_graph(repo: git.Repo) -> subprocess.Popen | None:
    """:func:`write_commit_graph` in the background: the running ``git``, or None
    when it cannot start.  Wait for it (``.wait()``, exit status 0 = written)
    before the process ends if the layer must be there for what follows."""
    try:
        return subprocess.Popen(
            ["git", "commit-graph", "write", "--reachable", "--changed-paths", "--split",
             "--no-progress"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "GIT_DIR": str(repo.git_dir)})
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

    def __init__(self, repo: git.Repo, *, author: tuple[str, str],
                 notify: Callable[[str], None] | None = None) -> None:
        self.repo = repo
        self.author = author
        #: Called with a notice (str, for the user) about the working tree: a local
        #: edit of a file this transaction committed kept, an interrupted run repaired.
        self._notify = notify or (lambda notice: None)
        self.commits: list[str] = []
        self._marks = 0
        self._proc: subprocess.Popen | None = None
        self._marks_file: str | None = None
        self._old_head: str | None = None
        self._graph: subprocess.Popen | None = None  # commit-graph writer (finish)
        #: What each commit wrote, in order: ``(when, message, {path: (blob id, line 1)
        #: or None for a deletion})``, so that the cache can take the run's commits
        #: without reading them back from git; None after :data:`WRITTEN_LIMIT` commits.
        self.written: list[tuple[datetime, str, dict[str, tuple[str, str] | None]]] | None = []
        self._stderr = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if exc_type is None:
            self.finish()
        else:
            self.abort()

    def _start(self) -> subprocess.Popen:
        if self._proc is None:
            try:
                self._old_head = self.repo.git.rev_parse("--verify", "-q", f"refs/heads/{BRANCH}")
            except git.GitCommandError:
                self._old_head = None
            self._check_head()
            fd, self._marks_file = tempfile.mkstemp(prefix="gitnews-marks-",
                                                    dir=self.repo.git_dir)
            os.close(fd)
            # stderr goes to a file, so that a chatty git can never block on a full pipe.
            self._stderr = tempfile.TemporaryFile()
            # In a process group of its own: a Ctrl-C at the terminal goes to gitnews's
            # group, which stops after the work in flight and still needs this stream to
            # commit it (gitnews ending the stream without `done` aborts it).
            self._proc = subprocess.Popen(
                ["git", "fast-import", "--quiet", "--done", "--date-format=raw",
                 f"--export-marks={self._marks_file}"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
                env={**os.environ, "GIT_DIR": str(self.repo.git_dir)},
                **({"process_group": 0} if os.name == "posix" else {}))
        return self._proc

    def _check_head(self) -> None:
        """Refuse to write unless HEAD is (or will be) the archive's branch.

        A detached checkout (as CI systems make) or another branch would get
        versions on a branch nobody looks at, or a second root commit.
        """
        try:
            head_ref = self.repo.git.symbolic_ref("-q", "HEAD")
        except git.GitCommandError:
            head_ref = None
        if head_ref != f"refs/heads/{BRANCH}":
            where = f"on {head_ref}" if head_ref else "detached"
            raise StoreError(f"the archive's HEAD is {where}, not on branch {BRANCH}; "
                             f"{head_advice(self.repo, head_ref)}")

    def _write(self, data: bytes) -> None:
        proc = self._start()
        try:
            proc.stdin.write(data)
        except (BrokenPipeError, OSError):
            err = self._collect_error()
            self._cleanup()
            self._proc = None
            raise StoreError(f"git fast-import stopped: {_explain(err)}; "
                             "the archive is unchanged") from None

    def _collect_error(self) -> str:
        proc = self._proc
        if proc is None:
            return "not started"
        try:
            proc.stdin.close()
        except OSError:
            pass
        proc.wait()
        self._stderr.seek(0)
        err = self._stderr.read().decode("utf-8", "replace").strip()
        return err or f"exit status {proc.returncode}"

    # -- writing -------------------------------------------------------------------------
    def commit(self, changes: Mapping[str, bytes | str | None], *, message: str,
               when: datetime) -> int:
        """Queue one commit that sets each ``path`` to its bytes/str, or deletes it (None).

        ``when`` (aware datetime, stored in UTC) is the author and committer date.
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
                out.append(b"D " + _quote_path(path) + b"\n")
                written[path] = None
            else:
                data = content.encode("utf-8") if isinstance(content, str) else content
                out += [b"M 100644 inline " + _quote_path(path) + b"\n",
                        b"data %d\n" % len(data), data, b"\n"]
                written[path] = (blob_id(data),
                                 data.split(b"\n", 1)[0].decode("utf-8", "replace"))
        self._write(b"".join(out))
        if self.written is not None:
            if len(self.written) < WRITTEN_LIMIT:
                self.written.append((when, message, written))
            else:  # a huge transaction: readers replay git log instead (flat memory)
                self.written = None
        return self._marks

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
        if proc is None:
            return
        try:
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
        for f in (self._proc.stdin, self._stderr):
            try:
                f.close()
            except (OSError, AttributeError):
                pass
        if self._marks_file:
            try:
                os.unlink(self._marks_file)
            except OSError:
                pass

    def finish(self, *, graph_in_background: bool = False) -> list[str]:
        """End the stream, move the branch, update index and working tree once,
        and add the new commits to the commit-graph.

        ``graph_in_background``: start the commit-graph layer and return without
        waiting for it (it then runs while the caller updates its cache); call
        :meth:`wait_commit_graph` before relying on it.  Returns the new commit
        ids in order (empty when nothing was committed).

        The index always ends at the new commit.  A file this transaction
        committed that held an uncommitted edit keeps that edit in the working
        tree (it is never overwritten), while its index entry takes the new
        version, so that a plain ``git commit`` cannot undo the new version;
        ``notify`` is told, naming the file and what to do.
        """
        if self._proc is None:
            return []
        self._write(b"done\n")
        err = self._collect_error()
        if self._proc.returncode != 0 or not Path(self._marks_file).stat().st_size:
            self._cleanup()
            self._proc = None
            raise StoreError(f"git fast-import failed: {_explain(err)}; the archive is unchanged")
        marks = dict(line.split() for line in
                     Path(self._marks_file).read_text().splitlines() if line.strip())
        self.commits = [marks[f":{i}"] for i in range(1, self._marks + 1)]
        self._cleanup()
        self._proc = None
        self._update_worktree()
        if graph_in_background:
            self._graph = start_commit_graph(self.repo)
        else:
            write_commit_graph(self.repo)
        return self.commits

    def wait_commit_graph(self) -> bool:
        """Wait for the commit-graph layer that ``finish(graph_in_background=True)``
        started; True when it was written (or none was pending).  Best effort, as
        :func:`write_commit_graph`: never raises."""
        proc, self._graph = self._graph, None
        return proc is None or proc.wait() == 0

    def _update_worktree(self) -> None:
        if self.repo.bare or not self.commits:
            return
        new = self.commits[-1]
        try:
            try:
                self._read_tree(new)
            except git.GitCommandError:
                # Files whose stat data changed (archive copied or restored, files touched)
                # look modified to read-tree until the index is refreshed (git-update-index(1)).
                self.repo.git.update_index("-q", "--refresh", with_exceptions=False)
                kept = self._stage_over_local_edits(new)
                self._read_tree(new)
                for notice in _kept_edit_notices(self.repo, kept):
                    self._notify(notice)
        except git.GitCommandError as exc:
            # E.g. the index still at an older commit after an interrupted run:
            # sync_worktree knows how to catch up safely, or says why not.
            try:
                note = sync_worktree(self.repo)
                if note is not None:
                    self._notify(note)
                if note is not None or _index_matches_head(self.repo):
                    return
            except git.GitCommandError:
                pass
            raise StoreError(
                f"the versions were committed, but the working tree could not be updated "
                f"({_explain(exc.stderr.strip())}); run `git -C {self.repo.working_dir} "
                "reset --hard` to bring the files up to date") from None

    def _stage_over_local_edits(self, new: str) -> list[str]:
        """Give the new version's index entry (or none, for a removal) to every file
        that this transaction changed and that holds an uncommitted edit (in the
        working tree or staged); their working-tree files are left as they are.
        Returns those paths, sorted.  ``read-tree -m -u`` then keeps those entries
        (index equal to the new tree) and updates every other file."""
        if not self._old_head:
            return []
        old = self._old_head
        changed = set(_nul_list(self.repo, "diff-tree", "-r", "--name-only", "-z", old, new))
        if not changed:
            return []
        edited = set(_nul_list(self.repo, "diff-files", "--name-only", "-z"))
        edited |= set(_nul_list(self.repo, "diff-index", "--cached", "--name-only", "-z", old))
        kept = sorted(changed & edited)
        if not kept:
            return []
        listing = self.repo.git.execute(
            ["git", "--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", new, "--",
             *kept], stdout_as_string=False)
        entries: dict[str, bytes] = {}
        for rec in listing.split(b"\0"):
            if rec:  # "<mode> <type> <object>\t<path>"
                meta, _, name = rec.partition(b"\t")
                mode, _, obj = meta.split()
                entries[name.decode("utf-8", "surrogateescape")] = mode + b" " + obj
        info = b"".join(
            entries.get(p, b"0 " + b"0" * 40) + b"\t"
            + p.encode("utf-8", "surrogateescape") + b"\0" for p in kept)
        proc = _run(self.repo, ["update-index", "-z", "--index-info"], stdin=info)
        if proc.returncode != 0:
            raise git.GitCommandError(["git", "update-index", "--index-info"],
                                      proc.returncode, proc.stderr)
        return kept

    def _read_tree(self, new: str) -> None:
        if self._old_head:
            self.repo.git.read_tree("-m", "-u", self._old_head, new)
        else:
            self.repo.git.read_tree("--reset", "-u", new)


# == Remotes: fetch, replay (rebase) and push ===============================================
#
# The archive is pushed as the linear history it is.  When the remote's branch
# moved, the archive's own commits are *replayed* on top of it: one fast-import
# stream re-creates each commit with its author, committer, dates, message and
# file changes (blobs named by id, so no file content is re-sent), on the
# remote's tree.  That is ``git rebase`` without a working tree, and without its
# one change that would break the archive format: rebase sets the committer
# date to now, while a version's dates are its fetch time.  Whether the replay
# is safe (no file changed on both sides) is the caller's question
# (:mod:`gitnews.ops.push`).  The branch then moves with a compare-and-swap
# ``git update-ref``, the index and working tree with ``git read-tree -m -u``
# as after a :class:`Transaction`.  Network commands never prompt
# (``GIT_TERMINAL_PROMPT=0``) and are bounded by ``timeout_s``.

_REPLAY_REF = "refs/gitnews/replay"
_NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


def tracking_ref(remote: str, branch: str) -> str:
    """The remote-tracking ref of ``branch`` on ``remote``: ``refs/remotes/<remote>/<branch>``."""
    return f"refs/remotes/{remote}/{branch}"


def _run(repo: git.Repo, args: list[str], *, timeout_s: float | None = None,
         stdin: bytes | None = None, remote: str | None = None) -> subprocess.CompletedProcess:
    """Run ``git <args>`` in the archive; bytes out.  A timeout raises PushError/StoreError."""
    where = repo.working_tree_dir or repo.git_dir
    try:
        return subprocess.run(["git", "-C", str(where), *args], input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout_s,
                              env={**os.environ, **_NO_PROMPT})
    except subprocess.TimeoutExpired:
        what = f"git {args[0]}" + (f" of the remote {remote!r}" if remote else "")
        if remote is not None:
            raise PushError(f"{what} took longer than {timeout_s:g} s ([publish] timeout_s); "
                            "nothing was lost, it is tried again on the next run",
                            remote=remote) from None
        raise StoreError(f"{what} took longer than {timeout_s:g} s") from None


def _err(proc: subprocess.CompletedProcess) -> str:
    text = (proc.stderr or b"").decode("utf-8", "replace").strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return " / ".join(lines[-3:]) or f"exit status {proc.returncode}"


def _rev(repo: git.Repo, ref: str) -> str | None:
    proc = _run(repo, ["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"])
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().strip() or None


def fetch_branch(repo: git.Repo, *, remote: str, branch: str,
                 timeout_s: float | None = None) -> str | None:
    """Bring ``branch`` of ``remote`` into :func:`tracking_ref`; returns its commit id.

    Asks the remote once (``git ls-remote``) and fetches only when it has a
    commit the archive lacks.  Returns None when the remote has no such branch
    (an empty repository), after deleting a stale tracking ref.  Raises
    :class:`~gitnews.errors.PushError` when the remote cannot be reached.
    """
    ref = f"refs/heads/{branch}"
    tracking = tracking_ref(remote, branch)
    proc = _run(repo, ["ls-remote", "--exit-code", remote, ref], timeout_s=timeout_s,
                remote=remote)
    if proc.returncode not in (0, 2):
        raise PushError(f"could not reach the remote {remote!r}: {_err(proc)}; check its URL "
                        "(`git remote -v`), the network and the credentials; nothing was lost",
                        remote=remote)
    tip = None
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, _, name = line.partition("\t")
        if name.strip() == ref:
            tip = sha.strip()
    if tip is None:
        if _rev(repo, tracking):
            _run(repo, ["update-ref", "-d", tracking])
        return None
    if _rev(repo, tip) is None:
        proc = _run(repo, ["fetch", "--no-tags", "--quiet", remote, f"+{ref}:{tracking}"],
                    timeout_s=timeout_s, remote=remote)
        if proc.returncode != 0:
            raise PushError(f"could not fetch {branch!r} from the remote {remote!r}: "
                            f"{_err(proc)}; nothing was lost", remote=remote)
        return _rev(repo, tracking)
    _run(repo, ["update-ref", tracking, tip])
    return tip


def _commit_object(repo: git.Repo, sha: str) -> tuple[dict[str, bytes], bytes]:
    """The headers (author, committer, encoding) and raw message of commit ``sha``."""
    data = repo.odb.stream(bytes.fromhex(sha)).read()
    head, _, message = data.partition(b"\n\n")
    headers: dict[str, bytes] = {}
    for line in head.split(b"\n"):
        if line[:1] == b" ":  # continuation of a multi-line header (gpgsig)
            continue
        key, _, value = line.partition(b" ")
        if key in (b"author", b"committer", b"encoding"):
            headers[key.decode()] = value
    return headers, message


def _changes(repo: git.Repo, commits: list[str]) -> dict[str, list[tuple[str, str, str, bytes]]]:
    """Each commit's ``(status, mode, blob, path)`` changes against its parent (one git log)."""
    proc = _run(repo, ["log", "--stdin", "--no-walk=unsorted", "--no-renames", "--raw", "-z",
                       "--no-abbrev", "--format=%x01%H"],
                stdin="".join(c + "\n" for c in commits).encode())
    if proc.returncode != 0:
        raise StoreError(f"git log could not list the commits to replay: {_err(proc)}")
    out: dict[str, list[tuple[str, str, str, bytes]]] = {}
    for record in proc.stdout.split(b"\x01")[1:]:
        sha, _, rest = record.partition(b"\0")
        fields = [f for f in rest.lstrip(b"\n").split(b"\0") if f]
        changes = []
        for meta, path in zip(fields[0::2], fields[1::2]):
            _old_mode, new_mode, _old, new, status = meta.lstrip(b":").decode().split()
            changes.append((status[:1], new_mode, new, path))
        out[sha.decode().strip()] = changes
    return out


def replay_commits(repo: git.Repo, commits: list[str], *, onto: str,
                   leave_out: frozenset[str] = frozenset(),
                   then: tuple[Mapping[str, bytes | str], str, tuple[str, str], datetime]
                   | None = None) -> list[str]:
    """Re-create ``commits`` (oldest first, a chain of one-parent commits) on top of ``onto``.

    Each new commit has the same author, committer (both with their dates),
    message and file changes as its original, applied to the tree of the
    previous new commit: ``git rebase --committer-date-is-author-date``
    without touching the working tree.  The caller makes sure no replayed
    file was changed on ``onto``'s side (else the replay silently keeps this
    side's file).

    ``leave_out``: paths whose changes are not replayed (the caller merged
    them); a commit that changed nothing else is left out.  ``then``: one more
    commit on top, ``(files {path: content}, message, (author name, e-mail),
    when)`` (an aware datetime, author and committer date).  Returns the new
    commit ids, oldest first (the ``then`` commit last); moves no branch (see
    :func:`move_branch`).  Raises :class:`~gitnews.errors.StoreError`.
    """
    if not commits and then is None:
        return []
    changes = _changes(repo, commits) if commits else {}
    out: list[bytes] = []
    mark = 0
    for sha in commits:
        kept = [c for c in changes.get(sha, [])
                if c[3].decode("utf-8", "surrogateescape") not in leave_out]
        if leave_out and changes.get(sha) and not kept:
            continue  # it only changed what the caller merged
        headers, message = _commit_object(repo, sha)
        mark += 1
        out += [f"commit {_REPLAY_REF}\nmark :{mark}\n".encode(),
                b"author " + headers["author"] + b"\n",
                b"committer " + headers["committer"] + b"\n"]
        if "encoding" in headers:
            out.append(b"encoding " + headers["encoding"] + b"\n")
        out += [b"data %d\n" % len(message), message, b"\n"]
        if mark == 1:
            out.append(f"from {onto}\n".encode())
        for status, mode, blob, path in kept:
            # C-style quoting, as _quote_path, on the path's raw bytes.
            quoted = b'"' + path.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(
                b"\n", b"\\n") + b'"'
            if status == "D":
                out.append(b"D " + quoted + b"\n")
            else:
                out.append(f"M {mode} {blob} ".encode() + quoted + b"\n")
    if then is not None:
        files, text, (name, email), when = then
        mark += 1
        ident = f"{name} <{email}> {int(when.astimezone(UTC).timestamp())} +0000"
        message = text.encode("utf-8")
        out += [f"commit {_REPLAY_REF}\nmark :{mark}\n".encode(),
                f"author {ident}\ncommitter {ident}\n".encode(),
                b"data %d\n" % len(message), message, b"\n"]
        if mark == 1:
            out.append(f"from {onto}\n".encode())
        for path, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            out += [b"M 100644 inline " + _quote_path(path) + b"\n",
                    b"data %d\n" % len(data), data, b"\n"]
    if mark == 0:
        return []
    out.append(b"done\n")
    fd, marks_file = tempfile.mkstemp(prefix="gitnews-replay-", dir=repo.git_dir)
    os.close(fd)
    try:
        proc = _run(repo, ["fast-import", "--quiet", "--done", "--force", "--date-format=raw",
                           f"--export-marks={marks_file}"], stdin=b"".join(out))
        if proc.returncode != 0:
            raise StoreError(f"git fast-import could not replay the archive's commits: "
                             f"{_err(proc)}; the archive is unchanged")
        marks = dict(line.split() for line in
                     Path(marks_file).read_text().splitlines() if line.strip())
    finally:
        os.unlink(marks_file)
        _run(repo, ["update-ref", "-d", _REPLAY_REF])
    return [marks[f":{i}"] for i in range(1, mark + 1)]


def move_branch(repo: git.Repo, *, old: str, new: str, reason: str = "gitnews") -> None:
    """Move the archive's branch from ``old`` to ``new``, with its index and working tree.

    The working tree is updated first (``git read-tree -m -u old new``, which
    refuses to overwrite local edits of the files that differ), then the branch
    moves only if it is still at ``old`` (``git update-ref``).  On any failure
    the archive is left as it was and :class:`~gitnews.errors.StoreError` says why.
    """
    if not repo.bare:
        proc = _run(repo, ["read-tree", "-m", "-u", old, new])
        if proc.returncode != 0:
            raise StoreError(
                f"the files in {repo.working_tree_dir} could not be updated ({_err(proc)}); "
                "commit or undo your local edits of those files (`git status`), then try again; "
                "the archive is unchanged")
    proc = _run(repo, ["update-ref", "-m", reason, f"refs/heads/{BRANCH}", new, old])
    if proc.returncode != 0:
        if not repo.bare:
            _run(repo, ["read-tree", "-m", "-u", new, old])
        raise StoreError(f"the branch {BRANCH!r} moved while gitnews was updating it "
                         f"({_err(proc)}); is another gitnews running? The archive is unchanged")


def push_branch(repo: git.Repo, *, remote: str, branch: str,
                timeout_s: float | None = None) -> str:
    """Push the archive's branch to ``branch`` on ``remote`` (never forced).

    Returns the commit id pushed and sets :func:`tracking_ref` to it.  Raises
    :class:`~gitnews.errors.PushError`, with ``behind=True`` when git refused
    because the remote has commits the archive lacks (fetch and replay first).
    """
    local = _rev(repo, f"refs/heads/{BRANCH}")
    if local is None:
        raise PushError(f"the archive has no branch {BRANCH!r} to push", remote=remote)
    proc = _run(repo, ["push", "--porcelain", remote, f"{local}:refs/heads/{branch}"],
                timeout_s=timeout_s, remote=remote)
    status = [line.split("\t") for line in proc.stdout.decode("utf-8", "replace").splitlines()
              if line[:1] in ("!", " ", "*", "+", "-", "=") and "\t" in line]
    if proc.returncode != 0 or any(flag == "!" for flag, *_ in status):
        summary = next((rest[-1] for flag, *rest in status if flag == "!" and rest), "")
        behind = "fetch first" in summary or "non-fast-forward" in summary
        detail = summary.strip() or _err(proc)
        raise PushError(f"git push to the remote {remote!r} failed: {detail}; the commits are "
                        "kept in the archive and the push is tried again on the next run",
                        remote=remote, behind=behind)
    _run(repo, ["update-ref", tracking_ref(remote, branch), local])
    return local


def _local_bare_remote(repo: git.Repo, remote: str) -> Path | None:
    """The folder of ``remote`` when it is a bare repository on this machine (a path or a
    ``file://`` URL), else None (a network remote: its host sets its own HEAD)."""
    proc = _run(repo, ["remote", "get-url", remote])
    url = proc.stdout.decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not url:
        return None
    if url.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        url = unquote(urlsplit(url).path)
    elif "://" in url or (":" in url.split("/", 1)[0] and not os.path.isabs(url)):
        return None  # https://, ssh://, or scp-like host:path
    folder = Path(url)
    if not folder.is_absolute():
        folder = Path(repo.working_tree_dir or repo.git_dir) / folder
    check = subprocess.run(["git", "--git-dir", str(folder), "rev-parse",
                            "--is-bare-repository"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
    return folder if check.returncode == 0 and check.stdout.strip() == "true" else None


def set_remote_head(repo: git.Repo, *, remote: str, branch: str) -> bool:
    """Point the HEAD of a local bare ``remote`` at ``branch`` when its HEAD names a
    branch that does not exist there (``git init --bare`` names ``master``, or
    ``init.defaultBranch``), so that ``git clone`` of it checks out the archive
    instead of nothing.  A HEAD naming an existing branch is left alone; network
    remotes are not touched (GitHub and others make the first pushed branch
    their default).  Best effort: returns True when HEAD was set, never raises.
    """
    folder = _local_bare_remote(repo, remote)
    if folder is None:
        return False

    def bare(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "--git-dir", str(folder), *args], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL)

    current = bare("symbolic-ref", "-q", "HEAD").stdout.strip()
    if current and bare("rev-parse", "--verify", "-q", current).returncode == 0:
        return False
    if bare("rev-parse", "--verify", "-q", f"refs/heads/{branch}").returncode != 0:
        return False
    return bare("symbolic-ref", "HEAD", f"refs/heads/{branch}").returncode == 0


# -- disk full, and catching up after an interrupted run ------------------------------------

def switch_unborn_head(repo: git.Repo) -> str | None:
    """Point HEAD at the archive's branch when it is on another branch that has
    no commit yet and the archive's branch does not exist either (a repository
    just made by ``git init`` with ``init.defaultBranch`` master): nothing is
    lost, no file changes (``git symbolic-ref HEAD refs/heads/main``,
    git-symbolic-ref(1)).  Returns a notice saying so, or None when nothing was
    done.  Raises :class:`git.GitCommandError` when git fails."""
    head_ref = _symbolic_head(repo)
    if head_ref is None or head_ref == f"refs/heads/{BRANCH}":
        return None
    if _rev(repo, head_ref) is not None or _rev(repo, f"refs/heads/{BRANCH}") is not None:
        return None
    repo.git.symbolic_ref("HEAD", f"refs/heads/{BRANCH}")
    short = head_ref.removeprefix("refs/heads/")
    return (f"the repository's HEAD was on {short!r}, which had no commit yet; it was "
            f"switched to {BRANCH!r}, the archive's branch (nothing else changed)")


def _symbolic_head(repo: git.Repo) -> str | None:
    try:
        return repo.git.symbolic_ref("-q", "HEAD") or None
    except git.GitCommandError:
        return None


def head_advice(repo: git.Repo, head_ref: str | None) -> str:
    """What to run so that HEAD is on the archive's branch (str, one sentence
    with git commands that work in this repository's state).

    ``head_ref``: where HEAD points (``refs/heads/X``), None when detached."""
    where = repo.working_dir or repo.git_dir
    git_c = f"git -C {where}"
    if _rev(repo, f"refs/heads/{BRANCH}") is not None:
        return (f"run `{git_c} checkout {BRANCH}` (commit or undo your local edits first) "
                "and try again")
    if head_ref is None:
        return (f"there is no branch {BRANCH!r}: make one where HEAD is with "
                f"`{git_c} checkout -b {BRANCH}` (or from a remote with "
                f"`{git_c} checkout -B {BRANCH} <remote>/{BRANCH}`) and try again")
    short = head_ref.removeprefix("refs/heads/")
    if _rev(repo, head_ref) is None:
        return (f"the branch {short!r} has no commit yet: switch to {BRANCH!r} with "
                f"`{git_c} symbolic-ref HEAD refs/heads/{BRANCH}` and try again")
    return (f"there is no branch {BRANCH!r}: rename {short!r} to it with "
            f"`{git_c} branch -m {short} {BRANCH}` (its commits stay), or make a new "
            f"{BRANCH!r} from it with `{git_c} checkout -b {BRANCH}`, and try again")


def _explain(err: str) -> str:
    """git's error text, with what to do when it is a full disk."""
    low = err.lower()
    if "no space left on device" in low or "file too large" in low or "disk quota" in low:
        return f"the disk is full ({err.strip()}); free some space and run again"
    return err


def _head_tree(repo: git.Repo) -> str | None:
    try:
        return repo.git.rev_parse("--verify", "-q", "HEAD^{tree}")
    except git.GitCommandError:
        return None


def _index_matches_head(repo: git.Repo) -> bool:
    head = _head_tree(repo)
    try:
        return head is not None and repo.git.write_tree() == head
    except git.GitCommandError:
        return False


def _kept_edit_notices(repo: git.Repo, paths: list[str]) -> list[str]:
    """What to tell the user about files whose uncommitted edit was kept while
    gitnews committed a new version of them (one notice a file)."""
    import shlex

    where = shlex.quote(str(repo.working_dir))
    notices = []
    for path in paths:
        q = shlex.quote(path)
        exists = os.path.lexists(os.path.join(repo.working_dir, path))
        indexed = bool(_nul_list(repo, "--literal-pathspecs", "ls-files", "-z", "--", path))
        if exists and indexed:
            notices.append(
                f"{path} had an uncommitted edit when gitnews committed a new version of it: "
                f"your edit was kept in the file, on top of the earlier version, and the index "
                f"now holds the new version, as the branch does (committing the file as it is "
                f"would undo the new version). See the difference with "
                f"`git -C {where} diff -- {q}`; take the new version and drop your edit with "
                f"`git -C {where} checkout -- {q}`")
        elif exists:
            notices.append(
                f"{path} had an uncommitted edit when gitnews committed its removal: your "
                f"file was kept (now untracked); delete it, or add it back with "
                f"`git -C {where} add -- {q}` if you want it in the archive")
        else:
            notices.append(
                f"{path} was deleted by hand (not committed) when gitnews committed a new "
                f"version of it: it stays deleted and the index holds the new version; get it "
                f"back with `git -C {where} checkout -- {q}`")
    return notices


def _is_earlier_tree(repo: git.Repo, tree: str) -> bool:
    """Whether ``tree`` is the tree of a commit of the branch (newest first, read
    as a stream; only called when the index differs from HEAD)."""
    proc = subprocess.Popen(["git", "-C", str(repo.working_dir), "log", "--format=%T", "HEAD"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        return any(line.strip() == tree for line in proc.stdout)
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def _nul_list(repo: git.Repo, *args: str) -> list[str]:
    out = repo.git.execute(["git", "-c", "core.quotePath=false", *args], stdout_as_string=False)
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def sync_worktree(repo: git.Repo) -> str | None:
    """Bring the index and working tree up to the branch after an interrupted run.

    gitnews moves the branch first (fast-import) and updates the files after
    (``read-tree``); a run killed in between leaves the files at an older
    version, or half updated.  Returns None when everything already matches
    the branch, else a notice saying what was done (or, when files hold
    changes that gitnews did not write, what the user should do; those files
    are never overwritten).  Raises :class:`git.GitCommandError` only for git
    failures other than those.
    """
    if repo.bare:
        return None
    head = _head_tree(repo)
    if head is None:
        return None
    try:
        index = repo.git.write_tree()
    except git.GitCommandError:
        index = None  # unmerged entries: a user's merge in progress
    if index == head:
        return None
    where = repo.working_dir
    if index is not None and _is_earlier_tree(repo, index):
        # The index is at an earlier commit of the branch: a run was interrupted after
        # committing.  (An index tree the branch never had holds staged edits: those are
        # the user's, and the checks below leave them alone.)
        try:
            repo.git.read_tree("-m", "-u", index, head)
            return ("brought the archive's files up to date with its branch "
                    "(a previous run was interrupted after committing)")
        except git.GitCommandError:
            pass
    # The files are half updated: those that differ from the index must already
    # hold the branch's version, else they are someone's edits and stay.
    suspects = set(_nul_list(repo, "diff-files", "--name-only", "-z"))
    suspects |= {p for p in _nul_list(repo, "diff-index", "--cached", "--name-only", "-z", "HEAD")
                 if os.path.lexists(os.path.join(where, p))}
    wanted: dict[str, str] = {}
    if suspects:
        listing = repo.git.execute(["git", "ls-tree", "-r", "-z", "HEAD", "--",
                                    *sorted(suspects)], stdout_as_string=False)
        for rec in listing.split(b"\0"):
            if rec:  # "<mode> <type> <object>\t<path>"
                meta, _, name = rec.partition(b"\t")
                wanted[name.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
    present = sorted(p for p in suspects if os.path.isfile(os.path.join(where, p)))
    actual: dict[str, str] = {}
    if present:
        ids = repo.git.execute(["git", "hash-object", "--stdin-paths"],
                               istream=subprocess.PIPE, as_process=True)
        out, _ = ids.communicate("".join(p + "\n" for p in present).encode("utf-8"))
        actual = dict(zip(present, out.decode().split()))
    foreign = [p for p in sorted(suspects) if actual.get(p) != wanted.get(p)]
    if foreign:
        return (f"{len(foreign)} file(s) of the archive differ from its branch and were not "
                f"written by gitnews (first: {foreign[0]}); they were left alone. The versions "
                f"are safe in git: run `git -C {where} status` to see those edits and "
                f"`git -C {where} reset --hard` to discard them")
    repo.git.read_tree("--reset", "-u", "HEAD")
    return ("brought the archive's files up to date with its branch "
            "(a previous run was interrupted while updating them)")
