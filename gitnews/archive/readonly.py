"""Archives that cannot be written: a read-only mount, a CI cache, a colleague's folder.

Read commands (``list``, ``log``, ``show``, ``diff``, ``feeds``, ``site``,
``serve``) work on such an archive: the cache (:mod:`gitnews.archive.cache`) is opened
read-only when it is current, else built in memory from git.  Commands that
write (``run``, ``add``, ``remove``, ``import``, ``gc``, ``push``, ``init``)
stop before touching anything with :class:`~gitnews.errors.ReadOnlyArchiveError`.

Whether a folder is writable is asked of the file system (``statvfs(3)``'s
``ST_RDONLY`` flag), not only of the file modes: root ignores file modes, but
not a read-only mount.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from gitnews.errors import ReadOnlyArchiveError

__all__ = ["is_read_only", "is_read_only_fs", "read_only_error", "READ_ONLY_ERRNOS"]

#: ``OSError.errno`` values that mean "this place cannot be written" (not: the disk is full).
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def is_read_only_fs(path: Path | str) -> bool:
    """True when ``path`` (which exists) is on a file system mounted read-only:
    nobody can change it while it is read."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return False


def is_read_only(path: Path | str) -> bool:
    """True when the existing folder or file ``path`` cannot be written by this process:
    it is on a read-only file system, or this user lacks write permission.

    A missing ``path`` is asked about its nearest existing parent folder.
    """
    path = Path(path)
    while not path.exists() and path.parent != path:
        path = path.parent
    return is_read_only_fs(path) or not os.access(path, os.W_OK)


def read_only_error(archive: Path | str, *, detail: str = "",
                    creating: bool = False) -> ReadOnlyArchiveError:
    """The error a write command gives for the archive at ``archive`` that cannot be
    written (``creating``: that cannot be created there)."""
    archive = Path(archive)
    why = f" ({detail})" if detail else ""
    if creating:
        return ReadOnlyArchiveError(
            f"cannot create an archive at {archive}: it is on a read-only file system or in a "
            f"folder you may not write{why}; choose a writable folder with --archive",
            path=archive)
    return ReadOnlyArchiveError(
        f"the archive at {archive} is on a read-only file system or in a folder you may "
        f"not write{why}; nothing was changed. Read commands (list, log, show, diff, site, "
        f"serve) work as they are; to record versions or change the archive, copy it to a "
        f"writable place (`git clone {archive} NEW_FOLDER`) or mount it read-write",
        path=archive)
