"""Front pages as sources (issue 18): story lists of the real Christian Daily Reporter
homepages, a bbc.com front whose headlines change as in the real BBC homepage histories
(tests/data/fronts/README.md), the fronts/ files and commits, through ``gitnews add --front``
and ``gitnews run`` with a loopback proxy (tests/politeserver.py)."""

from __future__ import annotations

import html
import json
import tomllib

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from hypothesis import given
from hypothesis import strategies as st
from politeserver import Reply

from gitnews.errors import ConfigError, FeedError
from gitnews.format.fronts import (
    SEPARATOR,
    FrontLine,
    front_changes,
    front_message,
    front_path,
    is_front_path,
    parse_front_text,
)
from gitnews.format.trailers import parse_trailers
from gitnews.sources.fronts import Front, Story, looks_like_article, parse_front

FRONTS = DATA / "fronts"
CDR = [FRONTS / f"christiandailyreporter-index_{stamp}.html"
       for stamp in ("20180527T060003-0500", "20180720T082415-0500", "20180913T152237-0500")]
CDR_URL = "https://www.christiandailyreporter.com/"
BBC = json.loads((FRONTS / "bbc_headline_changes_subset.json").read_text(encoding="utf-8"))


def test_the_christiandailyreporter_homepages_give_their_story_lists_in_page_order():
    fronts = [parse_front(p.read_bytes(), url=CDR_URL) for p in CDR]
    assert [len(f.stories) for f in fronts] == [30, 38, 43]
    first = fronts[0].stories[0]
    assert first == Story(1, "IRELAND LEGALIZES ABORTION",
                          "https://www.lifesitenews.com/news/breaking-ireland-votes-to-legalize-"
                          "abortion")
    # Two headlines of one story (the same link) are two lines; one article entry.
    pence = [s for s in fronts[0].stories if "cbn.com" in s.url]
    assert [s.position for s in pence] == [5, 6]
    assert len(fronts[0].entries()) == 29
    assert fronts[0].entries()[0].title == "IRELAND LEGALIZES ABORTION"
    # The site's own header link (its root) and the images are not stories.
    for f in fronts:
        assert all("christiandailyreporter.com" not in s.url for s in f.stories)
        assert all(not s.url.endswith(".jpg") for s in f.stories)
    text = fronts[1].text()
    assert text.splitlines()[0] == ("'Theybies'...God Help Us" + SEPARATOR + "https://www.newsmax"
                                    ".com/newsfront/parents-transgender-gender-dysphoria/2018/07/"
                                    "19/id/872777/")
    assert [FrontLine(s.position, s.headline, s.url) for s in fronts[1].stories] == \
        parse_front_text(text)


def test_the_changes_between_two_real_versions_are_counted_by_url():
    old, new = (parse_front(p.read_bytes(), url=CDR_URL).text() for p in CDR[:2])
    counts, lines = front_changes(parse_front_text(old), parse_front_text(new))
    assert counts["added"] == 38 and counts["removed"] == 29 and counts["headlines"] == 0
    assert lines[0].startswith("Added at 1: 'Theybies'...God Help Us (https://www.newsmax.com/")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.bbc.com/news/world-europe-66954233", True),
    ("https://www.bentonvillebulletin.com/p/the-pastrami-wagon-rolls-into-downtown", True),
    ("http://127.0.0.1:8080/news/world-europe-66954233", True),
    ("https://www.bbc.com/sport", False),
    ("https://www.bbc.com/", False),
    ("https://example.com/tag/politics-and-more-things", False),
    ("https://example.com/login", False),
    ("https://i.imgur.com/A5kBunf-2018-pic.jpg", False),
    ("mailto:desk@example.com", False),
])
def test_which_links_look_like_articles(url, expected):
    assert looks_like_article(url) is expected


def test_a_link_to_the_front_itself_is_not_a_story():
    front = "https://www.bbc.com/news/world-66954233"
    assert not looks_like_article(front + "/", front_url=front)


def test_a_page_without_stories_and_a_bad_selector_are_clear_errors():
    with pytest.raises(FeedError, match="no link on it looks like an article URL"):
        parse_front(b"<html><body><a href='/about'>About</a></body></html>",
                    url="https://e.test/")
    with pytest.raises(FeedError, match="the selector matched no story block"):
        parse_front(CDR[0].read_bytes(), url=CDR_URL, selector="article.nothing")


