"""``gitnews add`` / ``remove`` / ``feeds`` through the real CLI on real archives (issue 14):
hand edits of gitnews.toml, commands run where there is no archive, what ``add`` accepts,
and feed URL spellings.  Pages are real (tests/data/tracking/README.md), served by a
loopback server (tests/politeserver.py) as HTTP proxy."""

from __future__ import annotations

import os
import random
import tomllib

from conftest import DATA, git, init_test_archive, run_gitnews
from hypothesis import given, settings
from hypothesis import strategies as st
from politeserver import Reply

FEED = "http://www.theguardian.com/society/rss"
ARTICLE = ("http://www.theguardian.com/society/2016/sep/29/"
           "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED = DATA / "scenarios" / "seed-guardian"
HOMEPAGE = DATA / "tracking" / "christiandailyreporter-homepage.html"
LYNX_TEXT = DATA / "tracking" / "nytimes-homepage-lynx.txt"


def _head_config(archive) -> str:
    return git(archive, "show", "HEAD:gitnews.toml")


def _message(archive) -> str:
    return git(archive, "log", "-1", "--format=%B")


# -- bug 1: add/remove after a hand edit of gitnews.toml ----------------------------------------

def test_add_and_remove_commit_a_hand_edit_knowingly_and_files_index_head_agree(tmp_path):
    archive = init_test_archive(tmp_path / "a")
    toml = archive / "gitnews.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("timeout_s = 30.0",
                                                             "timeout_s = 20.0", 1),
                    encoding="utf-8")
    added = run_gitnews("add", "--feed", "--archive", str(archive), FEED)
    assert added.returncode == 0, added.stderr
    assert "FEED     " + FEED in added.stdout
    assert ("gitnews.toml had edits made by hand and not committed (fetch.timeout_s); they are "
            "committed with this change") in added.stderr
    # HEAD, the index and the file agree: git status is clean, and HEAD has both changes.
    assert git(archive, "status", "--porcelain") == ""
    head = _head_config(archive)
    assert head == toml.read_text(encoding="utf-8")
    config = tomllib.loads(head)
    assert config["feeds"] == [FEED] and config["fetch"]["timeout_s"] == 20.0
    message = _message(archive)
    assert message.startswith(f"Track {FEED}\n\n")
    assert "made by hand and not committed before (fetch.timeout_s)" in message
    feeds = run_gitnews("feeds", "--archive", str(archive))
    assert feeds.stdout == f"feed     {FEED}\n"

    toml.write_text(toml.read_text(encoding="utf-8").replace("concurrency = 8",
                                                             "concurrency = 4", 1),
                    encoding="utf-8")
    removed = run_gitnews("remove", "--archive", str(archive), FEED)
    assert removed.returncode == 0, removed.stderr
    assert "(fetch.concurrency, feeds)" not in removed.stderr  # feeds: the removal itself
    assert "(fetch.concurrency)" in removed.stderr
    assert git(archive, "status", "--porcelain") == ""
    config = tomllib.loads(_head_config(archive))
    assert config["feeds"] == [] and config["fetch"]["concurrency"] == 4
    assert _message(archive).startswith(f"Stop tracking {FEED}\n\n")


def test_a_broken_hand_edit_is_refused_with_its_line_and_nothing_committed(tmp_path):
    archive = init_test_archive(tmp_path / "a")
    toml = archive / "gitnews.toml"
    head = git(archive, "rev-parse", "HEAD")
    toml.write_text(toml.read_text(encoding="utf-8").replace("concurrency = 8",
                                                             "concurrency = 'eight'", 1),
                    encoding="utf-8")
    r = run_gitnews("add", "--feed", "--archive", str(archive), FEED)
    assert r.returncode == 2 and "fetch.concurrency" in r.stderr and "line" in r.stderr
    assert "Traceback" not in r.stderr
    assert git(archive, "rev-parse", "HEAD") == head


# -- bug 3: no command but init and add creates an archive ------------------------------------

