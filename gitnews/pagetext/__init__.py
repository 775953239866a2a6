"""Page -> stored text: everything between a fetched page's bytes and the text of its article file.

One function runs the stages in order: :func:`gitnews.pagetext.pipeline.page_text`
(with the run's :class:`~gitnews.pagetext.pipeline.TextSettings`), and every caller
(``run``, ``--show-text``, ``import``, the worker pool) goes through it.  The modules:

* ``pipeline``: the stage sequence, its settings and its result (``PageText``:
  article, text, fingerprint, dropped paragraphs, pruned parts);
* ``extract``: decoding and the one trafilatura call per page (the only module
  that imports trafilatura), the paragraphs read from its tree;
* ``headline`` (line 1: the rules and the choice), ``titlesources`` (the page's
  ``<h1>``, meta, JSON-LD titles and site names), ``sitename`` (titles compared as
  words, the site's name stripped), ``declared`` (the URL a page declares);
* ``prune`` (before extraction: the pass and site ``remove`` rules), ``comments``
  (comment sections and threads), ``linkblocks`` (link density), ``pruned`` (what
  was removed, shared tree operations);
* ``siterules`` (``[sites]`` selectors), ``filters`` (boilerplate paragraph rules
  and link blocks of the text, ``[filters]``);
* ``element`` (the typed shape of a parsed page), ``pool`` (extraction in worker
  processes).

Imports: :mod:`gitnews.format`, :mod:`gitnews.errors`, :mod:`gitnews.models` and
:mod:`gitnews.config` only (nothing of sources, archive, versions, ops, output or
cli).  trafilatura and lxml are imported only by the modules that parse pages, never
by ``pipeline`` at import time, so that reading commands start without them.
"""
