"""What pruning removed (:class:`Pruned`), and the operations on a parsed page that
every pruning shares (pure; no I/O): an element's text, removing an element
while keeping its tail, and the elements never pruned.

The prunings themselves are in :mod:`gitnews.pagetext.comments` (comment
sections) and :mod:`gitnews.pagetext.linkblocks` (link blocks); their rules and
order are in :mod:`gitnews.pagetext.prune`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitnews.pagetext.element import Element

__all__ = ["HEADINGS", "Pruned", "drop", "protected", "record", "text_of"]

_ARTICLE_TYPES = re.compile(r"schema\.org/(News|Blog|Report|Scholarly|Tech)?Article|schema\.org/BlogPosting",
                            re.IGNORECASE)
HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))


@dataclass(frozen=True)
class Pruned:
    """One element removed before extraction: ``rule`` (why) and ``text`` (its
    text, white space collapsed, at most 300 characters)."""

    rule: str
    text: str


def text_of(elem: Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def record(elem: Element, rule: str, out: list[Pruned], *, empty: str | None = None) -> None:
    text = text_of(elem) or empty
    if text:
        out.append(Pruned(rule, text if len(text) <= 300 else text[:299] + "…"))


def drop(elem: Element) -> None:
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


def protected(elem: Element) -> bool:
    """Never pruned: the document's frame, the article itself, anything holding the ``<h1>``."""
    if elem.tag in ("html", "body", "main", "head"):
        return True
    if _ARTICLE_TYPES.search(elem.get("itemtype") or "") or elem.get("itemprop") == "articleBody":
        return True
    return next(elem.iter("h1"), None) is not None