def test_every_command_but_init_and_add_refuses_a_missing_archive_with_exit_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GITNEWS_ARCHIVE"}
    work = tmp_path / "cron-home"
    work.mkdir()
    (work / "crawl.warc.gz").write_bytes(b"")
    missing = work / "archive-repo"
    for args in (["run"], ["run", "--dry-run"], ["run", "--dry-run", "--show-text", ARTICLE],
                 ["run", "--watch"], ["feeds"], ["remove", FEED], ["list"], ["log", ARTICLE],
                 ["show", ARTICLE], ["diff", ARTICLE], ["import", "crawl.warc.gz"],
                 ["import", "--wayback", ARTICLE], ["feed"], ["site", "out"],
                 ["serve", "--port", "0"], ["push"], ["gc"], ["status"]):
        r = run_gitnews(*args, env=env, cwd=work)
        where = " ".join(args)
        assert r.returncode == 2, f"gitnews {where}: {r.returncode}\n{r.stdout}\n{r.stderr}"
        assert f"no gitnews archive at archive-repo ({missing})" in r.stderr, where
        assert "gitnews init --archive archive-repo" in r.stderr, where
        assert "Traceback" not in r.stderr, where
        assert not missing.exists(), f"gitnews {where} created {missing}"
    # The two that may: init, and add (as before).
    assert run_gitnews("add", "--feed", FEED, env=env, cwd=work).returncode == 0
    assert (missing / "gitnews.toml").exists()
    # Run inside the archive itself, the message points there.
    r = run_gitnews("run", env=env, cwd=missing)
    assert r.returncode == 2 and "the current folder is a gitnews archive: use `--archive .`" \
        in r.stderr


# -- bug 4: what add accepts --------------------------------------------------------------------

def _serve_real_pages(proxy) -> None:
    proxy.route(FEED, Reply(body=(SEED / "society-rss.xml").read_bytes(),
                            content_type="application/rss+xml"))
    proxy.route(ARTICLE, Reply(body=(SEED / "pages" / "gaps-remain-v1.html").read_bytes()))
    proxy.route("http://www.christiandailyreporter.com/", Reply(body=HOMEPAGE.read_bytes()))
    proxy.route("http://www.nytimes.com/lynx.txt", Reply(body=LYNX_TEXT.read_bytes(),
                                                         content_type="text/plain"))
    noise = random.Random(14).randbytes(200_000)
    proxy.route("http://files.example/blob", Reply(body=noise,
                                                   content_type="application/octet-stream"))
    proxy.route("http://files.example/blob-untyped", Reply(body=noise, content_type=""))


def test_add_says_what_each_url_is_and_refuses_what_is_none(polite_proxy, tmp_path):
    _serve_real_pages(polite_proxy)
    archive = init_test_archive(tmp_path / "a")
    r = run_gitnews("add", "--archive", str(archive), FEED, ARTICLE,
                    "http://www.christiandailyreporter.com/", "http://www.nytimes.com/lynx.txt",
                    "http://files.example/blob", "http://files.example/blob-untyped")
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"FEED     {FEED}: a feed with 1 entry\n" in r.stdout  # not "1 entries"
    assert (f"ARTICLE  {ARTICLE}: an article page: Gaps remain in tackling child sexual "
            "exploitation, Ofsted finds\n") in r.stdout
    failed = {line.split(": ", 1)[0].removeprefix("FAILED").strip(): line.split(": ", 1)[1]
              for line in r.stderr.splitlines() if line.startswith("FAILED")}
    assert set(failed) == {"http://www.christiandailyreporter.com/",
                           "http://www.nytimes.com/lynx.txt", "http://files.example/blob",
                           "http://files.example/blob-untyped"}
    assert "an index page" in failed["http://www.christiandailyreporter.com/"]
    assert "advertises no feeds" in failed["http://www.christiandailyreporter.com/"]
    assert "the server sends text/plain" in failed["http://www.nytimes.com/lynx.txt"]
    assert "application/octet-stream" in failed["http://files.example/blob"]
    for reason in failed.values():
        assert reason.startswith("not a feed, a page with feeds or an article page: ")
        assert reason.endswith("`gitnews add --article URL` tracks it anyway")
    config = tomllib.loads(_head_config(archive))
    assert config["feeds"] == [FEED] and config["articles"] == [ARTICLE]
    assert _message(archive).startswith("Track 2 URLs\n\n")
    assert f"Track: {FEED}\nTrack: {ARTICLE}\n" in _message(archive)
    # --article still forces an article, without fetching.
    forced = run_gitnews("add", "--article", "--archive", str(archive),
                         "http://www.christiandailyreporter.com/")
    assert forced.returncode == 0 and "ARTICLE " in forced.stdout
    assert tomllib.loads(_head_config(archive))["articles"][-1] == \
        "http://www.christiandailyreporter.com/"


