"""The exception tree of gitnews.

Every error the core raises derives from :class:`GitnewsError`, so a caller can
catch one class.  Each message says what failed and what to do about it::

    GitnewsError
    ├── ConfigError            gitnews.toml is missing, unreadable or invalid
    ├── ArchiveError           the archive is not a usable gitnews repository
    │   ├── ArchiveLockedError another gitnews process holds the archive's lock
    │   └── ReadOnlyArchiveError the archive is on a read-only file system (a write command)
    ├── FetchError             an HTTP fetch failed (per item; the run goes on)
    │   ├── BlockedURLError    the URL may not be fetched (scheme, robots.txt)
    │   │   └── RobotsDisallowedError  robots.txt disallows it (reported, not a failure)
    │   ├── HostBackoffError   the host asked us to wait (429/503 Retry-After, Crawl-delay)
    │   ├── TooLargeError      the body is over the size cap
    │   └── HTTPStatusError    the server answered with an error status
    ├── FeedError              a feed could not be parsed into entries
    ├── ExtractionError        a page yielded no article text
    ├── StoreError             git refused to record a version
    ├── CacheError             the cache (.git/gitnews/state.sqlite) could not be read or written
    ├── NotFoundError          an article or version asked for does not exist
    ├── PushError              the archive could not be pushed to its remote
    │   └── PushConflictError  the remote and the archive changed the same files
    ├── HookError              an on-change command or webhook failed for a version
    └── SiteError              the static site could not be written where asked

httpx's exceptions become gitnews errors in one place, :func:`from_httpx`
(httpx is imported only when it is called: this module is loaded at start-up).
This module imports only :mod:`gitnews.format.exceptions` (the three classes the format
raises): every layer above :mod:`gitnews.format` may use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

# Defined in format (which imports nothing of gitnews: canonical_url raises BlockedURLError).
from gitnews.format.exceptions import BlockedURLError, FetchError, GitnewsError

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

__all__ = [
    "GitnewsError",
    "ConfigError",
    "ArchiveError",
    "ArchiveLockedError",
    "ReadOnlyArchiveError",
    "FetchError",
    "BlockedURLError",
    "RobotsDisallowedError",
    "HostBackoffError",
    "TooLargeError",
    "HTTPStatusError",
    "FeedError",
    "ExtractionError",
    "StoreError",
    "CacheError",
    "NotFoundError",
    "PushError",
    "PushConflictError",
    "HookError",
    "SiteError",
    "from_httpx",
]


class ConfigError(GitnewsError):
    """``gitnews.toml`` is missing, unreadable or invalid (the message names line and key)."""


class ArchiveError(GitnewsError):
    """The archive folder is not a usable gitnews repository."""


class ArchiveLockedError(ArchiveError):
    """Another gitnews process holds the archive's write lock.

    Attributes: ``pid`` (int or None) of the holder when known.
    """

    def __init__(self, message: str, *, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


class ReadOnlyArchiveError(ArchiveError):
    """A command that writes was asked to write to an archive on a read-only file
    system (a read-only mount, a CI cache) or in a folder this user may not write.

    Attributes: ``path`` (:class:`pathlib.Path`) of the archive.  Read commands
    work on such an archive (see :mod:`gitnews.archive.readonly`).
    """

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class RobotsDisallowedError(BlockedURLError):
    """The site's robots.txt disallows the URL for gitnews: it was not fetched.

    Not a failure of the run: the item is reported as skipped.
    """


class HostBackoffError(FetchError):
    """The host may not be asked now: it answered 429/503 with ``Retry-After``,
    or its ``Crawl-delay`` leaves no slot within the run, or gitnews is stopping.

    Attributes: ``retry_at`` (aware UTC datetime or None): the earliest time
    the host may be asked again.  Neither the article's failure nor the run's.
    """

    def __init__(self, message: str, *, url: str, retry_at: datetime | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, url=url, status=status, transient=True)
        self.retry_at = retry_at


class TooLargeError(FetchError):
    """The response body is larger than the configured ``max_bytes``."""


class HTTPStatusError(FetchError):
    """The server answered with a 4xx or 5xx status."""


class FeedError(GitnewsError):
    """A feed could not be read into entries."""


class ExtractionError(GitnewsError):
    """A page yielded no article text (never stored as a version)."""


class StoreError(GitnewsError):
    """git refused to record a version; the archive is left as it was."""


class CacheError(GitnewsError):
    """The cache in ``.git/gitnews/state.sqlite`` could not be read or written
    (a full disk, a damaged file); git, and so every version, is untouched."""


class NotFoundError(GitnewsError):
    """An article or a version asked for does not exist.

    Attributes: ``suggestions`` (list of str): close matches or the valid range.
    """

    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class PushError(GitnewsError):
    """The archive could not be pushed to its remote.

    Nothing local is lost: the commits stay in the archive and the push is
    tried again on the next ``gitnews run --push`` (or ``gitnews push``).
    Attributes: ``remote`` (str, the git remote's name), ``behind`` (bool: the
    remote's branch has commits the archive lacks, so git refused a
    non-fast-forward push; fetching and replaying fixes it).
    """

    def __init__(self, message: str, *, remote: str, behind: bool = False) -> None:
        super().__init__(message)
        self.remote = remote
        self.behind = behind


class PushConflictError(PushError):
    """The remote's branch and the archive both changed the same files since they parted.

    Each side's commits are versions counted per file, so replaying one side's
    commits on the other's would make a ``Version`` trailer wrong: nothing was
    replayed or pushed.  Attributes: ``paths`` (list of str, sorted).
    """

    def __init__(self, message: str, *, remote: str, paths: list[str]) -> None:
        super().__init__(message, remote=remote)
        self.paths = paths


class HookError(GitnewsError):
    """An ``on_change`` command or the webhook failed for one version.

    The version is committed all the same; the failure is reported per version.
    """


class SiteError(GitnewsError):
    """The static site could not be written (the output folder is unusable).

    Attributes: ``usage`` (bool): the folder given is the wrong one (it holds
    other files, or is a file), rather than a failure while writing.
    """

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def from_httpx(exc: Exception, *, url: str, reported_url: str, timeout_s: float,
               doing: Literal["fetch", "post"] = "fetch") -> FetchError:
    """The gitnews error for an exception httpx raised while asking ``url`` (one
    request; ``reported_url`` is the URL the error is about, e.g. the first of a
    redirect chain; ``timeout_s`` the time limit, for the message).

    ``doing`` says what the request was for: ``"fetch"`` (a GET of a page, a feed,
    a robots.txt) or ``"post"`` (the webhook), for a message that says what to
    check.  :class:`httpx.InvalidURL` (not an :class:`httpx.HTTPError`; e.g. a
    redirect's ``Location``) gives :class:`BlockedURLError`, a timeout and any
    other :class:`httpx.HTTPError` a :class:`FetchError` with ``transient=True``.
    """
    import httpx

    if isinstance(exc, httpx.InvalidURL):
        if doing == "post":
            return BlockedURLError(f"refusing to POST to {url!r}: not a valid URL ({exc}); fix "
                                   "[hooks] webhook_url in gitnews.toml", url=reported_url)
        return BlockedURLError(f"refusing to fetch {url!r} or follow its redirect: "
                               f"not a valid URL ({exc})", url=reported_url)
    if isinstance(exc, httpx.TimeoutException):
        if doing == "post":
            return FetchError(f"timed out posting to {url} (limit {timeout_s:g} s)",
                              url=reported_url, transient=True)
        return FetchError(f"timed out fetching {url} (limit {timeout_s:g} s); "
                          "it will be retried on the next run", url=reported_url, transient=True)
    if doing == "post":
        return FetchError(f"could not post to {url}: {exc.__class__.__name__}: {exc}; check that "
                          "the webhook's server is up and the URL right", url=reported_url,
                          transient=True)
    return FetchError(f"could not fetch {url}: {exc.__class__.__name__}: {exc}; "
                      "check the network or proxy settings", url=reported_url, transient=True)
