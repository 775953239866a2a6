"""``gitnews log | show | diff``: one article's versions, one version's text, the
difference between two versions."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import (
    CHANGE_KIND,
    CORRECTION,
    KIND_CORRECTION,
    KIND_EXTRACTION,
    KIND_OUTSIDE_EDIT,
    KIND_RESTORED,
    REVERTS_TO,
    SIGNIFICANCE,
    UNANNOUNCED,
    format_time,
)

from .app import DEFAULT_ARCHIVE, EXIT_USAGE, ArchiveOption, JsonOption, NoColorOption, command, fail
from .printing import cut, print_renderable, use_color, write, write_json

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.archive.history import OutsideEdit
    from gitnews.archive.repo import Archive
    from gitnews.models import Version
    from gitnews.versions.timeline import Timeline, VersionInfo

ArticleArg = Annotated[str, typer.Argument(
    metavar="ARTICLE",
    help="The article: its URL (any URL gitnews knows for it, with or without scheme or "
         "www.) or its file's path in the archive.")]


class DiffFormat(str, enum.Enum):
    """``gitnews diff --format`` values (:data:`gitnews.models.DIFF_FORMATS`, in order)."""

    word = "word"
    side_by_side = "side-by-side"
    unified = "unified"
    html = "html"
    json = "json"


def _timeline(arc: Archive, article: str) -> Timeline:
    from gitnews.versions.resolve import resolve_article
    from gitnews.versions.timeline import load_timeline

    record = resolve_article(arc.state, article, archive_dir=arc.path)
    return load_timeline(arc.repo, record, state=arc.state)


# -- log ------------------------------------------------------------------------------------

@command("log")
def log_cmd(article: ArticleArg, archive: ArchiveOption = DEFAULT_ARCHIVE,
            json_out: JsonOption = False, no_color: NoColorOption = False) -> None:
    """The article's versions, oldest first: time, gap, size of change, headline changes."""
    from gitnews.archive.repo import open_archive
    from gitnews.output.jsondocs import log_json
    from gitnews.output.render import plural, stats_words
    from gitnews.versions.timeline import gap_words

    with open_archive(archive) as arc:
        tl = _timeline(arc, article)
        infos = tl.infos()
        alternation = arc.state.get_alternation(tl.record.path)
        from datetime import datetime

        from gitnews.ops.plan import HostPolicies
        from gitnews.versions.schedule import Policy, describe_next_check

        record = arc.state.get(tl.record.path) or tl.record
        policies = HostPolicies(arc.config.schedule, Policy.from_settings(arc.config.schedule))
        next_check = describe_next_check(record, datetime.now(UTC),
                                         policies.for_url(record.url or ""))
    if json_out:
        doc = log_json(tl, infos)
        doc["next_check"] = next_check
        write_json(doc)
        return
    from rich.text import Text

    color = use_color(no_color)
    rec = tl.record
    headline = next((i.headline for i in reversed(infos) if i.headline), rec.headline or "")
    out = Text()
    out.append(headline + "\n", "bold" if color else "")
    out.append(rec.url + "\n")
    changes = tl.changes
    same = len(infos) - 1 - changes
    # A version that only put the text back after an outside edit is no change: not counted.
    counted = plural(changes + 1, 'version') + (
        f", and {same} that only {'restores' if same == 1 else 'restore'} the text after an "
        "outside edit" if same else "")
    out.append(f"The article has changed {plural(changes, 'time')} "
               f"({counted}); file {rec.path}\n")
    if tl.outside:
        out.append(f"{plural(len(tl.outside), 'outside edit')} (a commit made without gitnews, "
                   "marked -): not a version, not counted\n")
    if rec.outside_edit:
        out.append("The file holds an outside edit, not the latest version's text: the next check "
                   "(`gitnews run --all` checks it now) fetches the page in full and commits its "
                   "text if it differs\n")
    out.append(next_check + "\n")
    reverts = sum(1 for i in infos if i.version.trailers.get(REVERTS_TO))
    if alternation and alternation.get("returns"):
        out.append(f"The article is alternating between texts it already had: "
                   f"{plural(reverts, 'revert')} committed, then "
                   f"{plural(alternation['returns'], 'more return')} counted but not committed "
                   f"(last {alternation.get('last_seen') or 'unknown'})\n")
    out.append("\n")
    rows: list[tuple[str, str, str, str, str, VersionInfo | None]] = []
    outside: dict[int, list[OutsideEdit]] = {}
    for edit in tl.outside:
        outside.setdefault(edit.after, []).append(edit)
    for info in infos:
        v = info.version
        if info.gap is None:
            gap = "first version"
            size = f"{plural(info.paragraphs, 'paragraph')}, {plural(info.words, 'word')}"
        else:
            assert info.stats is not None  # a version after the first has its change's stats
            gap = gap_words(info.gap)
            size = stats_words(info.stats)
        if v.removed:
            size = "removed from the archive"
        kinds = v.trailers.get(CHANGE_KIND, "")
        if v.trailers.get(REVERTS_TO):
            size += f", back to version {v.trailers[REVERTS_TO]}"
        elif KIND_EXTRACTION in kinds:
            size += " (extraction change: page unchanged)"
        elif KIND_RESTORED in kinds:
            size += " (restored)"
        if info.same_text:
            size = "no change: restores the text after an outside edit (not counted)"
        elif KIND_OUTSIDE_EDIT in kinds:
            size += " (replaces an outside edit)"
        if KIND_CORRECTION in kinds:
            size += " (correction)"
        if v.trailers.get(SIGNIFICANCE):
            size += f" [{v.trailers[SIGNIFICANCE].split('(')[0].strip()}]"
        rows.append((str(v.number), format_time(info.time), gap, size, v.commit[:12], info))
        for edit in outside.get(v.number, ()):
            what = "the file was deleted" if edit.removed else "the file was edited"
            rows.append(("-", format_time(edit.at), "outside edit",
                         f"{what} outside gitnews: {cut(edit.subject, 50)}", edit.commit[:12],
                         None))
    widths = [max(len(str(r[k])) for r in rows) for k in range(5)]
    headers = ("VERSION", "TIME", "GAP", "CHANGE", "COMMIT")
    widths = [max(w, len(h)) for w, h in zip(widths, headers, strict=True)]
    out.append(f"{'VERSION':>{widths[0]}}  {'TIME':{widths[1]}}  {'GAP':{widths[2]}}  "
               f"{'CHANGE':{widths[3]}}  COMMIT\n", "dim" if color else "")
    for number, time, gap, size, commit, shown in rows:
        out.append(f"{number:>{widths[0]}}  {time:{widths[1]}}  {gap:{widths[2]}}  "
                   f"{size:{widths[3]}}  ")
        out.append(commit + "\n", "yellow" if color else "")
        if shown is not None and shown.headline_changed:
            out.append(f"{'':>{widths[0]}}  headline changed: ")
            out.append(shown.previous_headline or "", "red" if color else "")
            out.append(" -> ")
            out.append((shown.headline or "") + "\n", "green" if color else "")
        if shown is not None:
            for line in _signal_lines(shown.version.trailers):
                out.append(f"{'':>{widths[0]}}  {line}\n")
    print_renderable(out, color=color)


