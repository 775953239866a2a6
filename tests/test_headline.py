"""The headline is what a reader sees (issue 13, items 1 and 2).

:mod:`gitnews.pagetext.headline` on real pages (tests/data/headlines, see its README), its
pure functions (hypothesis), and the real ``gitnews`` command over those pages
served by the loopback replay proxy, in versions made by the byte substitutions
written below.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
from pathlib import Path

import lxml.html
import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scenario_checks import assert_versions_consistent, version_commits

from gitnews.format.normalise import normalise_line
from gitnews.format.trailers import TRAILER_KEYS
from gitnews.pagetext.extract import extract_article
from gitnews.pagetext.headline import (
    RULES,
    is_decorated,
    is_site_name,
    page_titles,
    same_words,
    similarity,
    strip_site_name,
)

PAGES = DATA / "headlines"

INTERCEPT = "theintercept.com-Gaza.html.gz"
INTERCEPT_URL = "http://theintercept.com/2023/11/08/gaza-hospitals-babies-doctors-patients/"
INTERCEPT_HEAD = "What It’s Like to Give Birth in Gaza"
INTERCEPT_SEO = "Gaza’s Hospital System on Brink of Total Collapse"
JAPANTIMES = "japantimes.co.jp.surgical.html.gz"
JAPANTIMES_URL = ("http://www.japantimes.co.jp/news/2020/02/18/national/crime-legal/"
                  "6000-surgical-masks-stolen/")
JAPANTIMES_HEAD = "Losing face: 6,000 surgical masks stolen from Kobe hospital"


def page(name: str) -> bytes:
    return gzip.decompress((PAGES / name).read_bytes())


def substitute(body: bytes, *pairs: tuple[str, str]) -> bytes:
    """``body`` with each ``old`` replaced by ``new``; each ``old`` must occur exactly once."""
    for old, new in pairs:
        assert body.count(old.encode()) == 1, old
        body = body.replace(old.encode(), new.encode())
    return body


# --- the choice on real pages -------------------------------------------------------------

# file -> (headline, social title, SEO title): what a reader sees, and the titles kept apart
REAL = {
    # h1, JSON-LD and og:title agree; <title> is an SEO headline of its own
    INTERCEPT: (INTERCEPT_HEAD, None, INTERCEPT_SEO),
    # "| The Japan Times" on og:title and <title> is the site's name: no title of its own
    JAPANTIMES: (JAPANTIMES_HEAD, None, None),
    "wired.com.burn.html.gz": ("AI Can Do Great Things—if It Doesn't Burn the Planet", None, None),
    # the only <h1> is the logo (og:site_name "POLITICO"): JSON-LD headline
    "politico.com.retirement.html.gz": (
        "Mark Meadows accused of timing retirement to help elect wife’s friend", None, None),
    # the only <h1> is a topic line in the page header, like no title: JSON-LD headline
    "handelsblatt.com.grenzschliessungen.html.gz": (
        "Deutschland und Frankreich: Der enge Partner wird zum Fremden",
        "Grenzschließungen: Deutschland, Frankreich und die Rückkehr der Ressentiments", None),
    # three h1s: an empty logo link, the logo "Deutschlandfunk", the article's with its kicker
    "deutschlandfunk.de.titanic.html.gz": (
        'Die Zukunft der Arbeit "Wir dekorieren auf der Titanic die Liegestühle um"', None, None),
    # an <h1> holding only the logo image; the headline's ruby readings are not its text
    "nhk.or.jp.k100.html.gz": ("子どもへの体罰を禁止する法律ができる", None, None),
    # the visible h1 (and the JSON-LD BlogPosting) differ from og:title/<title>, an SEO title
    "aeb-0e014df6-antijunecleaver.html.gz": (
        "Hiking the Boulder Flat Irons",
        "Simple Hiking Survival Kit (with Kids) - The Anti-June Cleaver",
        "Simple Hiking Survival Kit (with Kids) - The Anti-June Cleaver"),
    # the only h1 is the site's name linking to the front page
    "aeb-21486419-kabarislamia.html.gz": ("Jangan Membenci Satu Kaum Secara Berlebihan", None, None),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_headline_of_real_pages(name):
    article = extract_article(page(name))
    assert (article.headline, article.social_title, article.seo_title) == REAL[name]


def test_site_name_is_removed_when_line_1_falls_back_to_og_title_and_title():
    """Without an <h1> the Japan Times page falls back to og:title, then to <title>:
    both end in "| The Japan Times" (og:site_name), which is not part of line 1."""
    h1 = f"<h1>{JAPANTIMES_HEAD}</h1>"
    no_h1 = substitute(page(JAPANTIMES), (h1, ""))
    article = extract_article(no_h1)
    assert article.headline == JAPANTIMES_HEAD
    assert article.social_title is None and article.seo_title is None
    og = f'<meta property="og:title" content="{JAPANTIMES_HEAD} | The Japan Times" />'
    only_title = substitute(no_h1, (og, ""))
    assert extract_article(only_title).headline == JAPANTIMES_HEAD


def test_site_names_learned_from_the_page():
    titles = page_titles(lxml.html.document_fromstring(page(JAPANTIMES)))
    assert "The Japan Times" in titles.site_names  # og:site_name
    assert "japantimes" in titles.site_names  # the brand of its own canonical host
    assert titles.source == "h1"


def test_trailer_keys_are_known():
    assert {"Social-Title", "Seo-Title"} <= set(TRAILER_KEYS)


# --- pure functions (hypothesis) ----------------------------------------------------------

_letters = st.text(st.characters(whitelist_categories=("Lu", "Ll")), min_size=3, max_size=12)
_headline_words = st.lists(_letters, min_size=1, max_size=8).map(" ".join)
_separator = st.sampled_from([" | ", " - ", " – ", " — ", " · ", " • ", " » ", "｜"])


@given(head=_headline_words, site=_letters, sep=_separator, colon=st.sampled_from([": ", "："]))
@settings(max_examples=200, deadline=None)
def test_strip_site_name_removes_a_site_suffix_or_prefix(head, site, sep, colon):
    assume(not is_site_name(head, [site]) and not any(is_site_name(w, [site]) for w in head.split()))
    assert strip_site_name(f"{head}{sep}{site}", [site]) == head
    assert strip_site_name(f"{site}{sep}{head}", [site]) == head
    assert strip_site_name(f"{head}{colon}{site}", [site]) == head
    assert strip_site_name(f"{site}{sep}{head}{sep}{site}", [site]) == head
    # a colon never ends a site name at the start ("Brexit: ..."), and a title that is only
    # the site's name stays as it is
    assert strip_site_name(f"{site}: {head}", [site]) == f"{site}: {head}"
    assert strip_site_name(site, [site]) == site


@given(title=st.text(max_size=60), names=st.lists(st.text(max_size=15), max_size=3))
@settings(max_examples=300, deadline=None)
def test_strip_site_name_keeps_a_part_of_the_title(title, names):
    out = strip_site_name(title, names)
    assert out in title
    assert bool(out) == bool(title.strip())
    assert strip_site_name(out, names) == strip_site_name(out, names)  # deterministic


@given(a=st.text(max_size=40), b=st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_similarity_is_a_symmetric_share(a, b):
    s = similarity(a, b)
    assert 0.0 <= s <= 1.0 and s == similarity(b, a)
    if similarity(a, a) > 0:
        assert similarity(a, a) == 1.0 and same_words(a, a)
    assert same_words(a, a.upper().lower()) == same_words(a.casefold(), a.lower().casefold())


@given(head=_headline_words, labels=st.lists(_letters, max_size=3), sep=_separator,
       other=_headline_words)
@settings(max_examples=200, deadline=None)
def test_a_title_is_the_headline_with_labels_or_its_own(head, labels, sep, other):
    assert is_decorated(sep.join([head, *labels]), head)
    assert is_decorated(sep.join([*labels, head]), head)
    assert is_decorated(other, head) == same_words(other, head)  # no labels: the words decide


@given(head=_headline_words, social=_headline_words, site=_letters,
       noise=st.sampled_from(["", "<h1 class='site-logo'><a href='/'>{site}</a></h1>",
                              "<aside><h1>More stories</h1></aside>"]))
@settings(max_examples=150, deadline=None)
def test_page_titles_prefers_the_visible_h1(head, social, site, noise):
    assume(similarity(head, site) == 0 and not is_site_name(head, [site]))
    doc = (f"<html><head><title>{head} | Section | {site}</title>"
           f"<meta property='og:title' content='{social}'>"
           f"<meta property='og:site_name' content='{site}'></head>"
           f"<body>{noise.format(site=site)}<article><h1>{head}</h1><p>Text.</p></article>"
           "</body></html>")
    titles = page_titles(lxml.html.document_fromstring(doc))
    assert titles.headline == normalise_line(head) and titles.source == "h1"
    assert titles.seo_title is None  # the headline, a section and the site's name
    assert titles.social_title == (None if same_words(social, head) else normalise_line(social))


# --- the real command: what makes a version -----------------------------------------------

def _scenario(folder: Path, url: str, bodies: list[bytes]) -> Path:
    """A replay scenario serving ``bodies[i]`` at ``url`` in step ``i``."""
    folder.mkdir()
    steps = []
    for i, body in enumerate(bodies):
        (folder / f"page-{i}.html").write_bytes(body)
        steps.append({"at": f"2024-01-0{i + 1}T10:00:00Z", "responses": {url: {
            "file": f"page-{i}.html", "content_type": "text/html; charset=utf-8"}}})
    (folder / "scenario.json").write_text(json.dumps({
        "description": "versions of one real page (tests/data/headlines)",
        "sources": "tests/data/headlines/README.md", "feeds": [], "steps": steps}))
    return folder


def _run_steps(replay, tmp_path, url: str, bodies: list[bytes]):
    """Run ``gitnews run --all`` once per step: (archive, each run's summary line, server)."""
    server = replay(_scenario(tmp_path / "scenario", url, bodies))
    archive = init_test_archive(tmp_path / "archive")
    env = server.env()
    run_gitnews("add", "--archive", str(archive), "--article", url, env=env, check=True)
    outs = []
    for i in range(len(bodies)):
        server.step(i)
        r = run_gitnews("run", "--archive", str(archive), "--no-progress", "--all", env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        outs.append([line for line in r.stdout.splitlines() if line.startswith("NEW ")][-1])
    return archive, outs, server


def test_rewritten_visible_headline_makes_a_version(replay, tmp_path):
    """Item 1: the newsroom rewrites the <h1>, <title> and JSON-LD headline and leaves
    og:title as it was: a headline version (on the old code: UNCHANGED, nothing committed).
    Then it changes og:title too, a social title only: no version."""
    new = "Doctors in Gaza describe giving birth under bombardment"
    v1 = page(INTERCEPT)
    v2 = substitute(v1, (f"<title>{INTERCEPT_SEO}</title>", f"<title>{new}</title>"),
                    ('"headline":"What It\\u2019s Like to Give Birth in Gaza"', f'"headline":"{new}"'),
                    (f"{INTERCEPT_HEAD}        </h1>", f"{new}        </h1>"))
    v3 = substitute(v2, (f'<meta property="og:title" content="{INTERCEPT_HEAD}" />',
                         f'<meta property="og:title" content="{new}" />'))
    archive, outs, _ = _run_steps(replay, tmp_path, INTERCEPT_URL, [v1, v2, v3])
    assert outs[0].startswith("NEW 1, CHANGED 0")
    assert outs[1].startswith("NEW 0, CHANGED 1"), outs[1]
    assert outs[2].startswith("NEW 0, CHANGED 0, UNCHANGED 1"), outs[2]
    commits = version_commits(archive)
    assert len(commits) == 2
    first, second = (c["trailers"] for c in commits)
    path = commits[0]["files"][0]
    assert git(archive, "show", f"{commits[0]['sha']}:{path}").startswith(INTERCEPT_HEAD + "\n\n")
    assert (archive / path).read_text(encoding="utf-8").startswith(new + "\n\n")
    assert commits[1]["message"].startswith(f"Changed: {new}\n")
    assert second["Change-Kind"] == "headline"
    # the titles that are not line 1 are kept, per version
    assert first["Seo-Title"] == INTERCEPT_SEO and "Social-Title" not in first
    assert second["Social-Title"] == INTERCEPT_HEAD and "Seo-Title" not in second
    assert_versions_consistent(archive)
    shown = run_gitnews("log", "--archive", str(archive), INTERCEPT_URL, "--json", check=True)
    versions = json.loads(shown.stdout)["versions"]
    assert [(v["social_title"], v["seo_title"]) for v in versions] == [
        (None, INTERCEPT_SEO), (INTERCEPT_HEAD, None)]
    shown = run_gitnews("show", "--archive", str(archive), INTERCEPT_URL, "--json", check=True)
    assert json.loads(shown.stdout)["version"]["social_title"] == INTERCEPT_HEAD


@pytest.mark.parametrize("h1", [True, False], ids=["with-h1", "without-h1"])
def test_site_name_added_to_og_title_makes_no_version(replay, tmp_path, h1):
    """Item 2: the site adds "| The Japan Times" to og:title (the recorded page is that
    later state; the earlier one is the same page without the suffix): no version, and
    line 1 never carries the suffix (on the old code: a "headline" version whose line 1
    ends in "| The Japan Times"), also when the page has no <h1>."""
    later = page(JAPANTIMES)
    if not h1:
        later = substitute(later, (f"<h1>{JAPANTIMES_HEAD}</h1>", ""))
    earlier = substitute(later, (f'content="{JAPANTIMES_HEAD} | The Japan Times"',
                                 f'content="{JAPANTIMES_HEAD}"'))
    archive, outs, _ = _run_steps(replay, tmp_path, JAPANTIMES_URL, [earlier, later])
    assert outs[0].startswith("NEW 1, CHANGED 0")
    assert outs[1].startswith("NEW 0, CHANGED 0, UNCHANGED 1"), outs[1]
    commits = version_commits(archive)
    assert len(commits) == 1
    text = (archive / commits[0]["files"][0]).read_text(encoding="utf-8")
    assert text.startswith(JAPANTIMES_HEAD + "\n\n")
    assert "Social-Title" not in commits[0]["trailers"] and "Seo-Title" not in commits[0]["trailers"]


@pytest.mark.parametrize("captures", [True, False], ids=["with-captures", "without-captures"])
def test_pages_are_read_again_after_the_headline_rules_change(replay, tmp_path, captures):
    """A text read by other headline rules (an archive made before this change) is not
    trusted to a 304.  With the page's capture kept (issue 16), the run extracts the
    capture again first (``reextract_stale``), so the check may stay conditional; without
    one, the next check fetches the page in full.  Either way a new line 1 of an
    unchanged page is an ``extraction`` version now, not a false headline edit later."""
    archive, _, server = _run_steps(replay, tmp_path, JAPANTIMES_URL, [page(JAPANTIMES)])
    if not captures:
        subprocess.run(["git", "-C", str(archive), "branch", "-q", "-D", "gitnews/captures"],
                       check=True)
    state = archive / ".git" / "gitnews" / "state.sqlite"
    with sqlite3.connect(state) as db:  # what an archive of the old rules holds
        (old,) = db.execute("SELECT fingerprint FROM fetched").fetchone()
        assert f"; {RULES}; " in old
        db.execute("UPDATE fetched SET fingerprint = ?", (old.replace(f"; {RULES}", ""),))
    for expect_conditional in (captures, True):
        r = run_gitnews("run", "--archive", str(archive), "--no-progress", "--all", env=server.env())
        assert r.returncode == 0 and "UNCHANGED 1" in r.stdout, r.stdout + r.stderr
        last = [q for q in server.requests() if q["url"] == JAPANTIMES_URL][-1]
        assert bool(last["if-none-match"]) is expect_conditional, last
        assert last["status"] == (304 if expect_conditional else 200)
    with sqlite3.connect(state) as db:  # the text is known to come from today's rules again
        (now,) = db.execute("SELECT fingerprint FROM fetched").fetchone()
        assert f"; {RULES}; " in now
