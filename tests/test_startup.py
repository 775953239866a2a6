"""``gitnews --help`` must start fast: the heavy libraries are imported only by the commands
that need them (checked with ``python -X importtime``, not with a clock)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = {"trafilatura", "httpx", "feedparser", "lxml", "htmldate", "courlan", "git", "gitdb",
         "jinja2", "warcio", "sqlite3"}


def _imported(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitnews", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


def test_help_does_not_import_the_heavy_libraries():
    for args in (["--help"], ["run", "--help"], ["log", "--help"], ["gc", "--help"]):
        modules = _imported(*args)
        assert "gitnews.cli" in modules  # the measurement works
        assert not modules & HEAVY, (args, sorted(modules & HEAVY))


def test_top_level_help_imports_neither_rich_nor_pydantic():
    # Plain click help (rich_markup_mode=None); typer itself needs pydantic only to
    # parse a command's parameters.
    modules = _imported("--help")
    assert "gitnews.cli" in modules
    assert not modules & {"rich", "pydantic", "markdown_it"}, sorted(modules & {"rich", "pydantic"})