def test_add_refuses_a_near_empty_page_and_a_link_list_at_any_path_and_finds_feeds_anywhere(
        polite_proxy, tmp_path):
    # Trial issue 4: the real link-list homepage at a section-like path (its link
    # blocks are pruned before extraction, which hid its links), a page that is only
    # <p>Hi</p>, and both with a <link rel=alternate> feed at an article-like path.
    home = HOMEPAGE.read_bytes()
    feed_link = b'<link rel="alternate" type="application/rss+xml" href="/cdr/feed.xml">'
    with_feed = home.replace(b"</head>", feed_link + b"\n</head>", 1)
    assert with_feed != home
    hi = b"<html><head><title>Hi</title></head><body><p>Hi</p></body></html>"
    hi_feed = hi.replace(b"</head>", feed_link + b"</head>")
    site = "http://www.christiandailyreporter.com"
    polite_proxy.route(f"{site}/world/europe/", Reply(body=home))
    polite_proxy.route(f"{site}/cdr-feed.html", Reply(body=with_feed))
    polite_proxy.route("http://hi.example/hi.html", Reply(body=hi))
    polite_proxy.route("http://hi.example/story/hi-feed.html", Reply(body=hi_feed))
    archive = init_test_archive(tmp_path / "a")
    r = run_gitnews("add", "--archive", str(archive), f"{site}/world/europe/",
                    "http://hi.example/hi.html", f"{site}/cdr-feed.html",
                    "http://hi.example/story/hi-feed.html")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ARTICLE" not in r.stdout, r.stdout
    failed = {line.split(": ", 1)[0].removeprefix("FAILED").strip(): line.split(": ", 1)[1]
              for line in r.stderr.splitlines() if line.startswith("FAILED")}
    assert set(failed) == {f"{site}/world/europe/", "http://hi.example/hi.html"}, r.stderr
    assert "an index page" in failed[f"{site}/world/europe/"]
    assert "almost no text (2 characters" in failed["http://hi.example/hi.html"]
    assert f"FEED     {site}/cdr-feed.html: a page with 1 feed: {site}/cdr/feed.xml\n" in r.stdout
    assert ("FEED     http://hi.example/story/hi-feed.html: a page with 1 feed: "
            "http://hi.example/cdr/feed.xml\n") in r.stdout
    config = tomllib.loads(_head_config(archive))
    assert config["articles"] == [] and config["feeds"] == [f"{site}/cdr/feed.xml",
                                                             "http://hi.example/cdr/feed.xml"]


def test_a_failed_robots_txt_at_add_does_not_promise_a_retry(polite_proxy, tmp_path):
    polite_proxy.route("http://flaky.example/robots.txt", Reply(500, b"oops\n",
                                                                content_type="text/plain"))
    archive = init_test_archive(tmp_path / "a", retries=0)
    head = git(archive, "rev-parse", "HEAD")
    r = run_gitnews("add", "--archive", str(archive), "http://flaky.example/feed.xml")
    assert r.returncode == 1
    assert "robots.txt" in r.stderr and "retried" not in r.stderr
    assert "nothing was added: try `gitnews add` again later" in r.stderr
    assert git(archive, "rev-parse", "HEAD") == head


