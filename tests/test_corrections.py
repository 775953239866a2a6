"""Correction notices: the phrases, schema.org markup, what is new, and the trailers the Recorder
writes on the real seed, BBC and Ars pages, in a real git archive (issue 18)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DATA, git
from hypothesis import given
from hypothesis import strategies as st

from gitnews.archive.repo import init_archive, open_archive
from gitnews.errors import ConfigError
from gitnews.format.normalise import render_text
from gitnews.models import Outcome, Page
from gitnews.pagetext.extract import extract_article
from gitnews.pagetext.siterules import parse_sites
from gitnews.versions.corrections import (
    correction_value,
    default_notices,
    is_notice,
    new_notices,
    notices_for,
    page_notices,
    split_correction,
    text_notices,
)
from gitnews.versions.record import Capture, Recorder

SEED = DATA / "scenarios" / "seed-guardian" / "pages"
SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_V1 = (SEED / "gaps-remain-v1.html").read_bytes()
SEED_V2 = (SEED / "gaps-remain-v2.html").read_bytes()
LAST_P = "before they slip through the net.\u201d</p>".encode()
AMENDED = ("This article was amended on 30 September 2016 to correct the spelling of "
           "modus operandi.")
JSON_LD_NOTE = "An earlier version misstated the number of areas inspected."
T0 = datetime(2016, 9, 29, 10, 0, tzinfo=UTC)


def with_paragraph(body: bytes, paragraph: str) -> bytes:
    """The page with one more paragraph after the article's last one."""
    assert body.count(LAST_P) == 1
    return body.replace(LAST_P, LAST_P + f"\n<p>{paragraph}</p>".encode())


def with_json_ld(body: bytes, data: str) -> bytes:
    assert body.count(b"</head>") == 1
    return body.replace(b"</head>", f'<script type="application/ld+json">{data}</script>\n</head>'
                        .encode())


# -- the phrases -------------------------------------------------------------------------------------

@pytest.mark.parametrize("paragraph", [
    AMENDED,
    "Correction: An earlier version of this story gave the wrong date for the vote.",
    "Clarification: this piece has been changed to make clear who commissioned the review.",
    "Update: the minister has since resigned from the cabinet.",
    "UPDATED: The company has responded to our request for comment.",
    "Korrektur: In einer früheren Version hieß es, der Minister sei zurückgetreten.",
    "Anmerkung der Redaktion: Wir haben den Namen des Sprechers korrigiert.",
    "Rectificatif : une version précédente de cet article indiquait une date erronée.",
    "Fe de errores: en una versión anterior se indicó una cifra equivocada de víctimas.",
    "Aclaración: este artículo fue modificado para precisar el cargo del portavoz.",
    "Editor\u2019s note: this article has been updated with new figures from the ministry.",
])
def test_notices_are_recognised(paragraph):
    assert is_notice(paragraph, default_notices())


@pytest.mark.parametrize("paragraph", [
    "Updated: 12 March 2024 10:00 GMT",          # a dateline, not a notice
    "Correction:",
    "The correction to the housing market continued in March, analysts said.",
    "He gave an update: the talks would resume on Monday.",
])
def test_other_paragraphs_are_not(paragraph):
    assert not is_notice(paragraph, default_notices())


def test_site_phrases_extend_the_defaults():
    sites = parse_sites({"example.de": {"corrections": ["Nachbemerkung:"]}})
    text = render_text("H", ["Nachbemerkung: Der Name des Sprechers wurde korrigiert, danke."])
    assert text_notices(text) == []
    assert text_notices(text, notices_for(sites, "http://www.example.de/a")) != []
    assert notices_for(sites, "http://other.test/") == default_notices()
    with pytest.raises(ConfigError, match="corrections"):
        parse_sites({"example.de": {"corrections": [1]}})


# -- schema.org ------------------------------------------------------------------------------------

def test_json_ld_correction_comment():
    data = ('{"@context":"https://schema.org","@type":"NewsArticle","headline":"x",'
            '"correction":{"@type":"CorrectionComment","text":"' + JSON_LD_NOTE + '",'
            '"datePublished":"2016-09-30"}}')
    assert page_notices(with_json_ld(SEED_V2, data)) == [JSON_LD_NOTE]
    graph = ('{"@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","correction":"'
             + JSON_LD_NOTE + '"}]}')
    assert page_notices(with_json_ld(SEED_V2, graph)) == [JSON_LD_NOTE]


def test_microdata_correction_and_empty_or_broken_markup():
    html = (b'<html><body><article itemscope itemtype="https://schema.org/NewsArticle">'
            b'<div itemprop="correction" itemscope itemtype="https://schema.org/CorrectionComment">'
            b'<p itemprop="text">The photo caption named the wrong  minister.</p></div>'
            b'</article></body></html>')
    assert page_notices(html) == ["The photo caption named the wrong minister."]
    assert page_notices(SEED_V2) == []
    # The real SCMP page has `"correction":[]` in its JSON-LD: no notice.
    assert page_notices(b'<script type="application/ld+json">{"correction":[]}</script>') == []
    assert page_notices(b'<script type="application/ld+json">{"correction": </script>') == []


# -- what is new -----------------------------------------------------------------------------------

