"""Comment sections of a parsed page: found by structure and names, pruned before
extraction; and the text of comment-like threads that were not recognised (pure;
no I/O).  The rules are those of :mod:`gitnews.pagetext.prune` (its docstring).
"""

from __future__ import annotations

import re

from lxml import etree

from gitnews.pagetext.element import Element
from gitnews.pagetext.linkblocks import link_share
from gitnews.pagetext.pruned import HEADINGS, Pruned, drop, protected, record, text_of

__all__ = ["COMMENT_WORDS", "is_comment_name", "prune_comments", "thread_text"]

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


def _comment_reason(elem: Element) -> str | None:
    itemtype = elem.get("itemtype") or ""
    if re.search(r"schema\.org/(Comment|UserComments)\b", itemtype) \
            or elem.get("itemprop") in ("comment", "comments"):
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
                      "@data-spotim-module or @data-spot-im-module or @data-openweb-module or "
                      "@data-vf-widget]")


def _candidates(root: Element) -> list[Element]:
    """The elements worth a close look: headings, comment-like names, markup, embeds."""
    named = [e for e in _NAMED(root) if _QUICK.search(f"{e.get('id')} {e.get('class')}")]
    return [*root.iter(*HEADINGS, "header"), *named, *_MARKED(root)]


def prune_comments(root: Element) -> list[Pruned]:
    """Remove the comment sections of the tree ``root`` in place (module docstring).

    Returns what was removed.
    """
    out: list[Pruned] = []
    doomed: list[tuple[Element, str]] = []
    for elem in _candidates(root):
        reason = _comment_reason(elem)
        if reason is None and elem.tag in HEADINGS | {"header"} and len(elem) <= 3:
            text = text_of(elem)
            if len(text) < 60 and _COUNT_HEADING.match(text):
                thread = _thread_after(elem)
                if thread is not None and not protected(thread):
                    doomed.append((elem, "comments: heading of a comment count"))
                    doomed.append((thread, "comments: thread under a comment count heading"))
                continue
        if reason is not None and not protected(elem):
            doomed.append((elem, reason))
    ids = {id(e) for e, _ in doomed}
    for elem, reason in doomed:
        if elem.getparent() is not None and not any(id(a) in ids for a in elem.iterancestors()):
            record(elem, reason, out)
            drop(elem)
    return out


def _thread_after(heading: Element) -> Element | None:
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


def thread_text(root: Element) -> str:
    """The text of the reader-comment-like threads that pruning did not recognise.

    A thread is recognised by its shape, in any language: at least two
    sibling items (``li``, ``article``, ``div``) of the same tag and class,
    one of which holds a nested item of that same tag and class (a reply),
    and every one of which is mostly text, not links, and carries a time
    (a ``<time>`` element or a clock time such as ``13:47``).  Returns their
    text joined with newlines ("" when none).
    """
    groups: dict[tuple[str, str], list[Element]] = {}
    for elem in _CLASSED_ITEMS(root):
        groups.setdefault((elem.tag, elem.get("class")), []).append(elem)
    parts: list[str] = []
    taken: list[Element] = []  # kept alive: their ids stay theirs (lxml proxies)
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
                parts.append(text_of(c))
    return "\n".join(parts)


_CLASSED_ITEMS = etree.XPath("//li[@class] | //article[@class] | //div[@class]")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b")


def _comment_item(elem: Element) -> bool:
    if link_share(elem) >= 0.5:
        return False
    return next(elem.iter("time"), None) is not None or bool(_CLOCK.search(text_of(elem)[:400]))
