"""Hooks: the change event, the on-change command (a real subprocess reading its stdin),
the webhook (a real HTTP server on 127.0.0.1), and ``gitnews run --on-change`` end to end
through the replay server serving the recorded seed-guardian pages."""

from __future__ import annotations

import json
import shlex
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from archive_builders import add_version, bare_remote, head, new_archive, other_clone_commits
from conftest import DATA, git, run_gitnews

from gitnews.archive.history import versions
from gitnews.archive.repo import open_archive
from gitnews.errors import HookError
from gitnews.models import ItemResult, Outcome, RunResult
from gitnews.output.hooks import change_event, find_versions, notify_changes, notify_versions, run_command

A_URL, A_PATH = "https://news.example.org/a", "news.example.org/a.txt"
B_URL, B_PATH = "https://news.example.org/b", "news.example.org/b.txt"
SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")

RECORDER = r'''
import json, os, sys
event = json.loads(sys.stdin.buffer.read().decode("utf-8"))
env = {k: v for k, v in os.environ.items() if k.startswith("GITNEWS_")}
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps({"event": event, "env": env, "cwd": os.getcwd()}) + "\n")
'''


@pytest.fixture
def recorder(tmp_path):
    """``(command, read)``: a hook command that records what it gets, and a reader."""
    script = tmp_path / "record_event.py"
    script.write_text(RECORDER, encoding="utf-8")
    log = tmp_path / "events.jsonl"
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(log))}"

    def read() -> list[dict]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return command, read


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers["Content-Type"], json.loads(body)))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received, server.status = [], 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/gitnews"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_proxy(monkeypatch):
    for key in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                "all_proxy"):
        monkeypatch.delenv(key, raising=False)


def two_versions(tmp_path):
    archive = new_archive(tmp_path / "a")
    add_version(archive, A_PATH, "Minister resigns\n\nThe minister resigned.\n", version=1,
                url=A_URL)
    add_version(archive, B_PATH, "Other story\n\nText.\n", version=1, url=B_URL, hours=2)
    add_version(archive, A_PATH, "Minister resigns after vote\n\nThe minister resigned on "
                "Tuesday.\n", version=2, url=A_URL, hours=7)
    return archive


def test_change_event_carries_the_version_and_its_diff(tmp_path):
    archive = two_versions(tmp_path)
    with open_archive(archive) as arc:
        v1, v2 = versions(arc.repo, A_PATH)
        event = change_event(arc.repo, v2)
        first = change_event(arc.repo, v1)
    assert event["kind"] == "changed" and first["kind"] == "new"
    assert (event["url"], event["path"], event["version"], event["previous_version"]) == \
        (A_URL, A_PATH, 2, 1)
    assert event["commit"] == head(archive) and first["commit"] == v1.commit
    assert event["headline"] == "Minister resigns after vote"
    assert event["fetched_at"] == "2016-09-29T17:02:00Z"
    assert event["subject"] == "Changed: Minister resigns after vote"
    assert event["trailers"]["Version"] == "2" and first["previous_version"] is None
    # The diff is exactly what plain git shows for the commit.
    assert event["diff_unified"] == git(archive, "diff", f"{v2.commit}~1", v2.commit, "--", A_PATH)
    assert "-The minister resigned." in event["diff_unified"]
    assert "+The minister resigned on Tuesday." in event["diff_unified"]
    assert first["diff_unified"] == git(archive, "diff", f"{v1.commit}~1", v1.commit, "--", A_PATH)
    assert "new file mode" in first["diff_unified"]
    json.dumps(event)  # JSON-ready


def test_removed_version_event_names_the_last_headline(tmp_path):
    archive = two_versions(tmp_path)
    with open_archive(archive) as arc:
        with arc.transaction() as tx:
            tx.commit({A_PATH: None}, message=f"Removed: Minister resigns after vote\n\n"
                      f"Article-Url: {A_URL}\nVersion: 3\n",
                      when=datetime(2016, 9, 30, tzinfo=UTC))
        (found,) = find_versions(arc.repo, [(A_PATH, 3)])
        event = change_event(arc.repo, found)
    assert found.removed and event["kind"] == "removed" and event["version"] == 3
    assert event["headline"] == "Minister resigns after vote"
    assert "deleted file mode" in event["diff_unified"]


def test_find_versions_returns_them_oldest_first(tmp_path):
    archive = two_versions(tmp_path)
    with open_archive(archive) as arc:
        found = find_versions(arc.repo, [(A_PATH, 2), (B_PATH, 1), (A_PATH, 1), (A_PATH, 9)])
    assert [(v.path, v.number) for v in found] == [(A_PATH, 1), (B_PATH, 1), (A_PATH, 2)]
    assert found[-1].commit == head(archive)


