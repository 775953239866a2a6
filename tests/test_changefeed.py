"""``gitnews feed``: Atom/RSS feeds of changes, on real archives (seed-guardian at real times).

Every feed is parsed back with feedparser (the library readers use) and must
not set its ``bozo`` flag; the entry content is parsed as HTML to find the
word marks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import git
import html5lib
import pytest
from typer.testing import CliRunner
from versions_support import SEED_URL, SEED_V2_AT, add_versions, make_archive, seed_archive

from gitnews.cli import app
from gitnews.output.changefeed import change_summary, render_feed, site_feed_spec
from gitnews.output.changes import latest_changes
from gitnews.versions.diff import DiffStats

SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
HEADLINE = "Gaps remain in tackling child sexual exploitation, Ofsted finds"
T0 = datetime(2020, 5, 1, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return seed_archive(tmp_path_factory.mktemp("seed") / "archive")


def run(archive: Path, *args: str):
    result = CliRunner().invoke(app, [*args, "--archive", str(archive)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def feed(archive: Path, *args: str) -> bytes:
    result = run(archive, "feed", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def parse(data: bytes):
    doc = feedparser.parse(data)
    assert not doc.bozo, doc.get("bozo_exception")
    return doc


def marks(html: str) -> tuple[list[str], list[str]]:
    doc = html5lib.parse(html, namespaceHTMLElements=False)
    return ([d.text for d in doc.iter("del")], [i.text for i in doc.iter("ins")])


def seed_commits(root: Path) -> list[str]:
    return git.Repo(root).git.log("--format=%H", "--reverse", "--", SEED_PATH).split()


# -- the seed article's change ---------------------------------------------------------------

def test_atom_feed_of_the_seed_change(seed):
    doc = parse(feed(seed))
    assert doc.version == "atom10"
    f = doc.feed
    assert f.id.startswith("urn:gitnews:") and f.title and f.author == "gitnews"
    assert f.updated == "2016-09-29T17:14:00+00:00"
    assert len(doc.entries) == 1
    entry = doc.entries[0]
    assert entry.id == f"urn:gitnews:{seed_commits(seed)[1]}"
    assert entry.title == f"{HEADLINE} — 1 paragraph changed"
    assert entry.updated_parsed[:5] == (2016, 9, 29, 17, 14)
    assert entry.link == SEED_URL
    content = entry.content[0]
    assert content.type == "text/html"
    assert marks(content.value) == (["operundi"], ["operandi"])
    assert "about 7 hours later" in content.value
    assert entry.tags[0].term == "theguardian.com"


def test_rss_feed_of_the_seed_change(seed):
    doc = parse(feed(seed, "--rss"))
    assert doc.version == "rss20"
    entry = doc.entries[0]
    assert entry.id == f"urn:gitnews:{seed_commits(seed)[1]}"
    assert entry.guidislink is False
    assert entry.title == f"{HEADLINE} — 1 paragraph changed"
    assert marks(entry.content[0].value) == (["operundi"], ["operandi"])
    assert doc.feed.link


def test_site_url_links_entries_to_the_diff_pages(seed):
    doc = parse(feed(seed, "--site-url", "https://me.example.org/news/"))
    entry = doc.entries[0]
    diff = f"https://me.example.org/news/articles/{SEED_PATH}/1-2.html"
    assert [(link.rel, link.href) for link in entry.links] == [("alternate", diff)]
    assert {(link.rel, link.href) for link in doc.feed.links} == {
        ("self", "https://me.example.org/news/feed.atom"),
        ("alternate", "https://me.example.org/news/index.html")}
    content = html5lib.parse(entry.content[0].value, namespaceHTMLElements=False)
    assert [a.get("href") for a in content.iter("a")][:2] == [SEED_URL, diff]
    bad = run(seed, "feed", "--site-url", "me.example.org")
    assert bad.exit_code == 2 and "http(s)" in bad.stderr


def test_feed_is_deterministic_and_ids_are_stable(tmp_path):
    root = seed_archive(tmp_path / "a")
    first = feed(root)
    assert feed(root) == first
    add_versions(root, [("http://example.com/news/one", "One\n\nFirst text.\n", T0),
                        ("http://example.com/news/one", "One\n\nSecond text.\n",
                         T0 + timedelta(days=2))])
    doc = parse(feed(root))
    ids = [e.id for e in doc.entries]
    assert ids[1] == parse(first).entries[0].id  # the seed's change kept its id
    assert doc.entries[0].title == "One — 1 paragraph changed"
    assert doc.feed.updated.startswith("2020-05-03T08:00:00")


# -- choosing the changes ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """The seed, then 30 new articles and two changes of a BBC article after it."""
    root = seed_archive(tmp_path_factory.mktemp("busy") / "archive")
    news = [(f"http://www.bbc.co.uk/news/uk-{i}", f"Story {i}\n\nText {i}.\n",
             SEED_V2_AT + timedelta(hours=1, minutes=i)) for i in range(30)]
    bbc = "http://news.bbc.co.uk/1/hi/uk/7984711.stm"
    edits = [(bbc, "Plot suspects held\n\nPolice held twelve men.\n\nMore to come.\n",
              SEED_V2_AT + timedelta(days=1)),
             (bbc, "Plot suspects held\n\nPolice held 12 men.\n\nMore to come.\n",
              SEED_V2_AT + timedelta(days=1, hours=2)),
             (bbc, "Terror plot suspects held\n\nPolice held 12 men.\n",
              SEED_V2_AT + timedelta(days=1, hours=5))]
    add_versions(root, news + edits)
    return root


def test_only_changes_are_entries_and_limit_counts_changes(busy):
    doc = parse(feed(busy))
    assert [e.title for e in doc.entries] == [
        "Terror plot suspects held — Headline changed, 1 paragraph removed",
        "Plot suspects held — 1 paragraph changed",
        f"{HEADLINE} — 1 paragraph changed"]
    # 30 newer first versions lie between the seed's change and the top: still found.
    limited = parse(feed(busy, "--limit", "1"))
    assert [e.title for e in limited.entries] == [doc.entries[0].title]
    assert parse(feed(busy, "--limit", "0")).entries == []


def test_host_and_article_feeds(busy):
    bbc = parse(feed(busy, "--host", "www.BBC.co.uk"))  # subdomains included
    assert [e.title.split(" — ")[0] for e in bbc.entries] == ["Terror plot suspects held",
                                                              "Plot suspects held"]
    assert "bbc.co.uk" in bbc.feed.title
    only_news = parse(feed(busy, "--host", "news.bbc.co.uk"))
    assert len(only_news.entries) == 2
    guardian = parse(feed(busy, "--host", "theguardian.com"))
    assert [e.link for e in guardian.entries] == [SEED_URL]
    article = parse(feed(busy, "--article", "news.bbc.co.uk/1/hi/uk/7984711.stm", "--rss"))
    assert len(article.entries) == 2 and "Terror plot suspects held" in article.feed.title
    assert article.feed.link == "http://news.bbc.co.uk/1/hi/uk/7984711.stm"
    quiet = parse(feed(busy, "--article", "http://www.bbc.co.uk/news/uk-3"))
    assert quiet.entries == [] and quiet.feed.id.endswith("uk-3.txt")
    missing = run(busy, "feed", "--host", "example.org")
    assert missing.exit_code == 1 and "no articles from example.org" in missing.stderr
    both = run(busy, "feed", "--host", "bbc.co.uk", "--article", "x")
    assert both.exit_code == 2
    unknown = run(busy, "feed", "--article", "http://example.org/nothing")
    assert unknown.exit_code == 1 and "no article" in unknown.stderr


def test_feed_reads_git_log_twice_at_most(busy, tmp_path):
    """One git log for the latest changes, one for the versions before them; no loop."""
    trace = tmp_path / "trace.txt"
    env = {**os.environ, "GIT_TRACE": str(trace)}
    proc = subprocess.run([sys.executable, "-m", "gitnews", "feed", "--archive", str(busy)],
                          capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(parse(proc.stdout).entries) == 3
    logs = [line for line in trace.read_text().splitlines()
            if "built-in: git" in line and " log " in line]
    assert 1 <= len(logs) <= 2, logs


def test_output_file(seed, tmp_path):
    out = tmp_path / "changes.atom"
    result = run(seed, "feed", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert len(parse(out.read_bytes()).entries) == 1


def test_output_into_a_missing_folder_is_refused_as_the_shell_would(seed, tmp_path):
    from conftest import run_gitnews

    out = tmp_path / "missing" / "dir" / "changes.atom"
    proc = run_gitnews("feed", "--archive", str(seed), "-o", str(out))
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    assert f"could not write {out}: the folder {out.parent} does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "missing").exists()


# -- odd content ----------------------------------------------------------------------------

def test_markup_and_control_characters_stay_text(tmp_path):
    root = make_archive(tmp_path / "a")
    evil = '<script>alert("x")</script> & <b>bold</b>'
    body = "The text of this paragraph is long enough to stay the same paragraph"
    add_versions(root, [("http://example.com/evil", f"Title {evil}\n\n{body}.\n", T0),
                        ("http://example.com/evil", f"Title {evil}\n\n{body} \x01{evil}.\n",
                         T0 + timedelta(hours=1))])
    for args in ((), ("--rss",)):
        doc = parse(feed(root, *args))
        entry = doc.entries[0]
        assert entry.title == f"Title {evil} — 1 paragraph changed"
        html = html5lib.parse(entry.content[0].value, namespaceHTMLElements=False)
        assert not list(html.iter("script")) and not list(html.iter("b"))
        inserted = "".join(html.find(".//ins").itertext())
        assert evil in inserted and "\x01" not in inserted  # not XML: replaced by U+FFFD


def test_removal_and_restoration(tmp_path):
    root = make_archive(tmp_path / "a")
    url = "http://example.com/gone"
    add_versions(root, [(url, "Here\n\nText.\n", T0), (url, None, T0 + timedelta(hours=3)),
                        (url, "Here\n\nText again.\n", T0 + timedelta(hours=9))])
    doc = parse(feed(root))
    assert [e.title for e in doc.entries] == ["Here — Restored", "Here — Removed"]


def test_empty_archive_gives_a_valid_empty_feed(tmp_path):
    root = make_archive(tmp_path / "a")
    for args in ((), ("--rss",)):
        doc = parse(feed(root, *args))
        assert doc.entries == [] and doc.feed.title


def test_render_feed_library_call(seed):
    repo = git.Repo(seed)
    views = latest_changes(repo, limit=5, paths=[SEED_PATH])
    assert [(v.a.number, v.b.number, v.gap_words) for v in views] == [(1, 2, "about 7 hours later")]
    data = render_feed(views, site_feed_spec("x"), updated=datetime(2020, 1, 1, tzinfo=UTC))
    assert parse(data).entries[0].title.endswith("1 paragraph changed")
    repo.close()


@pytest.mark.parametrize(("stats", "kw", "text"), [
    (DiffStats(headline_changed=True, words_added=1, words_removed=1), {}, "Headline changed"),
    (DiffStats(paragraphs_changed=2, words_added=3, words_removed=1), {}, "2 paragraphs changed"),
    (DiffStats(headline_changed=True, paragraphs_added=1, paragraphs_removed=3, words_added=9),
     {}, "Headline changed, 1 paragraph added, 3 paragraphs removed"),
    (DiffStats(words_added=1, words_removed=1), {}, "2 words changed"),
    (DiffStats(), {}, "No change in the text"),
    (DiffStats(paragraphs_removed=4), {"removed": True}, "Removed"),
    (DiffStats(paragraphs_added=4), {"restored": True}, "Restored"),
])
def test_change_summary(stats, kw, text):
    assert change_summary(stats, **kw) == text
