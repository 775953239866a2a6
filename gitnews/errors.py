"""The exception tree of gitnews.

Every error the core raises derives from :class:`GitnewsError`, so a caller can
catch one class.  Each message says what failed and what to do about it::

    GitnewsError
    ├── ConfigError            gitnews.toml is missing, unreadable or invalid
    ├── ArchiveError           the archive is not a usable gitnews repository
    │   └── ArchiveLockedError another gitnews process holds the archive's lock
    ├── FetchError             an HTTP fetch failed (per item; the run goes on)
    │   ├── BlockedURLError    the URL may not be fetched (scheme, robots.txt)
    │   ├── TooLargeError      the body is over the size cap
    │   └── HTTPStatusError    the server answered with an error status
    ├── FeedError              a feed could not be parsed into entries
    ├── ExtractionError        a page yielded no article text
    ├── StoreError             git refused to record a version
    ├── NotFoundError          an article or version asked for does not exist
    └── SiteError              the static site could not be written where asked
"""

from __future__ import annotations

__all__ = [
    "GitnewsError",
    "ConfigError",
    "ArchiveError",
    "ArchiveLockedError",
    "FetchError",
    "BlockedURLError",
    "TooLargeError",
    "HTTPStatusError",
    "FeedError",
    "ExtractionError",
    "StoreError",
    "NotFoundError",
    "SiteError",
]


class GitnewsError(Exception):
    """Base class of every error raised by gitnews's core."""


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


class FetchError(GitnewsError):
    """An HTTP fetch failed.

    Attributes: ``url`` (str), ``status`` (int or None), ``transient`` (bool:
    a timeout, a connection error or a 5xx, worth retrying later).
    """

    def __init__(self, message: str, *, url: str, status: int | None = None,
                 transient: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.transient = transient


class BlockedURLError(FetchError):
    """The URL may not be fetched: not http(s), or disallowed by robots.txt."""


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


class NotFoundError(GitnewsError):
    """An article or a version asked for does not exist.

    Attributes: ``suggestions`` (list of str): close matches or the valid range.
    """

    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = suggestions or []


class SiteError(GitnewsError):
    """The static site could not be written (the output folder is unusable).

    Attributes: ``usage`` (bool): the folder given is the wrong one (it holds
    other files, or is a file), rather than a failure while writing.
    """

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage
