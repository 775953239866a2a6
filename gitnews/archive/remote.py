"""The archive and its git remote: fetch, replay (rebase) and push.

The archive is pushed as the linear history it is.  When the remote's branch
moved, the archive's own commits are *replayed* on top of it: one fast-import
stream re-creates each commit with its author, committer, dates, message and
file changes (blobs named by id, so no file content is re-sent), on the
remote's tree.  That is ``git rebase`` without a working tree, and without its
one change that would break the archive format: rebase sets the committer
date to now, while a version's dates are its fetch time.  Whether the replay
is safe (no file changed on both sides) is the caller's question
(:mod:`gitnews.ops.push`, which asks it with the queries at the end of this
module).  The branch then moves with a compare-and-swap ``git update-ref``, the
index and working tree with ``git read-tree -m -u`` as after a
:class:`~gitnews.archive.store.Transaction`.  Network commands never prompt
(``GIT_TERMINAL_PROMPT=0``, :mod:`gitnews.archive.gitrun`) and are bounded by
``timeout_s``.

The captures (:mod:`gitnews.archive.captures`, branch ``gitnews/captures``) are
pushed after the archive's branch by :func:`push_captures` (``[captures]
push``).  When another clone pushed captures of its own, this clone's capture
commits are replayed on top of the remote's the same way; the version commits
name capture *blobs*, which a replay does not change, so their ``Capture``
trailers stay true.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from gitnews.archive.gitrun import Completed, GitError, RepoDirs, run
from gitnews.archive.objects import count_commits, file_at
from gitnews.archive.store import quote_path
from gitnews.archive.worktree import BRANCH, commit_of
from gitnews.errors import PushError, StoreError

__all__ = ["BRANCH", "tracking_ref", "fetch_branch", "replay_commits", "move_branch",
           "push_branch", "set_remote_head", "commit_of", "has_remote", "remote_url", "is_ancestor",
           "merge_base", "count_commits", "commits_between", "has_merges", "touched_paths",
           "file_text", "push_captures"]

_REPLAY_REF = "refs/gitnews/replay"


def tracking_ref(remote: str, branch: str) -> str:
    """The remote-tracking ref of ``branch`` on ``remote``: ``refs/remotes/<remote>/<branch>``."""
    return f"refs/remotes/{remote}/{branch}"


def _run(repo: RepoDirs, args: list[str], *, timeout_s: float | None = None,
         stdin: bytes | None = None, remote: str | None = None) -> Completed:
    """Run ``git <args>`` in the archive (its status not checked); bytes out.  A timeout
    raises PushError (``remote`` given) or StoreError."""
    try:
        return run(repo, *args, input=stdin, timeout_s=timeout_s, check=False)
    except GitError as exc:
        if not exc.timed_out:
            raise
        what = f"git {args[0]}" + (f" of the remote {remote!r}" if remote else "")
        if remote is not None:
            raise PushError(f"{what} took longer than {timeout_s:g} s ([publish] timeout_s); "
                            "nothing was lost, it is tried again on the next run",
                            remote=remote) from None
        raise StoreError(f"{what} took longer than {timeout_s:g} s") from None


def fetch_branch(repo: RepoDirs, *, remote: str, branch: str,
                 timeout_s: float | None = None) -> str | None:
    """Bring ``branch`` of ``remote`` into :func:`tracking_ref`; returns its commit id.

    Asks the remote once (``git ls-remote``) and fetches only when it has a
    commit the archive lacks.  Returns None when the remote has no such branch
    (an empty repository), after deleting a stale tracking ref.  Raises
    :class:`~gitnews.errors.PushError` when the remote cannot be reached.
    """
    ref = f"refs/heads/{branch}"
    tracking = tracking_ref(remote, branch)
    proc = _run(repo, ["ls-remote", "--exit-code", remote, ref], timeout_s=timeout_s,
                remote=remote)
    if proc.status not in (0, 2):
        raise PushError(f"could not reach the remote {remote!r}: {proc.err()}; check its URL "
                        "(`git remote -v`), the network and the credentials; nothing was lost",
                        remote=remote)
    tip = None
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, _, name = line.partition("\t")
        if name.strip() == ref:
            tip = sha.strip()
    if tip is None:
        if commit_of(repo, tracking):
            _run(repo, ["update-ref", "-d", tracking])
        return None
    if commit_of(repo, tip) is None:
        proc = _run(repo, ["fetch", "--no-tags", "--quiet", remote, f"+{ref}:{tracking}"],
                    timeout_s=timeout_s, remote=remote)
        if proc.status != 0:
            raise PushError(f"could not fetch {branch!r} from the remote {remote!r}: "
                            f"{proc.err()}; nothing was lost", remote=remote)
        return commit_of(repo, tracking)
    _run(repo, ["update-ref", tracking, tip])
    return tip


def _commit_object(repo: RepoDirs, sha: str) -> tuple[dict[str, bytes], bytes]:
    """The headers (author, committer, encoding) and raw message of commit ``sha``."""
    data = run(repo, "cat-file", "commit", sha).stdout
    head, _, message = data.partition(b"\n\n")
    headers: dict[str, bytes] = {}
    for line in head.split(b"\n"):
        if line[:1] == b" ":  # continuation of a multi-line header (gpgsig)
            continue
        key, _, value = line.partition(b" ")
        if key in (b"author", b"committer", b"encoding"):
            headers[key.decode()] = value
    return headers, message


def _changes(repo: RepoDirs, commits: list[str]) -> dict[str, list[tuple[str, str, str, bytes]]]:
    """Each commit's ``(status, mode, blob, path)`` changes against its parent (one git log)."""
    proc = _run(repo, ["log", "--stdin", "--no-walk=unsorted", "--no-renames", "--raw", "-z",
                       "--no-abbrev", "--format=%x01%H"],
                stdin="".join(c + "\n" for c in commits).encode())
    if proc.status != 0:
        raise StoreError(f"git log could not list the commits to replay: {proc.err()}")
    out: dict[str, list[tuple[str, str, str, bytes]]] = {}
    for record in proc.stdout.split(b"\x01")[1:]:
        sha, _, rest = record.partition(b"\0")
        fields = [f for f in rest.lstrip(b"\n").split(b"\0") if f]
        changes = []
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            _old_mode, new_mode, _old, new, status = meta.lstrip(b":").decode().split()
            changes.append((status[:1], new_mode, new, path))
        out[sha.decode().strip()] = changes
    return out


