"""What an archive tracks: add and remove feeds and single articles.

``gitnews add URL`` fetches the URL once and says what it is (:func:`classify`):

* a feed (RSS, Atom, JSON Feed): tracked as a feed;
* a page that advertises feeds (trafilatura's feed discovery): those feeds are
  tracked instead;
* an article page: trafilatura finds its text, at least :data:`MIN_ARTICLE_CHARS`
  characters of it, and that text is not a list of links (:func:`link_text_share`,
  measured before the link blocks are pruned, below :data:`INDEX_LINK_SHARE`):
  tracked as a single article (on a section front's URL, a page that also
  advertises feeds gives its feeds);
* a page that is not an article (too little text, an index page, no text at
  all) and advertises feeds (``<link rel=alternate>``, at any URL): its feeds;
* none of these (another media type, a page without article text, an index
  page without feed links): refused with the reason (``--article`` tracks it
  anyway).

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

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from gitnews.archive.repo import Archive
from gitnews.config import CONFIG_NAME, changed_keys, edit_tracked, parse_config
from gitnews.errors import ExtractionError, FetchError, GitnewsError, NotFoundError
from gitnews.format.sites import is_section_front
from gitnews.format.urls import canonical_url, identity_key

__all__ = ["AddResult", "RemoveResult", "TrackingResults", "add", "remove", "classify",
           "link_text_share", "INDEX_LINK_SHARE", "MIN_ARTICLE_CHARS", "HTML_TYPES"]

#: A page whose extracted text is at least this share (by words) of link text is an
#: index page (a homepage or section front listing headlines), not an article.  It is
#: measured on the text extracted without the generic pruning (``generic_pruning=False``
#: of :func:`gitnews.pagetext.extract.extract_article`), which removes link blocks and would
#: hide the very links this counts.  Measured on the team's corpus (379 pages that
#: extract): 376 real article pages of about 250 sites score at most 0.5 (a 28-word
#: Japanese page; all others at most 0.18), the three link-list homepages (Christian
#: Daily Reporter) 0.96-0.97 (after pruning they scored 0.54-0.77: not refused).
INDEX_LINK_SHARE = 0.8

#: A page whose extracted text (all paragraphs, white space collapsed) has fewer
#: characters than this is not an article (``<p>Hi</p>``, an error page).  Measured
#: on the team's corpus: the shortest real article texts have 151 characters (an
#: scmp.com photo caption page) and 369 (an NHK page in Japanese); a "403 Forbidden"
#: page served as a story has 59.
MIN_ARTICLE_CHARS = 100

#: Media types of web pages (``Content-Type`` without parameters).
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass
class AddResult:
    """What ``add`` made of one URL.

    ``kind`` is "feed", "article", "already" (tracked before, under this or
    another spelling: nothing changed) or "failed" (refused or unreachable:
    ``message`` says why and what to do); ``added`` lists the URLs now tracked
    because of it (the feeds a page advertises, for a page with feeds).
    """

    url: str
    kind: str
    added: list[str]
    message: str = ""


@dataclass
class RemoveResult:
    """What ``remove`` made of one argument: ``removed`` lists the tracked URLs
    it named (empty: it named nothing tracked, ``message`` says so)."""

    given: str
    removed: list[str]
    message: str = ""


class TrackingResults(list):
    """The results of :func:`add` or :func:`remove` (one per URL given, in order), with:

    ``commit``: the id of the commit that changed ``gitnews.toml`` (None when
    nothing changed); ``hand_edits``: when ``gitnews.toml`` held edits made by
    hand and not committed, which were committed with the change, the dotted
    keys they changed (an empty list: comments or layout only); None when
    there were none or nothing was committed.
    """

    commit: str | None = None
    hand_edits: list[str] | None = None


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _key(url: str) -> str:
    """The identity of a tracked URL (:func:`identity_key`); the URL itself when it
    is not a valid http(s) URL (a hand edit may hold anything)."""
    try:
        return identity_key(url)
    except GitnewsError:
        return url.strip()


def _clean(text: str) -> str:
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text) if not text.isascii() else text


def link_text_share(body: bytes, paragraphs: Iterable[str]) -> float:
    """The share (0.0 to 1.0, by words) of ``paragraphs`` that is link text of the
    HTML page ``body``.

    A paragraph counts as link text when it is the text of one of the page's
    ``<a>`` elements, or contains such a text of more than 10 characters that is
    at least 80 % as long as the paragraph (white space collapsed, NFC).  The
    paragraphs are those trafilatura extracted (:func:`gitnews.pagetext.extract.extract_article`):
    on an article page few of them are links, on a homepage or section front
    that lists headlines nearly all are.  0.0 when there are no words, or the
    body is not parseable HTML.
    """
    from lxml import etree, html

    from gitnews.pagetext.extract import decode_html

    paragraphs = [p for p in (_clean(p) for p in paragraphs) if p]
    total = sum(len(p.split()) for p in paragraphs)
    if not total:
        return 0.0
    try:
        try:
            root = html.document_fromstring(decode_html(body))
        except ValueError:  # a str with an XML encoding declaration: lxml wants the bytes
            root = html.document_fromstring(body)
    except (etree.ParserError, ValueError, TypeError):
        return 0.0
    anchors = {t for t in (_clean(a.text_content()) for a in root.iter("a")) if t}
    long_anchors = [a for a in anchors if len(a) > 10]
    linked = 0
    for p in paragraphs:
        if p in anchors or any(len(a) >= 0.8 * len(p) and a in p for a in long_anchors):
            linked += len(p.split())
    return linked / total


_RETRIED = re.compile(r";?\s*(?:the server is failing, )?it will be retried(?: on the next run)?",
                      re.IGNORECASE)


def _fetch_failure(url: str, exc: GitnewsError) -> str:
    """The message of a failed fetch at ``add`` time: nothing was saved, so nothing
    "will be retried" (the fetch module's wording for runs); say what to do instead."""
    text = _RETRIED.sub("", str(exc)).rstrip(" ;")
    if isinstance(exc, FetchError) and exc.transient:
        text += ("; nothing was added: try `gitnews add` again later (or add it without "
                 "checking, with --feed or --article)")
    return text


def classify(url: str, fetcher) -> AddResult:  # noqa: ANN001 - a gitnews.sources.http.Fetcher
    """Fetch ``url`` once and say what it is: a feed, a page with feeds (the feeds are
    returned in ``added``), an article page, or none of these ("failed", with the reason).

    Never raises for a bad URL, a failed fetch or an unusable page: those are
    "failed" results whose message says what failed and what to do.
    """
    from gitnews.pagetext.extract import extract_article
    from gitnews.sources.feeds import discover_feeds, looks_like_feed, parse_feed

    try:
        canonical_url(url)
        page = fetcher.fetch(url)
    except GitnewsError as exc:
        return AddResult(url, "failed", [], _fetch_failure(url, exc))
    none_of_these = "not a feed, a page with feeds or an article page"
    force = "; `gitnews add --article URL` tracks it anyway"
    try:
        if looks_like_feed(page.body, page.content_type):
            entries = parse_feed(page.body, url=page.final_url)
            return AddResult(url, "feed", [url], f"a feed with {_plural(len(entries), 'entry', 'entries')}")
        ctype = (page.content_type or "").split(";")[0].strip().lower()
        if ctype and ctype not in HTML_TYPES:
            return AddResult(url, "failed", [],
                             f"{none_of_these}: the server sends {ctype} "
                             f"({len(page.body):,} bytes), not an HTML page or a feed; "
                             "check the URL" + force)
        found = list(dict.fromkeys(discover_feeds(page.body, url=page.final_url)))
        try:
            article = extract_article(page.body, url=page.final_url)
        except ExtractionError as exc:
            article, share, why = None, 1.0, str(exc)
        else:
            chars = sum(len(" ".join(p.split())) for p in article.paragraphs)
            if chars < MIN_ARTICLE_CHARS:  # no second extraction for the link share then
                article, share = None, 1.0
                why = (f"a page with almost no text ({_plural(chars, 'character')}; "
                       f"an article has at least {MIN_ARTICLE_CHARS})")
            else:
                share = _index_share(page.body, page.final_url, article.paragraphs)
                why = (f"an index page (a homepage or section front: {share:.0%} of its text "
                       "is links) that advertises no feeds; add the site's feed URL instead")
    except GitnewsError as exc:
        return AddResult(url, "failed", [], f"{none_of_these}: {exc}" + force)
    front = is_section_front(page.final_url)
    if article is not None and share < INDEX_LINK_SHARE and not (front and found):
        return AddResult(url, "article", [url], f"an article page: {article.headline}")
    if found:
        return AddResult(url, "feed", found, f"a page with {_plural(len(found), 'feed')}: "
                         + ", ".join(found))
    return AddResult(url, "failed", [], f"{none_of_these}: {why}" + force)


def _index_share(body: bytes, url: str, paragraphs: Iterable[str]) -> float:
    """:func:`link_text_share` of the page's text extracted without the generic
    pruning (see :data:`INDEX_LINK_SHARE`); of ``paragraphs`` (the pruned
    extraction) when that extraction fails."""
    from gitnews.pagetext.extract import extract_article

    try:
        paragraphs = extract_article(body, url=url, generic_pruning=False).paragraphs
    except ExtractionError:
        pass
    return link_text_share(body, paragraphs)


# -- gitnews.toml: the text to edit, the commit, and the files afterwards --------------------

@dataclass
class _ConfigText:
    text: str                      # what is edited: the file as it is (hand edits included)
    read: str | None               # the file's text when read (None: missing)
    hand_edits: list[str] | None   # keys changed by hand since the last commit, or None


def _committed_config(archive: Archive) -> str | None:
    try:
        return archive.repo.git.execute(
            ["git", "cat-file", "blob", f"HEAD:{CONFIG_NAME}"], stdout_as_string=False,
            strip_newline_in_stdout=False).decode("utf-8")
    except Exception:
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
    archive.repo.git.execute(["git", "checkout", "HEAD", "--", CONFIG_NAME])


# -- add and remove ---------------------------------------------------------------------------

def add(archive: Archive, urls: list[str], *, kind: str = "auto") -> TrackingResults:
    """Track ``urls``; ``kind`` "auto" (fetch to find out, see :func:`classify`),
    "feed" or "article" (no fetch).

    Returns one :class:`AddResult` per URL, in order; failures are results, not
    raised.  A URL already tracked (under any spelling that
    :func:`~gitnews.format.urls.identity_key` takes as the same) is reported as
    "already" and not fetched.  Raises :class:`~gitnews.errors.ConfigError`
    when gitnews.toml is invalid.
    """
    current = _config_text(archive)
    config = parse_config(current.text)
    known: dict[str, tuple[str, str]] = {}
    for what, tracked in (("feed", config.feeds), ("article", config.articles)):
        for u in tracked:
            known.setdefault(_key(u), (what, u))

    def already(u: str) -> str | None:
        hit = known.get(_key(u))
        if hit is None:
            return None
        what, as_url = hit
        return f"already tracked as {'a feed' if what == 'feed' else 'an article'}" + (
            f" ({as_url})" if as_url != u else "")

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
        elif kind == "auto":
            pending.append(i)
        else:
            results[i] = AddResult(u, kind, [u],
                                   f"added as {'a feed' if kind == 'feed' else 'an article'}")
        if results[i] is not None and results[i].kind in ("feed", "article"):
            known[_key(u)] = (kind, u)  # a second spelling in the same call
    if pending:
        from gitnews.sources.http import make_fetcher

        with make_fetcher(archive.config.fetch) as fetcher:
            # robots.txt and host back-offs are shared with `gitnews run` (one read a day).
            fetcher.load_state(robots=archive.state.robots_rows(), hosts=archive.state.host_rows())
            for i in pending:
                note = already(urls[i])  # a spelling of a URL found earlier in this call
                results[i] = (AddResult(urls[i], "already", [], note) if note is not None
                              else classify(urls[i], fetcher))
                r = results[i]
                if r.kind in ("feed", "article"):
                    fresh = [u for u in r.added if already(u) is None]
                    if not fresh:
                        r.kind, r.message = "already", (r.message + "; " if r.added else "") \
                            + ("already tracked" if len(r.added) == 1 else "all already tracked")
                    elif len(fresh) < len(r.added):
                        r.message += f"; {_plural(len(r.added) - len(fresh), 'feed')} of them " \
                            "already tracked"
                    r.added = fresh
                    for u in fresh:
                        known[_key(u)] = (r.kind, u)
            archive.state.save_politeness(*fetcher.export_state())
    done = TrackingResults(results)
    feeds = [u for r in done if r.kind == "feed" for u in r.added]
    articles = [u for r in done if r.kind == "article" for u in r.added]
    new_text, changed = edit_tracked(current.text, add_feeds=feeds, add_articles=articles)
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


def remove(archive: Archive, urls: list[str]) -> TrackingResults:
    """Stop tracking ``urls`` (feeds or articles, in any spelling that ``add``
    takes as the same URL, or for articles what ``gitnews log`` accepts).

    Returns one :class:`RemoveResult` per argument, in order.  Articles already
    in the archive keep their history.  Raises
    :class:`~gitnews.errors.ConfigError` when gitnews.toml is invalid.
    """
    current = _config_text(archive)
    config = parse_config(current.text)
    tracked = list(config.feeds) + list(config.articles)
    done = TrackingResults()
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
