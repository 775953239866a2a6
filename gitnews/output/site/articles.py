"""The site's articles, read from the history: every article's versions from one
``git log`` (:func:`read_histories`), and :class:`SiteArticle`, what the pages
know of one article (its versions, their capture times, its cache record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.history import is_version, iter_commits, same_text
from gitnews.archive.worktree import commit_of
from gitnews.format.trailers import ARTICLE_URL, FEED, format_time
from gitnews.models import Version

if TYPE_CHECKING:
    import git

    from gitnews.archive.cache import State

__all__ = ["SiteArticle", "read_histories", "cached_histories", "record_from"]


@dataclass
class SiteArticle:
    """One article of the site: its archive ``path``, its ``host`` (the path's first
    folder), its ``versions`` oldest first, their capture ``times`` and its ``record``."""

    path: str
    host: str
    versions: list[Version]
    times: list[datetime]
    record: ArticleRecord

    @cached_property
    def change_numbers(self) -> list[int]:
        """The numbers of the versions that are changes, oldest first: every version
        after the first but those that only put back the text of the version before
        (after an outside edit, :func:`gitnews.archive.history.same_text`): no diff page,
        no feed entry, not counted.  Computed once (the versions do not change)."""
        return [n for n in range(2, len(self.versions) + 1)
                if not same_text(self.versions[n - 2], self.versions[n - 1])]

    @property
    def changes(self) -> int:
        return len(self.change_numbers)

    @property
    def last_change_time(self) -> datetime:
        """When the article last changed (its first version's time if never)."""
        numbers = self.change_numbers
        return self.times[numbers[-1] - 1] if numbers else self.times[0]

    @property
    def last_commit(self) -> str:
        return self.versions[-1].commit


def read_histories(repo: git.Repo) -> dict[str, list[Version]]:
    """Every article's versions, oldest first, from one ``git log`` of the repository.

    ``{archive path: [Version, ...]}``: the commits that touched a ``.txt``
    file and are gitnews's versions (:func:`gitnews.archive.history.is_version`, as
    the cache counts them, :mod:`gitnews.archive.cache`), numbered from 1, each with
    its blob id (None for a removal).  Outside edits (commits made without
    gitnews) are no versions: the site never shows them as changes.  {} for
    an archive without commits.
    """
    out: dict[str, list[Version]] = {}
    if commit_of(repo, "HEAD") is None:
        return out
    for entry in iter_commits(repo, "HEAD", blobs=True):
        trailers = None
        for status, path in entry.changes:
            if not path.endswith(".txt"):
                continue
            if trailers is None:
                trailers = entry.trailers
            if not is_version(trailers):
                continue
            versions = out.setdefault(path, [])
            versions.append(entry.version(path, len(versions) + 1, status=status,
                                          trailers=trailers))
    return out


def cached_histories(state: State) -> dict[str, list[Version]]:
    """Every article's versions, oldest first, from the cache's ``versions`` table
    (:meth:`gitnews.archive.cache.ArticleLookups.all_versions`, one SQLite query): the
    same ``{archive path: [Version, ...]}`` as :func:`read_histories` gives from the
    whole ``git log`` (a test compares them), without reading or parsing a commit.
    ``state`` must be synced with the branch (:attr:`gitnews.archive.repo.Archive.state`
    is)."""
    return dict(state.all_versions())


def record_from(path: str, versions: list[Version]) -> ArticleRecord:
    """The article's record built from its versions (for an article the cache lacks)."""
    last = versions[-1]
    return ArticleRecord(path=path, url=last.trailers.get(ARTICLE_URL, ""),
                         versions=len(versions), blob=last.blob,
                         headline=None, feed=last.trailers.get(FEED),
                         first_seen=format_time(versions[0].fetched_at),
                         last_changed=format_time(last.fetched_at), removed=last.removed)
