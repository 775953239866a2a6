"""The site's changes by day, statistics page (pygal SVG charts) and Pagefind search box,
on an archive made by real ``gitnews run`` processes against the loopback replay server
(tests/changes_support.py); checked in the files and in headless Chromium (driven by
Playwright with the system's Chromium; skipped where either is missing), the site served
on 127.0.0.1 (Pagefind fetches its index: it cannot work from ``file://``)."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import html5lib
import pytest
from changes_support import BBC_CHANGED, BBC_FEED, SEED_PATH, build_runs_archive
from typer.testing import CliRunner

from gitnews.cli import app
from gitnews.output.render import MONTHS
from gitnews.output.site.insights import pagefind_installed

HAS_PAGEFIND = pagefind_installed()
needs_pagefind = pytest.mark.skipif(not HAS_PAGEFIND, reason="Pagefind is not installed")


def run(archive: Path, *args: str):
    result = CliRunner().invoke(app, [*args, "--archive", str(archive)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def page(path: Path):
    return html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)


def svg_all(node, name: str) -> list:
    """The SVG elements ``name`` under ``node`` (html5lib puts them in the SVG namespace)."""
    return [e for e in node.iter() if isinstance(e.tag, str) and e.tag.split("}")[-1] == name]


def text(node) -> str:
    return re.sub(r"\s+", " ", "".join(node.itertext())).strip()


@pytest.fixture(scope="module")
def runs_site(tmp_path_factory):
    root = build_runs_archive(tmp_path_factory.mktemp("runs"))
    out = root.parent / "site"
    result = run(root, "site", str(out))
    assert result.exit_code == 0, result.stderr
    return root, out


def _day(out: Path) -> str:
    days = sorted(p.stem for p in (out / "changes").glob("????-??-??.html"))
    assert len(days) == 1  # the runs took seconds
    return days[0]


def test_a_page_per_day_newest_first_linked_from_the_index(runs_site):
    _, out = runs_site
    day = _day(out)
    index = page(out / "index.html")
    links = {text(a): a.get("href") for a in index.iter("a")}
    assert links["Changes day by day"] == "changes/index.html"
    assert links["Statistics"] == "stats.html"
    days = page(out / "changes" / "index.html")
    rows = days.findall(".//table/tbody/tr")
    label = f"{int(day[8:])} {MONTHS[int(day[5:7]) - 1]} {day[:4]}"
    assert [[text(td) for td in r.findall("td")] for r in rows] == [[label, "3"]]
    assert rows[0].find(".//a").get("href") == f"{day}.html"
    doc = page(out / "changes" / f"{day}.html")
    diffs = [a.get("href") for a in doc.iter("a") if re.search(r"/\d+-\d+\.html$", a.get("href"))]
    diffs = list(dict.fromkeys(diffs))  # each row links its diff twice
    assert diffs[0] == f"../articles/{SEED_PATH}/2-3.html"  # the removal, last
    assert sorted(diffs[1:]) == sorted([f"../articles/{BBC_CHANGED}/1-2.html",
                                        f"../articles/{SEED_PATH}/1-2.html"])
    times = [t.get("datetime") for t in doc.iter("time")]
    assert times == sorted(times, reverse=True)
    for href in diffs:
        assert (out / "changes" / href).resolve().is_file()


def test_statistics_page_inline_svg_charts_and_tables(runs_site):
    _, out = runs_site
    doc = page(out / "stats.html")
    assert not [s for s in doc.iter("script")]  # readable without JavaScript
    svgs = svg_all(doc, "svg")
    assert [s.get("id") for s in svgs] == ["chart-changes-per-day", "chart-first-change"]
    labels = ["newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml",
              "single articles"]
    for svg in svgs:
        legends = [text(g) for g in svg_all(svg, "g")
                   if "legend" in (g.get("class") or "").split()]
        assert legends == labels
    rows = {text(r.find("td")): [text(td) for td in r.findall("td")[1:]]
            for r in doc.findall(".//table[@id='table-per-day']/tbody/tr")}
    assert list(rows.values()) == [["1", "2", "3"]]  # BBC 1, single articles 2, all 3
    first = {text(r.find("td")): [text(td) for td in r.findall("td")[1:]]
             for r in doc.findall(".//table[@id='table-first-change']/tbody/tr")}
    assert first["under 1 hour"] == ["1", "1", "2"]
    assert first["over 7 days"] == ["0", "0", "0"]
    sources = [[text(td) for td in r.findall("td")]
               for r in doc.findall(".//table[@class='list stats']/tbody/tr")]
    assert [s[0] for s in sources] == [*labels, "total"]
    assert sources[0][1:5] == ["2", "3", "50 %", "1"]
    assert sources[2][-3:] == ["body 2, removed 1", "0", "1"]
    assert BBC_FEED.endswith(labels[0])


def test_same_archive_same_bytes_charts_and_search_index(runs_site, tmp_path):
    root, out = runs_site
    again = tmp_path / "again"
    assert run(root, "site", str(again)).exit_code == 0
    mine = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    theirs = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert mine == theirs


@needs_pagefind
def test_search_indexes_only_the_version_pages(runs_site):
    _, out = runs_site
    assert (out / "pagefind" / "pagefind-ui.js").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'src="pagefind/pagefind-ui.js"' in index and 'id="search"' in index
    fragments = list((out / "pagefind" / "fragment").iterdir())
    assert len(fragments) == 3  # three changes: three version pages


def test_without_pagefind_a_site_without_the_box_and_a_note(runs_site, tmp_path, monkeypatch):
    import gitnews.output.site.build as build

    root, _ = runs_site
    monkeypatch.setattr(build, "pagefind_installed", lambda: False)
    out = tmp_path / "site"
    result = run(root, "site", str(out))
    assert result.exit_code == 0
    assert "no search box: Pagefind is not installed (pip install 'gitnews[search]'" in result.stderr
    assert 'id="search"' not in (out / "index.html").read_text(encoding="utf-8")
    assert not (out / "pagefind").exists()
    quiet = run(root, "site", str(tmp_path / "quiet"), "--no-search")
    assert quiet.exit_code == 0 and "search" not in quiet.stderr


# -- in headless Chromium --------------------------------------------------------------------

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture
def browser_page(runs_site):
    """A Chromium page (Playwright) and the site's URL on a loopback HTTP server."""
    if _chromium() is None:
        pytest.skip("no headless Chromium on this machine")
    sync_api = pytest.importorskip("playwright.sync_api")
    _, out = runs_site
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=_chromium(),
                                         args=["--no-sandbox", "--disable-gpu"])
            try:
                yield browser.new_page(), f"http://127.0.0.1:{server.server_port}/"
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()


