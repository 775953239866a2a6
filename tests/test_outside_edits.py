"""Versions are the commits gitnews made (issue 13, item 7): an article file edited and
committed with plain git is an *outside edit* — shown by ``gitnews log``, never numbered or
counted, never a change on the site or in the feeds — and the next check fetches the page
in full (no validators, even where the server would answer 304) and commits the page's text
when it differs from the file, with ``Change-Kind: outside-edit``.

End to end: the real CLI, real git, real recorded pages (tests/data/scenarios) replayed on
loopback."""

from __future__ import annotations

import json
import re
from datetime import UTC
from pathlib import Path

from conftest import DATA, git, init_test_archive, run_gitnews
from hypothesis import given
from hypothesis import strategies as st
from scenario_checks import assert_versions_consistent, version_commits

from gitnews.archive.history import is_version
from gitnews.format.trailers import TRAILER_KEYS, format_message, parse_trailers
from gitnews.output.sitelayout import article_page, diff_page

SEED_FEED = "http://www.theguardian.com/society/rss"
SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
BBC_PATHS = ("news.bbc.co.uk/1/hi/england/bradford/6072486.txt",
             "news.bbc.co.uk/1/hi/uk_politics/7984711.txt")


def _gitnews(archive: Path, env: dict, *args: str, check: bool = True):
    return run_gitnews(*args, "--archive", str(archive), env=env, check=check)


def _hand_commit(archive: Path, message: str) -> str:
    """Commit every change of the working tree with plain git; the new commit's id."""
    git(archive, "add", "-A")
    git(archive, "-c", "user.name=An Editor", "-c", "user.email=editor@example.com",
        "commit", "-q", "-m", message)
    return git(archive, "rev-parse", "HEAD").strip()


def _log_json(archive: Path, env: dict, article: str) -> dict:
    return json.loads(_gitnews(archive, env, "log", article, "--json").stdout)


def _requests(server, url: str) -> list[dict]:
    return [r for r in server.requests() if r["url"] == url]


def _seed_archive(replay, tmp_path: Path):
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    _gitnews(archive, env, "add", SEED_FEED)
    first = _gitnews(archive, env, "run")
    assert "NEW 1, CHANGED 0" in first.stdout
    return server, env, archive


def test_hand_edit_is_no_version_and_the_next_check_replaces_it(replay, tmp_path):
    server, env, archive = _seed_archive(replay, tmp_path)
    v1 = (archive / SEED_PATH).read_text(encoding="utf-8")
    assert "operundi" in v1
    (archive / SEED_PATH).write_text(
        v1.replace("Gaps remain", "HAND-MADE headline: gaps remain", 1)
        .replace("operundi", "operundi [edited by hand]"), encoding="utf-8")
    hand = _hand_commit(archive, "Fix the article by hand")

    # log: the outside edit is shown and labelled, never numbered or counted.
    log = _gitnews(archive, env, "log", SEED_URL).stdout
    assert "The article has changed 0 times (1 version)" in log
    assert "1 outside edit" in log
    assert "The file holds an outside edit" in log
    row = next(line for line in log.splitlines() if hand[:12] in line)
    assert row.split()[0] == "-" and "outside edit" in row and "Fix the article by hand" in row
    assert "HAND-MADE" not in log.splitlines()[0]  # the headline is the version's
    doc = _log_json(archive, env, SEED_URL)
    assert [v["version"] for v in doc["versions"]] == [1]
    assert doc["article"]["versions"] == 1 and doc["article"]["changes"] == 0
    assert doc["article"]["outside_edit"] is True
    assert doc["article"]["headline"].startswith("Gaps remain")
    assert [(e["commit"], e["after_version"], e["removed"], e["subject"])
            for e in doc["outside_edits"]] == [(hand, 1, False, "Fix the article by hand")]

    # list: one version; the article has not changed.
    listing = _gitnews(archive, env, "list").stdout.splitlines()
    assert listing[1].split()[0] == "1"
    assert _gitnews(archive, env, "list", "--changed").stdout == ""
    listed = json.loads(_gitnews(archive, env, "list", "--json").stdout)["articles"]
    assert [(a["versions"], a["changes"], a["outside_edit"]) for a in listed] == [(1, 0, True)]

    # site and feed: no change to show.
    site = tmp_path / "site"
    _gitnews(archive, env, "site", str(site))
    page = (site / article_page(SEED_PATH)).read_text(encoding="utf-8")
    assert "has not changed since it was first seen" in page and "HAND-MADE" not in page
    assert not (site / diff_page(SEED_PATH, 1, 2)).exists()
    feed = _gitnews(archive, env, "feed").stdout
    assert "<entry>" not in feed and "edited by hand" not in feed

    # The next check: in full, without validators, although the unchanged page would be a 304.
    asked = len(_requests(server, SEED_URL))
    run = _gitnews(archive, env, "run", "--all")
    assert "NEW 0, CHANGED 0, UNCHANGED 0, FAILED 0, RESTORED 1 (committed 1 version)" \
        in run.stdout, run.stdout
    check = _requests(server, SEED_URL)[asked:]
    assert [(r["status"], r["if-none-match"], r["if-modified-since"]) for r in check] == \
        [(200, None, None)]
    assert (archive / SEED_PATH).read_text(encoding="utf-8") == v1
    newest = version_commits(archive)[-1]["trailers"]
    assert newest["Version"] == "2" and newest["Change-Kind"] == "outside-edit"
    assert_versions_consistent(archive)
    doc = _log_json(archive, env, SEED_URL)
    assert [v["version"] for v in doc["versions"]] == [1, 2]
    assert doc["versions"][1]["stats"]["words_added"] == 0  # compared with version 1
    assert doc["article"]["outside_edit"] is False and len(doc["outside_edits"]) == 1
    # Version 2 has version 1's text: no change (issue 3 of the trial), not counted.
    log = _gitnews(archive, env, "log", SEED_URL).stdout
    assert "restores the text after an outside edit (not counted)" in log
    assert "The article has changed 0 times (1 version, and 1 that only restores" in log

    # Validators are used again from now on: the next check is a 304.
    _gitnews(archive, env, "run", "--all")
    last = _requests(server, SEED_URL)[-1]
    assert last["if-none-match"] and last["status"] == 304


