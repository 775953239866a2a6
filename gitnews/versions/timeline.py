"""One article's versions as readers see them: texts, gaps, sizes of change.

:func:`load_timeline` reads the article's versions from the cache (or asks git
once, :func:`gitnews.archive.history.file_history`: one ``git log --raw`` for the
article's path) and reads the texts on demand
through the repository's persistent ``git cat-file`` process
(:func:`gitnews.archive.objects.read_blobs`).  Nothing here walks the whole history.

:func:`gap_words` puts the time between two versions in words, News Sniffer
style ("about 7 hours later"), with :func:`humanize.naturaldelta`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import humanize

from gitnews.archive.cache import ArticleRecord, State
from gitnews.archive.history import OutsideEdit, file_history, same_text, text_changes, version_time
from gitnews.archive.objects import read_blobs
from gitnews.format.normalise import parse_text
from gitnews.format.paths import article_host
from gitnews.models import Version
from gitnews.versions.diff import DiffResult, DiffStats, count_words, diff_texts
from gitnews.versions.resolve import pick_version

if TYPE_CHECKING:
    import git

__all__ = ["Timeline", "VersionInfo", "DiffView", "load_timeline", "gap_words", "article_host"]

_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_EXACT = re.compile(r"^(a|an|\d+) (second|minute|hour|day)s?$")


def gap_words(delta: timedelta) -> str:
    """The time between two versions in words: ``"about 7 hours later"``.

    The amount is :func:`humanize.naturaldelta` (which rounds to one unit;
    months only from 45 days on, so that 20 days stay "20 days"); "about" is
    added unless the gap is exactly that amount ("2 days later").  A gap under
    a second is ``"at the same time"``; a negative gap (a version captured before
    the previous one) ends in "earlier".
    """
    seconds = delta.total_seconds()
    if abs(seconds) < 1:
        return "at the same time"
    span = abs(delta)
    words = humanize.naturaldelta(span, months=span.days >= 45)
    m = _EXACT.match(words)
    exact = False
    if m:
        n = 1 if m.group(1) in ("a", "an") else int(m.group(1))
        exact = n * _UNIT_SECONDS[m.group(2)] == int(span.total_seconds()) \
            and span.microseconds == 0
    return f"{'' if exact else 'about '}{words} {'later' if seconds > 0 else 'earlier'}"


@dataclass(frozen=True)
class VersionInfo:
    """One version with what a reader wants to know about it.

    ``time``: capture time (:func:`gitnews.archive.history.version_time`), UTC.
    ``gap``: time since the previous version (None for the first).
    ``stats``: the change from the previous version (None for the first).
    ``headline``: line 1 of its text (None for a removal);
    ``previous_headline``: the previous version's, when both have text and
    the headlines differ (else None).
    ``paragraphs`` / ``words``: the size of its body and whole text.
    ``same_text``: its text is the previous version's (it only put the text
    back after an outside edit, :func:`gitnews.archive.history.same_text`): not a change.
    """

    version: Version
    time: datetime
    gap: timedelta | None
    stats: DiffStats | None
    headline: str | None
    previous_headline: str | None
    paragraphs: int
    words: int
    same_text: bool = False

    @property
    def number(self) -> int:
        return self.version.number

    @property
    def headline_changed(self) -> bool:
        return self.previous_headline is not None


@dataclass(frozen=True)
class DiffView:
    """Everything a rendered diff shows: the article, versions A and B, the diff.

    ``a``/``b`` are the two versions (A older in the usual case; any order is
    allowed); ``old_text``/``new_text`` their texts exactly as stored (``""``
    for a removal); ``versions`` how many versions the article has;
    ``repeats`` how many of them only put back the text of the version before
    (:func:`gitnews.archive.history.same_text`, not changes).
    """

    record: ArticleRecord
    versions: int
    a: VersionInfo
    b: VersionInfo
    old_text: str
    new_text: str
    diff: DiffResult
    repeats: int = 0

    @property
    def changes(self) -> int:
        """How many times the article changed: versions - 1 - repeats."""
        return max(0, self.versions - 1 - self.repeats)

    @property
    def gap(self) -> timedelta:
        return self.b.time - self.a.time

    @property
    def gap_words(self) -> str:
        return gap_words(self.gap)

    @property
    def host(self) -> str:
        return article_host(self.record.url)


@dataclass
class Timeline:
    """The versions of one article (oldest first) and lazy access to their texts.

    ``outside``: the outside edits of its file (commits made without gitnews,
    :func:`gitnews.archive.history.is_version`), oldest first: shown, never versions.
    """

    repo: git.Repo
    record: ArticleRecord
    versions: list[Version]
    outside: list[OutsideEdit] = field(default_factory=list)
    _texts: dict[str, bytes] = field(default_factory=dict, repr=False)
    _infos: dict[int, VersionInfo] = field(default_factory=dict, repr=False)
    _diffs: dict[tuple[str, str], DiffResult] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        """How messages name the article: its canonical URL."""
        return self.record.url

    def pick(self, number: int, *, allow_removed: bool = True) -> Version:
        """See :func:`gitnews.versions.resolve.pick_version` (NotFoundError out of range)."""
        return pick_version(self.versions, number, article=self.label,
                            allow_removed=allow_removed)

    def data(self, version: Version) -> bytes:
        """The file's bytes at ``version`` exactly as stored (b"" for a removal)."""
        if version.removed or version.blob is None:
            return b""
        if version.blob not in self._texts:
            self._texts.update(read_blobs(self.repo, [version.blob]))
        return self._texts[version.blob]

    def text(self, version: Version) -> str:
        """:meth:`data` decoded as UTF-8 (invalid bytes replaced, never raises)."""
        return self.data(version).decode("utf-8", "replace")

    def add_texts(self, texts: dict[str, bytes]) -> None:
        """Use blob contents already read (blob id -> bytes), e.g. by
        :func:`gitnews.archive.objects.read_blobs_batch` for many articles at once."""
        self._texts.update(texts)

    def prefetch(self, versions: list[Version] | None = None) -> None:
        """Read the texts of ``versions`` (default: all) in one pass."""
        wanted = [v.blob for v in (versions or self.versions)
                  if v.blob and not v.removed and v.blob not in self._texts]
        if wanted:  # (nothing to read: no git process started for it)
            self._texts.update(read_blobs(self.repo, wanted))

    def info(self, version: Version) -> VersionInfo:
        """:class:`VersionInfo` of ``version`` (diffs it with the previous version)."""
        if version.number in self._infos:
            return self._infos[version.number]
        text = self.text(version)
        head, body = parse_text(text) if text else (None, [])
        prev = self.versions[version.number - 2] if version.number > 1 else None
        time = version_time(version)
        gap = stats = previous_headline = None
        if prev is not None:
            prev_text = self.text(prev)
            result = self._diff_texts(prev, version)
            stats = result.stats
            gap = time - version_time(prev)
            prev_head = parse_text(prev_text)[0] if prev_text else None
            if prev_head is not None and head is not None and prev_head != head:
                previous_headline = prev_head
        info = VersionInfo(version=version, time=time, gap=gap, stats=stats, headline=head,
                           previous_headline=previous_headline, paragraphs=len(body),
                           words=count_words(text), same_text=same_text(prev, version))
        self._infos[version.number] = info
        return info

    @property
    def changes(self) -> int:
        """How many times the article changed (:func:`gitnews.archive.history.text_changes`):
        a version that only put back the text after an outside edit is no change."""
        return text_changes(self.versions)

    def infos(self) -> list[VersionInfo]:
        """:meth:`info` of every version, oldest first."""
        self.prefetch()
        return [self.info(v) for v in self.versions]

    def diff(self, a: Version, b: Version) -> DiffView:
        """The :class:`DiffView` of version ``a`` against version ``b``."""
        self.prefetch([a, b])
        old, new = self.text(a), self.text(b)
        return DiffView(record=self.record, versions=len(self.versions), a=self.info(a),
                        b=self.info(b), old_text=old, new_text=new, diff=self._diff_texts(a, b),
                        repeats=len(self.versions) - 1 - self.changes)

    def _diff_texts(self, a: Version, b: Version) -> DiffResult:
        """:func:`diff_texts` of two versions, computed once per pair."""
        key = (a.commit, b.commit)
        if key not in self._diffs:
            self._diffs[key] = diff_texts(self.text(a), self.text(b))
        return self._diffs[key]


def load_timeline(repo: git.Repo, record: ArticleRecord, *, state: State | None = None
                  ) -> Timeline:
    """The :class:`Timeline` of the article ``record``: its versions and outside
    edits from the archive's synced cache ``state`` (no ``git log``;
    :meth:`State.versions`, :meth:`State.outside_edits`), or without one (or
    when the cache has none) from one ``git log``."""
    if state is not None:
        found = state.versions(record.path)
        if found:
            return Timeline(repo=repo, record=record, versions=found,
                            outside=state.outside_edits(record.path))
    found, outside = file_history(repo, record.path)
    return Timeline(repo=repo, record=record, versions=found, outside=outside)
