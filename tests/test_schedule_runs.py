"""The schedule in real runs: due articles only, the 60-days-old article,
--max-articles / --max-time and the backlog (leftovers first next time).

The clock is injected (``gitnews.ops.run.run(now=...)``) where time must pass.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DATA, init_test_archive, run_gitnews
from politeserver import PoliteServer, Reply, rss

from gitnews.archive.repo import open_archive
from gitnews.ops.run import run
from gitnews.versions.schedule import describe_next_check

SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
SEED_FEED = "http://www.theguardian.com/society/rss"
PAGE = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()


def proxy_env(monkeypatch, url: str) -> None:
    for key in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("http_proxy", url)


def test_article_last_changed_60_days_ago_is_checked_by_run_all_only(replay, tmp_path,
                                                                     monkeypatch):
    server = replay(DATA / "scenarios" / "seed-guardian")
    proxy_env(monkeypatch, server.url)
    env = server.env()
    archive = init_test_archive(tmp_path / "a")
    run_gitnews("add", "--feed", "--archive", str(archive), SEED_FEED, env=env, check=True)
    sixty_days_ago = datetime.now(UTC) - timedelta(days=60)
    with open_archive(archive) as arc:
        first = run(arc, now=lambda: sixty_days_ago)
        assert [(i.outcome.value, i.path) for i in first.items if i.kind == "article"] == \
            [("NEW", SEED_PATH)]
        record = arc.state.get(SEED_PATH)
        assert record.last_changed.startswith(sixty_days_ago.strftime("%Y-%m-%d"))
        assert describe_next_check(record, datetime.now(UTC)) == \
            "It last changed over 40 days ago and won't be checked again for changes."
    asked = len([r for r in server.requests() if r["url"] == SEED_URL])
    assert asked == 1

    server.step(1)  # the article changes ("operundi" -> "operandi") ...
    r = run_gitnews("run", "--archive", str(archive), env=env, check=True)
    assert "NEW 0, CHANGED 0, UNCHANGED 0, FAILED 0" in r.stdout
    assert "1 article(s) not due" in r.stdout
    assert len([x for x in server.requests() if x["url"] == SEED_URL]) == asked  # not asked
    assert any(x["url"] == SEED_FEED for x in server.requests()[-3:])  # the feed was read

    r = run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    assert "NEW 0, CHANGED 1, UNCHANGED 0, FAILED 0" in r.stdout  # ... and --all sees it
    seed = [x for x in server.requests() if x["url"] == SEED_URL]
    assert len(seed) == asked + 1 and seed[-1]["if-none-match"]


@pytest.fixture
def server(monkeypatch):
    s = PoliteServer()
    proxy_env(monkeypatch, s.url)
    yield s
    s.close()


def test_only_due_articles_most_overdue_first_and_leftovers_first_next_time(server, tmp_path):
    archive = init_test_archive(tmp_path / "a")
    first = [f"http://a.test/{i}" for i in range(5)]
    server.route("http://feeds.test/feed.xml", Reply(body=rss(first),
                                                     content_type="application/rss+xml"))
    for link in first + ["http://a.test/new1", "http://a.test/new2"]:
        server.route(link, Reply(body=PAGE))
    run_gitnews("add", "--feed", "--archive", str(archive), "http://feeds.test/feed.xml",
                env=server.env(), check=True)
    t0 = datetime.now(UTC)

    def paths(result) -> list[str]:
        return sorted(i.path for i in result.items if i.kind == "article")  # completion order

    with open_archive(archive) as arc:
        r1 = run(arc, max_articles=2, now=lambda: t0)
        assert paths(r1) == ["a.test/0.txt", "a.test/1.txt"] and r1.left_over == 3
        # Later two new articles appear at the top of the feed; the three left
        # over (first seen earlier) are checked first.
        server.route("http://feeds.test/feed.xml", Reply(
            body=rss(["http://a.test/new1", "http://a.test/new2", *first]),
            content_type="application/rss+xml"))
        r2 = run(arc, max_articles=3, now=lambda: t0 + timedelta(minutes=15))
        assert paths(r2) == ["a.test/2.txt", "a.test/3.txt", "a.test/4.txt"]
        assert r2.left_over == 2
        # The articles of the first run are not due yet (30 minutes after their
        # first version); the new ones are.
        assert r2.not_due == 2
        r3 = run(arc, now=lambda: t0 + timedelta(minutes=20))
        assert paths(r3) == ["a.test/new1.txt", "a.test/new2.txt"]
        assert r3.not_due == 5 and r3.left_over == 0
        # 45 minutes on, the most overdue come first: 0 and 1 (due at t0+30m) before
        # 2, 3 and 4 (due at t0+45m).
        r4 = run(arc, max_articles=2, now=lambda: t0 + timedelta(minutes=46))
        assert paths(r4) == ["a.test/0.txt", "a.test/1.txt"]
        assert [i.outcome.value for i in r4.items if i.kind == "article"] == ["UNCHANGED"] * 2
        assert not arc.state.backlog()


def test_max_time_leaves_the_rest_for_the_next_run(server, tmp_path):
    archive = init_test_archive(tmp_path / "a", per_host=1)
    links = [f"http://slow.test/{i}" for i in range(8)]
    server.route("http://feeds.test/feed.xml", Reply(body=rss(links),
                                                     content_type="application/rss+xml"))
    for link in links:
        server.route(link, Reply(body=PAGE, delay_s=0.4))
    env = server.env()
    run_gitnews("add", "--feed", "--archive", str(archive), "http://feeds.test/feed.xml",
                env=env, check=True)
    r = run_gitnews("run", "--max-time", "1s", "--archive", str(archive), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    done = int(re.search(r"NEW (\d+), CHANGED", r.stdout).group(1))
    assert 1 <= done < 8
    assert f"{8 - done} due article(s) left for the next run" in r.stdout
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert f"NEW {8 - done}, CHANGED 0" in r.stdout, r.stdout + r.stderr
    bad = run_gitnews("run", "--max-time", "soon", "--archive", str(archive), env=env)
    assert bad.returncode == 2 and "'soon' is not a duration" in bad.stderr