def _search(pg, base: str, query: str) -> list[str]:
    pg.goto(base + "index.html")
    pg.fill(".pagefind-ui__search-input", query)
    pg.wait_for_selector(".pagefind-ui__result-link", timeout=30_000)
    return [a.get_attribute("href") for a in pg.query_selector_all(".pagefind-ui__result-link")]


@needs_pagefind
def test_typing_in_the_search_box_finds_the_version_page(browser_page):
    pg, base = browser_page
    # A word only in the paragraphs the BBC story lost: the page of that change.
    assert _search(pg, base, "Admiralty") == [f"/articles/{BBC_CHANGED}/1-2.html"]
    # The seed's corrected word: its change, and the removal (whose page shows the text).
    found = _search(pg, base, "operandi")
    assert sorted(found) == [f"/articles/{SEED_PATH}/1-2.html", f"/articles/{SEED_PATH}/2-3.html"]
    pg.click(f".pagefind-ui__result-link[href='/articles/{SEED_PATH}/1-2.html']")
    pg.wait_for_load_state()
    assert pg.url == base + f"articles/{SEED_PATH}/1-2.html"
    assert [e.inner_text() for e in pg.query_selector_all("ins")] == ["operandi"]


def test_the_charts_render_as_svg_with_their_series(browser_page):
    pg, base = browser_page
    pg.goto(base + "stats.html")
    charts = pg.query_selector_all("svg.pygal-chart")
    assert [c.get_attribute("id") for c in charts] == ["chart-changes-per-day",
                                                       "chart-first-change"]
    for chart in charts:
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150  # drawn, not empty
        legends = [t.text_content() for t in chart.query_selector_all("g.legend text")]
        assert legends == ["newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml",
                           "single articles"]
    per_day = charts[0]
    # One day: a bar of 1 change for the BBC feed and one of 2 for the single article.
    values = [[t.text_content() for t in per_day.query_selector_all(f"g.serie-{i} .value")]
              for i in (0, 1)]
    assert values == [["1"], ["2"]]
    bars = per_day.query_selector_all("g.serie-1 rect.rect")
    assert len(bars) == 1 and bars[0].bounding_box()["height"] > 0