def test_hand_edit_equal_to_the_page_commits_nothing(replay, tmp_path):
    server, env, archive = _seed_archive(replay, tmp_path)
    # The editor anticipates the publisher's fix (version 2 of the scenario).
    v1 = (archive / SEED_PATH).read_text(encoding="utf-8")
    (archive / SEED_PATH).write_text(v1.replace("operundi", "operandi"), encoding="utf-8")
    _hand_commit(archive, "operundi -> operandi")
    head = git(archive, "rev-parse", "HEAD")
    server.step(1)
    run = _gitnews(archive, env, "run", "--all")
    assert "NEW 0, CHANGED 0, UNCHANGED 1, FAILED 0" in run.stdout, run.stdout
    last = _requests(server, SEED_URL)[-1]
    assert (last["status"], last["if-none-match"], last["if-modified-since"]) == (200, None, None)
    assert git(archive, "rev-parse", "HEAD") == head
    doc = _log_json(archive, env, SEED_URL)
    assert [v["version"] for v in doc["versions"]] == [1]
    assert len(doc["outside_edits"]) == 1


def test_hand_edit_after_further_versions(replay, tmp_path):
    server, env, archive = _seed_archive(replay, tmp_path)
    server.step(1)
    assert "CHANGED 1" in _gitnews(archive, env, "run", "--all").stdout
    v2 = (archive / SEED_PATH).read_text(encoding="utf-8")
    (archive / SEED_PATH).write_text(v2.replace("operandi", "modus vivendi"), encoding="utf-8")
    hand = _hand_commit(archive, "Rewrite a sentence")
    doc = _log_json(archive, env, SEED_URL)
    assert [v["version"] for v in doc["versions"]] == [1, 2]
    assert [(e["commit"], e["after_version"]) for e in doc["outside_edits"]] == [(hand, 2)]
    assert "changed 1 time (2 versions)" in _gitnews(archive, env, "log", SEED_URL).stdout
    feed = _gitnews(archive, env, "feed").stdout
    assert feed.count("<entry>") == 1 and "vivendi" not in feed

    server.step(2)
    run = _gitnews(archive, env, "run", "--all")
    assert "CHANGED 0" in run.stdout and "RESTORED 1" in run.stdout, run.stdout
    last = _requests(server, SEED_URL)[-1]
    assert (last["status"], last["if-none-match"], last["if-modified-since"]) == (200, None, None)
    assert (archive / SEED_PATH).read_text(encoding="utf-8") == v2
    newest = version_commits(archive)[-1]["trailers"]
    assert (newest["Version"], newest["Change-Kind"]) == ("3", "outside-edit")
    assert_versions_consistent(archive)
    # Version 3 has version 2's text: no change, so no feed entry and no diff page; the
    # hand-made text is never shown.
    feed = _gitnews(archive, env, "feed").stdout
    assert feed.count("<entry>") == 1 and "vivendi" not in feed
    assert "No change in the text" not in feed
    site = tmp_path / "site"
    _gitnews(archive, env, "site", str(site))
    assert not (site / diff_page(SEED_PATH, 2, 3)).exists()
    assert "vivendi" not in (site / article_page(SEED_PATH)).read_text(encoding="utf-8")


