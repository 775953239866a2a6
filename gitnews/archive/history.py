"""Reading versions back from git: one ``git log`` per question.

Every read asks git once (``git log --format=... -- <path>``, ``git cat-file``),
through :mod:`gitnews.archive.gitrun`; nothing loops over the commits of the
whole repository in Python except :func:`iter_commits`, which streams one
``git log`` for rebuilding the cache.  Objects (texts, files at a commit, HEAD) are
read by :mod:`gitnews.archive.objects`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.archive.gitrun import GitError, RepoDirs, finish, start
from gitnews.format.trailers import (
    ARTICLE_URL,
    CAPTURED_AT,
    SUBJECT_CHANGED,
    SUBJECT_NEW,
    SUBJECT_REMOVED,
    SUBJECT_RESTORED,
    SUBJECT_REVERTED,
    VERSION,
    parse_time,
    parse_trailers,
)
from gitnews.models import Version

if TYPE_CHECKING:
    pass

__all__ = ["LogEntry", "OutsideEdit", "is_version", "same_text", "text_changes", "iter_commits",
           "end_walk", "versions", "file_history", "version_time", "ARTICLE_PREFIXES"]

#: Subject prefixes of version commits (``New: <headline>``); ``Captured`` has no
#: constant in :mod:`gitnews.format.trailers` (no current code writes it).
ARTICLE_PREFIXES = tuple(f"{p}: " for p in (SUBJECT_NEW, SUBJECT_CHANGED, SUBJECT_REMOVED,
                                            SUBJECT_RESTORED, SUBJECT_REVERTED, "Captured"))

_RS, _US = "\x1e", "\x1f"


def is_version(trailers: Mapping[str, str]) -> bool:
    """Whether a commit with these trailers is one of gitnews's versions.

    ``trailers``: the commit's trailer block as :func:`gitnews.format.trailers.parse_trailers`
    (and ``git interpret-trailers --parse``) reads it, key -> value.  A version
    commit carries both an ``Article-Url`` and a ``Version`` trailer with a
    non-empty value (docs/archive-format.md, "Edits made outside gitnews").
    Any other commit that touches an article's file is an *outside edit*: kept
    in the history, never numbered or counted as a version.
    """
    return bool(trailers.get(ARTICLE_URL)) and bool(trailers.get(VERSION))


def same_text(previous: Version | None, version: Version) -> bool:
    """Whether ``version`` holds exactly the text of ``previous``, the article's
    version before it (the same git blob id; neither a removal).

    gitnews commits a text equal to its newest version's only after an *outside
    edit* (docs/archive-format.md, "Edits made outside gitnews"): the check
    puts the page's text back into the file (``Change-Kind: outside-edit``).
    Such a version keeps its ``Version`` number but is not a change: ``gitnews
    log``/``list``, the site, the feeds and the hooks do not count or show it as
    one.  False for a first version (``previous`` None).
    """
    return (previous is not None and not previous.removed and not version.removed
            and previous.blob is not None and previous.blob == version.blob)


def text_changes(found: Sequence[Version]) -> int:
    """How many times an article changed: its versions (oldest first, numbered
    1, 2, ...) after the first, less those that only put back the text of the
    version before them (:func:`same_text`)."""
    return sum(1 for prev, v in zip(found, found[1:], strict=False) if not same_text(prev, v))


@dataclass(frozen=True)
class OutsideEdit:
    """A commit without gitnews's trailers that touched an article's file
    (an edit, ``git revert`` or ``git rm`` made with plain git): not a version.

    ``after``: the number of the article's version it follows (its newest
    version when the edit was committed).  ``at``: the commit's author date
    (aware, UTC).  ``removed``: the commit deleted the file.  ``blob``: the
    file's blob id after the commit (40 hex), None when deleted.
    """

    path: str
    commit: str
    at: datetime
    subject: str
    after: int
    removed: bool = False
    blob: str | None = None


@dataclass
class LogEntry:
    """One commit as :func:`iter_commits` streams it.

    ``changes`` are ``(status, path)`` pairs: status ``A``, ``M`` or ``D``.
    ``blobs`` maps each changed path to its new blob id (40 hex; absent for a
    deletion); ``old_blobs`` to its blob id before the commit (absent for an
    addition); both filled only when :func:`iter_commits` was called with
    ``blobs=True``.
    """

    commit: str
    time: datetime
    message: str
    changes: list[tuple[str, str]]
    blobs: dict[str, str] = field(default_factory=dict)
    old_blobs: dict[str, str] = field(default_factory=dict)

    @property
    def trailers(self) -> dict[str, str]:
        return dict(parse_trailers(self.message))

    def version(self, path: str, number: int, *, status: str | None = None,
                trailers: dict[str, str] | None = None) -> Version:
        """This commit as version ``number`` of the article at ``path``: a removal when
        it deleted the file (``status`` ``D``; looked up in :attr:`changes` when not
        given), with the file's blob id when the walk read them.  ``trailers``: the
        commit's trailers when the caller has parsed them already."""
        if status is None:
            status = next((s for s, p in self.changes if p == path), "M")
        return Version(path=path, number=number, commit=self.commit, fetched_at=self.time,
                       subject=self.message.split("\n", 1)[0],
                       trailers=self.trailers if trailers is None else trailers,
                       removed=status == "D", blob=self.blobs.get(path))


