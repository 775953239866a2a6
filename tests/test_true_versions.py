"""One article, one history, only true versions: the scenarios `true-versions` and
`one-story-four-urls` (tests/data/scenarios, built by build_issue5.py from recorded real
pages), run with the real ``gitnews`` command through the loopback replay proxy."""

from __future__ import annotations

from conftest import DATA, git, init_test_archive, run_gitnews
from scenario_checks import assert_versions_consistent, version_commits

BBC_URL = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
BBC_PATH = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
ARS_FEED = "http://feeds.arstechnica.com/arstechnica/index"
ARS_URL = ("http://arstechnica.com/gadgets/2024/10/"
           "ward-christensen-bbs-inventor-and-architect-of-our-online-age-dies-at-age-78/")
ARS_MOVED = "http://arstechnica.com/gadgets/2024/10/ward-christensen-bbs-inventor-dies-at-age-78/"
ARS_PATH = ("arstechnica.com/gadgets/2024/10/"
            "ward-christensen-bbs-inventor-and-architect-of-our-online-age-dies-at-age-78.txt")


def _run(archive, env, *extra):
    r = run_gitnews("run", "--archive", str(archive), "--no-progress", *extra, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _summary(stdout: str) -> str:
    return [line for line in stdout.splitlines() if line.startswith("NEW ")][-1]


def test_true_versions(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "true-versions")
    env = server.env()
    # Steps are hours apart in the story but seconds apart here: each step's run
    # is `--all`, which re-checks whatever the schedule says.
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), "--article", BBC_URL, env=env, check=True)

    def step(n, *extra):
        server.step(n)
        return _run(archive, env, "--all", *extra)

    assert _summary(step(0)).startswith("NEW 1, CHANGED 0")
    v1 = (archive / BBC_PATH).read_text(encoding="utf-8")
    assert "-----" not in v1 and "Last Updated" not in v1 and "FEATURES" not in v1
    assert v1.startswith("Son-in-law remanded over killing\n\nThe son-in-law of a 73-year-old")

    # 1: only boilerplate differs (update time, sidebar links, NBSP, soft hyphen): no version
    assert _summary(step(1)).startswith("NEW 0, CHANGED 0, UNCHANGED 1")
    # 2: a teaser is held; 3: the full text is back: the teaser leaves no trace
    out = step(2)
    assert "HELD 1" in _summary(out) and "suspicious change" in out
    assert _summary(step(3)).startswith("NEW 0, CHANGED 0, UNCHANGED 1")
    assert len(version_commits(archive)) == 1
    assert "Subscribe" not in git(archive, "log", "-p", "--", BBC_PATH)

    # 4: a real edit; 5: it is reverted
    assert "CHANGED 1" in _summary(step(4))
    assert "CHANGED 1" in _summary(step(5))
    commits = version_commits(archive)
    assert commits[1]["trailers"]["Change-Kind"] == "body"
    assert commits[2]["trailers"]["Reverts-To"] == "1"
    assert commits[2]["trailers"]["Change-Kind"] == "body, revert"
    assert commits[2]["message"].startswith("Reverted: Son-in-law remanded over killing\n")

    # 6: 410: held at first; a quick re-check (not due by the schedule) removes nothing;
    # a later --all run commits the removal
    assert "HELD 1" in _summary(step(6))
    assert "REMOVED" not in _summary(_run(archive, env))
    assert "REMOVED 1" in _summary(_run(archive, env, "--all"))
    assert not (archive / BBC_PATH).exists()
    removal = version_commits(archive)[-1]
    assert removal["message"].startswith("Removed: Son-in-law remanded over killing\n")
    assert {k: removal["trailers"].get(k) for k in ("Version", "Http-Status", "Change-Kind")} \
        == {"Version": "4", "Http-Status": "410", "Change-Kind": "removed"}
    assert git(archive, "show", f"{removal['sha']}^:{BBC_PATH}") == v1  # the last text is kept
    shown = run_gitnews("show", "--archive", str(archive), "https://www.news.bbc.co.uk/1/hi/"
                        "england/bradford/6072486.stm/", env=env)  # any alias names it
    assert shown.returncode == 0 and shown.stdout == v1, shown.stderr
    assert "removed in version 4; showing version 3" in shown.stderr

    # 7: the story is back; 8: Monday again (second revert); 9: Friday again: only counted
    assert "CHANGED 1" in _summary(step(7))
    assert version_commits(archive)[-1]["trailers"]["Change-Kind"] == "restored"
    assert "CHANGED 1" in _summary(step(8))
    assert version_commits(archive)[-1]["trailers"]["Reverts-To"] == "2"
    out = step(9)
    assert _summary(out).startswith("NEW 0, CHANGED 0, UNCHANGED 1")
    assert "alternating: back to the text of version 5" in out
    assert len(version_commits(archive)) == 6
    log = run_gitnews("log", "--archive", str(archive), BBC_URL, env=env)
    assert "The article is alternating between texts it already had: 2 reverts committed, " \
        "then 1 more return counted" in log.stdout, log.stdout + log.stderr
    assert "back to version 1" in log.stdout and "removed from the archive" in log.stdout
    assert _summary(step(10)).startswith("NEW 0, CHANGED 0, UNCHANGED 1")  # B, the current text

    # Filters changed in gitnews.toml: the same page bytes now give another text, which is
    # an extraction change, not an edit (the page is fetched in full despite its ETag).
    toml = archive / "gitnews.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        '[filters.hosts]\n', '[filters.hosts]\n"bbc.co.uk" = ["Mrs Wright, who ran a shop .*"]\n'),
        encoding="utf-8")
    preview = run_gitnews("run", "--archive", str(archive), "--dry-run", "--show-text", BBC_URL,
                          env=env)
    assert preview.returncode == 0, preview.stderr
    assert preview.stdout.startswith("Son-in-law remanded over killing\n\n")
    assert "Mrs Wright" not in preview.stdout and "on Monday." in preview.stdout
    assert "[gitnews.toml [filters.hosts] bbc.co.uk: Mrs Wright, who ran a shop .*]" in preview.stderr
    assert "[bbc sidebar labels] Site Version" not in preview.stderr  # not on this 2006 page
    assert "[date stamp] Last Updated: Saturday, 21 October 2006" in preview.stderr
    assert len(version_commits(archive)) == 6  # the preview wrote nothing
    out = _run(archive, env, "--all")
    last = version_commits(archive)[-1]
    assert last["trailers"]["Change-Kind"] == "extraction" and last["trailers"]["Version"] == "7"
    assert last["trailers"]["Page-Sha256"] == version_commits(archive)[-2]["trailers"]["Page-Sha256"]
    assert_versions_consistent(archive)
    assert git(archive, "status", "--porcelain", "--", BBC_PATH) == ""


