"""A worker's copy of an archive and its git remote: clone on first use, catch up before a
run, push after it.

The remote is the archive's truth between workers.  Before a run, :func:`catch_up` takes in
what the remote has (:func:`gitnews.ops.push.push_archive`: a fast-forward, or this
clone's unpushed commits replayed on top and pushed).  When this clone's unpushed commits
touch files the remote changed too (they were made under a lease that expired, and another
worker has since run the archive), they are dropped and the branch is set to the remote's:
those versions were recorded again by the other worker when the pages still showed them
(docs/scaling.md, "What can be lost").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitnews.archive.clone import clone_archive
from gitnews.archive.remote import has_remote, move_branch, tracking_ref
from gitnews.archive.worktree import commit_of
from gitnews.errors import PushConflictError

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive
    from gitnews.collection.manifest import Member

__all__ = ["ensure_clone", "catch_up", "push"]


def ensure_clone(member: Member) -> bool:
    """Clone ``member``'s archive from its remote when this machine has no copy; True when
    it cloned.  Raises :class:`~gitnews.errors.PushError` when the clone fails."""
    if (member.path / "gitnews.toml").exists() or member.remote is None:
        return False
    clone_archive(member.remote, member.path)
    return True


def catch_up(arc: Archive) -> str:
    """Bring ``arc`` (open for writing) up to date with its remote; a line saying what was
    done ("" when it has no remote).  Raises :class:`~gitnews.errors.PushError` when the
    remote cannot be reached."""
    from gitnews.ops.push import push_archive

    publish = arc.config.publish
    if not has_remote(arc.repo, publish.remote):
        return ""
    try:
        done = push_archive(arc)
    except PushConflictError:
        local = commit_of(arc.repo, "refs/heads/main")
        tip = commit_of(arc.repo, tracking_ref(publish.remote, publish.branch))
        if local is None or tip is None:
            raise
        move_branch(arc.repo, old=local, new=tip,
                    reason="gitnews fleet: unpushed commits of an expired lease dropped")
        return f"dropped this clone's unpushed commits (the remote changed the same files); now at {tip[:12]}"
    return (f"took {done.pulled} commit(s) from the remote" if done.pulled else "") + (
        f"; pushed {done.pushed} left from before" if done.pushed else "")


def push(arc: Archive) -> int:
    """Push ``arc``'s new commits to its remote; how many were pushed (0: none, or no
    remote).  Raises what :func:`gitnews.ops.push.push_archive` raises."""
    from gitnews.ops.push import push_archive

    if not has_remote(arc.repo, arc.config.publish.remote):
        return 0
    return push_archive(arc).pushed
