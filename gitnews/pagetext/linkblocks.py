"""Link blocks of a parsed page: containers of links and runs of link paragraphs,
judged by link density and pruned before extraction (pure; no I/O).  The rules
are those of :mod:`gitnews.pagetext.prune` (its docstring).
"""

from __future__ import annotations

from lxml import etree

from gitnews.pagetext.element import Element
from gitnews.pagetext.pruned import HEADINGS, Pruned, drop, protected, record, text_of

__all__ = ["CONTAINER_LINK_SHARE", "LINK_SHARE", "MIN_CONTAINER_LINKS", "MIN_LINK_RUN", "PROSE_CHARS",
           "link_share", "prune_link_blocks"]

#: Share of a block's text that must be link text for it to count as a link (0-1).
LINK_SHARE = 0.8
#: Fewest link blocks in a row that make a link block.
MIN_LINK_RUN = 3
_RUN_TAGS = frozenset(("p", "li", "div", "h2", "h3", "h4", "h5", "h6", "dt", "dd"))
_HEAD_WORDS = 8  # a heading this short before a link run goes with it


def _is_other_page(href: str | None) -> bool:
    href = (href or "").strip()
    return bool(href) and not href.startswith(("#", "javascript:", "mailto:", "tel:"))


def _length(text: str | None) -> int:
    return len(" ".join(text.split())) if text else 0


class _Lengths:
    """Text length, link text length and link count of every element of a tree, measured
    in one bottom-up pass (white space collapsed per text node).  Holds the elements, so
    that their ids stay theirs (lxml makes a new proxy for a node nobody holds)."""

    def __init__(self, root: Element) -> None:
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

    def forget(self, elem: Element) -> None:
        """Take ``elem`` (about to be removed) out of its ancestors' figures."""
        key = id(elem)
        t, n, c = self.text.get(key, 0), self.link.get(key, 0), self.count.get(key, 0)
        for a in elem.iterancestors():
            k = id(a)
            self.text[k] -= t
            self.link[k] -= n
            self.count[k] -= c

    def share(self, elem: Element) -> float:
        total = self.text.get(id(elem), 0)
        return min(1.0, self.link.get(id(elem), 0) / total) if total else 0.0


def link_share(elem: Element) -> float:
    """Share (0-1) of the text of ``elem`` that is the text of links to other pages
    (``<a href>``, not ``#fragment``/``mailto:``/``javascript:``); 0 for an element without text."""
    total = len(text_of(elem))
    if not total:
        return 0.0
    linked = sum(len(text_of(a)) for a in elem.iter("a") if _is_other_page(a.get("href")))
    return min(1.0, linked / total)


def _link_block(elem: Element, lengths: _Lengths) -> bool:
    """A block that is (nearly) all one or more links to other pages, and not a layout container."""
    if elem.tag not in _RUN_TAGS or not lengths.count.get(id(elem)):
        return False
    if elem.tag == "div" and sum(1 for c in elem if isinstance(c.tag, str)
                                 and c.tag in ("p", "div", "ul", "ol", "table", "section")) > 1:
        return False
    return lengths.share(elem) >= LINK_SHARE


def _heading_before(first: Element) -> Element | None:
    """The short, link-free heading just before ``first`` (or before its list), or None."""
    prev = first.getprevious()
    while prev is not None and (not isinstance(prev.tag, str) or prev.tag in ("br", "hr")
                                or (not text_of(prev) and prev.tag not in ("img", "figure"))):
        prev = prev.getprevious()
    if prev is None:
        parent = first.getparent()
        return _heading_before(parent) if parent is not None and parent.tag in ("ul", "ol") else None
    if prev.tag not in HEADINGS | {"p", "strong", "b", "div", "span"} or len(prev) > 3:
        return None
    text = text_of(prev)
    if not text or len(text.split()) > _HEAD_WORDS or link_share(prev) > 0:
        return None
    return prev


def _prune_runs(root: Element, lengths: _Lengths) -> list[Pruned]:
    out: list[Pruned] = []
    runs: list[list[Element]] = []
    for parent in root.iter():
        if (not isinstance(parent.tag, str) or parent.tag in ("head", "script", "style", "nav", "table", "tr")
                or lengths.count.get(id(parent), 0) < MIN_LINK_RUN):
            continue
        run: list[Element] = []
        for child in list(parent) + [None]:
            if child is not None and not isinstance(child.tag, str):
                continue
            if child is not None and child.tag in ("br", "hr"):
                continue
            block = child if child is not None and _link_block(child, lengths) else None
            if block is not None and not (run and (run[-1].tail or "").strip()):
                run.append(block)
                continue
            if len(run) >= MIN_LINK_RUN and len({_targets(e) for e in run}) >= MIN_LINK_RUN:
                runs.append(run)
            run = [block] if block is not None else []
    for run in runs:
        holder = run[0].getparent()
        if any(protected(e) for e in run) or holder is None:
            continue
        whole = holder.tag in ("ul", "ol") and len(run) == sum(1 for c in holder if isinstance(c.tag, str))
        head = _heading_before(holder if whole else run[0])
        if head is not None and not protected(head):
            record(head, "link block: its heading", out)
            drop(head)
        if whole and not protected(holder) and holder.getparent() is not None:
            record(holder, f"link block: a list of {len(run)} links", out)
            drop(holder)
            continue
        for elem in run:
            record(elem, f"link block: {len(run)} link paragraphs in a row", out)
            drop(elem)
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


def _has_prose(elem: Element) -> bool:
    """True if some block in ``elem`` has :data:`PROSE_CHARS` characters of its own text outside links."""
    for block in elem.iter(*_CONTAINERS, "p", "li", "blockquote", "dd", "article", "main"):
        if len(" ".join("".join(_OWN_TEXT(block)).split())) >= PROSE_CHARS:
            return True
    return False


def _link_container(elem: Element, lengths: _Lengths) -> bool:
    if elem.tag not in _CONTAINERS or lengths.count.get(id(elem), 0) < MIN_CONTAINER_LINKS \
            or lengths.share(elem) < CONTAINER_LINK_SHARE:
        return False
    return len(_targets(elem)) >= MIN_CONTAINER_LINKS and not protected(elem) and not _has_prose(elem)


def _prune_containers(root: Element, lengths: _Lengths) -> list[Pruned]:
    out: list[Pruned] = []
    doomed: list[Element] = []  # kept alive: their ids stay theirs (lxml proxies)
    ids: set[int] = set()
    for elem in root.iter(*_CONTAINERS):
        if _link_container(elem, lengths) and not any(id(a) in ids for a in elem.iterancestors()):
            doomed.append(elem)
            ids.add(id(elem))
    for elem in doomed:
        record(elem, "link block: a container of links", out)
        lengths.forget(elem)
        drop(elem)
    return out


def _targets(elem: Element) -> tuple[str, ...]:
    return tuple(sorted({(a.get("href") or "").strip() for a in elem.iter("a")
                         if _is_other_page(a.get("href"))}))


def prune_link_blocks(root: Element) -> list[Pruned]:
    """Remove the link blocks of ``root`` in place: containers of links, then runs of
    link paragraphs (the tree measured once for both).  Returns what was removed."""
    lengths = _Lengths(root)
    return _prune_containers(root, lengths) + _prune_runs(root, lengths)
