"""Faults a new-user trial of the command line found (trial report, problems 5, 7, 9, 10,
11, 12, 14 and 16), each checked through the real CLI on a real archive."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import run_gitnews
from versions_support import add_versions, seed_archive

README = Path(__file__).resolve().parents[1] / "README.md"
SEED_HEADLINE = "Gaps remain in tackling child sexual exploitation, Ofsted finds"
MAORI_URL = "http://www.rnz.co.nz/news/te-manu-korihi/1-maori-language-week"
MAORI_HEADLINE = "M\u0101ori language week begins with a call to speak more te reo"


def plain_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITNEWS_ARCHIVE", "COLUMNS", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    return {**env, **extra}


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    root = seed_archive(tmp_path_factory.mktemp("faults") / "archive")
    add_versions(root, [(MAORI_URL, MAORI_HEADLINE + "\n\nKia ora.\n",
                         datetime(2016, 9, 30, 9, tzinfo=UTC))])
    return root


def gn(seed: Path, *args: str, **env: str):
    return run_gitnews(*args, "--archive", str(seed), env=plain_env(**env))


# -- 5: list cuts headlines only when there is no room ---------------------------------------

def test_list_piped_or_with_room_keeps_whole_headlines(seed):
    piped = gn(seed, "list")  # stdout is a pipe, no COLUMNS
    assert piped.returncode == 0, piped.stderr
    assert SEED_HEADLINE in piped.stdout and "…" not in piped.stdout
    wide = gn(seed, "list", COLUMNS="200")
    assert SEED_HEADLINE in wide.stdout and "…" not in wide.stdout
    assert max(len(line) for line in wide.stdout.splitlines()) <= 200
    # With no room the headline is still cut, and every line fits.
    narrow = gn(seed, "list", COLUMNS="80")
    assert "…" in narrow.stdout and SEED_HEADLINE not in narrow.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80


# -- 7: the README does not say that import creates an archive -------------------------------

def test_import_does_not_create_an_archive_and_the_readme_says_so(tmp_path):
    warc = tmp_path / "none.warc"
    warc.write_bytes(b"")
    missing = tmp_path / "no-archive"
    r = run_gitnews("import", str(warc), "--archive", str(missing), env=plain_env())
    assert r.returncode == 2 and "no gitnews archive" in r.stderr and not missing.exists()
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert not re.search(r"`import` creates the archive", text)
    assert "Only `init` and `add` create an archive" in text


# -- 9: a headline piece typed in NFD -----------------------------------------------------

def test_headline_piece_in_nfd_names_the_article(seed):
    for piece in ("M\u0101ori language", "Ma\u0304ori language", "MA\u0304ORI LANGUAGE"):
        r = gn(seed, "log", piece)
        assert r.returncode == 0, (piece, r.stderr)
        assert MAORI_URL in r.stdout and "rnz.co.nz/news/te-manu-korihi" in r.stdout


# -- 10: feed -o - writes to standard output ----------------------------------------------

def test_feed_output_dash_is_stdout(seed, tmp_path):
    r = run_gitnews("feed", "-o", "-", "--archive", str(seed), env=plain_env(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<?xml") and "<feed" in r.stdout
    assert not (tmp_path / "-").exists()


# -- 11: diff refuses unknown options; negative version numbers still work -------------------

def test_diff_refuses_unknown_options_but_takes_negative_versions(seed):
    for args in (["--bogus", "Ofsted"], ["-n", "1", "Ofsted"], ["Ofsted", "--bogus"],
                 ["Ofsted", "-1", "-x"]):
        r = gn(seed, "diff", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert "No such option" in r.stderr, (args, r.stderr)
        assert "no article" not in r.stderr
    ok = gn(seed, "diff", "Ofsted", "-2", "-1")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == gn(seed, "diff", "Ofsted", "1", "2").stdout != ""


# -- 12: list -n 0 -----------------------------------------------------------------------

def test_list_limit_zero_does_not_say_the_archive_is_empty(seed):
    r = gn(seed, "list", "-n", "0")
    assert r.returncode == 0 and "no articles" not in r.stderr + r.stdout
    assert json.loads(gn(seed, "list", "-n", "0", "--json").stdout)["count"] == 0


# -- 14: messages: a file given as the archive, a URL without its scheme ----------------------

def test_archive_that_is_a_file_and_url_without_scheme(tmp_path):
    afile = tmp_path / "passwd"
    afile.write_text("root:x:0:0::/root:/bin/sh\n")
    r = run_gitnews("-a", str(afile), "list", env=plain_env())
    assert r.returncode == 2 and "is a file, not a folder" in r.stderr
    assert "holds other files" not in r.stderr
    r = run_gitnews("add", "theguardian.com/society/rss", "--archive",
                    str(tmp_path / "archive"), env=plain_env())
    assert r.returncode == 1
    assert "https://theguardian.com/society/rss" in r.stderr, r.stderr


# -- 16: diff --json with another --format -------------------------------------------------

def test_diff_json_with_another_format_is_a_usage_error(seed):
    r = gn(seed, "diff", "--json", "-f", "word", "Ofsted")
    assert r.returncode == 2 and "conflict" in r.stderr and r.stdout == ""
    r = run_gitnews("--json", "-a", str(seed), "diff", "--format", "unified", "Ofsted",
                    env=plain_env())
    assert r.returncode == 2 and "conflict" in r.stderr
    same = gn(seed, "diff", "--json", "-f", "json", "Ofsted")
    assert same.returncode == 0 and json.loads(same.stdout)
    assert json.loads(gn(seed, "diff", "--json", "Ofsted").stdout)
