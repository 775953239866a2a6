"""Tests of gitnews.pagetext.extract on real pages.

The basic tests use the copies in tests/data/scenarios (see its README.md); the
scenario tests read ../shared (beside the project checkout) and are skipped
when it is absent.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from gitnews.errors import ExtractionError
from gitnews.models import Article
from gitnews.pagetext import extract
from gitnews.pagetext.extract import decode_html, extract_article

DATA = Path(__file__).parent / "data" / "scenarios"
# The pages these tests read, in the project's copies of the scenarios (see their README).
FILES = {
    "7984711-A.stm.html": DATA / "bbc-2009" / "7984711-A.stm.html",
    "7984711-B.stm.html": DATA / "bbc-2009" / "7984711-B.stm.html",
    "gaps-remain-v1.html": DATA / "seed-guardian" / "pages" / "gaps-remain-v1.html",
    "gaps-remain-v2.html": DATA / "seed-guardian" / "pages" / "gaps-remain-v2.html",
}
SHARED = Path(__file__).resolve().parents[2] / "shared"
SCENARIOS = SHARED / "scenarios"

BBC_REMOVED = [
    "He lived in the flat in Admiralty House while he was defence secretary and also "
    "rented out his own London home while there.",
    "The shadow business secretary implied that as many as a third of MPs could have made "
    "questionable expenses claims.",
]
SEED_TITLE = "Gaps remain in tackling child sexual exploitation, Ofsted finds"
# U+FFFD, C1 controls, and UTF-8 read as windows-1252/latin-1 (Ã©, â€™, Ã¼...)
MOJIBAKE = re.compile("\ufffd|[\x80-\x9f]|Ã[\x80-\xbf]|â€")


def page(name: str) -> bytes:
    return FILES[name].read_bytes()


def scenario(name: str) -> Path:
    path = SCENARIOS / name
    if not path.is_dir():
        pytest.skip(f"shared test data not found at {path} (expected ../shared beside the checkout)")
    return path


def check_shape(article: Article) -> None:
    assert isinstance(article.paragraphs, tuple) and article.paragraphs
    for p in article.paragraphs:
        assert isinstance(p, str) and p == " ".join(p.split()) and p
    assert article.headline and "\n" not in article.headline
    assert article.extractor.startswith("trafilatura ") and article.extractor == extract.EXTRACTOR


# --- BBC 2009: table layout, ISO-8859-1 declared only in <meta> ---------------------------------

@pytest.fixture(scope="module")
def bbc() -> tuple[Article, Article]:
    return extract_article(page("7984711-A.stm.html")), extract_article(page("7984711-B.stm.html"))


def test_bbc_table_layout_gives_real_paragraphs(bbc):
    for article in bbc:
        check_shape(article)
        assert not any(p.startswith("|") or " | " in p for p in article.paragraphs)
        assert article.headline == "PM Brown plays down expenses row"
        assert article.published_at == "2009-04-05"
        assert article.byline is None and article.canonical_url is None
        # the story's own paragraphs, one each, among sidebar text
        assert "The Prime Minister said his focus was on the economy and fighting terrorism." in article.paragraphs
        assert len(article.paragraphs) > 30


def test_bbc_pound_sign_survives_meta_charset(bbc):
    a, _ = bbc
    assert any("taxpayers £40 for a barbecue" in p for p in a.paragraphs)
    assert any("a total of £304 for a barbecue" in p for p in a.paragraphs)
    assert not MOJIBAKE.search("\n".join(a.paragraphs))


def test_bbc_b_only_lacks_two_paragraphs(bbc):
    a, b = bbc
    ops = difflib.SequenceMatcher(a=a.paragraphs, b=b.paragraphs, autojunk=False).get_opcodes()
    changes = [op for op in ops if op[0] != "equal"]
    assert {op[0] for op in changes} == {"delete"}
    assert [p for _, i1, i2, _, _ in changes for p in a.paragraphs[i1:i2]] == BBC_REMOVED


def test_bbc_boilerplate_is_left_for_the_normalise_stage(bbc):
    a, _ = bbc
    # (link lists and sidebars are pruned by their structure before extraction: gitnews.pagetext.prune)
    for junk in ("Site Version", "SEE ALSO", "RELATED INTERNET LINKS", "KEY STORIES"):
        assert junk not in a.paragraphs
    assert any(p.startswith("Page last updated at 19:26 GMT, Sunday, 5 April 2009") for p in a.paragraphs)


def test_bbc_matches_shared_scenario_expectations():
    root = scenario("bbc-2009")
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    a = extract_article((root / "7984711-A.stm.html").read_bytes())
    b = extract_article((root / "7984711-B.stm.html").read_bytes())
    assert [p for p in a.paragraphs if p not in b.paragraphs] == expected["removed_paragraphs_in_step1"]
    other = extract_article((root / "6072486-A.stm.html").read_bytes())
    assert other.headline == "Son-in-law remanded over killing"


# --- seed-guardian: one word changes ----------------------------------------------------------

@pytest.fixture(scope="module")
def seed() -> tuple[Article, Article]:
    return extract_article(page("gaps-remain-v1.html")), extract_article(page("gaps-remain-v2.html"))


def test_seed_metadata_and_paragraphs(seed):
    v1, v2 = seed
    for article in seed:
        check_shape(article)
        assert len(article.paragraphs) == 18
        assert article.headline == SEED_TITLE
        assert article.byline == "Guardian staff reporter"
        assert article.published_at == "2016-09-29"
        assert article.canonical_url == ("http://www.theguardian.com/society/2016/sep/29/"
                                         "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
    assert v1.paragraphs[0].startswith("Some victims of child sexual exploitation are still being described as “promiscuous”")


def test_seed_versions_differ_in_exactly_one_word(seed):
    v1, v2 = seed
    differing = [i for i, (p, q) in enumerate(zip(v1.paragraphs, v2.paragraphs)) if p != q]
    assert differing == [11]
    w1, w2 = v1.paragraphs[11].split(), v2.paragraphs[11].split()
    assert [(x, y) for x, y in zip(w1, w2) if x != y] == [("operundi.", "operandi.")] and len(w1) == len(w2)
    assert v1.headline == v2.headline and v1.published_at == v2.published_at


def test_seed_matches_shared_expected():
    root = scenario("seed-guardian")
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    for version in ("v1", "v2"):
        article = extract_article((root / "pages" / f"gaps-remain-{version}.html").read_bytes())
        assert list(article.paragraphs) == expected[version]
        assert article.headline == expected["title"]
    change = expected["changed_word"]
    assert change["v1"] in expected["v1"][change["paragraph_index"]]


# --- determinism ------------------------------------------------------------------------------

def test_same_bytes_same_article_across_processes(seed, bbc):
    code = ("import sys; from pathlib import Path; from gitnews.pagetext.extract import extract_article; "
            "print(repr([extract_article(Path(f).read_bytes()) for f in sys.argv[1:]]))")
    files = [str(FILES[n]) for n in ("7984711-A.stm.html", "gaps-remain-v1.html")]
    outputs = set()
    for hashseed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": str(Path(__file__).parents[1])})
        outputs.add(run.stdout)
    assert outputs == {repr([bbc[0], seed[0]]) + "\n"}
    assert extract_article(page("7984711-A.stm.html"), url="http://a.test/") == bbc[0]


def test_same_result_in_threads(seed, bbc):
    """poll extracts in its fetch threads: concurrent calls must not disturb each other."""
    from concurrent.futures import ThreadPoolExecutor

    names = ["7984711-A.stm.html", "7984711-B.stm.html", "gaps-remain-v1.html", "gaps-remain-v2.html"] * 3
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(extract_article, [page(n) for n in names]))
    assert results == [*bbc, *seed] * 3


def test_published_date_does_not_depend_on_today(monkeypatch):
    """trafilatura's default max_date is today: read in 2012, the 2016 seed page gets a 2009 date."""
    import htmldate.validators
    import trafilatura.settings

    class Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, datetime)

    class In2012(datetime, metaclass=Meta):
        @classmethod
        def now(cls, tz=None):
            return datetime(2012, 1, 1)

    monkeypatch.setattr(htmldate.validators, "datetime", In2012)
    monkeypatch.setattr(trafilatura.settings, "datetime", In2012)
    assert extract_article(page("gaps-remain-v1.html")).published_at == "2016-09-29"


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"",
    b"  \r\n\t ",
    b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    b"\x89PNG\r\n\x1a\n" + bytes(200),
    b"just some plain text, not a web page",
    b'{"headline": "JSON, not HTML"}',
    b"<!DOCTYPE html><html><head><title>Loading</title><script>app()</script></head>"
    b'<body><div id="root"></div><noscript></noscript></body></html>',
    b"<html><head><title>Only a title</title></head><body>  </body></html>",
])
def test_no_article_raises(body):
    with pytest.raises(ExtractionError, match=r"http://example\.test/x"):
        extract_article(body, url="http://example.test/x")


