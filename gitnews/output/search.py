"""``gitnews search``: the articles whose versions match a full-text query, each with
a snippet of the matching text, the commands to read it, and the JSON document.

The index is the cache's (:mod:`gitnews.archive.cache.search`, SQLite FTS5); the
texts of the few results shown are read back from git (one ``git cat-file
--batch``).  What matches is documented in docs/search.md.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from gitnews.archive.cache.search import (
    QUERY_HELP,
    BuildProgress,
    Field,
    SearchIndex,
    SearchQueryError,
)
from gitnews.archive.cache.words import fold, words
from gitnews.format.paths import article_host as result_host
from gitnews.format.paths import host_key as search_host
from gitnews.format.trailers import format_time

if TYPE_CHECKING:
    from gitnews.archive.repo import Archive

__all__ = ["SearchResult", "search", "search_index", "query_terms", "make_snippet",
           "search_json", "result_host", "search_host", "check_query", "unknown_host"]

#: Words of context kept before and after the first match in a snippet.
BEFORE_WORDS, AFTER_WORDS = 10, 20

# A quoted string ("" inside is one "), or a bareword (FTS5: non-ASCII, letters,
# digits, _), each maybe followed by * (a prefix query).
_QUERY_TOKEN = re.compile(r'"((?:[^"]|"")*)"(\*?)|([^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]+)(\*?)')
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_WORD = re.compile(r"[^\W_]+")


@dataclass
class SearchResult:
    """One article found: its path, URL, headline (its newest), the matching version
    numbers (ascending), the newest match's time (aware UTC), and a snippet of the
    text of version :attr:`snippet_version` with the character ranges
    ``[start, end)`` of the matched words in it (:attr:`marks`)."""

    path: str
    url: str
    headline: str
    numbers: list[int]
    at: datetime
    within: Field
    snippet: str = ""
    snippet_version: int | None = None
    marks: list[tuple[int, int]] = field(default_factory=list)

    @property
    def host(self) -> str:
        """The article's host, lower case, without ``www.`` (:func:`result_host`)."""
        return result_host(self.url)

    @property
    def newest(self) -> int:
        """The newest matching version's number."""
        return self.numbers[-1]

    @property
    def show_command(self) -> str:
        """The ``gitnews show`` command that prints the newest matching version's text."""
        return f"gitnews show {shlex.quote(self.url)} --version {self.newest}"

    @property
    def diff_command(self) -> str | None:
        """The ``gitnews diff`` command from the version before the newest match to it
        (None when that is version 1)."""
        if self.newest <= 1:
            return None
        return f"gitnews diff {shlex.quote(self.url)} {self.newest - 1} {self.newest}"


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The words of an FTS5 query, folded (:func:`~gitnews.archive.cache.words.fold`),
    each with whether it is a prefix (``word*``): what a snippet marks.  Operators
    (AND, OR, NOT, NEAR), column names (``headline:``) and NEAR's distance are left
    out.  Never raises: a query FTS5 would refuse gives what it can."""
    # Column filters: "{a b} :" and "name :" (and "-name :").
    cleaned = re.sub(r"\{[^}]*\}\s*:|-?[^\s\"(){}:*^]+\s*:", " ", query)
    cleaned = re.sub(r",\s*\d+\s*\)", ")", cleaned)  # NEAR(a b, 10)
    out: list[tuple[str, bool]] = []
    for m in _QUERY_TOKEN.finditer(cleaned):
        quoted, qstar, bare, bstar = m.groups()
        if bare is not None and bare in _OPERATORS:
            continue
        found = words(quoted.replace('""', '"') if quoted is not None else bare)
        prefix = bool(qstar if quoted is not None else bstar)
        for i, word in enumerate(found):
            term = (word, prefix and i == len(found) - 1)
            if term not in out:
                out.append(term)
    return out


def check_query(query: str) -> None:
    """Raise :class:`~gitnews.archive.cache.search.SearchQueryError` when ``query`` has
    no word to search for (empty, spaces, only punctuation or operators: FTS5 would
    match nothing or refuse it), with what FTS5 expects."""
    if not query.strip():
        raise SearchQueryError(f"the search query is empty; {QUERY_HELP}")
    if not query_terms(query):
        raise SearchQueryError(f"the search query {query!r} has no word to search for; "
                               f"{QUERY_HELP}")


def unknown_host(index: SearchIndex, host: str) -> str | None:
    """The message for a ``--host`` of which ``index`` holds no article (``no article
    from host NAME in the archive; hosts: ...``), or None when it holds one."""
    hosts = index.search_hosts(host, most=_HOSTS_SHOWN)
    if hosts is None:
        return None
    if not hosts:
        return f"no article from host {host} in the archive: the archive has no versions yet"
    shown = ", ".join(hosts[:_HOSTS_SHOWN]) + (", ..." if len(hosts) > _HOSTS_SHOWN else "")
    return (f"no article from host {host} in the archive; hosts: {shown} (give one of "
            "them to --host, or leave --host out)")


_HOSTS_SHOWN = 20


def _matches(word: str, terms: Sequence[tuple[str, bool]]) -> bool:
    folded = fold(word)
    return any(folded.startswith(t) if prefix else folded == t for t, prefix in terms)


def make_snippet(text: str, terms: Sequence[tuple[str, bool]], *, headline_only: bool = False
                 ) -> tuple[str, list[tuple[int, int]]]:
    """A snippet of ``text`` (an archive text: line 1 the headline, then paragraphs)
    around the first word that matches one of ``terms`` (:func:`query_terms`), and the
    ``[start, end)`` ranges of every matching word in it.  The paragraph with the
    first match is cut to :data:`BEFORE_WORDS` words before that match and
    :data:`AFTER_WORDS` after it (``…`` where cut).  Without a match, the start of
    the body (or the headline) and no ranges."""
    lines = text.split("\n")
    candidates = lines[:1] if headline_only else [*lines[1:], lines[0]]
    candidates = [line for line in candidates if line.strip()] or [""]
    for line in candidates:
        folded = fold(line)
        if not any(t in folded for t, _ in terms):
            continue  # no term in the line: no word of it can match (skip the word walk)
        spans = [m.span() for m in _WORD.finditer(line)]
        hits = [i for i, (s, e) in enumerate(spans) if _matches(line[s:e], terms)]
        if hits:
            break
    else:
        line = candidates[0]
        spans = [m.span() for m in _WORD.finditer(line)]
        hits = []
    first = hits[0] if hits else 0
    lo = max(0, first - BEFORE_WORDS)
    hi = min(len(spans), first + AFTER_WORDS + 1)
    if not spans:
        return line.strip(), []
    start = 0 if lo == 0 else spans[lo][0]
    end = len(line) if hi == len(spans) else spans[hi - 1][1]
    prefix = "" if lo == 0 else "…"
    snippet = prefix + line[start:end] + ("" if hi == len(spans) else "…")
    shift = len(prefix) - start
    marks = [(spans[i][0] + shift, spans[i][1] + shift) for i in hits if lo <= i < hi]
    return snippet, marks


def search(arc: Archive, query: str, *, within: Field = "text", host: str | None = None,
           since: datetime | None = None, until: datetime | None = None,
           path: str | None = None, limit: int = 20,
           on_build: BuildProgress | None = None) -> list[SearchResult]:
    """The articles of ``arc`` whose versions match ``query`` (FTS5 syntax), newest
    match first, each with a snippet: :func:`search_index` of the archive's cache
    (synced with git first; the index built first when it is not)."""
    return search_index(arc.state, query, within=within, host=host, since=since,
                        until=until, path=path, limit=limit, on_build=on_build)


def search_index(index: SearchIndex, query: str, *, within: Field = "text",
                 host: str | None = None, since: datetime | None = None,
                 until: datetime | None = None, path: str | None = None,
                 limit: int = 20, on_build: BuildProgress | None = None
                 ) -> list[SearchResult]:
    """The articles whose versions match ``query`` (FTS5 syntax) in ``index`` (an
    archive's cache, or :func:`~gitnews.archive.cache.search.open_current`), newest
    match first, each with a snippet; see
    :meth:`~gitnews.archive.cache.search.SearchIndex.search_versions` for the options
    and the error raised for a bad query.  The snippet of a ``removed`` match is
    taken from the text the words were removed from (the version before it with a
    text); the others from the matching version's text.  The texts are read with one
    ``git cat-file --batch``.

    When the index is not built (a fresh clone, a rebuilt cache), it is built first
    (:meth:`~gitnews.archive.cache.search.SearchIndex.build_search`: every version's
    text read from git once), ``on_build(versions, in_memory)`` told before."""
    check_query(query)
    index.build_search(progress=on_build)
    hits = index.search_versions(query, within=within, host=host, since=since, until=until,
                                 path=path, limit=limit)
    results: list[SearchResult] = []
    wanted: dict[int, str] = {}  # result index -> blob of the text its snippet comes from
    for hit, (url, headline, number, blob) in zip(
            hits, index.search_sources(hits, within=within), strict=True):
        if blob is not None:
            wanted[len(results)] = blob
        results.append(SearchResult(path=hit.path, url=url, headline=headline,
                                    numbers=hit.numbers, at=hit.at, within=within,
                                    snippet_version=number if blob is not None else None))
    texts = index.read_texts(set(wanted.values())) if wanted else {}
    terms = query_terms(query)
    for i, blob in wanted.items():
        results[i].snippet, results[i].marks = make_snippet(
            texts[blob].decode("utf-8", "replace"), terms, headline_only=within == "headline")
    return results


def search_json(query: str, results: Sequence[SearchResult], *, within: Field,
                sites: Sequence[str] | None = None) -> dict[str, object]:
    """The ``gitnews.search/1`` document (docs/json-output.md); ``sites`` (in a
    collection): each result's archive, given as its ``"site"`` field."""
    labels: Sequence[str | None] = sites if sites is not None else [None] * len(results)
    return {
        "schema": "gitnews.search/1",
        "query": query,
        "within": within,
        "count": len(results),
        "results": [{
            "path": r.path, "url": r.url, "host": r.host, "headline": r.headline,
            "versions": r.numbers, "time": format_time(r.at),
            "snippet": r.snippet, "snippet_version": r.snippet_version,
            "marks": [list(m) for m in r.marks],
            "show": r.show_command, "diff": r.diff_command,
            **({"site": site} if site is not None else {}),
        } for r, site in zip(results, labels, strict=True)],
    }
