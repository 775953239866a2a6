"""The fleet (gitnews.fleet) with the real parts: a Redis server from the system packages,
two Celery worker processes and Celery beat, the archives' bare git remotes, and a loopback
proxy with several sites whose every answer is delayed (standing in for the network).

Each test compares the remotes with what one process leaves (gitnews.collection.core.run_due
over clones made before the fleet starts): the same texts and the same number of versions of
every article, and ``git fsck`` clean.  The Redis tests skip, saying why, where redis-server
cannot start; the lease's scripts are also checked on their own.
"""

from __future__ import annotations

import re
import shutil
import time

import pytest
from fleet_procs import (
    RedisServer,
    fleet_env,
    kill,
    make_collection,
    member_folder,
    start_beat,
    start_worker,
    stop,
)
from fleet_support import fsck, git, holdings, serve_sites

from gitnews.collection.core import run_due
from gitnews.collection.manifest import read_manifest

redis = pytest.importorskip("redis", reason="the fleet extra (redis) is not installed")
pytest.importorskip("celery", reason="the fleet extra (celery) is not installed")


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis")
    if server.binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does)")
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"redis-server could not start: {exc}")
    yield server
    server.stop()


def test_lease_is_taken_once_renewed_and_released_by_its_holder_only(redis_server):
    from gitnews.fleet.lease import Lease

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    one = Lease(client, "gitnews:lease:a.test", ttl_s=1.0)
    two = Lease(client, "gitnews:lease:a.test", ttl_s=1.0)
    assert one.acquire() and not two.acquire()
    assert one.renew() and not two.renew()
    assert not two.release() and client.get("gitnews:lease:a.test") == one.token
    with one:  # renewed by its thread past its TTL
        time.sleep(1.5)
        assert client.get("gitnews:lease:a.test") == one.token and not one.lost.is_set()
    assert client.get("gitnews:lease:a.test") is None  # released
    # Redis lost the key (a restart): the holder sets it again on renewal ...
    assert one.acquire()
    client.delete("gitnews:lease:a.test")
    assert one.renew() and client.get("gitnews:lease:a.test") == one.token
    # ... unless another holder took it meanwhile: then the lease is lost.
    client.set("gitnews:lease:a.test", two.token)
    assert not one.renew()


def test_dispatch_skips_leased_queued_and_not_due(redis_server, tmp_path):
    from gitnews.collection.manifest import init_collection
    from gitnews.fleet.settings import from_env
    from gitnews.fleet.tasks import dispatch

    root = tmp_path / "c"
    init_collection(root)
    text = (root / "gitnews-collection.toml").read_text()
    (root / "gitnews-collection.toml").write_text(
        text + '"a.test" = { path = "a.test" }\n"b.test" = { path = "b.test" }\n'
        '"c.test" = { path = "c.test" }\n"d.test" = { path = "d.test" }\n')
    settings = from_env({"GITNEWS_COLLECTION": str(root), "GITNEWS_REDIS_URL": redis_server.url})
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.set(settings.key("lease", "a.test"), "someone")
    client.set(settings.key("due", "b.test"), repr(time.time() + 3600))
    client.set(settings.key("due", "c.test"), repr(time.time() - 1))
    sent: list[str] = []
    assert dispatch(settings, client, enqueue=sent.append) == ["c.test", "d.test"]
    assert dispatch(settings, client, enqueue=sent.append) == []  # queued already
    assert sent == ["c.test", "d.test"]


SITES = ["a.test", "b.test", "c.test", "slow.test"]


def _setup(tmp_path, proxy, *, slow_s=0.0, articles=4):
    feeds = serve_sites(proxy, SITES, articles=articles, delay_s=0.05,
                        slow={"slow.test": slow_s} if slow_s else None)
    operator, remotes = make_collection(tmp_path, feeds)
    # The single-process reference: clones run one after another, before the fleet starts.
    ref = member_folder(tmp_path, operator, "reference")
    for site in SITES:
        git(tmp_path, "clone", "-q", str(remotes / f"{site}.git"), str(ref / site))
    runs = run_due(read_manifest(ref))
    assert not any(r.error for r in runs) and all(r.result is not None for r in runs)
    expected = {site: holdings(ref / site) for site in SITES}
    assert all(len(expected[s]) == articles for s in SITES)
    with proxy.lock:
        proxy.records.clear()
        proxy.max_in_flight.clear()
    return operator, remotes, expected


