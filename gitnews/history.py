"""Reading versions back from git: one ``git log`` per question.

Every read asks git once (``git log --format=... -- <path>``, ``git show``),
reusing the :class:`git.Repo` (and its persistent ``cat-file`` processes);
nothing loops over the commits of the whole repository in Python except
:func:`iter_commits`, which streams one ``git log`` for rebuilding the cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import _git as git  # GitPython, imported on first use (start-up time)

from .models import Version
from .trailers import parse_trailers

__all__ = ["LogEntry", "iter_commits", "versions", "version_time", "read_blobs", "read_version",
           "ARTICLE_PREFIXES"]

#: Subject prefixes of version commits (``New: <headline>``).
ARTICLE_PREFIXES = ("New: ", "Changed: ", "Removed: ", "Restored: ", "Reverted: ", "Captured: ")

_RS, _US = "\x1e", "\x1f"


@dataclass
class LogEntry:
    """One commit as :func:`iter_commits` streams it.

    ``changes`` are ``(status, path)`` pairs: status ``A``, ``M`` or ``D``.
    ``blobs`` maps each changed path to its new blob id (40 hex; absent for a
    deletion); filled only when :func:`iter_commits` was called with ``blobs=True``.
    """

    commit: str
    time: datetime
    message: str
    changes: list[tuple[str, str]]
    blobs: dict[str, str] = field(default_factory=dict)

    @property
    def trailers(self) -> dict[str, str]:
        return dict(parse_trailers(self.message))


def iter_commits(repo: git.Repo, rev_range: str = "HEAD", *,
                 paths: list[str] | None = None, reverse: bool = True,
                 blobs: bool = False) -> Iterator[LogEntry]:
    """Stream the commits of ``rev_range`` (oldest first when ``reverse``).

    One ``git log --name-status`` process (``--raw --no-abbrev`` when ``blobs``,
    which also gives each changed file's new blob id); memory stays flat.
    ``paths`` are literal paths (``--literal-pathspecs``: no glob magic).
    """
    args = ["-c", "core.quotePath=false", "--literal-pathspecs", "log", "--no-renames",
            "--no-color", f"--format={_RS}%H%n%at%n%B{_US}"]
    args += ["--raw", "--no-abbrev"] if blobs else ["--name-status"]
    if reverse:
        args.append("--reverse")
    args.append(rev_range)
    if paths:
        args += ["--", *paths]
    proc = repo.git.execute(["git", *args], as_process=True, stdout_as_string=False)
    buf = b""
    try:
        for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
            buf += chunk
            *records, buf = buf.split(_RS.encode())
            for rec in records:
                if rec.strip():
                    yield _parse_record(rec.decode("utf-8", "replace"))
        if buf.strip():
            yield _parse_record(buf.decode("utf-8", "replace"))
    finally:
        # The caller may stop early: end git quietly instead of letting it die of SIGPIPE.
        finished = proc.poll() is not None
        if not finished:
            proc.kill()
        proc.stdout.close()
        try:
            proc.wait()
        except git.GitCommandError:
            if finished:
                raise


def _parse_record(rec: str) -> LogEntry:
    head, _, names = rec.partition(_US)
    sha, ts, message = head.split("\n", 2)
    changes = []
    blobs: dict[str, str] = {}
    for line in names.strip("\n").split("\n"):
        if "\t" in line:
            status, path = line.split("\t", 1)
            if status.startswith(":"):
                # --raw: ":<old mode> <new mode> <old blob> <new blob> <status>\t<path>"
                fields = status.split()
                status = fields[4]
                if status[:1] != "D":
                    blobs[path] = fields[3]
            changes.append((status[:1], path))
    return LogEntry(commit=sha, time=datetime.fromtimestamp(int(ts), tz=timezone.utc),
                    message=message.rstrip("\n") + "\n", changes=changes, blobs=blobs)


def versions(repo: git.Repo, path: str) -> list[Version]:
    """Every version of the article at ``path``, oldest first (one ``git log``).

    Each :class:`~gitnews.models.Version` has its ``blob`` id (None for a
    removal), so that :func:`read_blobs` can read the texts without another log.
    """
    out: list[Version] = []
    for number, entry in enumerate(iter_commits(repo, "HEAD", paths=[path], blobs=True),
                                   start=1):
        status = next((s for s, p in entry.changes if p == path), "M")
        out.append(Version(path=path, number=number, commit=entry.commit,
                           fetched_at=entry.time, subject=entry.message.split("\n", 1)[0],
                           trailers=entry.trailers, removed=status == "D",
                           blob=entry.blobs.get(path)))
    return out


def version_time(version: Version) -> datetime:
    """When ``version``'s text was captured (aware, UTC).

    The ``Captured-At`` trailer (RFC 3339) when the version was imported from
    an earlier capture (e.g. a WARC record's date), else the commit's author
    date, which :mod:`gitnews.store` sets to the fetch time.
    """
    value = version.trailers.get("Captured-At")
    if value:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            return when.astimezone(timezone.utc)
    return version.fetched_at


def read_blobs(repo: git.Repo, blob_ids: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each blob (40 hex id -> bytes, exactly as stored).

    Reads through GitPython's persistent ``git cat-file --batch`` process
    (``repo.odb``): one process for every read of the repository object.
    Raises :class:`ValueError` for an id that is not 40 hex digits and
    :class:`git.BadName`/:class:`ValueError` for a blob git does not have.
    """
    out: dict[str, bytes] = {}
    for blob in blob_ids:
        if blob not in out:
            out[blob] = repo.odb.stream(bytes.fromhex(blob)).read()
    return out


def read_version(repo: git.Repo, commit: str, path: str) -> bytes:
    """The file's bytes exactly as stored at ``commit`` (``git cat-file``)."""
    return repo.git.execute(["git", "cat-file", "blob", f"{commit}:{path}"],
                            stdout_as_string=False, strip_newline_in_stdout=False)
