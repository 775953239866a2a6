"""The archive format: the contract between gitnews and the archive it writes (pure).

What lives here is what an archive *is* (docs/archive-format.md), so that
every reader and writer of an archive takes it from one place:

* :mod:`~gitnews.format.urls`: the canonical URL of an article and its identity
  keys (:func:`~gitnews.format.urls.canonical_url`, ``url_key``, ``identity_key``);
* :mod:`~gitnews.format.sites`: a URL's place on its site (the site, its front
  and section pages) and which of a page's URLs names its article;
* :mod:`~gitnews.format.paths`: canonical URL -> archive path;
* :mod:`~gitnews.format.normalise`: an article -> the archive file's text;
* :mod:`~gitnews.format.trailers`: trailer keys, Change-Kind values, subject
  prefixes, the trailer block and the time format (RFC 3339, ``Z``);
* :mod:`~gitnews.format.messages`: the commit messages of versions and removals;
* :mod:`~gitnews.format.fronts`: the files of front pages' story lists
  (``fronts/``) and their commit messages;
* :mod:`~gitnews.format.version`: the :class:`~gitnews.format.version.Version`
  value, built from a version commit;
* :mod:`~gitnews.format.exceptions`: the root of the exception tree and
  ``BlockedURLError`` (re-exported by :mod:`gitnews.errors`, import them from there);
* ``archive_readme.md``: the README written into a new archive.

Imports: the standard library and small pure helpers (``tld``) only, nothing of
gitnews outside this package.  Every other package may import from here.
"""
