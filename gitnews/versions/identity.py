"""Which file an article is: one article, one history.

A capture names its article by several URLs: the canonical URL
(:func:`gitnews.format.sites.article_url`: the final URL, or the page's validated
``rel=canonical``), the final URL, the URL requested, every redirect and the
feed entry id.  :class:`Identity` finds the file of the first of them that this
run (by :func:`~gitnews.format.urls.identity_key`) or the cache (its aliases)
already knows; otherwise it claims a new file at
:func:`~gitnews.format.paths.article_path` of the canonical URL (hashed when
that path is taken, also case-insensitively).  It keeps, per file, the
:class:`~gitnews.versions.article.ArticleState` of this run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from gitnews.archive.cache import ArticleRecord
from gitnews.format.paths import article_path
from gitnews.format.trailers import parse_time
from gitnews.format.urls import identity_key
from gitnews.versions.article import ArticleState, noise_rows

if TYPE_CHECKING:
    from gitnews.archive.cache import State

__all__ = ["Identity", "identity_key_or_url"]


def identity_key_or_url(url: str) -> str:
    """:func:`~gitnews.format.urls.identity_key` of ``url``, or ``url`` itself when it
    has none (not an http(s) URL)."""
    try:
        return identity_key(url)
    except Exception:
        return url


class Identity:
    """The files of the articles this run sees, and what it knows of each.

    ``articles``: the :class:`~gitnews.versions.article.ArticleState` of every
    file claimed in this run, by path.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.articles: dict[str, ArticleState] = {}
        self._keys: dict[str, str] = {}  # identity key -> path, for this run's captures
        self._folded: set[str] = set()  # casefolded paths of articles (no scan per capture)
        # Paths the noise tables know (held, gone, alternations), read once: the run
        # asks about the others without a query (only Recorder.apply() writes those tables).
        self.noted = state.noted_paths()
        self._records: dict[str, ArticleRecord] = {}  # given by prime(), used once each

    def prime(self, records: Iterable[ArticleRecord]) -> None:
        """Hand over cache records the caller has already read (a run's plan), so
        that the first capture of each article needs no query for it.  Only the
        cache's articles table is read this way; it does not change before
        the run's cache write-back."""
        self._records.update((r.path, r) for r in records)

    def find(self, urls: Sequence[str]) -> str | None:
        """The path of the article any of ``urls`` names (this run first, then the cache)."""
        for url in urls:
            try:
                key = identity_key(url)
            except Exception:
                continue
            if key in self._keys:
                return self._keys[key]
        for url in urls:
            record = self.state.lookup(url)
            if record is not None:
                return record.path
        return None

    def claim(self, canonical: str, known_path: str | None,
              others: Sequence[str] = ()) -> tuple[str, ArticleState]:
        """The path of the article ``canonical`` (or one of ``others``) names."""
        path = known_path or self.find([canonical, *others])
        if path is None:
            path = article_path(canonical)
            if self.state.path_taken(path) or path.casefold() in self._folded:
                path = article_path(canonical, hashed=True)
        if path not in self.articles:
            record = self._records.pop(path, None) or self.state.get(path)
            held, gone, alt = noise_rows(self.state, path) if path in self.noted \
                else (None, None, None)
            self.articles[path] = ArticleState(
                versions=record.versions if record else 0,
                blob=record.blob if record else None,
                removed=bool(record and record.removed),
                url=record.url if record else None,
                outside=bool(record and record.outside_edit),
                held=held, gone=gone, alt=alt,
                latest=parse_time(record.last_changed) if record else None)
            self._folded.add(path.casefold())
        for url in [canonical, *others]:
            try:
                self._keys.setdefault(identity_key(url), path)
            except Exception:
                pass
        return path, self.articles[path]
