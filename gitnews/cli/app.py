"""The typer application and what every command shares."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from gitnews.errors import ArchiveError, ArchiveLockedError, ConfigError, GitnewsError, NotFoundError

if TYPE_CHECKING:  # the core is imported by the commands that use it (start-up time)
    from rich.console import Console

    from gitnews.archive.repo import Archive

__all__ = ["app", "main", "ArchiveOption", "fail", "console", "err_console", "EXIT_OK",
           "EXIT_FAILED", "EXIT_USAGE", "EXIT_TEMPFAIL", "EXIT_INTERRUPTED", "command",
           "DEFAULT_ARCHIVE", "WaitOption", "JsonOption", "NoColorOption", "EXIT_STATUSES",
           "open_for_writing", "wait_seconds", "parse_time_option"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Another gitnews process is writing to the archive: try again later
#: (``EX_TEMPFAIL`` of sysexits.h).
EXIT_TEMPFAIL = 75
#: Interrupted (SIGINT): 128 + 2, as shells report it.
EXIT_INTERRUPTED = 130

app = typer.Typer(
    name="gitnews",
    help="Track how news articles change: every article a text file, every edit a git commit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from gitnews._version import __version__

        typer.echo(f"gitnews {__version__}")
        raise typer.Exit(EXIT_OK)


#: The exit statuses, in ``gitnews --help`` (README.md's table is checked against it).
EXIT_STATUSES = (
    (EXIT_OK, "success"),
    (EXIT_FAILED, "some items failed (the command completed and lists them), or a thing asked "
                  "for does not exist"),
    (EXIT_USAGE, "bad usage or configuration, or no archive where the command looked"),
    (EXIT_TEMPFAIL, "another gitnews process is writing to the archive (try again, or --wait)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C or SIGTERM) with work left undone"),
)


@app.callback(epilog="Global options (--archive, --no-color, --json) go before or after the "
              "command. Exit status: " + "; ".join(f"{code} {what}" for code, what
                                                    in EXIT_STATUSES) + ".")
def _options(
        ctx: typer.Context,
        version: Annotated[bool, typer.Option(
            "--version", callback=_print_version, is_eager=True,
            help="Print gitnews's version and exit.")] = False,
        archive: Annotated[Path | None, typer.Option(
            "--archive", "-a", envvar="GITNEWS_ARCHIVE", show_default=False,
            help="The archive folder (a git repository) [default: archive-repo].")] = None,
        no_color: Annotated[bool, typer.Option(
            "--no-color", help="Never use colour (colour follows the terminal and "
                               "NO_COLOR).")] = False,
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print JSON, for the commands that print data "
                           "(docs/json-output.md).")] = False) -> None:
    """Track how news articles change: every article a text file, every edit a git commit."""
    # A global option given before the command is that command's default (an option
    # after the command wins); click reads these when it parses the command's options.
    given: dict[str, object] = {"archive": archive, "no_color": no_color or None,
                                "json_out": json_out or None}
    given = {k: v for k, v in given.items() if v is not None}
    global _NO_COLOR
    _NO_COLOR = _NO_COLOR or no_color  # also for what prints through console()
    name = ctx.invoked_subcommand
    sub = getattr(ctx.command, "commands", {}).get(name) if name else None
    if name is None or sub is None or not given:
        return
    takes = {p.name for p in sub.params}
    if "json_out" in given and "json_out" not in takes:
        raise typer.BadParameter(f"`gitnews {name}` has no --json output (docs/json-output.md "
                                 "lists the commands that have one)", param_hint="--json")
    ctx.default_map = {name: {k: v for k, v in given.items() if k in takes}}


ArchiveOption = Annotated[
    Path,
    # $GITNEWS_ARCHIVE is read by the root's --archive (so that `gitnews --archive X
    # CMD` beats it), which passes it on as this option's default.
    typer.Option("--archive", "-a", help="The archive folder (a git repository; default "
                 "$GITNEWS_ARCHIVE, else archive-repo).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (docs/json-output.md).")]
NoColorOption = Annotated[bool, typer.Option("--no-color", help="Never use colour "
                                             "(colour follows the terminal and NO_COLOR).")]
DEFAULT_ARCHIVE = Path("archive-repo")

WaitOption = Annotated[
    str | None,
    typer.Option("--wait", metavar="[SECONDS]",
                 help="When another gitnews process is writing to the archive, wait for it "
                      "(for ever, or at most SECONDS) instead of exiting with status 75."),
]

_FOREVER = "forever"


def wait_seconds(value: str | None) -> float:
    """The ``--wait`` value in seconds: 0 without it, ``inf`` for a bare ``--wait``."""
    if value is None:
        return 0.0
    if value == _FOREVER:
        return float("inf")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise typer.BadParameter(f"{value!r} is not a number of seconds", param_hint="--wait")
    return seconds


def _is_seconds(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def normalise_argv(argv: list[str]) -> list[str]:
    """Give a bare ``--wait`` (not followed by a number of seconds) its "for ever"
    value, so that ``--wait`` and ``--wait 30`` both parse (click options
    cannot have an optional value)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + argv[i:]
        if arg == "--wait" and not (i + 1 < len(argv) and _is_seconds(argv[i + 1])):
            out.append(f"--wait={_FOREVER}")
        else:
            out.append(arg)
    return out


