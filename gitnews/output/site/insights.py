"""The site's pages about the whole archive: a page of changes per UTC day and their
list (:func:`day_pages`), the statistics page with SVG charts (:func:`stats_page`),
and the search index (:func:`run_pagefind`).

**Days.** ``changes/<YYYY-MM-DD>.html`` lists the changes of one UTC day, newest
first (the rows of the front page's "Latest changes"); ``changes/index.html``
every day with changes, newest first, with its count.  A day's page is rendered
again only when the commits of its changes differ from the last run's (its key).

**Statistics.** ``stats.html`` shows :func:`gitnews.output.stats.archive_stats`
(the figures of ``gitnews stats``) per source, and two charts drawn by pygal as
inline SVG (no JavaScript needed to read them): changes per day per source
(stacked bars) and the time from first version to first change (bars of
:data:`gitnews.output.stats.FIRST_CHANGE_BUCKETS`, per source).  Each chart is
followed by a table of the same numbers.  pygal's SVG carries a random id, the
day it was drawn and a script; they are replaced by a fixed id and removed, so
that the same archive gives the same bytes.

**Search.** Pagefind (https://pagefind.app, the ``pagefind[bin]`` package, extra
``search``) indexes the version pages (``articles/**/<A>-<B>.html``: Pagefind's
``--glob``) after the site is written; the front page then carries the
Pagefind UI.  The version pages are not changed for it: Pagefind reads their
``<h1>`` (the headline) as the result's title and their text (both versions,
side by side) as what is searched.  Without Pagefind the site has no search box
and :class:`SearchResult` says why.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from typing import TYPE_CHECKING, Protocol

from gitnews.format.trailers import format_time
from gitnews.output.render import MONTHS, plural
from gitnews.output.site.rows import change_rows

# Pagefind's functions live in .search (light to import: a run with nothing new needs
# them, not the rest); they are named here too.
from gitnews.output.site.search import (
    NOT_INSTALLED,
    SEARCH_GLOB,
    SearchResult,
    is_version_page,
    pagefind_installed,
    remove_search,
    run_pagefind,
    search_intact,
    search_state,
)
from gitnews.output.site.writer import file_key
from gitnews.output.sitelayout import CHANGES_INDEX, FEED, INDEX, STATS, day_page, href
from gitnews.output.stats import ArchiveStats, SourceStats

if TYPE_CHECKING:
    from gitnews.output.site.pages import SitePages
    from gitnews.output.site.views import Change

__all__ = ["day_pages", "stats_page", "run_pagefind", "pagefind_installed", "SearchResult",
           "SEARCH_GLOB", "chart_svg", "day_of", "is_version_page", "NOT_INSTALLED",
           "search_state", "search_intact", "remove_search"]

def day_of(change: Change) -> str:
    """The UTC day (``YYYY-MM-DD``) of a change."""
    return format_time(change[0])[:10]


def _day_text(day: str) -> str:
    y, m, d = (int(x) for x in day.split("-"))
    return f"{d} {MONTHS[m - 1]} {y}"


def day_pages(ctx: SitePages, all_changes: list[Change]) -> None:
    """Write (when out of date) one page per UTC day with changes and the list of days."""
    by_day: dict[str, list[Change]] = {}
    for c in all_changes:
        by_day.setdefault(day_of(c), []).append(c)
    days = sorted(by_day, reverse=True)
    w = ctx.writer
    for i, day in enumerate(days):
        changes = sorted(by_day[day], key=lambda c: (c[0], c[1], c[2]), reverse=True)
        page = day_page(day)
        newer = days[i - 1] if i else None
        older = days[i + 1] if i + 1 < len(days) else None
        key = file_key(ctx.glob, "day", newer or "", older or "",
                       *(f"{c[1]}:{c[2]}:{c[3].versions[c[2] - 1].commit}" for c in changes))
        if not w.needs(page, key):
            continue
        ctx.views.ensure(changes, views=False)
        html = ctx._render(
            "day.html.j2", page, title=f"Changes on {_day_text(day)} – gitnews",
            feeds=[{"href": href(page, FEED), "title": "Every change"}],
            crumbs=[{"href": href(page, INDEX), "label": "All sources"},
                    {"href": href(page, CHANGES_INDEX), "label": "Changes day by day"},
                    {"href": None, "label": _day_text(day)}],
            day_text=_day_text(day), count_text=plural(len(changes), "change"),
            changes=change_rows(ctx.views, page, changes, len(changes)),
            newer=None if newer is None else {"href": href(page, day_page(newer)),
                                              "label": _day_text(newer)},
            older=None if older is None else {"href": href(page, day_page(older)),
                                              "label": _day_text(older)})
        w.put(page, html)
    rows = [{"day": d, "label": _day_text(d), "href": href(CHANGES_INDEX, day_page(d)),
             "count": len(by_day[d])} for d in days]
    if w.needs(CHANGES_INDEX, file_key(ctx.glob, "days", *(f"{r['day']}:{r['count']}"
                                                           for r in rows))):
        w.put(CHANGES_INDEX, ctx._render(
            "days.html.j2", CHANGES_INDEX, title="Changes day by day – gitnews",
            feeds=[{"href": href(CHANGES_INDEX, FEED), "title": "Every change"}],
            crumbs=[{"href": href(CHANGES_INDEX, INDEX), "label": "All sources"},
                    {"href": None, "label": "Changes day by day"}],
            days=rows))


# -- statistics ------------------------------------------------------------------------------

_SVG_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


class _Chart(Protocol):
    """What :func:`chart_svg` needs of a pygal chart."""

    def render(self, *, is_unicode: bool, disable_xml_declaration: bool) -> str: ...


def chart_svg(chart: _Chart, chart_id: str) -> str:
    """A pygal chart as inline SVG: no XML declaration, no script, no comment, and
    ``chart_id`` for pygal's random id (the same data gives the same bytes)."""
    svg = chart.render(is_unicode=True, disable_xml_declaration=True)
    svg = _SCRIPT.sub("", _COMMENT.sub("", svg))
    return _SVG_ID.sub(f"chart-{chart_id}", svg)


