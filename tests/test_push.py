"""Pushing the archive: real git, a local bare repository as the remote, and another clone
of it that pushes meanwhile (the remote "moved since the last run")."""

from __future__ import annotations

import os
import stat
import subprocess
import time

import pytest
from archive_builders import OTHER, add_version, bare_remote, head, new_archive, other_clone_commits
from conftest import git, run_gitnews
from scenario_checks import assert_versions_consistent, version_commits

from gitnews.archive.repo import open_archive
from gitnews.errors import ConfigError, PushConflictError, PushError, StoreError
from gitnews.ops.push import push_archive, push_pending

A_URL, A_PATH = "https://news.example.org/a", "news.example.org/a.txt"
B_URL, B_PATH = "https://news.example.org/b", "news.example.org/b.txt"


def env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


def push(archive, **kw):
    with open_archive(archive) as arc:
        return push_archive(arc, **kw)


def pending(archive) -> bool:
    with open_archive(archive) as arc:
        return push_pending(arc)


def test_first_push_fills_an_empty_remote_then_is_up_to_date(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    add_version(archive, A_PATH, "A\n\nOne.\n", version=1, url=A_URL)
    assert pending(archive)

    result = push(archive)
    assert (result.pushed, result.pulled, result.replayed) == (2, 0, 0)
    assert head(remote) == head(archive) == result.commit
    assert head(archive, "refs/remotes/origin/main") == head(archive)
    assert not pending(archive)

    again = run_gitnews("push", "--archive", str(archive), env=env(), check=True)
    assert "origin/main is up to date" in again.stdout


def test_remote_that_moved_gets_the_versions_replayed_on_top(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    add_version(archive, A_PATH, "A\n\nOne.\n", version=1, url=A_URL)
    push(archive)
    # Meanwhile another clone pushes a commit of its own.
    theirs = other_clone_commits(remote, tmp_path / "other", {"NOTES.md": "notes\n"},
                                 "Add notes")
    # This archive records three versions of two articles.
    mine = [add_version(archive, A_PATH, "A\n\nOne, edited.\n", version=2, url=A_URL, hours=2),
            add_version(archive, B_PATH, "B\n\nBee.\n", version=1, url=B_URL, hours=3),
            add_version(archive, A_PATH, "A\n\nOne, edited twice.\n", version=3, url=A_URL,
                        hours=4)]
    before = {sha: git(archive, "log", "-1", "--format=%an|%ae|%aI|%cn|%ce|%cI|%B", sha)
              for sha in mine}

    proc = run_gitnews("push", "--archive", str(archive), env=env(), check=True)
    assert "took in 1 commit(s)" in proc.stdout and "replayed 3 commit(s)" in proc.stdout

    # The remote has its own commit, then ours, in order, nothing lost.
    assert head(remote) == head(archive)
    log = git(archive, "log", "--format=%H %s", "main").splitlines()
    subjects = [line.split(" ", 1)[1] for line in log]
    assert subjects == ["Changed: A", "New: B", "Changed: A", "Add notes", "New: A",
                        "Start the gitnews archive"]
    assert log[3].split()[0] == theirs
    # Each replayed commit keeps its author, committer, dates and message (trailers).
    after = [line.split()[0] for line in log[:3]][::-1]
    assert set(after).isdisjoint(mine)
    for old, new in zip(mine, after, strict=False):
        assert git(archive, "log", "-1", "--format=%an|%ae|%aI|%cn|%ce|%cI|%B", new) == before[old]
        assert git(archive, "diff-tree", "--no-commit-id", "-r", "--name-only", new) == \
            git(archive, "diff-tree", "--no-commit-id", "-r", "--name-only", old)
    # Files, index and working tree match the new head; the versions still count right.
    assert git(archive, "status", "--porcelain") == ""
    assert (archive / "NOTES.md").read_text() == "notes\n"
    assert (archive / A_PATH).read_text() == "A\n\nOne, edited twice.\n"
    assert_versions_consistent(archive)
    assert [c["trailers"]["Version"] for c in version_commits(archive)] == ["1", "2", "1", "3"]
    with open_archive(archive) as arc:  # the cache follows the rewritten history
        assert arc.state.get(A_PATH).versions == 3 and arc.state.get(B_PATH).versions == 1
    assert not pending(archive)


def test_remote_ahead_only_fast_forwards_the_archive(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    push(archive)
    theirs = other_clone_commits(remote, tmp_path / "other", {"NOTES.md": "notes\n"}, "Notes")

    result = push(archive)
    assert (result.pushed, result.pulled, result.replayed) == (0, 1, 0)
    assert head(archive) == theirs == head(remote)
    assert (archive / "NOTES.md").read_text() == "notes\n"
    assert git(archive, "status", "--porcelain") == ""


def test_conflicting_remote_is_refused_and_nothing_is_lost(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    add_version(archive, A_PATH, "A\n\nOne.\n", version=1, url=A_URL)
    push(archive)
    other_clone_commits(remote, tmp_path / "other", {A_PATH: "A\n\nTheirs.\n"}, "Their A")
    remote_before = head(remote)
    add_version(archive, B_PATH, "B\n\nBee.\n", version=1, url=B_URL, hours=2)
    mine = add_version(archive, A_PATH, "A\n\nMine.\n", version=2, url=A_URL, hours=3)

    with pytest.raises(PushConflictError) as caught:
        push(archive)
    assert caught.value.paths == [A_PATH]
    assert "reset --hard origin/main" in str(caught.value)
    assert head(archive) == mine and head(remote) == remote_before
    assert (archive / A_PATH).read_text() == "A\n\nMine.\n"
    assert git(archive, "status", "--porcelain") == ""
    assert git(archive, "for-each-ref", "refs/gitnews") == ""
    assert pending(archive)  # so the next run tries again, and says so again

    proc = run_gitnews("push", "--archive", str(archive), env=env())
    assert proc.returncode == 1
    assert "push failed" in proc.stderr and A_PATH in proc.stderr
    assert head(archive) == mine

    # Keeping the remote's side, as the message says, makes the archive pushable again.
    git(archive, "reset", "-q", "--hard", "origin/main")
    assert push(archive).up_to_date


def test_a_refused_push_is_reported_and_retried_by_the_next_run(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    archive = new_archive(tmp_path / "a", remote=remote)  # tracks nothing: runs stay offline
    mine = head(archive)

    first = run_gitnews("run", "--archive", str(archive), "--push", env=env())
    assert first.returncode == 1
    assert "push failed" in first.stderr and "pre-receive hook declined" in first.stderr
    assert head(archive) == mine and pending(archive)
    assert git(remote, "for-each-ref") == ""

    # The push setting instead of the flag; the remote accepts pushes again.
    hook.unlink()
    toml = archive / "gitnews.toml"
    toml.write_text(toml.read_text().replace("push = false", "push = true"))
    git(archive, *OTHER, "commit", "-q", "-am", "Push after every run")
    second = run_gitnews("run", "--all", "--archive", str(archive), env=env())
    assert second.returncode == 0, second.stderr
    assert "pushed 2 commit(s) to origin/main" in second.stdout
    assert head(remote) == head(archive) and not pending(archive)

    # Nothing new: no push is attempted (no network), nothing is said about it.
    third = run_gitnews("run", "--all", "--archive", str(archive), env=env(), check=True)
    assert "Push" not in third.stdout
    # --no-push overrides the setting.
    toml.write_text(toml.read_text() + "\n# a note\n")
    git(archive, *OTHER, "commit", "-q", "-am", "A note")
    run_gitnews("run", "--all", "--archive", str(archive), "--no-push", env=env(), check=True)
    assert head(remote) != head(archive) and pending(archive)


def test_unreachable_or_missing_remote_says_what_to_do(tmp_path):
    archive = new_archive(tmp_path / "a")
    with pytest.raises(PushError, match="no git remote named 'origin'.*git -C .* remote add"):
        push(archive)
    git(archive, "remote", "add", "origin", str(tmp_path / "nowhere.git"))
    with pytest.raises(PushError, match="could not reach the remote 'origin'"):
        push(archive)
    assert pending(archive)
    with pytest.raises(ConfigError, match="not a usable git remote name"):
        push(archive, remote="--upload-pack=touch x")


def test_unrelated_remote_history_is_refused(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    other_clone_commits(remote, tmp_path / "other", {"README.md": "made on the web\n"},
                        "Initial commit")
    archive = new_archive(tmp_path / "a", remote=remote)
    mine = head(archive)
    with pytest.raises(PushError, match="history unrelated to the archive's"):
        push(archive)
    assert head(archive) == mine


def test_local_edits_in_the_way_stop_the_update_and_are_kept(tmp_path):
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    push(archive)
    toml = (archive / "gitnews.toml").read_text()
    other_clone_commits(remote, tmp_path / "other",
                        {"gitnews.toml": toml.replace('feeds = []', 'feeds = ["https://x.org/f"]')},
                        "Track a feed")
    mine = head(archive)
    (archive / "gitnews.toml").write_text(toml + "\n# my local note\n")

    with pytest.raises(StoreError, match="local edits"):
        push(archive)
    assert head(archive) == mine
    assert (archive / "gitnews.toml").read_text().endswith("# my local note\n")


def test_publish_and_hooks_settings_are_documented_and_checked():
    from gitnews.config import Config, HookSettings, PublishSettings, default_config_text, parse_config

    text = default_config_text()
    assert parse_config(text) == Config()
    assert "[publish]" in text and "[hooks]" in text
    cfg = parse_config('[publish]\npush = true\nremote = "github"\nbranch = "archive"\n'
                       '[hooks]\non_change = "notify-send gitnews"\ntimeout_s = 5\n')
    assert cfg.publish == PublishSettings(push=True, remote="github", branch="archive")
    assert cfg.hooks == HookSettings(on_change="notify-send gitnews", timeout_s=5.0)
    with pytest.raises(ConfigError, match="publish.push must be bool"):
        parse_config('[publish]\npush = "yes"\n')
    with pytest.raises(ConfigError, match="unknown key 'webhook' in hooks"):
        parse_config('[hooks]\nwebhook = "http://x"\n')


def test_a_bare_remote_whose_head_names_a_missing_branch_is_cloned_with_its_files(tmp_path):
    # `git init --bare` names "master" (or init.defaultBranch) as HEAD; gitnews pushes "main".
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "master", str(remote)], check=True)
    archive = new_archive(tmp_path / "a", remote=remote)
    add_version(archive, A_PATH, "A\n\nOne.\n", version=1, url=A_URL)

    proc = run_gitnews("push", "--archive", str(archive), env=env(), check=True)
    assert "HEAD now names 'main'" in proc.stdout
    assert git(remote, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True,
                   capture_output=True)
    assert (clone / A_PATH).read_text() == "A\n\nOne.\n"
    assert git(clone, "symbolic-ref", "--short", "HEAD").strip() == "main"

    # A HEAD naming a branch that exists is the remote owner's choice: left alone.
    git(remote, "branch", "other", "main")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/other")
    add_version(archive, A_PATH, "A\n\nTwo.\n", version=2, url=A_URL, hours=2)
    proc = run_gitnews("push", "--archive", str(archive), env=env(), check=True)
    assert "HEAD" not in proc.stdout
    assert git(remote, "symbolic-ref", "HEAD").strip() == "refs/heads/other"


def _config(repo, rev: str = "main") -> dict:
    import tomllib

    return tomllib.loads(git(repo, "show", f"{rev}:gitnews.toml"))


def test_two_copies_that_both_edited_gitnews_toml_are_merged(tmp_path):
    f_old, f_gone, f_a, f_b = (f"https://{h}.example.org/feed.xml"
                               for h in ("old", "gone", "mine", "theirs"))
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    run_gitnews("add", "--feed", f_old, f_gone, "--archive", str(archive), env=env(), check=True)
    add_version(archive, A_PATH, "A\n\nOne.\n", version=1, url=A_URL)
    run_gitnews("push", "--archive", str(archive), env=env(), check=True)

    # The other copy: a feed added, one removed, a setting edited by hand (on the web).
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    run_gitnews("add", "--feed", f_b, "--archive", str(other), env=env(), check=True)
    run_gitnews("remove", f_gone, "--archive", str(other), env=env(), check=True)
    toml = other / "gitnews.toml"
    toml.write_text(toml.read_text().replace("concurrency = 8", "concurrency = 4")
                    .replace("[site]", "# Edited on the web.\n[site]"))
    git(other, *OTHER, "commit", "-q", "-am", "Fewer fetches at once")
    run_gitnews("push", "--archive", str(other), env=env(), check=True)
    theirs = head(remote)

    # This copy, meanwhile: another feed added, another removed, two settings, a version.
    run_gitnews("add", "--feed", f_a, "--archive", str(archive), env=env(), check=True)
    run_gitnews("remove", f_old, "--archive", str(archive), env=env(), check=True)
    toml = archive / "gitnews.toml"
    toml.write_text(toml.read_text().replace("concurrency = 8", "concurrency = 6")
                    .replace('url = ""', 'url = "https://me.example.org/news"'))
    git(archive, *OTHER, "commit", "-q", "-am", "Settings")
    add_version(archive, A_PATH, "A\n\nOne, edited.\n", version=2, url=A_URL, hours=2)

    proc = run_gitnews("push", "--archive", str(archive), env=env())
    assert proc.returncode == 0, proc.stderr
    assert "merged this archive's gitnews.toml edits" in proc.stdout
    assert ("fetch.concurrency = 6 here and 4 on origin/main; kept origin/main's value"
            in proc.stderr)
    assert "Traceback" not in proc.stderr
    assert head(remote) == head(archive)

    merged = _config(remote)
    assert merged["feeds"] == [f_b, f_a]  # the union; both removals kept
    assert merged["fetch"]["concurrency"] == 4  # both changed it: the remote's value
    assert merged["site"]["url"] == "https://me.example.org/news"  # changed here only
    assert "# Edited on the web." in git(remote, "show", "main:gitnews.toml")  # comments kept
    assert (archive / "gitnews.toml").read_text() == git(remote, "show", "main:gitnews.toml")
    assert git(archive, "status", "--porcelain") == ""

    # One configuration commit on top (not a version); the remote's commits are all kept.
    log = git(archive, "log", "--format=%s", f"{theirs}..main").splitlines()
    assert log == ["Merge gitnews.toml with origin/main", "Changed: A"]
    assert git(archive, "diff-tree", "--no-commit-id", "-r", "--name-only", "main") == \
        "gitnews.toml\n"
    message = git(archive, "log", "-1", "--format=%B", "main")
    assert f"Track: {f_a}" in message and f"Untrack: {f_old}" in message
    assert 'Set: site.url = "https://me.example.org/news"' in message
    assert ("Conflict: fetch.concurrency = 6 here and 4 on origin/main; kept origin/main's value"
            in message)
    assert "Article-Url" not in message
    assert_versions_consistent(archive)
    assert [c["trailers"]["Version"] for c in version_commits(archive)] == ["1", "2"]

    # The other copy takes it all in with its next push.
    again = run_gitnews("push", "--archive", str(other), env=env(), check=True)
    assert "took in 2 commit(s)" in again.stdout
    assert _config(other) == merged


def test_the_same_feed_added_in_two_copies_needs_no_merge_commit(tmp_path):
    feed = "https://both.example.org/feed.xml"
    remote = bare_remote(tmp_path / "remote.git")
    archive = new_archive(tmp_path / "a", remote=remote)
    push(archive)
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(remote), str(other)], check=True)
    for copy in (other, archive):
        run_gitnews("add", "--feed", feed, "--archive", str(copy), env=env(), check=True)
        # Two commits of one second with the same parent, tree and message are one commit:
        # a second later, the copies' commits differ, as they do when made on two machines.
        time.sleep(1.1)
    assert head(other) != head(archive)
    run_gitnews("push", "--archive", str(other), env=env(), check=True)
    theirs = head(remote)

    result = push(archive)
    assert result.config_merged and not result.config_conflicts
    assert (result.pulled, result.replayed, result.pushed) == (1, 0, 0)
    assert head(archive) == head(remote) == theirs
    assert _config(archive)["feeds"] == [feed]
    assert git(archive, "status", "--porcelain") == ""
