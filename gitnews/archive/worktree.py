"""The archive's checkout: HEAD on the branch, the index and the working tree kept up with it.

gitnews moves the branch first (:class:`gitnews.archive.store.Transaction`,
one ``git fast-import``) and brings the index and files up to date after, once,
with a two-tree ``git read-tree -m -u`` (git-read-tree(1)):
:func:`update_worktree`, or :func:`start_update_worktree` to let it run while the
caller updates its cache.  A file holding an uncommitted edit is never
overwritten.  A run killed in between leaves the files behind the branch:
:func:`sync_worktree` catches up.  :func:`switch_unborn_head` and
:func:`head_advice` deal with a HEAD that is not on the archive's branch.

Every git command goes through :mod:`gitnews.archive.gitrun`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable

from gitnews.archive.gitrun import GitError, RepoDirs, explain, run, start
from gitnews.errors import StoreError

__all__ = ["BRANCH", "update_worktree", "start_update_worktree", "PendingUpdate", "sync_worktree",
           "switch_unborn_head", "head_advice", "commit_of", "symbolic_head", "restore_file"]

#: The archive's branch.
BRANCH = "main"


def commit_of(repo: RepoDirs, ref: str) -> str | None:
    """The commit id that ``ref`` names (``git rev-parse --verify``), None when none."""
    done = run(repo, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
    if not done.ok:
        return None
    return done.text.strip() or None


def symbolic_head(repo: RepoDirs) -> str | None:
    """The ref HEAD points at (``refs/heads/X``), None when detached."""
    done = run(repo, "symbolic-ref", "-q", "HEAD", check=False)
    return (done.text or None) if done.ok else None


def restore_file(repo: RepoDirs, path: str) -> None:
    """Put ``path`` back as HEAD has it, in the index and the working tree (``git
    checkout HEAD -- <path>``): an uncommitted edit of the file is lost.  Raises
    :class:`~gitnews.archive.gitrun.GitError` when git fails (e.g. HEAD has no such
    file)."""
    run(repo, "checkout", "HEAD", "--", path)


# -- after a transaction --------------------------------------------------------------------

def update_worktree(repo: RepoDirs, *, old: str | None, new: str,
                    notify: Callable[[str], None]) -> None:
    """Bring the index and working tree from commit ``old`` (None: no commit before)
    to the branch's new commit ``new``, after a transaction moved the branch.

    The index always ends at ``new``.  A file changed between the two that holds
    an uncommitted edit keeps that edit in the working tree (it is never
    overwritten), while its index entry takes the new version, so that a plain
    ``git commit`` cannot undo the new version; ``notify`` is told, naming the
    file and what to do.  Raises :class:`~gitnews.errors.StoreError` when the
    files cannot be brought up to date.
    """
    start_update_worktree(repo, old=old, new=new).wait(notify)


def start_update_worktree(repo: RepoDirs, *, old: str | None, new: str) -> PendingUpdate:
    """Start :func:`update_worktree` in a git process of its own and return at once;
    :meth:`PendingUpdate.wait` finishes it (and repairs, notifies or raises as
    :func:`update_worktree` does).

    The caller may do other work meanwhile (a run updates its cache: writing
    the run's files is mostly waiting for the disk), as long as it neither
    reads the working tree nor changes the index before the wait.
    """
    if repo.bare:
        return PendingUpdate(repo, old, new, None)
    return PendingUpdate(repo, old, new, start(repo, *_read_tree_args(old, new),
                                               stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE))


class PendingUpdate:
    """A working-tree update started by :func:`start_update_worktree`."""

    def __init__(self, repo: RepoDirs, old: str | None, new: str,
                 proc: subprocess.Popen[bytes] | None) -> None:
        self.repo, self.old, self.new, self._proc = repo, old, new, proc

    def wait(self, notify: Callable[[str], None]) -> None:
        """Wait for the update; when git refused it (files whose stat data changed,
        a file holding an uncommitted edit), repair as :func:`update_worktree`
        says.  Raises :class:`~gitnews.errors.StoreError` when the files cannot be
        brought up to date.  Calling it again does nothing."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.communicate()
        if proc.returncode == 0:
            return
        repo, old, new = self.repo, self.old, self.new
        try:
            # Files whose stat data changed (archive copied or restored, files touched)
            # look modified to read-tree until the index is refreshed (git-update-index(1)).
            run(repo, "update-index", "-q", "--refresh", check=False)
            kept = _stage_over_local_edits(repo, old, new)
            _read_tree(repo, old, new)
            for notice in _kept_edit_notices(repo, kept):
                notify(notice)
        except GitError as exc:
            # E.g. the index still at an older commit after an interrupted run:
            # sync_worktree knows how to catch up safely, or says why not.
            try:
                note = sync_worktree(repo)
                if note is not None:
                    notify(note)
                if note is not None or _index_matches_head(repo):
                    return
            except GitError:
                pass
            raise StoreError(
                f"the versions were committed, but the working tree could not be updated "
                f"({explain(exc.stderr.strip())}); run `git -C {repo.working_tree_dir} "
                "reset --hard` to bring the files up to date") from None


def _stage_over_local_edits(repo: RepoDirs, old: str | None, new: str) -> list[str]:
    """Give the new version's index entry (or none, for a removal) to every file
    that changed from ``old`` to ``new`` and that holds an uncommitted edit (in the
    working tree or staged); their working-tree files are left as they are.
    Returns those paths, sorted.  ``read-tree -m -u`` then keeps those entries
    (index equal to the new tree) and updates every other file."""
    if not old:
        return []
    changed = set(_nul_list(repo, "diff-tree", "-r", "--name-only", "-z", old, new))
    if not changed:
        return []
    edited = set(_nul_list(repo, "diff-files", "--name-only", "-z"))
    edited |= set(_nul_list(repo, "diff-index", "--cached", "--name-only", "-z", old))
    kept = sorted(changed & edited)
    if not kept:
        return []
    listing = run(repo, "--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", new, "--",
                  *kept).stdout
    entries: dict[str, bytes] = {}
    for rec in listing.split(b"\0"):
        if rec:  # "<mode> <type> <object>\t<path>"
            meta, _, name = rec.partition(b"\t")
            mode, _, obj = meta.split()
            entries[name.decode("utf-8", "surrogateescape")] = mode + b" " + obj
    info = b"".join(
        entries.get(p, b"0 " + b"0" * 40) + b"\t"
        + p.encode("utf-8", "surrogateescape") + b"\0" for p in kept)
    run(repo, "update-index", "-z", "--index-info", input=info)
    return kept


def _read_tree_args(old: str | None, new: str) -> tuple[str, ...]:
    return ("read-tree", "-m", "-u", old, new) if old else ("read-tree", "--reset", "-u", new)


def _read_tree(repo: RepoDirs, old: str | None, new: str) -> None:
    run(repo, *_read_tree_args(old, new))


def _kept_edit_notices(repo: RepoDirs, paths: list[str]) -> list[str]:
    """What to tell the user about files whose uncommitted edit was kept while
    gitnews committed a new version of them (one notice a file)."""
    top = os.fspath(repo.working_tree_dir or "")
    where = shlex.quote(top)
    notices = []
    for path in paths:
        q = shlex.quote(path)
        exists = os.path.lexists(os.path.join(top, path))
        indexed = bool(_nul_list(repo, "--literal-pathspecs", "ls-files", "-z", "--", path))
        if exists and indexed:
            notices.append(
                f"{path} had an uncommitted edit when gitnews committed a new version of it: "
                f"your edit was kept in the file, on top of the earlier version, and the index "
                f"now holds the new version, as the branch does (committing the file as it is "
                f"would undo the new version). See the difference with "
                f"`git -C {where} diff -- {q}`; take the new version and drop your edit with "
                f"`git -C {where} checkout -- {q}`")
        elif exists:
            notices.append(
                f"{path} had an uncommitted edit when gitnews committed its removal: your "
                f"file was kept (now untracked); delete it, or add it back with "
                f"`git -C {where} add -- {q}` if you want it in the archive")
        else:
            notices.append(
                f"{path} was deleted by hand (not committed) when gitnews committed a new "
                f"version of it: it stays deleted and the index holds the new version; get it "
                f"back with `git -C {where} checkout -- {q}`")
    return notices


# -- catching up after an interrupted run ------------------------------------------------------

def _head_tree(repo: RepoDirs) -> str | None:
    done = run(repo, "rev-parse", "--verify", "-q", "HEAD^{tree}", check=False)
    return done.text if done.ok else None


def _index_matches_head(repo: RepoDirs) -> bool:
    head = _head_tree(repo)
    if head is None:
        return False
    done = run(repo, "write-tree", check=False)
    return done.ok and done.text == head


def _is_earlier_tree(repo: RepoDirs, tree: str) -> bool:
    """Whether ``tree`` is the tree of a commit of the branch (newest first, read
    as a stream; only called when the index differs from HEAD)."""
    proc = start(repo, "log", "--format=%T", "HEAD", stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    try:
        return any(line.strip() == tree.encode() for line in proc.stdout)
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def _nul_list(repo: RepoDirs, *args: str) -> list[str]:
    out = run(repo, "-c", "core.quotePath=false", *args).stdout
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def sync_worktree(repo: RepoDirs) -> str | None:
    """Bring the index and working tree up to the branch after an interrupted run.

    gitnews moves the branch first (fast-import) and updates the files after
    (``read-tree``); a run killed in between leaves the files at an older
    version, or half updated.  Returns None when everything already matches
    the branch, else a notice saying what was done (or, when files hold
    changes that gitnews did not write, what the user should do; those files
    are never overwritten).  Raises :class:`~gitnews.archive.gitrun.GitError`
    only for git failures other than those.
    """
    if repo.bare:
        return None
    head = _head_tree(repo)
    if head is None:
        return None
    written = run(repo, "write-tree", check=False)
    index = written.text if written.ok else None  # None: unmerged entries, a user's merge
    if index == head:
        return None
    where = os.fspath(repo.working_tree_dir or "")
    if index is not None and _is_earlier_tree(repo, index):
        # The index is at an earlier commit of the branch: a run was interrupted after
        # committing.  (An index tree the branch never had holds staged edits: those are
        # the user's, and the checks below leave them alone.)
        if run(repo, "read-tree", "-m", "-u", index, head, check=False).ok:
            return ("brought the archive's files up to date with its branch "
                    "(a previous run was interrupted after committing)")
    # The files are half updated: those that differ from the index must already
    # hold the branch's version, else they are someone's edits and stay.
    suspects = set(_nul_list(repo, "diff-files", "--name-only", "-z"))
    suspects |= {p for p in _nul_list(repo, "diff-index", "--cached", "--name-only", "-z", "HEAD")
                 if os.path.lexists(os.path.join(where, p))}
    wanted: dict[str, str] = {}
    if suspects:
        listing = run(repo, "ls-tree", "-r", "-z", "HEAD", "--", *sorted(suspects)).stdout
        for rec in listing.split(b"\0"):
            if rec:  # "<mode> <type> <object>\t<path>"
                meta, _, name = rec.partition(b"\t")
                wanted[name.decode("utf-8", "surrogateescape")] = meta.split()[2].decode()
    present = sorted(p for p in suspects if os.path.isfile(os.path.join(where, p)))
    actual: dict[str, str] = {}
    if present:
        out = run(repo, "hash-object", "--stdin-paths",
                  input="".join(p + "\n" for p in present).encode("utf-8")).stdout
        actual = dict(zip(present, out.decode().split(), strict=False))
    foreign = [p for p in sorted(suspects) if actual.get(p) != wanted.get(p)]
    if foreign:
        return (f"{len(foreign)} file(s) of the archive differ from its branch and were not "
                f"written by gitnews (first: {foreign[0]}); they were left alone. The versions "
                f"are safe in git: run `git -C {where} status` to see those edits and "
                f"`git -C {where} reset --hard` to discard them")
    run(repo, "read-tree", "--reset", "-u", "HEAD")
    return ("brought the archive's files up to date with its branch "
            "(a previous run was interrupted while updating them)")


# -- HEAD on the archive's branch ------------------------------------------------------------

def switch_unborn_head(repo: RepoDirs) -> str | None:
    """Point HEAD at the archive's branch when it is on another branch that has
    no commit yet and the archive's branch does not exist either (a repository
    just made by ``git init`` with ``init.defaultBranch`` master): nothing is
    lost, no file changes (``git symbolic-ref HEAD refs/heads/main``,
    git-symbolic-ref(1)).  Returns a notice saying so, or None when nothing was
    done.  Raises :class:`~gitnews.archive.gitrun.GitError` when git fails."""
    head_ref = symbolic_head(repo)
    if head_ref is None or head_ref == f"refs/heads/{BRANCH}":
        return None
    if commit_of(repo, head_ref) is not None or commit_of(repo, f"refs/heads/{BRANCH}") is not None:
        return None
    run(repo, "symbolic-ref", "HEAD", f"refs/heads/{BRANCH}")
    short = head_ref.removeprefix("refs/heads/")
    return (f"the repository's HEAD was on {short!r}, which had no commit yet; it was "
            f"switched to {BRANCH!r}, the archive's branch (nothing else changed)")


def head_advice(repo: RepoDirs, head_ref: str | None) -> str:
    """What to run so that HEAD is on the archive's branch (str, one sentence
    with git commands that work in this repository's state).

    ``head_ref``: where HEAD points (``refs/heads/X``), None when detached."""
    where = os.fspath(repo.working_tree_dir or repo.git_dir)
    git_c = f"git -C {where}"
    if commit_of(repo, f"refs/heads/{BRANCH}") is not None:
        return (f"run `{git_c} checkout {BRANCH}` (commit or undo your local edits first) "
                "and try again")
    if head_ref is None:
        return (f"there is no branch {BRANCH!r}: make one where HEAD is with "
                f"`{git_c} checkout -b {BRANCH}` (or from a remote with "
                f"`{git_c} checkout -B {BRANCH} <remote>/{BRANCH}`) and try again")
    short = head_ref.removeprefix("refs/heads/")
    if commit_of(repo, head_ref) is None:
        return (f"the branch {short!r} has no commit yet: switch to {BRANCH!r} with "
                f"`{git_c} symbolic-ref HEAD refs/heads/{BRANCH}` and try again")
    return (f"there is no branch {BRANCH!r}: rename {short!r} to it with "
            f"`{git_c} branch -m {short} {BRANCH}` (its commits stay), or make a new "
            f"{BRANCH!r} from it with `{git_c} checkout -b {BRANCH}`, and try again")