def test_one_hand_commit_touching_several_articles(replay, tmp_path):
    server = replay(DATA / "scenarios" / "bbc-2009")
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    _gitnews(archive, env, "add", BBC_FEED)
    assert "NEW 2" in _gitnews(archive, env, "run").stdout
    texts = {p: (archive / p).read_text(encoding="utf-8") for p in BBC_PATHS}
    for path, text in texts.items():
        (archive / path).write_text(text + "\nA paragraph added by hand.\n", encoding="utf-8")
    hand = _hand_commit(archive, "Add a note to two articles")
    for path in BBC_PATHS:
        doc = _log_json(archive, env, path)
        assert [v["version"] for v in doc["versions"]] == [1]
        assert [e["commit"] for e in doc["outside_edits"]] == [hand]
    records = json.loads(_gitnews(archive, env, "list", "--json").stdout)["articles"]
    assert sorted((a["path"], a["versions"], a["outside_edit"]) for a in records) == \
        [(p, 1, True) for p in BBC_PATHS]

    run = _gitnews(archive, env, "run", "--all")
    assert "NEW 0, CHANGED 0, UNCHANGED 0, FAILED 0, RESTORED 2" in run.stdout, run.stdout
    for path, text in texts.items():
        assert (archive / path).read_text(encoding="utf-8") == text
    commits = version_commits(archive)
    assert sorted((c["files"][0], c["trailers"]["Version"], c["trailers"]["Change-Kind"])
                  for c in commits[-2:]) == [(p, "2", "outside-edit") for p in BBC_PATHS]
    assert_versions_consistent(archive)


