"""Push the archive to its git remote, taking in what the remote got meanwhile.

:func:`push_archive` is ``gitnews push`` and the end of ``gitnews run --push``:

1. ask the remote for its branch (:func:`gitnews.archive.remote.fetch_branch`);
2. when the remote has nothing new, push (a fast-forward);
3. when only the remote moved, fast-forward the archive to it (nothing to push);
4. when both moved since they parted (another clone pushed while this one
   ran), replay the archive's commits on top of the remote's
   (:func:`gitnews.archive.remote.replay_commits`, a rebase that keeps the fetch-time
   dates) and push those;
5. when git refuses the push because the remote moved again in between, start
   over (at most ``attempts`` times).

The replay is refused, and nothing is pushed or rewritten, when a file was
changed on both sides (:class:`~gitnews.errors.PushConflictError`): the
archive's ``Version`` trailers count the version commits of a file, so a
version of one article recorded by two clones cannot be put in one line
without renumbering history.  The same holds for a file added on both sides
and unrelated histories.  ``gitnews.toml`` edited on both sides is merged
instead (:func:`gitnews.config.merge_config`, a three-way merge against the
common ancestor: the union of feeds and articles, removals kept, a setting
changed differently on both sides keeps the remote's value and is reported):
this side's edits of it are left out of the replay and one configuration
commit on top (``Merge gitnews.toml with <remote>/<branch>``) sets the merged
file.

Whether a push is still owed is :func:`push_pending`: the archive's branch
differs from the remote-tracking ref that the last successful push set
(``refs/remotes/<remote>/<branch>``), so a failed push is tried again on the
next run without any extra bookkeeping.  Every git command is in
:mod:`gitnews.archive.remote`; this module only decides.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gitnews.archive.captures import CAPTURES_BRANCH, CAPTURES_REF
from gitnews.archive.remote import (
    BRANCH,
    commit_of,
    commits_between,
    count_commits,
    fetch_branch,
    file_text,
    has_merges,
    has_remote,
    is_ancestor,
    merge_base,
    move_branch,
    push_branch,
    push_captures,
    replay_commits,
    set_remote_head,
    touched_paths,
    tracking_ref,
)
from gitnews.archive.repo import Archive
from gitnews.config import CONFIG_NAME, ConfigMerge, merge_config
from gitnews.errors import ConfigError, PushConflictError, PushError

__all__ = ["PushResult", "push_archive", "push_pending", "describe_conflict"]

_BAD_NAME = re.compile(r"(^-)|[\s~^:?*\[\\]|\.\.|@\{|(\.lock$)|(^/)|(/$)|//")


@dataclass
class PushResult:
    """What :func:`push_archive` did.

    ``commit`` is the branch's commit on the remote afterwards (None when
    there is none); ``pushed`` counts the archive's commits the remote did not
    have, ``pulled`` the remote's commits taken into the archive, ``replayed``
    the archive's commits re-created on top of those (a rebase).
    """

    remote: str
    branch: str
    commit: str | None
    pushed: int = 0
    pulled: int = 0
    replayed: int = 0
    #: True when the remote (a local bare repository) had a HEAD naming a missing
    #: branch and now names ``branch`` (see :func:`gitnews.archive.remote.set_remote_head`).
    remote_head_set: bool = False
    #: True when both sides had edited gitnews.toml and the two were merged
    #: (:func:`gitnews.config.merge_config`); ``config_conflicts`` then lists the
    #: settings changed differently on both sides as ``(key, this archive's value,
    #: the remote's value)``: the remote's value was kept (None: not set).
    config_merged: bool = False
    config_conflicts: list[tuple[str, object, object]] = field(default_factory=list)
    #: Commits of ``gitnews/captures`` the remote got (issue 16; 0 with ``[captures] push = false``).
    captures_pushed: int = 0

    @property
    def up_to_date(self) -> bool:
        """True when the archive and the remote already had the same commits."""
        return not (self.pushed or self.pulled)


def _settings(archive: Archive, remote: str | None, branch: str | None) -> tuple[str, str]:
    remote = archive.config.publish.remote if remote is None else remote
    branch = archive.config.publish.branch if branch is None else branch
    for what, name in (("remote", remote), ("branch", branch)):
        if not name or _BAD_NAME.search(name) or any(ord(c) < 32 for c in name):
            raise ConfigError(f"[publish] {what} = {name!r} is not a usable git {what} name; "
                              f"set [publish] {what} in gitnews.toml (e.g. \"origin\", \"main\")")
    return remote, branch


def push_pending(archive: Archive, *, remote: str | None = None,
                 branch: str | None = None) -> bool:
    """True when the archive has commits its remote may lack (no network is used).

    That is when the archive's branch is not the commit that the last fetch or
    push recorded for ``branch`` on ``remote`` (defaults: ``[publish]``), also
    when nothing was ever pushed.  Raises :class:`~gitnews.errors.ConfigError`
    for an unusable remote or branch name.
    """
    remote, branch = _settings(archive, remote, branch)
    local = commit_of(archive.repo, f"refs/heads/{BRANCH}")
    if archive.config.captures.push:  # captures not pushed yet (e.g. push = true set later)
        mine = commit_of(archive.repo, CAPTURES_REF)
        if mine is not None and mine != commit_of(archive.repo,
                                                  tracking_ref(remote, CAPTURES_BRANCH)):
            return True
    return local is not None and local != commit_of(archive.repo, tracking_ref(remote, branch))


def push_archive(archive: Archive, *, remote: str | None = None, branch: str | None = None,
                 timeout_s: float | None = None, attempts: int = 3) -> PushResult:
    """Push the archive's branch (:func:`_push_main`), then its captures
    (``gitnews/captures``, :func:`gitnews.archive.remote.push_captures`) unless
    ``[captures] push = false``; ``captures_pushed`` counts the capture commits sent."""
    result = _push_main(archive, remote=remote, branch=branch, timeout_s=timeout_s,
                        attempts=attempts)
    if archive.config.captures.push:
        result.captures_pushed = push_captures(
            archive.repo, remote=result.remote,
            timeout_s=archive.config.publish.timeout_s if timeout_s is None else timeout_s)
    return result


def _push_main(archive: Archive, *, remote: str | None = None, branch: str | None = None,
               timeout_s: float | None = None, attempts: int = 3) -> PushResult:
    """Push the archive's branch to ``branch`` on ``remote``, replaying on the remote's first.

    ``remote``, ``branch`` and ``timeout_s`` (seconds per network command)
    default to the archive's ``[publish]`` settings.  Never forces a push and
    never drops a commit.  Raises :class:`~gitnews.errors.PushConflictError`
    when both sides changed the same files, :class:`~gitnews.errors.PushError`
    when the remote is missing, unreachable, refuses the push or has an
    unrelated history, :class:`~gitnews.errors.StoreError` when the working
    tree has local edits in the way, :class:`~gitnews.errors.ConfigError` for
    unusable names.  In every failure the archive keeps all its commits.
    """
    remote, branch = _settings(archive, remote, branch)
    timeout_s = archive.config.publish.timeout_s if timeout_s is None else timeout_s
    if not has_remote(archive.repo, remote):
        raise PushError(f"the archive has no git remote named {remote!r}; add one with "
                        f"`git -C {archive.path} remote add {remote} URL` (or name another in "
                        "[publish] remote of gitnews.toml)", remote=remote)
    repo = archive.repo
    for attempt in range(max(1, attempts)):
        local = commit_of(repo, f"refs/heads/{BRANCH}")
        if local is None:
            raise PushError(f"the archive at {archive.path} has no commits to push",
                            remote=remote)
        tip = fetch_branch(repo, remote=remote, branch=branch, timeout_s=timeout_s)
        result = PushResult(remote=remote, branch=branch, commit=tip)
        if tip == local:
            result.remote_head_set = set_remote_head(repo, remote=remote, branch=branch)
            return result
        if tip is None or is_ancestor(repo, tip, local):
            result.pushed = count_commits(repo, local if tip is None else f"{tip}..{local}")
        elif is_ancestor(repo, local, tip):
            result.pulled = count_commits(repo, f"{local}..{tip}")
            move_branch(repo, old=local, new=tip,
                              reason=f"gitnews push: fast-forward to {remote}/{branch}")
            return result
        else:
            result.pulled, result.replayed, merge = _replay(archive, local=local, tip=tip,
                                                            remote=remote, branch=branch)
            result.pushed = result.replayed
            if merge is not None:
                result.config_merged = True
                result.config_conflicts = merge.conflicts
        try:
            result.commit = push_branch(repo, remote=remote, branch=branch,
                                              timeout_s=timeout_s)
            result.remote_head_set = set_remote_head(repo, remote=remote, branch=branch)
            return result
        except PushError as exc:
            if not exc.behind or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _replay(archive: Archive, *, local: str, tip: str, remote: str,
            branch: str) -> tuple[int, int, ConfigMerge | None]:
    """Replay ``base..local`` on ``tip``; returns (remote commits taken, commits made on
    top of them, the gitnews.toml merge or None)."""
    repo = archive.repo
    base = merge_base(repo, local, tip)
    if base is None:
        raise PushError(
            f"the branch {branch!r} of the remote {remote!r} has a history unrelated to the "
            f"archive's (it was not cloned from it, nor pushed from it); push to an empty "
            f"repository, or replace the remote's branch with the archive's by hand "
            f"(`git -C {archive.path} push --force {remote} {BRANCH}:{branch}`)",
            remote=remote)
    if has_merges(repo, f"{base}..{local}"):
        raise PushError(f"the archive has merge commits since it parted from {remote}/{branch}; "
                        "gitnews replays only a linear history: integrate the remote's "
                        f"commits by hand (`git -C {archive.path} pull --rebase {remote} "
                        f"{branch}`), then push", remote=remote)
    both = sorted(touched_paths(repo, f"{base}..{local}") & touched_paths(repo, f"{base}..{tip}"))
    merge = None
    if CONFIG_NAME in both:
        both.remove(CONFIG_NAME)
        if not both:
            merge = _merge_config(archive, base=base, local=local, tip=tip, remote=remote,
                                  branch=branch)
    if both:
        shown = ", ".join(both[:5]) + (f" and {len(both) - 5} more" if len(both) > 5 else "")
        raise PushConflictError(
            f"the remote {remote!r} and this archive both changed {shown} since "
            f"{base[:12]} (gitnews running in two places?); nothing was pushed and the "
            f"archive's commits are kept. To keep the remote's history, "
            f"`git -C {archive.path} reset --hard {remote}/{branch}` (the next run checks "
            f"those articles again); to keep this archive's, "
            f"`git -C {archive.path} push --force {remote} {BRANCH}:{branch}`",
            remote=remote, paths=both)
    mine = commits_between(repo, f"{base}..{local}")
    if merge is None:
        new = replay_commits(repo, mine, onto=tip)
    else:
        # This side's edits of gitnews.toml are not replayed one by one: one commit on
        # top sets the merged file (none when the remote's file already is the merge).
        then = None
        if merge.text != file_text(repo, tip, CONFIG_NAME):
            then = ({CONFIG_NAME: merge.text}, _merge_message(merge, f"{remote}/{branch}"),
                    archive.author(), datetime.now(UTC))
        new = replay_commits(repo, mine, onto=tip,
                                   leave_out=frozenset({CONFIG_NAME}), then=then)
    move_branch(repo, old=local, new=new[-1] if new else tip,
                      reason=f"gitnews push: replay {len(mine)} commit(s) on {remote}/{branch}")
    if merge is not None:
        archive.reload_config()
    return count_commits(repo, f"{base}..{tip}"), len(new), merge


def _merge_config(archive: Archive, *, base: str, local: str, tip: str, remote: str,
                  branch: str) -> ConfigMerge:
    """Merge the two sides' gitnews.toml (see :func:`gitnews.config.merge_config`)."""
    try:
        return merge_config(file_text(archive.repo, base, CONFIG_NAME),
                            file_text(archive.repo, local, CONFIG_NAME),
                            file_text(archive.repo, tip, CONFIG_NAME))
    except ConfigError as exc:
        raise PushConflictError(
            f"the remote {remote!r} and this archive both changed {CONFIG_NAME} and the two "
            f"could not be merged: {exc}; nothing was pushed and the archive's commits are "
            f"kept. Edit {CONFIG_NAME} to hold both sides' changes, commit it, then "
            f"`git -C {archive.path} pull --rebase {remote} {branch}` and push again",
            remote=remote, paths=[CONFIG_NAME]) from None


def _show_value(value: object) -> str:
    return ("(not set)" if value is None
            else json.dumps(value, ensure_ascii=False, default=str))


def describe_conflict(key: str, mine: object, theirs: object, where: str) -> str:
    """One line for a setting that the two sides changed differently (the remote's kept)."""
    return (f"{key} = {_show_value(mine)} here and {_show_value(theirs)} on {where}; "
            f"kept {where}'s value")


def _merge_message(merge: ConfigMerge, where: str) -> str:
    """The commit message of a merged gitnews.toml: a configuration commit, no trailers
    of a version (``Track:``/``Untrack:`` lines as ``gitnews add``/``remove`` write)."""
    body = ([f"Track: {u}" for u in merge.added] + [f"Untrack: {u}" for u in merge.removed]
            + [f"Set: {key} = {_show_value(value)}" for key, value in merge.settings]
            + [f"Conflict: {describe_conflict(key, mine, theirs, where)}"
               for key, mine, theirs in merge.conflicts])
    text = f"Merge {CONFIG_NAME} with {where}\n"
    if body:
        text += "\n" + "\n".join(body) + "\n"
    return text
