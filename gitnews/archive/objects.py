"""Reading objects from git: article texts (blobs), a file at a commit, HEAD's time,
the root commits, the top-level folders, commit counts and one file's patch.

:class:`BlobReader` is the archive's one ``git cat-file --batch`` reader; every other
read is one git command through :mod:`gitnews.archive.gitrun`.  Versions (``git log``)
are read by :mod:`gitnews.archive.history`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.archive.gitrun import LazyRepo, RepoDirs, run, start

if TYPE_CHECKING:
    import git

__all__ = ["read_blobs", "read_blobs_batch", "BlobReader", "read_version", "file_at",
           "root_commits", "head_time", "top_folders", "count_commits", "unified_diff"]


def read_blobs(repo: git.Repo | LazyRepo, blob_ids: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob (40 hex id -> bytes, exactly as stored).

    Reads through GitPython's persistent ``git cat-file --batch`` process
    (``repo.odb``): one process for every read of the repository object; for
    a :class:`~gitnews.archive.gitrun.LazyRepo` not opened by GitPython yet, through one
    :class:`BlobReader` for this call.
    Raises :class:`ValueError` for an id that is not 40 hex digits and
    :class:`git.BadName`/:class:`ValueError` for a blob git does not have.
    """
    if isinstance(repo, LazyRepo):
        if not repo.materialised:
            # A repository GitPython has not opened yet: one plain
            # `git cat-file --batch` instead of importing GitPython for this.
            return read_blobs_batch(repo, blob_ids)
        repo = repo.real()
    out: dict[str, bytes] = {}
    for blob in blob_ids:
        if blob not in out:
            out[blob] = repo.odb.stream(bytes.fromhex(blob)).read()
    return out


class BlobReader:
    """One ``git cat-file --batch`` process that reads many objects per round trip.

    :meth:`read` writes a group of ids, then reads their contents: one
    round trip per group instead of one per blob (GitPython's persistent
    process asks for one object at a time, about a millisecond each on a
    busy machine).  :meth:`lookup` does the same for object names
    (``<commit>:<path>``) that may name nothing.  Keep one reader for a whole
    job: git's cache of delta bases stays warm between groups (a new process
    pays again for the delta chains of the first blobs it reads).  Use as a
    context manager, or call :meth:`close`.
    """

    #: Names written at once (and at most :attr:`GROUP_BYTES` of them): well under a
    #: pipe's 64 KiB, so writing never waits for git to read while git waits for us
    #: to read its answers.
    GROUP = 1000
    GROUP_BYTES = 48 * 1024

    def __init__(self, repo: RepoDirs) -> None:
        self.repo = repo
        self._proc = start(repo, "cat-file", "--batch", stdin=subprocess.PIPE)

    def _groups(self, names: list[str]) -> Iterator[list[str]]:
        group: list[str] = []
        size = 0
        for name in names:
            line = len(name.encode("utf-8")) + 1
            if group and (len(group) == self.GROUP or size + line > self.GROUP_BYTES):
                yield group
                group, size = [], 0
            group.append(name)
            size += line
        if group:
            yield group

    def _ask(self, names: Iterable[str]) -> Iterator[tuple[str, list[bytes], bytes | None]]:
        """``(name, header fields, contents or None when git has no such object)``
        for each name (duplicates asked once), in order."""
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        for group in self._groups(list(dict.fromkeys(names))):
            stdin.write("".join(n + "\n" for n in group).encode("utf-8"))
            stdin.flush()
            for name in group:
                header = stdout.readline().split()
                if len(header) == 3 and header[2].isdigit():  # "<id> <type> <size>"
                    data = stdout.read(int(header[2]))
                    stdout.read(1)  # the LF after the contents
                    yield name, header, data
                else:  # "<name> missing" (or ambiguous)
                    yield name, header, None

    def read(self, blob_ids: Iterable[str]) -> dict[str, bytes]:
        """The bytes of each blob (40 hex id -> bytes, exactly as stored).

        Raises :class:`ValueError` for an id git does not have as a blob.
        """
        out: dict[str, bytes] = {}
        for blob, header, data in self._ask(blob_ids):
            if data is None or header[1] != b"blob":
                self.close()
                raise ValueError(f"git has no blob {blob} in {self.repo.git_dir}")
            out[blob] = data
        return out

    def lookup(self, names: Iterable[str]) -> dict[str, tuple[str, bytes]]:
        """``name -> (blob id, bytes)`` for each object name (a blob id, or
        ``<commit>:<path>``, gitrevisions(7)) that names a blob; a name that
        names nothing (e.g. a file removed at that commit) or no blob is left
        out.  Names must not contain a newline."""
        return {name: (header[0].decode(), data) for name, header, data in self._ask(names)
                if data is not None and header[1] == b"blob"}

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_blobs_batch(repo: RepoDirs, blob_ids: Iterable[str]) -> dict[str, bytes]:
    """:func:`read_blobs` for many blobs at once, through one :class:`BlobReader`."""
    with BlobReader(repo) as reader:
        return reader.read(blob_ids)


