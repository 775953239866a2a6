"""``gitnews reextract | verify``: the evidence kept with the versions (the captures, issue 16).

``reextract`` runs today's extractor and site rules on each article's latest capture
and commits the texts that change as ``extraction`` versions
(:mod:`gitnews.ops.reextract`); ``verify`` checks every version's capture and text
(:mod:`gitnews.ops.verify`).  ``gitnews show --raw/--headers`` (:mod:`.versions`) prints
one capture.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated

import typer

from .app import (
    DEFAULT_ARCHIVE,
    EXIT_FAILED,
    ArchiveOption,
    JsonOption,
    WaitOption,
    command,
    open_for_writing,
    parse_time_option,
)
from .printing import write, write_json

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive
    from gitnews.ops.reextract import ReextractResult
    from gitnews.ops.verify import VerifyReport

ArticlesArg = Annotated[list[str] | None, typer.Argument(
    metavar="[ARTICLE]...",
    help="Articles (a URL gitnews knows for it, or its file's path); default: every article.",
    show_default=False)]


def _paths(arc: Archive, articles: list[str] | None) -> list[str] | None:
    """The article files the ARTICLE arguments name (exit 1 for one that names none)."""
    if not articles:
        return None
    from gitnews.versions.resolve import resolve_article

    return [resolve_article(arc.state, a, archive_dir=arc.path).path for a in articles]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- reextract --------------------------------------------------------------------------------

@command("reextract")
def reextract_cmd(
    articles: ArticlesArg = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="TIME",
        help="Only articles whose latest version is at or after TIME (2016-09-29, RFC 3339, "
             "today, 2h, 3d; UTC).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show the diffs and a summary; commit nothing.")] = False,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    wait: WaitOption = None,
) -> None:
    """Extract each article's latest capture again with today's extractor and site rules;
    commit each text that changes as a version with Change-Kind: extraction.

    Use it after a fix to a [sites] rule or an upgrade of trafilatura.  History is never
    rewritten: a new version is added, with the same page (Page-Sha256, Capture).
    """
    from gitnews.archive.repo import open_archive
    from gitnews.ops.reextract import reextract

    start = parse_time_option(since, "--since") if since else None
    if dry_run:
        with open_archive(archive) as arc:
            result = reextract(arc, articles=_paths(arc, articles), since=start, dry_run=True)
    else:
        with open_for_writing(archive, wait=wait, command="gitnews reextract") as arc:
            result = reextract(arc, articles=_paths(arc, articles), since=start)
    _print_reextract(result)
    if result.failed:
        raise typer.Exit(EXIT_FAILED)


def _print_reextract(result: ReextractResult) -> None:
    out: list[str] = []
    for change in result.changed:
        s = change.stats
        if result.dry_run:
            out.append(f"{change.path} (version {change.version}): "
                       f"+{_plural(s.paragraphs_added, 'paragraph')}, "
                       f"-{s.paragraphs_removed}, ~{s.paragraphs_changed} changed\n")
            out += difflib.unified_diff(change.old_text.splitlines(keepends=True),
                                        change.new_text.splitlines(keepends=True),
                                        fromfile=f"a/{change.path}", tofile=f"b/{change.path}")
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
        else:
            out.append(f"{change.path}: version {change.new_version} (extraction): "
                       f"+{_plural(s.paragraphs_added, 'paragraph')}, "
                       f"-{s.paragraphs_removed}\n")
    for path, reason in result.skipped:
        out.append(f"passed over {path}: {reason}\n")
    for path, message in result.failed:
        out.append(f"failed {path}: {message}\n")
    verb = "would change" if result.dry_run else "changed"
    out.append(f"{_plural(len(result.changed), 'article')} {verb} (extraction): "
               f"{_plural(result.paragraphs_gained, 'paragraph')} gained, "
               f"{result.paragraphs_lost} lost; {result.unchanged} unchanged, "
               f"{len(result.skipped)} passed over, {len(result.failed)} failed"
               + ("; nothing committed (--dry-run)" if result.dry_run else "") + "\n")
    write("".join(out))


# -- verify -----------------------------------------------------------------------------------

@command("verify")
def verify_cmd(
    articles: ArticlesArg = None,
    archive: ArchiveOption = DEFAULT_ARCHIVE,
    json_out: JsonOption = False,
) -> None:
    """Check every version's evidence: its capture exists and its digest matches
    Page-Sha256, and extracting it again reproduces the stored text byte for byte (with
    the extractor that made it, when that is the one installed).

    One line per problem; notes (versions without a capture, another extractor, outside
    edits) are listed too.  Exit 0 when everything holds, 1 otherwise.
    """
    from gitnews.archive.repo import open_archive
    from gitnews.ops.verify import verify

    with open_archive(archive) as arc:
        report = verify(arc, articles=_paths(arc, articles))
    if json_out:
        write_json(_verify_json(report))
    else:
        _print_verify(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _print_verify(report: VerifyReport) -> None:
    out = []
    for f in report.findings:
        where = f.path or "archive"
        out.append(f"{'' if f.problem else 'note: '}{where}: {f.message}\n")
    problems = len(report.problems)
    out.append(f"{_plural(report.articles, 'article')}, {_plural(report.versions, 'version')}: "
               f"{_plural(report.captures, 'capture')} checked, "
               f"{_plural(report.reproduced, 'text')} reproduced byte for byte; "
               f"{_plural(problems, 'problem')}, "
               f"{_plural(len(report.findings) - problems, 'note')}\n")
    write("".join(out))


def _verify_json(report: VerifyReport) -> dict[str, object]:
    return {"schema": "gitnews.verify/1", "ok": report.ok, "articles": report.articles,
            "versions": report.versions, "captures": report.captures,
            "reproduced": report.reproduced,
            "findings": [{"path": f.path or None, "version": f.version, "kind": f.kind,
                          "problem": f.problem, "message": f.message, "commit": f.commit}
                         for f in report.findings]}