def _label(source: str) -> str:
    """A short name for a source in a chart's legend: a feed URL without its scheme."""
    return re.sub(r"^https?://", "", source)


def _charts(st: ArchiveStats) -> tuple[str, str]:
    import pygal  # type: ignore[import-untyped]
    from pygal.style import DefaultStyle  # type: ignore[import-untyped]

    config = {"js": [], "style": DefaultStyle, "legend_at_bottom": True,
              "legend_at_bottom_columns": 1, "truncate_legend": -1, "width": 800,
              "height": 420, "print_values": False, "x_label_rotation": 30}
    days = st.days
    per_day = pygal.StackedBar(title="Changes per day (UTC), by source", **config)
    per_day.x_labels = days
    for s in st.sources:
        per_day.add(_label(s.source), [s.per_day.get(d) for d in days])
    first = pygal.Bar(title="Time from first version to first change (articles)", **config)
    first.x_labels = [label for label, _ in st.total.buckets()]
    for s in st.sources:
        first.add(_label(s.source), [n for _, n in s.buckets()])
    return chart_svg(per_day, "changes-per-day"), chart_svg(first, "first-change")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    import humanize

    return humanize.naturaldelta(seconds, months=False)


def _source_row(s: SourceStats) -> dict[str, object]:
    return {"source": s.source, "label": _label(s.source), "articles": s.articles,
            "versions": s.versions, "changed": f"{100 * s.changed_share:.0f} %",
            "changes": s.changes, "median": _duration(s.first_change_median_s),
            "p90": _duration(s.first_change_p90_s),
            "kinds": ", ".join(f"{k} {n}" for k, n in s.kinds.items()) or "–",
            "headlines": s.headline_changes, "removals": s.removals}


def stats_page(ctx: SitePages, st: ArchiveStats) -> None:
    """Write ``stats.html`` when its figures changed."""
    from gitnews.output.sitelayout import article_page

    doc = json.dumps([[_source_row(s), s.per_day, s.buckets(),
                       [(a.path, a.changes) for a in s.most_edited]]
                      for s in (*st.sources, st.total)], sort_keys=True)
    if not ctx.writer.needs(STATS, file_key(ctx.glob, "stats", doc)):
        return
    per_day_svg, first_svg = _charts(st) if st.sources else ("", "")
    days = st.days
    html = ctx._render(
        "stats.html.j2", STATS, title="Statistics – gitnews",
        feeds=[{"href": href(STATS, FEED), "title": "Every change"}],
        crumbs=[{"href": href(STATS, INDEX), "label": "All sources"},
                {"href": None, "label": "Statistics"}],
        sources=[_source_row(s) for s in st.sources], total=_source_row(st.total),
        per_day_svg=per_day_svg, first_svg=first_svg,
        days=[{"day": d, "href": href(STATS, day_page(d)),
               "counts": [s.per_day.get(d, 0) for s in st.sources],
               "total": st.total.per_day.get(d, 0)} for d in reversed(days)],
        buckets=[{"label": label, "counts": [dict(s.buckets())[label] for s in st.sources],
                  "total": n} for label, n in st.total.buckets()],
        most_edited=[{"headline": a.headline or a.url or a.path,
                      "href": href(STATS, article_page(a.path)), "changes": a.changes,
                      "last": format_time(a.last_change.astimezone(UTC))}
                     for a in st.total.most_edited])
    ctx.writer.put(STATS, html)
