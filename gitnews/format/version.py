"""The Version value: one version of one article, as a version commit records it (pure).

A version commit (docs/archive-format.md) changes one article's file and
carries its metadata in its message's trailers (:mod:`gitnews.format.trailers`).
:class:`Version` is that commit read back: where the file is, which version
it is, the commit, its time, its subject and trailers, and whether it removed
the file.  :meth:`Version.from_commit` builds one from what ``git log`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gitnews.format.trailers import ARTICLE_URL, CHANGE_KIND, REVERTS_TO, parse_trailers

__all__ = ["Version"]


@dataclass(frozen=True)
class Version:
    """One version of one article, as recorded in git.

    ``number`` counts from 1; ``commit`` is the full commit id; ``trailers``
    maps each trailer key to its value (the last one when a key repeats).
    ``removed`` is True for a removal commit (the file was deleted).
    ``blob`` is the git blob id (40 hex) of the file's text at this version,
    None for a removal or when the reader did not ask git for it.
    ``fetched_at`` is the commit's time (its author date, which
    :mod:`gitnews.archive.store` sets to the fetch time).
    """

    path: str
    number: int
    commit: str
    fetched_at: datetime
    subject: str
    trailers: dict[str, str] = field(default_factory=dict)
    removed: bool = False
    blob: str | None = None

    @classmethod
    def from_commit(cls, *, path: str, number: int, commit: str, message: str, time: datetime,
                    removed: bool = False, blob: str | None = None) -> Version:
        """The version a commit records: ``message`` is the whole commit message
        (its first line is the subject, its trailers are read with
        :func:`~gitnews.format.trailers.parse_trailers`), ``time`` the commit's
        author date; ``path`` the article's file, ``number`` its version number,
        ``removed`` whether the commit deleted the file, ``blob`` the file's blob id."""
        return cls(path=path, number=number, commit=commit, fetched_at=time,
                   subject=message.split("\n", 1)[0], trailers=dict(parse_trailers(message)),
                   removed=removed, blob=blob)

    @property
    def article_url(self) -> str | None:
        """The ``Article-Url`` trailer: the article's canonical URL (None if missing)."""
        return self.trailers.get(ARTICLE_URL)

    @property
    def change_kinds(self) -> tuple[str, ...]:
        """The ``Change-Kind`` trailer's values (``("headline", "body")``), in the
        order written; empty for a first version or a commit without the trailer."""
        return tuple(kind for kind in (k.strip() for k in self.trailers.get(CHANGE_KIND, "").split(","))
                     if kind)

    @property
    def reverts_to(self) -> int | None:
        """The ``Reverts-To`` trailer: the number of the earlier version whose text
        this one brings back, or None (missing or not a number)."""
        try:
            return int(self.trailers.get(REVERTS_TO) or "")
        except ValueError:
            return None
