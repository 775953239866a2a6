"""What a collection does: route URLs to their sites' archives, run the due archives, and fan
a read out over every archive with each result labelled by the archive it came from.

* :func:`add` (``gitnews add URL`` in a collection): each URL goes to the archive of its
  site (:func:`~gitnews.collection.manifest.site_for_url`), created on first use (and
  pushed to its remote when the collection names one, so that workers can clone it);
* :func:`run_archive` / :func:`run_due` (``gitnews run`` in a collection): the archives
  one after another in this process (the embedded default: no server);
* entries of one site's feed whose article lives on another site are handed over
  (:func:`hand_over`): they become single tracked articles (``gitnews add --article``) of
  that site's archive, which checks them on its next run (in the same ``run_due`` when it
  comes later in the order, else on the next one).  So every article has one history, in
  its own site's archive;
* :func:`fan_out`: one read function applied to every archive, opened read-only, giving
  ``(site, value)`` pairs (``list`` and ``feed`` use it; any read command can);
* :func:`merge_labelled`: the rows of every archive's read in one list, each labelled with its
  site, in the command's own order (``list``, ``changes``, ``search`` use it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from gitnews.collection.manifest import Manifest, Member, add_member, site_for_url
from gitnews.errors import GitnewsError

if TYPE_CHECKING:
    import threading

    from gitnews.archive.repo import Archive
    from gitnews.models import RunResult
    from gitnews.ops.classify import AddResult

__all__ = ["Routed", "ArchiveRun", "add", "open_member", "hand_over", "run_archive", "run_due",
           "fan_out", "FanOut"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Routed:
    """One URL given to :func:`add`: the ``site`` whose archive took it ("" when the URL
    has no site: ``result.kind`` is "failed") and what that archive's ``add`` said."""

    site: str
    result: AddResult


@dataclass
class ArchiveRun:
    """One archive's part of a collection run: ``site``, its ``result`` (None when it was
    not due, or failed before running: ``error`` says why), ``handed_over`` (site ->
    article URLs handed to other archives) and ``push`` (a line on the push, "" for none)."""

    site: str
    result: RunResult | None = None
    error: str = ""
    handed_over: dict[str, list[str]] = field(default_factory=dict)
    push: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def open_member(manifest: Manifest, site: str, *, create: bool = False, wait_s: float | None = 0.0,
                command: str = "gitnews") -> Iterator[Archive]:
    """Open ``site``'s archive for writing (its lock held until the block ends).

    ``create``: make it first when the collection has none (recorded in the manifest;
    its git remote ``origin`` set from the manifest, the bare repository made when that
    remote is a local path).  Raises what :func:`gitnews.archive.repo.open_archive` raises.
    """
    from gitnews.archive.repo import open_archive

    member = manifest.member(site)
    fresh = not (member.path / "gitnews.toml").exists()
    with open_archive(member.path, create=create, lock=True, wait_s=wait_s,
                      command=command) as arc:
        if fresh and member.remote:
            _attach_remote(member)
        add_member(manifest, member)
        yield arc


def _attach_remote(member: Member) -> None:
    from pathlib import Path

    from gitnews.archive.clone import init_bare, set_remote

    assert member.remote is not None
    remote = member.remote
    if remote.startswith("file://") or remote.startswith("/"):
        init_bare(Path(remote.removeprefix("file://")))
    set_remote(member.path, "origin", remote)


def _push(arc: Archive) -> str:
    """Push ``arc`` when it has an ``origin``; a line saying what happened."""
    from gitnews.archive.remote import has_remote
    from gitnews.ops.push import push_archive

    if not has_remote(arc.repo, arc.config.publish.remote):
        return ""
    try:
        done = push_archive(arc)
    except GitnewsError as exc:
        return f"not pushed: {exc}"
    return f"pushed {done.pushed} commit(s)" if done.pushed else "remote up to date"


def add(manifest: Manifest, urls: list[str], *, kind: str = "auto", wait_s: float | None = 0.0,
        push: bool = True) -> list[Routed]:
    """Track each URL in its site's archive (created on first use).  ``kind`` as
    :func:`gitnews.ops.tracking.add`.  One result per URL, in order; a URL without a
    site is a "failed" result.  ``push``: push each archive changed to its remote.
    Raises :class:`~gitnews.errors.ArchiveLockedError` when an archive is being written."""
    from gitnews.ops.classify import AddResult
    from gitnews.ops.tracking import add as track

    routed: list[Routed | None] = [None] * len(urls)
    by_site: dict[str, list[int]] = {}
    for i, url in enumerate(urls):
        try:
            by_site.setdefault(site_for_url(url), []).append(i)
        except GitnewsError as exc:
            routed[i] = Routed("", AddResult(url=url, kind="failed", added=[], message=str(exc)))
    for site, indexes in by_site.items():
        with open_member(manifest, site, create=True, wait_s=wait_s,
                         command="gitnews add") as arc:
            results = track(arc, [urls[i] for i in indexes], kind=kind)
            if push and results.commit is not None:
                _push(arc)
        for i, result in zip(indexes, results, strict=True):
            routed[i] = Routed(site, result)
    return [r for r in routed if r is not None]


