"""sources: bytes in.  Everything that brings pages and feeds into gitnews from outside.

* :mod:`~gitnews.sources.http`: the HTTP client (:class:`~gitnews.sources.http.Fetcher`:
  redirects, retries, bounded reading), with
  :mod:`~gitnews.sources.politeness` (pacing, back-off after ``Retry-After``,
  per-host state), :mod:`~gitnews.sources.robots` (robots.txt) and
  :mod:`~gitnews.sources.guard` (a total deadline per request, bounded
  decompression);
* :mod:`~gitnews.sources.webhook`: the one HTTP POST (the ``[hooks]`` webhook);
* :mod:`~gitnews.sources.feeds`: feed bytes to entries, and feed discovery;
* :mod:`~gitnews.sources.sitemaps`: sitemaps, sitemap indexes and news sitemaps to
  entries (ultimate-sitemap-parser), a robots.txt's ``Sitemap:`` lines;
* :mod:`~gitnews.sources.fronts`: a front page to its story list (lxml, courlan);
* :mod:`~gitnews.sources.warc` and :mod:`~gitnews.sources.warc_record`: captures
  read from WARC files;
* :mod:`~gitnews.sources.wayback`: captures listed and fetched from the Wayback Machine.

httpx's exceptions become gitnews errors in :func:`gitnews.errors.from_httpx`.

What it may import: :mod:`gitnews.format`, :mod:`gitnews.errors`,
:mod:`gitnews.models` and :mod:`gitnews.config` (and third-party libraries:
httpx, protego, feedparser, warcio, trafilatura's feed discovery,
ultimate-sitemap-parser, courlan, cssselect, lxml).  Nothing
above it (not :mod:`gitnews.pagetext`, its sibling, nor the archive, versions,
output, ops or cli), so bytes can be brought in without an archive.
"""
