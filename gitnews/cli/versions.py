"""``gitnews list | log | show | diff``: read the archive's history as article versions."""

from __future__ import annotations

import enum
import io
import json
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from gitnews.format.trailers import format_time
from gitnews.models import DIFF_FORMATS as FORMATS

from .app import DEFAULT_ARCHIVE, EXIT_USAGE, ArchiveOption, JsonOption, NoColorOption, command, console, fail

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from gitnews.archive.repo import Archive
    from gitnews.versions.timeline import Timeline

ArticleArg = Annotated[str, typer.Argument(
    metavar="ARTICLE",
    help="The article: its URL (any URL gitnews knows for it, with or without scheme or "
         "www.) or its file's path in the archive.")]


class SortKey(str, enum.Enum):
    """``gitnews list --sort`` values."""

    changed = "changed"
    versions = "versions"
    headline = "headline"


DiffFormat = enum.Enum("DiffFormat", {f.replace("-", "_"): f for f in FORMATS}, type=str)


# -- output helpers -----------------------------------------------------------------------

def _write(text: str | bytes) -> None:
    """Write to stdout as UTF-8 bytes, whatever the locale."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        # The reader went away (`gitnews log ... | head`): stop quietly, as git does.
        # Point stdout at devnull so that Python's final flush cannot fail again
        # (Python docs, "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def _write_json(doc: dict) -> None:
    _write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _use_color(no_color: bool) -> bool:
    """Colour when stdout is a terminal (or FORCE_COLOR), unless NO_COLOR or --no-color."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return console().is_terminal


def _print(renderable, *, color: bool, width: int | None = None) -> None:  # noqa: ANN001
    """Print a rich renderable: styled on a terminal, else as plain text."""
    from rich.console import Console

    if color:
        out = Console(highlight=False, soft_wrap=width is None and _is_text(renderable),
                      width=width)
        out.print(renderable)
        return
    buf = io.StringIO()
    Console(file=buf, color_system=None, highlight=False, width=width or _plain_width(),
            soft_wrap=_is_text(renderable), legacy_windows=False).print(renderable)
    _write("".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines()))


def _is_text(renderable) -> bool:  # noqa: ANN001
    from rich.text import Text

    return isinstance(renderable, Text)


def _plain_width() -> int:
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 100


def _timeline(arc: Archive, article: str) -> Timeline:
    from gitnews.versions.resolve import resolve_article
    from gitnews.versions.timeline import load_timeline

    record = resolve_article(arc.state, article, archive_dir=arc.path)
    return load_timeline(arc.repo, record, state=arc.state)


# -- list -----------------------------------------------------------------------------------

def parse_time_option(value: str, option: str, *, end: bool = False) -> datetime:
    """A time option's value (gitnews.versions.timespec) -> aware UTC datetime; exit 2 when bad."""
    from gitnews.versions.timespec import parse_time

    try:
        return parse_time(value, now=datetime.now(UTC), end=end)
    except ValueError as exc:
        fail(f"{option}: {exc}", code=EXIT_USAGE)


def _list_width() -> int | None:
    """The width ``list`` fits: COLUMNS, else the terminal's; None (no limit) in a pipe."""
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        pass
    if sys.stdout.isatty():
        import shutil

        return max(40, shutil.get_terminal_size().columns)
    return None


