"""gitnews: track how news articles change, with every version a git commit.

The core is a library; the ``gitnews`` command (:mod:`gitnews.cli`) is a thin
layer over it.  The names in :data:`__all__` are its public face (docs/library.md):

* an archive: :func:`open_archive`, :func:`init_archive`, :class:`Archive`;
* what to track: :func:`add`, :func:`remove` (as ``gitnews add``/``remove``);
* the work: :func:`run` (one pass), :func:`watch` (passes until stopped),
  :func:`import_warcs`, :func:`import_wayback`;
* the values they take and give (:mod:`gitnews.models`): :class:`RunResult`,
  :class:`ItemResult`, :class:`Outcome`, :class:`Version`, :class:`Article`,
  :class:`Page`, :class:`FeedEntry`, and :class:`ImportResult`, :class:`TrackingResults`;
* the archive format's names: :func:`canonical_url`, :func:`article_path`;
* the errors (:mod:`gitnews.errors`): :class:`GitnewsError` and its subclasses.

The packages follow the pipeline, lowest first; each may import only from those
before it: :mod:`~gitnews.format` (the archive contract) ->
:mod:`~gitnews.errors`, :mod:`~gitnews.models` -> :mod:`~gitnews.config` ->
:mod:`~gitnews.sources`, :mod:`~gitnews.pagetext` -> :mod:`~gitnews.archive` ->
:mod:`~gitnews.versions` -> :mod:`~gitnews.output` -> :mod:`~gitnews.ops` ->
:mod:`~gitnews.cli`.

``import gitnews`` is cheap (``gitnews --help`` starts with it): each public
name is imported from its module the first time it is asked for (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitnews._version import __version__

if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ below
    from gitnews.archive.repo import Archive, init_archive, open_archive
    from gitnews.errors import (
        ArchiveError,
        ArchiveLockedError,
        BlockedURLError,
        CacheError,
        ConfigError,
        ExtractionError,
        FeedError,
        FetchError,
        GitnewsError,
        HookError,
        HostBackoffError,
        HTTPStatusError,
        NotFoundError,
        PushConflictError,
        PushError,
        ReadOnlyArchiveError,
        RobotsDisallowedError,
        SiteError,
        StoreError,
        TooLargeError,
    )
    from gitnews.format.paths import article_path
    from gitnews.format.urls import canonical_url
    from gitnews.models import Article, FeedEntry, ItemResult, Outcome, Page, RunResult, Version
    from gitnews.ops.importing import ImportResult
    from gitnews.ops.run import run
    from gitnews.ops.tracking import TrackingResults, add, remove
    from gitnews.ops.warc_import import import_warcs
    from gitnews.ops.watch import watch
    from gitnews.ops.wayback_import import import_wayback


__all__ = [
    "__version__",
    # an archive, what it tracks, and the work done on it
    "Archive", "open_archive", "init_archive", "add", "remove", "run", "watch",
    "import_warcs", "import_wayback",
    # the values passed and returned
    "Article", "FeedEntry", "ItemResult", "Outcome", "Page", "RunResult", "Version",
    "ImportResult", "TrackingResults",
    # the archive format
    "canonical_url", "article_path",
    # the errors
    "GitnewsError", "ConfigError", "ArchiveError", "ArchiveLockedError", "ReadOnlyArchiveError",
    "FetchError", "BlockedURLError", "RobotsDisallowedError", "HostBackoffError", "TooLargeError",
    "HTTPStatusError", "FeedError", "ExtractionError", "StoreError", "CacheError",
    "NotFoundError", "PushError", "PushConflictError", "HookError", "SiteError",
]

_ERRORS = "gitnews.errors"

#: The module each public name is imported from: the one place to change when code moves.
_HOMES: dict[str, str] = {
    "Archive": "gitnews.archive.repo",
    "open_archive": "gitnews.archive.repo",
    "init_archive": "gitnews.archive.repo",
    "add": "gitnews.ops.tracking",
    "remove": "gitnews.ops.tracking",
    "TrackingResults": "gitnews.ops.tracking",
    "run": "gitnews.ops.run",
    "watch": "gitnews.ops.watch",
    "import_warcs": "gitnews.ops.warc_import",
    "import_wayback": "gitnews.ops.wayback_import",
    "ImportResult": "gitnews.ops.importing",
    "Article": "gitnews.models",
    "FeedEntry": "gitnews.models",
    "ItemResult": "gitnews.models",
    "Outcome": "gitnews.models",
    "Page": "gitnews.models",
    "RunResult": "gitnews.models",
    "Version": "gitnews.models",
    "canonical_url": "gitnews.format.urls",
    "article_path": "gitnews.format.paths",
    **dict.fromkeys(
        ["GitnewsError", "ConfigError", "ArchiveError", "ArchiveLockedError",
         "ReadOnlyArchiveError", "FetchError", "BlockedURLError", "RobotsDisallowedError",
         "HostBackoffError", "TooLargeError", "HTTPStatusError", "FeedError", "ExtractionError",
         "StoreError", "CacheError", "NotFoundError", "PushError", "PushConflictError",
         "HookError", "SiteError"], _ERRORS),
}


def __getattr__(name: str) -> object:
    """The public ``name``, imported from its module (:data:`_HOMES`) on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gitnews' has no attribute {name!r}")
    from importlib import import_module

    value: object = getattr(import_module(home), name)
    globals()[name] = value  # the next use finds it without this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
