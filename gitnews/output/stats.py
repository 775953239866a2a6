"""How the archive's sources edit: ``gitnews stats`` and the site's statistics page.

:func:`archive_stats` reads the cache (the ``articles`` table for each article's
feed and headline, the ``versions`` table for every version's time, blob id and
``Change-Kind``; :mod:`gitnews.archive.cache.schema`), never git, and counts per
*source* and in total.  A source is the feed an article was found in (the
article's ``Feed``); articles added on their own share the source
:data:`SINGLE_ARTICLES`.

The rules, the same as ``gitnews log``, ``changes`` and the site:

* a *change* is a version after the first that is not a mere restoration of the
  text after an outside edit (:func:`gitnews.archive.history.same_text`: the same
  blob id as the version before it) nor a re-extraction by gitnews
  (``Change-Kind: extraction``, ``gitnews reextract``: the extractor's change, not
  the publisher's); *versions* are the first version plus the changes plus the
  re-extractions, which are counted under ``kinds`` (``extraction``) and nowhere else;
* a change's kinds are its ``Change-Kind`` values
  (:func:`gitnews.output.changelist.change_kinds`);
* *time to first change*: from an article's first version to its first change,
  in seconds; the median and the 90th percentile are taken over the articles
  that changed, by linear interpolation between the closest ranks
  (:func:`quantile`); None without any;
* *edits per day*: changes per UTC day (``YYYY-MM-DD``).

Deterministic: sources sort by name (:data:`SINGLE_ARTICLES` last), days and
kinds by name, the most-edited articles by changes (most first), then last
change (newest first), then path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.format.trailers import CHANGE_KIND, KIND_EXTRACTION, KIND_HEADLINE, KIND_REMOVED, format_time
from gitnews.output.changelist import change_kinds

if TYPE_CHECKING:
    from gitnews.archive.reader import CacheSource

__all__ = ["SINGLE_ARTICLES", "MOST_EDITED", "FIRST_CHANGE_BUCKETS", "EditedArticle",
           "SourceStats", "ArchiveStats", "archive_stats", "quantile", "merge_sources"]

#: The source of articles added on their own (``gitnews add --article``), not from a feed.
SINGLE_ARTICLES = "single articles"
#: How many most-edited articles each source lists.
MOST_EDITED = 10
#: The bars of the time-to-first-change chart: (label, upper bound in seconds, excluded).
FIRST_CHANGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("under 1 hour", 3600.0), ("1-6 hours", 6 * 3600.0), ("6-24 hours", 86400.0),
    ("1-7 days", 7 * 86400.0), ("over 7 days", float("inf")))


@dataclass(frozen=True)
class EditedArticle:
    """One of the most-edited articles: archive ``path``, ``url``, ``headline``
    (the cache's, of the newest version), ``changes``, ``last_change`` (aware UTC)."""

    path: str
    url: str
    headline: str
    changes: int
    last_change: datetime


@dataclass
class SourceStats:
    """The figures of one source (or of the whole archive, ``source`` ``"total"``).

    Times are seconds (float); ``kinds``: changes per ``Change-Kind`` value (a
    change of two kinds counts for both); ``per_day``: changes per UTC day;
    ``first_change``: every changed article's time to its first change, in
    seconds, ascending (for charts)."""

    source: str
    articles: int = 0
    versions: int = 0
    changed_articles: int = 0
    changes: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    per_day: dict[str, int] = field(default_factory=dict)
    first_change: list[float] = field(default_factory=list)
    most_edited: list[EditedArticle] = field(default_factory=list)

    @property
    def changed_share(self) -> float:
        """Share of the articles that ever changed (0.0 to 1.0; 0.0 without articles)."""
        return self.changed_articles / self.articles if self.articles else 0.0

    @property
    def headline_changes(self) -> int:
        """Changes whose kinds include ``headline``."""
        return self.kinds.get(KIND_HEADLINE, 0)

    @property
    def removals(self) -> int:
        """Changes whose kinds include ``removed``."""
        return self.kinds.get(KIND_REMOVED, 0)

    @property
    def first_change_median_s(self) -> float | None:
        """Median time from first version to first change, in seconds (None: no change)."""
        return quantile(self.first_change, 0.5)

    @property
    def first_change_p90_s(self) -> float | None:
        """90th percentile of the time from first version to first change, in seconds."""
        return quantile(self.first_change, 0.9)

    def buckets(self) -> list[tuple[str, int]]:
        """How many changed articles first changed within each of
        :data:`FIRST_CHANGE_BUCKETS`."""
        counts = [0] * len(FIRST_CHANGE_BUCKETS)
        for s in self.first_change:
            counts[next(i for i, (_, top) in enumerate(FIRST_CHANGE_BUCKETS) if s < top)] += 1
        return [(label, n) for (label, _), n in zip(FIRST_CHANGE_BUCKETS, counts, strict=True)]


@dataclass
class ArchiveStats:
    """Every source's figures (sorted, :data:`SINGLE_ARTICLES` last) and the total."""

    sources: list[SourceStats]
    total: SourceStats

    @property
    def days(self) -> list[str]:
        """Every UTC day with a change, oldest first."""
        return sorted(self.total.per_day)


def quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0 <= q <= 1) of ``values`` (sorted or not), by linear
    interpolation between the closest ranks (the rule of :func:`statistics.quantiles`
    with ``method="inclusive"`` and of numpy's default): for sorted ``s`` of ``n``
    values, ``s[i] + (s[i + 1] - s[i]) * f`` where ``i + f = q * (n - 1)``.  None
    for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = q * (len(s) - 1)
    i = min(int(pos), len(s) - 1)
    if i == len(s) - 1:
        return float(s[i])
    # (kept between the two ranks: rounding could step past the upper one)
    return float(min(s[i] + (s[i + 1] - s[i]) * (pos - i), s[i + 1]))


def archive_stats(arc: CacheSource, *, most_edited: int = MOST_EDITED) -> ArchiveStats:
    """The figures of ``arc`` (an open archive, or an
    :class:`~gitnews.archive.reader.ArchiveReader`) per source and in total (see the
    module's docstring for the rules), from two SQL queries over the cache, no git.

    ``most_edited``: how many most-edited articles each source lists.

    Cost: one pass over the ``versions`` table in key order (every version's time,
    blob id and ``Change-Kind``) that only counts, per source, changes per day number
    and per ``Change-Kind`` value; the day names, the kinds and the total
    (:func:`merge_sources`) are made once at the end.
    """
    db = arc.state.db
    feeds: dict[str, tuple[str, str, str]] = {
        path: (feed or SINGLE_ARTICLES, url, headline or "")
        for path, feed, url, headline in db.execute(
            "SELECT path, feed, url, headline FROM articles")}
    by_source: dict[str, SourceStats] = {}
    edited: dict[str, list[EditedArticle]] = {}
    # Per source: changes per UTC day (days since 1970-01-01) and per (Change-Kind
    # value, removal); named and split into kinds at the end.
    day_counts: dict[str, dict[int, int]] = {}
    kind_counts: dict[str, dict[tuple[str | None, bool], int]] = {}
    rows = db.execute(
        "SELECT path, number, at, blob, json_extract(trailers, '$.\"" + CHANGE_KIND + "\"')"
        " FROM versions ORDER BY path, number")
    current: str | None = None
    first_at = 0
    prev_blob: str | None = None
    prev_removed = False
    changes = extractions = 0
    first_change: float | None = None
    last_at = 0
    source = SINGLE_ARTICLES
    url = headline = ""
    days: dict[int, int] = {}
    kinds: dict[tuple[str | None, bool], int] = {}

    def close() -> None:
        if current is None:
            return
        st = by_source[source]
        st.articles += 1
        st.versions += 1 + changes + extractions
        if changes:
            st.changed_articles += 1
            st.changes += changes
            assert first_change is not None
            st.first_change.append(first_change)
            edited.setdefault(source, []).append(EditedArticle(
                path=current, url=url, headline=headline, changes=changes,
                last_change=datetime.fromtimestamp(last_at, tz=UTC)))

    for path, number, at, blob, kind in rows:
        if path != current:
            close()
            current, first_at, changes, first_change, last_at = path, at, 0, None, at
            extractions = 0
            prev_blob, prev_removed = blob, blob is None
            source, url, headline = feeds.get(path, (SINGLE_ARTICLES, "", ""))
            if source not in by_source:
                by_source[source] = SourceStats(source)
                day_counts[source], kind_counts[source] = {}, {}
            days, kinds = day_counts[source], kind_counts[source]
            continue
        removed = blob is None
        restored = (not removed and not prev_removed and prev_blob is not None
                    and blob == prev_blob)
        prev_blob, prev_removed = blob, removed
        if restored or number < 2:
            continue
        key = (kind, removed)
        if kind and KIND_EXTRACTION in (k.strip() for k in kind.split(",")):
            # gitnews's re-extraction (`gitnews reextract`), not the publisher's
            # change: a version and a kind, not a change, a changed article or a
            # time to first change.
            extractions += 1
            kinds[key] = kinds.get(key, 0) + 1
            continue
        changes += 1
        last_at = at
        if first_change is None:
            first_change = float(at - first_at)
        day = at // 86400
        days[day] = days.get(day, 0) + 1
        kinds[key] = kinds.get(key, 0) + 1
    close()
    for name, st in by_source.items():
        found: dict[str, int] = {}
        for (kind, removed), n in kind_counts[name].items():
            for k in change_kinds({CHANGE_KIND: kind} if kind else {}, removed=removed):
                found[k] = found.get(k, 0) + n
        st.kinds = dict(sorted(found.items()))
        st.per_day = {format_time(datetime.fromtimestamp(day * 86400, tz=UTC))[:10]: n
                      for day, n in sorted(day_counts[name].items())}
        st.first_change.sort()
        st.most_edited = _top(edited.get(name, []), most_edited)
    order = sorted(by_source, key=lambda s: (s == SINGLE_ARTICLES, s))
    sources = [by_source[s] for s in order]
    return ArchiveStats(sources=sources,
                        total=merge_sources(sources, source="total", most_edited=most_edited))


def _top(articles: list[EditedArticle], n: int) -> list[EditedArticle]:
    return sorted(articles, key=lambda a: (-a.changes, -a.last_change.timestamp(), a.path))[:n]



def merge_sources(parts: list[SourceStats], *, source: str = "total",
                  most_edited: int = MOST_EDITED) -> SourceStats:
    """The figures of several sources (or archives' totals) as one: counts added,
    ``kinds`` and ``per_day`` added per key (keys sorted), ``first_change`` pooled
    (ascending, so the median and 90th percentile are those of all the articles, not an
    average of the parts'), and the ``most_edited`` most-edited articles of all parts.
    Used for the total of a collection (``gitnews stats`` across its archives)."""
    out = SourceStats(source)
    kinds: dict[str, int] = {}
    per_day: dict[str, int] = {}
    edited: list[EditedArticle] = []
    for p in parts:
        out.articles += p.articles
        out.versions += p.versions
        out.changed_articles += p.changed_articles
        out.changes += p.changes
        for k, n in p.kinds.items():
            kinds[k] = kinds.get(k, 0) + n
        for d, n in p.per_day.items():
            per_day[d] = per_day.get(d, 0) + n
        out.first_change += p.first_change
        edited += p.most_edited
    out.kinds = dict(sorted(kinds.items()))
    out.per_day = dict(sorted(per_day.items()))
    out.first_change.sort()
    out.most_edited = _top(edited, most_edited)
    return out
