"""``gitnews add`` + ``gitnews run`` end to end, through a real loopback replay server
serving recorded real pages (tests/data/scenarios, copied from the team's shared
scenarios; see tests/data/scenarios/README.md)."""

from __future__ import annotations

import difflib

from conftest import DATA, git, init_test_archive, run_gitnews
from scenario_checks import assert_versions_consistent, load_json, run_steps, version_commits

SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
BBC_PATH = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"


def test_seed_guardian_one_word_one_version(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), "http://www.theguardian.com/society/rss",
                env=env, check=True)
    first = run_gitnews("run", "--archive", str(archive), env=env, check=True)
    assert "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0" in first.stdout
    commits = version_commits(archive)
    assert len(commits) == 1 and commits[0]["files"] == [SEED_PATH]
    t = commits[0]["trailers"]
    assert t["Article-Url"] == SEED_URL and t["Version"] == "1" and t["Http-Status"] == "200"
    assert t["Feed"] == "http://www.theguardian.com/society/rss"
    assert t["Extractor"].startswith("trafilatura ")
    assert commits[0]["message"].startswith(
        "New: Gaps remain in tackling child sexual exploitation, Ofsted finds\n")

    server.step(1)
    second = run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    assert "NEW 0, CHANGED 1, UNCHANGED 0, FAILED 0" in second.stdout
    commits = version_commits(archive)
    assert len(commits) == 2 and commits[1]["trailers"]["Version"] == "2"
    diff = git(archive, "diff", "--word-diff=porcelain", "HEAD~1", "HEAD", "--", SEED_PATH)
    removed = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert (removed, added) == (["operundi."], ["operandi."])

    server.step(2)
    third = run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    assert "NEW 0, CHANGED 0, UNCHANGED 1, FAILED 0" in third.stdout
    assert len(version_commits(archive)) == 2
    # The re-checks were conditional, and the unchanged page answered 304.
    last = [r for r in server.requests() if r["url"] == SEED_URL][-1]
    assert last["if-none-match"] and last["status"] == 304
    assert_versions_consistent(archive)
    assert git(archive, "status", "--porcelain") == ""
    text = (archive / SEED_PATH).read_text(encoding="utf-8")
    expected = load_json(DATA / "scenarios" / "seed-guardian" / "expected.json")
    assert text.split("\n\n")[1:] == [p + "\n" if i == len(expected["v2"]) - 1 else p
                                      for i, p in enumerate(expected["v2"])]


def test_bbc_2009_real_paragraphs_and_pound_sign(replay, tmp_path):
    archive = tmp_path / "archive"
    scenario = DATA / "scenarios" / "bbc-2009"
    runs = run_steps(replay, scenario, archive, [BBC_FEED], 2)
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    commits = version_commits(archive)
    paths = [c["files"][0] for c in commits]
    assert sorted(set(paths)) == ["news.bbc.co.uk/1/hi/england/bradford/6072486.txt", BBC_PATH]
    assert paths.count(BBC_PATH) == 2
    v1 = git(archive, "show", f"{commits[paths.index(BBC_PATH)]['sha']}:{BBC_PATH}")
    v2 = (archive / BBC_PATH).read_text(encoding="utf-8")
    assert "£" in v1 and "\ufffd" not in v1
    assert not any(line.startswith("|") for line in v1.splitlines())
    # Feed links were redirects: the story URL is the article, the link an alias.
    bbc = [c for c in commits if c["files"] == [BBC_PATH]]
    assert bbc[0]["trailers"]["Article-Url"] == "http://news.bbc.co.uk/1/hi/uk_politics/7984711.stm"
    assert bbc[0]["trailers"]["Fetched-Url"] == "http://news.bbc.co.uk/go/rss/-/1/hi/uk_politics/7984711.stm"
    # Version 2 only removes whole paragraphs.
    expected = load_json(scenario / "expected.json")
    ops = difflib.SequenceMatcher(a=v1.split("\n\n"), b=v2.split("\n\n"), autojunk=False).get_opcodes()
    changes = [(tag, v1.split("\n\n")[i1:i2], v2.split("\n\n")[j1:j2])
               for tag, i1, i2, j1, j2 in ops if tag != "equal"]
    assert all(tag == "delete" for tag, _, _ in changes)
    removed = [p for _, old, _ in changes for p in old]
    assert removed == expected["removed_paragraphs_in_step1"]
    assert_versions_consistent(archive)


def test_dry_run_commits_nothing(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), "--feed",
                "http://www.theguardian.com/society/rss", env=env, check=True)
    before = git(archive, "rev-parse", "HEAD")
    dry = run_gitnews("run", "--dry-run", "--archive", str(archive), env=env, check=True)
    assert "NEW 1" in dry.stdout
    assert git(archive, "rev-parse", "HEAD") == before
    real = run_gitnews("run", "--archive", str(archive), env=env, check=True)
    assert "NEW 1" in real.stdout


def test_failures_are_reported_per_item_and_exit_1(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), "--feed",
                "http://www.theguardian.com/society/rss", "http://missing.example/feed.xml",
                env=env, check=True)
    r = run_gitnews("run", "--archive", str(archive), env=env)
    assert r.returncode == 1
    assert "NEW 1" in r.stdout
    assert "FAILED feed http://missing.example/feed.xml: HTTP 404" in r.stderr
    assert len(version_commits(archive)) == 1


def test_run_never_creates_an_archive_and_env_variable_names_it(tmp_path):
    archive = tmp_path / "fresh"
    env = {"GITNEWS_ARCHIVE": str(archive), "PATH": "/usr/bin:/bin", "NO_COLOR": "1",
           "HOME": str(tmp_path)}
    import os
    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    r = run_gitnews("run", env={**os.environ, **env})
    assert r.returncode == 2 and f"no gitnews archive at {archive}" in r.stderr
    assert not archive.exists()
    run_gitnews("init", env={**os.environ, **env}, check=True)
    r = run_gitnews("run", env={**os.environ, **env})
    assert r.returncode == 0, r.stderr
    assert "Nothing tracked yet" in r.stderr
    assert (archive / "gitnews.toml").exists() and (archive / "README.md").exists()
    assert git(archive, "branch", "--show-current").strip() == "main"
    assert git(archive, "log", "--format=%s").strip() == "Start the gitnews archive"
    feeds = run_gitnews("feeds", env={**os.environ, **env})
    assert feeds.returncode == 0


def test_bad_config_is_a_usage_error(tmp_path):
    archive = tmp_path / "a"
    run_gitnews("init", "--archive", str(archive), check=True)
    (archive / "gitnews.toml").write_text("feeds = [\n", encoding="utf-8")
    r = run_gitnews("run", "--archive", str(archive))
    assert r.returncode == 2
    assert "gitnews.toml is not valid TOML" in r.stderr and "Traceback" not in r.stderr
