"""Render diffs, histories and lists: terminal (rich), unified patch, HTML, JSON.

Pure functions of :mod:`gitnews.versions.timeline`'s views; nothing here prints or
reads git.  The shapes of the JSON documents are documented in
``docs/json-output.md`` and are stable: fields may be added, never renamed or
removed, without changing the ``schema`` value (``gitnews.<command>/1``).

HTML is rendered by Jinja2 with autoescaping always on (every article text,
headline and URL is escaped; an article containing ``<script>`` shows it as
text).  :func:`html_table` gives the reusable two-column table (a fragment,
for pages that embed diffs); :func:`html_page` the standalone HTML5 page.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.history import OutsideEdit
from gitnews.format.trailers import format_time
from gitnews.models import DIFF_FORMATS
from gitnews.versions.diff import DiffResult, DiffStats, Row, WordOp, split_edges
from gitnews.versions.timeline import DiffView, Timeline, VersionInfo, article_host, gap_words

__all__ = [
    "FORMATS", "fold_rows", "word_text", "side_by_side", "unified", "html_table", "html_page",
    "diff_json", "diff_result_json", "log_json", "show_json", "list_json", "article_json", "version_json",
    "stats_json", "stats_words", "human_time", "plural", "feeds_json", "run_json", "run_item_json",
    "import_json", "status_json",
]

#: ``gitnews diff --format`` values.
FORMATS = DIFF_FORMATS

_DEL_STYLE, _INS_STYLE, _FOLD_STYLE = "red strike", "green underline", "dim"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 time"``, ``"2 times"`` (``many`` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def human_time(dt: datetime) -> str:
    """``"29 September 2016, 10:02 UTC"`` (English month names, whatever the locale)."""
    dt = dt.astimezone(UTC)
    return f"{dt.day} {_MONTHS[dt.month - 1]} {dt.year}, {dt:%H:%M} UTC"


def stats_words(stats: DiffStats) -> str:
    """The size of a change in words: ``"+1 -1 words, 1 paragraph changed"``."""
    parts = [f"+{stats.words_added:,} -{stats.words_removed:,} "
             f"{'word' if stats.words_added + stats.words_removed == 1 else 'words'}"]
    for n, what in ((stats.paragraphs_added, "added"), (stats.paragraphs_removed, "removed"),
                    (stats.paragraphs_changed, "changed")):
        if n:
            parts.append(f"{plural(n, 'paragraph')} {what}")
    if not stats.changed:
        return "no change in the text"
    return ", ".join(parts)


# -- folding ----------------------------------------------------------------------------

def fold_rows(rows: Sequence[Row], context: int | None) -> list[Row | int]:
    """``rows`` with runs of unchanged rows far from any change folded.

    ``context`` is how many unchanged rows to keep before and after each
    changed row (None: keep every row).  A folded run becomes one ``int``,
    the number of rows it hides.
    """
    if context is None:
        return list(rows)
    keep = [False] * len(rows)
    for i, row in enumerate(rows):
        if row.kind != "equal":
            for k in range(max(0, i - context), min(len(rows), i + context + 1)):
                keep[k] = True
    out: list[Row | int] = []
    for row, kept in zip(rows, keep):
        if kept:
            out.append(row)
        elif out and isinstance(out[-1], int):
            out[-1] += 1
        else:
            out.append(1)
    return out


def _fold_label(n: int) -> str:
    return f"… {plural(n, 'unchanged paragraph')} …"


# -- terminal: word and side-by-side ------------------------------------------------------

def _pieces(ops: Iterable[WordOp], side: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pieces of one paragraph: kind ``""``, ``"del"`` or ``"ins"``.

    ``side`` is ``"old"`` (A's text), ``"new"`` (B's) or ``"both"`` (inline).
    White space at the edge of a change is kept outside the mark.  Inline, an
    unchanged run before a deletion keeps A's white space, so that deleted
    punctuation sits where it was (``judge[-,-] Colleen``, as git writes it).
    """
    out: list[tuple[str, str]] = []
    ops = list(ops)
    for n, op in enumerate(ops):
        if op.op == "equal":
            before_delete = n + 1 < len(ops) and ops[n + 1].op == "delete"
            out.append(("", op.old if side == "old" or (side == "both" and before_delete)
                        else op.new))
            continue
        lo, co, to = split_edges(op.old)
        ln, cn, tn = split_edges(op.new)
        if side == "old" and op.op != "insert":
            out += [("", lo), ("del", co), ("", to)]
        elif side == "new" and op.op != "delete":
            out += [("", ln), ("ins", cn), ("", tn)]
        elif side == "both":
            if op.op == "delete":
                out += [("", lo), ("del", co), ("", to)]
            elif op.op == "insert":
                out += [("", ln), ("ins", cn), ("", tn)]
            else:
                out += [("", ln or lo), ("del", co), ("ins", cn), ("", tn or to)]
    return [(k, t) for k, t in out if t]