def _hook_versions(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").split() if log.exists() else []


def test_a_version_that_only_restores_the_text_is_no_change(replay, tmp_path):
    """Issue 3 of the trial: after an outside edit (a hand edit, a `git rm`), the page
    unchanged, the next check commits the text of the previous version again.  That
    version keeps its number but is no change: not counted by log/list/site, no diff
    page, no feed entry, no hook; LAST CHANGED stays the publisher's last change."""
    server, env, archive = _seed_archive(replay, tmp_path)
    server.step(1)
    assert "CHANGED 1" in _gitnews(archive, env, "run", "--all").stdout
    v2 = (archive / SEED_PATH).read_text(encoding="utf-8")
    v2_time = _log_json(archive, env, SEED_URL)["versions"][1]["time"]
    hooks = tmp_path / "hooks.txt"
    on_change = f'echo "$GITNEWS_VERSION" >> "{hooks}"'

    def check_no_change(number: int) -> None:
        assert (archive / SEED_PATH).read_text(encoding="utf-8") == v2
        newest = version_commits(archive)[-1]["trailers"]
        assert (newest["Version"], newest["Change-Kind"]) == (str(number), "outside-edit")
        assert_versions_consistent(archive)
        assert str(number) not in _hook_versions(hooks)
        # log: the row is shown, labelled, not counted.
        log = _gitnews(archive, env, "log", SEED_URL).stdout
        assert "The article has changed 1 time (2 versions, and " in log, log
        row = next(line for line in log.splitlines() if line.split()[:1] == [str(number)])
        assert "restores the text after an outside edit (not counted)" in row
        doc = _log_json(archive, env, SEED_URL)
        assert [v["version"] for v in doc["versions"]] == list(range(1, number + 1))
        assert [v["same_text"] for v in doc["versions"]] == [False, False] + [True] * (number - 2)
        assert (doc["article"]["versions"], doc["article"]["changes"]) == (number, 1)
        assert doc["article"]["last_changed"] == v2_time
        # list: the versions that changed the text; LAST CHANGED is version 2's time.
        listing = _gitnews(archive, env, "list").stdout.splitlines()
        assert listing[1].split()[:3] == ["2", doc["article"]["first_seen"], v2_time], listing
        (listed,) = json.loads(_gitnews(archive, env, "list", "--json").stdout)["articles"]
        assert (listed["versions"], listed["changes"], listed["last_changed"]) == \
            (number, 1, v2_time)
        # feed: one entry (version 2), nothing about the restoration.
        feed = _gitnews(archive, env, "feed").stdout
        assert feed.count("<entry>") == 1 and "No change in the text" not in feed
        # site: counts without it, no empty diff page.
        site = tmp_path / f"site{number}"
        _gitnews(archive, env, "site", str(site))
        page = (site / article_page(SEED_PATH)).read_text(encoding="utf-8")
        assert "The article has changed 1 time." in page
        assert "restores" not in page or "(not counted)" in page
        for n in range(3, number + 1):
            assert not (site / diff_page(SEED_PATH, n - 1, n)).exists()
            assert diff_page(SEED_PATH, n - 1, n).rsplit("/", 1)[-1] not in page
        assert (site / diff_page(SEED_PATH, 1, 2)).exists()
        index = (site / "index.html").read_text(encoding="utf-8")
        assert "1 change" in index and "2 changes" not in index

    # A hand edit, committed with plain git; the page has not changed.
    (archive / SEED_PATH).write_text(v2.replace("operandi", "operandi [sic]"), encoding="utf-8")
    _hand_commit(archive, "fix typo by hand")
    run = _gitnews(archive, env, "run", "--all", "--on-change", on_change)
    # Committed, but not a change: listed and counted as RESTORED (README, outside edits).
    assert "CHANGED 0" in run.stdout and "RESTORED 1 (committed 1 version)" in run.stdout, \
        run.stdout
    assert re.search(r"^RESTORED +v3 .*\(outside-edit: the text put back, no change\)",
                     run.stdout, re.M), run.stdout
    check_no_change(3)
    # `diff` without versions shows the latest change (1 -> 3), not an empty 2 -> 3.
    diff = _gitnews(archive, env, "diff", SEED_URL, "-f", "json").stdout
    assert [json.loads(diff)[k]["version"] for k in ("a", "b")] == [1, 3]

    # The same after `git rm` of the article's file.
    git(archive, "rm", "-q", SEED_PATH)
    _hand_commit(archive, "remove the article by hand")
    run = _gitnews(archive, env, "run", "--all", "--on-change", on_change)
    assert "CHANGED 0" in run.stdout and "RESTORED 1" in run.stdout, run.stdout
    check_no_change(4)

    # A text that differs from the previous version after an outside edit is a change.
    (archive / SEED_PATH).write_text(v2 + "\nA note by hand.\n", encoding="utf-8")
    _hand_commit(archive, "add a note by hand")
    server.step(0)  # the page goes back to its first text
    run = _gitnews(archive, env, "run", "--all", "--on-change", on_change)
    assert "CHANGED 1" in run.stdout, run.stdout
    newest = version_commits(archive)[-1]["trailers"]
    assert newest["Version"] == "5" and newest["Change-Kind"].endswith(", outside-edit")
    assert "body" in newest["Change-Kind"]
    assert _hook_versions(hooks) == ["5"]
    doc = _log_json(archive, env, SEED_URL)
    assert (doc["article"]["versions"], doc["article"]["changes"]) == (5, 2)
    assert doc["article"]["last_changed"] == doc["versions"][4]["time"]
    assert "The article has changed 2 times (3 versions, and 2 that only restore" in \
        _gitnews(archive, env, "log", SEED_URL).stdout
    feed = _gitnews(archive, env, "feed").stdout
    assert feed.count("<entry>") == 2
    site = tmp_path / "site5"
    _gitnews(archive, env, "site", str(site))
    assert (site / diff_page(SEED_PATH, 4, 5)).exists()
    diff5 = (site / diff_page(SEED_PATH, 4, 5)).read_text(encoding="utf-8")
    assert diff_page(SEED_PATH, 3, 4).rsplit("/", 1)[-1] not in diff5  # no link to a missing page
    assert "The article has changed 2 times." in \
        (site / article_page(SEED_PATH)).read_text(encoding="utf-8")


# -- which commits are versions (pure) --------------------------------------------------------

_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                 max_size=40)
_OTHER_KEYS = [k for k in TRAILER_KEYS if k not in ("Article-Url", "Version")]


