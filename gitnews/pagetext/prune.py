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

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

__all__ = ["Pruned", "COMMENT_WORDS", "LINK_SHARE", "MIN_LINK_RUN", "is_comment_name",
           "prune_comments", "prune_selected", "prune_page",
           "link_share", "thread_text"]

#: Words that name a comment section in an ``id``/``class`` (a name part
#: starting with one of them counts: ``comment-list``, ``commentlinks``,
#: ``kommentarbereich``), in English, German, French, Spanish, Italian,
#: Portuguese, Dutch and Polish.
COMMENT_WORDS = ("comment", "kommentar", "commentaire", "comentario", "commento", "comentário",
                 "reacties", "komentarz", "reactions", "discussion", "leserbrief", "disqus",
                 "viafoura", "spotim", "openweb", "coral")
#: Name parts that start like a comment word but name an opinion piece or its author.
_NOT_COMMENT = re.compile(r"commentar(y|ies)|commentator|commentisfree")
_NAME_PARTS = re.compile(r"[\s_:.-]+|(?<=[a-z])(?=[A-Z])")
_EMBED_IDS = re.compile(r"disqus_thread|coral_thread|coral-container|spot-im|spotim|openweb|viafoura|"
                        r"vf-conversations|vf3-comments", re.IGNORECASE)
_COUNT_HEADING = re.compile(r"^\s*\(?\d[\d.,]*\)?\s*(comments?|kommentare?|commentaires?|comentarios?|"
                            r"commenti|comentários|reacties|komentarz[ey]?|reactions?|leserkommentare?)\b",
                            re.IGNORECASE)
_ARTICLE_TYPES = re.compile(r"schema\.org/(News|Blog|Report|Scholarly|Tech)?Article|schema\.org/BlogPosting",
                            re.IGNORECASE)

#: Share of a block's text that must be link text for it to count as a link (0-1).
LINK_SHARE = 0.8
#: Fewest link blocks in a row that make a link block.
MIN_LINK_RUN = 3
_HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_RUN_TAGS = frozenset(("p", "li", "div", "h2", "h3", "h4", "h5", "h6", "dt", "dd"))
_HEAD_WORDS = 8  # a heading this short before a link run goes with it


@dataclass(frozen=True)
class Pruned:
    """One element removed before extraction: ``rule`` (why) and ``text`` (its
    text, white space collapsed, at most 300 characters)."""

    rule: str
    text: str