def list_lines(records, *, width: int | None) -> list[str]:  # noqa: ANN001
    """``gitnews list``'s table, fitted to ``width`` characters (None: no limit).

    Columns that do not fit are left out, PATH first, then FIRST SEEN (``--json``
    has them all); then the headline and the host are cut (``…``), the
    headline to no less than 20 characters. A headline takes whatever room is left;
    with ``width`` None nothing is cut.
    """
    from gitnews.versions.timeline import article_host

    hosts = [article_host(r.url) for r in records]
    heads = [(r.headline or "") + (" (removed)" if r.removed else "") for r in records]
    host_full = max(4, *(len(h) for h in hosts))
    head_full = max(8, *(len(h) for h in heads))
    # Without a width (a pipe) every column is whole; with one, the host and headline
    # start at 24 and 50 characters (to decide which columns fit) and the headline then
    # takes the room left over.
    host_w = host_full if width is None else min(24, host_full)
    head_w = head_full if width is None else min(50, head_full)
    path_w = max(4, *(len(r.path) for r in records))
    show_first, show_path = True, True

    def total() -> int:
        return (8 + 2 + (22 if show_first else 0) + 20 + 2 + host_w + 2 + head_w
                + (2 + path_w if show_path else 0))

    if width is not None:
        if total() > width:
            show_path = False
        if total() > width:
            show_first = False
        if total() > width:
            head_w = max(20, head_w - (total() - width))
        if total() > width:
            host_w = max(4, host_w - (total() - width))
        if total() < width:
            head_w = min(head_full, head_w + (width - total()))
    cols = [f"{'VERSIONS':>8}"] + ([f"{'FIRST SEEN':20}"] if show_first else []) + [
        f"{'LAST CHANGED':20}", f"{'HOST':{host_w}}", f"{'HEADLINE':{head_w}}"] + (
        ["PATH"] if show_path else [])
    lines = ["  ".join(cols).rstrip()]
    for r, host, headline in zip(records, hosts, heads):
        cols = [f"{r.changes + 1:>8}"] + ([f"{r.first_seen or '':20}"] if show_first else []) + [
            f"{r.last_edited or '':20}", f"{_cut(host, host_w):{host_w}}",
            f"{_cut(headline, head_w):{head_w}}"] + ([r.path] if show_path else [])
        lines.append("  ".join(cols).rstrip())
    return [line[:width] if width else line for line in lines]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@command("list")
def list_cmd(
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    host: Annotated[str | None, typer.Option(
        "--host", help="Only articles of this host (and its subdomains), e.g. theguardian.com.")] = None,
    changed: Annotated[bool, typer.Option(
        "--changed", help="Only articles that changed (2 or more versions).")] = False,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME",
        help="Only articles whose last version is at or after TIME (2016-09-29, 2016-09, "
             "RFC 3339, today, yesterday, 2h, 3d; UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="TIME",
        help="Only articles whose last version is at or before TIME (a date includes its "
             "whole day).")] = None,
    sort: Annotated[SortKey, typer.Option(
        "--sort",
        help="changed: latest change first; versions: most versions first; headline: A to Z.")] = SortKey.changed,
    limit: Annotated[int | None, typer.Option("--limit", "-n", min=0, metavar="N",
                                                       help="At most N articles.")] = None,
    json_out: JsonOption = False,
) -> None:
    """One row per article: versions, first seen, last changed, host, headline, path
    (fitted to the terminal's width: --json has every field in full)."""
    from gitnews.archive.repo import open_archive
    from gitnews.output.render import list_json

    since_ts = format_time(parse_time_option(since, "--since")) if since else None
    until_ts = format_time(parse_time_option(until, "--until", end=True)) if until else None
    host_key = None
    if host:
        host_key = host.strip().lower().rstrip(".")
        host_key = host_key[4:] if host_key.startswith("www.") else host_key
        try:
            host_key = host_key.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    with open_archive(archive) as arc:
        records = arc.state.query_articles(host=host_key, min_versions=2 if changed else 1,
                                           changed_since=since_ts, changed_until=until_ts,
                                           sort=sort.value, limit=limit)
    if json_out:
        _write_json(list_json(records))
        return
    if not records:
        if limit == 0:  # asked for none: there is nothing to say about the archive
            return
        typer.echo("No articles match." if (host or changed or since or until) else
                   "The archive has no articles yet: `gitnews add URL`, then `gitnews run`.",
                   err=True)
        return
    _write("\n".join(list_lines(records, width=_list_width())) + "\n")


# -- log ------------------------------------------------------------------------------------