def _signal_lines(trailers: Mapping[str, str]) -> list[str]:
    """The lines under a version's row of ``gitnews log`` for its ``Significance``
    (reasons of a moderate or major change), ``Correction`` and ``Unannounced``
    trailers; none for a version without them."""
    from gitnews.versions.significance import parse_significance

    lines = []
    parsed = parse_significance(trailers.get(SIGNIFICANCE))
    if parsed is not None and parsed.level != "minor" and parsed.reasons:
        lines.append(f"{parsed.level}: {'; '.join(parsed.reasons)}")
    if trailers.get(CORRECTION):
        lines.append(f"correction notice: {cut(trailers[CORRECTION], 100)}")
    if trailers.get(UNANNOUNCED):
        lines.append(f"changed without a notice: {trailers[UNANNOUNCED]}")
    return lines


# -- show -----------------------------------------------------------------------------------

@command("show")
def show_cmd(
    article: ArticleArg,
    version: Annotated[int, typer.Option(
        "--version", metavar="N",
        help="Version number: 1 is the first; negative counts back from the latest "
             "(-1 the latest, the default).")] = -1,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    json_out: JsonOption = False,
    raw: Annotated[bool, typer.Option(
        "--raw", help="The page as captured (the HTTP payload bytes, as received) instead of "
                      "the text.")] = False,
    headers: Annotated[bool, typer.Option(
        "--headers", help="The HTTP status line and response headers of the version's "
                          "capture.")] = False,
) -> None:
    """The text of one version exactly as stored in git (pipe it), or --json with metadata;
    --raw/--headers: the page and headers as captured."""
    from gitnews.archive.repo import open_archive

    if raw or headers:
        if json_out or (raw and headers):
            fail("--raw, --headers and --json go alone: pick one", code=EXIT_USAGE)
        with open_archive(archive) as arc:
            tl = _timeline(arc, article)
            _show_capture(arc, tl, tl.pick(version), headers=headers)
        return
    with open_archive(archive) as arc:
        tl = _timeline(arc, article)
        v = tl.pick(version)
        if v.removed and version == -1:
            # A removed article (issue 5): its last text is still in the history.
            kept = [x for x in tl.versions if not x.removed]
            if kept:
                typer.echo(f"gitnews: {tl.label} was removed in version {v.number}; "
                           f"showing version {kept[-1].number}, its last text", err=True)
                v = kept[-1]
        v = tl.pick(v.number, allow_removed=False)
        data = tl.data(v)
        info = tl.info(v) if json_out else None
    if info is not None:  # --json
        from gitnews.output.jsondocs import show_json

        write_json(show_json(tl, info, data.decode("utf-8", "replace")))
        return
    write(data)