def test_an_archive_without_changes_has_no_box_and_says_why(tmp_path):
    from versions_support import make_archive

    root = make_archive(tmp_path / "archive")
    out = tmp_path / "site"
    result = run(root, "site", str(out))
    assert result.exit_code == 0
    if HAS_PAGEFIND:
        assert "no search box yet: no article has changed" in result.stderr
    assert 'id="search"' not in (out / "index.html").read_text(encoding="utf-8")
    assert "No article has changed yet." in (out / "stats.html").read_text(encoding="utf-8")
    assert (out / "changes" / "index.html").is_file()


@needs_pagefind
def test_a_deleted_search_file_is_noticed_and_no_search_removes_the_index(runs_site, tmp_path):
    root, built = runs_site
    out = tmp_path / "site"
    shutil.copytree(built, out)
    index = out / "pagefind"
    files = sorted(p.relative_to(index) for p in index.rglob("*") if p.is_file())
    # A file deleted by hand (not pagefind-entry.json): the next run indexes again.
    for victim in (index / "pagefind-ui.js", next((index / "fragment").iterdir())):
        victim.unlink()
        result = run(root, "site", str(out))
        assert result.exit_code == 0, result.stderr
        assert sorted(p.relative_to(index) for p in index.rglob("*") if p.is_file()) == files
    # The whole folder deleted: the same.
    shutil.rmtree(index)
    assert run(root, "site", str(out)).exit_code == 0
    assert (index / "pagefind-ui.js").is_file() and (index / "pagefind-entry.json").is_file()
    # Nothing deleted: nothing done, Pagefind not run (the folder is the same one).
    marker = (index / "pagefind-entry.json").stat().st_mtime_ns
    quiet = run(root, "site", str(out))
    assert "wrote 0 " in quiet.stderr
    assert (index / "pagefind-entry.json").stat().st_mtime_ns == marker
    # --no-search: the old index goes with the box, and the run says so.
    off = run(root, "site", str(out), "--no-search")
    assert off.exit_code == 0
    assert not index.exists()
    assert "removed the search index of an earlier run" in off.stderr
    assert 'id="search"' not in (out / "index.html").read_text(encoding="utf-8")
    # Search again: the same site as one built from nothing.
    assert run(root, "site", str(out)).exit_code == 0
    mine = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    theirs = {p.relative_to(built): p.read_bytes() for p in built.rglob("*") if p.is_file()}
    assert mine == theirs


def test_no_search_keeps_a_pagefind_folder_gitnews_did_not_write(runs_site, tmp_path):
    root, _ = runs_site
    out = tmp_path / "site"
    assert run(root, "site", str(out), "--no-search").exit_code == 0
    mine = out / "pagefind"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    # Another filter: a run that renders again (not the "nothing new" return).
    again = run(root, "site", str(out), "--no-search", "--min-significance", "minor")
    assert again.exit_code == 0 and "removed" not in again.stderr
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "mine"
