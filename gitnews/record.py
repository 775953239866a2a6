"""Decide what a capture means for the archive and queue its commit.

A *capture* is one observation of an article page (a live fetch by
:mod:`gitnews.poll`, or a web-archive record by an import).  :class:`Recorder`
finds the article it belongs to (any known alias; otherwise a new file at
:func:`~gitnews.paths.article_path` of its canonical URL, hashed when that path
is taken), compares the normalised text with the article's current version
(by git blob id) and, when it differs, queues one commit on the run's
:class:`~gitnews.store.Transaction`.  Several captures of one article in one
run are counted correctly (``Version`` = the file's commit count).

Cache updates (validators, aliases) are kept until :meth:`Recorder.apply`,
called after the transaction has finished, so that nothing is remembered for
a version that never reached git.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .archive import Archive
from .models import Article, ItemResult, Outcome, Page
from .paths import article_path
from .store import Transaction, blob_id
from .trailers import format_message, format_subject, format_time
from .urls import canonical_url, url_key

__all__ = ["Capture", "Recorder"]


@dataclass
class Capture:
    """One observation of an article.

    ``requested_url``: the URL asked for (feed link, tracked URL, archived URL);
    ``page``: the response (``final_url`` after redirects, ``fetched_at``);
    ``article``/``text``: the extraction and the file text rendered from it;
    ``path``: the article's file when the caller already knows it;
    ``aliases``: other URLs seen for it (feed entry ids);
    ``extra_trailers``: more ``(key, value)`` pairs for the commit (an import's
    ``Captured-At``, ``Source-Archive``).
    """

    requested_url: str
    page: Page
    article: Article
    text: str
    feed: str | None = None
    path: str | None = None
    aliases: tuple[str, ...] = ()
    extra_trailers: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class _Local:
    """What this run has queued for one article so far."""

    versions: int
    blob: str | None
    removed: bool
    key: str


class Recorder:
    """Turns captures into version commits on ``tx`` (None: a dry run, nothing written).

    Not thread-safe: call it from the one thread that writes.
    """

    def __init__(self, archive: Archive, tx: Transaction | None) -> None:
        self.archive = archive
        self.state = archive.state
        self.tx = tx
        self._local: dict[str, _Local] = {}
        self._local_keys: dict[str, str] = {}  # url key -> path, first seen (index of _local)
        self._local_folded: set[str] = set()  # casefolded paths of _local
        self._checks: list[tuple[str, dict]] = []
        self._aliases: list[tuple[str, list[str]]] = []

    # -- identity ------------------------------------------------------------------------
    def _claim(self, canonical: str, known_path: str | None) -> tuple[str, _Local]:
        """The path of the article ``canonical`` names, and what we know of it."""
        key = url_key(canonical)
        path = known_path
        if path is None:
            record = self.state.lookup(canonical)
            path = record.path if record else self._local_keys.get(key)
        if path is None:
            path = article_path(canonical)
            if self.state.path_taken(path) or path.casefold() in self._local_folded:
                path = article_path(canonical, hashed=True)
        if path not in self._local:
            record = self.state.get(path)
            self._local[path] = _Local(versions=record.versions if record else 0,
                                       blob=record.blob if record else None,
                                       removed=bool(record and record.removed), key=key)
            self._local_keys.setdefault(key, path)
            self._local_folded.add(path.casefold())
        return path, self._local[path]

    # -- outcomes ------------------------------------------------------------------------
    def failed(self, url: str, message: str, *, path: str | None, when: datetime) -> ItemResult:
        """Note a failed check of ``url`` (its failure streak grows)."""
        if path:
            self._checks.append((path, {"checked_at": when, "error": message}))
        return ItemResult(url=url, outcome=Outcome.FAILED, path=path, message=message)

    def not_modified(self, url: str, page: Page, *, path: str) -> ItemResult:
        """Note a 304 answer: the article is unchanged."""
        self._checks.append((path, {"checked_at": page.fetched_at}))
        return ItemResult(url=url, outcome=Outcome.UNCHANGED, path=path)

    def record(self, capture: Capture) -> ItemResult:
        """Compare ``capture`` with its article's current version; queue a commit if new."""
        page = capture.page
        canonical = canonical_url(page.final_url)
        path, local = self._claim(canonical, capture.path)
        self._aliases.append((path, [capture.requested_url, page.final_url, canonical,
                                     *page.redirects, *capture.aliases]))
        self._checks.append((path, {"checked_at": page.fetched_at, "etag": page.etag,
                                    "last_modified": page.last_modified}))
        data = capture.text.encode("utf-8")
        blob = blob_id(data)
        headline = capture.text.split("\n", 1)[0]
        if local.blob == blob and not local.removed:
            return ItemResult(url=canonical, outcome=Outcome.UNCHANGED, path=path,
                              headline=headline)
        new = local.versions == 0
        version = local.versions + 1
        message = format_message(
            format_subject("New" if new else "Changed", headline),
            [*self._trailers(canonical, version, capture), *capture.extra_trailers])
        if self.tx is not None:
            self.tx.commit({path: data}, message=message, when=page.fetched_at)
        local.versions, local.blob, local.removed = version, blob, False
        return ItemResult(url=canonical, outcome=Outcome.NEW if new else Outcome.CHANGED,
                          path=path, version=version, headline=headline)

    @staticmethod
    def _trailers(url: str, version: int, capture: Capture) -> list[tuple[str, object]]:
        page, article = capture.page, capture.article
        requested = capture.requested_url
        return [
            ("Article-Url", url),
            ("Version", version),
            ("Fetched-At", format_time(page.fetched_at)),
            ("Http-Status", page.status),
            ("Extractor", article.extractor),
            ("Fetched-Url", requested if url_key(requested) != url_key(url) else None),
            ("Feed", capture.feed),
            ("Published-At", article.published_at),
            ("Byline", article.byline),
        ]

    # -- after the commits ---------------------------------------------------------------
    def apply(self) -> None:
        """Sync the cache with git, then store aliases and check results.

        Call only after the transaction finished (or for a dry run: never).
        """
        self.state.sync(transaction=self.tx)  # the run's commits, without reading them back
        with self.state.batch():  # one SQLite transaction, not one per row
            for path, urls in self._aliases:
                self.state.add_aliases(path, urls)
            for path, kwargs in self._checks:
                self.state.record_check(path, **kwargs)