def _show_capture(arc: Archive, tl: Timeline, v: Version, *, headers: bool) -> None:
    """``show --raw``/``--headers``: the payload bytes, or the status line and headers, of
    the response in version ``v``'s capture (gitnews.output.warcout)."""
    from gitnews.output.warcout import page_record, version_capture

    record = page_record(version_capture(arc.repo, v, label=tl.label))
    if record is None:
        fail(f"the capture of version {v.number} of {tl.label} holds no response record; "
             "`gitnews verify` checks every capture")
    if not headers:
        write(record.payload)
        return
    lines = [f"{record.http_protocol or ''} {record.http_status or ''}".strip()]
    lines += [f"{key}: {value}" for key, value in record.http_headers]
    write("\n".join(lines) + "\n")


# -- diff -----------------------------------------------------------------------------------

def _no_unknown_option(ctx: typer.Context, *values: str | None) -> None:
    """``diff`` lets unknown options through (so that ``-2`` is a version number): an
    argument that starts with ``-`` and is not a whole number is an option it does not
    have, refused as click refuses one ("No such option", status 2) in other commands."""
    for value in values:
        if value is not None and value.startswith("-") and len(value) > 1:
            try:
                int(value)
            except ValueError:
                ctx.fail(f"No such option: {value.split('=', 1)[0]}")


def _version_number(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        fail(f"{what} must be a version number (1, 2, ... or -1 for the latest), not {value!r}",
             code=EXIT_USAGE)


@command("diff", context_settings={"ignore_unknown_options": True})
def diff_cmd(
    ctx: typer.Context,
    article: ArticleArg,
    a: Annotated[str | None, typer.Argument(
        metavar="A", help="Old version (default: the one before the latest change; negative counts "
                            "back from the latest).", show_default=False)] = None,
    b: Annotated[str | None, typer.Argument(
        metavar="B", help="New version (default: the latest).", show_default=False)] = None,
    fmt: Annotated[DiffFormat, typer.Option(
        "--format", "-f",
        help="word: changed words inline; side-by-side: two columns; unified: a patch for "
             "git apply; html: a standalone page; json: aligned paragraphs and word "
             "operations.")] = DiffFormat.word,
    context: Annotated[int | None, typer.Option(
        "--context", "-U", min=0, metavar="N",
        help="Unchanged paragraphs kept around each change (word, side-by-side, html; default "
             "all); lines of context for unified (default 3).")] = None,
    width: Annotated[int | None, typer.Option(
        "--width", min=40, help="Width of the side-by-side table (default: the terminal's, "
                                "or COLUMNS, or 100).")] = None,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    no_color: NoColorOption = False,
    json_out: Annotated[bool, typer.Option(
        "--json", help="The same as --format json (docs/json-output.md).")] = False,
) -> None:
    """Compare two versions of an article (default: the latest change, from the version
    before it to the latest)."""
    from gitnews.archive.history import same_text
    from gitnews.archive.repo import open_archive
    from gitnews.output.jsondocs import diff_json
    from gitnews.output.render import html_page, side_by_side, unified, word_text

    _no_unknown_option(ctx, article, a, b)
    source = ctx.get_parameter_source("fmt")
    if json_out and fmt.value != "json" and source is not None and source.name != "DEFAULT":
        ctx.fail(f"--json and --format {fmt.value} conflict: --json is --format json; give "
                 "one of them")
    form = "json" if json_out else fmt.value
    with open_archive(archive) as arc:
        tl = _timeline(arc, article)
        if a is None and len(tl.versions) < 2:
            fail(f"{tl.label} has only 1 version ({format_time(tl.infos()[0].time)}): there is "
                 f"nothing to compare yet; `gitnews show {article}` prints it")
        va = tl.pick(_version_number(a, "A") if a is not None else -2)
        vb = tl.pick(_version_number(b, "B") if b is not None else -1)
        if a is None and b is None:
            # The latest change, not a version that only put the text back after an
            # outside edit (history.same_text): from the version before it to the latest.
            changed = [i for i in range(1, len(tl.versions))
                       if not same_text(tl.versions[i - 1], tl.versions[i])]
            if changed:
                va = tl.versions[changed[-1] - 1]
        view = tl.diff(va, vb)
    if form == "json":
        write_json(diff_json(view))
    elif form == "unified":
        write(unified(view, context_lines=3 if context is None else context))
    elif form == "html":
        write(html_page(view, context=context))
    elif form == "side-by-side":
        color = use_color(no_color)
        print_renderable(side_by_side(view, color=color, context=context), color=color, width=width)
    else:
        color = use_color(no_color)
        print_renderable(word_text(view, color=color, context=context), color=color)
