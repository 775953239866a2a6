"""The archive format of front pages (pure): the file, its path, and its commit messages.

A tracked front (``gitnews add --front URL``: a homepage or section front) keeps
its story list in ``fronts/<the path an article at URL would have>``
(:func:`front_path`; e.g. ``fronts/bbc.com/index.txt``), one line per story::

    <headline> — <URL>

(an em dash U+2014 between single spaces), in page order: the line number is
the story's position.  Each distinct (headline, URL) pair is listed once.

When the list changes, one commit (:func:`front_message`) records the new file::

    Front changed: bbc.com/index (2 headlines changed, 1 added, 1 removed)

    Headline changed at 3: Old headline -> New headline (https://...)
    Added at 5: A new story (https://...)
    Removed from 7: A story that left (https://...)

    Front-Url: https://www.bbc.com/
    Fetched-At: 2023-09-28T19:02:28Z
    Stories: 42

The first commit of a front is ``Front: <path> (<n> stories)`` without the list
of changes.  These commits carry no ``Article-Url``/``Version`` trailers: they
are not article versions (:func:`gitnews.archive.history.is_version`), and
``list``, ``log``, the site and the feeds do not count them.

Imports only the rest of :mod:`gitnews.format`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gitnews.format.paths import SUFFIX, article_path
from gitnews.format.trailers import (
    FETCHED_AT,
    FETCHED_URL,
    FRONT_URL,
    STORIES,
    clean_value,
    format_message,
)

__all__ = ["FRONTS_DIR", "SEPARATOR", "front_path", "is_front_path", "FrontLine",
           "parse_front_text", "front_changes", "front_message", "MAX_CHANGE_LINES"]

#: The archive's folder of front files.
FRONTS_DIR = "fronts"
#: Between a story's headline and its URL on a line of a front's file.
SEPARATOR = " \u2014 "
#: Most change lines in one front commit's message (then "... and N more").
MAX_CHANGE_LINES = 30


def front_path(url: str) -> str:
    """The archive path of the front tracked as ``url``: ``fronts/`` + the path an
    article at that URL would have (:func:`gitnews.format.paths.article_path`)."""
    return f"{FRONTS_DIR}/{article_path(url)}"


def is_front_path(path: str) -> bool:
    """True for a front's file (``fronts/.../*.txt``)."""
    return path.startswith(FRONTS_DIR + "/") and path.endswith(SUFFIX)


@dataclass(frozen=True)
class FrontLine:
    """One line of a front's file: ``position`` (1-based), ``headline``, ``url``."""

    position: int
    headline: str
    url: str


def parse_front_text(text: str) -> list[FrontLine]:
    """The stories of a front's file, in order; lines without the separator are skipped."""
    out: list[FrontLine] = []
    for line in text.splitlines():
        headline, sep, link = line.rpartition(SEPARATOR)
        if sep:
            out.append(FrontLine(len(out) + 1, headline, link))
    return out


def front_changes(old: list[FrontLine], new: list[FrontLine]) -> tuple[dict[str, int], list[str]]:
    """Compare two story lists by URL: ``(counts, lines)``.

    ``counts``: ``headlines``, ``added``, ``removed``, ``moved`` (a URL at another
    position); ``lines``: one per headline changed, story added or removed, in the
    new list's order (removals last).  A URL listed more than once is compared by
    its first line.
    """
    def first(lines: list[FrontLine]) -> dict[str, FrontLine]:
        out: dict[str, FrontLine] = {}
        for s in lines:
            out.setdefault(s.url, s)
        return out

    before, after = first(old), first(new)
    counts = {"headlines": 0, "added": 0, "removed": 0, "moved": 0}
    lines: list[str] = []
    for url, s in after.items():
        was = before.get(url)
        if was is None:
            counts["added"] += 1
            lines.append(f"Added at {s.position}: {s.headline} ({url})")
            continue
        if was.headline != s.headline:
            counts["headlines"] += 1
            lines.append(f"Headline changed at {s.position}: {was.headline} -> {s.headline} "
                         f"({url})")
        if was.position != s.position:
            counts["moved"] += 1
    for url, was in before.items():
        if url not in after:
            counts["removed"] += 1
            lines.append(f"Removed from {was.position}: {was.headline} ({url})")
    return counts, lines


def _describe(counts: dict[str, int]) -> str:
    parts = []
    for key, one, many in (("headlines", "headline changed", "headlines changed"),
                           ("added", "added", "added"), ("removed", "removed", "removed"),
                           ("moved", "moved", "moved")):
        n = counts[key]
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) or "reordered"


def front_message(*, url: str, path: str, old_text: str | None, new_text: str,
                  fetched_at: datetime, fetched_url: str | None = None) -> str:
    """The commit message for a front's new story list (see the module docstring).

    ``old_text`` is the file before (None: the front's first commit);
    ``fetched_url`` the final URL when it differs from ``url``; ``fetched_at`` UTC.
    """
    new = parse_front_text(new_text)
    name = path.removeprefix(FRONTS_DIR + "/").removesuffix(SUFFIX)
    body: list[str] = []
    n = len(new)
    stories = f"{n} {'story' if n == 1 else 'stories'}"
    if old_text is None:
        subject = f"Front: {name} ({stories})"
    else:
        counts, lines = front_changes(parse_front_text(old_text), new)
        subject = f"Front changed: {name} ({_describe(counts)})"
        body = [clean_value(line) for line in lines[:MAX_CHANGE_LINES]]
        if len(lines) > MAX_CHANGE_LINES:
            body.append(f"... and {len(lines) - MAX_CHANGE_LINES} more")
    from gitnews.format.trailers import format_time

    message = format_message(subject, [(FRONT_URL, url), (FETCHED_AT, format_time(fetched_at)),
                                       (FETCHED_URL, fetched_url if fetched_url != url else None),
                                       (STORIES, n)])
    if not body:
        return message
    head, _, trailers = message.partition("\n\n")
    return head + "\n\n" + "\n".join(body) + "\n\n" + trailers
