"""Pre-extraction pruning of a parsed HTML page (pure; no I/O).

Reader comments and blocks of links to other stories are never article text,
but a main-content extractor keeps them now and then: a long comment thread
can outweigh a short article (trafilatura picked the thread of a taz.de
opinion piece and lost the article; the class of failure of
adbar/trafilatura#850), and trafilatura deliberately keeps a list whose links
each stand alone in a paragraph (``is_paragraph_listing`` in its
``htmlprocessing``), the usual shape of a "Related stories" block.  Each new
comment or rotated link would then be a new version.  So the page's tree is
pruned here, before extraction, by *structure*, not by words:

* **Comment sections** (:func:`prune_comments`): elements whose ``id`` or
  ``class`` names a comment section in the usual languages (a word of
  :data:`COMMENT_WORDS`, e.g. ``comments``, ``kommentare``, ``commentaires``,
  ``comentarios``, ``reactions``, ``discussion``; "commentary" and
  "commentator", which name opinion pieces, do not count), the Disqus, Coral,
  Viafoura and OpenWeb (Spot.IM) embeds, schema.org ``Comment`` /
  ``UserComments`` markup (``itemtype``, ``itemprop="comment"``), and a
  ``<section>``/``<ol>``/``<ul>``/``<div>`` of ``<article>`` or ``<li>``
  items right after a heading that is a comment count ("12 comments",
  "12 Kommentare").  An element that holds the page's ``<h1>``, is marked as
  the article (schema.org ``*Article``/``BlogPosting``, ``articleBody``) or
  is ``<body>``/``<main>`` is never pruned.
* **Link blocks**: a container (``div``, ``td``, ``aside``, ``section``,
  lists, tables...) with at least :data:`MIN_CONTAINER_LINKS` links to other
  pages, at least :data:`CONTAINER_LINK_SHARE` of its text link text and no
  prose (:data:`PROSE_CHARS` characters outside links in one block) goes
  whole (sidebars, menus, teaser boxes;
  readability's ``_cleanConditionally``); then a run of at least
  :data:`MIN_LINK_RUN` sibling blocks (``p``, ``li``, ``h2``-``h6``, ``div``)
  whose text is at least :data:`LINK_SHARE` link text, to at least that many
  other pages, is removed with the short heading just before it, and so is a
  list (``ul``/``ol``) whose items all are such blocks
  (both in :func:`prune_page`).  This is the link-density rule of readability
  (``_getLinkDensity``) and trafilatura (``link_density_test``), also applied
  to runs of paragraphs, which they do not judge together (trafilatura keeps
  a list whose links each stand alone in a paragraph on purpose).  Links to
  ``#fragments`` (a table of contents) do not count.
* **Site rules** (:func:`prune_selected`): the elements that a site's
  ``remove`` selectors match (:mod:`gitnews.pagetext.siterules`).

Each pruning returns what it removed as :class:`Pruned` records (the rule
and the text), for ``gitnews run --dry-run --show-text``.
"""


from __future__ import annotations

from collections.abc import Iterable

from gitnews.pagetext.comments import COMMENT_WORDS, is_comment_name, prune_comments, thread_text
from gitnews.pagetext.element import Element
from gitnews.pagetext.linkblocks import LINK_SHARE, MIN_LINK_RUN, link_share, prune_link_blocks
from gitnews.pagetext.pruned import Pruned, drop, record

__all__ = ["Pruned", "COMMENT_WORDS", "LINK_SHARE", "MIN_LINK_RUN", "is_comment_name",
           "prune_comments", "prune_selected", "prune_page",
           "link_share", "thread_text"]


def prune_selected(root: Element, matches: Iterable[Element], rule: str) -> list[Pruned]:
    """Remove the elements ``matches`` (found in ``root`` by a selector) in place."""
    out: list[Pruned] = []
    for elem in list(matches):
        if elem is not root and elem.getparent() is not None:
            empty = f"(<{elem.tag}> without text)" if isinstance(elem.tag, str) else None
            record(elem, rule, out, empty=empty)
            drop(elem)
    return out


def prune_page(root: Element) -> list[Pruned]:
    """The generic prunings on ``root`` in place: comments, then link blocks (containers, then runs)."""
    out = prune_comments(root)
    return out + prune_link_blocks(root)
