"""``gitnews changes``: every change across the archive, on an archive made by real
``gitnews run`` processes against the loopback replay server (tests/changes_support.py)."""

from __future__ import annotations

import json

import pytest
from changes_support import BBC_CHANGED, SEED_HEADLINE, SEED_PATH, build_runs_archive
from conftest import run_gitnews
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gitnews.cli import app
from gitnews.format.trailers import CHANGE_KIND, CHANGE_KINDS
from gitnews.output.changelist import change_kinds, words_changed


@pytest.fixture(scope="module")
def runs_archive(tmp_path_factory):
    return build_runs_archive(tmp_path_factory.mktemp("runs"))


def changes(archive, *args: str):
    result = CliRunner().invoke(app, ["changes", *args, "--archive", str(archive)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def as_json(archive, *args: str) -> dict:
    result = changes(archive, *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_every_change_of_the_day_newest_first_with_its_words(runs_archive):
    doc = as_json(runs_archive, "--since", "1d")
    rows = doc["changes"]
    # The removal came at the last run; the two edits at the run before (their order
    # depends on which second each was committed in).
    assert [(r["path"], r["version"], r["kinds"]) for r in rows[:1]] == [
        (SEED_PATH, 3, ["removed"])]
    assert sorted((r["path"], r["version"], r["kinds"]) for r in rows[1:]) == [
        (BBC_CHANGED, 2, ["body"]), (SEED_PATH, 2, ["body"])]
    assert [(r["at"], r["path"]) for r in rows] == sorted(
        ((r["at"], r["path"]) for r in rows), reverse=True)
    removal = rows[0]
    bbc = next(r for r in rows if r["path"] == BBC_CHANGED)
    seed = next(r for r in rows if r["path"] == SEED_PATH and r["version"] == 2)
    # operundi -> operandi; the BBC story lost two paragraphs (42 words); a removal
    # removes the whole text.
    assert (seed["words_added"], seed["words_removed"]) == (1, 1)
    assert (bbc["words_added"], bbc["words_removed"]) == (0, 42)
    assert removal["words_added"] == 0 and removal["words_removed"] > 900 and removal["removed"]
    assert seed["headline"] == removal["headline"] == SEED_HEADLINE
    assert bbc["headline"] == "PM Brown plays down expenses row"
    assert bbc["host"] == "news.bbc.co.uk" and seed["host"] == "theguardian.com"
    assert bbc["feed"].startswith("http://newsrss.bbc.co.uk/") and seed["feed"] is None
    assert seed["diff_command"] == f"gitnews diff {SEED_PATH} 1 2"
    assert seed["log_command"] == f"gitnews log {SEED_PATH}"
    assert seed["trailers"]["Version"] == "2" and seed["commit"] and len(seed["commit"]) == 40
    assert doc["schema"] == "gitnews.changes/1" and doc["until"] is None


def test_the_printed_command_shows_that_change(runs_archive):
    line = next(ln for ln in changes(runs_archive, "--since", "1d").stdout.splitlines()
                if ln.endswith(f"{SEED_PATH} 1 2"))
    assert line.split("  ")[1:4] == ["theguardian.com", "body", "+1 -1"]
    command = line.split("  ")[-1]
    assert command == f"gitnews diff {SEED_PATH} 1 2"
    shown = run_gitnews(*command.split()[1:], "--archive", str(runs_archive), "--no-color",
                        check=True)
    assert "operundi" in shown.stdout and "operandi" in shown.stdout


def test_default_period_is_since_the_last_run(runs_archive):
    # The last run (step 2 again) committed only the seed article's removal.
    rows = as_json(runs_archive)["changes"]
    assert [(r["path"], r["version"]) for r in rows] == [(SEED_PATH, 3)]


def test_filters_host_kind_min_words_until_limit(runs_archive):
    def paths(*args):
        return [(r["path"], r["version"]) for r in as_json(runs_archive, "--since", "1d",
                                                             *args)["changes"]]

    assert paths("--host", "bbc.co.uk") == [(BBC_CHANGED, 2)]  # subdomains too
    assert paths("--host", "www.TheGuardian.com") == [(SEED_PATH, 3), (SEED_PATH, 2)]
    assert paths("--kind", "removed") == [(SEED_PATH, 3)]
    assert paths("--kind", "headline") == []
    assert paths("--kind", "removed", "--kind", "body") == paths()
    assert sorted(paths("--kind", "body")) == [(BBC_CHANGED, 2), (SEED_PATH, 2)]
    assert paths("--min-words", "3") == [(SEED_PATH, 3), (BBC_CHANGED, 2)]
    assert paths("--since", "2000-01-01", "--until", "2016-01-01") == []
    assert paths("--limit", "1") == [(SEED_PATH, 3)]
    assert paths("--all") == paths()
    assert as_json(runs_archive, "--since", "1d", "--limit", "2")["more"] is True
    assert as_json(runs_archive, "--since", "1d", "--limit", "3")["more"] is False
    more = changes(runs_archive, "--since", "1d", "--limit", "1")
    assert len(more.stdout.splitlines()) == 1 and "there are more" in more.stderr


def test_nothing_to_show_and_bad_usage(runs_archive):
    empty = changes(runs_archive, "--since", "1d", "--kind", "headline")
    assert empty.exit_code == 0 and empty.stdout == ""
    assert "No changes" in empty.stderr and "try --since 1w" in empty.stderr
    bad = changes(runs_archive, "--kind", "typo")
    assert bad.exit_code == 2
    assert "unknown kind 'typo'" in bad.stderr and "headline" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad_time = changes(runs_archive, "--since", "the day after never")
    assert bad_time.exit_code == 2 and "--since" in bad_time.stderr


@given(st.lists(st.sampled_from(CHANGE_KINDS), max_size=4), st.booleans(),
       st.sampled_from([",", ", ", " , "]))
def test_change_kinds_reads_the_trailer_in_order(kinds, removed, sep):
    trailers = {CHANGE_KIND: sep.join(kinds)} if kinds else {}
    found = change_kinds(trailers, removed=removed)
    if kinds:
        assert found == tuple(kinds)
    else:
        assert found == (("removed",) if removed else ("body",))


def documented_fields(section: str) -> set[str]:
    """The fields of ``### section`` in docs/json-output.md (its table's first column)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "json-output.md").read_text(
        encoding="utf-8")
    body = re.split(r"(?m)^### ", text)
    part = next(p for p in body if p.startswith((f"`{section}`", f"{section}\n")))
    return set(re.findall(r"(?m)^\| `(\w+)` \|", part))


def test_the_json_is_as_documented(runs_archive):
    doc = as_json(runs_archive, "--since", "1d")
    assert set(doc) == documented_fields("gitnews.changes/1")
    for row in doc["changes"]:
        assert set(row) == documented_fields("change")


_words = st.lists(st.sampled_from(["the", "minister", "said", "15-year-old", "U.S", "don't",
                                   "1,400", "report", "on", "Tuesday"]), max_size=30)


@given(_words, _words)
def test_words_changed_adds_up_to_the_change_in_word_count(a, b):
    from gitnews.versions.diff import count_words

    old, new = "Headline\n\n" + " ".join(a) + ".\n", "Headline\n\n" + " ".join(b) + ".\n"
    added, removed = words_changed(old, new)
    assert added >= 0 and removed >= 0
    assert added - removed == count_words(new) - count_words(old)
    assert words_changed(new, old) == (removed, added)


@given(_words.filter(bool), st.data())
def test_words_changed_agrees_with_diff_texts_on_an_edit_in_place(words, data):
    from gitnews.versions.diff import diff_texts

    i = data.draw(st.integers(0, len(words) - 1))
    replacement = data.draw(st.sampled_from(["operandi", "Thursday", "7,000"]))
    old = "Headline\n\nFirst paragraph stays.\n\n" + " ".join(words) + ".\n"
    new = old.replace(" ".join(words), " ".join([*words[:i], replacement, *words[i + 1:]]))
    stats = diff_texts(old, new).stats
    assert words_changed(old, new) == (stats.words_added, stats.words_removed)


def test_min_significance_reads_the_significance_trailer(runs_archive):
    def paths(*args):
        return [(r["path"], r["version"]) for r in as_json(runs_archive, "--since", "1d",
                                                             *args)["changes"]]

    # the seed's one-word fix is minor, the BBC's two paragraphs removed moderate, the
    # seed's removal major (docs/archive-format.md, "Corrections and significance")
    assert paths("--min-significance", "major") == [(SEED_PATH, 3)]
    assert paths("--min-significance", "Moderate") == [(SEED_PATH, 3), (BBC_CHANGED, 2)]
    assert paths("--min-significance", "minor") == paths()
    assert paths("--min-significance", "moderate", "--kind", "body") == [(BBC_CHANGED, 2)]
    bad = changes(runs_archive, "--min-significance", "huge")
    assert bad.exit_code == 2 and "unknown significance 'huge'" in bad.stderr
    assert "Traceback" not in bad.stderr
