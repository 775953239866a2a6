"""Pushing captures (issue 16): ``gitnews/captures`` goes to the remote with ``main`` unless
``[captures] push = false``; another clone's captures are replayed on, never overwritten.
Real git: a local bare repository as the remote and a second clone of it."""

from __future__ import annotations

import subprocess
from datetime import timedelta

from archive_builders import T0, bare_remote, head, new_archive
from conftest import git

from gitnews.archive.captures import CAPTURES_REF, fetch_warc, write_capture
from gitnews.archive.remote import push_captures
from gitnews.archive.repo import open_archive
from gitnews.format.trailers import format_message, format_subject, format_time
from gitnews.models import Exchange
from gitnews.ops.push import push_archive, push_pending


def add_captured_version(archive, path: str, body: bytes, *, url: str, hours: float,
                         version: int = 1) -> str:
    """One version with its capture, in one transaction, as the Recorder writes them."""
    when = T0 + timedelta(hours=hours)
    ex = Exchange(method="GET", url=url, http_version="HTTP/1.1",
                  request_headers=(("Host", "news.example.org"),), status=200, reason="OK",
                  response_headers=(("Content-Type", "text/html"),), body=body, sent_at=when)
    with open_archive(archive) as arc, arc.transaction() as tx:
        blob = write_capture(tx, article_path=path, data=fetch_warc(ex), url=url, when=when)
        message = format_message(
            format_subject("New" if version == 1 else "Changed", "A"),
            [("Article-Url", url), ("Version", version), ("Fetched-At", format_time(when)),
             ("Capture", blob)])
        tx.commit({path: f"A\n\n{body.decode()}\n"}, message=message, when=when)
    return blob


def _set_push(archive, value: str) -> None:
    config = archive / "gitnews.toml"
    config.write_text(config.read_text().replace("push = true", f"push = {value}"))
    git(archive, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "captures.push")


def has_ref(repo, ref) -> bool:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", ref],
                          capture_output=True).returncode == 0


def test_push_sends_the_captures_then_is_up_to_date(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    blob = add_captured_version(archive, "news.example.org/a.txt", b"<p>One</p>",
                                url="https://news.example.org/a", hours=1)
    with open_archive(archive) as arc:
        result = push_archive(arc)
        assert result.captures_pushed == 1
        assert not push_pending(arc)
    assert head(remote, CAPTURES_REF) == head(archive, CAPTURES_REF)
    assert git(remote, "cat-file", "-t", blob).strip() == "blob"
    with open_archive(archive) as arc:
        assert push_archive(arc).captures_pushed == 0


def test_push_false_keeps_the_captures_local(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    _set_push(archive, "false")
    blob = add_captured_version(archive, "news.example.org/a.txt", b"<p>One</p>",
                                url="https://news.example.org/a", hours=1)
    with open_archive(archive) as arc:
        assert push_archive(arc).captures_pushed == 0
        assert not push_pending(arc)
    assert head(remote) == head(archive)
    assert not has_ref(remote, CAPTURES_REF)
    assert subprocess.run(["git", "-C", str(remote), "cat-file", "-e", blob]).returncode != 0


def test_another_clones_captures_are_kept_and_ours_replayed_on_top(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    first = add_captured_version(archive, "news.example.org/a.txt", b"<p>One</p>",
                                 url="https://news.example.org/a", hours=1)
    with open_archive(archive) as arc:
        push_archive(arc)
    # Another clone records a capture of its own and pushes it.
    other = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    git(other, "fetch", "-q", "origin", f"{CAPTURES_REF}:{CAPTURES_REF}")
    theirs = add_captured_version(other, "news.example.org/b.txt", b"<p>Bee</p>",
                                  url="https://news.example.org/b", hours=2)
    with open_archive(other) as arc:
        assert push_captures(arc.repo, remote="origin") == 1
    # This archive records one more capture: its push replays it on the remote's.
    mine = add_captured_version(archive, "news.example.org/a.txt", b"<p>One, edited</p>",
                                url="https://news.example.org/a", hours=3, version=2)
    with open_archive(archive) as arc:
        assert push_captures(arc.repo, remote="origin") == 1
    assert head(remote, CAPTURES_REF) == head(archive, CAPTURES_REF)
    subjects = git(remote, "log", "--format=%s %at", CAPTURES_REF).splitlines()
    assert [s.split()[1] for s in subjects] == ["https://news.example.org/a"] * 1 + \
        ["https://news.example.org/b", "https://news.example.org/a"]
    objects = git(remote, "rev-list", "--objects", CAPTURES_REF)
    assert all(blob in objects for blob in (first, theirs, mine))  # every capture reachable
    # The replayed commit keeps its date (the fetch time).
    assert subjects[0].split()[2] == str(int((T0 + timedelta(hours=3)).timestamp()))