def test_a_front_selector_in_sites_is_checked_when_gitnews_toml_is_read():
    from gitnews.config import parse_config

    config = parse_config('[sites."bbc.com"]\nfront = "div.story"\n')
    assert config.sites["bbc.com"]["front"] == "div.story"
    with pytest.raises(ConfigError, match=r'sites."bbc.com".front: .* not a valid CSS selector'):
        parse_config('[sites."bbc.com"]\nfront = "div[["\n')


def test_front_paths_are_under_fronts_and_not_article_paths():
    assert front_path("https://www.bbc.com/") == "fronts/bbc.com/index.txt"
    assert front_path("https://www.bbc.com/news/world") == "fronts/bbc.com/news/world.txt"
    assert is_front_path("fronts/bbc.com/index.txt")
    assert not is_front_path("bbc.com/news/world-66954233.txt")


_headline = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
                    max_size=40).map(lambda t: " ".join(t.split())).filter(bool)


@given(st.lists(st.tuples(_headline, st.integers(1, 10**6)), max_size=20))
def test_a_front_file_reads_back_as_written(items):
    front = Front(source="https://e.test/", url="https://e.test/")
    for headline, n in items:
        front.stories.append(Story(len(front.stories) + 1, headline,
                                   f"https://e.test/news/story-{n}"))
    assert [(s.position, s.headline, s.url) for s in front.stories] == \
        [(s.position, s.headline, s.url) for s in parse_front_text(front.text())]


# -- a BBC front through gitnews run ----------------------------------------------------------------

def _bbc_front(state: int) -> bytes:
    """bbc.com's homepage at ``state`` (0, 1, 2): each story with the headline it had then."""
    blocks = []
    for href, titles in BBC.items():
        title = titles[min(state, len(titles) - 1)]["title"]
        blocks.append(f'<div class="story"><a href="{href}"><h3>{html.escape(title)}</h3></a>'
                      f'<a href="/news/topics/c1">{html.escape(titles[0]["tag"])}</a></div>')
    nav = '<nav><a href="/">Home</a><a href="/news">News</a><a href="/sport">Sport</a></nav>'
    return (f"<!DOCTYPE html><html><head><title>BBC Home</title></head><body>{nav}"
            + "".join(blocks) + "</body></html>").encode()


def test_a_bbc_front_records_headline_changes_with_positions_and_tracks_its_stories(
        polite_proxy, tmp_path):
    home = "http://www.bbc.com/"
    # add and a dry run read state 0; the three runs read states 0, 1, 2.
    polite_proxy.route(home, *(Reply(body=_bbc_front(i)) for i in (0, 0, 0, 1, 2)))
    archive = init_test_archive(tmp_path / "a", retries=0)
    env = polite_proxy.env()
    added = run_gitnews("add", "--front", "--archive", str(archive), home, env=env)
    assert added.returncode == 0, added.stderr
    assert ("FRONT    http://www.bbc.com/: a front with 5 stories (5 articles); first: Senator "
            "Dianne Feinstein dies aged 90") in added.stdout
    assert tomllib.loads(git(archive, "show", "HEAD:gitnews.toml"))["fronts"] == [home]
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + '\n[sites."bbc.com"]\nfront = "div.story"\n', encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "front")
    # add reads state 0 and so does a dry run: the first list would be committed.
    dry = run_gitnews("run", "--dry-run", "--archive", str(archive), env=env)
    assert ("READ    front http://www.bbc.com/: a front with 5 stories (5 articles); would "
            "commit fronts/bbc.com/index.txt: Front: bbc.com/index (5 stories)") in dry.stdout
    for _ in range(3):
        out = run_gitnews("run", "--all", "--archive", str(archive), env=env)
        assert "FAILED   front" not in out.stderr, out.stderr
    path = "fronts/bbc.com/index.txt"
    subjects = git(archive, "log", "--format=%s", "--", path).splitlines()
    assert subjects == [
        "Front changed: bbc.com/index (4 headlines changed)",
        "Front changed: bbc.com/index (5 headlines changed)",
        "Front: bbc.com/index (5 stories)"]
    last = git(archive, "log", "-1", "--format=%B", "--", path)
    assert ("Headline changed at 2: Man arrested in connection with Tupac murder - reports -> "
            "Man charged over murder of rapper Tupac (http://www.bbc.com/news/"
            "entertainment-arts-66965766)") in last
    trailers = dict(parse_trailers(last))
    assert trailers["Front-Url"] == home and trailers["Stories"] == "5"
    assert "Article-Url" not in trailers and "Version" not in trailers
    lines = git(archive, "show", f"HEAD:{path}").splitlines()
    assert lines[0] == ("'Pioneering' Senator Dianne Feinstein dies aged 90" + SEPARATOR
                        + "http://www.bbc.com/news/world-us-canada-66963341")
    # The stories were tracked (asked for) as feed entries; the front is no article.
    assert polite_proxy.requests_to(path="/news/health-66946336")
    assert polite_proxy.requests_to(path="/news/topics/c1") == []
    listing = run_gitnews("list", "--archive", str(archive), env=env)
    assert "fronts/" not in listing.stdout and "bbc.com/index" not in listing.stdout