# -- bug 7: one feed, whatever its spelling -----------------------------------------------------

def test_a_feed_is_tracked_once_whatever_its_spelling_and_removed_by_any(polite_proxy, tmp_path):
    _serve_real_pages(polite_proxy)
    archive = init_test_archive(tmp_path / "a")
    assert run_gitnews("add", "--archive", str(archive), FEED).returncode == 0
    head = git(archive, "rev-parse", "HEAD")
    served = len(polite_proxy.requests_to("www.theguardian.com", "/society/rss"))
    spellings = ["https://www.theguardian.com/society/rss", "http://theguardian.com/society/rss",
                 "http://www.theguardian.com/society/rss/", "HTTP://WWW.TheGuardian.com/society/rss"]
    r = run_gitnews("add", "--archive", str(archive), *spellings)
    assert r.returncode == 0, r.stderr
    for spelling in spellings:
        assert f"ALREADY  {spelling}: already tracked as a feed ({FEED})" in r.stdout
    assert "entries" not in r.stdout
    assert git(archive, "rev-parse", "HEAD") == head  # nothing committed
    assert len(polite_proxy.requests_to("www.theguardian.com", "/society/rss")) == served
    # Two spellings of one new feed in one call: tracked once.
    r = run_gitnews("add", "--feed", "--archive", str(archive), "http://feeds.example/a.xml",
                    "https://www.feeds.example/a.xml/")
    assert "ALREADY  https://www.feeds.example/a.xml/: already tracked as a feed " \
        "(http://feeds.example/a.xml)" in r.stdout
    assert tomllib.loads(_head_config(archive))["feeds"] == [FEED, "http://feeds.example/a.xml"]
    assert _message(archive).startswith("Track http://feeds.example/a.xml\n")
    # remove takes the spellings that log takes: no scheme, www, trailing slash.
    r = run_gitnews("remove", "--archive", str(archive), "theguardian.com/society/rss/",
                    "https://feeds.example/a.xml")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"removed: theguardian.com/society/rss/ (tracked as {FEED})" in r.stdout
    assert tomllib.loads(_head_config(archive))["feeds"] == []
    assert _message(archive).startswith("Stop tracking 2 URLs\n")
    r = run_gitnews("remove", "--archive", str(archive), FEED)
    assert r.returncode == 1 and f"not tracked: {FEED}" in r.stdout


def test_remove_takes_an_article_by_its_file_path_as_log_does(polite_proxy, tmp_path):
    _serve_real_pages(polite_proxy)
    archive = init_test_archive(tmp_path / "a")
    run_gitnews("add", "--article", "--archive", str(archive), ARTICLE, check=True)
    run_gitnews("run", "--archive", str(archive), check=True)
    path = "theguardian.com/society/2016/sep/29/gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt"
    assert run_gitnews("log", "--archive", str(archive), path).returncode == 0
    r = run_gitnews("remove", "--archive", str(archive), path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"removed: {path} (tracked as {ARTICLE})" in r.stdout
    assert tomllib.loads(_head_config(archive))["articles"] == []
    assert (archive / path).exists()  # the history stays


# -- pure functions -----------------------------------------------------------------------------

def test_link_text_share_tells_the_real_homepage_from_the_real_article():
    from gitnews.ops.classify import INDEX_LINK_SHARE, link_text_share
    from gitnews.pagetext.extract import extract_article

    home = HOMEPAGE.read_bytes()
    page = (SEED / "pages" / "gaps-remain-v1.html").read_bytes()
    # measured on the text extracted without the generic pruning, which removes the
    # homepage's link blocks (and so hid its links: 0.54 after pruning)
    assert link_text_share(home, extract_article(home, generic_pruning=False).paragraphs) \
        >= INDEX_LINK_SHARE
    assert link_text_share(page, extract_article(page, generic_pruning=False).paragraphs) < 0.2
    assert link_text_share(page, extract_article(page).paragraphs) < 0.2


_words = st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=8), min_size=1, max_size=6)


