"""``gitnews search``: the full-text index of every version (issue 17).

Archives are made by real ``gitnews run``s against the loopback replay server
(tests/replay.py) serving a small scenario written by :func:`write_scenario`:
three articles on two hosts over two steps.  The ars-versions test needs
../shared (skipped without it); its shared-less twin uses two real versions copied
into tests/data/search/.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews, shared_path
from hypothesis import given
from hypothesis import strategies as st

from gitnews.archive.cache.words import GAP, fold, word_changes, words
from gitnews.output.search import make_snippet, query_terms

FEED = "http://news.example.org/rss.xml"
A1 = "http://news.example.org/world/2024/mar/01/minister-resigns"
A2 = "http://www.other-paper.test/politics/climate-plan"
A3 = "http://news.example.org/culture/2024/mar/01/film-review"

FILLER = ("The report was published on a quiet morning and reporters gathered outside the "
          "building to wait for more news from officials who declined to comment further.")

ARTICLES = {
    A1: [
        ("Minister resigns after inquiry",
         ["The minister resigned on Friday after an inquiry into consensual arrangements "
          "with a lobbying firm was published by the committee. " + FILLER,
          "Her résumé lists twenty years in public service, including a decade at the "
          "treasury where she oversaw the budget. " + FILLER,
          "Critics said the climate change policy she championed would be reviewed by "
          "her successor within weeks. " + FILLER]),
        ("Minister resigns after inquiry",
         ["The minister resigned on Friday after an inquiry into alleged arrangements "
          "with a lobbying firm was published by the committee. " + FILLER,
          "Her résumé lists twenty years in public service, including a decade at the "
          "treasury where she oversaw the budget. " + FILLER,
          "Critics said the climate change policy she championed would be reviewed by "
          "her successor within weeks. " + FILLER]),
    ],
    A2: [
        ("Government unveils climate plan",
         ["The government unveiled a climate plan on Tuesday that economists said would "
          "change how households heat their homes over the coming decade. " + FILLER,
          "Ministers will resume talks with the opposition next week, aides said, after "
          "negotiations stalled over the cost of the scheme. " + FILLER,
          "The policy was welcomed by campaigners, who had asked for a faster timetable "
          "for the closure of coal plants across the country. " + FILLER]),
    ],
    A3: [
        ("A quiet film about a noisy family",
         ["The director's new film follows a noisy family through one long summer in a "
          "seaside town where nothing much happens to anyone. " + FILLER,
          "Its cast, mostly newcomers, carries the story with a lightness that the script "
          "does not always deserve, critics agreed after the premiere. " + FILLER,
          "The film opens in cinemas next month and will stream later in the year on the "
          "distributor's own service for subscribers. " + FILLER]),
    ],
}


def _page(url: str, headline: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{headline}'
            f'</title><link rel="canonical" href="{url}"></head><body><header><nav>'
            '<a href="/">Home</a> <a href="/world">World</a></nav></header><main><article>'
            f"<h1>{headline}</h1>{body}</article></main><footer>© The paper</footer>"
            "</body></html>\n")


def write_scenario(folder: Path) -> Path:
    """A replay scenario (tests/replay.py): step 0 serves the first version of each
    article, step 1 the second version of A1 (``consensual`` -> ``alleged``)."""
    (folder / "pages").mkdir(parents=True)
    items = "".join(f"<item><title>{v[0][0]}</title><link>{url}</link><guid>{url}</guid>"
                    "<pubDate>Fri, 01 Mar 2024 09:00:00 GMT</pubDate></item>"
                    for url, v in ARTICLES.items())
    (folder / "rss.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>News</title>'
        f"<link>http://news.example.org/</link><description>News</description>{items}"
        "</channel></rss>\n", encoding="utf-8")
    steps: list[dict] = [{"at": "2024-03-01T10:00:00Z", "responses": {
        FEED: {"file": "rss.xml", "content_type": "application/rss+xml; charset=UTF-8"}}},
        {"at": "2024-03-02T10:00:00Z", "responses": {}}]
    for i, (url, versions) in enumerate(ARTICLES.items()):
        for n, (headline, paragraphs) in enumerate(versions):
            name = f"pages/a{i}-v{n + 1}.html"
            (folder / name).write_text(_page(url, headline, paragraphs), encoding="utf-8")
            steps[n]["responses"][url] = {"file": name, "content_type": "text/html; charset=UTF-8"}
    (folder / "scenario.json").write_text(json.dumps({
        "description": "gitnews search tests", "feeds": [FEED], "steps": steps}, indent=1))
    return folder


@pytest.fixture(scope="module")
def searched(tmp_path_factory) -> Path:
    """An archive made by two real runs of the scenario (A1 changes between them)."""
    from conftest import start_replay

    root = tmp_path_factory.mktemp("search")
    server = start_replay(write_scenario(root / "scenario"), root)
    try:
        archive = init_test_archive(root / "archive")
        env = server.env()
        run_gitnews("add", "--archive", str(archive), FEED, env=env, check=True)
        for step in (0, 1):
            server.step(step)
            run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    finally:
        server.stop()
    return archive


def search(archive: Path, *args: str, code: int = 0) -> dict:
    proc = run_gitnews("search", "--archive", str(archive), "--json", *args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def found(doc: dict) -> list[tuple[str, list[int]]]:
    return [(r["url"], r["versions"]) for r in doc["results"]]


# -- real runs ---------------------------------------------------------------------------------

def test_the_runs_made_the_versions(searched):
    log = git(searched, "log", "--format=%s")
    assert log.count("\n") >= 5  # init, config, three new articles, one change


def test_word_and_newest_first(searched):
    doc = search(searched, "minister")
    assert doc["schema"] == "gitnews.search/1"
    assert found(doc) == [(A1, [1, 2])]
    doc = search(searched, "film")
    assert found(doc) == [(A3, [1])]


def test_phrase(searched):
    assert found(search(searched, '"climate change policy"')) == [(A1, [1, 2])]
    # The words of the phrase are in A2 too, but not next to each other.
    assert {u for u, _ in found(search(searched, "climate AND change AND policy"))} == {A1, A2}


def test_prefix(searched):
    urls = {u for u, _ in found(search(searched, "resign*"))}
    assert urls == {A1}
    assert {u for u, _ in found(search(searched, "cinema*"))} == {A3}


def test_near(searched):
    assert found(search(searched, "NEAR(climate plan, 2)")) == [(A2, [1])]
    assert found(search(searched, "NEAR(minister film, 5)")) == []


def test_diacritics_resume_finds_resume_with_accents(searched):
    urls = {u for u, _ in found(search(searched, "resume"))}
    assert urls == {A1, A2}  # "résumé" in A1, "resume" in A2
    assert {u for u, _ in found(search(searched, "résumé"))} == {A1, A2}


def test_headline_only(searched):
    assert found(search(searched, "climate", "--headline")) == [(A2, [1])]
    assert {u for u, _ in found(search(searched, "climate"))} == {A1, A2}


def test_host_since_until_article(searched):
    assert {u for u, _ in found(search(searched, "climate", "--host", "other-paper.test"))} \
        == {A2}
    assert {u for u, _ in found(search(searched, "climate", "--host", "www.news.example.org"))} \
        == {A1}
    times = {r["url"]: r["time"] for r in search(searched, "the")["results"]}
    newest = max(times.values())
    # --since the newest version's time: only the change of A1 (version 2) is that late.
    assert found(search(searched, "minister", "--since", newest)) == [(A1, [2])]
    assert found(search(searched, "climate", "--since", newest)) == [(A1, [2])]
    assert found(search(searched, "film", "--until", "2000-01-01")) == []
    assert found(search(searched, "climate", "--article", A2)) == [(A2, [1])]


def test_added_and_removed(searched):
    assert found(search(searched, "consensual", "--removed")) == [(A1, [2])]
    assert found(search(searched, "consensual", "--added")) == []
    assert found(search(searched, "alleged", "--added")) == [(A1, [2])]
    assert found(search(searched, "alleged", "--removed")) == []
    # Words present in both versions were neither added nor removed.
    assert found(search(searched, "minister", "--removed")) == []


def test_json_shape(searched):
    doc = search(searched, "consensual", "--removed")
    assert set(doc) == {"schema", "query", "within", "count", "results"}
    assert doc["within"] == "removed" and doc["count"] == 1
    r = doc["results"][0]
    assert set(r) == {"path", "url", "host", "headline", "versions", "time", "snippet",
                      "snippet_version", "marks", "show", "diff"}
    assert r["host"] == "news.example.org"
    assert r["time"].endswith("Z")
    assert r["snippet_version"] == 1  # the text the word was removed from
    assert [r["snippet"][s:e] for s, e in r["marks"]] == ["consensual"]
    assert r["show"] == f"gitnews show {A1} --version 2"
    assert r["diff"] == f"gitnews diff {A1} 1 2"
    assert r["path"].endswith(".txt")
    # The document is the one docs/json-output.md describes.
    from test_versions_cli import documented_schema, validate

    validate(doc, "gitnews.search/1", documented_schema())
    validate(search(searched, "the")["results"][0], "search_result", documented_schema())


def test_text_output_marks_the_match(searched):
    proc = run_gitnews("search", "--archive", str(searched), "résumé", "--no-color")
    assert proc.returncode == 0, proc.stderr
    assert "[résumé]" in proc.stdout and "[resume]" in proc.stdout
    assert f"gitnews show {A1} --version 2" in proc.stdout
    assert "Minister resigns after inquiry" in proc.stdout
    none = run_gitnews("search", "--archive", str(searched), "zebra")
    assert none.returncode == 0 and none.stdout == "" and "No versions match" in none.stderr


def test_limit(searched):
    assert len(search(searched, "the", "--limit", "2")["results"]) == 2
    assert len(search(searched, "the")["results"]) == 3


@pytest.mark.parametrize("query", ['"unterminated', "minister AND", "(climate", "nosuch: word",
                                   "NEAR(a b"])
def test_malformed_query_exit_2_without_traceback(searched, query):
    proc = run_gitnews("search", "--archive", str(searched), query)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("gitnews: the search query")
    assert "FTS5 expects" in proc.stderr


def test_malformed_headline_query_names_the_users_query(searched):
    proc = run_gitnews("search", "--archive", str(searched), "--headline", "minister AND")
    assert proc.returncode == 2 and "'minister AND'" in proc.stderr and "{headline}" not in proc.stderr


def test_options_that_exclude_each_other(searched):
    proc = run_gitnews("search", "--archive", str(searched), "x", "--added", "--removed")
    assert proc.returncode == 2 and "exclude each other" in proc.stderr


def test_index_survives_a_cache_rebuild(searched, tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(searched, clone)
    queries = [("climate",), ("consensual", "--removed"), ("alleged", "--added"),
               ("resume",), ("climate", "--headline")]
    before = [search(clone, *q) for q in queries]
    (clone / ".git" / "gitnews" / "state.sqlite").unlink()
    for extra in ("-wal", "-shm"):
        (clone / ".git" / "gitnews" / f"state.sqlite{extra}").unlink(missing_ok=True)
    after = [search(clone, *q) for q in queries]
    assert after == before


def test_fresh_clone_rebuilds_the_index(searched, tmp_path):
    clone = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(searched), str(clone))
    assert found(search(clone, "consensual", "--removed")) == [(A1, [2])]


# -- ars-versions ------------------------------------------------------------------------------

def _removed_word(old: str, new: str) -> str:
    """A word of ``old`` that ``new`` lacks entirely and that no other text here has."""
    gone = [w for w in dict.fromkeys(words(old)) if w not in set(words(new))
            and len(w) > 4 and not w.isdigit()]
    assert gone, "the two versions should differ by at least one removed word"
    return gone[0]


@pytest.mark.slow
def test_ars_versions_removed_word_finds_exactly_that_version(replay, tmp_path):
    from scenario_checks import load_json, run_steps

    scenario = shared_path("scenarios", "ars-versions")
    expected = load_json(scenario / "expected.json")
    archive = tmp_path / "archive"
    runs = run_steps(replay, scenario, archive, [expected["feed"]], len(expected["steps"]))
    assert all(r.returncode == 0 for r in runs)
    from gitnews.archive.repo import open_archive

    # Every change in the archive: a word it removed is found with --removed at
    # exactly that article and version, and not with --added.
    with open_archive(archive) as arc:
        changes = []
        for record in arc.state.articles():
            versions = arc.state.versions(record.path)
            for old, new in zip(versions, versions[1:], strict=False):
                if old.blob and new.blob and old.blob != new.blob:
                    changes.append((record.url, new.number, arc.repo.git.show(old.blob),
                                    arc.repo.git.show(new.blob)))
    assert changes
    checked = 0
    for url, number, old, new in changes:
        gone = [w for w in dict.fromkeys(words(old)) if Counter(words(new))[w] == 0
                and len(w) > 3 and not w.isdigit()]
        for word in gone:
            # Only words no other change removed: then exactly this version must come back.
            if sum(1 for _, _, o, n in changes
                   if word in words(o) and word not in words(n)) != 1:
                continue
            assert found(search(archive, f'"{word}"', "--removed")) == [(url, [number])], word
            assert (url, [number]) not in found(search(archive, f'"{word}"', "--added"))
            checked += 1
            break
    assert checked


def test_real_pair_of_ars_versions(tmp_path):
    """Two real versions of an Ars Technica article (tests/data/search/), committed as
    gitnews commits them: the word the second one deleted is found with --removed only."""
    from archive_builders import add_version, new_archive

    from gitnews.format.paths import article_path

    folder = DATA / "search"
    v1 = (folder / "ars-v1.txt").read_text(encoding="utf-8")
    v2 = (folder / "ars-v2.txt").read_text(encoding="utf-8")
    url = (folder / "ars-url.txt").read_text(encoding="utf-8").strip()
    archive = new_archive(tmp_path / "archive")
    path = article_path(url)
    add_version(archive, path, v1, version=1, url=url, hours=1)
    add_version(archive, path, v2, version=2, url=url, hours=5)
    word = _removed_word(v1, v2)
    assert found(search(archive, word, "--removed")) == [(url, [2])]
    assert found(search(archive, word, "--added")) == []
    assert found(search(archive, word)) == [(url, [1])]


# -- pure functions ----------------------------------------------------------------------------

_texts = st.lists(st.sampled_from(["alpha", "Beta", "gamma", "délta", "x1", "Ωmega", "the"]),
                  max_size=30).map(" ".join)


@given(_texts, _texts)
def test_word_changes_is_a_multiset_difference(old, new):
    added, removed = word_changes(old, new)
    got_added = Counter(w for w in added.split() if w != GAP)
    got_removed = Counter(w for w in removed.split() if w != GAP)
    assert got_added == Counter(words(new)) - Counter(words(old))
    assert got_removed == Counter(words(old)) - Counter(words(new))


@given(_texts)
def test_same_text_changes_nothing(text):
    assert word_changes(text, text) == ("", "")
    assert word_changes(None, text) == ("", "")


@given(st.text(max_size=40))
def test_fold_is_idempotent_and_words_are_folded(text):
    assert fold(fold(text)) == fold(text)
    assert all(w == fold(w) and w for w in words(text))


def test_fold_removes_diacritics_and_case():
    assert fold("Résumé") == "resume"
    assert words("Naïve café_owner, 1,400!") == ["naive", "cafe", "owner", "1", "400"]


def test_removed_runs_keep_phrases_apart():
    # "b" and "d" were removed but never stood next to each other: a GAP between.
    assert word_changes("a b c d", "a c") == ("", f"b {GAP} d")
    assert word_changes("a b c d", "a d") == ("", "b c")


@given(st.text(max_size=60))
def test_query_terms_never_raises(query):
    for term, prefix in query_terms(query):
        assert term == fold(term) and isinstance(prefix, bool)


def test_query_terms():
    assert query_terms('"Climate change" OR polic* NOT headline: x') == [
        ("climate", False), ("change", False), ("polic", True), ("x", False)]
    assert query_terms("NEAR(résumé work, 10)") == [("resume", False), ("work", False)]


@given(st.lists(st.sampled_from(["alpha", "beta", "gamma", "Résumé"]), min_size=1, max_size=80))
def test_snippet_marks_are_matches(ws):
    text = "Headline here\n\n" + " ".join(ws) + "\n"
    snippet, marks = make_snippet(text, [("resume", False), ("gam", True)])
    for s, e in marks:
        assert fold(snippet[s:e]) in ("resume", "gamma")
    if "Résumé" in ws or "gamma" in ws:
        assert marks


def test_indexing_versions_again_changes_nothing(searched, tmp_path):
    from gitnews.archive.repo import open_archive

    clone = tmp_path / "again"
    shutil.copytree(searched, clone)
    before = search(clone, "climate")
    with open_archive(clone) as arc:
        state = arc.state
        rows = state.db.execute("SELECT * FROM versions").fetchall()
        count = state.db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0]
        with state.batch():
            state.index_versions(rows)
        assert state.db.execute("SELECT COUNT(*) FROM search_docs").fetchone()[0] == count
        hits = state.search_versions("consensual", within="removed")
        assert [(h.path, h.numbers) for h in hits] == [(hits[0].path, [2])]
    assert search(clone, "climate") == before


# -- queries with no word, hosts the archive never saw (branch s7-search) -----------------------

@pytest.mark.parametrize("query", ["", "   ", '""', "*", "AND"])
def test_a_query_with_no_word_exits_2(searched, query):
    proc = run_gitnews("search", "--archive", str(searched), query)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("gitnews: the search query")
    assert "FTS5 expects" in proc.stderr


def test_an_unknown_host_says_so_and_names_the_hosts(searched):
    for args in ([], ["--json"]):
        proc = run_gitnews("search", "--archive", str(searched), "climate", "--host",
                           "nosuch.example", *args)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr.startswith("gitnews: no article from host nosuch.example in the "
                                      "archive; hosts: news.example.org, other-paper.test")
    # A known host with no match is "no match", as before.
    proc = run_gitnews("search", "--archive", str(searched), "zzzqqq", "--host",
                       "other-paper.test")
    assert proc.returncode == 0 and "No versions match" in proc.stderr


def test_prefix_queries_match_what_the_words_match(searched):
    assert found(search(searched, "resign*")) == found(search(searched, "resigns OR resigned"))
    assert found(search(searched, "headline: resign*")) == found(
        search(searched, "headline: resigns"))
    assert found(search(searched, "arrangement*", "--removed")) == []
    assert {u for u, _ in found(search(searched, "consensu*", "--removed"))} == {A1}