def hand_over(manifest: Manifest, site: str, urls: list[str], *,
              wait_s: float | None = 60.0) -> list[AddResult]:
    """Track ``urls`` (articles of ``site``) as single articles of ``site``'s archive
    (created on first use), without fetching; pushed when it has a remote."""
    from gitnews.ops.tracking import add as track

    with open_member(manifest, site, create=True, wait_s=wait_s,
                     command="gitnews run (hand-over)") as arc:
        results = track(arc, urls, kind="article")
        if results.commit is not None:
            _push(arc)
    return list(results)


def run_archive(manifest: Manifest, site: str, *, check_all: bool = False,
                now: Callable[[], datetime] = _now, wait_s: float | None = 0.0,
                only_due: bool = True, push: bool = False, deliver: bool = True,
                stop: threading.Event | None = None, abandon: threading.Event | None = None,
                before: Callable[[Archive], None] | None = None,
                after: Callable[[Archive, ArchiveRun], None] | None = None) -> ArchiveRun:
    """Run ``site``'s archive once (when due, or always with ``only_due`` False or
    ``check_all``), under its lock.  Entries of other sites are handed over
    (``deliver``: at once, by :func:`hand_over`; else left in
    :attr:`ArchiveRun.handed_over` for the caller).  ``push``: push afterwards when the
    archive has a remote.  ``before(archive)`` runs under the lock first (a worker
    brings the clone up to date there); ``after(archive, done)`` after the run (and
    after a run that was not due), still under the lock.  Errors of the archive as a whole (locked,
    unreadable, git failing) are in :attr:`ArchiveRun.error`, never raised, except
    :class:`gitnews.ops.run.Abandoned`."""
    from gitnews.ops.run import run
    from gitnews.ops.watch import next_due_at

    done = ArchiveRun(site=site)

    def route(link: str, feed_url: str) -> bool:
        try:
            other = site_for_url(link)
        except GitnewsError:
            return False  # the run reports the bad link
        if other == site:
            return False
        done.handed_over.setdefault(other, []).append(link)
        return True

    try:
        with open_member(manifest, site, wait_s=wait_s, command="gitnews run") as arc:
            if before is not None:
                before(arc)
            due = next_due_at(arc, now=now)
            if not only_due or check_all or (due is not None and due <= now()):
                done.result = run(arc, check_all=check_all, now=now, stop=stop,
                                  abandon=abandon, hand_over=route)
                if push:
                    done.push = _push(arc)
            if after is not None:
                after(arc, done)
    except GitnewsError as exc:
        done.error = str(exc)
        return done
    if deliver:
        for other, links in done.handed_over.items():
            try:
                hand_over(manifest, other, links)
            except GitnewsError as exc:
                done.error = f"could not hand {len(links)} article(s) over to {other}: {exc}"
    return done


def run_due(manifest: Manifest, *, check_all: bool = False, now: Callable[[], datetime] = _now,
            wait_s: float | None = 0.0, push: bool = False,
            stop: threading.Event | None = None) -> list[ArchiveRun]:
    """Every archive of the collection once, one after another, in the manifest's order
    (each when due, all with ``check_all``); stops between archives when ``stop`` is set."""
    out = []
    for site in list(manifest.members):
        if stop is not None and stop.is_set():
            break
        out.append(run_archive(manifest, site, check_all=check_all, now=now, wait_s=wait_s,
                               push=push, stop=stop))
    return out


@dataclass
class FanOut(list[tuple[str, T]]):
    """What :func:`fan_out` gives: ``(site, value)`` pairs in the manifest's order, and
    ``errors``: ``(site, message)`` for the archives that could not be read."""

    errors: list[tuple[str, str]] = field(default_factory=list)


def fan_out(manifest: Manifest, read: Callable[[Archive], T]) -> FanOut[T]:
    """``read(archive)`` for every archive of the collection (opened read-only, one at a
    time), each value labelled with its archive's site.  An archive that cannot be
    opened or read is left out and named in ``errors``; the others are still read."""
    from gitnews.archive.repo import open_archive

    out: FanOut[T] = FanOut()
    for site, member in manifest.members.items():
        try:
            with open_archive(member.path) as arc:
                out.append((site, read(arc)))
        except GitnewsError as exc:
            out.errors.append((site, str(exc)))
    return out


def merge_labelled(found: Iterable[tuple[str, Iterable[R]]], *, key: Callable[[R], Any],
                   reverse: bool = False, limit: int | None = None) -> list[tuple[str, R]]:
    """Every row of every archive's read (``found``: ``(site, rows)`` pairs, as
    :func:`fan_out` gives them) as ``(site, row)`` pairs sorted by ``key(row)``
    (``reverse=True``: greatest first, e.g. newest first for times), then cut to the
    first ``limit`` (None: all).  The sort is stable: rows with equal keys keep the order of
    the archives in ``found`` and their order within their archive, so the same archives
    give the same list."""
    rows = [(site, row) for site, rows_of_site in found for row in rows_of_site]
    rows.sort(key=lambda sr: key(sr[1]), reverse=reverse)
    return rows if limit is None else rows[:limit]
