"""``gitnews export`` as a user meets it: a SIGTERM or Ctrl-C during an export leaves no
temporary file (a real process, a real signal), ``-`` is standard output for jsonl and
refused for the other formats, ``--language`` is checked, and the warc summary counts
the captures that are missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from capture_fixtures import BBC_URL, add_captured_version, git, new_archive, page
from conftest import run_gitnews

T0 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 articles, each in two versions with their captures (the BBC pages A and B)."""
    arc = new_archive(tmp_path_factory.mktemp("export-evidence") / "archive")
    a, b = page("6072486-A.html"), page("6072486-B.html")
    for i in range(24):
        url = BBC_URL.replace("6072486", str(6072486 + i))
        add_captured_version(arc, url, T0 + timedelta(minutes=i), a)
        add_captured_version(arc, url, T0 + timedelta(days=1, minutes=i), b, kinds=("body",))
    return arc


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


@pytest.mark.parametrize(("fmt", "sig"), [("warc", signal.SIGTERM), ("jsonl", signal.SIGTERM),
                                          ("jsonl", signal.SIGINT)])
def test_a_signal_during_an_export_leaves_no_temporary_file(archive: Path, tmp_path: Path,
                                                            fmt: str, sig: int) -> None:
    # The export takes a fraction of a second: on a loaded machine this test may not run
    # again before it is over. Such a try proves nothing either way and is made again.
    for attempt in range(10):
        out_dir = tmp_path / f"out{attempt}"
        out_dir.mkdir()
        signalled, code, err = _signal_an_export(archive, out_dir / f"export.{fmt}", sig)
        if signalled:
            break
        assert code == 0, err  # an export left alone ends well
    else:
        pytest.fail("the export always ended before it could be signalled")
    assert code == 130, err
    assert "gitnews: interrupted" in err and "Traceback" not in err, err
    assert list(out_dir.iterdir()) == []  # neither the temporary file nor a half export


def _signal_an_export(archive: Path, out: Path, sig: int) -> tuple[bool, int, str]:
    """Start ``gitnews export`` into ``out``; once its temporary file exists, freeze it
    (SIGSTOP), send ``sig`` and let it run again, so that the signal is handled in the
    middle of the export.  Returns (whether the signal was sent while the temporary
    file existed, the exit status, stderr)."""
    out_dir = out.parent
    child = subprocess.Popen([sys.executable, "-m", "gitnews", "export", out.suffix[1:],
                              str(out), "--archive", str(archive)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _temporaries(out_dir) and child.poll() is None:
            assert time.monotonic() < deadline, "the export never started"
            time.sleep(0.001)
        if child.poll() is not None:
            _, err = child.communicate(timeout=120)
            return False, child.returncode, err
        os.kill(child.pid, signal.SIGSTOP)
        signalled = bool(_temporaries(out_dir))
        if signalled:
            os.kill(child.pid, sig)
        os.kill(child.pid, signal.SIGCONT)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return signalled, child.returncode, err


def test_jsonl_to_standard_output_is_the_file_s_bytes(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    assert run_gitnews("export", "jsonl", str(out), "--archive", str(archive)).returncode == 0
    piped = subprocess.run([sys.executable, "-m", "gitnews", "export", "jsonl", "-", "--archive",
                            str(archive)], capture_output=True, cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == out.read_bytes()
    assert len(piped.stdout.splitlines()) == 48
    assert json.loads(piped.stdout.splitlines()[0])["article"].endswith(".txt")
    assert b"to standard output (jsonl)" in piped.stderr
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("fmt", ["csv", "sqlite", "parquet", "warc"])
def test_standard_output_is_refused_for_the_other_formats(archive: Path, tmp_path: Path,
                                                          fmt: str) -> None:
    done = run_gitnews("export", fmt, "-", "--archive", str(archive), cwd=tmp_path)
    assert done.returncode == 2
    assert "standard output" in done.stderr and "jsonl" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_language_is_a_usage_error(archive: Path, tmp_path: Path) -> None:
    done = run_gitnews("export", "jsonl", str(tmp_path / "x.jsonl"), "--language", "xx",
                       "--archive", str(archive))
    assert done.returncode == 2, done.stderr
    assert "--language" in done.stderr and "'xx'" in done.stderr and "ISO 639" in done.stderr
    assert list(tmp_path.iterdir()) == []
    for code in ("de", "pt-BR", "gsw"):
        ok = run_gitnews("export", "jsonl", str(tmp_path / f"{code}.jsonl"), "--language", code,
                         "--archive", str(archive))
        assert ok.returncode == 0, ok.stderr


def test_language_problem_is_pure() -> None:
    from gitnews.output.export.sentences import language_problem

    assert language_problem("en") is None and language_problem("zh-Hant") is None
    for bad in ("", "xx", "english", "e n", "en;rm"):
        assert language_problem(bad) is not None


def test_warc_summary_counts_the_captures_that_are_missing(archive: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--single-branch", "--no-local", str(archive),
                    str(clone)], check=True)
    assert "gitnews/captures" not in git(clone, "branch", "-a")
    done = run_gitnews("export", "warc", str(tmp_path / "x.warc.gz"), "--archive", str(clone))
    assert done.returncode == 1
    assert "Exported 0 captures" in done.stdout
    assert "48 versions without their capture: 0 name none, 48 missing or damaged" in done.stdout
    assert done.stderr.count("left out") == 48 and "Traceback" not in done.stderr
