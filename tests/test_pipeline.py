"""page -> stored text in one function (gitnews.pagetext.pipeline.page_text), on real
recorded pages: the stages in order, the settings read from gitnews.toml, the
extraction stage run in a worker process giving the same result."""

from __future__ import annotations

import pytest
from conftest import DATA

from gitnews.config import parse_config
from gitnews.errors import ConfigError, ExtractionError
from gitnews.format.normalise import render_text
from gitnews.pagetext.extract import EXTRACTOR, extract_article
from gitnews.pagetext.filters import FilterSet
from gitnews.pagetext.headline import RULES
from gitnews.pagetext.pipeline import TextSettings, fingerprint, page_text
from gitnews.pagetext.pool import ExtractionPool

BBC = DATA / "scenarios" / "bbc-2009" / "7984711-A.stm.html"
BBC_URL = "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm"


def test_page_text_is_extraction_then_filters_then_rendering():
    body = BBC.read_bytes()
    done = page_text(body, BBC_URL, TextSettings())
    article = extract_article(body, url=BBC_URL)
    filters = FilterSet().for_url(BBC_URL)
    assert done.article == article
    assert done.text == render_text(article.headline, filters.apply(article.paragraphs))
    assert done.fingerprint == f"{EXTRACTOR}; {RULES}; filters {filters.digest}"
    assert done.fingerprint == TextSettings().fingerprint_for_url(BBC_URL)
    # what the filters dropped, with the rule, and nothing pruned unless asked for
    assert ("Page last updated at 19:26 GMT, Sunday, 5 April 2009 20:26 UK", "date stamp") \
        in done.dropped
    assert done.pruned == ()
    shown = page_text(body, BBC_URL, TextSettings(), show_pruned=True)
    assert shown.text == done.text and shown.pruned
    assert page_text(body, BBC_URL, TextSettings()) == done  # deterministic


def test_settings_come_from_gitnews_toml_and_change_text_and_fingerprint():
    cfg = parse_config('[filters.hosts]\n"bbc.co.uk" = ["PM Brown .*"]\n'
                       '[sites."bbc.co.uk"]\nremove = "//table[@class=\'nothing\']"\n')
    settings = TextSettings.from_config(cfg)
    plain = page_text(BBC.read_bytes(), BBC_URL, TextSettings())
    tuned = page_text(BBC.read_bytes(), BBC_URL, settings)
    assert settings.site_for_url(BBC_URL) is not None
    assert settings.site_for_url("http://example.com/a") is None
    assert tuned.fingerprint != plain.fingerprint
    assert any(why.startswith("gitnews.toml [filters.hosts] bbc.co.uk") for _, why in tuned.dropped)
    assert tuned.article.notes  # the remove selector matched nothing: said so
    assert fingerprint(EXTRACTOR, settings.filters_for_url(BBC_URL)) == tuned.fingerprint
    with pytest.raises(ConfigError):
        TextSettings.from_tables(hosts={"x.org": ["(unclosed"]})


def test_extraction_stage_in_a_worker_gives_the_same_page_text():
    body = BBC.read_bytes()
    settings = TextSettings()
    with ExtractionPool(1) as pool:
        assert page_text(body, BBC_URL, settings, extract=pool.extract_article) \
            == page_text(body, BBC_URL, settings)
        pending = pool.submit_article(body, url=BBC_URL, site=settings.site_for_url(BBC_URL))
        assert page_text(body, BBC_URL, settings, extract=pending.stage) \
            == page_text(body, BBC_URL, settings)
        with pytest.raises(ExtractionError, match="no article text"):
            page_text(b"<html><body><script>var a = 1;</script></body></html>", BBC_URL, settings,
                      extract=pool.extract_article)