def open_for_writing(archive: Path, *, wait: str | None, create: bool = False,
                     command: str = "gitnews") -> Archive:
    """Open ``archive`` holding its write lock; print what was repaired on stderr."""
    from gitnews.archive.repo import open_archive

    arc = open_archive(archive, create=create, lock=True, wait_s=wait_seconds(wait),
                       command=command)
    for notice in arc.notices:
        typer.echo(f"gitnews: note: {notice}", err=True)
    arc.on_notice = lambda notice: typer.echo(f"gitnews: note: {notice}", err=True)
    return arc


_NO_COLOR = False  # set by the root's --no-color


def _no_color() -> bool:
    return _NO_COLOR or bool(os.environ.get("NO_COLOR"))


def console(*, no_color: bool = False) -> Console:
    """A rich console on stdout; colour follows the terminal and NO_COLOR."""
    from rich.console import Console

    return Console(no_color=no_color or _no_color(), highlight=False, soft_wrap=True)


def err_console(*, no_color: bool = False) -> Console:
    """A rich console on stderr; colour follows the terminal and NO_COLOR."""
    from rich.console import Console

    return Console(stderr=True, no_color=no_color or _no_color(), highlight=False,
                   soft_wrap=True)


def fail(message: str, *, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``gitnews: <message>`` on stderr and exit with ``code``."""
    typer.echo(f"gitnews: {message}", err=True)
    raise typer.Exit(code)


def parse_time_option(value: str, option: str, *, end: bool = False) -> datetime:
    """A time option's value (gitnews.versions.timespec) -> aware UTC datetime; exit 2 when bad."""
    from gitnews.versions.timespec import parse_time

    try:
        return parse_time(value, now=datetime.now(UTC), end=end)
    except ValueError as exc:
        fail(f"{option}: {exc}", code=EXIT_USAGE)


def exit_code_for(exc: GitnewsError) -> int:
    if isinstance(exc, ArchiveLockedError):
        return EXIT_TEMPFAIL
    if isinstance(exc, (ConfigError, ArchiveError)):
        return EXIT_USAGE
    if isinstance(exc, NotFoundError):
        return EXIT_FAILED
    return EXIT_FAILED


def command(name: str, *, context_settings: dict[str, object] | None = None
            ) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``@app.command`` that turns a :class:`GitnewsError` into a message and exit status."""
    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(func)
        def wrapper(*a: object, **kw: object) -> None:
            try:
                return func(*a, **kw)
            except GitnewsError as exc:
                fail(str(exc), code=exit_code_for(exc))
            except KeyboardInterrupt:
                # Commands with work to keep stop on SIGINT themselves (run, import, site);
                # elsewhere it cuts the command short: say so (typer alone exits silently).
                fail("interrupted; what was under way was not finished: run the command "
                     "again", code=EXIT_INTERRUPTED)
            except Exception as exc:
                # The cache (written after the commits: git is safe).  sqlite3 is not
                # imported for start-up; an error of its can only come once it is.
                sqlite3 = sys.modules.get("sqlite3")
                if sqlite3 is None or not isinstance(exc, sqlite3.Error):
                    raise
                fail(f"the cache (.git/gitnews/state.sqlite) could not be written ({exc}); the "
                     "versions in git are safe; free some disk space, or delete that file (it is "
                     "rebuilt from git), and run again", code=EXIT_FAILED)
        return app.command(name, context_settings=context_settings)(wrapper)
    return decorate


def main() -> None:
    """Console-script entry point."""
    try:
        app(args=normalise_argv(sys.argv[1:]))
    except GitnewsError as exc:
        typer.echo(f"gitnews: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        typer.echo("gitnews: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
