"""What an archive tracks: add and remove feeds, sitemaps, front pages and single articles.

``gitnews add URL`` fetches the URL once and says what it is
(:func:`gitnews.ops.classify.classify`: a feed, a page with feeds, an article
page, or none of these, refused with the reason).

Feeds and articles are compared by :func:`gitnews.format.urls.identity_key`: the same
URL under ``http``/``https``, with or without ``www.``, a trailing slash or
tracking parameters is one feed, tracked once.  ``remove`` accepts the same
spellings, and for articles also what ``gitnews log`` accepts (an alias, the
article file's path).

The new ``gitnews.toml`` is committed (one commit per call) and the file,
the index and the branch agree afterwards.  Edits of ``gitnews.toml`` made by
hand and not committed are taken in knowingly: they are part of the text that
is edited, the commit message says so, and :attr:`TrackingResults.hand_edits`
names the keys they changed for the caller to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from gitnews.archive.objects import file_at
from gitnews.archive.repo import Archive
from gitnews.archive.worktree import restore_file
from gitnews.config import CONFIG_NAME, changed_keys, edit_tracked, parse_config
from gitnews.errors import GitnewsError, NotFoundError
from gitnews.format.urls import canonical_url, identity_key
from gitnews.ops.classify import AddResult, classify, plural
from gitnews.ops.fronts import classify_front

__all__ = ["AddResult", "RemoveResult", "TrackingResults", "add", "remove"]


@dataclass
class RemoveResult:
    """What ``remove`` made of one argument: ``removed`` lists the tracked URLs
    it named (empty: it named nothing tracked, ``message`` says so)."""

    given: str
    removed: list[str]
    message: str = ""


_R = TypeVar("_R", AddResult, RemoveResult)


class TrackingResults(list[_R]):
    """The results of :func:`add` or :func:`remove` (one per URL given, in order), with:

    ``commit``: the id of the commit that changed ``gitnews.toml`` (None when
    nothing changed); ``hand_edits``: when ``gitnews.toml`` held edits made by
    hand and not committed, which were committed with the change, the dotted
    keys they changed (an empty list: comments or layout only); None when
    there were none or nothing was committed.
    """

    commit: str | None = None
    hand_edits: list[str] | None = None


def _key(url: str) -> str:
    """The identity of a tracked URL (:func:`identity_key`); the URL itself when it
    is not a valid http(s) URL (a hand edit may hold anything)."""
    try:
        return identity_key(url)
    except GitnewsError:
        return url.strip()


# -- gitnews.toml: the text to edit, the commit, and the files afterwards --------------------

@dataclass
class _ConfigText:
    text: str                      # what is edited: the file as it is (hand edits included)
    read: str | None               # the file's text when read (None: missing)
    hand_edits: list[str] | None   # keys changed by hand since the last commit, or None


def _committed_config(archive: Archive) -> str | None:
    blob = file_at(archive.repo, "HEAD", CONFIG_NAME)
    if blob is None:
        return None
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _config_text(archive: Archive) -> _ConfigText:
    """The ``gitnews.toml`` text to edit, and the hand edits it holds.

    Raises :class:`~gitnews.errors.ConfigError` when it is invalid (it names the
    line), so that a broken hand edit is never committed.
    """
    from gitnews.errors import ConfigError

    path = archive.path / CONFIG_NAME
    committed = _committed_config(archive)
    try:
        read = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        read = None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if read is None:  # deleted: edit the committed text (the commit restores the file)
        from gitnews.config import default_config_text

        return _ConfigText(committed if committed is not None else default_config_text(),
                           None, None)
    parse_config(read, source=str(path))
    if committed is None or read == committed:
        return _ConfigText(read, read, None)
    return _ConfigText(read, read, changed_keys(committed, read))


def _subject(verb: str, urls: list[str]) -> str:
    return f"{verb} {urls[0]}" if len(urls) == 1 else f"{verb} {len(urls)} URLs"


def _commit_config(archive: Archive, current: _ConfigText, new_text: str, subject: str,
                   body: list[str]) -> str:
    """Commit ``new_text`` as gitnews.toml; bring the file and the index to it."""
    if current.hand_edits is not None:
        keys = ", ".join(current.hand_edits) or "comments or layout only"
        body = [f"With the edits of {CONFIG_NAME} made by hand and not committed before "
                f"({keys}).", ""] + body
    message = subject + "\n\n" + "\n".join(body) + "\n"
    with archive.transaction() as tx:
        tx.commit({CONFIG_NAME: new_text}, message=message, when=datetime.now(UTC))
    _settle_config(archive, current)
    archive.reload_config()
    return tx.commits[-1]


def _settle_config(archive: Archive, current: _ConfigText) -> None:
    """After the commit: the file and the index entry of gitnews.toml as committed.

    The store's ``read-tree`` leaves a file with hand edits (and its index entry)
    alone; those edits are in the commit now, so the committed file replaces
    them, unless the file changed again since it was read.
    """
    path = archive.path / CONFIG_NAME
    try:
        now = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        now = None
    except (OSError, UnicodeDecodeError):
        return
    if now != current.read and now != _committed_config(archive):
        return  # edited again meanwhile: left for the user (git status shows it)
    restore_file(archive.repo, CONFIG_NAME)


# -- add and remove ---------------------------------------------------------------------------

#: The kinds of tracked URL, with their article ("a feed").
_A = {"feed": "a feed", "article": "an article", "sitemap": "a sitemap", "front": "a front page"}


def add(archive: Archive, urls: list[str], *, kind: str = "auto") -> TrackingResults[AddResult]:
    """Track ``urls``; ``kind`` "auto" (fetch to find out, see :func:`classify`:
    a feed, a sitemap, a page with feeds, an article), "front" (fetch once and
    check that the page lists stories, :func:`gitnews.ops.fronts.classify_front`),
    "feed", "sitemap" or "article" (no fetch).

    Returns one :class:`AddResult` per URL, in order; failures are results, not
    raised.  A URL already tracked (under any spelling that
    :func:`~gitnews.format.urls.identity_key` takes as the same) is reported as
    "already" and not fetched.  Raises :class:`~gitnews.errors.ConfigError`
    when gitnews.toml is invalid.
    """
    current = _config_text(archive)
    config = parse_config(current.text)
    known: dict[str, tuple[str, str]] = {}
    for what, tracked in (("feed", config.feeds), ("article", config.articles),
                          ("sitemap", config.sitemaps), ("front", config.fronts)):
        for u in tracked:
            known.setdefault(_key(u), (what, u))

    def already(u: str) -> str | None:
        hit = known.get(_key(u))
        if hit is None:
            return None
        what, as_url = hit
        return f"already tracked as {_A[what]}" + (f" ({as_url})" if as_url != u else "")

    results: list[AddResult | None] = [None] * len(urls)
    pending: list[int] = []
    for i, u in enumerate(urls):
        try:
            canonical_url(u)
        except GitnewsError as exc:
            results[i] = AddResult(u, "failed", [], str(exc))
            continue
        note = already(u)
        if note is not None:
            results[i] = AddResult(u, "already", [], note)
        elif kind in ("auto", "front"):
            pending.append(i)
        else:
            results[i] = AddResult(u, kind, [u], f"added as {_A[kind]}")
        got = results[i]
        if got is not None and got.kind in _A:
            known[_key(u)] = (kind, u)  # a second spelling in the same call
    if pending:
        from gitnews.sources.http import make_fetcher

        with make_fetcher(archive.config.fetch) as fetcher:
            # robots.txt and host back-offs are shared with `gitnews run` (one read a day).
            fetcher.load_state(robots=archive.state.robots_rows(), hosts=archive.state.host_rows())
            for i in pending:
                note = already(urls[i])  # a spelling of a URL found earlier in this call
                r = (AddResult(urls[i], "already", [], note) if note is not None
                     else classify_front(urls[i], fetcher, archive.config.sites)
                     if kind == "front" else classify(urls[i], fetcher))
                results[i] = r
                if r.kind in _A:
                    fresh = [u for u in r.added if already(u) is None]
                    if not fresh:
                        r.kind, r.message = "already", (r.message + "; " if r.added else "") \
                            + ("already tracked" if len(r.added) == 1 else "all already tracked")
                    elif len(fresh) < len(r.added):
                        r.message += f"; {plural(len(r.added) - len(fresh), 'feed')} of them " \
                            "already tracked"
                    r.added = fresh
                    for u in fresh:
                        known[_key(u)] = (r.kind, u)
            archive.state.save_politeness(*fetcher.export_state())
    done = TrackingResults([r for r in results if r is not None])  # every URL has its result
    def of(what: str) -> list[str]:
        return [u for r in done if r.kind == what for u in r.added]

    new_text, changed = edit_tracked(current.text, add_feeds=of("feed"),
                                     add_articles=of("article"), add_sitemaps=of("sitemap"),
                                     add_fronts=of("front"))
    if changed:
        done.commit = _commit_config(archive, current, new_text, _subject("Track", changed),
                                     [f"Track: {u}" for u in changed])
        done.hand_edits = current.hand_edits
    return done


def _tracked_by(archive: Archive, given: str, tracked: list[str]) -> list[str]:
    """The URLs of ``tracked`` that ``given`` names: the same URL in any spelling
    (scheme optional), else the same article as ``gitnews log`` resolves it (an
    alias, the article file's path)."""
    text = given.strip()
    url = text if "://" in text else "http://" + text.lstrip("/")
    key = _key(url)
    hits = [u for u in tracked if _key(u) == key]
    if hits:
        return hits
    from gitnews.versions.resolve import resolve_article

    try:
        record = resolve_article(archive.state, text, archive_dir=archive.path)
    except (NotFoundError, GitnewsError):
        return []
    out = []
    for u in tracked:
        if _key(u) == _key(record.url):
            out.append(u)
            continue
        same = archive.state.lookup(u)
        if same is not None and same.path == record.path:
            out.append(u)
    return out


def remove(archive: Archive, urls: list[str]) -> TrackingResults[RemoveResult]:
    """Stop tracking ``urls`` (feeds or articles, in any spelling that ``add``
    takes as the same URL, or for articles what ``gitnews log`` accepts).

    Returns one :class:`RemoveResult` per argument, in order.  Articles already
    in the archive keep their history.  Raises
    :class:`~gitnews.errors.ConfigError` when gitnews.toml is invalid.
    """
    current = _config_text(archive)
    config = parse_config(current.text)
    tracked = list(config.feeds) + list(config.articles) + list(config.sitemaps) \
        + list(config.fronts)
    done: TrackingResults[RemoveResult] = TrackingResults()
    gone: set[str] = set()
    for given in urls:
        hits = [u for u in _tracked_by(archive, given, tracked) if u not in gone]
        gone.update(hits)
        if hits:
            message = "" if hits == [given] else f"tracked as {', '.join(hits)}"
        else:
            message = "`gitnews feeds` lists what is tracked"
        done.append(RemoveResult(given, hits, message))
    new_text, removed = edit_tracked(current.text, remove=[u for r in done for u in r.removed])
    if removed:
        done.commit = _commit_config(archive, current, new_text,
                                     _subject("Stop tracking", removed),
                                     [f"Untrack: {u}" for u in removed])
        done.hand_edits = current.hand_edits
    return done