def _rich_cell(ops: Iterable[WordOp], side: str, *, color: bool, base_style: str = ""):  # noqa: ANN202
    from rich.text import Text

    text = Text(style=base_style)
    for kind, piece in _pieces(ops, side):
        if kind == "del":
            text.append(piece, _DEL_STYLE) if color else text.append(f"[-{piece}-]")
        elif kind == "ins":
            text.append(piece, _INS_STYLE) if color else text.append(f"{{+{piece}+}}")
        else:
            text.append(piece)
    return text


def _header_line(view: DiffView) -> str:
    return (f"version {view.a.number} ({format_time(view.a.time)}) -> version {view.b.number} "
            f"({format_time(view.b.time)}), {view.gap_words}: {stats_words(view.diff.stats)}")


def word_text(view: DiffView, *, color: bool, context: int | None = None):  # noqa: ANN201
    """The ``word`` format as a :class:`rich.text.Text`.

    A header line (versions, times, gap, size of change), a blank line, then
    the headline and every paragraph (blank lines between them), changed words
    marked inline: in colour (deleted red struck through, inserted green
    underlined) when ``color``, else with ``git diff --word-diff`` markers
    ``[-deleted-]{+inserted+}``.  ``context``: see :func:`fold_rows`.
    """
    from rich.text import Text

    out = Text()
    out.append(_header_line(view) + "\n\n", _FOLD_STYLE if color else "")
    blocks = [_rich_cell(view.diff.headline.ops, "both", color=color, base_style="bold")]
    for item in fold_rows(view.diff.rows, context):
        if isinstance(item, int):
            blocks.append(Text(_fold_label(item), _FOLD_STYLE if color else ""))
        else:
            blocks.append(_rich_cell(item.ops, "both", color=color))
    out.append(Text("\n\n").join(blocks))
    out.append("\n")
    return out


