"""``gitnews list | log | show | diff`` on real archives (seed-guardian with real times).

The JSON outputs are checked against the tables of docs/json-output.md, so that
the documented schema and the output cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import git
import html5lib
import pytest
from typer.testing import CliRunner
from versions_support import SEED_URL, add_versions, make_archive, seed_archive, seed_text

from gitnews.cli import app

SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "json-output.md"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return seed_archive(tmp_path_factory.mktemp("seed") / "archive")


def run(archive: Path, *args: str, env: dict | None = None):
    base = {"NO_COLOR": None, "FORCE_COLOR": None, "COLUMNS": "100"}
    result = CliRunner().invoke(app, [*args, "--archive", str(archive)], env={**base, **(env or {})})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def run_process(archive: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command in a child process (real stdout bytes and exit status)."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run([sys.executable, "-c", "from gitnews.cli import main; main()", *args,
                           "--archive", str(archive)], capture_output=True, env=env, timeout=60)


# -- the documented JSON schema -----------------------------------------------------------

def documented_schema() -> dict[str, dict[str, str]]:
    """``{section: {field: type}}`` from the tables of docs/json-output.md."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("### "):
            m = re.match(r"### `?([\w./]+)`?", line)
            current = m.group(1)
            sections[current] = {}
        elif current and (m := re.match(r"\| `(\w+)` \| ([^|]+) \|", line)):
            sections[current][m.group(1)] = m.group(2).strip()
    return sections


def check(value, type_: str, schema: dict, where: str) -> None:
    alternatives = type_.split(" or ")
    errors = []
    for alt in alternatives:
        try:
            _check_one(value, alt.strip(), schema, where)
            return
        except AssertionError as exc:
            errors.append(str(exc))
    raise AssertionError(f"{where}: {value!r} is not {type_} ({'; '.join(errors)})")


def _check_one(value, type_: str, schema: dict, where: str) -> None:
    simple = {"string": str, "integer": int, "boolean": bool, "object": dict}
    if type_ == "null":
        assert value is None, "not null"
    elif type_ in simple:
        assert isinstance(value, simple[type_]) and not (
            type_ == "integer" and isinstance(value, bool)), f"not {type_}"
    elif type_.startswith("array of "):
        assert isinstance(value, list), "not an array"
        for i, item in enumerate(value):
            check(item, type_[len("array of "):], schema, f"{where}[{i}]")
    else:
        validate(value, type_, schema, where)


def validate(doc, section: str, schema: dict, where: str = "$") -> None:
    fields = schema[section]
    assert isinstance(doc, dict), f"{where} is not an object"
    # A field typed "absent or ..." may be left out (docs/json-output.md, Stability).
    required = {n for n, t in fields.items() if not t.startswith("absent or ")}
    assert required <= set(doc) <= set(fields), f"{where} ({section}): fields {sorted(doc)} != documented {sorted(fields)}"
    for name, type_ in fields.items():
        if name in doc:
            check(doc[name], type_.removeprefix("absent or "), schema, f"{where}.{name}")


def test_docs_describe_every_document():
    schema = documented_schema()
    for name in ("gitnews.list/1", "gitnews.log/1", "gitnews.show/1", "gitnews.diff/1",
                 "article", "version", "stats", "row", "op"):
        assert schema.get(name), name


# -- log ----------------------------------------------------------------------------------

def test_log_shows_two_versions_seven_hours_apart(seed):
    result = run(seed, "log", SEED_URL)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Gaps remain in tackling child sexual exploitation, Ofsted finds" in out
    assert SEED_URL in out
    assert "changed 1 time (2 versions)" in out
    lines = [line for line in out.splitlines() if re.match(r"\s+\d+\s+2016-", line)]
    assert len(lines) == 2
    assert "2016-09-29T10:02:00Z" in lines[0] and "first version" in lines[0]
    assert "2016-09-29T17:14:00Z" in lines[1] and "about 7 hours later" in lines[1]
    assert "+1 -1 words, 1 paragraph changed" in lines[1]
    repo = git.Repo(seed)
    commits = repo.git.log("--format=%H", "--reverse", "--", SEED_PATH).split()
    repo.close()
    assert commits[0][:12] in lines[0] and commits[1][:12] in lines[1]


