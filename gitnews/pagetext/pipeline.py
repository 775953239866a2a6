"""Page -> stored text: the stage sequence in one function, :func:`page_text`.

Every place that turns a fetched page into the text of an article file (``gitnews
run``, ``--dry-run --show-text``, ``gitnews import`` and the extraction
processes of :mod:`gitnews.pagetext.pool`) calls :func:`page_text`, so that they
cannot drift apart.  The stages, in order:

1. **site rules**: the ``[sites."host"]`` selectors of the page's host
   (:mod:`gitnews.pagetext.siterules`);
2. **extraction**: :func:`gitnews.pagetext.extract.extract_article` (decoding,
   pruning, trafilatura, the headline), in this thread or in a worker process;
3. **boilerplate filters**: the paragraph rules and link blocks of the page's host
   (:mod:`gitnews.pagetext.filters`), which also normalise each paragraph
   (:func:`gitnews.format.normalise.normalise_line`);
4. **rendering**: :func:`gitnews.format.normalise.render_text` (the file text);
5. **fingerprint**: what made the text (extractor, headline rules, filters:
   :func:`fingerprint`), so that a later run sees when the same bytes would now
   give another text.

The settings of those stages are read from ``gitnews.toml`` once per run
(:class:`TextSettings`).  trafilatura and lxml are imported only when a page is
extracted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gitnews.models import Article
from gitnews.pagetext.filters import Filters, FilterSet
from gitnews.pagetext.headline import RULES as HEADLINE_RULES

if TYPE_CHECKING:
    from gitnews.config import Config
    from gitnews.pagetext.prune import Pruned
    from gitnews.pagetext.siterules import SiteRules

__all__ = ["ExtractStage", "PageText", "TextSettings", "fingerprint", "page_text"]


class ExtractStage(Protocol):
    """The extraction stage run elsewhere: ``(body, *, url, site) -> Article``, e.g.
    :meth:`gitnews.pagetext.pool.ExtractionPool.extract_article`; raises
    :class:`~gitnews.errors.ExtractionError`."""

    def __call__(self, body: bytes, *, url: str | None, site: SiteRules | None) -> Article: ...


@dataclass(frozen=True)
class TextSettings:
    """The archive's settings of the page -> text stages, built once per run.

    ``filterset``: the boilerplate filters (``[filters]`` of ``gitnews.toml``) and
    the site rules (``[sites]``), both per host.
    """

    filterset: FilterSet = field(default_factory=FilterSet)

    @classmethod
    def from_config(cls, config: Config) -> TextSettings:
        """The settings of ``config`` (``[filters]`` and ``[sites]``).

        Raises :class:`~gitnews.errors.ConfigError` for an invalid pattern or selector.
        """
        return cls.from_tables(builtin=config.filters.builtin, hosts=config.filters.hosts,
                               sites=config.sites)

    @classmethod
    def from_tables(cls, *, builtin: bool = True, hosts: Mapping[str, Sequence[str]] | None = None,
                    sites: Mapping[str, object] | None = None) -> TextSettings:
        """The settings of the ``[filters]`` values ``builtin`` and ``hosts`` and the
        ``[sites]`` table ``sites``.  Raises :class:`~gitnews.errors.ConfigError`."""
        return cls(FilterSet(builtin=builtin, hosts=dict(hosts or {}), sites=dict(sites or {})))

    def site_for_url(self, url: str | None) -> SiteRules | None:
        """The site rules (``[sites."host"]``) of ``url``'s host, or None."""
        return self.filterset.site_for_url(url) if url else None

    def filters_for_url(self, url: str | None) -> Filters:
        """The boilerplate filters of ``url``'s host."""
        return self.filterset.for_url(url or "")

    def fingerprint_for_url(self, url: str) -> str:
        """The fingerprint a text extracted now from a page at ``url`` gets (:func:`fingerprint`)."""
        from gitnews.pagetext.extract import EXTRACTOR

        return fingerprint(EXTRACTOR, self.filters_for_url(url))


def fingerprint(extractor: str, filters: Filters) -> str:
    """What made a text: ``"<extractor>; <headline rules>; filters <digest>"``
    (:attr:`gitnews.models.Article.extractor`,
    :data:`gitnews.pagetext.headline.RULES`, :attr:`Filters.digest`).  Stored in the
    cache with each article's last text (``Capture.fingerprint``)."""
    return f"{extractor}; {HEADLINE_RULES}; filters {filters.digest}"


@dataclass(frozen=True)
class PageText:
    """What :func:`page_text` makes of one page.

    ``article``: the extracted :class:`~gitnews.models.Article` (before the
    filters); ``text``: the file text that is stored; ``fingerprint``: what made
    ``text`` (:func:`fingerprint`); ``dropped``: each paragraph the boilerplate
    filters removed, with the rule that removed it; ``pruned``: the parts of the
    page removed before extraction (comment sections, link blocks, site ``remove``
    rules; only when :func:`page_text` was asked for them), for ``--show-text``.
    """

    article: Article
    text: str
    fingerprint: str
    dropped: tuple[tuple[str, str], ...] = ()
    pruned: tuple[Pruned, ...] = ()


def page_text(body: bytes, url: str | None, settings: TextSettings, *,
              extract: ExtractStage | None = None, show_pruned: bool = False) -> PageText:
    """The stored text of the page ``body`` fetched from ``url`` (after redirects).

    Runs the stages of the module docstring with ``settings``; ``extract``: the
    extraction stage when it runs elsewhere (a worker process), else
    :func:`gitnews.pagetext.extract.extract_article` runs here; ``show_pruned``: also
    collect :attr:`PageText.pruned` (extraction here only).  Equal bytes, URL and
    settings give equal results.

    Raises :class:`~gitnews.errors.ExtractionError` when the page has no article
    text (see :func:`~gitnews.pagetext.extract.extract_article`).
    """
    site = settings.site_for_url(url)
    pruned: list[Pruned] = []
    if extract is None:
        from gitnews.pagetext import extract as extraction  # at call time: benchmarks replace it

        if show_pruned:
            article = extraction.extract_article(body, url=url, site=site, pruned=pruned)
        else:
            article = extraction.extract_article(body, url=url, site=site)
    else:
        article = extract(body, url=url, site=site)
    from gitnews.format import normalise  # at call time: benchmarks time render_text

    filters = settings.filters_for_url(url)
    explained = filters.explain(article.paragraphs)
    text = normalise.render_text(article.headline, [p for p, why in explained if why is None])
    return PageText(article=article, text=text, fingerprint=fingerprint(article.extractor, filters),
                    dropped=tuple((p, why) for p, why in explained if why is not None),
                    pruned=tuple(pruned))