@given(subject=_WORDS, slug=st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True),
       number=st.integers(1, 10**6),
       extra=st.lists(st.tuples(st.sampled_from(_OTHER_KEYS), _WORDS), max_size=5))
def test_a_version_commit_has_article_url_and_version(subject, slug, number, extra):
    pairs = [("Article-Url", f"http://example.com/{slug}"), ("Version", number), *extra]
    assert is_version(dict(parse_trailers(format_message(subject, pairs))))
    for missing in ("Article-Url", "Version"):
        message = format_message(subject, [p for p in pairs if p[0] != missing])
        assert not is_version(dict(parse_trailers(message)))


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                             exclude_characters=":")))
def test_a_message_without_trailers_is_never_a_version(message):
    assert not is_version(dict(parse_trailers(message)))


_BLOBS = st.lists(st.one_of(st.none(), st.sampled_from(["a" * 40, "b" * 40, "c" * 40])),
                  min_size=1, max_size=12)


def _versions_of(blobs: list) -> list:
    from datetime import datetime

    from gitnews.models import Version

    when = datetime(2016, 9, 29, tzinfo=UTC)
    return [Version(path="x.test/a.txt", number=i + 1, commit=f"{i:040x}", fetched_at=when,
                    subject="s", trailers={}, removed=b is None, blob=b)
            for i, b in enumerate(blobs)]


@given(_BLOBS)
def test_only_a_repeated_text_is_no_change(blobs):
    from gitnews.archive.history import same_text, text_changes

    found = _versions_of(blobs)
    assert not same_text(None, found[0])
    repeats = [same_text(p, v) for p, v in zip(found, found[1:], strict=False)]
    # A repeat is exactly a text (not a removal) equal to the version before it.
    assert repeats == [b is not None and a == b for a, b in zip(blobs, blobs[1:], strict=False)]
    assert text_changes(found) == len(found) - 1 - sum(repeats)
    # Removals and restorations always count.
    assert text_changes(found) >= sum(1 for a, b in zip(blobs, blobs[1:], strict=False)
                                      if (a is None) != (b is None))


# -- the decisions of a run after an outside edit (real git, the real Recorder) ---------------

def test_a_page_is_compared_with_the_versions_not_with_the_outside_edit(tmp_path):
    from datetime import timedelta

    from test_state_sync import T0, _capture, _git, _run

    from gitnews.archive.history import versions
    from gitnews.archive.repo import init_archive, open_archive

    archive = init_archive(tmp_path / "a", now=T0 - timedelta(days=1))
    url, path = "http://example.com/news/one", "example.com/news/one.txt"
    _run(archive, [_capture(url, "One", ["The first text of the story."], T0)])
    # A long hand-made addition: against it, the page would look like it lost most words.
    text = (archive / path).read_text(encoding="utf-8")
    (archive / path).write_text(text + "\n" + " ".join(["word"] * 200) + "\n", encoding="utf-8")
    _git(archive, "commit", "-q", "-am", "add notes by hand")
    _run(archive, [_capture(url, "One", ["The first text of the story, corrected."],
                            T0 + timedelta(hours=1))])
    with open_archive(archive) as arc:
        found = versions(arc.repo, path)
    assert [(v.number, v.trailers.get("Change-Kind")) for v in found] == \
        [(1, None), (2, "body, outside-edit")]

    # Alternation is capped (changes.max_reverts = 2), but never keeps an outside edit.
    a, b = ["The first text of the story, corrected."], ["Another text of the story."]
    _run(archive, [_capture(url, "One", b, T0 + timedelta(hours=2)),
                   _capture(url, "One", a, T0 + timedelta(hours=3)),
                   _capture(url, "One", b, T0 + timedelta(hours=4))])
    (archive / path).write_text("One\n\nVandalised.\n", encoding="utf-8")
    _git(archive, "commit", "-q", "-am", "vandalise")
    _run(archive, [_capture(url, "One", a, T0 + timedelta(hours=5))])
    with open_archive(archive) as arc:
        found = versions(arc.repo, path)
    assert [(v.trailers.get("Reverts-To"), v.trailers.get("Change-Kind")) for v in found[2:]] == \
        [(None, "body"), ("2", "body, revert"), ("3", "body, revert"),
         ("4", "body, revert, outside-edit")]
    assert (archive / path).read_text(encoding="utf-8").endswith("corrected.\n")
