"""The typer application and what every command shares."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ..errors import ArchiveError, ConfigError, GitnewsError, NotFoundError

__all__ = ["app", "main", "ArchiveOption", "fail", "console", "err_console", "EXIT_OK",
           "EXIT_FAILED", "EXIT_USAGE", "command", "DEFAULT_ARCHIVE"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    name="gitnews",
    help="Track how news articles change: every article a text file, every edit a git commit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ArchiveOption = Annotated[
    Path,
    typer.Option("--archive", "-a", envvar="GITNEWS_ARCHIVE",
                 help="The archive folder (a git repository).", show_default=True),
]
DEFAULT_ARCHIVE = Path("archive-repo")


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))


def console(*, no_color: bool = False):  # noqa: ANN201 - rich.console.Console
    """A rich console on stdout; colour follows the terminal and NO_COLOR."""
    from rich.console import Console

    return Console(no_color=no_color or _no_color(), highlight=False, soft_wrap=True)


def err_console(*, no_color: bool = False):  # noqa: ANN201
    from rich.console import Console

    return Console(stderr=True, no_color=no_color or _no_color(), highlight=False,
                   soft_wrap=True)


def fail(message: str, *, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``gitnews: <message>`` on stderr and exit with ``code``."""
    typer.echo(f"gitnews: {message}", err=True)
    raise typer.Exit(code)


def exit_code_for(exc: GitnewsError) -> int:
    if isinstance(exc, (ConfigError, ArchiveError)):
        return EXIT_USAGE
    if isinstance(exc, NotFoundError):
        return EXIT_FAILED
    return EXIT_FAILED


def command(*args: object, **kwargs: object):  # noqa: ANN201
    """``@app.command`` that turns a :class:`GitnewsError` into a message and exit status."""
    def decorate(func):  # noqa: ANN001, ANN202
        @functools.wraps(func)
        def wrapper(*a: object, **kw: object) -> object:
            try:
                return func(*a, **kw)
            except GitnewsError as exc:
                fail(str(exc), code=exit_code_for(exc))
        return app.command(*args, **kwargs)(wrapper)
    return decorate


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except GitnewsError as exc:
        typer.echo(f"gitnews: {exc}", err=True)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        typer.echo("gitnews: interrupted", err=True)
        sys.exit(130)