def replay_commits(repo: RepoDirs, commits: list[str], *, onto: str,
                   leave_out: frozenset[str] = frozenset(),
                   then: tuple[Mapping[str, bytes | str], str, tuple[str, str], datetime]
                   | None = None) -> list[str]:
    """Re-create ``commits`` (oldest first, a chain of one-parent commits) on top of ``onto``.

    Each new commit has the same author, committer (both with their dates),
    message and file changes as its original, applied to the tree of the
    previous new commit: ``git rebase --committer-date-is-author-date``
    without touching the working tree.  The caller makes sure no replayed
    file was changed on ``onto``'s side (else the replay silently keeps this
    side's file).

    ``leave_out``: paths whose changes are not replayed (the caller merged
    them); a commit that changed nothing else is left out.  ``then``: one more
    commit on top, ``(files {path: content}, message, (author name, e-mail),
    when)`` (an aware datetime, author and committer date).  Returns the new
    commit ids, oldest first (the ``then`` commit last); moves no branch (see
    :func:`move_branch`).  Raises :class:`~gitnews.errors.StoreError`.
    """
    if not commits and then is None:
        return []
    changes = _changes(repo, commits) if commits else {}
    out: list[bytes] = []
    mark = 0
    for sha in commits:
        kept = [c for c in changes.get(sha, [])
                if c[3].decode("utf-8", "surrogateescape") not in leave_out]
        if leave_out and changes.get(sha) and not kept:
            continue  # it only changed what the caller merged
        headers, message = _commit_object(repo, sha)
        mark += 1
        out += [f"commit {_REPLAY_REF}\nmark :{mark}\n".encode(),
                b"author " + headers["author"] + b"\n",
                b"committer " + headers["committer"] + b"\n"]
        if "encoding" in headers:
            out.append(b"encoding " + headers["encoding"] + b"\n")
        out += [b"data %d\n" % len(message), message, b"\n"]
        if mark == 1:
            out.append(f"from {onto}\n".encode())
        for status, mode, blob, path in kept:
            # C-style quoting, as store.quote_path, on the path's raw bytes.
            quoted = b'"' + path.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(
                b"\n", b"\\n") + b'"'
            if status == "D":
                out.append(b"D " + quoted + b"\n")
            else:
                out.append(f"M {mode} {blob} ".encode() + quoted + b"\n")
    if then is not None:
        files, text, (name, email), when = then
        mark += 1
        ident = f"{name} <{email}> {int(when.astimezone(UTC).timestamp())} +0000"
        message = text.encode("utf-8")
        out += [f"commit {_REPLAY_REF}\nmark :{mark}\n".encode(),
                f"author {ident}\ncommitter {ident}\n".encode(),
                b"data %d\n" % len(message), message, b"\n"]
        if mark == 1:
            out.append(f"from {onto}\n".encode())
        for file_path, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            out += [b"M 100644 inline " + quote_path(file_path) + b"\n",
                    b"data %d\n" % len(data), data, b"\n"]
    if mark == 0:
        return []
    out.append(b"done\n")
    fd, marks_file = tempfile.mkstemp(prefix="gitnews-replay-", dir=repo.git_dir)
    os.close(fd)
    try:
        proc = _run(repo, ["fast-import", "--quiet", "--done", "--force", "--date-format=raw",
                           f"--export-marks={marks_file}"], stdin=b"".join(out))
        if proc.status != 0:
            raise StoreError(f"git fast-import could not replay the archive's commits: "
                             f"{proc.err()}; the archive is unchanged")
        marks = dict(line.split() for line in
                     Path(marks_file).read_text().splitlines() if line.strip())
    finally:
        os.unlink(marks_file)
        _run(repo, ["update-ref", "-d", _REPLAY_REF])
    return [marks[f":{i}"] for i in range(1, mark + 1)]