@given(linked=st.lists(_words, max_size=6), plain=st.lists(_words, max_size=6))
@settings(max_examples=60, deadline=None)
def test_link_text_share_counts_the_words_of_link_paragraphs(linked, plain):
    from gitnews.ops.classify import link_text_share

    if not linked and not plain:
        assert link_text_share(b"<html><body><a href='/'>x</a></body></html>", []) == 0.0
        return
    links = [" ".join(w) for w in linked]
    texts = [" ".join(w) for w in plain]
    body = ("<html><body>" + "".join(f"<p><a href='/x'>{t}</a></p>" for t in links)
            + "".join(f"<p>{t}</p>" for t in texts) + "</body></html>").encode()
    share = link_text_share(body, links + texts)
    assert 0.0 <= share <= 1.0
    total = sum(len(t.split()) for t in links + texts)
    minimum = sum(len(t.split()) for t in links) / total
    assert share >= minimum - 1e-9  # a paragraph that is a link always counts
    if not texts:
        assert share == 1.0
    if not links:
        assert share == 0.0


_keys = st.sampled_from(["feeds", "articles", "fetch.timeout_s", "fetch.contact",
                         "schedule.backoff", "site.url"])
_text = st.text(alphabet="ab c'\"\\é", max_size=5)
_values = st.one_of(st.integers(-5, 5), _text, st.lists(_text, max_size=2))


def _toml(data: dict) -> str:
    import tomlkit

    doc: dict = {}
    for key, value in sorted(data.items(), key=lambda kv: "." in kv[0]):  # top-level keys first
        *sections, name = key.split(".")
        table = doc
        for s in sections:
            table = table.setdefault(s, {})
        table[name] = value
    return tomlkit.dumps(doc)


@given(a=st.dictionaries(_keys, _values), b=st.dictionaries(_keys, _values))
@settings(max_examples=80, deadline=None)
def test_changed_keys_names_exactly_the_keys_that_differ(a, b):
    from gitnews.config import changed_keys

    old, new = _toml(a), _toml(b)
    assert changed_keys(old, old) == []
    assert changed_keys(old, "# a comment\n" + old) == []
    expected = sorted(k for k in set(a) | set(b) if a.get(k, object()) != b.get(k, object())
                      or k not in a or k not in b)
    assert changed_keys(old, new) == expected
    assert changed_keys(old, new) == changed_keys(new, old)


def test_changed_keys_of_invalid_toml_counts_it_as_empty():
    from gitnews.config import changed_keys

    assert changed_keys("feeds = [\n", 'feeds = ["http://a.example/f"]\n') == ["feeds"]


def test_a_feed_of_one_entry_is_described_in_the_singular():
    from gitnews.sources.feeds import parse_feed

    entries = parse_feed((SEED / "society-rss.xml").read_bytes(), url=FEED)
    assert entries.describe() == "1 entry"


def test_an_article_page_that_advertises_a_feed_is_an_article_a_section_front_gives_its_feed(
        polite_proxy, tmp_path):
    # The real 2006 BBC story page links its section's RSS feed (<link rel="alternate">).
    page = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()
    story = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
    section = "http://news.bbc.co.uk/"  # the same bytes at a front page's URL
    section_feed = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/england/bradford/rss.xml"
    polite_proxy.route(story, Reply(body=page, content_type="text/html"))
    polite_proxy.route(section, Reply(body=page, content_type="text/html"))
    archive = init_test_archive(tmp_path / "a")
    r = run_gitnews("add", "--archive", str(archive), story, section)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ARTICLE  {story}: an article page: Son-in-law remanded over killing\n" in r.stdout
    assert f"FEED     {section}: a page with 1 feed: {section_feed}\n" in r.stdout
    config = tomllib.loads(_head_config(archive))
    assert config["articles"] == [story] and config["feeds"] == [section_feed]