def test_log_json_matches_the_documented_schema(seed):
    result = run(seed, "log", "theguardian.com/society/2016/sep/29/gaps-remain-in-tackling-"
                              "child-sexual-exploitation-ofsted", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    validate(doc, "gitnews.log/1", documented_schema())
    assert doc["schema"] == "gitnews.log/1"
    assert doc["article"]["changes"] == 1 and doc["article"]["url"] == SEED_URL
    v1, v2 = doc["versions"]
    assert (v1["version"], v1["gap"], v1["stats"]) == (1, None, None)
    assert (v2["gap"], v2["gap_seconds"]) == ("about 7 hours later", 7 * 3600 + 12 * 60)
    assert v2["stats"]["words_added"] == v2["stats"]["words_removed"] == 1
    assert v2["trailers"]["Article-Url"] == SEED_URL


def test_log_shows_a_headline_change(tmp_path):
    root = make_archive(tmp_path / "a")
    t0 = datetime(2020, 5, 1, 8, tzinfo=UTC)
    add_versions(root, [("http://example.com/a", "Old title\n\nBody.\n", t0),
                        ("http://example.com/a", "New title\n\nBody.\n", t0 + timedelta(days=2))])
    out = run(root, "log", "example.com/a").stdout
    assert "headline changed: Old title -> New title" in out
    assert "2 days later" in out and "about" not in out.split("2 days later")[0][-7:]


# -- show ---------------------------------------------------------------------------------

def test_show_prints_version_1_byte_for_byte(seed):
    proc = run_process(seed, "show", SEED_URL, "--version", "1")
    assert proc.returncode == 0, proc.stderr
    repo = git.Repo(seed)
    first = repo.git.log("--format=%H", "--reverse", "--", SEED_PATH).split()[0]
    stored = repo.git.execute(["git", "cat-file", "blob", f"{first}:{SEED_PATH}"],
                              stdout_as_string=False, strip_newline_in_stdout=False)
    repo.close()
    assert proc.stdout == stored == seed_text(1).encode("utf-8")


@pytest.mark.parametrize("number, expected", [(None, 2), ("2", 2), ("-1", 2), ("-2", 1)])
def test_show_version_numbers(seed, number, expected):
    args = ["show", SEED_URL] + (["--version", number] if number else [])
    result = run(seed, *args)
    assert result.exit_code == 0
    assert result.stdout_bytes == seed_text(expected).encode("utf-8")


def test_show_json(seed):
    doc = json.loads(run(seed, "show", SEED_URL, "--version", "1", "--json").stdout)
    validate(doc, "gitnews.show/1", documented_schema())
    assert doc["text"] == seed_text(1)
    assert doc["version"]["version"] == 1 and doc["version"]["time"] == "2016-09-29T10:02:00Z"


@pytest.mark.parametrize("number", ["3", "0", "-3"])
def test_show_version_out_of_range_exits_1_with_the_range(seed, number):
    result = run(seed, "show", SEED_URL, "--version", number)
    assert result.exit_code == 1
    assert "numbered 1 to 2" in result.stderr


def test_unknown_article_exits_1_and_suggests(seed):
    proc = run_process(seed, "log", "https://www.theguardian.com/society/2016/sep/29/gaps-remain")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "no article in the archive matches" in err and SEED_URL in err
    assert proc.stdout == b""


# -- diff ---------------------------------------------------------------------------------

def test_diff_word_marks_exactly_one_word(seed):
    result = run(seed, "diff", SEED_URL)
    assert result.exit_code == 0
    out = result.stdout
    assert re.findall(r"\[-(.*?)-\]\{\+(.*?)\+\}", out) == [("operundi", "operandi")]
    assert out.count("[-") == 1 and out.count("{+") == 1
    assert "modus [-operundi-]{+operandi+}. In Croydon" in out
    assert "about 7 hours later" in out.splitlines()[0]
    assert not ANSI.search(out)


def test_diff_word_colour_follows_terminal_and_no_color(seed):
    forced = run(seed, "diff", SEED_URL, env={"FORCE_COLOR": "1"}).stdout
    assert ANSI.search(forced) and "[-" not in forced
    assert "operundi" in ANSI.sub("", forced) and "operandi" in ANSI.sub("", forced)
    for env, args in (({"FORCE_COLOR": "1", "NO_COLOR": "1"}, ()),
                      ({"FORCE_COLOR": "1"}, ("--no-color",))):
        plain = run(seed, "diff", SEED_URL, *args, env=env).stdout
        assert not ANSI.search(plain) and "[-operundi-]{+operandi+}" in plain


def test_diff_context_folds_unchanged_paragraphs(seed):
    out = run(seed, "diff", SEED_URL, "--context", "1").stdout
    assert "… 10 unchanged paragraphs …" in out and "… 5 unchanged paragraphs …" in out
    assert "[-operundi-]{+operandi+}" in out


def test_diff_side_by_side_shows_both_columns(seed):
    result = run(seed, "diff", SEED_URL, "--format", "side-by-side", "--width", "240")
    assert result.exit_code == 0
    out = result.stdout
    assert out.count("[-operundi-]") == 1 and out.count("{+operandi+}") == 1
    assert out.count("[-") == 1 and out.count("{+") == 1
    row = next(line for line in out.splitlines() if "[-operundi-]" in line)
    assert row.index("[-operundi-]") < row.index("modus {+operandi+}")  # A left, B right
    assert "Version 1" in out and "Version 2" in out and "(about 7 hours later)" in out
    assert "The article has changed 1 time" in out
    folded = run(seed, "diff", SEED_URL, "-f", "side-by-side", "--context", "0").stdout
    assert "… 11 unchanged paragraphs …" in folded


def test_diff_unified_applies_with_git_apply(seed, tmp_path):
    result = run(seed, "diff", SEED_URL, "--format", "unified")
    assert result.exit_code == 0
    patch = result.stdout
    changes = [line for line in patch.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changes) == 2
    assert "+" + changes[0][1:].replace("operundi", "operandi") == changes[1]
    assert "operundi" in changes[0] and "operandi" in changes[1]
    # git apply accepts it against version 1 of the archive file, and gives version 2.
    work = tmp_path / "apply"
    (work / Path(SEED_PATH).parent).mkdir(parents=True)
    (work / SEED_PATH).write_bytes(seed_text(1).encode())
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (tmp_path / "p.patch").write_text(patch, encoding="utf-8")
    subprocess.run(["git", "apply", "--check", str(tmp_path / "p.patch")], cwd=work, check=True)
    subprocess.run(["git", "apply", str(tmp_path / "p.patch")], cwd=work, check=True)
    assert (work / SEED_PATH).read_bytes() == seed_text(2).encode()


def test_unified_patch_for_a_path_with_a_space_applies(tmp_path):
    root = make_archive(tmp_path / "a")
    t0 = datetime(2020, 5, 1, 8, tzinfo=UTC)
    add_versions(root, [("http://example.com/news/a%20b", "T\n\nOne.\n\nTwo.", t0),
                        ("http://example.com/news/a%20b", "T\n\nOne!\n\nTwo.\n", t0)])
    patch = run(root, "diff", "example.com/news/a b.txt", "-f", "unified").stdout
    assert "\\ No newline at end of file" in patch
    work = tmp_path / "w"
    (work / "example.com/news").mkdir(parents=True)
    (work / "example.com/news/a b.txt").write_text("T\n\nOne.\n\nTwo.")
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "apply", "-"], input=patch.encode(), cwd=work, check=True)
    assert (work / "example.com/news/a b.txt").read_text() == "T\n\nOne!\n\nTwo.\n"