def move_branch(repo: RepoDirs, *, old: str, new: str, reason: str = "gitnews") -> None:
    """Move the archive's branch from ``old`` to ``new``, with its index and working tree.

    The working tree is updated first (``git read-tree -m -u old new``, which
    refuses to overwrite local edits of the files that differ), then the branch
    moves only if it is still at ``old`` (``git update-ref``).  On any failure
    the archive is left as it was and :class:`~gitnews.errors.StoreError` says why.
    """
    if not repo.bare:
        proc = _run(repo, ["read-tree", "-m", "-u", old, new])
        if proc.status != 0:
            raise StoreError(
                f"the files in {repo.working_tree_dir} could not be updated ({proc.err()}); "
                "commit or undo your local edits of those files (`git status`), then try again; "
                "the archive is unchanged")
    proc = _run(repo, ["update-ref", "-m", reason, f"refs/heads/{BRANCH}", new, old])
    if proc.status != 0:
        if not repo.bare:
            _run(repo, ["read-tree", "-m", "-u", new, old])
        raise StoreError(f"the branch {BRANCH!r} moved while gitnews was updating it "
                         f"({proc.err()}); is another gitnews running? The archive is unchanged")


def push_branch(repo: RepoDirs, *, remote: str, branch: str,
                timeout_s: float | None = None) -> str:
    """Push the archive's branch to ``branch`` on ``remote`` (never forced).

    Returns the commit id pushed and sets :func:`tracking_ref` to it.  Raises
    :class:`~gitnews.errors.PushError`, with ``behind=True`` when git refused
    because the remote has commits the archive lacks (fetch and replay first).
    """
    local = commit_of(repo, f"refs/heads/{BRANCH}")
    if local is None:
        raise PushError(f"the archive has no branch {BRANCH!r} to push", remote=remote)
    proc = _run(repo, ["push", "--porcelain", remote, f"{local}:refs/heads/{branch}"],
                timeout_s=timeout_s, remote=remote)
    status = [line.split("\t") for line in proc.stdout.decode("utf-8", "replace").splitlines()
              if line[:1] in ("!", " ", "*", "+", "-", "=") and "\t" in line]
    if proc.status != 0 or any(flag == "!" for flag, *_ in status):
        summary = next((rest[-1] for flag, *rest in status if flag == "!" and rest), "")
        behind = "fetch first" in summary or "non-fast-forward" in summary
        detail = summary.strip() or proc.err()
        raise PushError(f"git push to the remote {remote!r} failed: {detail}; the commits are "
                        "kept in the archive and the push is tried again on the next run",
                        remote=remote, behind=behind)
    _run(repo, ["update-ref", tracking_ref(remote, branch), local])
    return local


