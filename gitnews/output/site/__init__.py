"""The archive as a static HTML site: ``gitnews site OUTDIR``.

Pages (where each lives: :mod:`gitnews.output.sitelayout`), rendered by the Jinja2
templates in ``gitnews/output/templates/site/`` with autoescaping on (a headline
holding ``<script>`` shows as text), plain HTML and CSS, no JavaScript,
relative links only (the site works from a folder, a ``file://`` URL, or a
sub-path of GitHub/GitLab Pages):

* ``index.html``: the latest changes, the most-edited articles, the sources;
* one page per host: its latest changes and all its articles;
* one page per article, in News Sniffer's words: "This article is from the
  source '<host>' and was first seen on <date>. It last changed on <date>",
  "The article has changed N times", a table of versions (time, gap, size of
  the change, headline changes) with a link to each diff, a link to its feed;
* one page per pair of consecutive versions: the side-by-side,
  paragraph-aligned, word-marked diff (:func:`gitnews.output.render.html_table`:
  "Version 1 / Version 2 … (about 7 hours later)");
* Atom feeds of changes (:mod:`gitnews.output.changefeed`): site-wide, per host and
  per article, each linked from its pages with ``<link rel="alternate">``.

Pages state dates, never "3 days ago": the same archive gives the same
bytes, whenever it is built.

**Incremental.** ``OUTDIR/.gitnews-site.json`` (the *manifest*) maps every
file the site has to a key of what it was made from (commit ids, the
templates, the settings), and records the branch's head at the run and a key of
the run's inputs (settings, templates, gitnews's version, filter, the articles'
schedule notes, whether Pagefind runs).  A run whose head and inputs are the
manifest's, with every file it lists still there, reads no history and writes
nothing.  Otherwise every article's versions are read from the cache's
``versions`` table (:func:`.articles.cached_histories`, one SQLite query, no
``git log``), each file's key is computed, and only the files whose key changed
or that are missing are rendered; a rendered file whose bytes are unchanged is
not rewritten.  A diff page's key is its two commits: once written it never
changes.  Article texts are read (``git cat-file --batch``) only for the
articles whose pages are rendered.  When many articles need rendering (a first
build), their files are rendered in forked processes, one per core
(``GITNEWS_SITE_PROCESSES``; :func:`.pages.site_processes`), to the same bytes.
Files of an earlier run that no longer belong to the site are removed; files
that gitnews did not write are never touched.  The feeds' entries and the changes'
summaries are kept between runs in ``.git/gitnews/site-entries.sqlite``
(:mod:`.entries`, keyed by the two commits of each change), so a run that rewrites a
host's feed diffs only the changes it has not seen.  Pagefind's index
(``pagefind/``) is checked folder by folder (the manifest's ``"search"``): a file of
it deleted by hand makes the next run index again; a run without a search box
removes the index of an earlier run.

Where it lives: :mod:`.build` (:func:`build_site`), :mod:`.articles` (the articles
read from the history), :mod:`.entries` (what is kept between runs), :mod:`.views`
(timelines, summaries and diff views of one run), :mod:`.pages` (rendering the pages
and feeds), :mod:`.rows` (the rows of their tables), :mod:`.writer` (incremental file
writing and the manifest).  Like all of :mod:`gitnews.output`, it may import from
format, errors, models, config, sources, pagetext, archive and versions, and the rest
of output, never from ops or cli.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitnews.output.site.build import SITE_FORMAT, SiteResult, build_site

if TYPE_CHECKING:
    from gitnews.output.site.articles import read_histories
    from gitnews.output.site.pages import (
        HOST_LATEST_LIMIT,
        LATEST_LIMIT,
        MOST_EDITED_LIMIT,
        ScheduleNote,
    )

__all__ = ["build_site", "SiteResult", "ScheduleNote", "SITE_FORMAT", "LATEST_LIMIT",
           "MOST_EDITED_LIMIT", "HOST_LATEST_LIMIT", "read_histories"]


def __getattr__(name: str) -> object:
    """The names of :mod:`.pages` and :mod:`.articles` this package gives, imported on
    first use (a run with nothing new imports neither)."""
    if name in ("HOST_LATEST_LIMIT", "LATEST_LIMIT", "MOST_EDITED_LIMIT", "ScheduleNote"):
        from gitnews.output.site import pages
        return getattr(pages, name)
    if name == "read_histories":
        from gitnews.output.site import articles
        return articles.read_histories
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
