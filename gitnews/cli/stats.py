"""``gitnews stats``: how often and how soon each source edits its articles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitnews.format.trailers import format_time

from .app import DEFAULT_ARCHIVE, ArchiveOption, JsonOption, command
from .printing import cut, write, write_json

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.output.jsondocs import Json
    from gitnews.output.stats import ArchiveStats, SourceStats


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    import humanize

    return humanize.naturaldelta(seconds, months=False)


def source_lines(s: SourceStats) -> list[str]:
    """The lines of one source in ``gitnews stats``."""
    kinds = ", ".join(f"{k} {n}" for k, n in s.kinds.items()) or "none"
    lines = [f"{s.source}",
             f"  articles {s.articles}, versions {s.versions}, changed {s.changed_articles} "
             f"({100 * s.changed_share:.0f} %), changes {s.changes}",
             f"  first change after: median {_duration(s.first_change_median_s)}, "
             f"90th percentile {_duration(s.first_change_p90_s)}",
             f"  changes by kind: {kinds}; headline changes {s.headline_changes}, "
             f"removals {s.removals}"]
    if s.most_edited:
        lines.append("  most edited:")
        lines += [f"    {a.changes:>4}  {format_time(a.last_change)}  "
                  f"{cut(a.headline or a.url or a.path, 60)}  {a.path}" for a in s.most_edited]
    return lines


def source_json(s: SourceStats) -> Json:
    """One source's figures in ``gitnews stats --json``."""
    return {
        "source": s.source, "articles": s.articles, "versions": s.versions,
        "changed_articles": s.changed_articles, "changed_share": round(s.changed_share, 4),
        "changes": s.changes,
        "first_change_median_s": s.first_change_median_s,
        "first_change_p90_s": s.first_change_p90_s,
        "kinds": dict(s.kinds), "headline_changes": s.headline_changes,
        "removals": s.removals, "per_day": dict(s.per_day),
        "most_edited": [{"path": a.path, "url": a.url, "headline": a.headline,
                         "changes": a.changes, "last_change": format_time(a.last_change)}
                        for a in s.most_edited],
    }


def stats_json(st: ArchiveStats) -> Json:
    """``gitnews stats --json`` (schema ``gitnews.stats/1``, docs/json-output.md)."""
    return {"schema": "gitnews.stats/1", "sources": [source_json(s) for s in st.sources],
            "total": source_json(st.total)}


@command("stats")
def stats_cmd(archive: ArchiveOption = DEFAULT_ARCHIVE, json_out: JsonOption = False) -> None:
    """Per source (feed; "single articles" for the others) and in total: articles,
    versions, share ever changed, median and 90th-percentile time to the first
    change, changes by kind, headline changes, removals, the most-edited articles.
    Answers from the cache; no network."""
    from gitnews.archive.reader import open_current, open_reader
    from gitnews.output.stats import archive_stats

    # As `gitnews changes`: an archive whose cache is current is read at once; else a
    # collection; else the archive opened in full (its cache synced with git).
    fast = open_current(archive)
    if fast is None:
        from .collection import is_collection

        if is_collection(archive):  # per site: its sources and its total; then the collection's
            from .collection import stats as collection_stats

            collection_stats(archive, json_out=json_out)
            return
    with fast or open_reader(archive) as arc:
        st = archive_stats(arc)
    if json_out:
        write_json(stats_json(st))
        return
    if not st.sources:
        import typer

        typer.echo("The archive has no articles yet: `gitnews add URL`, then `gitnews run`.",
                   err=True)
        return
    lines: list[str] = []
    for s in [*st.sources, st.total] if len(st.sources) > 1 else st.sources:
        lines += [*source_lines(s), ""]
    write("\n".join(lines))
