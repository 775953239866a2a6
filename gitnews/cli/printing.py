"""What the commands print through: UTF-8 bytes on stdout whatever the locale (a
closed pipe ends quietly), JSON documents, and rich renderables, styled on a
terminal or as plain text."""

from __future__ import annotations

import io
import json
import os
import sys
from typing import TYPE_CHECKING

import typer

from .app import console

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["write", "write_json", "use_color", "print_renderable", "cut"]


def write(text: str | bytes) -> None:
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


def write_json(doc: dict[str, object]) -> None:
    """Write ``doc`` as indented JSON (UTF-8, not ASCII-escaped) and a newline."""
    write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def use_color(no_color: bool) -> bool:
    """Colour when stdout is a terminal (or FORCE_COLOR), unless NO_COLOR or --no-color."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return console().is_terminal


def print_renderable(renderable: RenderableType, *, color: bool, width: int | None = None) -> None:
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
    write("".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines()))


def _is_text(renderable: RenderableType) -> bool:
    from rich.text import Text

    return isinstance(renderable, Text)


def _plain_width() -> int:
    try:
        return max(40, int(os.environ.get("COLUMNS", "")))
    except ValueError:
        return 100


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in ``…`` when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
