"""Front pages in a run: commit each front's story list when it changed.

The plan (:mod:`gitnews.ops.plan`) reads the tracked fronts like feeds (their
stories become entries to check) and leaves each story list
(:class:`~gitnews.sources.fronts.Front`) in ``Pending.fronts``;
:func:`commit_fronts` then writes those that differ from the archive's copy, one
commit per front (:func:`gitnews.format.fronts.front_message`), on the run's
transaction.  A dry run commits nothing and :func:`front_changes_preview` says
what would change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from gitnews.archive.objects import file_at
from gitnews.archive.repo import Archive
from gitnews.archive.store import Transaction
from gitnews.errors import GitnewsError
from gitnews.format.fronts import front_message, front_path
from gitnews.ops.classify import AddResult, plural
from gitnews.sources.fronts import Front

if TYPE_CHECKING:
    from gitnews.sources.http import Fetcher

__all__ = ["commit_fronts", "front_changed", "classify_front", "describe_change"]


def _current(archive: Archive, path: str) -> str | None:
    data = file_at(archive.repo, "HEAD", path)
    if data is None:
        return None
    return data.decode("utf-8", errors="replace")


def front_changed(archive: Archive, front: Front) -> tuple[str, str | None, str] | None:
    """``(path, old text or None, new text)`` when ``front``'s list differs from the
    archive's copy at HEAD; None when it is the same."""
    path = front_path(front.source)
    old, new = _current(archive, path), front.text()
    return None if old == new else (path, old, new)


def describe_change(archive: Archive, front: Front) -> str:
    """What a run would commit for ``front`` (for ``run --dry-run``): "story list
    unchanged", or the new commit's subject."""
    from gitnews.format.fronts import front_message

    changed = front_changed(archive, front)
    if changed is None:
        return "story list unchanged"
    path, old, new = changed
    from datetime import UTC, datetime

    subject = front_message(url=front.source, path=path, old_text=old, new_text=new,
                            fetched_at=datetime.now(UTC)).split("\n", 1)[0]
    return f"would commit {path}: {subject}"


def commit_fronts(archive: Archive, tx: Transaction, fronts: list[Front], *,
                  when: datetime) -> list[str]:
    """Queue one commit on ``tx`` per front of ``fronts`` whose story list changed
    (``when``: aware datetime, the commit time and ``Fetched-At``).  Returns the
    paths committed."""
    done: list[str] = []
    for front in fronts:
        changed = front_changed(archive, front)
        if changed is None:
            continue
        path, old, new = changed
        tx.commit({path: new}, when=when,
                  message=front_message(url=front.source, path=path, old_text=old,
                                        new_text=new, fetched_at=when, fetched_url=front.url))
        done.append(path)
    return done


def classify_front(url: str, fetcher: Fetcher,
                   sites: Mapping[str, Mapping[str, object]]) -> AddResult:
    """Fetch ``url`` once and check that it is a front with stories (``gitnews add
    --front``): kind "front", or "failed" with what to do."""
    from gitnews.ops.plan import front_selector
    from gitnews.sources.fronts import parse_front

    try:
        page = fetcher.fetch(url)
        front = parse_front(page.body, url=page.final_url, source=url,
                            selector=front_selector(sites, page.final_url))
    except GitnewsError as exc:
        return AddResult(url, "failed", [], str(exc))
    first = front.stories[0]
    from gitnews.sources.fronts import article_page_signs

    signs = article_page_signs(page.body, front)
    warning = (f"this page looks like an article, not a front ({'; '.join(signs)}); if it is "
               f"one, `gitnews remove {url}` and `gitnews add --article {url}` instead"
               if signs else "")
    return AddResult(url, "front", [url],
                     f"{front.describe()}; first: {first.headline}; "
                     f"{plural(len(front.entries()), 'article')} tracked from it", warning=warning)
