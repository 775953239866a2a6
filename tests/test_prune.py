"""Comments and link lists are never article text; per-site rules (issue 13, items 3 and 4).

Real recorded pages in tests/data/scenarios/comments-and-links (see its build.py and
the scenarios README): a taz opinion piece with 57 reader comments, whose stored body
used to be the comment thread, and an automobilwoche article ending in a "Lesen Sie
auch:" list of links to other stories, which used to give a version when it rotated.
"""

from __future__ import annotations

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html as lhtml

from gitnews.config import parse_config
from gitnews.errors import ConfigError, ExtractionError
from gitnews.pagetext import comments, prune
from gitnews.pagetext.extract import extract_article
from gitnews.pagetext.filters import FilterSet
from gitnews.pagetext.siterules import SiteRules, parse_sites, rules_for_url

SCENARIO = DATA / "scenarios" / "comments-and-links"
PAGES = SCENARIO / "pages"
TAZ_URL = "http://taz.de/Siemens-und-die-Kohlemine-Adani/!5655255/"
AW_URL = ("http://www.automobilwoche.de/article/20211103/AGENTURMELDUNGEN/311039909/1276/"
          "krach-vor-der-vw-betriebsversammlung-es-knirscht-zwischen-diess-und-aufsichtsraeten")
# trafilatura's evaluation snippets of the taz page (tests/evaldata.json upstream)
TAZ_ARTICLE = ["Ein paar Konsument*innen mögen", "Einige von ihnen, etwa Axa",
               "ei potenziellen Kund*innen aus der fossilen Industrie"]
TAZ_COMMENTS = ["Inhaltlich ist der Artikel super", "Neubauers Job ist nicht Kaeser quasi",
                "Bitte registrieren Sie sich"]
AW_LINKS = ["Turbulente Woche für VW-Chef Diess", "Das E-Werk: Standort Zwickau ist Vorreiter im VW-Konzern",
            "Letzte Chance, in der Welt der Datenökonomie eine Rolle zu spielen"]


def stored(body: bytes, url: str) -> str:
    """The body text a run stores for ``body`` (extraction, then the built-in filters)."""
    article = extract_article(body, url=url)
    return "\n".join(FilterSet().for_url(url).apply(article.paragraphs))


# -- item 3: reader comments ---------------------------------------------------------------------

def test_comment_thread_is_pruned_and_the_article_kept():
    text = stored((PAGES / "taz.html").read_bytes(), TAZ_URL)
    for snippet in TAZ_ARTICLE:
        assert snippet in text
    for snippet in TAZ_COMMENTS:
        assert snippet not in text
    assert "@" not in text  # no "@name" reply


def test_opinion_piece_marked_commentary_is_not_pruned():
    pruned: list[prune.Pruned] = []
    extract_article((PAGES / "taz.html").read_bytes(), url=TAZ_URL, pruned=pruned)
    rules = {p.rule for p in pruned}
    assert any("commentlinks" in r for r in rules), rules  # the thread's section
    assert not any("commentary" in r for r in rules)  # the article's own div says "commentary"


def test_unrecognised_comment_thread_is_reported_not_stored():
    # The same real page with the thread's section class renamed: no comment name left
    # to recognise it by, only its shape (items with times and nested replies).
    body = (PAGES / "taz.html").read_bytes().replace(b"sect_commentlinks style_commentlinks",
                                                    b"sect_xyz style_xyz")
    body = body.replace(b"full community page", b"full xyz page")
    body = body.replace(b"So k\xc3\xb6nnen Sie kommentieren:", b"So k\xc3\xb6nnen Sie:")
    with pytest.raises(ExtractionError) as caught:
        stored(body, TAZ_URL)
    message = str(caught.value)
    assert "mostly reader comments" in message and "[sites." in message and "--show-text" in message


# -- item 4: link lists ----------------------------------------------------------------------------

def test_related_links_list_is_pruned_by_structure():
    body = (PAGES / "aw.html").read_bytes()
    text = stored(body, AW_URL)
    for link in AW_LINKS:
        assert link not in text
    assert "Lesen Sie auch" not in text
    assert "Der Haussegen bei Volkswagen hängt bereits seit einigen Wochen" in text


def test_rotated_related_links_give_the_same_text():
    assert stored((PAGES / "aw.html").read_bytes(), AW_URL) \
        == stored((PAGES / "aw-rotated.html").read_bytes(), AW_URL)


