"""Running git: the one way gitnews starts a ``git`` process, and GitPython made on first use.

Every git command of the archive goes through here:

* :func:`run` runs one command to its end (arguments, input bytes, environment
  additions, ``check``) and returns a :class:`Completed` (stdout and stderr as
  bytes); a failure is one error type, :class:`GitError`.
* :func:`start` starts one for streaming (``git log`` read as it comes,
  ``git cat-file --batch``, ``git fast-import``), built the same way.
* :class:`LazyRepo` is a :class:`git.Repo` made on first use: GitPython is the
  largest import of the command line (about 40 ms of the 0.3 s that
  ``gitnews --help`` may take), and read commands that only ask the cache and
  git plumbing never need it (tests/test_startup.py).

A command runs in the repository's working tree (``git -C <working tree>``; the
git directory for a bare repository) when given a repository, and with
``git --git-dir <folder>`` when given a git directory as a path.  Git never
prompts (``GIT_TERMINAL_PROMPT=0``): gitnews runs unattended, and a network
command that wants credentials fails instead of waiting for ever.

This module imports nothing of gitnews (and GitPython only in :meth:`LazyRepo.real`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import git

__all__ = ["GitError", "Completed", "RepoDirs", "Where", "LazyRepo", "run", "start", "finish",
           "widen_pipe",
           "git_argv", "explain", "NO_PROMPT"]

#: Added to every git command's environment: never ask for credentials on a terminal.
NO_PROMPT = {"GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}


class RepoDirs(Protocol):
    """Where a repository is: a :class:`git.Repo` or a :class:`LazyRepo`."""

    @property
    def bare(self) -> bool: ...

    @property
    def git_dir(self) -> str | os.PathLike[str]: ...

    @property
    def working_tree_dir(self) -> str | os.PathLike[str] | None: ...


#: A repository (run in its working tree), or the path of a git directory.
Where = RepoDirs | str | os.PathLike[str]


class GitError(Exception):
    """A git command failed: ``argv`` (the command line), its exit ``status``
    (-1: it did not end within its time limit, ``timed_out``) and ``stderr``
    (git's error text, decoded)."""

    def __init__(self, argv: Sequence[str], status: int, stderr: str, *,
                 timed_out: bool = False) -> None:
        self.argv = tuple(argv)
        self.status = status
        self.stderr = stderr
        self.timed_out = timed_out
        what = "timed out" if timed_out else f"exit status {status}"
        super().__init__(f"{' '.join(self.argv)} failed ({what}): {stderr.strip()}")


@dataclass(frozen=True)
class Completed:
    """A git command that ran to its end: exit ``status``, ``stdout`` and ``stderr`` bytes."""

    argv: tuple[str, ...]
    status: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def text(self) -> str:
        """stdout decoded (UTF-8, undecodable bytes replaced), one trailing newline removed."""
        out = self.stdout.decode("utf-8", "replace")
        return out[:-1] if out.endswith("\n") else out

    def err(self) -> str:
        """git's error text: its last three non-empty lines joined with `` / ``, or the exit status."""
        text = self.stderr.decode("utf-8", "replace").strip()
        lines = [ln for ln in text.splitlines() if ln.strip()]
        return " / ".join(lines[-3:]) or f"exit status {self.status}"


def git_argv(where: Where, args: Sequence[str]) -> list[str]:
    """The command line of ``git <args>`` in ``where`` (see the module's docstring)."""
    if isinstance(where, str | os.PathLike):
        return ["git", "--git-dir", os.fspath(where), *args]
    folder = where.working_tree_dir or where.git_dir
    return ["git", "-C", os.fspath(folder), *args]


def _env(env: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, **NO_PROMPT, **(env or {})}


def run(where: Where, *args: str, input: bytes | None = None,
        env: Mapping[str, str] | None = None, check: bool = True,
        timeout_s: float | None = None) -> Completed:
    """Run ``git <args>`` in ``where`` to its end and return what it gave.

    ``input``: bytes for its stdin (else it reads nothing).  ``env``: variables
    added to the environment.  ``check``: raise :class:`GitError` when it
    fails (exit status not 0).  ``timeout_s``: a time limit in seconds; a
    command that takes longer is killed and raises :class:`GitError` (with
    ``timed_out``) whatever ``check``.  :class:`OSError` when git cannot start.
    """
    argv = git_argv(where, args)
    try:
        proc = subprocess.run(argv, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout_s, env=_env(env))
    except subprocess.TimeoutExpired:
        raise GitError(argv, -1, f"took longer than {timeout_s:g} s", timed_out=True) from None
    done = Completed(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if check and not done.ok:
        raise GitError(argv, done.status, done.stderr.decode("utf-8", "replace"))
    return done


def start(where: Where, *args: str, stdin: int | IO[Any] | None = subprocess.DEVNULL,
          stdout: int | IO[Any] | None = subprocess.PIPE,
          stderr: int | IO[Any] | None = None, env: Mapping[str, str] | None = None,
          own_group: bool = False) -> subprocess.Popen[bytes]:
    """Start ``git <args>`` in ``where`` and return the running process (bytes pipes).

    ``stdin``, ``stdout``, ``stderr``: as :class:`subprocess.Popen` takes them
    (stdout a pipe, stdin nothing, stderr inherited unless given).
    ``own_group``: in a process group of its own (POSIX), so that a Ctrl-C at
    the terminal does not reach it.  End it with :func:`finish` (or wait for
    it).  :class:`OSError` when git cannot start.
    """
    extra: dict[str, Any] = {"process_group": 0} if own_group and os.name == "posix" else {}
    return subprocess.Popen(git_argv(where, args), stdin=stdin, stdout=stdout, stderr=stderr,
                            env=_env(env), **extra)


def finish(proc: subprocess.Popen[bytes]) -> None:
    """End a process from :func:`start` whose output was read (maybe not all of it).

    A git still running (the reader stopped early) is killed quietly; one that
    had ended by itself with a failure raises :class:`GitError` (its stderr,
    when it was a pipe, is the error text).
    """
    finished = proc.poll() is not None
    if not finished:
        proc.kill()
    if proc.stdout is not None:
        proc.stdout.close()
    err = b""
    if proc.stderr is not None:
        if finished:
            err = proc.stderr.read()
        proc.stderr.close()
    status = proc.wait()
    if finished and status != 0:
        argv = proc.args if isinstance(proc.args, list) else [str(proc.args)]
        raise GitError([str(a) for a in argv], status, err.decode("utf-8", "replace"))


def widen_pipe(pipe: IO[bytes] | None, size_bytes: int) -> None:
    """Ask for a pipe buffer of ``size_bytes`` (Linux ``F_SETPIPE_SZ``, fcntl(2); at
    most ``/proc/sys/fs/pipe-max-size``, 1 MiB by default; 64 KiB otherwise).  Best
    effort: elsewhere, or on a refusal (e.g. above the system's limit), the default
    stays."""
    import sys

    if pipe is None or not sys.platform.startswith("linux"):
        return
    import fcntl

    try:
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), size_bytes)
    except OSError:
        pass


