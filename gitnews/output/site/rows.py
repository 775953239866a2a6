"""The rows of the site's tables, as the templates take them: the latest changes
(:func:`change_rows`), the articles (:func:`article_rows`) and an article's versions
(:func:`version_rows`); and the dates its sentences give (:func:`on_date`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from gitnews.format.trailers import format_time
from gitnews.output.render import MONTHS, human_time, plural
from gitnews.output.site.articles import SiteArticle
from gitnews.output.site.views import Change, SiteViews
from gitnews.output.sitelayout import article_page, diff_page, host_page, href
from gitnews.versions.timeline import VersionInfo, gap_words

__all__ = ["Row", "change_rows", "article_rows", "version_rows", "on_date"]

#: One row of a table, as a template reads it.
Row = dict[str, object]

def on_date(dt: datetime) -> str:
    """``"29 September 2016 at 10:02 UTC"``."""
    dt = dt.astimezone(UTC)
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year} at {dt:%H:%M} UTC"


def change_rows(views: SiteViews, page: str, changes: list[Change], limit: int) -> list[Row]:
    """The first ``limit`` of ``changes`` as rows of a "Latest changes" table on ``page``."""
    rows = []
    for when, path, number, art in changes[:limit]:
        s = views.summary(art, number)
        rows.append({
            "time": format_time(when), "time_text": human_time(when),
            "headline": s.headline, "what": s.what, "gap": s.gap,
            "article_href": href(page, article_page(path)), "host": art.host,
            "host_href": href(page, host_page(art.host)), "a": number - 1, "b": number,
            "diff_href": href(page, diff_page(path, number - 1, number))})
    return rows


def article_rows(page: str, arts: Iterable[SiteArticle]) -> list[Row]:
    """``arts`` as rows of an articles table on ``page``."""
    return [{"headline": a.record.headline or a.record.url or a.path,
             "href": href(page, article_page(a.path)), "host": a.host,
             "host_href": href(page, host_page(a.host)), "changes": a.changes,
             "first": format_time(a.times[0]), "first_text": human_time(a.times[0]),
             "last": format_time(a.last_change_time),
             "last_text": human_time(a.last_change_time),
             "removed": a.versions[-1].removed} for a in arts]


def version_rows(views: SiteViews, art: SiteArticle, infos: Sequence[VersionInfo],
                 page: str) -> list[Row]:
    """The article's versions (``infos``, oldest first) as rows of its page's table."""
    rows: list[Row] = []
    for i, info in enumerate(infos):
        v = info.version
        size: str | None
        if i == 0:
            what, gap = "First version", "first seen"
            size = f"{plural(info.paragraphs, 'paragraph')}, {plural(info.words, 'word')}"
        else:
            # Every version after the first has a gap and stats (VersionInfo).
            assert info.gap is not None and info.stats is not None
            if info.same_text:  # no change: no diff page, not counted
                what, gap, size = ("No change: the text put back after an outside edit "
                                   "(not counted)"), gap_words(info.gap), None
            else:
                what = views.summary(art, i + 1).what
                gap = gap_words(info.gap)
                size = None if v.removed else \
                    f"+{info.stats.words_added:,} -{info.stats.words_removed:,} words"
        rows.append({"number": v.number, "time": format_time(info.time),
                     "time_text": human_time(info.time), "gap": gap, "what": what,
                     "size": size, "removed": v.removed,
                     "previous_headline": info.previous_headline,
                     "headline": info.headline,
                     "diff_href": href(page, diff_page(art.path, i, i + 1))
                     if i and not info.same_text else None})
    return rows