def test_command_gets_json_on_stdin_and_the_environment(tmp_path, recorder):
    archive = two_versions(tmp_path)
    command, read = recorder
    with open_archive(archive) as arc:
        (v2,) = find_versions(arc.repo, [(A_PATH, 2)])
        event = change_event(arc.repo, v2)
        run_command(command, event, cwd=archive, timeout_s=60)
    (got,) = read()
    assert got["event"] == event
    assert got["env"]["GITNEWS_URL"] == A_URL and got["env"]["GITNEWS_VERSION"] == "2"
    assert got["env"]["GITNEWS_PATH"] == A_PATH and got["env"]["GITNEWS_COMMIT"] == v2.commit
    assert got["env"]["GITNEWS_KIND"] == "changed"
    assert got["cwd"] == str(archive.resolve())


def test_failing_or_hanging_command_raises_a_hook_error(tmp_path):
    archive = two_versions(tmp_path)
    event = {"url": A_URL, "version": 2, "path": A_PATH}
    with pytest.raises(HookError, match=r"exited with status 3: no mail server"):
        run_command("echo 'no mail server' >&2; exit 3", event, cwd=archive)
    with pytest.raises(HookError, match=r"took longer than 0\.5 s .*stopped"):
        run_command("sleep 30 & sleep 30", event, cwd=archive, timeout_s=0.5)
    with pytest.raises(HookError, match="exited with status 127"):
        run_command("no-such-command-gitnews", event, cwd=archive)


def test_webhook_gets_the_same_event_and_failures_are_reported(tmp_path, webhook, no_proxy,
                                                               recorder):
    archive = two_versions(tmp_path)
    command, read = recorder
    with open_archive(archive) as arc:
        found = find_versions(arc.repo, [(A_PATH, 1), (A_PATH, 2)])
        report = notify_versions(arc, found, command=command, webhook_url=webhook.url)
        assert (report.events, report.commands, report.posts, report.failures) == (2, 2, 2, [])
        assert [body for _, body in webhook.received] == [r["event"] for r in read()]
        assert webhook.received[0][0] == "application/json; charset=utf-8"
        assert [body["version"] for _, body in webhook.received] == [1, 2]

        webhook.status = 500
        report = notify_versions(arc, found[1:], command="exit 1", webhook_url=webhook.url)
    assert [(f.target, f.path, f.version) for f in report.failures] == \
        [("command", A_PATH, 2), ("webhook", A_PATH, 2)]
    assert "HTTP 500" in report.failures[1].message


def test_run_on_change_after_push_end_to_end(replay, tmp_path, recorder):
    """seed-guardian through the replay proxy: one event per new version, after the push,
    whose commit is the id the remote has (the remote moved, so the version was replayed)."""
    command, read = recorder
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    run_gitnews("add", "--archive", str(archive), "http://www.theguardian.com/society/rss",
                env=env, check=True)
    first = run_gitnews("run", "--archive", str(archive), "--push", "--on-change", command,
                        env=env, check=True)
    assert "Hooks: ran the on-change command 1 time(s), 0 failed" in first.stdout
    assert head(remote) == head(archive)
    (new,) = read()
    assert new["event"]["kind"] == "new" and new["event"]["url"] == SEED_URL
    assert new["event"]["path"] == SEED_PATH and new["event"]["version"] == 1

    other_clone_commits(remote, tmp_path / "other", {"NOTES.md": "notes\n"}, "Notes")
    server.step(1)
    second = run_gitnews("run", "--all", "--archive", str(archive), "--push", "--on-change", command,
                         env=env, check=True)
    assert "replayed 1 commit(s)" in second.stdout
    _, changed = read()
    event = changed["event"]
    assert (event["kind"], event["version"], event["path"]) == ("changed", 2, SEED_PATH)
    assert event["commit"] == head(archive) == head(remote)
    assert changed["env"]["GITNEWS_URL"] == SEED_URL and changed["env"]["GITNEWS_VERSION"] == "2"
    lines = event["diff_unified"].splitlines()
    (removed,) = [ln[1:] for ln in lines if ln.startswith("-") and not ln.startswith("---")]
    (added,) = [ln[1:] for ln in lines if ln.startswith("+") and not ln.startswith("+++")]
    assert "modus operundi." in removed
    assert added == removed.replace("modus operundi.", "modus operandi.")

    # A failing hook is reported per version; the version is committed all the same.
    server.step(0)  # the page goes back to its first text: a new version 3
    failing = run_gitnews("run", "--all", "--archive", str(archive), "--on-change",
                          "echo 'alert service down' >&2; exit 4", env=env)
    assert failing.returncode == 1
    assert f"FAILED command hook for {SEED_PATH} v3" in failing.stderr
    assert "alert service down" in failing.stderr
    assert "CHANGED 1" in failing.stdout
    assert git(archive, "log", "-1", "--format=%(trailers:key=Version,valueonly)").strip() == "3"


def test_dry_run_runs_no_hook(tmp_path, recorder):
    archive = two_versions(tmp_path)
    command, read = recorder
    result = RunResult(dry_run=True, items=[ItemResult(url=A_URL, outcome=Outcome.CHANGED,
                                                       path=A_PATH, version=2)])
    with open_archive(archive) as arc:
        assert notify_changes(arc, result, command=command).events == 0
        result.dry_run = False
        assert notify_changes(arc, result, command=command).events == 1
    assert [r["event"]["version"] for r in read()] == [2]
