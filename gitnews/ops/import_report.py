"""What an import reports: one :class:`ImportItem` per record, the skip reasons, progress.

Every record an import meets (:mod:`gitnews.ops.importing`, the WARC and
Wayback imports) ends as one :class:`ImportItem`: a new version (NEW,
CHANGED), deliberately SKIPPED (with a reason from :data:`SKIP_REASONS`) or
FAILED (bad input), reported with what to do; :class:`ImportResult` holds
them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gitnews.models import Outcome

__all__ = ["ImportItem", "ImportResult", "ImportProgress", "ProgressCallback", "skip",
           "SKIP_REASONS", "NOT_CAPTURE", "NOT_HTML", "NOT_200", "OUT_OF_RANGE", "DUPLICATE",
           "NOT_NEWER", "REPEATED", "UNRESOLVED_REVISIT"]

# Why a record was skipped (the keys of ImportResult.skipped), in the order shown.
NOT_NEWER = "not newer than the article's newest version"
REPEATED = "same text as the article's previous version"
DUPLICATE = "the same capture again"
NOT_HTML = "not an HTML page"
NOT_200 = "HTTP status other than 200"
OUT_OF_RANGE = "outside --from/--to"
UNRESOLVED_REVISIT = "revisit of a capture that is not in the files imported"
NOT_CAPTURE = "not a capture (warcinfo, request, metadata, resource... record)"
#: Every skip reason, in the order a summary lists them.
SKIP_REASONS = (NOT_NEWER, REPEATED, DUPLICATE, NOT_HTML, NOT_200, OUT_OF_RANGE,
                UNRESOLVED_REVISIT, NOT_CAPTURE)


@dataclass(slots=True)
class ImportItem:
    """What an import did with one record.

    ``outcome``: NEW or CHANGED (a version was added: ``path``, ``version``,
    ``headline``), SKIPPED (``reason``, one of :data:`SKIP_REASONS`) or FAILED;
    ``source``: the WARC file's name or the Wayback address concerned;
    ``where``: the record's place in it (``byte 1,234``, ``CDX line 7``);
    ``message``: for FAILED and some SKIPPED items, what happened and what to do.
    """

    outcome: Outcome
    source: str
    url: str | None = None
    captured_at: datetime | None = None
    reason: str | None = None
    message: str | None = None
    where: str | None = None
    path: str | None = None
    version: int | None = None
    headline: str | None = None


@dataclass
class ImportResult:
    """Everything one import did; ``items`` in order: failed and skipped
    records as they were read, then the captures in capture-time order."""

    items: list[ImportItem] = field(default_factory=list)
    records_read: int = 0
    sources: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: True when a stop request (SIGINT/SIGTERM) ended the import early; the
    #: captures recorded before it are committed.
    interrupted: bool = False
    #: Captures found but not imported because of the stop (records not read yet
    #: are not counted); importing the same files again adds them.
    left_undone: int = 0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome is outcome)

    @property
    def versions_added(self) -> int:
        return self.count(Outcome.NEW) + self.count(Outcome.CHANGED)

    @property
    def articles(self) -> int:
        """Distinct articles the imported captures belong to (added or skipped)."""
        return len({i.path for i in self.items if i.path})

    @property
    def skipped(self) -> dict[str, int]:
        """Skipped records per reason, in :data:`SKIP_REASONS` order (reasons with none left out)."""
        counts = Counter(i.reason for i in self.items if i.outcome is Outcome.SKIPPED)
        return {r: counts[r] for r in SKIP_REASONS if counts[r]}

    @property
    def failures(self) -> list[ImportItem]:
        return [i for i in self.items if i.outcome is Outcome.FAILED]


@dataclass(frozen=True)
class ImportProgress:
    """How far an import is: ``stage`` is ``reading`` (WARC files: ``done`` of
    ``total`` bytes), ``listing`` (Wayback URLs) or ``importing`` (captures);
    ``note`` a message to show (records read so far, a rate-limit wait)."""

    stage: str
    done: int
    total: int | None
    note: str | None = None


ProgressCallback = Callable[[ImportProgress], None]


def skip(item: ImportItem, reason: str, message: str | None = None) -> ImportItem:
    """``item``, SKIPPED for ``reason`` (one of :data:`SKIP_REASONS`), with ``message``."""
    item.outcome, item.reason, item.message = Outcome.SKIPPED, reason, message
    return item