def read_version(repo: RepoDirs, commit: str, path: str) -> bytes:
    """The file's bytes exactly as stored at ``commit`` (``git cat-file``).

    Raises :class:`~gitnews.archive.gitrun.GitError` when it has no such file."""
    return run(repo, "cat-file", "blob", f"{commit}:{path}").stdout


# -- single questions about the history (one git command each) ---------------------------------

def file_at(repo: RepoDirs, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` exactly as stored at commit ``rev`` (``git cat-file blob
    <rev>:<path>``), None when git cannot give them (no such commit, e.g. an archive
    without commits, or no such file at it)."""
    done = run(repo, "cat-file", "blob", f"{rev}:{path}", check=False)
    return done.stdout if done.ok else None


def root_commits(repo: RepoDirs, rev: str = "HEAD") -> list[str]:
    """The commits without a parent that ``rev`` descends from (``git rev-list
    --max-parents=0``), in git's order (newest first); [] when ``rev`` names no
    commit (an archive without commits)."""
    done = run(repo, "rev-list", "--max-parents=0", rev, check=False)
    return done.text.split() if done.ok else []


def head_time(repo: RepoDirs) -> datetime | None:
    """When the commit at HEAD was authored (aware, UTC; whole seconds, as git keeps
    it), None when HEAD has no commit.  Read from the commit object (``git cat-file
    commit HEAD``): plumbing, so no log setting of the user changes it."""
    done = run(repo, "cat-file", "commit", "HEAD", check=False)
    if not done.ok:
        return None
    head = done.stdout.partition(b"\n\n")[0]
    for line in head.split(b"\n"):
        if line.startswith(b"author "):  # "author <name> <<email>> <seconds> <+zone>"
            fields = line.rsplit(b" ", 2)
            try:
                return datetime.fromtimestamp(int(fields[1]), tz=UTC)
            except (IndexError, ValueError):
                return None
    return None


def top_folders(repo: RepoDirs, rev: str = "HEAD") -> list[str]:
    """The names of the folders at the top of ``rev``'s tree (one ``git ls-tree -d``),
    in git's order; [] when ``rev`` names no commit."""
    done = run(repo, "-c", "core.quotePath=false", "ls-tree", "-d", "-z", "--name-only", rev,
               check=False)
    if not done.ok:
        return []
    return [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]


def count_commits(repo: RepoDirs, rev_range: str) -> int:
    """How many commits ``rev_range`` holds (``git rev-list --count``; 0 when git fails,
    e.g. HEAD of an archive without commits)."""
    return int(run(repo, "rev-list", "--count", rev_range, check=False).text.strip() or 0)


def unified_diff(repo: RepoDirs, commit: str, path: str) -> str:
    """``commit``'s unified diff of ``path`` against its parent (``--root``: a first
    commit against the empty tree), decoded (UTF-8, undecodable bytes replaced).

    ``git diff-tree`` is plumbing, so the user's diff settings (prefixes, colour,
    external tools) do not change it.  Raises :class:`~gitnews.archive.gitrun.GitError`
    when git fails (e.g. no such commit)."""
    out = run(repo, "-c", "core.quotePath=false", "diff-tree", "-p", "--root",
              "--no-commit-id", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color",
              "-U3", commit, "--", path).stdout
    return out.decode("utf-8", "replace")
