"""What one run knows of one article, and reading its earlier versions.

:class:`ArticleState` is what a :class:`~gitnews.versions.record.Recorder` knows
and has queued for one article in this run: its number of versions, the file's
text (blob id), its noise records (a held text, a pending removal, an
alternation count; the cache's ``held``, ``gone`` and ``alternations`` tables)
and its history, loaded on first need.  :class:`PastVersion` is one version as
far as the decisions need it.  :class:`ArticleHistory` reads the history from the
cache (no ``git log``) and earlier texts from git (one ``git cat-file --batch``
process per run), and appends the versions this run queues.

The typed rows (:class:`CaptureInfo`, :class:`HeldText`, :class:`PendingRemoval`,
:class:`Alternation`) are what the noise tables keep; a held text keeps its
:class:`CaptureInfo` (JSON in the cache) so that its commit can be made later.
:class:`CheckResult` is what the run writes back for each check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NotRequired, Required, TypedDict, cast

from gitnews.archive.objects import BlobReader

if TYPE_CHECKING:
    from gitnews.archive.cache import State
    from gitnews.archive.cache.noise import GoneRow, HeldRow
    from gitnews.archive.repo import Archive

__all__ = ["ArticleState", "PastVersion", "ArticleHistory", "CaptureInfo", "HeldData",
           "HeldText", "PendingRemoval", "Alternation", "CheckResult", "noise_rows",
           "store_noise"]


class CheckResult(TypedDict, total=False):
    """One check's result for the cache (:meth:`~gitnews.archive.cache.State.record_check`)."""

    checked_at: Required[datetime]
    etag: str | None
    last_modified: str | None
    error: str


class CaptureInfo(TypedDict, total=False):
    """What a version commit needs of a capture besides its text (the names of
    :func:`gitnews.format.messages.version_trailers`).  Kept in the cache as JSON
    with a held text, so a row written by an older gitnews may lack keys."""

    url: Required[str]
    requested: str
    status: int | None
    extractor: str | None
    feed: str | None
    published_at: str | None
    byline: str | None
    social_title: str | None
    seo_title: str | None
    page_sha: str | None
    extra: list[list[object]]  # [key, value] pairs (JSON has no tuples)
    notices: list[str]  # the page's schema.org correction notices (versions.corrections)
    # A held text's page capture (WARC bytes, zlib, base64): the evidence of a version a
    # 304 later confirms (versions.record, archive.captures.not_modified_warc)
    page_warc: str


class HeldData(CaptureInfo, total=False):
    """A held text's :class:`CaptureInfo` with the text itself."""

    text: Required[str]


class HeldText(TypedDict):
    """A suspicious text held for confirmation (the cache's ``held`` table)."""

    blob: str
    first_seen: str  # RFC 3339
    sightings: int
    reason: str
    data: HeldData


class PendingRemoval(TypedDict):
    """The first sighting of a removal not yet committed (the cache's ``gone`` table)."""

    first_seen: str  # RFC 3339
    status: int | None
    detail: str | None
    this_run: NotRequired[bool]  # first seen by this run (not stored)


class Alternation(TypedDict):
    """Returns to an earlier text counted, not committed (the ``alternations`` table)."""

    returns: int
    last_seen: str | None  # RFC 3339
    seen_blob: str | None


@dataclass
class PastVersion:
    """One version of an article, as far as decisions need it."""

    number: int
    blob: str | None  # None: the removal
    trailers: dict[str, str]


@dataclass
class ArticleState:
    """What this run knows and has queued for one article."""

    versions: int
    blob: str | None  # the file's text (an outside edit's when ``outside``)
    removed: bool
    url: str | None = None
    outside: bool = False  # the file holds an outside edit, not the newest version's text
    history: list[PastVersion] | None = None   # loaded on first need
    texts: dict[str, str] = field(default_factory=dict)  # blob id -> text
    held: HeldText | None = None
    gone: PendingRemoval | None = None
    alt: Alternation | None = None
    dirty: set[str] = field(default_factory=set)  # "held", "gone", "alt"
    latest: datetime | None = None  # when the newest version was fetched or captured


# The cache's noise rows (gitnews.archive.cache.noise) and the recorder's typed rows above:
# these two functions are the one place where one becomes the other.
def noise_rows(state: State, path: str
               ) -> tuple[HeldText | None, PendingRemoval | None, Alternation | None]:
    """The held text, pending removal and alternation count the cache has for ``path``."""
    return (cast("HeldText | None", state.get_held(path)),
            cast("PendingRemoval | None", state.get_gone(path)),
            state.get_alternation(path))


def store_noise(state: State, path: str, article: ArticleState) -> None:
    """Write the noise rows of ``article`` that this run changed to the cache."""
    if "held" in article.dirty:
        state.set_held(path, cast("HeldRow | None", article.held))
    if "gone" in article.dirty:
        state.set_gone(path, cast("GoneRow | None", article.gone))
    if "alt" in article.dirty and article.alt is not None:
        state.set_alternation(path, article.alt)


class ArticleHistory:
    """The versions and earlier texts of the articles of one run."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.state = archive.state
        self._reader: BlobReader | None = None  # earlier texts, read on first need

    def versions(self, path: str, local: ArticleState) -> list[PastVersion]:
        """The article's versions (from the cache's ``versions`` table: no
        ``git log``), plus those queued in this run."""
        if local.history is None:
            local.history = [PastVersion(v.number, v.blob, v.trailers)
                             for v in self.state.versions(path)] if local.versions else []
        return local.history

    def text(self, local: ArticleState, blob: str | None) -> str:
        """The text of ``blob``: queued in this run, else read from git through one
        ``git cat-file --batch`` process for the whole run (no process per read)."""
        if blob is None:
            return ""
        text = local.texts.get(blob)
        if text is None:
            if self._reader is None:
                self._reader = BlobReader(self.archive.repo)
            text = self._reader.read([blob])[blob].decode("utf-8", "replace")
        return text

    def previous_text(self, path: str, local: ArticleState) -> tuple[str, PastVersion | None]:
        """The latest text of the article (before a removal, for a removed one)."""
        history = self.versions(path, local)
        for past in reversed(history):
            if past.blob is not None:
                return self.text(local, past.blob), past
        return "", None

    def queue(self, path: str, local: ArticleState, version: int, blob: str | None,
              trailers: dict[str, str]) -> None:
        """Add a version this run commits (``blob`` None: a removal) to the history."""
        if local.history is not None or local.versions:
            self.versions(path, local).append(PastVersion(version, blob, trailers))
        else:
            local.history = [PastVersion(version, blob, trailers)]
        local.versions = version

    def close(self) -> None:
        """End the ``git cat-file`` process that read earlier texts, if any."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
