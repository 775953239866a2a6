"""What an archive tracks: add and remove feeds and single articles.

``gitnews add URL`` fetches the URL once to learn what it is: a feed is
tracked as a feed; a homepage that advertises feeds has those feeds tracked
instead (trafilatura's feed discovery); any other page is tracked as a single
article.  The new ``gitnews.toml`` is committed (one commit per call).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .archive import Archive
from .config import CONFIG_NAME, edit_tracked
from .errors import GitnewsError
from .urls import canonical_url

__all__ = ["AddResult", "add", "remove", "classify"]


@dataclass
class AddResult:
    """What ``add`` made of one URL: ``kind`` is "feed", "article" or "failed";
    ``added`` lists the URLs now tracked because of it (discovered feeds)."""

    url: str
    kind: str
    added: list[str]
    message: str = ""


def classify(url: str, fetcher) -> AddResult:  # noqa: ANN001 - a gitnews.fetch.Fetcher
    """Fetch ``url`` and decide whether it is a feed, a homepage with feeds or an article."""
    from .feeds import discover_feeds, looks_like_feed, parse_feed

    try:
        canonical_url(url)
        page = fetcher.fetch(url)
        if looks_like_feed(page.body, page.content_type):
            entries = parse_feed(page.body, url=page.final_url)
            return AddResult(url, "feed", [url], f"a feed with {len(entries)} entries")
        found = discover_feeds(page.body, url=page.final_url)
        if found:
            return AddResult(url, "feed", found,
                             f"a homepage: found {len(found)} feed(s): {', '.join(found)}")
        return AddResult(url, "article", [url], "a single article")
    except GitnewsError as exc:
        return AddResult(url, "failed", [], str(exc))


def _commit_config(archive: Archive, text: str, subject: str, body: list[str]) -> None:
    message = subject + "\n\n" + "\n".join(body) + "\n"
    with archive.transaction() as tx:
        tx.commit({CONFIG_NAME: text}, message=message, when=datetime.now(timezone.utc))
    archive.reload_config()


def add(archive: Archive, urls: list[str], *, kind: str = "auto") -> list[AddResult]:
    """Track ``urls``; ``kind`` "auto" (fetch to find out), "feed" or "article".

    Returns one :class:`AddResult` per URL; failures are results, not raised.
    Raises :class:`~gitnews.errors.ConfigError` when gitnews.toml is invalid.
    """
    results: list[AddResult] = []
    if kind == "auto":
        from .fetch import make_fetcher

        with make_fetcher(archive.config.fetch) as fetcher:
            # robots.txt and host back-offs are shared with `gitnews run` (one read a day).
            fetcher.load_state(robots=archive.state.robots_rows(), hosts=archive.state.host_rows())
            results = [classify(u, fetcher) for u in urls]
            archive.state.save_politeness(*fetcher.export_state())
    else:
        for u in urls:
            try:
                canonical_url(u)
                results.append(AddResult(u, kind, [u], f"added as {'a feed' if kind == 'feed' else 'an article'}"))
            except GitnewsError as exc:
                results.append(AddResult(u, "failed", [], str(exc)))
    feeds = [u for r in results if r.kind == "feed" for u in r.added]
    articles = [u for r in results if r.kind == "article" for u in r.added]
    text = (archive.path / CONFIG_NAME).read_text(encoding="utf-8")
    new_text, changed = edit_tracked(text, add_feeds=feeds, add_articles=articles)
    if changed:
        _commit_config(archive, new_text, f"Track {len(changed)} URL{'s' if len(changed) != 1 else ''}",
                       [f"Track: {u}" for u in changed])
    return results


def remove(archive: Archive, urls: list[str]) -> list[str]:
    """Stop tracking ``urls`` (feeds or articles); returns those removed.

    Articles already in the archive keep their history.
    """
    text = (archive.path / CONFIG_NAME).read_text(encoding="utf-8")
    new_text, removed = edit_tracked(text, remove=urls)
    if removed:
        _commit_config(archive, new_text, f"Stop tracking {len(removed)} URL{'s' if len(removed) != 1 else ''}",
                       [f"Untrack: {u}" for u in removed])
    return removed