# --- decoding ---------------------------------------------------------------------------------

def html_page(meta: str, text: str, encoding: str) -> bytes:
    return f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>".encode(encoding)


@pytest.mark.parametrize("body, text", [
    (b"\xef\xbb\xbf" + html_page("", "Grüße", "utf-8"), "Grüße"),
    ("\ufeff<html><body><p>Grüße</p></body></html>".encode("utf-16-le"), "Grüße"),
    (html_page('<meta charset="gb2312">', "Grüße 中文", "utf-8"), "Grüße 中文"),  # a lying charset
    (html_page('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
               "“£5” – Grüße…", "cp1252"), "“£5” – Grüße…"),  # ISO-8859-1 label means windows-1252
    (html_page('<meta charset="iso-8859-1">', "\x81Grüße", "latin-1"), "\x81Grüße"),
    (html_page('<meta charset="windows-1250">', "zagłosował", "cp1250"), "zagłosował"),
    (html_page('<meta charset="GB2312">', "话剧", "gb18030"), "话剧"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?>' + html_page("", "£", "latin-1"), "£"),
])
def test_decode_html(body, text):
    decoded = decode_html(body)
    assert isinstance(decoded, str) and text in decoded and not decoded.startswith("\ufeff")


def test_meta_charset_beats_trafilatura_guess():
    """trafilatura alone guesses windows-1250 for this page and turns '£' into 'Ł'."""
    text = "".join(f"<p>Paragraph {i}: der Bürgermeister sagte „Grüße“ und zahlte £{i}0 – "
                   "das ist genug Text für einen Absatz…</p>" for i in range(8))
    body = html_page('<meta charset="iso-8859-1">', text, "cp1252")
    article = extract_article(body)
    assert len(article.paragraphs) == 8
    assert article.paragraphs[3] == ("Paragraph 3: der Bürgermeister sagte „Grüße“ und zahlte £30 – "
                                     "das ist genug Text für einen Absatz…")


def test_decode_html_leaves_undeclared_non_utf8_to_trafilatura():
    body = html_page("", "Gr\xfc\xdfe", "latin-1")
    assert decode_html(body) is body


# --- tree walk --------------------------------------------------------------------------------

def test_blocks_of_a_trafilatura_tree():
    body = etree.fromstring(
        "<body><head rend='h1'>Title</head><p>one<lb/>two <hi rend='#b'>bold</hi>\n  end</p>"
        "<table><row><cell>loose <ref>link</ref><p>in cell</p>after</cell><cell>plain &amp;amp; cell</cell>"
        "<cell/></row></table><list><item>first</item><item><p>second</p></item></list>"
        "<quote><p>quoted</p></quote><p>  </p><p>Cafe\u0301</p></body>")
    paragraphs: list[str] = []
    extract._blocks(body, paragraphs)
    assert [p for p in paragraphs if p] == [
        "Title", "one two bold end", "loose link", "in cell", "after", "plain & cell",
        "first", "second", "quoted", "Café"]


# --- ars-versions: body paragraphs against expected.json ---------------------------------------

# expected.json keeps only top-level <p>/<h2> of the feed's content:encoded; trafilatura also
# (rightly) returns blockquotes and the lead image's gallery caption.
ARS_EXTRA = {
    "microsoft-backtracks-on-deprecating-the-39-year-old-windows-v2.html": 1,  # image caption
    "11-dead-thousands-injured-in-explosive-supply-chain-attack-o-v1.html": 3,  # blockquote
    "google-restores-nextcloud-user-s-file-access-on-android-v3.html": 1,  # image caption
}


def ars_pages() -> list[tuple[str, str, int]]:
    """(page file, URL, step) of every article version the scenario serves."""
    path = SCENARIOS / "ars-versions" / "scenario.json"
    if not path.is_file():
        return []
    steps = json.loads(path.read_text(encoding="utf-8"))["steps"]
    return [(r["file"], url, i) for i, step in enumerate(steps) for url, r in step["responses"].items()
            if r and r.get("file", "").startswith("pages/")]


@pytest.mark.parametrize("file, url, step", ars_pages() or [pytest.param("", "", 0, marks=pytest.mark.skip(
    reason="../shared/scenarios/ars-versions not found"))])
def test_ars_versions_match_expected(file, url, step):
    root = scenario("ars-versions")
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))["steps"][step]["articles"][url]
    article = extract_article((root / file).read_bytes(), url=url)
    check_shape(article)
    assert article.headline == expected["title"]
    assert article.canonical_url == url
    ops = difflib.SequenceMatcher(a=expected["paragraphs"], b=article.paragraphs, autojunk=False).get_opcodes()
    assert {op[0] for op in ops} <= {"equal", "insert"}
    assert sum(j2 - j1 for op, _, _, j1, j2 in ops if op == "insert") == ARS_EXTRA.get(Path(file).name, 0)
    assert "You must login or create an account to comment." not in article.paragraphs  # comments area