def test_front_message_of_a_first_list_and_a_change():
    from datetime import UTC, datetime

    when = datetime(2023, 9, 29, 13, 24, 53, tzinfo=UTC)
    new = "B" + SEPARATOR + "https://e.test/b-story-1\n"
    first = front_message(url="https://e.test/", path="fronts/e.test/index.txt", old_text=None,
                          new_text=new, fetched_at=when)
    assert first.splitlines()[0] == "Front: e.test/index (1 story)"
    assert dict(parse_trailers(first))["Fetched-At"] == "2023-09-29T13:24:53Z"
    old = "A" + SEPARATOR + "https://e.test/b-story-1\n"
    change = front_message(url="https://e.test/", path="fronts/e.test/index.txt", old_text=old,
                           new_text=new, fetched_at=when)
    assert change.split("\n\n")[1] == "Headline changed at 1: A -> B (https://e.test/b-story-1)"


def test_the_three_real_christiandailyreporter_versions_make_three_front_commits_and_filters_apply(
        polite_proxy, tmp_path):
    home = "http://www.christiandailyreporter.com/"
    polite_proxy.route(home, *(Reply(body=p.read_bytes()) for p in CDR))
    archive = init_test_archive(tmp_path / "a", retries=0)
    config = archive / "gitnews.toml"
    # Its stories link to other sites (https, not served here): the filter keeps none of
    # them, and the front's own list is still versioned.
    config.write_text(config.read_text(encoding="utf-8").replace(
        "articles = []", f'articles = []\nfronts = ["{home}"]', 1)
        + f'\n[sources."{home}"]\nexclude = ["re:."]\n', encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "front")
    env = polite_proxy.env()
    path = "fronts/christiandailyreporter.com/index.txt"
    for _ in CDR:
        out = run_gitnews("run", "--all", "--archive", str(archive), env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        # the summary counts the front's commit (not "committed 0 versions" alone)
        assert f"FRONT     {path}" in out.stdout
        assert "(committed 0 versions and 1 front page)" in out.stdout, out.stdout
    subjects = git(archive, "log", "--format=%s", "--", path).splitlines()
    assert subjects == [
        "Front changed: christiandailyreporter.com/index (40 added, 38 removed)",
        "Front changed: christiandailyreporter.com/index (38 added, 29 removed)",
        "Front: christiandailyreporter.com/index (30 stories)"]
    assert git(archive, "show", f"HEAD:{path}") == parse_front(CDR[2].read_bytes(),
                                                               url=home).text()
    assert git(archive, "status", "--porcelain") == ""  # the file is checked out as committed
    status = run_gitnews("status", "--archive", str(archive), env=env)
    assert status.returncode == 0, status.stderr
    # Only the front was asked for: no story page was requested.
    assert {r["host"] for r in polite_proxy.requests_to()} == {"www.christiandailyreporter.com"}


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.integers(1, 6)), max_size=8),
       st.lists(st.tuples(st.sampled_from("abcde"), st.integers(1, 6)), max_size=8))
def test_front_changes_count_urls_added_removed_and_headlines_changed(old, new):
    def lines(items):
        out = []
        for headline, n in items:
            out.append(FrontLine(len(out) + 1, headline, f"https://e.test/story-{n}"))
        return out

    before, after = lines(old), lines(new)
    counts, changes = front_changes(before, after)
    old_urls, new_urls = {s.url for s in before}, {s.url for s in after}
    assert counts["added"] == len(new_urls - old_urls)
    assert counts["removed"] == len(old_urls - new_urls)
    first_old = {s.url: s.headline for s in reversed(before)}
    first_new = {s.url: s.headline for s in reversed(after)}
    assert counts["headlines"] == sum(1 for u in old_urls & new_urls
                                      if first_old[u] != first_new[u])
    assert len(changes) == counts["added"] + counts["removed"] + counts["headlines"]
