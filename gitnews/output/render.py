"""Render diffs: terminal (rich), unified patch, HTML; and the words they share.

Pure functions of :mod:`gitnews.versions.timeline`'s views; nothing here prints or
reads git.  The JSON documents are :mod:`gitnews.output.jsondocs`'.

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
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from gitnews.format.trailers import format_time
from gitnews.models import DIFF_FORMATS
from gitnews.versions.diff import DiffStats, Row, WordOp, split_edges
from gitnews.versions.timeline import DiffView, VersionInfo

if TYPE_CHECKING:  # rich and jinja2 are imported by the functions that use them (start-up time)
    import jinja2
    from rich.table import Table
    from rich.text import Text

__all__ = [
    "FORMATS", "fold_rows", "word_text", "side_by_side", "unified", "html_table", "html_page",
    "stats_words", "human_time", "plural", "template_env", "safe_href", "MONTHS",
]

#: ``gitnews diff --format`` values.
FORMATS = DIFF_FORMATS

_DEL_STYLE, _INS_STYLE, _FOLD_STYLE = "red strike", "green underline", "dim"
#: English month names (dates read the same whatever the locale).
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 time"``, ``"2 times"`` (``many`` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def human_time(dt: datetime) -> str:
    """``"29 September 2016, 10:02 UTC"`` (English month names, whatever the locale)."""
    dt = dt.astimezone(UTC)
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}, {dt:%H:%M} UTC"


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
    for row, kept in zip(rows, keep, strict=True):
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


def _rich_cell(ops: Iterable[WordOp], side: str, *, color: bool, base_style: str = "") -> Text:
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


def word_text(view: DiffView, *, color: bool, context: int | None = None) -> Text:
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


def side_by_side(view: DiffView, *, color: bool, context: int | None = None) -> Table:
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
def template_env() -> jinja2.Environment:
    """The Jinja2 environment of the package's templates (autoescaping on)."""
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


def safe_href(url: str) -> str | None:
    """``url`` when it may be a link (http or https), else None."""
    return url if url.lower().startswith(("http://", "https://")) else None


def _version_ctx(info: VersionInfo) -> dict[str, object]:
    return {"number": info.number, "time": format_time(info.time),
            "time_text": human_time(info.time), "commit": info.version.commit,
            "removed": info.version.removed}


def _table_ctx(view: DiffView, context: int | None) -> dict[str, object]:
    rows: list[dict[str, object]] = []
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
    html = template_env().get_template("diff_table.html.j2").render(**_table_ctx(view, context))
    return Markup(html)


def html_page(view: DiffView, *, context: int | None = None, generator: str = "gitnews") -> str:
    """A standalone HTML5 page of the diff (no script, inline CSS, UTF-8).

    Shows the source (host) and URL of the article, "The article has changed
    N times", and :func:`html_table`.
    """
    headline = view.diff.headline.new or view.diff.headline.old or view.record.headline or ""
    html: str = template_env().get_template("diff.html.j2").render(
        headline=headline, url=view.record.url, href=safe_href(view.record.url),
        host=view.host, path=view.record.path, changes=view.changes,
        changes_text=f"The article has changed {plural(view.changes, 'time')}",
        versions=view.versions, table=html_table(view, context=context),
        stats=stats_words(view.diff.stats), a=_version_ctx(view.a), b=_version_ctx(view.b),
        gap=view.gap_words, generator=generator)
    return html
