"""``gitnews verify`` (gitnews.ops.verify): every version's capture and text checked, on archives
written as the storage contract says (tests/capture_fixtures.py) from a real page, each damaged
in one known way.  (An archive made by real runs is verified in tests/test_reextract.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from capture_fixtures import BBC_URL, add_captured_version, capture_warc, git, new_archive, page
from conftest import run_gitnews
from test_versions_cli import documented_schema, validate

from gitnews.archive.repo import open_archive
from gitnews.ops.verify import NOTE_KINDS, PROBLEM_KINDS, verify

T1 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
T2 = datetime(2006, 10, 22, 9, 0, tzinfo=UTC)
T3 = datetime(2006, 10, 23, 9, 0, tzinfo=UTC)
OTHER = "http://news.bbc.co.uk/1/hi/other/1.stm"


def _verify(archive, *args):
    return run_gitnews("verify", *args, "--archive", str(archive))


def test_a_sound_archive_verifies_and_outside_edits_are_notes(tmp_path):
    archive = new_archive(tmp_path / "archive")
    path, _ = add_captured_version(archive, BBC_URL, T1, page("6072486-A.html"))
    add_captured_version(archive, BBC_URL, T2, page("6072486-B.html"), kinds=("body",))
    ok = _verify(archive)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines() == ["1 article, 2 versions: 2 captures checked, 2 texts "
                                      "reproduced byte for byte; 0 problems, 0 notes"]
    with (archive / path).open("a", encoding="utf-8") as f:
        f.write("\nA note by hand.\n")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "Fix by hand")
    noted = _verify(archive, BBC_URL)
    assert noted.returncode == 0
    assert noted.stdout.startswith(f"note: {path}: commit ")
    assert "(Fix by hand) edited the file outside gitnews after version 2" in noted.stdout


def test_each_kind_of_damage_is_one_line_and_exit_1(tmp_path):
    archive = new_archive(tmp_path / "archive")
    body_a, body_b = page("6072486-A.html"), page("6072486-B.html")
    path, _ = add_captured_version(archive, BBC_URL, T1, body_a)
    # 2: the capture is not a WARC file
    add_captured_version(archive, BBC_URL, T2, body_b, warc=b"garbage\n", kinds=("body",))
    # 3: the capture holds another page than Page-Sha256 says
    add_captured_version(archive, BBC_URL, T3, body_a, warc=capture_warc(BBC_URL, T3, body_b),
                         kinds=("body",))
    # another article: a stored text the capture does not give, and another extractor
    other, _ = add_captured_version(archive, OTHER, T1, body_a, text="Not\n\nthe text.\n")
    add_captured_version(archive, OTHER, T2, body_b, extractor="trafilatura 0.1",
                         kinds=("body",))
    bad = _verify(archive)
    assert bad.returncode == 1, bad.stderr
    lines = bad.stdout.splitlines()
    assert f"{path}: version 2: its capture" in lines[0] and "is damaged" in lines[0]
    assert lines[1].startswith(f"{path}: version 3: Page-Sha256 ")
    assert any(line.startswith(f"{other}: version 1: extracting its capture again does not give")
               for line in lines)
    assert any(line.startswith(f"note: {other}: version 2: extracted by trafilatura 0.1, "
                               "installed trafilatura ") for line in lines)
    assert lines[-1] == ("2 articles, 5 versions: 4 captures checked, 1 text reproduced byte for "
                         "byte; 3 problems, 1 note")
    assert "Traceback" not in bad.stderr

    doc = json.loads(_verify(archive, "--json").stdout)
    validate(doc, "gitnews.verify/1", documented_schema())  # docs/json-output.md's tables
    assert doc["schema"] == "gitnews.verify/1" and doc["ok"] is False
    kinds = [(f["path"], f["version"], f["kind"], f["problem"]) for f in doc["findings"]]
    assert kinds == [(path, 2, "damaged-capture", True), (path, 3, "digest", True),
                     (other, 1, "text", True), (other, 2, "extractor", False)]
    assert {f["kind"] for f in doc["findings"]} <= set(PROBLEM_KINDS) | set(NOTE_KINDS)

    only = _verify(archive, path)  # ARTICLE: only that one
    assert other not in only.stdout and only.returncode == 1


def test_a_missing_captures_branch_and_versions_without_capture(tmp_path):
    archive = new_archive(tmp_path / "archive")
    path, blob = add_captured_version(archive, BBC_URL, T1, page("6072486-A.html"))
    old = archive / "example.com" / "old.txt"
    old.parent.mkdir()
    old.write_text("Old\n\nText.\n")
    git(archive, "add", ".")
    git(archive, "-c", "user.name=g", "-c", "user.email=g@l", "commit", "-q", "-m",
        "New: Old\n\nArticle-Url: https://example.com/old\nVersion: 1\n")
    with open_archive(archive) as arc:
        report = verify(arc, articles=["example.com/old.txt"])
    assert report.ok and [f.kind for f in report.findings] == ["no-capture"]

    git(archive, "update-ref", "-d", "refs/heads/gitnews/captures")
    git(archive, "reflog", "expire", "--expire=now", "--all")
    git(archive, "gc", "-q", "--prune=now")
    gone = _verify(archive)
    assert gone.returncode == 1
    lines = gone.stdout.splitlines()
    assert lines[0].startswith("archive: versions name captures but the branch gitnews/captures "
                               "is missing")
    assert f"{path}: version 1: its capture {blob} is not in the repository" in gone.stdout
    assert "note: example.com/old.txt: version 1 has no capture" in gone.stdout
    # the texts on main are untouched by all this
    assert git(archive, "status", "--porcelain").strip() == ""
