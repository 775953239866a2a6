"""The Celery application and its tasks: run archive X, hand articles over to X, dispatch.

Configured from the environment (:mod:`gitnews.fleet.settings`); Redis is the broker, the
result store and the leases.  Tasks are acknowledged late (after they finish; a message
of a worker that died is delivered again) and their work is idempotent: a task for an
archive that another worker holds, or that is not due, does nothing.

Redis keys (prefix ``gitnews:``): ``lease:<site>`` (the lease, :mod:`gitnews.fleet.lease`),
``queued:<site>`` (a task for it is in the queue; expires), ``due:<site>`` (when it is due
next, POSIX seconds, written by the worker that ran it: :func:`gitnews.ops.watch.next_due_at`),
``sites`` (the sites archives were made for by hand-overs).

:func:`run_site`, :func:`hand_over_site` and :func:`dispatch` are the tasks' bodies, plain
functions of a Redis client and the settings.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import redis
from celery import Celery
from celery.signals import worker_init

from gitnews.collection.core import ArchiveRun, open_member
from gitnews.collection.core import run_archive as run_member
from gitnews.collection.manifest import Manifest, read_manifest
from gitnews.errors import GitnewsError
from gitnews.fleet.lease import Lease
from gitnews.fleet.settings import FleetSettings, from_env
from gitnews.fleet.sync import catch_up, ensure_clone, push

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive

__all__ = ["app", "settings", "run_site", "hand_over_site", "dispatch", "client_for"]

log = logging.getLogger("gitnews.fleet")
#: How long a hand-over waits for the target archive's lease before it is tried again (s).
HAND_OVER_RETRY_S = 5.0

_clients: dict[tuple[int, str], redis.Redis] = {}


def client_for(url: str) -> redis.Redis:
    """One Redis client per process and URL (made after a fork, never shared across one)."""
    key = (os.getpid(), url)
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5,
                                             decode_responses=True)
    return _clients[key]


def _known_sites(settings: FleetSettings, client: redis.Redis, manifest: Manifest) -> list[str]:
    stored = {str(s) for s in client.smembers(settings.key("sites"))}
    extra = sorted(stored - set(manifest.members))
    return [*manifest.members, *extra]


def _clone_or_create(manifest: Manifest, site: str, settings: FleetSettings,
                     client: redis.Redis) -> None:
    """This machine's copy of ``site``'s archive: cloned from its remote; a site nobody
    made an archive for yet (a hand-over's new site) gets a new one."""
    member = manifest.member(site)
    try:
        ensure_clone(member)
    except GitnewsError:
        if site in manifest.members or client.sismember(settings.key("sites"), site):
            raise
        with open_member(manifest, site, create=True, command="gitnews fleet"):
            pass


def run_site(settings: FleetSettings, client: redis.Redis, site: str,
             *, on_hand_over: Callable[[str, list[str]], None] | None = None) -> dict[str, Any]:
    """Run ``site``'s archive once, as its one writer: take its lease (or return
    ``{"status": "locked"}``), clone or catch up from its remote, run when due, push,
    record when it is due next, release.  Entries of other sites go to ``on_hand_over``.
    Returns a summary (``status``: ``ran``, ``not due``, ``locked``, ``lease lost`` or
    ``failed`` with ``error``).  Redis errors are raised (the task retries)."""
    from gitnews.ops.recording import Abandoned
    from gitnews.ops.watch import next_due_at

    manifest = read_manifest(settings.collection)
    client.delete(settings.key("queued", site))
    abandon = threading.Event()
    lease = Lease(client, settings.key("lease", site), ttl_s=settings.lease_ttl_s, on_lost=abandon)
    if not lease.acquire():
        return {"site": site, "status": "locked"}
    started = time.time()
    log.info("gitnews.fleet: lease taken on %s at %.3f (pid %d)", site, started, os.getpid())
    summary: dict[str, Any] = {"site": site, "pid": os.getpid(), "started": started}
    with lease:
        try:
            _clone_or_create(manifest, site, settings, client)
        except GitnewsError as exc:
            return {**summary, "status": "failed", "error": str(exc)}
        notes: list[str] = []

        def after(arc: Archive, done: ArchiveRun) -> None:
            if lease.lost.is_set():
                return
            if done.result is not None:
                summary["pushed"] = push(arc)
            due = next_due_at(arc)
            client.set(settings.key("due", site),
                       repr(due.timestamp()) if due is not None else "inf")

        try:
            done = run_member(manifest, site, wait_s=60.0, deliver=False, abandon=abandon,
                              before=lambda arc: notes.append(catch_up(arc)), after=after)
        except Abandoned:
            log.warning("gitnews.fleet: lease on %s lost; its run was abandoned", site)
            return {**summary, "status": "lease lost"}
        if lease.lost.is_set():
            return {**summary, "status": "lease lost"}
        ended = time.time()
        status = "failed" if done.error else "ran" if done.result is not None else "not due"
        log.info("gitnews.fleet: %s %s from %.3f to %.3f (pid %d)%s", status, site, started,
                 ended, os.getpid(), f": {done.error}" if done.error else "")
        summary.update(status=status, ended=ended, error=done.error, notes=[n for n in notes if n])
        if done.result is not None:
            from gitnews.models import Outcome

            summary["versions"] = sum(done.result.count(o) for o in
                                      (Outcome.NEW, Outcome.CHANGED, Outcome.REMOVED))
    if done.handed_over:
        client.sadd(settings.key("sites"), *done.handed_over)
        for other, links in done.handed_over.items():
            if on_hand_over is not None:
                on_hand_over(other, links)
    return summary


def hand_over_site(settings: FleetSettings, client: redis.Redis, site: str,
                   links: list[str]) -> dict[str, Any]:
    """Track ``links`` as single articles of ``site``'s archive under its lease (catch up,
    add, push), and mark it due now.  ``{"status": "locked"}`` when another holds it."""
    from gitnews.ops.tracking import add

    manifest = read_manifest(settings.collection)
    lease = Lease(client, settings.key("lease", site), ttl_s=settings.lease_ttl_s)
    if not lease.acquire():
        return {"site": site, "status": "locked"}
    with lease:
        _clone_or_create(manifest, site, settings, client)
        with open_member(manifest, site, create=True, wait_s=60.0,
                         command="gitnews fleet (hand-over)") as arc:
            catch_up(arc)
            results = add(arc, links, kind="article")
            if not lease.lost.is_set() and results.commit is not None:
                push(arc)
    client.delete(settings.key("due", site))  # due now: the dispatcher sends it
    return {"site": site, "status": "added", "added": sum(r.kind == "article" for r in results)}


def dispatch(settings: FleetSettings, client: redis.Redis, *,
             enqueue: Callable[[str], object], now: Callable[[], float] = time.time) -> list[str]:
    """Enqueue (``enqueue(site)``) every archive that is due (``due:<site>`` passed, or
    unknown), not leased and not queued already; returns the sites enqueued.  The
    ``queued:<site>`` key (set NX, expiring after twice the lease TTL or ten dispatch
    intervals, whichever is longer) keeps a second task out of the queue."""
    manifest = read_manifest(settings.collection)
    queued_ttl = int(max(settings.lease_ttl_s * 2, settings.dispatch_s * 10))
    sent = []
    for site in _known_sites(settings, client, manifest):
        if client.exists(settings.key("lease", site)):
            continue
        due = client.get(settings.key("due", site))
        if due is not None and float(str(due)) > now():
            continue
        if not client.set(settings.key("queued", site), "1", nx=True, ex=queued_ttl):
            continue
        try:
            enqueue(site)
        except Exception:
            client.delete(settings.key("queued", site))
            raise
        sent.append(site)
    return sent


# -- the Celery application ------------------------------------------------------------------

app = Celery("gitnews.fleet", set_as_current=False)
_settings: list[FleetSettings] = []


def settings() -> FleetSettings:
    """The fleet's settings, read from the environment once (raises
    :class:`~gitnews.errors.ConfigError` naming a missing variable)."""
    if not _settings:
        _settings.append(from_env())
    return _settings[0]


@app.on_configure.connect  # type: ignore[untyped-decorator]
def _configure(sender: Celery, **kwargs: object) -> None:
    """Celery's configuration from the environment, when Celery first needs it (so that
    importing this module needs no environment)."""
    fleet = settings()
    sender.conf.update(
        broker_url=fleet.redis_url,
        result_backend=fleet.redis_url,
        result_expires=86400,
        task_default_queue="gitnews",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        # A message taken by a worker that died is delivered again after this long
        # (Redis transport); the lease makes a second delivery harmless.
        broker_transport_options={"visibility_timeout": int(max(fleet.lease_ttl_s * 2, 10))},
        # A dispatch not taken within its interval is dropped (the next one replaces it),
        # so that dispatches never pile up behind long runs in the queue.
        beat_schedule={"gitnews-dispatch": {"task": "gitnews.fleet.dispatch",
                                            "schedule": fleet.dispatch_s,
                                            "options": {"expires": fleet.dispatch_s}}},
        worker_hijack_root_logger=False,
    )


@worker_init.connect  # type: ignore[untyped-decorator]
def _warm_up(**kwargs: object) -> None:
    """Import the run's modules (trafilatura and lxml among them) when a worker starts, not
    in its first task (a prefork pool's processes inherit them)."""
    import gitnews.ops.run
    import gitnews.pagetext.extract  # noqa: F401


_RETRY: dict[str, Any] = {"autoretry_for": (redis.ConnectionError, redis.TimeoutError),
                          "retry_backoff": 1, "retry_backoff_max": 30, "max_retries": None}


def _client() -> redis.Redis:
    return client_for(settings().redis_url)


@app.task(name="gitnews.fleet.run_archive", **_RETRY)  # type: ignore[untyped-decorator]
def run_archive_task(site: str) -> dict[str, Any]:
    """Run archive ``site`` (see :func:`run_site`); hand-overs become tasks."""
    return run_site(settings(), _client(), site,
                    on_hand_over=lambda other, links: hand_over_task.delay(other, links))


@app.task(name="gitnews.fleet.hand_over", bind=True, **_RETRY)  # type: ignore[untyped-decorator]
def hand_over_task(self: Any, site: str, links: list[str]) -> dict[str, Any]:  # noqa: ANN401
    """Hand ``links`` over to ``site``'s archive; tried again while another holds it."""
    done = hand_over_site(settings(), _client(), site, links)
    if done["status"] == "locked":
        raise self.retry(countdown=HAND_OVER_RETRY_S)
    return done


@app.task(name="gitnews.fleet.dispatch", ignore_result=True, **_RETRY)  # type: ignore[untyped-decorator]
def dispatch_task() -> list[str]:
    """Enqueue the due archives (``celery beat`` calls it every ``GITNEWS_DISPATCH_S``)."""
    return dispatch(settings(), _client(), enqueue=lambda site: run_archive_task.delay(site))
