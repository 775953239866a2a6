"""``gitnews site`` and ``gitnews serve``: the static site of a real archive.

The seed-guardian article in its two real versions (10:02 and 17:14 UTC on
29 September 2016) gives the pages News Sniffer showed: the article page
("The article has changed 1 time") and the side-by-side diff ("about 7
hours later", ``operundi`` → ``operandi``).  Every link of every page is
followed on disk; the site is also opened in a real headless browser
(skipped where no Chromium exists).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import feedparser
import html5lib
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner
from versions_support import SEED_URL, SEED_V2_AT, add_versions, make_archive, seed_archive, seed_text

from gitnews.archive.objects import BlobReader, read_blobs
from gitnews.archive.repo import open_archive
from gitnews.cli import app
from gitnews.format.paths import article_path
from gitnews.format.urls import canonical_url
from gitnews.output.site import build_site
from gitnews.output.sitelayout import MANIFEST, article_page, diff_page, href

SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
SEED_DIR = f"articles/{SEED_PATH}"
HEADLINE = "Gaps remain in tackling child sexual exploitation, Ofsted finds"


def run(archive: Path, *args: str):
    result = CliRunner().invoke(app, [*args, "--archive", str(archive)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def build(archive: Path, out: Path, **kw):
    """build_site as `gitnews site` calls it (with the schedule's stopped-note)."""
    from gitnews.versions.schedule import Policy, stopped_note

    with open_archive(archive) as arc:
        kw.setdefault("schedule_note", stopped_note(Policy.from_settings(arc.config.schedule)))
        return build_site(arc, out, **kw)


def page(path: Path):
    return html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)


def text(node) -> str:
    return re.sub(r"\s+", " ", "".join(node.itertext())).strip()


def cells(node) -> str:
    """The text of a cell whose parts sit on lines of their own (``<br>``)."""
    return re.sub(r"\s+", " ", " ".join(node.itertext())).strip()


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory):
    root = seed_archive(tmp_path_factory.mktemp("seed") / "archive")
    out = root.parent / "site"
    result = run(root, "site", str(out))
    assert result.exit_code == 0, result.stderr
    return root, out


# -- the seed article -----------------------------------------------------------------------

def test_diff_page_shows_the_two_versions_side_by_side(seed_site):
    _, out = seed_site
    doc = page(out / SEED_DIR / "1-2.html")
    headers = [cells(th) for th in doc.findall(".//table/thead/tr/th")]
    assert headers == ["Version 1 29 September 2016, 10:02 UTC",
                       "Version 2 29 September 2016, 17:14 UTC (about 7 hours later)"]
    rows = doc.findall(".//table/tbody/tr")
    assert len(rows) == 19 and all(len(r.findall("td")) == 2 for r in rows)
    assert [d.text for d in doc.iter("del")] == ["operundi"]
    assert [i.text for i in doc.iter("ins")] == ["operandi"]
    changed = [r for r in rows if "changed" in r.get("class")]
    assert len(changed) == 1 and "modus operundi" in text(changed[0].findall("td")[0])
    assert text(doc.find(".//h1")) == HEADLINE
    assert "1 paragraph changed" in text(doc.find(".//p[@class='summary']"))


def test_article_page_in_the_seed_style(seed_site):
    _, out = seed_site
    doc = page(out / SEED_DIR / "index.html")
    about = text(doc.find(".//p[@class='about']"))
    assert about == ("This article is from the source 'theguardian.com' and was first seen on "
                     "29 September 2016 at 10:02 UTC. It last changed on 29 September 2016 at "
                     "17:14 UTC (about 7 hours after it was first seen). It last changed over "
                     "40 days ago and won't be checked again for changes.")
    assert text(doc.find(".//p[@class='count']")) == "The article has changed 1 time."
    rows = [[text(td) for td in tr.findall("td")] for tr in doc.findall(".//table/tbody/tr")]
    assert [r[:3] for r in rows] == [
        ["1", "29 September 2016, 10:02 UTC", "first seen"],
        ["2", "29 September 2016, 17:14 UTC", "about 7 hours later"]]
    assert rows[1][3] == "1 paragraph changed (+1 -1 words)"
    diff_links = [a.get("href") for a in doc.findall(".//table/tbody/tr/td/a")]
    assert diff_links == ["1-2.html"]
    feeds = [ln.get("href") for ln in doc.iter("link") if ln.get("type") == "application/atom+xml"]
    assert "feed.atom" in feeds
    article_feed = feedparser.parse((out / SEED_DIR / "feed.atom").read_bytes())
    assert not article_feed.bozo and len(article_feed.entries) == 1
    assert "operandi" in article_feed.entries[0].content[0].value