def _html_doc(text: str):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(text)  # raises on any HTML5 parse error


def test_diff_html_page(seed):
    result = run(seed, "diff", SEED_URL, "--format", "html")
    assert result.exit_code == 0
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>")
    doc = _html_doc(page)
    assert [d.text for d in doc.iter("del")] == ["operundi"]
    assert [i.text for i in doc.iter("ins")] == ["operandi"]
    assert not list(doc.iter("script"))
    table = doc.find(".//table")
    rows = table.findall("./tbody/tr")
    assert rows[0].get("class") == "headline equal" and len(rows) == 19
    assert all(len(r.findall("td")) == 2 for r in rows)
    text = " ".join(doc.itertext())
    assert "The article has changed 1 time" in text and "about 7 hours later" in text
    assert "Source: theguardian.com" in text
    assert doc.find(".//a").get("href") == SEED_URL
    times = [t.get("datetime") for t in doc.iter("time")]
    assert times[-2:] == ["2016-09-29T10:02:00Z", "2016-09-29T17:14:00Z"]


def test_diff_html_escapes_article_text(tmp_path):
    root = make_archive(tmp_path / "a")
    t0 = datetime(2020, 5, 1, 8, tzinfo=UTC)
    evil = '<script>alert("x")</script> & <b>bold</b>'
    add_versions(root, [("http://example.com/evil", f"Title {evil}\n\nSafe.\n", t0),
                        ("http://example.com/evil", f"Title\n\nSafe. {evil}\n", t0 + timedelta(hours=1))])
    page = run(root, "diff", "example.com/evil", "-f", "html").stdout
    doc = _html_doc(page)
    assert not list(doc.iter("script")) and not list(doc.iter("b"))
    assert "&lt;script&gt;" in page
    cells = ["".join(td.itertext()) for td in doc.iter("td")]
    assert f"Title {evil}" in cells and f"Safe. {evil}" in cells


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@pytest.mark.skipif(_browser() is None, reason="no headless Chromium on this machine")
def test_diff_html_renders_in_a_headless_browser(seed, tmp_path):
    page = tmp_path / "diff.html"
    page.write_text(run(seed, "diff", SEED_URL, "-f", "html").stdout, encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [_browser(), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True, timeout=120)
    dom = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    doc = html5lib.parse(dom, namespaceHTMLElements=False)
    rows = doc.findall(".//table/tbody/tr")
    assert len(rows) == 19 and all(len(r.findall("td")) == 2 for r in rows)
    assert [d.text for d in doc.iter("del")] == ["operundi"]
    assert [i.text for i in doc.iter("ins")] == ["operandi"]
    headers = [" ".join(th.itertext()) for th in doc.findall(".//table/thead/tr/th")]
    assert headers[0].startswith("Version 1") and headers[1].startswith("Version 2")


def test_diff_json(seed):
    result = run(seed, "diff", SEED_URL, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    validate(doc, "gitnews.diff/1", documented_schema())
    ops = [(row["kind"], row["old_index"], op["op"], op["old"], op["new"])
           for row in [doc["headline"], *doc["paragraphs"]] for op in row["ops"]
           if op["op"] != "equal"]
    assert ops == [("changed", 11, "replace", "operundi", "operandi")]
    assert (doc["a"]["version"], doc["b"]["version"]) == (1, 2)
    assert doc["gap"] == "about 7 hours later"


def test_diff_explicit_versions(seed):
    same = json.loads(run(seed, "diff", SEED_URL, "2", "-f", "json").stdout)
    assert (same["a"]["version"], same["b"]["version"]) == (2, 2)
    assert same["stats"]["words_added"] == 0
    back = json.loads(run(seed, "diff", SEED_URL, "-1", "-2", "-f", "json").stdout)
    assert (back["a"]["version"], back["b"]["version"]) == (2, 1)
    assert "earlier" in back["gap"]
    bad = run(seed, "diff", SEED_URL, "1", "5")
    assert bad.exit_code == 1 and "numbered 1 to 2" in bad.stderr


def test_diff_of_an_article_with_one_version(tmp_path):
    root = make_archive(tmp_path / "a")
    add_versions(root, [("http://example.com/one", "Only\n\nOnce.\n",
                         datetime(2020, 1, 1, tzinfo=UTC))])
    result = run(root, "diff", "example.com/one")
    assert result.exit_code == 1 and "only 1 version" in result.stderr


# -- list ---------------------------------------------------------------------------------

WIDE = {"COLUMNS": None}  # not a terminal, no COLUMNS: whole lines

def test_list(tmp_path):
    root = seed_archive(tmp_path / "a")
    add_versions(root, [("http://www.bbc.co.uk/news/uk-1", "BBC story\n\nText.\n",
                         datetime(2016, 9, 30, 9, tzinfo=UTC))])
    out = run(root, "list", env=WIDE).stdout.splitlines()
    assert out[0].split()[:4] == ["VERSIONS", "FIRST", "SEEN", "LAST"]
    assert out[1].split()[0] == "1" and "bbc.co.uk" in out[1] and out[1].endswith("bbc.co.uk/news/uk-1.txt")
    assert out[2].split()[:3] == ["2", "2016-09-29T10:02:00Z", "2016-09-29T17:14:00Z"]
    assert out[2].endswith(SEED_PATH)
    changed = run(root, "list", "--changed", env=WIDE).stdout.splitlines()
    assert len(changed) == 2 and changed[1].endswith(SEED_PATH)
    assert len(run(root, "list", "--host", "theguardian.com", env=WIDE).stdout.splitlines()) == 2
    assert len(run(root, "list", "--since", "2016-09-30", env=WIDE).stdout.splitlines()) == 2
    assert run(root, "list", "--sort", "versions", "--limit", "1", env=WIDE).stdout.splitlines()[1].endswith(SEED_PATH)
    doc = json.loads(run(root, "list", "--json", "--sort", "headline", env=WIDE).stdout)
    validate(doc, "gitnews.list/1", documented_schema())
    assert [a["headline"] for a in doc["articles"]] == [
        "BBC story", "Gaps remain in tackling child sexual exploitation, Ofsted finds"]
    assert doc["articles"][1]["host"] == "theguardian.com"
    bad = run(root, "list", "--since", "yesterday-ish")
    assert bad.exit_code == 2 and "RFC 3339" in bad.stderr and "--since" in bad.stderr


def test_diff_format_choices_are_the_models_formats():
    from gitnews.cli.versions import DiffFormat
    from gitnews.models import DIFF_FORMATS

    assert [f.value for f in DiffFormat] == list(DIFF_FORMATS)