def test_one_story_through_four_urls(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "one-story-four-urls")
    env = server.env()
    init_test_archive(archive)
    run_gitnews("add", "--archive", str(archive), "--feed", ARS_FEED, env=env, check=True)
    outs = []
    for n in range(4):
        server.step(n)
        outs.append(_run(archive, env, "--all"))
    commits = version_commits(archive)
    # one file, two versions: the first, and the headline edit that came with the new slug
    assert [c["files"] for c in commits] == [[ARS_PATH], [ARS_PATH]]
    assert [_summary(o).split(" (")[0] for o in outs] == [
        "NEW 1, CHANGED 0, UNCHANGED 0, FAILED 0",   # short link with utm_*, 301
        "NEW 0, CHANGED 0, UNCHANGED 1, FAILED 0",   # AMP URL on www.: known without a fetch
        "NEW 0, CHANGED 0, UNCHANGED 2, FAILED 0",   # other path, rel=canonical -> the story
        "NEW 0, CHANGED 1, UNCHANGED 1, FAILED 0"]   # edited slug, old URL redirecting
    first, second = (c["trailers"] for c in commits)
    assert first["Article-Url"] == ARS_URL
    assert first["Fetched-Url"] == "http://arstechnica.com/?p=648287&utm_source=rss&utm_medium=rss"
    assert second["Article-Url"] == ARS_MOVED and second["Change-Kind"] == "headline"
    assert (archive / ARS_PATH).read_text(encoding="utf-8").startswith(
        "Ward Christensen, inventor of the BBS, dies at age 78\n")
    # every URL the story was seen under names the one file
    from gitnews.archive.repo import open_archive

    with open_archive(archive) as arc:
        for url in ["http://arstechnica.com/?p=648287", ARS_URL, ARS_MOVED,
                    "https://www.arstechnica.com/gadgets/2024/10/ward-christensen-bbs-inventor-"
                    "and-architect-of-our-online-age-dies-at-age-78/amp/?utm_campaign=x",
                    "http://arstechnica.com/tech-policy/2024/10/ward-christensen-bbs-inventor-"
                    "and-architect-of-our-online-age-dies-at-age-78/"]:
            assert arc.state.lookup(url).path == ARS_PATH, url

    # 4: taken down, every URL redirects to the front page: a soft 404, removed on --all
    server.step(4)
    assert "HELD 1" in _summary(_run(archive, env, "--all"))
    assert "REMOVED 1" in _summary(_run(archive, env, "--all"))
    removal = version_commits(archive)[-1]
    assert removal["files"] == [ARS_PATH] and removal["trailers"]["Version"] == "3"
    assert removal["trailers"]["Change-Kind"] == "removed"
    assert "redirects to http://arstechnica.com/" in removal["message"]
    assert git(archive, "show", f"{removal['sha']}^:{ARS_PATH}").startswith(
        "Ward Christensen, inventor of the BBS")
    assert_versions_consistent(archive)
