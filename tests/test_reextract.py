"""``gitnews reextract``: today's extractor and site rules on each article's latest capture
(gitnews.ops.reextract), on archives whose captures are written as the storage contract says
(tests/capture_fixtures.py) from real pages (tests/data/scenarios)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from capture_fixtures import BBC_URL, TESTS, add_captured_version, git, new_archive, page
from conftest import run_gitnews

T1 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
T2 = datetime(2006, 10, 22, 9, 0, tzinfo=UTC)
TAZ_URL = "http://taz.de/Siemens-und-die-Kohlemine-Adani/!5655255/"
TAZ = TESTS / "data" / "scenarios" / "comments-and-links" / "pages" / "taz.html"
GONE = "Mrs Wright, who ran a shop in Castleford market"
RULE = '''
[sites."bbc.co.uk"]
remove = ["//p[contains(., 'Mrs Wright, who ran')]"]
'''


def _versions(archive, path):
    return [line for line in git(archive, "log", "--format=%H", "--", path).splitlines() if line]


@pytest.fixture
def two_articles(tmp_path):
    archive = new_archive(tmp_path / "archive")
    bbc, _ = add_captured_version(archive, BBC_URL, T1, page("6072486-A.html"))
    add_captured_version(archive, BBC_URL, T2, page("6072486-B.html"), kinds=("body",))
    taz, _ = add_captured_version(archive, TAZ_URL, T1, TAZ.read_bytes())
    return archive, bbc, taz


def _add_rule(archive):
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8") + RULE, encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-q", "-am",
        "A site rule for the BBC")


def test_a_new_site_rule_gives_one_extraction_version_per_affected_article(two_articles):
    archive, bbc, taz = two_articles
    assert GONE in (archive / bbc).read_text()
    nothing = run_gitnews("reextract", "--archive", str(archive))
    assert nothing.returncode == 0, nothing.stderr
    assert "0 articles changed" in nothing.stdout and "2 unchanged" in nothing.stdout
    _add_rule(archive)
    head = git(archive, "rev-parse", "HEAD").strip()

    dry = run_gitnews("reextract", "--dry-run", "--archive", str(archive))
    assert dry.returncode == 0, dry.stderr
    assert f"-<font>{GONE}" not in dry.stdout  # a text diff, not HTML
    assert any(line.startswith("-" + GONE) for line in dry.stdout.splitlines())
    assert "1 article would change (extraction): 0 paragraphs gained, 1 lost" in dry.stdout
    assert git(archive, "rev-parse", "HEAD").strip() == head

    done = run_gitnews("reextract", "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    assert f"{bbc}: version 3 (extraction)" in done.stdout
    assert git(archive, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    message = git(archive, "log", "-1", "--format=%B")
    assert "Change-Kind: extraction" in message and "Version: 3" in message
    assert "Significance: minor (extraction only)" in message
    old = git(archive, "log", "-1", "--skip=1", "--format=%B", "--", bbc)
    for key in ("Page-Sha256", "Capture", "Fetched-At"):  # the same page, the same capture
        assert next(line for line in message.splitlines() if line.startswith(key)) == \
            next(line for line in old.splitlines() if line.startswith(key))
    assert GONE not in (archive / bbc).read_text()
    assert git(archive, "status", "--porcelain").strip() == ""
    assert len(_versions(archive, taz)) == 1
    # the cache knows the new version
    log = run_gitnews("log", bbc, "--archive", str(archive))
    assert "extraction change" in log.stdout

    again = run_gitnews("reextract", "--archive", str(archive))
    assert again.returncode == 0 and "0 articles changed" in again.stdout
    assert git(archive, "rev-list", "--count", f"{head}..HEAD").strip() == "1"


def test_articles_and_since_select_and_missing_captures_are_reported(two_articles):
    archive, bbc, taz = two_articles
    _add_rule(archive)
    only_taz = run_gitnews("reextract", TAZ_URL, "--dry-run", "--archive", str(archive))
    assert "0 articles would change" in only_taz.stdout and "1 unchanged" in only_taz.stdout
    later = run_gitnews("reextract", "--since", "2006-10-22", "--dry-run", "--archive", str(archive))
    assert "1 article would change" in later.stdout and "0 unchanged" in later.stdout
    # an outside edit of the BBC file: passed over, with the reason
    with (archive / bbc).open("a", encoding="utf-8") as f:
        f.write("\nEdited by hand.\n")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "By hand")
    edited = run_gitnews("reextract", "--dry-run", "--archive", str(archive))
    assert f"passed over {bbc}: the file holds an outside edit" in edited.stdout
    assert "0 articles would change" in edited.stdout and "1 passed over" in edited.stdout
    # the captures branch gone: each article fails with a clear line, exit 1, nothing written
    head = git(archive, "rev-parse", "HEAD").strip()
    git(archive, "update-ref", "-d", "refs/heads/gitnews/captures")
    git(archive, "reflog", "expire", "--expire=now", "--all")
    git(archive, "gc", "-q", "--prune=now")
    gone = run_gitnews("reextract", "--archive", str(archive))
    assert gone.returncode == 1
    assert f"failed {taz}: the capture" in gone.stdout and "missing" in gone.stdout
    assert "Traceback" not in gone.stderr
    assert git(archive, "rev-parse", "HEAD").strip() == head


def test_real_runs_then_a_remove_rule_then_reextract(replay, tmp_path):
    """Runs against the loopback replay server write the captures; a per-site rule added
    after the fact, then reextract: one extraction version for the affected article, none
    for the other, none on a second reextract; verify holds before and after."""
    from conftest import DATA
    from scenario_checks import run_steps

    archive = tmp_path / "archive"
    feed = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
    runs = run_steps(replay, DATA / "scenarios" / "bbc-2009", archive, [feed], 2)
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    story = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
    other = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"
    assert GONE in (archive / story).read_text()
    assert len(_versions(archive, other)) == 2
    pooled = dict(os.environ, GITNEWS_EXTRACT_PROCESSES="2")  # the worker pool's path too
    checked = run_gitnews("verify", "--archive", str(archive), env=pooled)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 texts reproduced byte for byte; 0 problems" in checked.stdout

    _add_rule(archive)
    head = git(archive, "rev-parse", "HEAD").strip()
    done = run_gitnews("reextract", "--archive", str(archive), env=pooled)
    assert done.returncode == 0, done.stderr
    assert "1 article changed (extraction)" in done.stdout and "1 unchanged" in done.stdout
    new = git(archive, "log", "--format=%H", f"{head}..HEAD").split()
    assert len(new) == 1
    assert git(archive, "show", "--name-only", "--format=", new[0]).split() == [story]
    assert "Change-Kind: extraction" in git(archive, "log", "-1", "--format=%B", new[0])
    assert GONE not in (archive / story).read_text()
    again = run_gitnews("reextract", "--archive", str(archive))
    assert "0 articles changed" in again.stdout
    assert git(archive, "rev-parse", "HEAD").strip() == new[0]
    checked = run_gitnews("verify", "--archive", str(archive))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "4 texts reproduced byte for byte; 0 problems" in checked.stdout


def test_a_run_after_a_rule_change_commits_the_extraction_apart_from_the_publishers_change(
        replay, tmp_path):
    """bbc-2009: after step 0, a remove rule for a paragraph the story keeps in both of its
    versions; the step 1 run (the page changed: two paragraphs gone) first re-extracts the
    old capture (an extraction version), then commits the publisher's change alone."""
    from conftest import DATA, init_test_archive

    scenario = DATA / "scenarios" / "bbc-2009"
    feed = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
    server = replay(scenario)
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    run_gitnews("add", "--archive", str(archive), feed, env=env, check=True)
    server.step(0)
    run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    story = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"
    kept = "Tory frontbencher Ken Clarke"
    assert kept in (archive / story).read_text()
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[sites."bbc.co.uk"]\nremove = '
                      f'["//p[contains(., \'{kept}\')]"]\n', encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "A rule")
    head = git(archive, "rev-parse", "HEAD").strip()
    server.step(1)
    done = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    assert done.returncode == 0, done.stderr
    new = git(archive, "log", "--reverse", "--format=%H", f"{head}..HEAD", "--", story).split()
    assert len(new) == 2, done.stdout
    first, second = (git(archive, "log", "-1", "--format=%B", c) for c in new)
    assert "Change-Kind: extraction" in first and "Version: 2" in first
    assert "Change-Kind: body" in second and "extraction" not in second
    # the extraction version is the old page read today; the next one only the publisher's edit
    diff = git(archive, "diff", new[0], new[1], "--", story)
    assert kept not in diff
    assert kept not in (archive / story).read_text()
    # nothing else: the unchanged story got no version (its page and text are the same)
    assert git(archive, "log", "--format=%H", f"{head}..HEAD").split() == new[::-1]
