"""Real processes for the fleet tests and benchmark: a Redis server from the system packages
on a free loopback port, Celery workers and beat of ``gitnews.fleet`` as subprocesses, and a
collection whose archives are pushed to bare remotes, with one folder per worker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from fleet_support import git, loopback_settings

from gitnews.collection.core import add
from gitnews.collection.manifest import MANIFEST_NAME, init_collection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """``redis-server --port P --save '' --appendonly no`` on 127.0.0.1 (nothing on disk:
    a restart loses every key, as a crashed Redis without persistence does)."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") \
                        from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def make_collection(tmp: Path, feeds: dict[str, str], *, min_delay_s: float = 0.05,
                    per_host: int = 1) -> tuple[Path, Path]:
    """An operator's collection with one archive per feed's site, each pushed to a bare
    remote under ``tmp/remotes``.  Returns (collection folder, remotes folder)."""
    remotes = tmp / "remotes"
    root = tmp / "operator"
    manifest = init_collection(root, remote_base=f"file://{remotes}/")
    add(manifest, list(feeds.values()), kind="feed")
    for site in feeds:
        loopback_settings(root / site, min_delay_s=min_delay_s, per_host=per_host)
        git(root / site, "push", "-q", "origin", "main")
    return root, remotes


def member_folder(tmp: Path, operator: Path, name: str) -> Path:
    """A worker's own collection folder: the manifest only (it clones what it runs)."""
    folder = tmp / name
    folder.mkdir()
    shutil.copy(operator / MANIFEST_NAME, folder / MANIFEST_NAME)
    return folder


def fleet_env(proxy_env: dict[str, str], collection: Path, redis_url: str, *,
              lease_ttl_s: float = 3.0, dispatch_s: float = 0.5) -> dict[str, str]:
    env = dict(proxy_env)
    env.update(GITNEWS_COLLECTION=str(collection), GITNEWS_REDIS_URL=redis_url,
               GITNEWS_LEASE_TTL_S=str(lease_ttl_s), GITNEWS_DISPATCH_S=str(dispatch_s),
               PYTHONUNBUFFERED="1")
    return env


def start_worker(name: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``celery -A gitnews.fleet worker --pool solo`` (one process that runs the tasks)."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "gitnews.fleet", "worker", "--pool", "solo",
         "-n", f"{name}@localhost", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-l", "info", "-Q", "gitnews"],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=log.parent)


def start_beat(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "gitnews.fleet", "beat", "-l", "info",
         "-s", str(workdir / "beat-schedule"), "--pidfile", str(workdir / "beat.pid")],
        env=env, stdout=(workdir / "beat.log").open("wb"), stderr=subprocess.STDOUT,
        cwd=workdir)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
