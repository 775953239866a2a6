"""The front page of a collection's sites: ``gitnews site OUTDIR --archive COLLECTION``
writes each archive's site into ``OUTDIR/<site>/`` (:func:`~gitnews.output.site.build.build_site`)
and then this page, ``OUTDIR/index.html`` (with ``OUTDIR/style.css``), listing them.

Deterministic: the page holds no time, only the sites in the order given and their counts, so
the same sites give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitnews.errors import SiteError
from gitnews.output.render import template_env
from gitnews.output.site.pages import GENERATOR
from gitnews.output.sitelayout import INDEX, STYLE

__all__ = ["CollectionSite", "write_collection_index"]


@dataclass(frozen=True)
class CollectionSite:
    """One row of the page: the archive's ``site`` (its folder under OUTDIR), its counts of
    articles and changes, or ``error`` (the message) when its site was not written."""

    site: str
    articles: int = 0
    changes: int = 0
    error: str | None = None


def write_collection_index(outdir: Path, name: str, sites: list[CollectionSite]) -> Path:
    """Write ``outdir/index.html`` (``name``: the collection's name, in the title) and
    ``outdir/style.css`` (the sites' style sheet); return the page's path.  Files are
    rewritten only when their bytes change.  Raises :class:`~gitnews.errors.SiteError` when
    a file cannot be written."""
    env = template_env()
    page = env.get_template("site/collection.html.j2").render(
        root="", generator=GENERATOR, title=f"gitnews: {name}", feeds=[],
        crumbs=[{"href": None, "label": name}], name=name,
        sites=[{"site": s.site, "href": None if s.error else f"{s.site}/{INDEX}",
                "articles": s.articles, "changes": s.changes, "error": s.error}
               for s in sites])
    style = env.get_template("site/style.css.j2").render()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        for rel, text in ((INDEX, page), (STYLE, style)):
            path = outdir / rel
            data = text.encode("utf-8")
            if not path.is_file() or path.read_bytes() != data:
                path.write_bytes(data)
    except OSError as exc:
        raise SiteError(f"cannot write the collection's front page in {outdir}: "
                        f"{exc.strerror or exc}; check the folder and its permissions") from None
    return outdir / INDEX
