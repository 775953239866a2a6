"""Shared fixtures: a real loopback replay server and a way to run the real CLI.

``tests/replay.py`` is a copy of the team's ``shared/tools/replay.py``
(stdlib only): it serves a scenario folder (scenario.json + recorded pages)
on 127.0.0.1, also as an HTTP proxy so that real host names work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
SHARED = TESTS.parents[1] / "shared"


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip the test when the shared folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the team's shared corpus), absent here")
    return path


@dataclass
class Replay:
    """A running replay server: ``url`` (proxy address), ``step(n)``, ``log`` path."""

    port: int
    step_file: Path
    log: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def step(self, n: int) -> None:
        self.step_file.write_text(f"{n}\n")

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
            env.pop(k, None)
        env.update(HTTP_PROXY=self.url, http_proxy=self.url, NO_COLOR="1", **extra)
        return env

    def stop(self) -> None:
        """Stop the server (killed when it does not end within 10 s) and close its pipe."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def requests(self) -> list[dict]:
        import json

        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


def start_replay(scenario: Path, workdir: Path) -> Replay:
    port_file = workdir / "replay.port"
    step_file = workdir / "replay.step"
    log = workdir / "replay.jsonl"
    step_file.write_text("0\n")
    proc = subprocess.Popen(
        [sys.executable, str(TESTS / "replay.py"), str(scenario), "--port", "0",
         "--port-file", str(port_file), "--step-file", str(step_file), "--log", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not (port_file.exists() and port_file.read_text().strip()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"replay server did not start: {proc.stderr.read().decode()}")
        time.sleep(0.05)
    return Replay(port=int(port_file.read_text().strip()), step_file=step_file, log=log, proc=proc)


@pytest.fixture
def replay(tmp_path):
    """Factory: ``replay(scenario_dir)`` starts a server; all are stopped at the end."""
    servers: list[Replay] = []

    def start(scenario: Path) -> Replay:
        folder = tmp_path / f"replay{len(servers)}"
        folder.mkdir()
        server = start_replay(scenario, folder)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        if server.proc.stderr:
            server.proc.stderr.close()


def run_gitnews(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                check: bool = False) -> subprocess.CompletedProcess:
    """Run the real ``gitnews`` command (``python -m gitnews``) and capture its output."""
    env = dict(os.environ if env is None else env, PYTHONFAULTHANDLER="1")
    child = subprocess.Popen([sys.executable, "-m", "gitnews", *args], env=env, cwd=cwd,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        # A hang is a bug: show where every thread was (faulthandler prints on SIGABRT).
        child.send_signal(signal.SIGABRT)
        out, err = child.communicate()
        raise AssertionError(f"gitnews {' '.join(args)} hung for 300 s:\n{out}\n{err}") from None
    proc = subprocess.CompletedProcess(child.args, child.returncode, out, err)
    if check and proc.returncode != 0:
        raise AssertionError(f"gitnews {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return its stdout."""
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def init_test_archive(archive: Path, *, min_delay_s: float = 0.0, **fetch: object) -> Path:
    """``gitnews init`` an archive whose politeness suits a loopback server:
    no delay between requests to one host (and other ``[fetch]`` keys as given),
    committed so that the working tree stays clean."""
    run_gitnews("init", "--archive", str(archive), check=True)
    config = archive / "gitnews.toml"
    text = config.read_text(encoding="utf-8")
    import re

    for key, value in {"min_delay_s": min_delay_s, **fetch}.items():
        rendered = repr(value) if not isinstance(value, str) else f'"{value}"'
        if isinstance(value, (list, bool)):
            rendered = str(value).replace("'", '"').lower() if isinstance(value, bool) \
                else "[" + ", ".join(f'"{v}"' for v in value) + "]"
        text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {rendered}", text, count=1)
        assert n == 1, key
    config.write_text(text, encoding="utf-8")
    git(archive, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q",
        "-am", "Test settings")
    return archive


@pytest.fixture
def polite_proxy(monkeypatch):
    """A :class:`politeserver.PoliteServer` on loopback, set as this test's HTTP proxy
    (and no other proxy), so that the real host names of its routes work."""
    from politeserver import PoliteServer

    s = PoliteServer()
    for key, value in s.env({}).items():
        monkeypatch.setenv(key, value)
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    yield s
    s.close()
