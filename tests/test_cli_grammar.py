"""One grammar for the command line (issue 14), through the real CLI on real archives:
global options before or after the command, one meaning per short option, --json on
every command that prints data, one time syntax, articles named by a headline piece,
``list`` fitting the width, ``run --show-text`` without --dry-run, ``gitnews status``,
and the README's tables matching ``--help``."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews
from scenario_checks import version_commits
from test_versions_cli import documented_schema, validate
from versions_support import SEED_URL, add_versions, seed_archive

README = Path(__file__).resolve().parents[1] / "README.md"
GUARDIAN_FEED = "http://www.theguardian.com/society/rss"
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")


def plain_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GITNEWS_ARCHIVE", "COLUMNS", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    return {**env, **extra}


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    root = seed_archive(tmp_path_factory.mktemp("grammar") / "archive")
    add_versions(root, [
        ("http://www.bbc.co.uk/news/uk-1", "Ofsted report on children's services\n\nText.\n",
         datetime(2016, 9, 30, 9, tzinfo=UTC)),
        ("http://www.bbc.co.uk/news/uk-2", "Another Ofsted report\n\nMore text.\n",
         datetime(2016, 10, 2, 9, tzinfo=UTC))])
    return root


# -- global options ------------------------------------------------------------------------

def test_global_options_go_before_or_after_the_command(seed, tmp_path):
    env = plain_env()
    after = run_gitnews("log", SEED_URL, "--archive", str(seed), env=env, check=True)
    before = run_gitnews("--archive", str(seed), "log", SEED_URL, env=env, check=True)
    short = run_gitnews("-a", str(seed), "log", SEED_URL, env=env, check=True)
    assert before.stdout == after.stdout == short.stdout and "2016-09-29T17:14:00Z" in before.stdout
    doc = json.loads(run_gitnews("--json", "--archive", str(seed), "list", env=env,
                                 check=True).stdout)
    assert doc["schema"] == "gitnews.list/1" and doc["count"] == 3
    colour = run_gitnews("--no-color", "-a", str(seed), "diff", SEED_URL,
                         env=plain_env(FORCE_COLOR="1"), check=True)
    assert "\x1b[" not in colour.stdout and "operandi" in colour.stdout
    # --archive before the command beats $GITNEWS_ARCHIVE; the one after the command
    # beats the one before.
    elsewhere = plain_env(GITNEWS_ARCHIVE=str(tmp_path / "nothing-here"))
    assert run_gitnews("--archive", str(seed), "show", SEED_URL, env=elsewhere,
                       check=True).stdout.startswith("Gaps remain")
    assert run_gitnews("--archive", str(tmp_path / "nothing"), "show", SEED_URL,
                       "--archive", str(seed), env=env, check=True).stdout.startswith("Gaps")
    assert run_gitnews("show", SEED_URL, env=plain_env(GITNEWS_ARCHIVE=str(seed)),
                       check=True).stdout.startswith("Gaps")
    # --json where it does not apply is a usage error, not silence.
    bad = run_gitnews("--json", "-a", str(seed), "gc", env=env)
    assert bad.returncode == 2 and "--json" in bad.stderr and "Traceback" not in bad.stderr


def test_a_short_option_means_one_thing_everywhere():
    import typer.main

    from gitnews.cli import app

    root = typer.main.get_command(app)
    meaning: dict[str, set[str]] = {}
    commands = {"gitnews": root, **{f"gitnews {n}": c for n, c in root.commands.items()}}
    for name, cmd in commands.items():
        for param in cmd.params:
            opts = [o for o in [*param.opts, *param.secondary_opts] if o.startswith("-")]
            longs = sorted(o for o in opts if o.startswith("--"))
            for short in (o for o in opts if not o.startswith("--")):
                meaning.setdefault(short, set()).add(longs[0] if longs else param.name)
    clashes = {s: m for s, m in meaning.items() if len(m) > 1}
    assert not clashes, clashes
    assert meaning["-n"] == {"--limit"} and meaning["-a"] == {"--archive"}


def test_show_picks_a_version_with_version_and_list_limits_with_n(seed):
    env = plain_env(COLUMNS="400")
    first = run_gitnews("show", SEED_URL, "--version", "1", "-a", str(seed), env=env, check=True)
    assert "operundi" in first.stdout
    assert len(run_gitnews("list", "-n", "1", "-a", str(seed), env=env,
                           check=True).stdout.splitlines()) == 2


# -- one time syntax -----------------------------------------------------------------------

def test_one_time_syntax_for_since_and_until(seed):
    env = plain_env()

    def paths(*args: str) -> list[str]:
        doc = json.loads(run_gitnews("list", "--json", "-a", str(seed), *args, env=env,
                                     check=True).stdout)
        return [a["path"] for a in doc["articles"]]

    assert paths("--since", "2016-10") == ["bbc.co.uk/news/uk-2.txt"]
    assert paths("--until", "2016-09-29") == [SEED_PATH]  # the whole day
    assert paths("--since", "2016-09-30", "--until", "2016-09") == ["bbc.co.uk/news/uk-1.txt"]
    assert paths("--since", "2016-09-29T17:14:00Z", "--until", "2016-09-29T18:14:00+01:00") \
        == [SEED_PATH]
    assert paths("--since", "3d") == [] and paths("--since", "yesterday") == []
    assert len(paths("--until", "today")) == 3 and len(paths("--since", "10000d")) == 3
    bad = run_gitnews("list", "-a", str(seed), "--until", "soonish", env=env)
    assert bad.returncode == 2 and "--until" in bad.stderr and "2016-09-29" in bad.stderr


def test_import_takes_the_same_time_syntax(tmp_path):
    from warcs import SEED_T1, SEED_T2, SEED_V1, SEED_V2, Rec, write_warc
    from warcs import SEED_URL as WARC_URL

    warc = tmp_path / "seed.warc.gz"
    write_warc(warc, [Rec("warcinfo"), Rec("response", WARC_URL, SEED_T1, SEED_V1),
                      Rec("response", WARC_URL, SEED_T2, SEED_V2)])
    archive = tmp_path / "a"
    env = plain_env()
    run_gitnews("init", "--archive", str(archive), env=env, check=True)  # import creates none
    # 3 days back from now: both 2016 captures are older, nothing is imported.
    none = run_gitnews("import", str(warc), "--from", "3d", "-a", str(archive), "--json",
                       env=env, check=True)
    doc = json.loads(none.stdout)
    assert doc["versions"] == 0 and doc["counts"]["new"] == 0
    validate(doc, "gitnews.import/1", documented_schema())
    one = json.loads(run_gitnews("--json", "import", str(warc), "--to", SEED_T1,
                                 "-a", str(archive), env=env, check=True).stdout)
    validate(one, "gitnews.import/1", documented_schema())
    assert one["versions"] == 1 and [i["outcome"] for i in one["items"]].count("NEW") == 1
    added = [i for i in one["items"] if i["outcome"] == "NEW"][0]
    assert added["captured_at"] == SEED_T1 and SEED_T2 > SEED_T1


# -- naming an article by its headline ----------------------------------------------------

def test_a_unique_headline_piece_names_the_article(seed):
    env = plain_env()
    by_headline = run_gitnews("log", "tackling CHILD sexual", "-a", str(seed), env=env, check=True)
    assert by_headline.stdout == run_gitnews("log", SEED_URL, "-a", str(seed), env=env,
                                             check=True).stdout
    shown = run_gitnews("show", "another ofsted", "-a", str(seed), env=env, check=True)
    assert shown.stdout.startswith("Another Ofsted report\n")
    both = run_gitnews("show", "Ofsted report", "-a", str(seed), env=env)
    assert both.returncode == 1 and "Traceback" not in both.stderr
    assert "2 articles have 'Ofsted report' in their headline" in both.stderr
    assert "bbc.co.uk/news/uk-1.txt" in both.stderr and "bbc.co.uk/news/uk-2.txt" in both.stderr
    assert both.stdout == ""


# -- list fits the width ------------------------------------------------------------------

def test_list_fits_the_terminal_width_and_json_has_the_full_path(seed):
    for columns in (60, 80, 120):
        out = run_gitnews("list", "-a", str(seed), env=plain_env(COLUMNS=str(columns)),
                          check=True).stdout.splitlines()
        assert len(out) == 4 and all(len(line) <= columns for line in out), (columns, out)
        assert "Gaps remain" in out[-1] or "Gaps remain" in "".join(out)
    wide = run_gitnews("list", "-a", str(seed), env=plain_env(COLUMNS="300"),
                       check=True).stdout
    assert SEED_PATH in wide
    doc = json.loads(run_gitnews("list", "--json", "-a", str(seed), env=plain_env(COLUMNS="60"),
                                 check=True).stdout)
    assert SEED_PATH in [a["path"] for a in doc["articles"]]


# -- run: --show-text, --json; feeds --json; status ---------------------------------------

def test_run_show_text_needs_no_dry_run_and_commits_nothing(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    init_test_archive(archive)
    before = git(archive, "rev-parse", "HEAD")
    shown = run_gitnews("run", "--show-text", SEED_URL, "--archive", str(archive),
                        env=server.env(), check=True)
    assert shown.stdout.startswith("Gaps remain in tackling child sexual exploitation")
    assert "paragraph(s) dropped" in shown.stderr
    assert git(archive, "rev-parse", "HEAD") == before
    assert git(archive, "status", "--porcelain") == ""


def test_run_feeds_and_status_print_documented_json_and_status_tells_the_state(replay,
                                                                               tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = {**server.env(), "NO_COLOR": "1"}
    schema = documented_schema()
    init_test_archive(archive)
    a = ["--archive", str(archive)]
    run_gitnews("add", *a, "--feed", GUARDIAN_FEED, "http://missing.example/feed.xml",
                env=env, check=True)

    never = run_gitnews("status", *a, env=env, check=True)
    assert "Last run:  none recorded" in never.stdout

    r = run_gitnews("run", *a, "--json", env=env)
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    validate(doc, "gitnews.run/1", schema)
    for item in doc["items"]:
        validate(item, "item", schema)
    assert doc["counts"]["new"] == 1 and doc["versions"] == 1 and doc["failed_feeds"] == 1
    new = [i for i in doc["items"] if i["outcome"] == "NEW"][0]
    assert new["path"] == SEED_PATH and new["version"] == 1
    failed = [i for i in doc["items"] if i["outcome"] == "FAILED"][0]
    assert failed["kind"] == "feed" and "404" in failed["message"]
    assert len(version_commits(archive)) == 1

    feeds = json.loads(run_gitnews("--json", "feeds", *a, env=env, check=True).stdout)
    validate(feeds, "gitnews.feeds/1", schema)
    for feed in feeds["feeds"]:
        validate(feed, "feed", schema)
    by_url = {f["url"]: f for f in feeds["feeds"]}
    assert by_url[GUARDIAN_FEED]["error"] is None and by_url[GUARDIAN_FEED]["last_read"]
    assert "404" in by_url["http://missing.example/feed.xml"]["error"]
    assert by_url["http://missing.example/feed.xml"]["failing_since"]

    text = run_gitnews("status", *a, env=env, check=True).stdout
    assert re.search(r"Last run:  finished \d{4}-\d\d-\d\dT[\d:]+Z \(.*ago\): completed, "
                     r"some items failed; NEW 1", text), text
    assert "Failing for 1d or more: nothing" in text  # it began failing just now
    assert "Next due:" in text and "1 article(s), 2 feed(s)" in text
    assert "Remote:    none named 'origin'" in text
    assert "Cache:" in text and "state.sqlite" in text

    now = run_gitnews("status", *a, "--failing-for", "0s", env=env, check=True).stdout
    assert re.search(r"feed +http://missing.example/feed.xml +\(since .*\): .*404", now), now


    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(archive, "remote", "add", "origin", str(remote))
    unpushed = json.loads(run_gitnews("status", *a, "--json", "--failing-for", "0s", env=env,
                                      check=True).stdout)
    validate(unpushed, "gitnews.status/1", schema)
    for key in ("remote", "cache", "last_run"):
        validate(unpushed[key], key, schema)
    for item in unpushed["failing"]:
        validate(item, "failing", schema)
    assert unpushed["remote"] == {"name": "origin", "branch": "main", "exists": True,
                                  "url": str(remote), "pushed": False}
    assert unpushed["last_run"]["ended"] == "failures" and unpushed["last_run"]["failed"] == 1
    assert [f["url"] for f in unpushed["failing"]] == ["http://missing.example/feed.xml"]
    assert unpushed["articles"] == 1 and unpushed["commits"] >= 2 and unpushed["git_bytes"] > 0
    run_gitnews("push", *a, env=env, check=True)
    assert "origin " + str(remote) + " (main): pushed" in run_gitnews(
        "status", *a, env=env, check=True).stdout

    # The server goes away: the article's check fails too (it has a file: it is listed).
    server.proc.terminate()
    server.proc.wait(timeout=10)
    assert run_gitnews("run", *a, "--all", env=env).returncode == 1
    doc = json.loads(run_gitnews("status", *a, "--json", "--failing-for", "0s", env=env,
                                 check=True).stdout)
    validate(doc, "gitnews.status/1", schema)
    article = [f for f in doc["failing"] if f["kind"] == "article"]
    assert len(article) == 1 and article[0]["path"] == SEED_PATH
    assert article[0]["url"] == SEED_URL and article[0]["failures"] == 1
    assert article[0]["last_error"] and article[0]["since"]
    feeds = {f["url"]: f for f in doc["failing"] if f["kind"] == "feed"}
    assert set(feeds) == {GUARDIAN_FEED, "http://missing.example/feed.xml"}
    # still failing since its first failed read, with the latest error
    missing = feeds["http://missing.example/feed.xml"]
    assert missing["since"] == unpushed["failing"][0]["since"]
    assert missing["last_error"] != unpushed["failing"][0]["last_error"]
    assert doc["last_run"]["ended"] == "failures" and doc["last_run"]["counts"]["failed"] == 1
    assert json.loads(run_gitnews("status", *a, "--json", env=env,
                                  check=True).stdout)["failing"] == []  # not for a day yet


# -- the README's tables match --help -------------------------------------------------------

def _readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def test_readme_commands_table_matches_help():
    out = run_gitnews("--help", env=plain_env(COLUMNS="200"), check=True).stdout
    listed = re.search(r"Commands:\n(.*?)(?:\n\n|\Z)", out, re.S).group(1)
    in_help = {line.split()[0] for line in listed.splitlines() if line.strip()}
    table = [line for line in _readme_section("Commands").splitlines()
             if line.startswith("| `gitnews")]
    in_readme: set[str] = set()
    for row in table:
        cell = row.split("|")[1]
        for name in re.findall(r"`(?:gitnews )?([a-z]+)[^`]*`", cell):
            in_readme.add(name)
    assert in_help == in_readme, (sorted(in_help - in_readme), sorted(in_readme - in_help))


def test_readme_exit_statuses_match_help():
    out = " ".join(run_gitnews("--help", env=plain_env(COLUMNS="200"), check=True).stdout.split())
    in_help = dict(re.findall(r"(?:Exit status: |; )(\d+) ([^;]+?)(?=;|\.$| \Z)", out))
    section = _readme_section("Commands")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|$", section, re.M)
    assert rows, "the README's Commands section has an exit-status table"
    in_readme = {code: what.strip() for code, what in rows}
    assert set(in_readme) == set(in_help), (in_readme, in_help)
    for code, what in in_readme.items():
        assert what.rstrip(".") == in_help[code].rstrip("."), code