def side_by_side(view: DiffView, *, color: bool, context: int | None = None):  # noqa: ANN201
    """The ``side-by-side`` format as a :class:`rich.table.Table`: version A
    left, version B right, one row per aligned paragraph pair (headline row
    first), changed words highlighted (or marked ``[-…-]``/``{+…+}`` without
    ``color``), unchanged runs folded by ``context`` (:func:`fold_rows`)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD if color else box.ASCII2, show_lines=True, expand=True,
                  title=f"{view.diff.headline.new or view.record.headline or ''}\n{view.record.url}\n"
                        f"The article has changed {plural(view.changes, 'time')}",
                  title_justify="left", title_style="bold" if color else "")
    table.add_column(f"Version {view.a.number}\n{format_time(view.a.time)}", ratio=1,
                     overflow="fold")
    table.add_column(f"Version {view.b.number}\n{format_time(view.b.time)}\n({view.gap_words})",
                     ratio=1, overflow="fold")
    head = view.diff.headline
    table.add_row(_rich_cell(head.ops, "old", color=color, base_style="bold"),
                  _rich_cell(head.ops, "new", color=color, base_style="bold"))
    for item in fold_rows(view.diff.rows, context):
        if isinstance(item, int):
            label = Text(_fold_label(item), _FOLD_STYLE if color else "")
            table.add_row(label, label.copy())
        else:
            table.add_row(_rich_cell(item.ops, "old", color=color),
                          _rich_cell(item.ops, "new", color=color))
    return table


# -- unified ------------------------------------------------------------------------------

def _quote_path(path: str) -> str:
    """A path as git writes it in a patch header (C-quoted only when needed)."""
    if any(c in path for c in '"\\') or any(ord(c) < 32 or ord(c) == 127 for c in path):
        esc = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}
        inner = "".join(esc.get(c, f"\\{ord(c):03o}" if ord(c) < 32 or ord(c) == 127 else c)
                        for c in path)
        return f'"{inner}"'
    return path


def unified(view: DiffView, *, context_lines: int = 3) -> str:
    """A git-style unified patch from version A's file to version B's.

    ``git apply`` accepts it in the archive (paths ``a/<path>``, ``b/<path>``),
    against a file holding version A's text.  The ``diff --git`` and
    ``index <blob A>..<blob B> 100644`` lines are git's (git-diff(1),
    "generating patches"); a removal is a deletion (``+++ /dev/null``).
    Identical texts give ``""``.
    """
    old, new = view.old_text, view.new_text
    if old == new:
        return ""
    path = view.record.path
    name_a, name_b = _quote_path("a/" + path), _quote_path("b/" + path)
    tab = "\t" if " " in path else ""
    blob_a = view.a.version.blob if not view.a.version.removed else None
    blob_b = view.b.version.blob if not view.b.version.removed else None
    lines = [f"diff --git {name_a} {name_b}\n"]
    if blob_a is None:
        lines += ["new file mode 100644\n", f"index {'0' * 40}..{blob_b}\n",
                  "--- /dev/null\n", f"+++ {name_b}{tab}\n"]
    elif blob_b is None:
        lines += ["deleted file mode 100644\n", f"index {blob_a}..{'0' * 40}\n",
                  f"--- {name_a}{tab}\n", "+++ /dev/null\n"]
    else:
        lines += [f"index {blob_a}..{blob_b} 100644\n", f"--- {name_a}{tab}\n",
                  f"+++ {name_b}{tab}\n"]
    body = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                n=context_lines)
    for i, line in enumerate(body):
        if i < 2:  # difflib's own ---/+++ lines
            continue
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


# -- HTML ---------------------------------------------------------------------------------

@functools.cache
def _env():  # noqa: ANN202 - jinja2.Environment
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("gitnews.output", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              auto_reload=False,  # package templates: no stat() per render
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _html_cell(ops: Iterable[WordOp], side: str) -> Markup:
    out = []
    for kind, piece in _pieces(ops, side):
        if kind == "del":
            out.append(Markup("<del>{}</del>").format(piece))
        elif kind == "ins":
            out.append(Markup("<ins>{}</ins>").format(piece))
        else:
            out.append(escape(piece))
    return Markup("").join(out)


def _safe_href(url: str) -> str | None:
    return url if url.lower().startswith(("http://", "https://")) else None


def _version_ctx(info: VersionInfo) -> dict:
    return {"number": info.number, "time": format_time(info.time),
            "time_text": human_time(info.time), "commit": info.version.commit,
            "removed": info.version.removed}


def _table_ctx(view: DiffView, context: int | None) -> dict:
    rows = []
    for item in fold_rows(view.diff.rows, context):
        if isinstance(item, int):
            rows.append({"kind": "fold", "label": _fold_label(item)})
        else:
            equal = item.kind == "equal"  # no marks: the escaped texts (a fast path)
            rows.append({"kind": item.kind,
                         "old": escape(item.old) if equal else _html_cell(item.ops, "old"),
                         "new": escape(item.new) if equal else _html_cell(item.ops, "new"),
                         "old_index": item.old_index, "new_index": item.new_index})
    head = view.diff.headline
    return {"a": _version_ctx(view.a), "b": _version_ctx(view.b), "gap": view.gap_words,
            "headline": {"kind": head.kind, "old": _html_cell(head.ops, "old"),
                         "new": _html_cell(head.ops, "new")},
            "rows": rows}


def html_table(view: DiffView, *, context: int | None = None) -> Markup:
    """The two-column diff table as an HTML fragment (``<table class="gitnews-diff">``).

    Column headers: each version's number, time (``<time datetime=...>``)
    and, on B, the gap ("about 7 hours later"); first row the headlines, then
    one row per aligned paragraph pair; deleted words in ``<del>``, inserted
    in ``<ins>``.  Style it with the classes of ``diff.html.j2``.
    """
    html = _env().get_template("diff_table.html.j2").render(**_table_ctx(view, context))
    return Markup(html)


def html_page(view: DiffView, *, context: int | None = None, generator: str = "gitnews") -> str:
    """A standalone HTML5 page of the diff (no script, inline CSS, UTF-8).

    Shows the source (host) and URL of the article, "The article has changed
    N times", and :func:`html_table`.
    """
    headline = view.diff.headline.new or view.diff.headline.old or view.record.headline or ""
    return _env().get_template("diff.html.j2").render(
        headline=headline, url=view.record.url, href=_safe_href(view.record.url),
        host=view.host, path=view.record.path, changes=view.changes,
        changes_text=f"The article has changed {plural(view.changes, 'time')}",
        versions=view.versions, table=html_table(view, context=context),
        stats=stats_words(view.diff.stats), a=_version_ctx(view.a), b=_version_ctx(view.b),
        gap=view.gap_words, generator=generator)


# -- JSON ---------------------------------------------------------------------------------

def article_json(record: ArticleRecord) -> dict:
    """The ``article`` object (docs/json-output.md)."""
    return {"path": record.path, "url": record.url, "host": article_host(record.url),
            "headline": record.headline, "versions": record.versions,
            "changes": record.changes, "first_seen": record.first_seen,
            "last_changed": record.last_edited, "removed": record.removed,
            "feed": record.feed, "outside_edit": record.outside_edit}


def stats_json(stats: DiffStats | None) -> dict | None:
    if stats is None:
        return None
    return {"words_added": stats.words_added, "words_removed": stats.words_removed,
            "paragraphs_added": stats.paragraphs_added,
            "paragraphs_removed": stats.paragraphs_removed,
            "paragraphs_changed": stats.paragraphs_changed,
            "headline_changed": stats.headline_changed}


def version_json(info: VersionInfo) -> dict:
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
            "social_title": v.trailers.get("Social-Title"), "seo_title": v.trailers.get("Seo-Title"),
            "trailers": dict(v.trailers)}


def _row_json(row: Row) -> dict:
    return {"kind": row.kind, "old_index": row.old_index, "new_index": row.new_index,
            "old": row.old, "new": row.new,
            "ops": [{"op": o.op, "old": o.old, "new": o.new} for o in row.ops]}


def diff_result_json(result: DiffResult) -> dict:
    """The pure part of a diff: ``stats``, ``headline`` row, ``paragraphs`` rows."""
    return {"stats": stats_json(result.stats), "headline": _row_json(result.headline),
            "paragraphs": [_row_json(r) for r in result.rows]}


def diff_json(view: DiffView) -> dict:
    """``gitnews diff --format json`` (schema ``gitnews.versions.diff/1``)."""
    return {"schema": "gitnews.versions.diff/1", "article": article_json(view.record),
            "a": version_json(view.a), "b": version_json(view.b),
            "gap_seconds": int(view.gap.total_seconds()), "gap": view.gap_words,
            **diff_result_json(view.diff)}


def outside_edit_json(edit: OutsideEdit) -> dict:
    """The ``outside edit`` object (docs/json-output.md)."""
    return {"commit": edit.commit, "committed_at": format_time(edit.at),
            "after_version": edit.after, "removed": edit.removed, "blob": edit.blob,
            "subject": edit.subject}


def log_json(timeline: Timeline, infos: Sequence[VersionInfo]) -> dict:
    """``gitnews log --json`` (schema ``gitnews.log/1``)."""
    return {"schema": "gitnews.log/1", "article": article_json(timeline.record),
            "versions": [version_json(i) for i in infos],
            "outside_edits": [outside_edit_json(e) for e in timeline.outside]}


def show_json(timeline: Timeline, info: VersionInfo, text: str) -> dict:
    """``gitnews show --json`` (schema ``gitnews.show/1``)."""
    return {"schema": "gitnews.show/1", "article": article_json(timeline.record),
            "version": version_json(info), "text": text}


def list_json(records: Sequence[ArticleRecord]) -> dict:
    """``gitnews list --json`` (schema ``gitnews.list/1``)."""
    return {"schema": "gitnews.list/1", "count": len(records),
            "articles": [article_json(r) for r in records]}


def _time(dt: datetime | None) -> str | None:
    return format_time(dt) if dt is not None else None


def feeds_json(feeds: Sequence[tuple[str, dict]], articles: Sequence[str]) -> dict:
    """``gitnews feeds --json`` (schema ``gitnews.sources.feeds/1``): ``feeds`` pairs each
    feed URL with what the cache knows of it (:meth:`gitnews.archive.cache.State.get_feed`)."""
    return {"schema": "gitnews.sources.feeds/1",
            "feeds": [{"url": url, "last_read": data.get("read_at"),
                       "error": data.get("error"), "failing_since": data.get("failing_since")}
                      for url, data in feeds],
            "articles": list(articles)}


def run_item_json(item) -> dict:  # noqa: ANN001 - gitnews.models.ItemResult
    return {"kind": item.kind, "url": item.url, "outcome": item.outcome.value,
            "path": item.path, "version": item.version, "headline": item.headline,
            "change_kind": item.change_kind, "message": item.message}


def run_json(result, *, next_due: datetime | None = None) -> dict:  # noqa: ANN001 - RunResult
    """``gitnews run --json`` (schema ``gitnews.run/1``): the summary and every item."""
    from gitnews.models import Outcome

    counts = {o.value.lower(): result.count(o) for o in Outcome}
    return {"schema": "gitnews.run/1", "started_at": _time(result.started_at),
            "finished_at": _time(result.finished_at), "dry_run": result.dry_run,
            "counts": counts,
            "versions": counts["new"] + counts["changed"] + counts["removed"],
            "failed_feeds": sum(1 for i in result.failures if i.kind == "feed"),
            "not_due": result.not_due, "left_over": result.left_over,
            "next_due": _time(next_due), "items": [run_item_json(i) for i in result.items]}


def import_json(result) -> dict:  # noqa: ANN001 - gitnews.ops.importing.ImportResult
    """``gitnews import --json`` (schema ``gitnews.import/1``)."""
    from gitnews.models import Outcome

    return {"schema": "gitnews.import/1", "records_read": result.records_read,
            "articles": result.articles, "versions": result.versions_added,
            "counts": {o.value.lower(): result.count(o) for o in
                       (Outcome.NEW, Outcome.CHANGED, Outcome.SKIPPED, Outcome.FAILED)},
            "skipped": dict(result.skipped),
            "items": [{"outcome": i.outcome.value, "source": i.source, "where": i.where,
                       "url": i.url, "captured_at": _time(i.captured_at), "reason": i.reason,
                       "message": i.message, "path": i.path, "version": i.version,
                       "headline": i.headline} for i in result.items]}


def status_json(status) -> dict:  # noqa: ANN001 - gitnews.ops.status.ArchiveStatus
    """``gitnews status --json`` (schema ``gitnews.ops.status/1``)."""
    run = status.last_run
    return {
        "schema": "gitnews.ops.status/1", "archive": str(status.path), "now": format_time(status.now),
        "last_run": None if run is None else {
            "started_at": _time(run.started_at), "finished_at": format_time(run.finished_at),
            "ended": run.ended, "counts": dict(run.counts), "failed": run.failed},
        "failing": [{"kind": f.kind, "url": f.url, "path": f.path, "since": _time(f.since),
                     "failures": f.failures, "last_error": f.last_error}
                    for f in status.failing],
        "next_due": _time(status.next_due), "feeds": status.feeds, "articles": status.articles,
        "commits": status.commits, "git_bytes": status.git_bytes,
        "remote": {"name": status.remote.name, "branch": status.remote.branch,
                   "exists": status.remote.exists, "url": status.remote.url,
                   "pushed": status.remote.pushed},
        "cache": {"path": str(status.cache.path), "size_bytes": status.cache.size_bytes,
                  "backlog": status.cache.backlog, "held": status.cache.held},
    }