def test_only_new_notices_count():
    old = render_text("H", ["Body text here.", AMENDED])
    new = render_text("H", ["Body text changed.", AMENDED])
    assert new_notices(old, new) == []
    assert new_notices(render_text("H", ["Body text here."]), new) == [AMENDED]
    assert new_notices(old, new, [JSON_LD_NOTE]) == [JSON_LD_NOTE]
    assert new_notices(old, new, [JSON_LD_NOTE], seen=[JSON_LD_NOTE]) == []
    value = correction_value([AMENDED, JSON_LD_NOTE])
    assert value is not None and split_correction(value) == [AMENDED, JSON_LD_NOTE]


# -- the Recorder, in a real archive ---------------------------------------------------------------

def capture(body: bytes, at: datetime) -> Capture:
    article = extract_article(body, url=SEED_URL)
    page = Page(url=SEED_URL, final_url=SEED_URL, status=200, body=body, fetched_at=at)
    return Capture(requested_url=SEED_URL, page=page, article=article,
                   text=render_text(article.headline, article.paragraphs))


def trailers(path, rev="HEAD") -> dict[str, str]:
    message = git(path, "log", "-1", "--format=%B", rev)
    parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                            capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in parsed.splitlines())


@pytest.fixture
def archive(tmp_path):
    path = init_archive(tmp_path / "archive", now=T0 - timedelta(days=1))
    with open_archive(path) as arc:
        yield arc


def record(archive, body: bytes, at: datetime) -> Outcome:
    tx = archive.transaction()
    rec = Recorder(archive, tx)
    item = rec.record(capture(body, at))
    tx.finish()
    rec.apply()
    return item.outcome


def test_recorded_corrections_on_the_seed_article(archive):
    hours = [T0 + timedelta(hours=h) for h in range(6)]
    assert record(archive, SEED_V1, hours[0]) is Outcome.NEW
    first = trailers(archive.path)
    assert "Significance" not in first and "Correction" not in first

    assert record(archive, SEED_V2, hours[1]) is Outcome.CHANGED  # one word: operundi -> operandi
    v2 = trailers(archive.path)
    assert v2["Significance"] == "minor (1 word changed)"
    assert v2["Change-Kind"] == "body" and "Correction" not in v2 and "Unannounced" not in v2

    v3_page = with_paragraph(SEED_V2, AMENDED)
    assert record(archive, v3_page, hours[2]) is Outcome.CHANGED
    v3 = trailers(archive.path)
    assert v3["Change-Kind"] == "body, correction"
    assert v3["Correction"] == AMENDED
    assert v3["Significance"] == "moderate (1 paragraph added; correction notice; 2 numbers changed)"
    assert "Unannounced" not in v3

    # The notice carried over, and a number changed (inside a quotation) without a new notice.
    v4_page = v3_page.replace(b"patchy care system", b"patchy care system in 12 areas")
    assert record(archive, v4_page, hours[3]) is Outcome.CHANGED
    v4 = trailers(archive.path)
    assert v4["Change-Kind"] == "body" and "Correction" not in v4
    assert v4["Unannounced"] == "1 number, 1 quote"
    assert v4["Significance"] == "moderate (1 number, 1 quote changed)"

    # A schema.org correction (JSON-LD only, not in the text) is new once, then carried over.
    data = ('{"@type":"NewsArticle","correction":{"@type":"CorrectionComment","text":"'
            + JSON_LD_NOTE + '"}}')
    v5_page = with_json_ld(v4_page.replace(b"in 12 areas", b"in 13 areas"), data)
    assert record(archive, v5_page, hours[4]) is Outcome.CHANGED
    v5 = trailers(archive.path)
    assert v5["Correction"] == JSON_LD_NOTE and "correction" in v5["Change-Kind"]
    assert "Unannounced" not in v5
    v6_page = v5_page.replace(b"in 13 areas", b"in 14 areas")
    assert record(archive, v6_page, hours[5]) is Outcome.CHANGED
    v6 = trailers(archive.path)
    assert "Correction" not in v6 and v6["Unannounced"] == "1 number, 1 quote"
    # The trailers come last, in TRAILER_KEYS order.
    keys = list(v5)
    assert keys[-3:] == ["Change-Kind", "Correction", "Significance"]


# -- properties --------------------------------------------------------------------------------------

_PHRASES = ["Correction: the figure was wrong in the first version.", AMENDED,
            "Update: the minister has since resigned from the cabinet."]
_paragraphs = st.lists(st.one_of(st.sampled_from(_PHRASES),
                                 st.text(alphabet="abc XYZ:|.,", max_size=30)
                                 .map(lambda s: " ".join(s.split())).filter(bool)), max_size=6)


@given(_paragraphs, _paragraphs)
def test_a_text_brings_no_notice_against_itself_and_values_split_back(a, b):
    old, new = render_text("H", a), render_text("H", b)
    assert new_notices(new, new) == []
    fresh = new_notices(old, new)
    assert all(n in text_notices(new) for n in fresh)
    assert new_notices(new, new, fresh, seen=split_correction(correction_value(fresh))) == []
    value = correction_value(fresh)
    assert (value is None) == (not fresh)
    if value is not None:
        assert len(split_correction(value)) == len(fresh)
