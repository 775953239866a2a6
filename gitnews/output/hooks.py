"""Hooks: tell someone about each new version (a command, a webhook).

After a run's commits are in git, :func:`notify_changes` builds one *change
event* per new version (:func:`change_event`, a JSON object) and

* runs the ``on_change`` shell command once per version, in the archive's
  folder, with the event as JSON on its stdin and ``GITNEWS_URL``,
  ``GITNEWS_VERSION``, ``GITNEWS_PATH``, ``GITNEWS_COMMIT``, ``GITNEWS_KIND``
  and ``GITNEWS_ARCHIVE`` in its environment;
* POSTs the same JSON to the ``webhook_url`` (:func:`gitnews.sources.webhook.post_json`).

``[hooks] min_significance`` and ``kinds`` choose the versions both hooks run for
(the ``Significance`` and ``Change-Kind`` trailers; docs/hooks.md, "Which versions").

A hook that fails (non-zero exit status, timeout, HTTP error) is reported per
version in the :class:`HookReport`; it never undoes or blocks a commit.  The
event's fields are documented in ``docs/hooks.md``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from gitnews.archive.gitrun import GitError
from gitnews.archive.history import end_walk, file_history, iter_commits, same_text
from gitnews.archive.objects import read_version, unified_diff
from gitnews.archive.repo import Archive
from gitnews.errors import GitnewsError, HookError
from gitnews.format.trailers import (
    ARTICLE_URL,
    CHANGE_KIND,
    FETCHED_AT,
    KIND_OUTSIDE_EDIT,
    VERSION,
    format_time,
)
from gitnews.models import Outcome, RunResult, Version
from gitnews.versions.significance import passes

if TYPE_CHECKING:
    import git

__all__ = ["EVENT_SCHEMA", "ChangeEvent", "HookFailure", "HookReport", "change_event", "find_versions",
           "run_command", "notify_versions", "notify_changes"]

#: The version of the event's layout; raised when a field changes meaning or goes away.
EVENT_SCHEMA = 1

#: Paths given to one ``git log`` as a pathspec; more are filtered in Python.
_MAX_PATHSPECS = 200
_TAIL_CHARS = 500


class ChangeEvent(TypedDict):
    """The change event of one version, as JSON (:func:`change_event`, ``docs/hooks.md``)."""

    schema: int
    kind: str
    url: str | None
    path: str
    version: int
    previous_version: int | None
    commit: str
    fetched_at: str
    headline: str | None
    subject: str
    trailers: dict[str, str]
    diff_unified: str


@dataclass
class HookFailure:
    """One hook that failed for one version: ``target`` is "command" or "webhook"."""

    path: str
    version: int
    target: str
    message: str


@dataclass
class HookReport:
    """What :func:`notify_changes` did: ``events`` built, ``commands`` run,
    ``posts`` sent, each failure, and ``filtered``: the versions that
    ``[hooks] min_significance`` / ``kinds`` left out (no hook ran for them)."""

    events: int = 0
    commands: int = 0
    posts: int = 0
    failures: list[HookFailure] = field(default_factory=list)
    filtered: int = 0


def _headline(repo: git.Repo, commit: str, path: str) -> str | None:

    try:
        data = read_version(repo, commit, path)
    except GitError:
        return None
    return data.split(b"\n", 1)[0].decode("utf-8", "replace") or None


def change_event(repo: git.Repo, version: Version) -> ChangeEvent:
    """The JSON-ready change event of one version (see ``docs/hooks.md``).

    Keys: ``schema`` (int, :data:`EVENT_SCHEMA`), ``kind`` ("new" for version
    1, "removed" when the file was deleted, else "changed"), ``url`` (the
    ``Article-Url`` trailer), ``path``, ``version`` (int), ``previous_version``
    (int or None), ``commit`` (full id), ``fetched_at`` (RFC 3339 UTC),
    ``headline`` (line 1 of the file; of the last version for a removal),
    ``subject`` (the commit's subject), ``trailers`` (key -> value) and
    ``diff_unified`` (str: the commit's unified diff of the file, as
    ``git diff <commit>~1 <commit> -- <path>`` prints it with git's default
    settings).  Callers may add keys (richer diffs); none is ever removed
    without raising ``schema``.
    """
    kind = "removed" if version.removed else "new" if version.number == 1 else "changed"
    where = f"{version.commit}~1" if version.removed else version.commit
    return {
        "schema": EVENT_SCHEMA,
        "kind": kind,
        "url": version.trailers.get(ARTICLE_URL),
        "path": version.path,
        "version": version.number,
        "previous_version": version.number - 1 if version.number > 1 else None,
        "commit": version.commit,
        "fetched_at": version.trailers.get(FETCHED_AT) or format_time(version.fetched_at),
        "headline": _headline(repo, where, version.path),
        "subject": version.subject,
        "trailers": dict(version.trailers),
        "diff_unified": unified_diff(repo, version.commit, version.path),
    }


def find_versions(repo: git.Repo, wanted: Iterable[tuple[str, int]]) -> list[Version]:
    """The versions named by ``(path, version number)`` pairs, oldest first.

    Walks the history newest first in one ``git log`` and stops once every
    pair is found (a run's versions are the newest commits), matching each
    commit that changed ``path`` and whose ``Version`` trailer is the number.
    Pairs not found are left out.
    """

    remaining = {(p, int(n)) for p, n in wanted}
    if not remaining:
        return []
    paths = sorted({p for p, _ in remaining})
    found: list[Version] = []
    walk = iter_commits(repo, "HEAD", reverse=False,
                        paths=paths if len(paths) <= _MAX_PATHSPECS else None)
    try:
        for entry in walk:
            trailers = entry.trailers
            try:
                number = int(trailers.get(VERSION, ""))
            except ValueError:
                continue
            for status, path in entry.changes:
                if (path, number) in remaining:
                    remaining.discard((path, number))
                    found.append(entry.version(path, number, status=status, trailers=trailers))
            if not remaining:
                break
    finally:
        end_walk(walk)
    found.reverse()
    return found


def _same_text(repo: git.Repo, version: Version) -> bool:
    """Whether ``version`` only put back the text of the version before it (only a
    version committed after an outside edit can: one ``git log`` of its file then)."""
    if version.number < 2 or KIND_OUTSIDE_EDIT not in version.trailers.get(CHANGE_KIND, ""):
        return False
    found = file_history(repo, version.path)[0]
    return len(found) >= version.number and \
        same_text(found[version.number - 2], found[version.number - 1])


def _tail(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return ("…" + text[-_TAIL_CHARS:]) if len(text) > _TAIL_CHARS else text


def run_command(command: str, event: ChangeEvent, *, cwd: Path, timeout_s: float = 60.0) -> None:
    """Run the shell ``command`` once for ``event`` (JSON on stdin, GITNEWS_* variables).

    The command runs in ``cwd`` through the system shell (``/bin/sh -c`` on
    POSIX), its output is captured; after ``timeout_s`` seconds it is killed
    with its children.  Raises :class:`~gitnews.errors.HookError` when it
    cannot start, exits non-zero or times out (the message ends with the last
    lines it printed).
    """
    env = {**os.environ,
           "GITNEWS_URL": event.get("url") or "",
           "GITNEWS_VERSION": str(event.get("version", "")),
           "GITNEWS_PATH": event.get("path") or "",
           "GITNEWS_COMMIT": event.get("commit") or "",
           "GITNEWS_KIND": event.get("kind") or "",
           "GITNEWS_ARCHIVE": str(Path(cwd).resolve())}
    data = json.dumps(event, ensure_ascii=False).encode("utf-8")
    posix = os.name == "posix"
    try:
        proc = subprocess.Popen(command, shell=True, cwd=cwd, env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=posix)
    except OSError as exc:
        raise HookError(f"could not start the on-change command {command!r}: {exc}") from None
    try:
        out, err = proc.communicate(data, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        if posix:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:  # pragma: no cover - Windows
            proc.kill()
        proc.communicate()
        raise HookError(f"the on-change command {command!r} took longer than {timeout_s:g} s "
                        "([hooks] timeout_s) and was stopped") from None
    if proc.returncode != 0:
        said = _tail(err) or _tail(out)
        raise HookError(f"the on-change command {command!r} exited with status "
                        f"{proc.returncode}" + (f": {said}" if said else ""))


def notify_versions(archive: Archive, versions: Iterable[Version], *,
                    command: str | None = None, webhook_url: str | None = None,
                    timeout_s: float | None = None) -> HookReport:
    """Run ``command`` and POST to ``webhook_url`` once per version, in the order given.

    ``timeout_s`` defaults to ``[hooks] timeout_s``.  Never raises for a
    failing hook: each failure is in the report.
    """
    from gitnews.sources.webhook import post_json

    timeout_s = archive.config.hooks.timeout_s if timeout_s is None else timeout_s
    report = HookReport()
    for version in versions:
        event = change_event(archive.repo, version)
        report.events += 1
        if command:
            report.commands += 1
            try:
                run_command(command, event, cwd=archive.path, timeout_s=timeout_s)
            except HookError as exc:
                report.failures.append(HookFailure(version.path, version.number, "command",
                                                   str(exc)))
        if webhook_url:
            report.posts += 1
            try:
                post_json(webhook_url, event, timeout_s=timeout_s,
                          contact=archive.config.fetch.contact)
            except GitnewsError as exc:
                report.failures.append(HookFailure(version.path, version.number, "webhook",
                                                   str(exc)))
    return report


def notify_changes(archive: Archive, result: RunResult, *, command: str | None = None,
                   webhook_url: str | None = None,
                   timeout_s: float | None = None) -> HookReport:
    """The hooks of one run: once per NEW or CHANGED article of ``result``, oldest first.

    Call it after the run (and after a push, so that ``commit`` is the id the
    remote has).  A dry run, or no hook, does nothing.  A version that cannot
    be found in git any more (the branch was reset meanwhile) is a failure of
    the report.  A version that only put back the text of the version before it
    after an outside edit (:func:`gitnews.archive.history.same_text`) is no change: no
    hook runs for it.  Nor does one that the ``[hooks]`` filter (``min_significance``,
    ``kinds``: :func:`gitnews.versions.significance.passes`) leaves out.
    """
    report = HookReport()
    if result.dry_run or not (command or webhook_url):
        return report
    wanted = [(i.path, i.version) for i in result.items
              if i.kind == "article" and i.outcome in (Outcome.NEW, Outcome.CHANGED)
              and i.path and i.version]
    versions = find_versions(archive.repo, wanted)
    found = {(v.path, v.number) for v in versions}
    versions = [v for v in versions if not _same_text(archive.repo, v)]
    hooks = archive.config.hooks
    if hooks.min_significance or hooks.kinds:  # [hooks] filter (docs/hooks.md)
        kept = [v for v in versions if passes(v, min_significance=hooks.min_significance or None,
                                              kinds=hooks.kinds or None)]
        filtered, versions = len(versions) - len(kept), kept
    else:
        filtered = 0
    report = notify_versions(archive, versions, command=command, webhook_url=webhook_url,
                             timeout_s=timeout_s)
    report.filtered = filtered
    for path, number in wanted:
        if (path, number) not in found:
            report.failures.append(HookFailure(
                path, number, "command" if command else "webhook",
                f"version {number} of {path} is not in the archive's history any more "
                "(was the branch reset?); no hook ran for it"))
    return report