def explain(err: str) -> str:
    """git's error text, with what to do when it is a full disk."""
    low = err.lower()
    if "no space left on device" in low or "file too large" in low or "disk quota" in low:
        return f"the disk is full ({err.strip()}); free some space and run again"
    return err


class LazyRepo:
    """A :class:`git.Repo` of a non-bare repository, made on first use.

    ``git_dir`` and ``working_tree_dir`` (absolute paths, as GitPython gives
    them) are known without GitPython; any other attribute makes the
    ``git.Repo`` (importing GitPython: about 0.05-0.1 s) and is taken from it.
    Read commands that only ask the cache and git plumbing (through
    :func:`run`, :func:`start`) then never import it.  ``materialised`` says
    whether the ``git.Repo`` exists.
    """

    def __init__(self, path: str) -> None:
        self.working_tree_dir = os.path.abspath(path)
        self.git_dir = os.path.join(self.working_tree_dir, ".git")
        self.bare = False
        self._repo: git.Repo | None = None

    @property
    def materialised(self) -> bool:
        return self._repo is not None

    def real(self) -> git.Repo:
        """The :class:`git.Repo` (made, and GitPython imported, on the first call)."""
        if self._repo is None:
            import git

            self._repo = git.Repo(self.working_tree_dir)
        return self._repo

    def __getattr__(self, name: str) -> object:
        return getattr(self.real(), name)

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
