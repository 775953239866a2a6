"""A re-extraction (``Change-Kind: extraction``, made by ``gitnews reextract``) is
gitnews's change, not the publisher's: ``stats`` counts it as a version of kind
``extraction`` but not as a change, and ``search --added/--removed`` does not report
the words it dropped or gained (found by the new-user trial of session 6)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive_builders import add_version, new_archive
from conftest import run_gitnews

URL = "https://www.example-news.test/2024/story"
PATH = "example-news.test/2024/story.txt"


def _archive(tmp_path: Path, *, kind: str | None) -> Path:
    archive = new_archive(tmp_path / "archive")
    add_version(archive, PATH, "A headline\n\nThe minister spoke. A promiscuous footer.\n",
                version=1, url=URL, hours=1)
    # Version 2 drops the footer: by the publisher (kind None) or by a re-extraction.
    add_version(archive, PATH, "A headline\n\nThe minister spoke.\n", version=2, url=URL,
                hours=5, kind=kind)
    return archive


def _stats(archive: Path) -> dict:
    proc = run_gitnews("stats", "--archive", str(archive), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)["total"]


def _removed(archive: Path, word: str) -> list[list[int]]:
    proc = run_gitnews("search", "--archive", str(archive), "--json", "--removed", word)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [r["versions"] for r in json.loads(proc.stdout)["results"]]


def test_publisher_change_counts_and_is_found_removed(tmp_path: Path) -> None:
    archive = _archive(tmp_path, kind="body")
    total = _stats(archive)
    assert (total["versions"], total["changes"], total["changed_articles"]) == (2, 1, 1)
    assert _removed(archive, "promiscuous") == [[2]]


def test_reextraction_is_a_version_not_a_change(tmp_path: Path) -> None:
    archive = _archive(tmp_path, kind="extraction")
    total = _stats(archive)
    assert (total["versions"], total["changes"], total["changed_articles"]) == (2, 0, 0)
    assert total["kinds"] == {"extraction": 1}
    assert _removed(archive, "promiscuous") == []
    # Its text is searchable all the same.
    proc = run_gitnews("search", "--archive", str(archive), "--json", "minister")
    assert [r["versions"] for r in json.loads(proc.stdout)["results"]] == [[1, 2]]


def test_hyphenated_word_gets_the_quoting_hint_and_limit_0_is_refused(tmp_path: Path) -> None:
    archive = _archive(tmp_path, kind=None)
    proc = run_gitnews("search", "--archive", str(archive), "dial-up")
    assert proc.returncode == 2
    assert 'write "dial-up" in double quotes' in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr
    proc = run_gitnews("search", "--archive", str(archive), "(", "--limit", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr



def test_export_jsonl_to_a_closed_pipe_exits_0_quietly(tmp_path: Path) -> None:
    # `gitnews export jsonl - | head -c 10`: the reader goes away at once, while gitnews
    # still has far more than a pipe's buffer (64 KiB) to write.
    archive = _archive(tmp_path, kind=None)
    for n in range(3, 40):
        add_version(archive, PATH, f"A headline\n\nThe minister spoke {n} times. " * 200 + "\n",
                    version=n, url=URL, hours=n)
    proc = subprocess.run(
        ["bash", "-c", "set -o pipefail; "
                       f"{sys.executable} -m gitnews export jsonl - --archive {archive}"
                       " | head -c 10 >/dev/null"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_changes_until_before_since_is_a_usage_error(tmp_path: Path) -> None:
    archive = _archive(tmp_path, kind=None)
    proc = run_gitnews("changes", "--archive", str(archive), "--since", "1d", "--until", "2d")
    assert proc.returncode == 2
    assert "is before --since" in " ".join(proc.stderr.split())
    empty = run_gitnews("changes", "--archive", str(archive))
    assert empty.returncode == 0
    assert ") (" not in empty.stderr and "no run recorded" in empty.stderr
