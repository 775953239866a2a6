"""The JSON documents of the commands that print data (``--json``).

Pure functions of :mod:`gitnews.versions.timeline`'s views, the cache's records
and :mod:`gitnews.models`' results.  The shapes are documented in
``docs/json-output.md`` and are stable: fields may be added, never renamed or
removed, without changing the ``schema`` value (``gitnews.<command>/1``).  The
documents of ``gitnews import`` and ``gitnews status`` are made by the CLI
(:mod:`gitnews.cli.importing`, :mod:`gitnews.cli.status`), which knows their
results (:mod:`gitnews.ops`, above this package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.history import OutsideEdit
from gitnews.config.sources import SourceRule
from gitnews.format.trailers import (
    CORRECTION,
    SEO_TITLE,
    SIGNIFICANCE,
    SOCIAL_TITLE,
    UNANNOUNCED,
    format_time,
)
from gitnews.models import ItemResult, Outcome, RunResult
from gitnews.versions.diff import DiffResult, DiffStats, Row
from gitnews.versions.timeline import DiffView, Timeline, VersionInfo, article_host, gap_words

__all__ = ["Json", "diff_json", "diff_result_json", "log_json", "show_json", "list_json",
           "article_json", "version_json", "outside_edit_json", "stats_json", "feeds_json",
           "signals_json",
           "run_json", "run_item_json", "json_time"]

#: A JSON object, ready for :func:`json.dumps`.
Json = dict[str, object]


def article_json(record: ArticleRecord) -> Json:
    """The ``article`` object (docs/json-output.md)."""
    return {"path": record.path, "url": record.url, "host": article_host(record.url),
            "headline": record.headline, "versions": record.versions,
            "changes": record.changes, "first_seen": record.first_seen,
            "last_changed": record.last_edited, "removed": record.removed,
            "feed": record.feed, "outside_edit": record.outside_edit}


def stats_json(stats: DiffStats | None) -> Json | None:
    """The ``stats`` object (docs/json-output.md), None for a first version."""
    if stats is None:
        return None
    return {"words_added": stats.words_added, "words_removed": stats.words_removed,
            "paragraphs_added": stats.paragraphs_added,
            "paragraphs_removed": stats.paragraphs_removed,
            "paragraphs_changed": stats.paragraphs_changed,
            "headline_changed": stats.headline_changed}


def version_json(info: VersionInfo) -> Json:
    """The ``version`` object (docs/json-output.md)."""
    v = info.version
    return {"version": v.number, "commit": v.commit, "time": format_time(info.time),
            "committed_at": format_time(v.fetched_at),
            "gap_seconds": None if info.gap is None else int(info.gap.total_seconds()),
            "gap": None if info.gap is None else gap_words(info.gap),
            "removed": v.removed, "blob": v.blob, "headline": info.headline,
            "headline_changed": info.headline_changed,
            "previous_headline": info.previous_headline,
            "paragraphs": info.paragraphs, "words": info.words,
            "stats": stats_json(info.stats), "same_text": info.same_text,
            "subject": v.subject,
            "social_title": v.trailers.get(SOCIAL_TITLE), "seo_title": v.trailers.get(SEO_TITLE),
            "trailers": dict(v.trailers), **signals_json(v.trailers)}


def signals_json(trailers: Mapping[str, str]) -> Json:
    """The ``significance``, ``significance_reasons``, ``correction`` and ``unannounced``
    fields of a ``version`` object, each present only when its trailer is (so that the
    documents of versions recorded before gitnews wrote them stay as they were)."""
    from gitnews.versions.significance import parse_significance

    out: Json = {}
    parsed = parse_significance(trailers.get(SIGNIFICANCE))
    if parsed is not None:
        out["significance"] = parsed.level
        out["significance_reasons"] = list(parsed.reasons)
    if trailers.get(CORRECTION):
        out["correction"] = trailers[CORRECTION]
    if trailers.get(UNANNOUNCED):
        out["unannounced"] = trailers[UNANNOUNCED]
    return out


def _row_json(row: Row) -> Json:
    return {"kind": row.kind, "old_index": row.old_index, "new_index": row.new_index,
            "old": row.old, "new": row.new,
            "ops": [{"op": o.op, "old": o.old, "new": o.new} for o in row.ops]}


def diff_result_json(result: DiffResult) -> Json:
    """The pure part of a diff: ``stats``, ``headline`` row, ``paragraphs`` rows."""
    return {"stats": stats_json(result.stats), "headline": _row_json(result.headline),
            "paragraphs": [_row_json(r) for r in result.rows]}


def diff_json(view: DiffView) -> Json:
    """``gitnews diff --format json`` (schema ``gitnews.diff/1``)."""
    return {"schema": "gitnews.diff/1", "article": article_json(view.record),
            "a": version_json(view.a), "b": version_json(view.b),
            "gap_seconds": int(view.gap.total_seconds()), "gap": view.gap_words,
            **diff_result_json(view.diff)}


def outside_edit_json(edit: OutsideEdit) -> Json:
    """The ``outside edit`` object (docs/json-output.md)."""
    return {"commit": edit.commit, "committed_at": format_time(edit.at),
            "after_version": edit.after, "removed": edit.removed, "blob": edit.blob,
            "subject": edit.subject}


def log_json(timeline: Timeline, infos: Sequence[VersionInfo]) -> Json:
    """``gitnews log --json`` (schema ``gitnews.log/1``)."""
    return {"schema": "gitnews.log/1", "article": article_json(timeline.record),
            "versions": [version_json(i) for i in infos],
            "outside_edits": [outside_edit_json(e) for e in timeline.outside]}


def show_json(timeline: Timeline, info: VersionInfo, text: str) -> Json:
    """``gitnews show --json`` (schema ``gitnews.show/1``)."""
    return {"schema": "gitnews.show/1", "article": article_json(timeline.record),
            "version": version_json(info), "text": text}


def list_json(records: Sequence[ArticleRecord]) -> Json:
    """``gitnews list --json`` (schema ``gitnews.list/1``)."""
    return {"schema": "gitnews.list/1", "count": len(records),
            "articles": [article_json(r) for r in records]}


def json_time(dt: datetime | None) -> str | None:
    """An RFC 3339 time, or None."""
    return format_time(dt) if dt is not None else None


def feeds_json(feeds: Sequence[tuple[str, Mapping[str, object]]], articles: Sequence[str],
               sources: Sequence[tuple[str, str, Mapping[str, object], SourceRule | None]] = (),
               ) -> Json:
    """``gitnews feeds --json`` (schema ``gitnews.feeds/1``): ``feeds`` pairs each
    feed URL with what the cache knows of it (:meth:`gitnews.archive.cache.State.get_feed`);
    ``sources`` gives every source (feeds, sitemaps, fronts) as ``(kind, URL, cache row,
    its [sources."URL"] rule or None)``.  A feed's ``include``/``exclude`` and
    ``interval`` (integer seconds, None for ``schedule.feed_interval``) come from the
    rule of the same URL in ``sources``."""
    rules = {url: rule for _kind, url, _data, rule in sources}

    def one(kind: str, url: str, data: Mapping[str, object], rule: SourceRule | None) -> Json:
        return {"url": url, "kind": kind, "last_read": data.get("read_at"),
                "error": data.get("error"), "failing_since": data.get("failing_since"),
                "include": [p.text for p in rule.include] if rule else [],
                "exclude": [p.text for p in rule.exclude] if rule else [],
                "interval": round(rule.interval_s)
                if rule and rule.interval_s is not None else None}

    return {"schema": "gitnews.feeds/1",
            "feeds": [one("feed", url, data, rules.get(url)) for url, data in feeds],
            "sources": [one(*source) for source in sources],
            "articles": list(articles)}


def run_item_json(item: ItemResult) -> Json:
    """One item of ``gitnews run --json``."""
    return {"kind": item.kind, "url": item.url, "outcome": item.outcome.value,
            "path": item.path, "version": item.version, "headline": item.headline,
            "change_kind": item.change_kind, "message": item.message}


def run_json(result: RunResult, *, next_due: datetime | None = None) -> Json:
    """``gitnews run --json`` (schema ``gitnews.run/1``): the summary and every item."""
    counts = {o.value.lower(): result.count(o) for o in Outcome}
    return {"schema": "gitnews.run/1", "started_at": json_time(result.started_at),
            "finished_at": json_time(result.finished_at), "dry_run": result.dry_run,
            "counts": counts,
            "versions": counts["new"] + counts["changed"] + counts["removed"],
            "failed_feeds": sum(1 for i in result.failures if i.kind == "feed"),
            "not_due": result.not_due, "left_over": result.left_over,
            "next_due": json_time(next_due), "items": [run_item_json(i) for i in result.items]}
