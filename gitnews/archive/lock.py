"""One writer per archive: the write lock, and git's own lock files after a crash.

**The write lock.**  ``.git/gitnews/write.lock`` (inside the archive's git
directory, never beside the archive) is locked with ``flock(2)`` (Python's
:mod:`fcntl`; ``msvcrt.locking`` on Windows) by every command that writes.
The kernel releases such a lock when its process ends, however it ends
(SIGKILL included), so a lock left by a dead process never blocks anyone: the
next writer simply takes it over.  While it is held, the file holds one JSON
line about the holder (``pid``, ``host``, ``command``, ``since`` as RFC 3339
UTC) that a second writer reads for its message; the holder empties the file
when it lets go normally, so a holder line found by the next writer means the
previous one died while writing (:attr:`ArchiveLock.taken_over`).

**Stale git locks.**  A git process killed while writing leaves its lock file
(``index.lock``, ``refs/heads/main.lock``...), which makes every later git
write fail with "File exists".  :func:`clear_stale_git_files` removes such a
file only when it is *provably* stale: our write lock is held (so no other
gitnews writes), no process has the file open, and every running git process
started after the file was last written (so none of them made it).  That needs
``/proc`` (Linux); elsewhere a lock file is only reported.  The same rule
removes what a killed ``git fast-import`` leaves in ``objects/pack``
(``tmp_pack_*``, ``tmp_idx_*``) and our own leftover marks files.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gitnews.errors import ArchiveLockedError

__all__ = ["ArchiveLock", "LockHolder", "LOCK_NAME", "clear_stale_git_files",
           "wait_for_git_locks", "wait_for_orphaned_writers"]

#: The lock file, relative to the git directory.
LOCK_NAME = "gitnews/write.lock"

# How often a waiting writer tries again (seconds).
_POLL_S = 0.2

if sys.platform == "win32":  # pragma: no cover - not exercised on the Linux CI
    import msvcrt

    # Lock one byte far past the holder line, so that the line stays readable.
    _WIN_OFFSET = 1 << 30

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) the write lock, as its holder line says.

    ``since`` is RFC 3339 UTC; any field may be None when the line was
    unreadable (e.g. being written at that moment).
    """

    pid: int | None = None
    host: str | None = None
    command: str | None = None
    since: str | None = None

    def describe(self) -> str:
        """``pid 123, `gitnews run`, since 2026-01-02T03:04:05Z`` (known parts only)."""
        parts = [f"pid {self.pid}" if self.pid is not None else "pid unknown"]
        if self.host and self.host != socket.gethostname():
            parts[0] += f" on {self.host}"
        if self.command:
            parts.append(f"`{self.command}`")
        text = ", ".join(parts)
        return f"{text}, since {self.since}" if self.since else text


def _parse_holder(text: str) -> LockHolder | None:
    text = text.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return LockHolder()
    if not isinstance(data, dict):
        return LockHolder()
    pid = data.get("pid")
    return LockHolder(pid=pid if isinstance(pid, int) else None,
                      host=data.get("host") if isinstance(data.get("host"), str) else None,
                      command=data.get("command") if isinstance(data.get("command"), str) else None,
                      since=data.get("since") if isinstance(data.get("since"), str) else None)