@command("log")
def log_cmd(article: ArticleArg, archive: ArchiveOption = DEFAULT_ARCHIVE,
            json_out: JsonOption = False, no_color: NoColorOption = False) -> None:
    """The article's versions, oldest first: time, gap, size of change, headline changes."""
    from gitnews.archive.repo import open_archive
    from gitnews.output.render import log_json, plural, stats_words
    from gitnews.versions.timeline import gap_words

    with open_archive(archive) as arc:
        tl = _timeline(arc, article)
        infos = tl.infos()
        alternation = arc.state.get_alternation(tl.record.path)
        from datetime import datetime

        from gitnews.versions.schedule import Policy, describe_next_check

        record = arc.state.get(tl.record.path) or tl.record
        next_check = describe_next_check(record, datetime.now(UTC),
                                         Policy.from_settings(arc.config.schedule))
    if json_out:
        doc = log_json(tl, infos)
        doc["next_check"] = next_check
        _write_json(doc)
        return
    from rich.text import Text

    color = _use_color(no_color)
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
    reverts = sum(1 for i in infos if i.version.trailers.get("Reverts-To"))
    if alternation and alternation.get("returns"):
        out.append(f"The article is alternating between texts it already had: "
                   f"{plural(reverts, 'revert')} committed, then "
                   f"{plural(alternation['returns'], 'more return')} counted but not committed "
                   f"(last {alternation.get('last_seen') or 'unknown'})\n")
    out.append("\n")
    rows = []
    outside: dict[int, list] = {}
    for edit in tl.outside:
        outside.setdefault(edit.after, []).append(edit)
    for info in infos:
        v = info.version
        if info.gap is None:
            gap = "first version"
            size = f"{plural(info.paragraphs, 'paragraph')}, {plural(info.words, 'word')}"
        else:
            gap = gap_words(info.gap)
            size = stats_words(info.stats)
        if v.removed:
            size = "removed from the archive"
        kinds = v.trailers.get("Change-Kind", "")
        if v.trailers.get("Reverts-To"):
            size += f", back to version {v.trailers['Reverts-To']}"
        elif "extraction" in kinds:
            size += " (extraction change: page unchanged)"
        elif "restored" in kinds:
            size += " (restored)"
        if info.same_text:
            size = "no change: restores the text after an outside edit (not counted)"
        elif "outside-edit" in kinds:
            size += " (replaces an outside edit)"
        rows.append((str(v.number), format_time(info.time), gap, size, v.commit[:12], info))
        for edit in outside.get(v.number, ()):
            what = "the file was deleted" if edit.removed else "the file was edited"
            rows.append(("-", format_time(edit.at), "outside edit",
                         f"{what} outside gitnews: {_cut(edit.subject, 50)}", edit.commit[:12],
                         None))
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    widths = [max(w, len(h)) for w, h in zip(widths, ("VERSION", "TIME", "GAP", "CHANGE", "COMMIT"))]
    out.append(f"{'VERSION':>{widths[0]}}  {'TIME':{widths[1]}}  {'GAP':{widths[2]}}  "
               f"{'CHANGE':{widths[3]}}  COMMIT\n", "dim" if color else "")
    for number, time, gap, size, commit, info in rows:
        out.append(f"{number:>{widths[0]}}  {time:{widths[1]}}  {gap:{widths[2]}}  "
                   f"{size:{widths[3]}}  ")
        out.append(commit + "\n", "yellow" if color else "")
        if info is not None and info.headline_changed:
            out.append(f"{'':>{widths[0]}}  headline changed: ")
            out.append(info.previous_headline or "", "red" if color else "")
            out.append(" -> ")
            out.append((info.headline or "") + "\n", "green" if color else "")
    _print(out, color=color)


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
) -> None:
    """The text of one version exactly as stored in git (pipe it), or --json with metadata."""
    from gitnews.archive.repo import open_archive

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
    if json_out:
        from gitnews.output.render import show_json

        _write_json(show_json(tl, info, data.decode("utf-8", "replace")))
        return
    _write(data)


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
    from gitnews.output.render import diff_json, html_page, side_by_side, unified, word_text

    _no_unknown_option(ctx, article, a, b)
    if json_out and fmt.value != "json" and ctx.get_parameter_source("fmt").name != "DEFAULT":
        ctx.fail(f"--json and --format {fmt.value} conflict: --json is --format json; give "
                 "one of them")
    fmt = "json" if json_out else fmt.value
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
    if fmt == "json":
        _write_json(diff_json(view))
    elif fmt == "unified":
        _write(unified(view, context_lines=3 if context is None else context))
    elif fmt == "html":
        _write(html_page(view, context=context))
    elif fmt == "side-by-side":
        color = _use_color(no_color)
        _print(side_by_side(view, color=color, context=context), color=color, width=width)
    else:
        color = _use_color(no_color)
        _print(word_text(view, color=color, context=context), color=color)
