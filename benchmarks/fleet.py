"""Case ``fleet`` (issue 20): a collection of 8 archives on a loopback server whose every
answer takes 50 ms, run by 1 Celery worker and then by 2 (``celery -A gitnews.fleet worker
--pool solo``, real Redis from the system packages).  Target: 2 workers >= 1.8x the
throughput (articles recorded and pushed per second) of 1.

Timing starts when the workers are ready and the dispatcher enqueues the 8 archives; it
ends when all 8 have been run and pushed (each worker writes the archive's next due time
to Redis after its push).  Each configuration gets its own fresh collection and remotes.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

SITES = [f"site{i}.test" for i in range(8)]
#: Each archive's gap between two requests to its host (``[fetch] min_delay_s``; one
#: request at a time per host).  gitnews's default is 1 s; 0.25 s keeps the case short
#: while, as on the network, a run mostly waits for its host.  ``--quick`` uses 0.05 s,
#: where the run's own CPU work (extraction, git) is most of its time.
GAP_S = 0.25
QUICK_GAP_S = 0.05


def _run_fleet(tmp: Path, workers: int, *, articles: int, gap_s: float, redis_server,
               proxy) -> tuple[float, int]:
    import redis
    from fleet_procs import fleet_env, make_collection, member_folder, start_worker, stop
    from fleet_support import holdings, serve_sites

    from gitnews.fleet.settings import from_env
    from gitnews.fleet.tasks import dispatch

    feeds = serve_sites(proxy, SITES, articles=articles, delay_s=0.05)
    operator, remotes = make_collection(tmp, feeds, min_delay_s=gap_s)
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushdb()
    procs, logs = [], []
    for n in range(workers):
        folder = member_folder(tmp, operator, f"w{n}")
        log = tmp / f"w{n}.log"
        procs.append(start_worker(f"w{n}", fleet_env(proxy.env(), folder, redis_server.url,
                                                     lease_ttl_s=60), log))
        logs.append(log)
    try:
        deadline = time.monotonic() + 120
        while not all("ready." in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline:
                raise SystemExit("fleet: the workers did not start")
            time.sleep(0.1)
        env = fleet_env(proxy.env(), operator, redis_server.url, lease_ttl_s=60)
        settings = from_env(env)
        from celery import Celery

        sender = Celery("bench", broker=redis_server.url, set_as_current=False)
        t0 = time.perf_counter()
        sent = dispatch(settings, client, enqueue=lambda site: sender.send_task(
            "gitnews.fleet.run_archive", args=[site], queue="gitnews"))
        assert sorted(sent) == sorted(SITES), sent
        while not all(client.exists(settings.key("due", s)) for s in SITES):
            if time.perf_counter() - t0 > 600:
                raise SystemExit("fleet: the archives were not all run in 10 minutes")
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
    finally:
        stop(procs)
    recorded = sum(len(holdings(remotes / f"{s}.git")) for s in SITES)
    return elapsed, recorded


def case_fleet(args, tmp: Path):
    from run import CaseResult, Check, load, say

    res = CaseResult("fleet")
    if shutil.which("redis-server") is None:
        res.note = "redis-server is not installed: case skipped"
        say(f"fleet: {res.note}")
        return res
    try:
        import celery  # noqa: F401
    except ImportError:
        res.note = "the fleet extra (celery, redis) is not installed: case skipped"
        say(f"fleet: {res.note}")
        return res
    from fleet_procs import RedisServer
    from politeserver import PoliteServer

    articles = 8 if args.quick else 20
    gap_s = QUICK_GAP_S if args.quick else GAP_S
    redis_server = RedisServer(tmp / "redis")
    redis_server.start()
    proxy = PoliteServer()
    try:
        say(f"fleet: 8 archives x {articles} articles, 50 ms per answer, {gap_s} s between "
            f"two requests to a host (load {load()})")
        figures = {}
        for workers in (1, 2):
            elapsed, recorded = _run_fleet(tmp / f"fleet{workers}", workers, articles=articles,
                                           gap_s=gap_s, redis_server=redis_server, proxy=proxy)
            if recorded != 8 * articles:
                raise SystemExit(f"fleet: {recorded} articles recorded, not {8 * articles}")
            figures[workers] = recorded / elapsed
            say(f"  {workers} worker(s): {recorded} articles in {elapsed:.2f} s = "
                f"{recorded / elapsed:.1f} articles/s (load {load()})")
        ratio = figures[2] / figures[1]
        res.figures = {"articles": 8 * articles, "gap_s": gap_s, "per_s_1_worker": round(figures[1], 2),
                       "per_s_2_workers": round(figures[2], 2), "ratio": round(ratio, 2),
                       "load": load()}
        res.checks.append(Check("2 workers' throughput, × 1 worker's", ratio, 1.8, ">="))
    finally:
        proxy.close()
        redis_server.stop()
    return res
