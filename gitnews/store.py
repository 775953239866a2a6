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
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

import git

from .errors import StoreError

__all__ = ["Transaction", "blob_id", "BRANCH"]

BRANCH = "main"


def blob_id(data: bytes) -> str:
    """The git blob id (SHA-1 hex) that ``data`` would get: ``git hash-object``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _quote_path(path: str) -> bytes:
    """C-style quote a path for fast-import (always quoted; UTF-8 kept raw)."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return b'"' + escaped.encode("utf-8") + b'"'


class Transaction:
    """One fast-import stream on ``refs/heads/main`` of ``repo``.

    ``author`` is ``(name, email)``, used as author and committer.  Commits are
    written with :meth:`commit`; leaving the ``with`` block normally ends the
    stream, moves the branch and updates the working tree; leaving it with an
    exception (or calling :meth:`abort`) discards everything: the branch stays
    where it was.  Raises :class:`~gitnews.errors.StoreError` when git fails.
    """

    def __init__(self, repo: git.Repo, *, author: tuple[str, str]) -> None:
        self.repo = repo
        self.author = author
        self.commits: list[str] = []
        self._marks = 0
        self._proc: subprocess.Popen | None = None
        self._marks_file: str | None = None
        self._old_head: str | None = None
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
            fd, self._marks_file = tempfile.mkstemp(prefix="gitnews-marks-",
                                                    dir=self.repo.git_dir)
            os.close(fd)
            # stderr goes to a file, so that a chatty git can never block on a full pipe.
            self._stderr = tempfile.TemporaryFile()
            self._proc = subprocess.Popen(
                ["git", "fast-import", "--quiet", "--done", "--date-format=raw",
                 f"--export-marks={self._marks_file}"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
                env={**os.environ, "GIT_DIR": str(self.repo.git_dir)})
        return self._proc

    def _write(self, data: bytes) -> None:
        proc = self._start()
        try:
            proc.stdin.write(data)
        except (BrokenPipeError, OSError):
            err = self._collect_error()
            raise StoreError(f"git fast-import stopped: {err}; the archive is unchanged") from None

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
        ts = int(when.astimezone(timezone.utc).timestamp())
        ident = f"{name} <{email}> {ts} +0000".encode("utf-8")
        msg = message.encode("utf-8")
        out = [b"commit refs/heads/" + BRANCH.encode() + b"\n",
               b"mark :%d\n" % self._marks,
               b"author " + ident + b"\n",
               b"committer " + ident + b"\n",
               b"data %d\n" % len(msg), msg, b"\n"]
        if self._marks == 1 and self._old_head:
            # fast-import does not read existing refs: name the parent explicitly.
            out.append(b"from " + self._old_head.encode() + b"\n")
        for path, content in changes.items():
            if content is None:
                out.append(b"D " + _quote_path(path) + b"\n")
            else:
                data = content.encode("utf-8") if isinstance(content, str) else content
                out += [b"M 100644 inline " + _quote_path(path) + b"\n",
                        b"data %d\n" % len(data), data, b"\n"]
        self._write(b"".join(out))
        return self._marks

    def abort(self) -> None:
        """Discard the stream: the branch does not move."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
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

    def finish(self) -> list[str]:
        """End the stream, move the branch, update index and working tree once.

        Returns the new commit ids in order (empty when nothing was committed).
        """
        if self._proc is None:
            return []
        self._write(b"done\n")
        err = self._collect_error()
        if self._proc.returncode != 0 or not Path(self._marks_file).stat().st_size:
            self._cleanup()
            self._proc = None
            raise StoreError(f"git fast-import failed: {err}; the archive is unchanged")
        marks = dict(line.split() for line in
                     Path(self._marks_file).read_text().splitlines() if line.strip())
        self.commits = [marks[f":{i}"] for i in range(1, self._marks + 1)]
        self._cleanup()
        self._proc = None
        self._update_worktree()
        return self.commits

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
                self._read_tree(new)
        except git.GitCommandError as exc:
            raise StoreError(
                f"the versions were committed, but the working tree could not be updated "
                f"({exc.stderr.strip()}); run `git -C {self.repo.working_dir} reset --hard` "
                "to bring the files up to date") from None

    def _read_tree(self, new: str) -> None:
        if self._old_head:
            self.repo.git.read_tree("-m", "-u", self._old_head, new)
        else:
            self.repo.git.read_tree("--reset", "-u", new)