# --- static-corpus: 60 varied pages ----------------------------------------------------------

# a word with non-ASCII letters per non-UTF-8 or BOM page: proves the charset was read right
STATIC_WORDS = {
    "01-www.automobilwoche.de.html": "Aufsichtsräten",  # windows-1252
    "02-auto-presse.de.html": "übertrifft",
    "03-www.computerbild.de.html": "Mönchengladbach",
    "04-www.rp.pl.html": "zagłosował",  # windows-1250
    "05-www.badische-zeitung.de.html": "Tübingen",  # ISO-8859-1
    "06-winfuture.de.html": "Gebühren",
    "07-kyffhaeuser-nachrichten.de.html": "Gesprächsstoff",
    "08-nnz-online.de.html": "eröffnet",  # ("Nordhäusern" was in a reader comment, now pruned)
    "09-www.die-tagespost.de.html": "„zu",  # 0x84: windows-1252, not latin-1
    "10-osthessen-news.de.html": "Bündnis",  # UTF-8 with BOM
    "11-www3.nhk.or.jp.html": "子どもへの体罰",
    "12-diario1.com.html": "cárceles",
    "22-web.archive.org.html": "约定无期限",  # GB2312 inside a Wayback page declaring utf-8
    "34-www.lanacion.com.ar.html": "solución",
}


def test_static_corpus_extracts_deterministically_without_mojibake():
    root = scenario("static-corpus")
    pages = json.loads((root / "pages.json").read_text(encoding="utf-8"))
    assert len(pages) == 60
    for entry in pages:
        body = (root / entry["file"]).read_bytes()
        article = extract_article(body, url=entry["url"])
        check_shape(article)
        assert extract_article(body, url=entry["url"]) == article, entry["file"]
        text = "\n".join((article.headline, *article.paragraphs))
        assert not MOJIBAKE.search(text), (entry["file"], MOJIBAKE.findall(text)[:5])
        word = STATIC_WORDS.get(Path(entry["file"]).name)
        assert word is None or word in text.split() or word in text, (entry["file"], word)
    assert {Path(e["file"]).name for e in pages} >= set(STATIC_WORDS)
