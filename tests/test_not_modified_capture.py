"""A version confirmed by a 304 has its evidence (issue 16): the page held, then the
``304 Not Modified`` as a WARC ``revisit`` record (profile *server-not-modified*,
``WARC-Refers-To`` the page's response).  Real ``gitnews run`` against the loopback
replay server (tests/data/scenarios/true-versions' pages: the BBC story, then a
registration teaser served twice, the second time answered 304), then ``verify``,
``show --raw`` and ``export warc`` read it back as a user would."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from capture_fixtures import BBC_URL, git
from conftest import DATA, init_test_archive, run_gitnews
from scenario_checks import version_commits

from gitnews.archive.captures import (
    NOT_MODIFIED_PROFILE,
    capture_records,
    capture_view,
    fetch_warc,
    not_modified_warc,
)
from gitnews.models import Exchange

PAGES = DATA / "scenarios" / "true-versions" / "pages"
BBC_PATH = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
WARCIO = Path(sys.executable).with_name("warcio")


def _scenario(folder: Path) -> Path:
    folder.mkdir()
    shutil.copytree(PAGES, folder / "pages")
    steps = [("2006-10-21T15:00:00Z", "6072486-A.html"),
             ("2006-10-21T20:00:00Z", "6072486-teaser.html"),
             ("2006-10-21T21:00:00Z", "6072486-teaser.html")]
    (folder / "scenario.json").write_text(json.dumps({"steps": [
        {"at": at, "responses": {BBC_URL: {"content_type": "text/html", "file": f"pages/{f}"}}}
        for at, f in steps]}))
    return folder


def test_a_held_text_confirmed_by_a_304_has_its_capture(replay, tmp_path: Path) -> None:
    server = replay(_scenario(tmp_path / "scenario"))
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    run_gitnews("add", "--archive", str(archive), "--article", BBC_URL, env=env, check=True)
    for step in range(3):
        server.step(step)
        done = run_gitnews("run", "--all", "--no-progress", "--archive", str(archive), env=env)
        assert done.returncode == 0, done.stdout + done.stderr
    statuses = [r.get("status") for r in server.requests()]
    assert statuses[-1] == 304, statuses  # the teaser, not modified: it confirms the hold

    v1, v2 = version_commits(archive)
    assert v2["trailers"]["Version"] == "2" and "Confirmed by" in v2["message"]
    blob = v2["trailers"]["Capture"]
    data = subprocess.run(["git", "-C", str(archive), "cat-file", "blob", blob],
                          capture_output=True, check=True).stdout
    kinds = [(r.rec_type, r.rec_headers.get_header("WARC-Profile"),
              r.rec_headers.get_header("WARC-Refers-To"), r.rec_headers.get_header("WARC-Record-ID"),
              (r.http_headers.statusline if r.http_headers else None),
              r.content_stream().read()) for r in capture_records(data)]
    assert [k[0] for k in kinds] == ["response", "request", "revisit", "request"]
    response, _, revisit, _ = kinds
    assert revisit[1] == NOT_MODIFIED_PROFILE and revisit[2] == response[3]
    assert revisit[4].startswith("304") and response[4].startswith("200")
    teaser = (PAGES / "6072486-teaser.html").read_bytes()
    assert response[5] == teaser
    assert hashlib.sha256(response[5]).hexdigest() == v2["trailers"]["Page-Sha256"]
    view = capture_view(data)  # the page, dated by the 304 that confirmed it
    assert view.record_type == "revisit" and view.payload == teaser
    assert view.fetched_at == datetime.fromisoformat(v2["trailers"]["Fetched-At"])
    assert blob in git(archive, "log", "--format=", "--raw", "--no-abbrev", "gitnews/captures")

    verified = run_gitnews("verify", "--json", "--archive", str(archive))
    report = json.loads(verified.stdout)
    assert verified.returncode == 0 and report["ok"], verified.stdout + verified.stderr
    assert report["captures"] == 2 and report["reproduced"] == 2
    raw = subprocess.run([sys.executable, "-m", "gitnews", "show", BBC_PATH, "--version", "2",
                          "--raw", "--archive", str(archive)], capture_output=True)
    assert raw.returncode == 0 and raw.stdout == teaser

    out = tmp_path / "out.warc.gz"
    exported = run_gitnews("export", "warc", str(out), "--archive", str(archive))
    assert exported.returncode == 0, exported.stderr
    check = subprocess.run([str(WARCIO), "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    from warcio.archiveiterator import ArchiveIterator

    with out.open("rb") as f:
        records = [(r.rec_type, dict(r.rec_headers.headers)) for r in ArchiveIterator(f)]
    ids = {h["WARC-Record-ID"]: (t, h) for t, h in records}
    revisits = [h for t, h in records if h.get("WARC-Profile") == NOT_MODIFIED_PROFILE]
    assert len(revisits) == 1
    target = ids[revisits[0]["WARC-Refers-To"]]  # refers to a record of the same file
    assert target[0] == "response" and target[1]["WARC-Target-URI"] == BBC_URL


def test_not_modified_warc_is_deterministic_and_refers_to_the_page() -> None:
    t1, t2 = datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC)
    page = Exchange(method="GET", url="http://example.com/a", http_version="HTTP/1.1",
                    request_headers=(("Host", "example.com"), ("Cookie", "secret")), status=200,
                    reason="OK", response_headers=(("ETag", '"x"'),), body=b"<p>hello</p>",
                    sent_at=t1)
    again = Exchange(method="GET", url="http://example.com/a", http_version="HTTP/1.1",
                     request_headers=(("Host", "example.com"), ("If-None-Match", '"x"'),
                                      ("Authorization", "Basic c2VjcmV0")),
                     status=304, reason="Not Modified", response_headers=(("ETag", '"x"'),),
                     body=b"", sent_at=t2)
    held = fetch_warc(page)
    first = not_modified_warc(held, again)
    assert first == not_modified_warc(held, again) and first.startswith(held)
    assert b"Basic c2VjcmV0" not in first and b"secret" not in first
    records = list(capture_records(first))
    headers = [dict(r.rec_headers.headers) for r in records]
    assert headers[2]["WARC-Refers-To"] == headers[0]["WARC-Record-ID"]
    assert headers[2]["WARC-Payload-Digest"] == headers[0]["WARC-Payload-Digest"]
    assert headers[2]["WARC-Refers-To-Date"] == "2020-01-01T00:00:00Z"
    assert headers[2]["WARC-Date"] == "2020-01-02T00:00:00Z"
    assert headers[3]["WARC-Concurrent-To"] == headers[2]["WARC-Record-ID"]