def iter_commits(repo: RepoDirs, rev_range: str = "HEAD", *,
                 paths: list[str] | None = None, reverse: bool = True,
                 blobs: bool = False, options: Iterable[str] = ()
                 ) -> Generator[LogEntry, None, None]:
    """Stream the commits of ``rev_range`` (oldest first when ``reverse``).

    One ``git log --name-status`` process (``--raw --no-abbrev`` when ``blobs``,
    which also gives each changed file's blob ids before and after); memory
    stays flat.  ``paths`` are literal paths (``--literal-pathspecs``: no glob
    magic).  ``options`` are more ``git log`` options, e.g. ``-n50`` or
    ``--grep=...`` (git-log(1)); stopping the iteration early ends the process.
    Raises :class:`~gitnews.archive.gitrun.GitError` when git fails (e.g. a
    ``rev_range`` that names no commit).
    """
    args = ["-c", "core.quotePath=false", "--literal-pathspecs", "log", "--no-renames",
            "--no-color", f"--format={_RS}%H%n%at%n%B{_US}"]
    args += ["--raw", "--no-abbrev"] if blobs else ["--name-status"]
    if reverse:
        args.append("--reverse")
    args += list(options)
    args.append(rev_range)
    if paths:
        args += ["--", *paths]
    proc = start(repo, *args, stderr=subprocess.PIPE)
    out = proc.stdout
    assert out is not None
    buf = b""
    try:
        for chunk in iter(lambda: out.read(1 << 16), b""):
            buf += chunk
            *records, buf = buf.split(_RS.encode())
            for rec in records:
                if rec.strip():
                    yield _parse_record(rec.decode("utf-8", "replace"))
        if buf.strip():
            yield _parse_record(buf.decode("utf-8", "replace"))
    finally:
        # The caller may stop early: end git quietly instead of letting it die of SIGPIPE.
        finish(proc)


def end_walk(walk: Generator[LogEntry, None, None]) -> None:
    """End a walk of :func:`iter_commits` that may have stopped early: its git process
    is ended, and a git that failed on its own (:class:`~gitnews.archive.gitrun.GitError`)
    is passed over: the entries read so far stand."""
    try:
        walk.close()
    except GitError:
        pass


def _parse_record(rec: str) -> LogEntry:
    head, _, names = rec.partition(_US)
    sha, ts, message = head.split("\n", 2)
    changes: list[tuple[str, str]] = []
    blobs: dict[str, str] = {}
    old_blobs: dict[str, str] = {}
    for line in names.strip("\n").split("\n"):
        if "\t" in line:
            status, path = line.split("\t", 1)
            if status.startswith(":"):
                # --raw: ":<old mode> <new mode> <old blob> <new blob> <status>\t<path>"
                fields = status.split()
                status = fields[4]
                if status[:1] != "D":
                    blobs[path] = fields[3]
                if status[:1] != "A":
                    old_blobs[path] = fields[2]
            changes.append((status[:1], path))
    return LogEntry(commit=sha, time=datetime.fromtimestamp(int(ts), tz=UTC),
                    message=message.rstrip("\n") + "\n", changes=changes, blobs=blobs,
                    old_blobs=old_blobs)


def file_history(repo: RepoDirs, path: str) -> tuple[list[Version], list[OutsideEdit]]:
    """The versions of the article at ``path`` (numbered from 1, oldest first)
    and the outside edits of its file (:func:`is_version`), from one ``git log``.

    Each :class:`~gitnews.models.Version` has its ``blob`` id (None for a
    removal), so that :func:`read_blobs` can read the texts without another
    log.  Commits before gitnews first wrote the file are not the article's.
    """
    found: list[Version] = []
    outside: list[OutsideEdit] = []
    for entry in iter_commits(repo, "HEAD", paths=[path], blobs=True):
        status = next((s for s, p in entry.changes if p == path), "M")
        trailers = entry.trailers
        if not is_version(trailers):
            if found:
                outside.append(OutsideEdit(path=path, commit=entry.commit, at=entry.time,
                                           subject=entry.message.split("\n", 1)[0],
                                           after=len(found), removed=status == "D",
                                           blob=entry.blobs.get(path)))
            continue
        found.append(entry.version(path, len(found) + 1, status=status, trailers=trailers))
    return found, outside


def versions(repo: RepoDirs, path: str) -> list[Version]:
    """Every version of the article at ``path``, oldest first (one ``git log``):
    gitnews's version commits only (:func:`is_version`), numbered from 1; see
    :func:`file_history`."""
    return file_history(repo, path)[0]


def version_time(version: Version) -> datetime:
    """When ``version``'s text was captured (aware, UTC).

    The ``Captured-At`` trailer (RFC 3339) when the version was imported from
    an earlier capture (e.g. a WARC record's date), else the commit's author
    date, which :mod:`gitnews.archive.store` sets to the fetch time.
    """
    try:
        when = parse_time(version.trailers.get(CAPTURED_AT))
    except ValueError:
        when = None
    return when.astimezone(UTC) if when is not None else version.fetched_at
