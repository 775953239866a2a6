"""After a run's commits are in git: push them to the remote, then run the hooks.

:func:`publish_run` is what ``gitnews run`` (and every cycle of ``run
--watch``) does once its commits are in git: it pushes when the archive is
set to (``[publish] push``) and the remote lacks commits, then runs the
hooks (``[hooks] on_change``, ``[hooks] webhook_url``) once per new version,
so that their commit ids are the pushed ones.  Nothing here undoes a commit,
and nothing raises for a failed push or hook: what happened is returned
(:class:`Publication`) for the caller to report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gitnews.archive.repo import Archive
from gitnews.errors import ConfigError, PushError, StoreError
from gitnews.models import RunResult
from gitnews.ops.push import PushResult, push_archive, push_pending
from gitnews.output.hooks import HookReport, notify_changes

__all__ = ["PushStep", "Publication", "try_push", "push_if_pending", "publish_run"]


@dataclass(frozen=True)
class PushStep:
    """What pushing after a run did: ``result`` when it pushed (or found the
    remote up to date), ``error`` (the message) when it failed, neither when
    the remote had every commit already."""

    result: PushResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class Publication:
    """What :func:`publish_run` did: ``push`` (None: pushing was not asked for)
    and ``hooks`` (None: no hook is set)."""

    push: PushStep | None = None
    hooks: HookReport | None = None

    @property
    def ok(self) -> bool:
        """True when the push (if asked for) and every hook went well."""
        return ((self.push is None or self.push.error is None)
                and (self.hooks is None or not self.hooks.failures))


def try_push(archive: Archive, *, remote: str | None = None,
             branch: str | None = None) -> PushStep:
    """:func:`~gitnews.ops.push.push_archive`, with a push that fails
    (:class:`~gitnews.errors.PushError`, :class:`~gitnews.errors.StoreError`) as a
    :class:`PushStep` with its ``error`` instead of an exception (a
    :class:`~gitnews.errors.ConfigError` for unusable names is raised)."""
    try:
        return PushStep(result=push_archive(archive, remote=remote, branch=branch))
    except (PushError, StoreError) as exc:
        return PushStep(error=str(exc))


def push_if_pending(archive: Archive) -> PushStep:
    """Push ``archive`` to its ``[publish]`` remote when the remote may lack commits
    (this run's, or an earlier run's whose push failed); never raises for a push
    that fails or an unusable remote or branch name (:class:`~gitnews.errors.ConfigError`)."""
    try:
        pending = push_pending(archive)
    except ConfigError as exc:
        return PushStep(error=str(exc))
    return try_push(archive) if pending else PushStep()


def publish_run(archive: Archive, result: RunResult, *, push: bool | None = None,
                on_change: str | None = None,
                pushed: Callable[[PushStep], None] | None = None) -> Publication:
    """Push, then run the hooks, after the run ``result`` was committed to ``archive``
    (open, holding the write lock).

    ``push`` (default: ``[publish] push``): push when the remote lacks commits;
    ``pushed`` is called with what the push did before the hooks start.
    ``on_change`` (default: ``[hooks] on_change``; ``""``: none) is the command run
    once per new version, beside ``[hooks] webhook_url``.  A dry run does nothing.
    """
    if result.dry_run:
        return Publication()
    settings = archive.config
    step = None
    if settings.publish.push if push is None else push:
        step = push_if_pending(archive)
        if pushed is not None:
            pushed(step)
    hooks = None
    command_line = settings.hooks.on_change if on_change is None else on_change
    if command_line or settings.hooks.webhook_url:
        hooks = notify_changes(archive, result, command=command_line or None,
                               webhook_url=settings.hooks.webhook_url or None)
    return Publication(push=step, hooks=hooks)
