"""The site's search index: Pagefind (https://pagefind.app, the ``pagefind[bin]`` package,
extra ``search``) run over the version pages (:func:`run_pagefind`), and the checks of its
``pagefind/`` folder between runs (:func:`search_state`, :func:`search_intact`,
:func:`remove_search`).  Described with the rest of the site's insights in
:mod:`gitnews.output.site.insights`; kept apart so that a run with nothing new imports
only this."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from gitnews.output.sitelayout import SEARCH_DIR

__all__ = ["SEARCH_GLOB", "is_version_page", "SearchResult", "pagefind_installed",
           "NOT_INSTALLED", "run_pagefind", "search_state", "search_intact", "remove_search"]

#: The pages Pagefind indexes: the version (diff) pages, ``<A>-<B>.html``.
SEARCH_GLOB = "articles/**/*-*.html"


_VERSION_PAGE = re.compile(r"^articles/.+/[0-9]+-[0-9]+\.html$")


def is_version_page(rel: str) -> bool:
    """Whether the site-relative path ``rel`` is a version (diff) page."""
    return _VERSION_PAGE.match(rel) is not None


@dataclass(frozen=True)
class SearchResult:
    """What the search step did: ``indexed`` (True when Pagefind wrote the index)
    and a sentence for the user (how many pages, or why there is no search box)."""

    indexed: bool
    message: str


def pagefind_installed() -> bool:
    """Whether the ``pagefind`` Python package (with its binary, ``pagefind[bin]``) is
    installed: then ``python -m pagefind`` runs the indexer."""
    return (importlib.util.find_spec("pagefind") is not None
            and (importlib.util.find_spec("pagefind_bin") is not None
                 or importlib.util.find_spec("pagefind_bin_extended") is not None))


NOT_INSTALLED = ("no search box: Pagefind is not installed (pip install 'gitnews[search]', "
                 "or 'pagefind[bin]'), then run `gitnews site` again")


def run_pagefind(outdir: Path, *, timeout_s: float = 600.0) -> SearchResult:
    """Index the version pages of the site in ``outdir`` with Pagefind
    (``python -m pagefind --site OUTDIR --glob`` :data:`SEARCH_GLOB`), replacing the
    ``pagefind/`` folder of an earlier run.  Never raises for Pagefind's failures:
    the result says what went wrong."""
    target = outdir / SEARCH_DIR
    if target.is_dir() and (target / "pagefind-entry.json").is_file():
        shutil.rmtree(target, ignore_errors=True)  # ours: written by an earlier run
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", str(outdir), "--glob", SEARCH_GLOB,
             "--output-subdir", SEARCH_DIR, "--quiet"],
            capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SearchResult(False, f"no search box: Pagefind could not run ({exc})")
    if proc.returncode != 0 or not (target / "pagefind-ui.js").is_file():
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return SearchResult(False, f"no search box: Pagefind failed (exit {proc.returncode}: "
                                   f"{detail[0]}); check `python -m pagefind --help`")
    return SearchResult(True, "search: the version pages are indexed by Pagefind")


def search_state(outdir: Path) -> dict[str, int]:
    """What Pagefind wrote in ``outdir/pagefind/``, as the manifest records it: each folder
    (relative to ``pagefind/``, ``"."`` for itself) and how many entries it holds.  {} when
    there is no such folder."""
    root = outdir / SEARCH_DIR
    state: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        state[Path(os.path.relpath(dirpath, root)).as_posix()] = len(dirnames) + len(filenames)
    return dict(sorted(state.items()))


def search_intact(outdir: Path, recorded: object) -> bool:
    """Whether the search index that an earlier run recorded (``recorded``: its
    :func:`search_state`, from the manifest) is still whole: every folder there with at
    least as many entries (one ``listdir`` per folder, so a file deleted by hand is
    noticed without a ``stat`` per file).  False when nothing was recorded."""
    if not isinstance(recorded, dict) or not recorded:
        return False
    root = outdir / SEARCH_DIR
    for rel, count in recorded.items():
        try:
            if len(os.listdir(root / str(rel))) < int(count):
                return False
        except (OSError, ValueError, TypeError):
            return False
    return (root / "pagefind-entry.json").is_file()


def remove_search(outdir: Path, *, recorded: object = None) -> bool:
    """Remove the ``pagefind/`` folder of an earlier run when it is ours (an earlier run
    recorded it, ``recorded``, or Pagefind's ``pagefind-entry.json`` is in it); True when
    something was removed.  A folder of that name that gitnews did not write is kept."""
    target = outdir / SEARCH_DIR
    if not target.is_dir():
        return False
    if not recorded and not (target / "pagefind-entry.json").is_file():
        return False
    shutil.rmtree(target, ignore_errors=True)
    return not target.exists()
