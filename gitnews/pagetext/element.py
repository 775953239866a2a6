"""The shapes of a parsed page that its readers use: :class:`Element`, the parts of an
element they use (a Protocol), and :data:`JsonObject`.

lxml ships no type hints (mypy sees its classes as ``Any``), so the modules that
read and prune a parsed page are typed against :class:`Element`, which
``lxml.html.HtmlElement`` (and ``lxml.etree._Element``, but for
:meth:`Element.text_content`) satisfies.  Nothing here imports lxml.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, overload

__all__ = ["Element", "JsonObject"]

#: A JSON object of a page's JSON-LD (``json.loads`` of a ``<script type="application/ld+json">``).
JsonObject = dict[str, object]


class Element(Protocol):
    """An element of a parsed HTML page (``lxml.html.HtmlElement``, ``lxml.etree._Element``)."""

    #: The tag name (a ``str``), or a factory function for comments and processing
    #: instructions.
    tag: object
    #: The text before the first child.
    text: str | None
    #: The text after the element's end tag, before its next sibling.
    tail: str | None

    @overload
    def get(self, key: str) -> str | None: ...

    @overload
    def get(self, key: str, default: str) -> str: ...

    def find(self, path: str) -> Element | None:
        """The first element that the ElementPath ``path`` matches, or None."""

    def iter(self, *tags: object) -> Iterator[Element]:
        """The element and its descendants (of ``tags``, names or ``etree.Comment``, when
        given), in document order."""

    def iterancestors(self, *tags: str) -> Iterator[Element]:
        """The ancestors (of ``tags``, when given), nearest first."""

    def itertext(self) -> Iterator[str]:
        """The text of the element and its descendants, in document order."""

    def text_content(self) -> str:
        """The text of the element and its descendants, joined (``lxml.html`` only)."""

    def getparent(self) -> Element | None:
        """The parent, or None for the root."""

    def getprevious(self) -> Element | None:
        """The previous sibling, or None."""

    def getnext(self) -> Element | None:
        """The next sibling, or None."""

    def remove(self, element: Element) -> None:
        """Remove the child ``element`` (and its tail text)."""

    def __iter__(self) -> Iterator[Element]:
        """The children."""

    def __len__(self) -> int:
        """The number of children."""