def _wait_for(remotes, expected, procs, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    got = {}
    while time.monotonic() < deadline:
        got = {site: holdings(remotes / f"{site}.git") for site in expected}
        if got == expected:
            return
        time.sleep(0.5)
    logs = "\n".join(p.args[-1] if isinstance(p.args, list) else "" for p in procs)
    raise AssertionError(f"the remotes did not reach the single-process result: "
                         f"{ {s: len(v) for s, v in got.items()} } {logs}")


def _runs(logs):
    """(site, pid, start, end) of every run that committed, from the workers' logs."""
    found = []
    for log in logs:
        for m in re.finditer(r"gitnews\.fleet: ran (\S+) from ([\d.]+) to ([\d.]+) \(pid (\d+)\)",
                             log.read_text(errors="replace")):
            found.append((m[1], int(m[4]), float(m[2]), float(m[3])))
    return found


def _check_no_overlap(runs):
    by_site = {}
    for site, pid, start, end in runs:
        by_site.setdefault(site, []).append((start, end, pid))
    for site, spans in by_site.items():
        spans.sort()
        for (s1, e1, p1), (s2, e2, p2) in zip(spans, spans[1:]):
            assert e1 <= s2, f"{site} run by pid {p1} and pid {p2} at once"


def _check_politeness(proxy, min_gap_s=0.05):
    records = proxy.requests_to()
    for host in {r["host"] for r in records}:
        starts = sorted(r["start"] for r in records if r["host"] == host
                        and r["path"] != "/robots.txt")
        assert all(b - a >= min_gap_s - 0.02 for a, b in zip(starts, starts[1:])), (host, starts)
        assert proxy.max_in_flight.get(host, 0) <= 1, host


def _fleet(tmp_path, proxy, redis_server, operator, names=("w1", "w2")):
    procs, logs = [], []
    for name in names:
        folder = member_folder(tmp_path, operator, name)
        log = tmp_path / f"{name}.log"
        procs.append(start_worker(name, fleet_env(proxy.env(), folder, redis_server.url), log))
        logs.append(log)
    beat_dir = member_folder(tmp_path, operator, "beat")
    procs.append(start_beat(fleet_env(proxy.env(), beat_dir, redis_server.url), beat_dir))
    return procs, logs


def test_two_workers_leave_what_one_process_leaves(tmp_path, polite_proxy, redis_server):
    operator, remotes, expected = _setup(tmp_path, polite_proxy)
    procs, logs = _fleet(tmp_path, polite_proxy, redis_server, operator)
    try:
        _wait_for(remotes, expected, procs)
    finally:
        stop(procs)
    for site in SITES:
        fsck(remotes / f"{site}.git")
    runs = _runs(logs)
    assert sorted(site for site, *_ in runs) == SITES  # each archive run once
    assert len({pid for _, pid, *_ in runs}) == 2, runs  # by both workers
    _check_no_overlap(runs)
    _check_politeness(polite_proxy)


def test_a_killed_workers_archive_is_finished_by_the_other(tmp_path, polite_proxy, redis_server):
    operator, remotes, expected = _setup(tmp_path, polite_proxy, slow_s=0.4, articles=6)
    procs, logs = _fleet(tmp_path, polite_proxy, redis_server, operator)
    try:
        deadline = time.monotonic() + 30
        victim = None
        while victim is None and time.monotonic() < deadline:
            done = sum(polite_proxy.served.get(f"http://news.slow.test/story/{n}", 0)
                       for n in range(6))
            if done >= 2:
                for proc, log in zip(procs, logs):
                    if "lease taken on slow.test" in log.read_text(errors="replace"):
                        victim = proc
            time.sleep(0.05)
        assert victim is not None, "slow.test never started"
        kill(victim)  # SIGKILL mid-run: its lease expires after GITNEWS_LEASE_TTL_S
        _wait_for(remotes, expected, procs)
    finally:
        stop(procs)
    for site in SITES:
        fsck(remotes / f"{site}.git")
    runs = _runs(logs)
    assert sorted(site for site, *_ in runs) == SITES, runs  # slow.test once, by the survivor
    assert [pid for site, pid, *_ in runs if site == "slow.test"] != [victim.pid]
    _check_politeness(polite_proxy)


def test_redis_restarted_midway_is_survived(tmp_path, polite_proxy, redis_server):
    operator, remotes, expected = _setup(tmp_path, polite_proxy, slow_s=0.3, articles=6)
    procs, logs = _fleet(tmp_path, polite_proxy, redis_server, operator)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not polite_proxy.served.get(
                "http://news.slow.test/story/1"):
            time.sleep(0.05)
        redis_server.stop()  # every key is gone: queue, leases, due times
        time.sleep(1.0)
        redis_server.start()
        _wait_for(remotes, expected, procs, timeout_s=90)
    finally:
        stop(procs)
    for site in SITES:
        fsck(remotes / f"{site}.git")
    runs = _runs(logs)
    _check_no_overlap(runs)
    assert sorted({site for site, *_ in runs}) == SITES
    shutil.rmtree(tmp_path / "redis", ignore_errors=True)