def push_captures(repo: RepoDirs, *, remote: str, timeout_s: float | None = None,
                  attempts: int = 3) -> int:
    """Push the branch ``gitnews/captures`` to the same name on ``remote`` (never forced).

    When the remote's captures branch has commits this archive lacks (another
    clone's captures), this archive's capture commits since the two parted (all
    of them for unrelated histories) are replayed on top of it first
    (:func:`replay_commits`: same dates, messages and blobs) and the local
    branch moves there.  Returns how many commits the remote got (0: nothing to
    push, or no captures branch).  Raises :class:`~gitnews.errors.PushError`
    (the remote cannot be reached or refuses) or :class:`~gitnews.errors.StoreError`.
    """
    from gitnews.archive.captures import CAPTURES_BRANCH, CAPTURES_REF

    for attempt in range(attempts):
        local = commit_of(repo, CAPTURES_REF)
        if local is None:
            return 0
        tip = fetch_branch(repo, remote=remote, branch=CAPTURES_BRANCH, timeout_s=timeout_s)
        if tip == local:
            return 0
        if tip is not None and not is_ancestor(repo, tip, local):
            if is_ancestor(repo, local, tip):  # the remote has all of ours and more
                moved = _run(repo, ["update-ref", "-m", "gitnews push: captures fast-forward",
                                    CAPTURES_REF, tip, local])
                if moved.status != 0:
                    raise StoreError(f"{CAPTURES_BRANCH} moved while gitnews was updating it "
                                     f"({moved.err()}); is another gitnews running?")
                return 0
            base = merge_base(repo, tip, local)
            mine = commits_between(repo, f"{base}..{local}" if base else local)
            new = replay_commits(repo, mine, onto=tip)
            target = new[-1] if new else tip
            moved = _run(repo, ["update-ref", "-m", f"gitnews push: replay {len(mine)} "
                                f"capture(s) on {remote}/{CAPTURES_BRANCH}", CAPTURES_REF,
                                target, local])
            if moved.status != 0:
                raise StoreError(f"{CAPTURES_BRANCH} moved while gitnews was updating it "
                                 f"({moved.err()}); is another gitnews running?")
            local = target
        pushed = count_commits(repo, local if tip is None else f"{tip}..{local}")
        proc = _run(repo, ["push", "--porcelain", remote, f"{local}:{CAPTURES_REF}"],
                    timeout_s=timeout_s, remote=remote)
        rejected = [line for line in proc.stdout.decode("utf-8", "replace").splitlines()
                    if line.startswith("!")]
        if proc.status == 0 and not rejected:
            _run(repo, ["update-ref", tracking_ref(remote, CAPTURES_BRANCH), local])
            return pushed
        detail = (rejected[0].split("\t")[-1] if rejected else "") or proc.err()
        behind = "fetch first" in detail or "non-fast-forward" in detail
        if not behind or attempt == attempts - 1:
            raise PushError(f"git push of {CAPTURES_BRANCH} to the remote {remote!r} failed: "
                            f"{detail.strip()}; the captures are kept in the archive and the "
                            "push is tried again on the next run", remote=remote, behind=behind)
    return 0