def test_index_and_host_pages(seed_site):
    _, out = seed_site
    index = page(out / "index.html")
    latest = index.find(".//table[@class='list changes']")
    cells = [text(td) for td in latest.findall(".//tbody/tr/td")]
    assert cells == ["29 September 2016, 17:14 UTC", HEADLINE, "theguardian.com",
                     "1 paragraph changed (about 7 hours later)", "1 → 2"]
    links = [a.get("href") for a in latest.iter("a")]
    assert f"{SEED_DIR}/index.html" in links and f"{SEED_DIR}/1-2.html" in links
    host = page(out / "hosts" / "theguardian.com.html")
    assert text(host.find(".//h1")) == "Articles from theguardian.com"
    site_feed = feedparser.parse((out / "feed.atom").read_bytes())
    assert not site_feed.bozo and [e.title for e in site_feed.entries] == [
        f"{HEADLINE} — 1 paragraph changed"]


def check_links(out: Path, *, external: tuple[str, ...]) -> int:
    """Every link of every page is relative and names a file of the site (or is one of
    ``external``); every alternate link is a feed that parses.  Returns the page count."""
    pages = sorted(out.rglob("*.html"))
    base = "http://site.invalid/sub/path/"
    for file in pages:
        rel = quote(file.relative_to(out).as_posix())
        doc = page(file)
        refs = [a.get("href") for a in doc.iter("a")] + [ln.get("href") for ln in doc.iter("link")]
        assert refs and all(refs)
        for ref in refs:
            if ref in external:
                continue
            assert not urlsplit(ref).scheme and not ref.startswith("/"), (rel, ref)
            target = urljoin(base + rel, ref)
            assert target.startswith(base), (rel, ref)
            assert (out / unquote(target[len(base):])).is_file(), (rel, ref)
        alternates = [ln for ln in doc.iter("link") if ln.get("rel") == "alternate"]
        assert alternates and all(ln.get("type") == "application/atom+xml" for ln in alternates)
        for ln in alternates:
            feed = feedparser.parse((file.parent / unquote(ln.get("href"))).read_bytes())
            assert not feed.bozo and feed.feed.title
    return len(pages)


def test_every_link_of_every_page_resolves(seed_site):
    """Relative links only, each to a file of the site (so it works from any folder)."""
    _, out = seed_site
    # index, host, article, diff; changes by day (list, one day), statistics
    assert check_links(out, external=(SEED_URL,)) == 7


def test_same_archive_same_bytes(seed_site, tmp_path):
    root, out = seed_site
    other = tmp_path / "again"
    build(root, other, search=True)  # as `gitnews site` does
    mine = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    theirs = {p.relative_to(other): p.read_bytes() for p in other.rglob("*") if p.is_file()}
    assert mine == theirs


# -- escaping and odd paths -----------------------------------------------------------------

def test_markup_in_articles_shows_as_text(tmp_path):
    root = make_archive(tmp_path / "a")
    t0 = datetime(2020, 5, 1, 8, tzinfo=UTC)
    evil = '<script>alert("x")</script> & <b>bold</b>'
    url = "http://example.com/odd path/ü%23%3F%25/evil"  # path: "odd path/ü#_%/evil~….txt"
    add_versions(root, [(url, f"Title {evil}\n\nSafe text of the article.\n", t0),
                        (url, f"Title {evil}\n\nSafe text of the article. {evil}\n",
                         t0 + timedelta(hours=1))])
    out = tmp_path / "site"
    build(root, out)
    pages = list(out.rglob("*.html"))
    assert len(pages) == 7  # with the changes by day (list, one day) and statistics
    for file in pages:
        doc = page(file)
        assert not list(doc.iter("script")) and not list(doc.iter("b")), file
        if file != out / "changes" / "index.html":  # (the list of days names no article)
            assert f"Title {evil}" in text(doc), file
    diff = next(p for p in pages if p.name == "1-2.html")
    assert evil in "".join(page(diff).find(".//ins").itertext())
    assert diff.parent == out / "articles" / article_path(canonical_url(url))
    assert "#" in diff.parent.as_posix() and "%" in diff.parent.as_posix()
    assert check_links(out, external=(canonical_url(url),)) == 7