def test_new_comment_and_rotated_links_are_not_versions(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(SCENARIO)
    env = server.env()
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), "--article", TAZ_URL, AW_URL, env=env, check=True)

    def step(n: int) -> str:
        server.step(n)
        r = run_gitnews("run", "--archive", str(archive), "--no-progress", "--all", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        return [line for line in r.stdout.splitlines() if line.startswith("NEW ")][-1]

    assert step(0).startswith("NEW 2, CHANGED 0")
    texts = {p.name: p.read_text(encoding="utf-8") for p in archive.rglob("*.txt")}
    # one more reader comment, the related links rotated: no version
    assert step(1).startswith("NEW 0, CHANGED 0, UNCHANGED 2")
    taz = next(t for name, t in texts.items() if "Siemens" in t)
    assert all(s in taz for s in TAZ_ARTICLE) and not any(s in taz for s in TAZ_COMMENTS)


# -- per-site rules --------------------------------------------------------------------------------

def test_site_rules_parse_and_pick_by_host():
    sites = parse_sites({"automobilwoche.de": {"body": "div.article_body", "remove": ["//strong"],
                                                "headline": "h1"}})
    rules = rules_for_url(sites, AW_URL)
    assert rules == SiteRules("automobilwoche.de", headline=("h1",), body=("div.article_body",),
                              remove=("//strong",))
    assert rules_for_url(sites, "http://example.com/a") is None
    assert rules_for_url(sites, "http://notautomobilwoche.de/a") is None


@pytest.mark.parametrize("table, words", [
    ({"x.com": {"body": "div["}}, "not a valid CSS selector"),
    ({"x.com": {"remove": ["//["]}}, "not valid XPath"),
    ({"x.com": {"bodies": "div"}}, "unknown key 'bodies'"),
    ({"x.com": {"body": 3}}, "must be a CSS selector or XPath"),
    ({"x.com": "div"}, "must be a table"),
])
def test_bad_site_rules_are_config_errors(table, words):
    with pytest.raises(ConfigError, match=words):
        parse_sites(table)
    text = "".join(f'[sites."{h}"]\n' + "".join(f"{k} = {v!r}\n".replace("'", '"')
                                                 for k, v in t.items()) for h, t in table.items()
                   if isinstance(t, dict))
    if text:
        with pytest.raises(ConfigError, match=words):
            parse_config(text)


def test_site_rules_select_body_headline_and_remove():
    body = (PAGES / "aw.html").read_bytes()
    generic = extract_article(body, url=AW_URL)
    rules = SiteRules("automobilwoche.de", headline=("h1",),
                      remove=("//p[strong]",),  # XPath: the "Lesen Sie auch:" style labels
                      body=(".nothing-here", "div[itemprop=articleBody]"))
    pruned: list[prune.Pruned] = []
    article = extract_article(body, url=AW_URL, site=rules, pruned=pruned)
    assert any(p.rule == "site rule remove '//p[strong]'" and "Lesen Sie auch" in p.text for p in pruned)
    assert article.notes == (
        "site rule body '.nothing-here' of [sites.\"automobilwoche.de\"] matched nothing",)
    assert "Lesen Sie auch:" not in article.paragraphs
    assert article.paragraphs[0] == generic.paragraphs[0]
    assert article.headline.startswith("Krach vor der VW-Betriebsversammlung")


def test_site_selector_matching_nothing_falls_back_to_generic_extraction():
    body = (PAGES / "aw.html").read_bytes()
    generic = extract_article(body, url=AW_URL)
    article = extract_article(body, url=AW_URL, site=SiteRules("automobilwoche.de", body=("#gone",),
                                                                headline=("h9",)))
    assert article.paragraphs == generic.paragraphs and article.headline == generic.headline
    assert len(article.notes) == 2 and all("matched nothing; " in n for n in article.notes)


def test_show_text_shows_each_rule_and_reports_a_selector_matching_nothing(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(SCENARIO)
    env = server.env()
    init_test_archive(archive)
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[sites."automobilwoche.de"]\n'
                      'remove = ["div.sharing_box", "aside.no-such-thing"]\n', encoding="utf-8")
    git(archive, "commit", "-qam", "site rules")
    r = run_gitnews("run", "--archive", str(archive), "--dry-run", "--show-text", AW_URL, env=env)
    assert r.returncode == 0, r.stderr
    assert "Der Haussegen bei Volkswagen" in r.stdout and "Turbulente Woche" not in r.stdout
    assert "[site rule remove 'div.sharing_box']" in r.stderr
    assert "[link block: its heading] Lesen Sie auch:" in r.stderr
    assert "[link block: 5 link paragraphs in a row] Turbulente Woche für VW-Chef Diess" in r.stderr
    assert "site rule remove 'aside.no-such-thing' of [sites.\"automobilwoche.de\"] matched nothing" \
        in r.stderr
    # a real run reports it in the article's line too
    run_gitnews("add", "--archive", str(archive), "--article", AW_URL, env=env, check=True)
    r = run_gitnews("run", "--archive", str(archive), "--no-progress", env=env)
    assert r.returncode == 0, r.stderr
    assert "site rule remove 'aside.no-such-thing' of [sites.\"automobilwoche.de\"] matched nothing" \
        in r.stdout, r.stdout


# -- properties of the pure functions ---------------------------------------------------------------

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@given(st.lists(_WORD, max_size=4), st.sampled_from(prune.COMMENT_WORDS), st.lists(_WORD, max_size=3))
def test_a_name_part_starting_with_a_comment_word_is_a_comment_name(before, word, after):
    name = "-".join([*before, word + "s", *after])
    assert prune.is_comment_name(name) == (not comments._NOT_COMMENT.match(word + "s"))


@given(st.lists(_WORD.filter(lambda w: not w.startswith(prune.COMMENT_WORDS)), max_size=5))
def test_names_without_a_comment_word_are_not_comment_names(parts):
    assert not prune.is_comment_name(" ".join(parts) + " commentary commentator")


_PARA = st.tuples(st.text(alphabet="abc xyz", max_size=30), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(_PARA, min_size=1, max_size=10), st.text(alphabet="HEADLINE ", min_size=1, max_size=20))
def test_pruning_keeps_the_h1_and_link_share_is_a_share(paras, title):
    parts = "".join(f'<p><a href="/story{i}">{t}</a></p>' if link else f"<p>{t}</p>"
                    for i, (t, link) in enumerate(paras))
    root = lhtml.document_fromstring(f'<html><body><div class="comments"><h1>{title}</h1>{parts}</div>'
                                     f'<div>{parts}</div></body></html>')
    for elem in root.iter("p", "div"):
        assert 0.0 <= prune.link_share(elem) <= 1.0
    prune.prune_page(root)
    assert len(root.findall(".//h1")) == 1  # the article's headline and what holds it stay
    assert root.find(".//div[@class='comments']") is not None