def _local_bare_remote(repo: RepoDirs, remote: str) -> Path | None:
    """The folder of ``remote`` when it is a bare repository on this machine (a path or a
    ``file://`` URL), else None (a network remote: its host sets its own HEAD)."""
    url = remote_url(repo, remote)
    if url is None:
        return None
    if url.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        url = unquote(urlsplit(url).path)
    elif "://" in url or (":" in url.split("/", 1)[0] and not os.path.isabs(url)):
        return None  # https://, ssh://, or scp-like host:path
    folder = Path(url)
    if not folder.is_absolute():
        folder = Path(repo.working_tree_dir or repo.git_dir) / folder
    check = run(folder, "rev-parse", "--is-bare-repository", check=False)
    return folder if check.ok and check.text.strip() == "true" else None


def set_remote_head(repo: RepoDirs, *, remote: str, branch: str) -> bool:
    """Point the HEAD of a local bare ``remote`` at ``branch`` when its HEAD names a
    branch that does not exist there (``git init --bare`` names ``master``, or
    ``init.defaultBranch``), so that ``git clone`` of it checks out the archive
    instead of nothing.  A HEAD naming an existing branch is left alone; network
    remotes are not touched (GitHub and others make the first pushed branch
    their default).  Best effort: returns True when HEAD was set, never raises.
    """
    folder = _local_bare_remote(repo, remote)
    if folder is None:
        return False

    def bare(*args: str) -> Completed:
        return run(folder, *args, check=False)

    current = bare("symbolic-ref", "-q", "HEAD").text.strip()
    if current and bare("rev-parse", "--verify", "-q", current).ok:
        return False
    if not bare("rev-parse", "--verify", "-q", f"refs/heads/{branch}").ok:
        return False
    return bare("symbolic-ref", "HEAD", f"refs/heads/{branch}").ok


# -- questions the push asks before it replays (gitnews.ops.push) ---------------------------

def has_remote(repo: RepoDirs, remote: str) -> bool:
    """Whether the archive has a git remote named ``remote`` (``git remote``)."""
    return remote in run(repo, "remote", check=False).text.split()


def remote_url(repo: RepoDirs, remote: str) -> str | None:
    """The URL of the archive's git remote ``remote`` (``git remote get-url``), None
    when there is no such remote (or it has no URL)."""
    done = run(repo, "remote", "get-url", remote, check=False)
    url = done.text.strip()
    return url if done.ok and url else None


def is_ancestor(repo: RepoDirs, older: str, newer: str) -> bool:
    """Whether commit ``older`` is an ancestor of ``newer`` (or the same commit)."""
    return run(repo, "merge-base", "--is-ancestor", older, newer, check=False).ok


def merge_base(repo: RepoDirs, one: str, other: str) -> str | None:
    """The best common ancestor of two commits, None when their histories are unrelated."""
    done = run(repo, "merge-base", one, other, check=False)
    base = done.text.strip()
    return base if done.ok and base else None


def commits_between(repo: RepoDirs, rev_range: str) -> list[str]:
    """The commit ids of ``rev_range``, oldest first."""
    return run(repo, "rev-list", "--reverse", rev_range, check=False).text.split()


def has_merges(repo: RepoDirs, rev_range: str) -> bool:
    """Whether ``rev_range`` holds a merge commit."""
    return bool(run(repo, "rev-list", "--merges", "-n", "1", rev_range, check=False).text.strip())


def touched_paths(repo: RepoDirs, rev_range: str) -> set[str]:
    """Every path that some commit of ``rev_range`` changed (one ``git log``)."""
    out = run(repo, "log", "--no-renames", "-z", "--format=", "--name-only", rev_range,
              check=False).stdout
    return {p.decode("utf-8", "replace").strip("\n") for p in out.split(b"\0") if p.strip(b"\n")}


def file_text(repo: RepoDirs, rev: str, path: str) -> str:
    """The text of ``path`` at commit ``rev`` ("" when it has no such file)."""
    data = file_at(repo, rev, path)
    return data.decode("utf-8", "replace") if data is not None else ""