class ArchiveLock:
    """The write lock of the archive whose git directory is ``git_dir``.

    ``command`` names the holder in other writers' messages (e.g.
    ``"gitnews run"``).  Use :meth:`acquire`/:meth:`release`, or ``with``
    (which acquires without waiting).  Not re-entrant: a second
    :class:`ArchiveLock` on the same archive, even in the same process, is
    another writer.
    """

    def __init__(self, git_dir: Path | str, *, command: str = "") -> None:
        self.path = Path(git_dir) / LOCK_NAME
        self.command = command
        #: The holder line of a previous writer that died while holding the lock.
        self.taken_over: LockHolder | None = None
        self._fd: int | None = None

    @property
    def locked(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def holder(self) -> LockHolder | None:
        """The current holder line (None when the file is empty or missing)."""
        try:
            return _parse_holder(self.path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None

    def acquire(self, *, wait_s: float | None = 0.0) -> None:
        """Take the lock, waiting up to ``wait_s`` seconds (``inf``: for ever; 0/None: not at all).

        Raises :class:`~gitnews.errors.ArchiveLockedError` (with the holder's
        ``pid``) when another process still holds it after that.
        """
        if self._fd is not None:
            raise RuntimeError("this ArchiveLock is already held")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o644)
        deadline = time.monotonic() + (wait_s or 0.0)
        try:
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    holder = self.holder() or LockHolder()
                    waited = f" (waited {wait_s:g} s)" if wait_s else ""
                    raise ArchiveLockedError(
                        f"another gitnews process ({holder.describe()}) is writing to this "
                        f"archive{waited}; try again later or use --wait",
                        pid=holder.pid)
                time.sleep(min(_POLL_S, max(0.01, deadline - time.monotonic())))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self.taken_over = self.holder()
        line = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "command": self.command,
                           "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")})
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, line.encode("utf-8") + b"\n")
        except OSError:
            pass  # e.g. a full disk: the line only serves other writers' messages

    def release(self) -> None:
        """Empty the holder line and let go (a no-op when not held)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# -- git's own lock files ----------------------------------------------------------------

def _proc_available() -> bool:
    return sys.platform.startswith("linux") and Path("/proc/self/stat").exists()


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise OSError("no btime in /proc/stat")


def _processes() -> list[tuple[int, str, float, int]]:
    """``(pid, command name, start time as epoch seconds, parent pid)`` of every process."""
    ticks = os.sysconf("SC_CLK_TCK")
    boot = _boot_time()
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ... starttime(22nd field)"; comm may hold spaces and ')'.
        comm = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out.append((int(entry.name), comm, boot + int(fields[19]) / ticks, int(fields[1])))
    return out


def _open_paths() -> set[str]:
    """Every path some process has open (readable /proc/*/fd links only)."""
    paths: set[str] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.scandir(f"/proc/{entry.name}/fd")
        except OSError:
            continue
        with fds:
            for fd in fds:
                try:
                    paths.add(os.readlink(fd.path))
                except OSError:
                    continue
    return paths


def _candidates(git_dir: Path) -> list[Path]:
    """Lock files and leftovers that a killed git or gitnews process can leave."""
    found = [git_dir / name for name in ("index.lock", "HEAD.lock", "packed-refs.lock",
                                         "config.lock", "shallow.lock")]
    found += list((git_dir / "refs").rglob("*.lock"))
    found += list((git_dir / "objects" / "pack").glob("tmp_*"))
    found += list(git_dir.glob("gitnews-marks-*"))
    return [p for p in found if p.is_file()]


def _inside(path: str, folders: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f + os.sep) for f in folders)


def _may_touch(pid: int, folders: tuple[str, ...]) -> bool:
    """Whether process ``pid`` may be working in the repository: its current
    folder, its ``GIT_DIR``/``GIT_WORK_TREE`` or one of its open files is in
    ``folders``.  True when that cannot be read (not provably elsewhere)."""
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
        if _inside(cwd, folders):
            return True
        for var in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
            name, _, value = var.partition(b"=")
            if name in (b"GIT_DIR", b"GIT_WORK_TREE", b"GIT_INDEX_FILE") and value:
                if _inside(os.path.realpath(os.path.join(cwd, os.fsdecode(value))), folders):
                    return True
        for fd in os.scandir(f"/proc/{pid}/fd"):
            try:
                if _inside(os.readlink(fd.path), folders):
                    return True
            except OSError:
                continue
    except FileNotFoundError:
        return False  # it has ended meanwhile
    except OSError:
        return True
    return False


def _live_git_processes(git_dir: Path) -> list[tuple[int, str, float]]:
    """Running git processes (``git``, ``git-*``) that may write in this repository."""
    real = os.path.realpath(git_dir)
    folders = (real, os.path.dirname(real)) if os.path.basename(real) == ".git" else (real,)
    return [(pid, comm, start) for pid, comm, start, _ in _processes()
            if (comm == "git" or comm.startswith("git-")) and _may_touch(pid, folders)]


def wait_for_git_locks(git_dir: Path | str, *, wait_s: float = 5.0) -> None:
    """Wait up to ``wait_s`` seconds while ``index.lock``/ref locks exist and a git
    process that may own them is still running (e.g. the ``git read-tree`` of a
    gitnews that was killed, finishing its work)."""
    git_dir = Path(git_dir)
    if not _proc_available():
        return
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        locks = [p for p in _candidates(git_dir) if p.name.endswith(".lock")]
        if not locks:
            return
        try:
            oldest = min(p.stat().st_mtime for p in locks)
        except OSError:
            continue  # a lock went away meanwhile: look again
        if not any(start <= oldest + 1 for _, _, start in _live_git_processes(git_dir)):
            return
        time.sleep(0.05)


#: git commands that write objects, refs, the index or the working tree: what a killed
#: writer may leave running (its children are not killed with it: ``git fast-import``
#: runs in a process group of its own, and a SIGKILL of gitnews alone spares them all).
_WRITING_GIT = frozenset({"fast-import", "read-tree", "update-index", "checkout", "checkout-index",
                          "repack", "gc", "pack-objects", "prune", "commit-graph", "update-ref",
                          "multi-pack-index", "index-pack"})


def _git_subcommand_writes(pid: int, comm: str) -> bool:
    """Whether the git process ``pid`` runs one of :data:`_WRITING_GIT` (True when its
    command line cannot be read: not provably a reader)."""
    if comm.startswith("git-"):
        return comm[4:] in _WRITING_GIT
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True
    return any(os.fsdecode(arg) in _WRITING_GIT for arg in argv[1:])


def wait_for_orphaned_writers(git_dir: Path | str, *, wait_s: float = 60.0) -> str | None:
    """Wait up to ``wait_s`` seconds for the git commands that write in this repository
    and were started by a writer that has since died (call with the
    :class:`ArchiveLock` held, after taking it over from a dead holder).

    A SIGKILL of gitnews does not kill its git children: its ``git fast-import`` may
    still be ending its stream (it moves the branch last), and its housekeeping
    (``git repack``, ``git gc --auto``) may still be running.  Writing beside them
    would race them: the next fast-import would start from a branch that is about
    to move.  Any git writer running now in this repository started before this
    process held the lock, so it is such an orphan.  Returns a notice when it
    waited, or when one was still running after ``wait_s`` (then git's own locks
    and fast-import's refusal to move a branch it did not start from still keep
    the history whole); None otherwise.  Needs ``/proc`` (Linux); elsewhere a no-op.
    """
    if not _proc_available():
        return None
    git_dir = Path(git_dir)
    deadline = time.monotonic() + wait_s
    waited = False
    me = os.getpid()
    while True:
        try:
            writers = [(pid, comm) for pid, comm, _ in _live_git_processes(git_dir)
                       if pid != me and _git_subcommand_writes(pid, comm)]
        except OSError:
            return None
        if not writers:
            return ("waited for the git commands the previous writer left running "
                    "to finish") if waited else None
        if time.monotonic() >= deadline:
            pid, comm = writers[0]
            return (f"a git command the previous writer started ({comm}, pid {pid}) is still "
                    f"running after {wait_s:.0f} s; going on (git's own locks keep the "
                    "history whole)")
        waited = True
        time.sleep(0.05)


def clear_stale_git_files(git_dir: Path | str) -> list[str]:
    """Remove git lock files and fast-import leftovers that are provably stale.

    Call only while holding the :class:`ArchiveLock`.  Returns one notice per
    file found: removed (and why that was safe) or kept (and what to do).
    Never raises for a file it cannot judge or remove.
    """
    git_dir = Path(git_dir)
    files = _candidates(git_dir)
    if not files:
        return []
    notices: list[str] = []
    if not _proc_available():
        for path in files:
            if path.name.endswith(".lock"):
                notices.append(
                    f"{path} exists: a git command may be running in the archive, or one "
                    "crashed. If no git command is running there, delete that file.")
        return notices
    try:
        live = _live_git_processes(git_dir)
        open_now = _open_paths()
    except OSError as exc:
        return [f"could not check git's lock files ({exc}); if git reports "
                "'File exists' for a .lock file and no git command is running, delete it"]
    for path in files:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue  # gone meanwhile
        # Start times are known to 1/CLK_TCK and boot time to 1 s: keep a margin.
        makers = [(pid, comm) for pid, comm, start in live if start <= mtime + 2]
        rel = path.relative_to(git_dir)
        when = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if str(path) in open_now or str(path.resolve()) in open_now:
            notices.append(f".git/{rel} (from {when}) is open in a running process; left "
                           "alone. If git then fails with 'File exists', wait and try again.")
        elif makers:
            pid, comm = makers[0]
            notices.append(f".git/{rel} (from {when}) may belong to the running {comm} "
                           f"(pid {pid}); left alone. If git then fails with 'File exists' "
                           "once that process has ended, delete the file.")
        else:
            try:
                path.unlink()
            except OSError as exc:
                notices.append(f"could not remove the stale .git/{rel}: {exc}; delete it by hand")
                continue
            if path.name.endswith(".lock"):
                notices.append(f"removed the stale .git/{rel} (from {when}) left by a git "
                               "process that no longer runs")
    return notices