# -- incremental runs ------------------------------------------------------------------------

def test_a_second_run_rewrites_only_what_changed(tmp_path):
    root = seed_archive(tmp_path / "a")
    out = tmp_path / "site"
    first = build(root, out)
    assert len(first.written) == first.files == 12  # 9 + changes by day (2) + statistics
    assert build(root, out).written == []
    old_diff = out / SEED_DIR / "1-2.html"
    before = old_diff.stat().st_mtime_ns
    v3 = seed_text(2).replace("Ofsted report says.", "Ofsted report said on Thursday.")
    add_versions(root, [(SEED_URL, v3, SEED_V2_AT + timedelta(days=1)),
                        ("http://example.com/news/new", "New story\n\nIts text.\n",
                         SEED_V2_AT + timedelta(days=2))])
    second = build(root, out)
    new_dir = "articles/example.com/news/new.txt"
    assert sorted(second.written) == sorted([
        f"{SEED_DIR}/2-3.html", f"{SEED_DIR}/index.html", f"{SEED_DIR}/feed.atom",
        "hosts/theguardian.com.html", "hosts/theguardian.com.atom",
        f"{new_dir}/index.html", f"{new_dir}/feed.atom",
        "hosts/example.com.html", "hosts/example.com.atom", "index.html", "feed.atom",
        # the new day's changes, the day before it (now linked to it), their list
        "changes/2016-09-29.html", "changes/2016-09-30.html", "changes/index.html",
        "stats.html"])
    assert old_diff.stat().st_mtime_ns == before
    assert "The article has changed 2 times." in (out / SEED_DIR / "index.html").read_text()
    assert "2 paragraphs changed" not in (out / SEED_DIR / "2-3.html").read_text()
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == {p.relative_to(out).as_posix() for p in out.rglob("*")
                                      if p.is_file() and p.name != MANIFEST}
    # A deleted page comes back; nothing else is written.
    (out / "hosts" / "example.com.html").unlink()
    assert build(root, out).written == ["hosts/example.com.html"]


def test_foreign_files_are_kept_and_stale_pages_removed(tmp_path):
    first = seed_archive(tmp_path / "a")
    out = tmp_path / "site"
    build(first, out)
    (out / "CNAME").write_text("news.example.org\n")
    other = make_archive(tmp_path / "b")
    add_versions(other, [("http://example.com/x", "X\n\nText.\n",
                          datetime(2020, 1, 1, tzinfo=UTC))])
    result = build(other, out)
    assert f"{SEED_DIR}/1-2.html" in result.removed and not (out / "articles/theguardian.com").exists()
    assert (out / "CNAME").read_text() == "news.example.org\n"
    assert (out / "articles/example.com/x.txt/index.html").is_file()


def test_refuses_a_folder_with_other_files(tmp_path):
    root = seed_archive(tmp_path / "a")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = run(root, "site", str(out))
    assert result.exit_code == 2 and "already holds other files (notes.txt)" in result.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    result = run(root, "site", str(root))
    assert result.exit_code == 2


def test_schedule_note_hook(tmp_path):
    root = seed_archive(tmp_path / "a")
    out = tmp_path / "site"
    seen = []

    def note(record, now):
        seen.append((record.path, now))
        return "It won't be checked again for changes."

    now = datetime(2020, 1, 1, tzinfo=UTC)
    build(root, out, schedule_note=note, now=now)
    assert seen == [(SEED_PATH, now)]
    about = text(page(out / SEED_DIR / "index.html").find(".//p[@class='about']"))
    assert about.endswith("first seen). It won't be checked again for changes.")
    assert build(root, out).written == [f"{SEED_DIR}/index.html"]  # note gone: page rewritten


# -- serve -----------------------------------------------------------------------------------

