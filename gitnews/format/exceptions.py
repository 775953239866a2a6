"""The root of gitnews's exception tree, and the refusal of a URL the format cannot name.

:func:`gitnews.format.urls.canonical_url` refuses a URL that is not an absolute
http(s) URL with a host by raising :class:`BlockedURLError`, which callers catch
as a :class:`FetchError` or a :class:`GitnewsError`.  The format imports nothing
of gitnews, so these three classes are defined here, below the rest of the
tree.  :mod:`gitnews.errors` re-exports them and documents the whole tree:
import them from there.  Their ``__module__`` is ``gitnews.errors``, so
tracebacks, ``repr`` and pickles name them as before.
"""

from __future__ import annotations

__all__ = ["GitnewsError", "FetchError", "BlockedURLError"]


class GitnewsError(Exception):
    """Base class of every error raised by gitnews's core."""

    __module__ = "gitnews.errors"


class FetchError(GitnewsError):
    """An HTTP fetch failed.

    Attributes: ``url`` (str), ``status`` (int or None), ``transient`` (bool:
    a timeout, a connection error or a 5xx, worth retrying later), ``exchange``
    (the :class:`gitnews.models.Exchange` of the answer that failed — a 404, a
    body over ``max_bytes`` cut there — when one was received, else None).
    """

    __module__ = "gitnews.errors"
    #: The request and answer behind the failure (a gitnews.models.Exchange), or None.
    exchange: object = None

    def __init__(self, message: str, *, url: str, status: int | None = None,
                 transient: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.transient = transient


class BlockedURLError(FetchError):
    """The URL may not be fetched: not http(s), or disallowed by robots.txt."""

    __module__ = "gitnews.errors"
