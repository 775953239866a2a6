"""``gitnews import`` of WARC files, end to end: real WARCs (written with warcio from
recorded real pages, and the scenarios' own WARCs), real git archives."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, git, run_gitnews, shared_path
from scenario_checks import assert_versions_consistent, load_json, run_steps, version_commits
from warcs import SEED_PATH, SEED_T1, SEED_T2, SEED_URL, SEED_V1, SEED_V2, Rec, seed_records, write_warc

from gitnews.archive.repo import open_archive
from gitnews.ops.importing import NOT_200, NOT_CAPTURE, NOT_HTML, NOT_NEWER, REPEATED, UNRESOLVED_REVISIT
from gitnews.ops.warc_import import import_warcs

BBC_STORY = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"
BBC_OTHER = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"


def env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if "proxy" not in k.lower()}, "NO_COLOR": "1"}


def gitnews_import(archive: Path, *args: str, init: bool = True) -> subprocess.CompletedProcess:
    """``gitnews import`` into ``archive``, created first with ``gitnews init`` if new
    and ``init`` (import never creates an archive: only init and add do)."""
    if init and not archive.exists():
        run_gitnews("init", "--archive", str(archive), env=env(), check=True)
    return run_gitnews("import", "--archive", str(archive), *map(str, args), env=env())


def histories(archive: Path) -> dict[str, list[str]]:
    """Each article file -> the texts of its versions, oldest first."""
    out: dict[str, list[str]] = {}
    for c in version_commits(archive):
        (path,) = c["files"]
        out.setdefault(path, []).append(git(archive, "show", f"{c['sha']}:{path}"))
    return out


def dates(archive: Path, path: str) -> list[str]:
    """Author and commit date of each version of ``path``, oldest first."""
    return git(archive, "log", "--reverse", "--format=%aI %cI", "--", path).split("\n")[:-1]


def test_seed_warc_gives_two_versions_dated_when_captured_and_twice_adds_nothing(tmp_path):
    warc = tmp_path / "seed-crawl.warc.gz"
    # Written newest first: the import still commits in capture order.
    write_warc(warc, [Rec("warcinfo"), Rec("response", SEED_URL, SEED_T2, SEED_V2),
                      Rec("request", SEED_URL, SEED_T1),
                      Rec("response", SEED_URL, SEED_T1, SEED_V1)])
    archive = tmp_path / "archive"
    first = gitnews_import(archive, warc)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "RECORDS 4, ARTICLES 1, VERSIONS 2 (NEW 1, CHANGED 1), SKIPPED 2, FAILED 0" in first.stdout
    commits = version_commits(archive)
    assert [c["files"] for c in commits] == [[SEED_PATH], [SEED_PATH]]
    assert dates(archive, SEED_PATH) == ["2016-09-29T10:02:00+00:00 2016-09-29T10:02:00+00:00",
                                         "2016-09-29T17:14:00+00:00 2016-09-29T17:14:00+00:00"]
    for c, when in zip(commits, (SEED_T1, SEED_T2)):
        t = c["trailers"]
        assert (t["Fetched-At"], t["Captured-At"], t["Source-Archive"]) == (
            when, when, "seed-crawl.warc.gz")
        assert t["Article-Url"] == SEED_URL and t["Http-Status"] == "200"
    assert commits[0]["message"].startswith("New: Gaps remain in tackling child sexual")
    assert_versions_consistent(archive)
    diff = git(archive, "diff", "--word-diff=porcelain", "HEAD~1", "HEAD", "--", SEED_PATH)
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert changed == ["-operundi.", "+operandi."]
    assert git(archive, "status", "--porcelain") == ""

    head = git(archive, "rev-parse", "HEAD")
    second = gitnews_import(archive, warc)
    assert second.returncode == 0, second.stdout + second.stderr
    assert git(archive, "rev-parse", "HEAD") == head
    assert "VERSIONS 0 (NEW 0, CHANGED 0), SKIPPED 4, FAILED 0" in second.stdout
    assert f"skipped      2: {NOT_NEWER}" in second.stdout


def test_a_capture_older_than_the_newest_version_is_reported_and_skipped(tmp_path):
    archive = tmp_path / "archive"
    later = tmp_path / "later.warc.gz"
    write_warc(later, [Rec("response", SEED_URL, SEED_T2, SEED_V2)])
    assert gitnews_import(archive, later).returncode == 0
    earlier = tmp_path / "earlier.warc.gz"
    write_warc(earlier, [Rec("response", SEED_URL, SEED_T1, SEED_V1),
                         Rec("response", SEED_URL, "2016-09-30T09:00:00Z", SEED_V1)])
    proc = gitnews_import(archive, earlier)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The older capture is named in the output and not inserted into the past; the newer
    # one (the old text again) is a real change after the newest version: version 2.
    assert (f"SKIPPED   {SEED_URL} (earlier.warc.gz, byte 0): captured {SEED_T1}; the newest "
            f"version of {SEED_PATH} is from {SEED_T2}") in proc.stdout
    commits = version_commits(archive)
    assert [c["trailers"]["Captured-At"] for c in commits] == [SEED_T2, "2016-09-30T09:00:00Z"]
    assert histories(archive)[SEED_PATH][1] == histories(archive)[SEED_PATH][0].replace(
        "operandi", "operundi")
    assert_versions_consistent(archive)


def test_bad_records_are_reported_one_by_one_and_the_import_goes_on(tmp_path):
    good = tmp_path / "good.warc.gz"
    written = write_warc(good, seed_records())
    v1_digest = written[1]["WARC-Payload-Digest"]
    messy = tmp_path / "messy.warc.gz"
    feed = (DATA / "scenarios" / "seed-guardian" / "society-rss.xml").read_bytes()
    write_warc(messy, [
        Rec("warcinfo"),
        Rec("response", SEED_URL, SEED_T1, SEED_V1),
        Rec("response", "http://www.theguardian.com/society/rss", SEED_T1, feed,
            content_type="text/xml; charset=UTF-8"),
        Rec("response", "http://www.theguardian.com/go/1", SEED_T1, b"", status="302 Found",
            headers=[("Location", SEED_URL)]),
        Rec("response", "http://www.theguardian.com/undated", None, SEED_V2),
        # Seen again at noon, unchanged: a revisit record pointing at the 10:02 capture.
        Rec("revisit", SEED_URL, "2016-09-29T12:00:00Z", status="304 Not Modified",
            revisit_of=(v1_digest, SEED_URL, SEED_T1)),
        Rec("revisit", "http://www.theguardian.com/elsewhere", "2016-09-29T12:00:00Z",
            revisit_of=("sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "http://x.test/", SEED_T1)),
        Rec("response", SEED_URL, SEED_T2, SEED_V2),
        Rec("response", "http://www.theguardian.com/cut", "2016-09-29T18:00:00Z", SEED_V1),
    ])
    data = messy.read_bytes()
    messy.write_bytes(data[:-3000])  # a download that stopped early
    archive = tmp_path / "archive"
    with open_archive(archive, create=True) as arc:
        result = import_warcs(arc, [messy])
    assert result.records_read == 9
    assert result.versions_added == 2
    assert result.skipped == {REPEATED: 1, NOT_HTML: 1, NOT_200: 1, UNRESOLVED_REVISIT: 1,
                              NOT_CAPTURE: 1}
    failures = {f.url: f.message for f in result.failures}
    assert set(failures) == {"http://www.theguardian.com/undated", "http://www.theguardian.com/cut"}
    assert "no WARC-Date" in failures["http://www.theguardian.com/undated"]
    assert "cut short" in failures["http://www.theguardian.com/cut"]
    repeated = next(i for i in result.items if i.reason == REPEATED)
    assert repeated.where and repeated.path == SEED_PATH
    assert [c["trailers"]["Captured-At"] for c in version_commits(archive)] == [SEED_T1, SEED_T2]

    # The same through the command: exit status 1, one line per failed record on stderr.
    again = gitnews_import(tmp_path / "archive2", messy)
    assert again.returncode == 1
    assert "2 record(s) failed:" in again.stderr
    assert ("FAILED messy.warc.gz byte " in again.stderr
            and "http://www.theguardian.com/undated: no WARC-Date" in again.stderr)
    assert "SKIPPED 5, FAILED 2" in again.stdout


def test_a_corrupt_stretch_in_a_warc_loses_only_that_record(tmp_path):
    warc = tmp_path / "damaged.warc.gz"
    write_warc(warc, [*seed_records(),
                      Rec("response", SEED_URL, "2016-09-29T12:00:00Z", SEED_V1)])
    data = bytearray(warc.read_bytes())
    # Garble the gzip member of the noon capture (the last record) in its middle.
    last = data.rindex(b"\x1f\x8b\x08")
    data[last + 200:last + 260] = b"\xff" * 60
    warc.write_bytes(bytes(data))
    archive = tmp_path / "archive"
    with open_archive(archive, create=True) as arc:
        result = import_warcs(arc, [warc])
    (failure,) = result.failures
    assert failure.where == f"byte {last:,}"
    assert result.versions_added == 2


def test_usage_errors_exit_2(tmp_path):
    archive = tmp_path / "archive"
    assert gitnews_import(archive, init=False).returncode == 2
    missing = gitnews_import(archive, tmp_path / "nope.warc.gz", init=False)
    assert missing.returncode == 2 and "no such WARC file" in missing.stderr
    url = gitnews_import(archive, SEED_URL, init=False)
    assert url.returncode == 2 and "use --wayback URL" in url.stderr
    bad = gitnews_import(archive, "--wayback", "ftp://example.com/x", init=False)
    assert bad.returncode == 2 and "http or https" in bad.stderr
    warc = tmp_path / "seed.warc.gz"
    write_warc(warc, seed_records())
    date = gitnews_import(archive, "--from", "last tuesday", warc, init=False)
    assert date.returncode == 2 and "--from" in date.stderr
    order = gitnews_import(archive, "--from", "2017", "--to", "2016", warc, init=False)
    assert order.returncode == 2 and "is after --to" in order.stderr
    assert not archive.exists()  # usage errors come first; import never creates one


def test_from_and_to_limit_the_captures_imported(tmp_path):
    warc = tmp_path / "seed.warc.gz"
    write_warc(warc, seed_records())
    archive = tmp_path / "archive"
    proc = gitnews_import(archive, "--to", "2016-09-29T12:00:00Z", warc)
    assert proc.returncode == 0 and "VERSIONS 1 (NEW 1, CHANGED 0)" in proc.stdout
    proc = gitnews_import(archive, "--from", "20160929120000", "-v", warc)
    assert proc.returncode == 0 and "VERSIONS 1 (NEW 0, CHANGED 1)" in proc.stdout
    assert "outside --from/--to" in proc.stdout
    assert [c["trailers"]["Version"] for c in version_commits(archive)] == ["1", "2"]


def test_bbc_2009_warc_gives_the_same_versions_as_the_live_run(replay, tmp_path):
    scenario = DATA / "scenarios" / "bbc-2009"
    live = tmp_path / "live"
    runs = run_steps(replay, scenario, live, [load_json(scenario / "scenario.json")["feeds"][0]], 2)
    assert [r.returncode for r in runs] == [0, 0]
    imported = tmp_path / "imported"
    proc = gitnews_import(imported, scenario / "snapshots.warc.gz")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = histories(imported)
    assert got == histories(live)
    assert len(got[BBC_STORY]) == 2 and len(got[BBC_OTHER]) == 1
    assert "£" in got[BBC_STORY][0] and "|" not in got[BBC_STORY][0]
    assert [d.split()[0] for d in dates(imported, BBC_STORY)] == [
        "2009-04-05T10:00:00+00:00", "2009-04-05T14:00:00+00:00"]
    assert_versions_consistent(imported)


def test_shared_seed_guardian_warc(tmp_path):
    warc = shared_path("scenarios", "seed-guardian", "snapshots.warc.gz")
    archive = tmp_path / "archive"
    proc = gitnews_import(archive, warc)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = histories(archive)
    assert len(got) == 3 and len(got[SEED_PATH]) == 2
    assert sorted(len(v) for v in got.values()) == [1, 1, 2]
    assert [d.split()[0] for d in dates(archive, SEED_PATH)] == [
        "2016-09-29T10:02:00+00:00", "2016-09-29T17:14:00+00:00"]
    for path in got:
        if path != SEED_PATH:
            assert [d.split()[0] for d in dates(archive, path)] == ["2016-09-29T10:02:00+00:00"]
    assert_versions_consistent(archive)
    head = git(archive, "rev-parse", "HEAD")
    assert gitnews_import(archive, warc).returncode == 0
    assert git(archive, "rev-parse", "HEAD") == head


@pytest.mark.slow
def test_shared_ars_versions_warc_gives_the_same_versions_as_the_live_run(replay, tmp_path):
    scenario = shared_path("scenarios", "ars-versions")
    expected = load_json(scenario / "expected.json")
    live = tmp_path / "live"
    runs = run_steps(replay, scenario, live, [expected["feed"]], len(expected["steps"]))
    assert all(r.returncode == 0 for r in runs)
    imported = tmp_path / "imported"
    proc = gitnews_import(imported, scenario / "snapshots.warc.gz")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = histories(imported)
    assert got == histories(live)
    assert sum(len(v) for v in got.values()) == len(version_commits(live))
    # Every version is dated at the step that served it.
    steps = [s["at"].replace("Z", "+00:00") for s in load_json(scenario / "scenario.json")["steps"]]
    for path in got:
        assert all(d.split()[0] in steps for d in dates(imported, path))
    assert_versions_consistent(imported)


def test_imported_history_reads_with_capture_gaps_and_is_not_rechecked_when_old(replay, tmp_path):
    """Issue 3 and 6 together, on an archive built from a WARC: `log` gives the capture
    gap in words, and an article last changed years ago is not re-checked by `run`
    (the schedule stops after 40 days) but is by `run --all`."""
    warc = tmp_path / "seed.warc.gz"
    write_warc(warc, [Rec("response", SEED_URL, SEED_T1, SEED_V1),
                      Rec("response", SEED_URL, SEED_T2, SEED_V2)])
    archive = tmp_path / "archive"
    assert gitnews_import(archive, warc).returncode == 0
    log = run_gitnews("log", "--archive", str(archive), SEED_URL, env=env())
    assert log.returncode == 0, log.stderr
    assert "about 7 hours later" in log.stdout and "changed 1 time" in log.stdout
    assert "won't be checked again for changes" in log.stdout

    server = replay(DATA / "scenarios" / "seed-guardian")
    server.step(1)  # the page as version 2: a re-check finds it unchanged
    live = server.env()
    run = run_gitnews("run", "--archive", str(archive), env=live)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not [r for r in server.requests() if r["url"] == SEED_URL]
    again = run_gitnews("run", "--all", "--archive", str(archive), env=live)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [r["status"] for r in server.requests() if r["url"] == SEED_URL] == [200]
    assert len(version_commits(archive)) == 2


def test_a_wrong_content_length_in_an_uncompressed_warc_fails_one_record_only(tmp_path):
    import re

    warc = tmp_path / "crawl.warc"
    write_warc(warc, [Rec("warcinfo"), Rec("response", SEED_URL, "2016-09-29T09:00:00Z", SEED_V2),
                      Rec("response", SEED_URL, SEED_T1, SEED_V1),
                      Rec("response", SEED_URL, SEED_T2, SEED_V2)], gz=False)
    data = warc.read_bytes()
    m = re.compile(rb"Content-Length: (\d+)\r\n").search(data, data.index(b"WARC-Type: response"))
    warc.write_bytes(data[:m.start()] + b"Content-Length: %d\r\n" % (int(m.group(1)) + 50_000)
                     + data[m.end():])
    proc = gitnews_import(tmp_path / "a", warc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "VERSIONS 2 (NEW 1, CHANGED 1)" in proc.stdout and "FAILED 1" in proc.stdout, proc.stdout
    assert "reading goes on at the next record" in proc.stderr
    assert git(tmp_path / "a", "log", "--format=%(trailers:key=Captured-At,valueonly,separator=)",
               "--", SEED_PATH).split() == [SEED_T2, SEED_T1]


def test_import_of_a_folder_or_an_empty_warc_says_what_is_wrong(tmp_path):
    folder = tmp_path / "crawls"
    folder.mkdir()
    proc = gitnews_import(tmp_path / "a", folder)
    assert proc.returncode == 2 and "no such" not in proc.stderr, proc.stderr
    assert f"{folder} is a folder, not a WARC file" in proc.stderr, proc.stderr
    import gzip

    for name, data in (("empty.warc", b""), ("empty.warc.gz", b""),
                       ("nothing.warc.gz", gzip.compress(b""))):
        (folder / name).write_bytes(data)
        proc = gitnews_import(tmp_path / "a", folder / name)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert f"FAILED {name}" in proc.stderr and ("the file is empty" in proc.stderr
                                                    or "no WARC record" in proc.stderr), proc.stderr
        assert "Traceback" not in proc.stderr


def test_sigint_commits_what_was_imported_prints_the_summary_and_exits_130(tmp_path):
    """The rule of every long command: Ctrl-C while captures are being recorded
    commits those recorded, prints the summary and exits 130; importing the same
    file again adds the rest."""
    import signal
    import sys
    import time

    pages = DATA / "scenarios" / "bbc-2009"
    a, b = (pages / "7984711-A.stm.html").read_bytes(), (pages / "7984711-B.stm.html").read_bytes()
    urls = [f"http://news.bbc.co.uk/1/hi/test/{i}.stm" for i in range(80)]
    warc = tmp_path / "big.warc.gz"
    write_warc(warc, [Rec("response", u, "2009-04-05T10:00:00Z", a) for u in urls]
               + [Rec("response", u, "2009-04-05T18:00:00Z", b) for u in urls])
    archive = tmp_path / "a"
    run_gitnews("init", "--archive", str(archive), check=True)
    # Its own process group, signalled as a whole: what Ctrl-C at a terminal does (git
    # fast-import, the extraction workers... get the signal too).
    proc = subprocess.Popen([sys.executable, "-m", "gitnews", "import", "--no-progress",
                             "--archive", str(archive), str(warc)], env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        # fast-import's marks file appears as the first version is written (just before
        # git fast-import starts: give it time to be under way, in its own process group).
        while not list((archive / ".git").glob("gitnews-marks-*")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err and "stopping after the work in flight" in err, err
    assert "RECORDS 160, ARTICLES" in out and "stopped on request" in err, out + err
    first = len(version_commits(archive))
    assert 0 < first < 160 and f"VERSIONS {first} " in out, (first, out)
    assert git(archive, "status", "--porcelain") == ""
    assert_versions_consistent(archive)
    again = gitnews_import(archive, warc)
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(version_commits(archive)) == 160
    assert_versions_consistent(archive)


@pytest.mark.parametrize("processes", ["0", "2"])
def test_import_applies_the_site_rules_as_run_does(tmp_path, processes):
    """``[sites."host"] remove`` prunes the captured page before extraction in an import too
    (in this process and in extraction worker processes), so that a later `gitnews run` of the
    same page finds the same text, not a false version."""
    warc = tmp_path / "seed.warc.gz"
    write_warc(warc, [Rec("response", SEED_URL, SEED_T1, SEED_V1)])
    plain, ruled = tmp_path / "plain", tmp_path / "ruled"
    environ = {**env(), "GITNEWS_EXTRACT_PROCESSES": processes}
    for archive in (plain, ruled):
        run_gitnews("init", "--archive", str(archive), env=environ, check=True)
    text = (plain / "gitnews.toml").read_text()
    assert run_gitnews("import", "--archive", str(plain), str(warc), env=environ).returncode == 0
    paragraphs = (plain / SEED_PATH).read_text().split("\n\n")[1:]
    target = paragraphs[1]
    words = " ".join(target.split()[:6]).replace("'", "")
    (ruled / "gitnews.toml").write_text(
        text + f'\n[sites."theguardian.com"]\nremove = ["//p[contains(., \'{words}\')]"]\n')
    git(ruled, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "rule")
    r = run_gitnews("import", "--archive", str(ruled), str(warc), env=environ)
    assert r.returncode == 0, r.stdout + r.stderr
    stored = (ruled / SEED_PATH).read_text().split("\n\n")[1:]
    assert target not in stored and stored == [p for p in paragraphs if p != target]