def test_serve_regenerates_and_serves_on_loopback(tmp_path):
    root = seed_archive(tmp_path / "a")
    folder = tmp_path / "served"
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    proc = subprocess.Popen([sys.executable, "-m", "gitnews", "serve", "--port", "0", "--dir",
                             str(folder), "--archive", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(m.group(1), timeout=30) as resp:
            assert resp.status == 200 and "Latest changes" in resp.read().decode()
        with opener.open(m.group(1) + href("index.html", diff_page(SEED_PATH, 1, 2)),
                         timeout=30) as resp:
            assert "<del>operundi</del>" in resp.read().decode()
        with opener.open(m.group(1) + "feed.atom", timeout=30) as resp:
            assert resp.headers["Content-Type"] == "application/atom+xml"
            assert not feedparser.parse(resp.read()).bozo
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        proc.stdout.close()
        proc.stderr.close()
    assert code == 0
    assert (folder / "index.html").is_file()


# -- a real browser --------------------------------------------------------------------------

def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


def _dump_dom(url: str, profile: str):
    proc = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return html5lib.parse(proc.stdout.decode("utf-8"), namespaceHTMLElements=False)


@pytest.mark.skipif(_browser() is None, reason="no headless Chromium on this machine")
def test_browser_follows_links_from_the_index_to_the_diff(seed_site):
    """Chromium loads the site from file:// and we follow what it shows, page to page."""
    _, out = seed_site
    with tempfile.TemporaryDirectory() as profile:
        url = (out / "index.html").as_uri()
        index = _dump_dom(url, profile)
        link = next(a for a in index.iter("a") if text(a) == HEADLINE)
        url = urljoin(url, link.get("href"))
        article = _dump_dom(url, profile)
        assert text(article.find(".//p[@class='count']")) == "The article has changed 1 time."
        assert text(article.find(".//h1")) == HEADLINE
        link = next(a for a in article.iter("a") if text(a) == "version 1 and 2 side by side")
        url = urljoin(url, link.get("href"))
        diff = _dump_dom(url, profile)
    assert url.endswith("/1-2.html")
    headers = [cells(th) for th in diff.findall(".//table/thead/tr/th")]
    assert headers[0].startswith("Version 1") and headers[1].startswith("Version 2")
    assert headers[1].endswith("(about 7 hours later)")
    rows = diff.findall(".//table/tbody/tr")
    assert len(rows) == 19 and all(len(r.findall("td")) == 2 for r in rows)
    assert [d.text for d in diff.iter("del")] == ["operundi"]
    assert [i.text for i in diff.iter("ins")] == ["operandi"]


# -- links between pages (pure) --------------------------------------------------------------

_segment = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
                   min_size=1, max_size=12).filter(lambda s: s not in (".", ".."))


@given(st.lists(_segment, min_size=1, max_size=5), st.lists(_segment, min_size=1, max_size=5),
       st.integers(min_value=1, max_value=50))
def test_relative_links_resolve_to_their_target(a, b, n):
    pa, pb = "/".join(a) + ".txt", "/".join(b) + ".txt"
    base = "https://example.github.io/sub/"
    for src, dst in ((article_page(pa), diff_page(pb, n, n + 1)), ("index.html", article_page(pb)),
                     (diff_page(pa, n, n + 1), "index.html"), (article_page(pa), "hosts/x.html")):
        link = href(src, dst)
        assert not urlsplit(link).scheme and "#" not in link and "?" not in link
        assert urljoin(base + quote(src), link) == base + quote(dst)


def test_blob_reader_reads_exact_bytes_and_refuses_unknown_ids(tmp_path):
    import git

    root = seed_archive(tmp_path / "a")
    repo = git.Repo(root)
    blobs = repo.git.log("--format=", "--raw", "--no-abbrev", "--", SEED_PATH).split()
    ids = [b for b in blobs if len(b) == 40 and set(b) != {"0"}]
    assert len(set(ids)) == 2
    with BlobReader(repo) as reader:
        assert reader.read(ids) == read_blobs(repo, ids)
        assert reader.read(ids * 3)[ids[0]].decode() in (seed_text(1), seed_text(2))
        with pytest.raises(ValueError, match="no blob"):
            reader.read(["0" * 40])
    repo.close()


# -- small visible faults -----------------------------------------------------------------------

def test_number_columns_have_their_headers_aligned_with_them(seed_site):
    """In every table of the site, a column whose cells are numbers (right-aligned)
    has a right-aligned header too (the Sources table's headers sat over nothing)."""
    _, out = seed_site
    css = (out / "style.css").read_text(encoding="utf-8")
    assert re.search(r"table\.list th\.num[^{]*\{[^}]*text-align: right", css), css
    tables = 0
    for html in out.rglob("*.html"):
        for table in page(html).iter("table"):
            if "list" not in (table.get("class") or ""):
                continue
            heads = table.findall("./thead/tr/th")
            for tr in table.findall("./tbody/tr"):
                tds = tr.findall("td")
                assert len(tds) == len(heads), html
                for th, td in zip(heads, tds):
                    assert ("num" in (th.get("class") or "").split()) == \
                        ("num" in (td.get("class") or "").split()), (html, text(th))
                tables += 1
    assert tables >= 3
    sources = page(out / "index.html").find(".//table[@class='list hosts']")
    assert [th.get("class") for th in sources.findall("./thead/tr/th")] == [None, "num", "num"]


def test_a_second_site_run_that_changes_nothing_leaves_the_manifest_alone(seed_site, tmp_path):
    root, _ = seed_site
    out = tmp_path / "site"
    assert run(root, "site", str(out)).exit_code == 0
    manifest = out / MANIFEST
    os.utime(manifest, ns=(1_000_000_000, 1_000_000_000))  # as if written long ago
    assert run(root, "site", str(out)).exit_code == 0
    assert manifest.stat().st_mtime_ns == 1_000_000_000


def test_a_revert_is_labelled_back_to_version_n_as_the_cli_says(tmp_path):
    """An import of three real captures: a headline edit, then a return to version 1."""
    from conftest import run_gitnews
    from warcs import SEED_T1, SEED_T2, SEED_V1, Rec, write_warc

    old, new = b"Gaps remain in tackling child sexual exploitation", b"Gaps remain in child safety"
    assert old in SEED_V1
    warc = tmp_path / "seed.warc.gz"
    write_warc(warc, [Rec("response", SEED_URL, SEED_T1, SEED_V1),
                      Rec("response", SEED_URL, SEED_T2, SEED_V1.replace(old, new)),
                      Rec("response", SEED_URL, "2016-09-30T08:00:00Z", SEED_V1)])
    archive = tmp_path / "a"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    run_gitnews("init", "--archive", str(archive), env=env, check=True)
    run_gitnews("import", "--archive", str(archive), str(warc), env=env, check=True)
    log = run_gitnews("log", "--archive", str(archive), SEED_URL, env=env, check=True).stdout
    assert "back to version 1" in log, log
    out = tmp_path / "site"
    run_gitnews("site", "--archive", str(archive), str(out), env=env, check=True)
    doc = page(out / SEED_DIR / "index.html")
    rows = [[text(td) for td in tr.findall("td")] for tr in doc.findall(".//table/tbody/tr")]
    assert rows[1][3].startswith("Headline changed") and "back to version" not in rows[1][3]
    assert "back to version 1" in rows[2][3], rows
    summary = text(page(out / SEED_DIR / "2-3.html").find(".//p[@class='summary']"))
    assert "back to version 1" in summary, summary
    latest = text(page(out / "index.html").find(".//table[@class='list changes']"))
    assert "back to version 1" in latest, latest


def test_sigint_keeps_the_pages_written_exits_130_and_the_next_run_finishes(tmp_path):
    """The rule of every long command: Ctrl-C keeps (and lists) what was written, says
    so, exits 130; the folder stays a gitnews site that the next run completes, to the
    same bytes as a run never interrupted."""
    from conftest import run_gitnews

    root = make_archive(tmp_path / "a")
    t = SEED_V2_AT
    add_versions(root, [(f"http://example.com/news/{i}", f"Story {i}\n\nIts text, {i}.\n", t)
                        for i in range(700)]
                 + [(f"http://example.com/news/{i}", f"Story {i}\n\nIts new text, {i}.\n",
                     t + timedelta(hours=1)) for i in range(0, 700, 7)])
    out = tmp_path / "site"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    proc = subprocess.Popen([sys.executable, "-m", "gitnews", "site", "--archive", str(root),
                             str(out)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        import time

        deadline = time.monotonic() + 120
        while not (out / "articles").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped on request after" in err and "Traceback" not in err, err
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"] and all((out / f).is_file() for f in manifest["files"])
    again = run_gitnews("site", "--archive", str(root), str(out), env=env)
    assert again.returncode == 0, again.stderr
    clean = tmp_path / "clean"
    run_gitnews("site", "--archive", str(root), str(clean), env=env, check=True)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(clean).as_posix() for p in clean.rglob("*")
                           if p.is_file())
    assert all((out / f).read_bytes() == (clean / f).read_bytes() for f in files)