def _text(elem: etree._Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def _record(elem: etree._Element, rule: str, out: list[Pruned], *, empty: str | None = None) -> None:
    text = _text(elem) or empty
    if text:
        out.append(Pruned(rule, text if len(text) <= 300 else text[:299] + "…"))


def _drop(elem: etree._Element) -> None:
    """Remove ``elem`` but keep its tail text in the tree."""
    parent = elem.getparent()
    if parent is None:
        return
    if elem.tail and elem.tail.strip():
        prev = elem.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + elem.tail
        else:
            parent.text = (parent.text or "") + elem.tail
    parent.remove(elem)


def is_comment_name(value: str) -> bool:
    """True if an ``id``/``class`` value names a comment section (see :data:`COMMENT_WORDS`).

    ``"comments-area"``, ``"sect_commentlinks"``, ``"kommentare"``,
    ``"article-comment-count"`` (a counter goes too) are; ``"commentary"``,
    ``"recommend"`` are not.
    """
    for part in _NAME_PARTS.split(value or ""):
        word = part.lower()
        if word.startswith(COMMENT_WORDS) and not _NOT_COMMENT.match(word):
            return True
    return False


def _protected(elem: etree._Element) -> bool:
    """Never pruned: the document's frame, the article itself, anything holding the ``<h1>``."""
    if elem.tag in ("html", "body", "main", "head"):
        return True
    if _ARTICLE_TYPES.search(elem.get("itemtype") or "") or elem.get("itemprop") == "articleBody":
        return True
    return next(elem.iter("h1"), None) is not None


def _comment_reason(elem: etree._Element) -> str | None:
    itemtype = elem.get("itemtype") or ""
    if re.search(r"schema\.org/(Comment|UserComments)\b", itemtype) or elem.get("itemprop") in ("comment", "comments"):
        return "comments: schema.org Comment markup"
    ident, cls = elem.get("id") or "", elem.get("class") or ""
    if _EMBED_IDS.search(ident) or _EMBED_IDS.search(cls) or any(
            elem.get(k) is not None for k in ("data-spotim-module", "data-spot-im-module",
                                               "data-openweb-module", "data-vf-widget")):
        return "comments: comment embed (Disqus, Coral, Viafoura, OpenWeb)"
    if is_comment_name(ident) or is_comment_name(cls):
        return f"comments: id/class {(ident + ' ' + cls).strip()[:60]!r}"
    return None


#: Parts of the comment words and embed names that survive capitalisation: an element whose
#: id or class holds one gets the close look (:func:`is_comment_name`).
_QUICK = re.compile(r"omment|oment|eacti|iscuss|eserbrief|isqus|iafoura|pot-?im|penweb|oral|vf-|vf3")
_NAMED = etree.XPath("//*[@class or @id]")
#: Elements marked up as comments, and embeds known by their attributes.
_MARKED = etree.XPath("//*[@itemtype or @itemprop='comment' or @itemprop='comments' or "
                      "@data-spotim-module or @data-spot-im-module or @data-openweb-module or @data-vf-widget]")


def _candidates(root: etree._Element) -> list[etree._Element]:
    """The elements worth a close look: headings, comment-like names, markup, embeds."""
    named = [e for e in _NAMED(root) if _QUICK.search(f"{e.get('id')} {e.get('class')}")]
    return [*root.iter(*_HEADINGS, "header"), *named, *_MARKED(root)]


def prune_comments(root: etree._Element) -> list[Pruned]:
    """Remove the comment sections of the tree ``root`` in place (module docstring).

    Returns what was removed.
    """
    out: list[Pruned] = []
    doomed: list[tuple[etree._Element, str]] = []
    for elem in _candidates(root):
        reason = _comment_reason(elem)
        if reason is None and elem.tag in _HEADINGS | {"header"} and len(elem) <= 3:
            text = _text(elem)
            if len(text) < 60 and _COUNT_HEADING.match(text):
                thread = _thread_after(elem)
                if thread is not None and not _protected(thread):
                    doomed.append((elem, "comments: heading of a comment count"))
                    doomed.append((thread, "comments: thread under a comment count heading"))
                continue
        if reason is not None and not _protected(elem):
            doomed.append((elem, reason))
    ids = {id(e) for e, _ in doomed}
    for elem, reason in doomed:
        if elem.getparent() is not None and not any(id(a) in ids for a in elem.iterancestors()):
            _record(elem, reason, out)
            _drop(elem)
    return out


def _thread_after(heading: etree._Element) -> etree._Element | None:
    """The ``<section>``/``<ol>``/``<ul>``/``<div>`` whose children (or its list's children)
    are at least two ``<article>``/``<li>`` items, right after ``heading`` (or after its parent)."""
    for start in (heading, heading.getparent()):
        if start is None:
            continue
        nxt = start.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        if nxt is None or nxt.tag not in ("section", "ol", "ul", "div"):
            continue
        lists = [nxt, *(c for c in nxt if c.tag in ("ol", "ul"))]
        if any(sum(1 for c in lst if c.tag in ("article", "li")) >= 2 for lst in lists):
            return nxt
    return None


# -- link blocks ------------------------------------------------------------------------------------

def _is_other_page(href: str | None) -> bool:
    href = (href or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:", "mailto:", "tel:"))


def _length(text: str | None) -> int:
    return len(" ".join(text.split())) if text else 0


class _Lengths:
    """Text length, link text length and link count of every element of a tree, measured
    in one bottom-up pass (white space collapsed per text node).  Holds the elements, so
    that their ids stay theirs (lxml makes a new proxy for a node nobody holds)."""

    def __init__(self, root: etree._Element) -> None:
        self._keep = list(root.iter())
        text: dict[int, int] = {}
        link: dict[int, int] = {}
        count: dict[int, int] = {}
        for elem in reversed(self._keep):  # children before their parents
            if not isinstance(elem.tag, str):
                continue
            t, n, c = _length(elem.text), 0, 0
            for child in elem:
                key = id(child)
                t += text.get(key, 0) + _length(child.tail)
                n += link.get(key, 0)
                c += count.get(key, 0)
            if elem.tag == "a" and _is_other_page(elem.get("href")):
                n, c = t, c + 1
            key = id(elem)
            text[key], link[key], count[key] = t, n, c
        self.text, self.link, self.count = text, link, count

    def forget(self, elem: etree._Element) -> None:
        """Take ``elem`` (about to be removed) out of its ancestors' figures."""
        key = id(elem)
        t, n, c = self.text.get(key, 0), self.link.get(key, 0), self.count.get(key, 0)
        for a in elem.iterancestors():
            k = id(a)
            self.text[k] -= t
            self.link[k] -= n
            self.count[k] -= c

    def share(self, elem: etree._Element) -> float:
        total = self.text.get(id(elem), 0)
        return min(1.0, self.link.get(id(elem), 0) / total) if total else 0.0


def link_share(elem: etree._Element) -> float:
    """Share (0-1) of the text of ``elem`` that is the text of links to other pages
    (``<a href>``, not ``#fragment``/``mailto:``/``javascript:``); 0 for an element without text."""
    total = len(_text(elem))
    if not total:
        return 0.0
    linked = sum(len(_text(a)) for a in elem.iter("a") if _is_other_page(a.get("href")))
    return min(1.0, linked / total)


def _link_block(elem: etree._Element, lengths: _Lengths) -> bool:
    """A block that is (nearly) all one or more links to other pages, and not a layout container."""
    if elem.tag not in _RUN_TAGS or not lengths.count.get(id(elem)):
        return False
    if elem.tag == "div" and sum(1 for c in elem if isinstance(c.tag, str) and c.tag in ("p", "div", "ul", "ol", "table", "section")) > 1:
        return False
    return lengths.share(elem) >= LINK_SHARE


def _heading_before(first: etree._Element) -> etree._Element | None:
    """The short, link-free heading just before ``first`` (or before its list), or None."""
    prev = first.getprevious()
    while prev is not None and (not isinstance(prev.tag, str) or prev.tag in ("br", "hr")
                                or (not _text(prev) and prev.tag not in ("img", "figure"))):
        prev = prev.getprevious()
    if prev is None:
        parent = first.getparent()
        return _heading_before(parent) if parent is not None and parent.tag in ("ul", "ol") else None
    if prev.tag not in _HEADINGS | {"p", "strong", "b", "div", "span"} or len(prev) > 3:
        return None
    text = _text(prev)
    if not text or len(text.split()) > _HEAD_WORDS or link_share(prev) > 0:
        return None
    return prev


def _prune_runs(root: etree._Element, lengths: _Lengths) -> list[Pruned]:
    out: list[Pruned] = []
    runs: list[list[etree._Element]] = []
    for parent in root.iter():
        if (not isinstance(parent.tag, str) or parent.tag in ("head", "script", "style", "nav", "table", "tr")
                or lengths.count.get(id(parent), 0) < MIN_LINK_RUN):
            continue
        run: list[etree._Element] = []
        for child in list(parent) + [None]:
            if child is not None and not isinstance(child.tag, str):
                continue
            if child is not None and child.tag in ("br", "hr"):
                continue
            block = child is not None and _link_block(child, lengths)
            if block and not (run and (run[-1].tail or "").strip()):
                run.append(child)
                continue
            if len(run) >= MIN_LINK_RUN and len({_targets(e) for e in run}) >= MIN_LINK_RUN:
                runs.append(run)
            run = [child] if block else []
    for run in runs:
        if any(_protected(e) for e in run) or run[0].getparent() is None:
            continue
        parent = run[0].getparent()
        whole = parent.tag in ("ul", "ol") and len(run) == sum(1 for c in parent if isinstance(c.tag, str))
        head = _heading_before(parent if whole else run[0])
        if head is not None and not _protected(head):
            _record(head, "link block: its heading", out)
            _drop(head)
        if whole and not _protected(parent) and parent.getparent() is not None:
            _record(parent, f"link block: a list of {len(run)} links", out)
            _drop(parent)
            continue
        for elem in run:
            _record(elem, f"link block: {len(run)} link paragraphs in a row", out)
            _drop(elem)
    return out


#: A container with at least this many links to distinct other pages ...
MIN_CONTAINER_LINKS = 10
#: ... whose text is at least this share link text (readability's threshold for heavy
#: containers), and with no run of this many characters of text outside links, is a link block.
CONTAINER_LINK_SHARE = 0.5
PROSE_CHARS = 150
_CONTAINERS = ("div", "td", "aside", "section", "ul", "ol", "table", "footer", "header")
_OWN_TEXT = etree.XPath("text() | *[self::b or self::i or self::em or self::strong or self::span or "
                        "self::font or self::small or self::q or self::u or self::sup or self::sub]//text()")


def _has_prose(elem: etree._Element) -> bool:
    """True if some block in ``elem`` has :data:`PROSE_CHARS` characters of its own text outside links."""
    for block in elem.iter(*_CONTAINERS, "p", "li", "blockquote", "dd", "article", "main"):
        if len(" ".join("".join(_OWN_TEXT(block)).split())) >= PROSE_CHARS:
            return True
    return False


def _link_container(elem: etree._Element, lengths: _Lengths) -> bool:
    if elem.tag not in _CONTAINERS or lengths.count.get(id(elem), 0) < MIN_CONTAINER_LINKS \
            or lengths.share(elem) < CONTAINER_LINK_SHARE:
        return False
    return len(_targets(elem)) >= MIN_CONTAINER_LINKS and not _protected(elem) and not _has_prose(elem)


def _prune_containers(root: etree._Element, lengths: _Lengths) -> list[Pruned]:
    out: list[Pruned] = []
    doomed: list[etree._Element] = []  # kept alive: their ids stay theirs (lxml proxies)
    ids: set[int] = set()
    for elem in root.iter(*_CONTAINERS):
        if _link_container(elem, lengths) and not any(id(a) in ids for a in elem.iterancestors()):
            doomed.append(elem)
            ids.add(id(elem))
    for elem in doomed:
        _record(elem, "link block: a container of links", out)
        lengths.forget(elem)
        _drop(elem)
    return out


def _targets(elem: etree._Element) -> tuple[str, ...]:
    return tuple(sorted({(a.get("href") or "").strip() for a in elem.iter("a") if _is_other_page(a.get("href"))}))


# -- site rules and the whole pass --------------------------------------------------------------

def prune_selected(root: etree._Element, matches: Iterable[etree._Element], rule: str) -> list[Pruned]:
    """Remove the elements ``matches`` (found in ``root`` by a selector) in place."""
    out: list[Pruned] = []
    for elem in list(matches):
        if elem is not root and elem.getparent() is not None:
            _record(elem, rule, out, empty=f"(<{elem.tag}> without text)" if isinstance(elem.tag, str) else None)
            _drop(elem)
    return out


def prune_page(root: etree._Element) -> list[Pruned]:
    """The generic prunings on ``root`` in place: comments, then link blocks (containers, then runs)."""
    out = prune_comments(root)
    lengths = _Lengths(root)  # measured once for both link prunings
    return out + _prune_containers(root, lengths) + _prune_runs(root, lengths)


# -- what a comment thread left behind ------------------------------------------------------------

def thread_text(root: etree._Element) -> str:
    """The text of the reader-comment-like threads that pruning did not recognise.

    A thread is recognised by its shape, in any language: at least two
    sibling items (``li``, ``article``, ``div``) of the same tag and class,
    one of which holds a nested item of that same tag and class (a reply),
    and every one of which is mostly text, not links, and carries a time
    (a ``<time>`` element or a clock time such as ``13:47``).  Returns their
    text joined with newlines ("" when none).
    """
    groups: dict[tuple[str, str], list[etree._Element]] = {}
    for elem in _CLASSED_ITEMS(root):
        groups.setdefault((elem.tag, elem.get("class")), []).append(elem)
    parts: list[str] = []
    taken: list[etree._Element] = []  # kept alive: their ids stay theirs (lxml proxies)
    ids: set[int] = set()
    for key, items in groups.items():
        if len(items) < 3:  # two siblings and a reply at least
            continue
        members = {id(e) for e in items}
        replies = {id(e) for e in items if any(id(a) in members for a in e.iterancestors(key[0]))}
        if not replies:
            continue
        for parent in {id(p): p for p in (e.getparent() for e in items if id(e) not in replies)
                       if p is not None}.values():
            if id(parent) in ids or any(id(a) in ids for a in parent.iterancestors()):
                continue
            siblings = [c for c in parent if id(c) in members]
            if len(siblings) < 2 or not all(_comment_item(c) for c in siblings):
                continue
            for c in siblings:
                taken.append(c)
                ids.add(id(c))
                parts.append(_text(c))
    return "\n".join(parts)


_CLASSED_ITEMS = etree.XPath("//li[@class] | //article[@class] | //div[@class]")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


def _comment_item(elem: etree._Element) -> bool:
    if link_share(elem) >= 0.5:
        return False
    return next(elem.iter("time"), None) is not None or bool(_CLOCK.search(_text(elem)[:400]))
