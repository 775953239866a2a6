"""``gitnews status``: how an archive is doing, from git and the cache, without the network.

The last run's end and outcome are kept in the cache (``meta`` key
``last_run``, written by :func:`note_run` after each run that commits).  The
cache is rebuildable: after it is rebuilt, the last run is unknown until the
next run.  Everything else is read from git (size, remote, whether it is
pushed: the remote-tracking ref the last push or fetch recorded) and from the
cache (failing checks, feeds' last errors, what is due next).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gitnews.format.trailers import format_time
from gitnews.models import Outcome, RunResult

if TYPE_CHECKING:
    from gitnews.archive.reader import CacheSource
    from gitnews.archive.repo import Archive

__all__ = ["note_run", "archive_status", "ArchiveStatus", "LastRun", "Failing", "RemoteStatus",
           "CacheStatus", "RUN_ENDINGS", "FAILING_FOR"]

#: How a run ended, as :func:`note_run` records it.
RUN_ENDINGS = ("ok", "failures", "stopped", "abandoned")
#: A feed or article is reported as failing once its failures go back this far.
FAILING_FOR = timedelta(days=1)
_KEY = "last_run"


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class LastRun:
    """The last run that could commit: times (aware UTC), how it ended (one of
    :data:`RUN_ENDINGS`), its article counts (outcome name -> number, lower
    case) and how many items (feeds included) failed."""

    started_at: datetime | None
    finished_at: datetime
    ended: str
    counts: dict[str, int]
    failed: int


def note_run(archive: Archive, result: RunResult | None, *, ended: str,
             finished_at: datetime | None = None) -> None:
    """Record in the cache how a run (not a dry run) ended, for ``gitnews status``.

    ``ended``: one of :data:`RUN_ENDINGS`; ``result`` None for an abandoned run.
    ``finished_at`` (aware) defaults to the result's, else now.  Raises
    ValueError for an unknown ``ended``.
    """
    if ended not in RUN_ENDINGS:
        raise ValueError(f"unknown run ending {ended!r}; one of {', '.join(RUN_ENDINGS)}")
    finished = finished_at or (result.finished_at if result else None) or datetime.now(
        UTC)
    doc = {"started_at": format_time(result.started_at) if result and result.started_at else None,
           "finished_at": format_time(finished), "ended": ended,
           "counts": {o.value.lower(): result.count(o) for o in Outcome} if result else {},
           "failed": len(result.failures) if result else 0}
    archive.state.set_meta(_KEY, json.dumps(doc, sort_keys=True))


def last_run(archive: CacheSource) -> LastRun | None:
    """What :func:`note_run` recorded last, or None (no run since the cache was made)."""
    raw = archive.state.get_meta(_KEY)
    try:
        doc = json.loads(raw) if raw else None
        finished = _parse(doc["finished_at"]) if doc else None
    except (ValueError, KeyError, TypeError):
        return None
    if doc is None or finished is None:
        return None
    return LastRun(started_at=_parse(doc.get("started_at")), finished_at=finished,
                   ended=str(doc.get("ended")), counts=dict(doc.get("counts") or {}),
                   failed=int(doc.get("failed") or 0))


@dataclass(frozen=True)
class Failing:
    """A feed or an article whose reads or checks have failed since ``since``."""

    kind: str  # "feed" or "article"
    url: str
    path: str | None
    since: datetime | None
    last_error: str
    failures: int | None  # checks in a row (articles; None for feeds)


@dataclass(frozen=True)
class RemoteStatus:
    """The ``[publish]`` remote: ``exists`` in git, its ``url``, and ``pushed``:
    the branch is the commit the last push or fetch recorded there (None
    without the remote)."""

    name: str
    branch: str
    exists: bool
    url: str | None
    pushed: bool | None


@dataclass(frozen=True)
class CacheStatus:
    """The cache (``.git/gitnews/state.sqlite``): its size in bytes (with its
    WAL file), articles not fetched yet (``backlog``), texts held for
    confirmation (``held``)."""

    path: Path
    size_bytes: int
    backlog: int
    held: int


@dataclass(frozen=True)
class ArchiveStatus:
    """Everything ``gitnews status`` shows (times aware UTC, sizes in bytes)."""

    path: Path
    now: datetime
    last_run: LastRun | None
    failing: list[Failing]
    next_due: datetime | None
    feeds: int
    articles: int
    commits: int
    git_bytes: int
    remote: RemoteStatus
    cache: CacheStatus
    notes: list[str] = field(default_factory=list)


def _remote(archive: Archive) -> RemoteStatus:
    from gitnews.archive.remote import has_remote, remote_url
    from gitnews.errors import ConfigError
    from gitnews.ops.push import push_pending

    name, branch = archive.config.publish.remote, archive.config.publish.branch
    exists = has_remote(archive.repo, name)
    url = remote_url(archive.repo, name) if exists else None
    pushed = None
    if exists:
        try:
            pushed = not push_pending(archive)
        except ConfigError:
            pushed = None
    return RemoteStatus(name=name, branch=branch, exists=exists, url=url, pushed=pushed)


def _cache(archive: Archive) -> CacheStatus:
    state = archive.state
    size = sum(p.stat().st_size for p in (state.path, Path(f"{state.path}-wal"))
               if p.exists())
    held = sum(1 for _ in state.held())
    return CacheStatus(path=state.path, size_bytes=size, backlog=len(state.backlog()), held=held)


def archive_status(archive: Archive, *, now: datetime | None = None,
                   failing_for: timedelta = FAILING_FOR) -> ArchiveStatus:
    """How ``archive`` is doing at ``now`` (aware; default the current time).

    ``failing`` lists the feeds and articles failing for ``failing_for`` or
    longer (their failures began at least that long before ``now``), longest
    first, with their last error.  Uses no network.
    """
    from gitnews.archive.maintenance import object_stats
    from gitnews.archive.objects import count_commits
    from gitnews.ops.watch import next_due_at

    now = (now or datetime.now(UTC)).astimezone(UTC)
    state = archive.state
    cutoff = now - failing_for
    failing: list[Failing] = []
    for url in [*archive.config.feeds, *archive.config.sitemaps, *archive.config.fronts]:
        data = state.get_feed(url)
        error = data.get("error")
        if error:
            since = _parse(data.get("failing_since"))
            if since is not None and since <= cutoff:
                failing.append(Failing("feed", url, None, since, error, None))
    for row in state.failing_checks():
        since = _parse(row["since"])
        if since is not None and since <= cutoff:
            failing.append(Failing("article", row["url"] or row["path"], row["path"], since,
                                   row["last_error"] or "", row["failures"]))
    failing.sort(key=lambda f: (f.since or now, f.kind, f.url))
    stats = object_stats(archive)
    return ArchiveStatus(
        path=archive.path, now=now, last_run=last_run(archive), failing=failing,
        next_due=next_due_at(archive, now=lambda: now), feeds=len(archive.config.feeds),
        articles=sum(1 for r in state.articles() if not r.removed),
        commits=count_commits(archive.repo, "HEAD"),
        git_bytes=stats.loose_bytes + stats.pack_bytes, remote=_remote(archive),
        cache=_cache(archive), notes=config_notes(archive))


def config_notes(archive: Archive) -> list[str]:
    """The warnings about the archive's ``gitnews.toml`` that do not stop it from
    working (:func:`gitnews.config.sources.config_warnings`: a ``[sources."URL"]``
    naming no tracked source), one sentence each."""
    from gitnews.config.sources import config_warnings

    config = archive.config
    return config_warnings(config.sources, [*config.feeds, *config.sitemaps, *config.fronts])
