"""``write_warc`` (gitnews.output.warcout): the archive's captures as a WARC/1.1 file, checked
with warcio's own tools (``warcio check``, ``warcio index``) run as subprocesses."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from capture_fixtures import BBC_URL, add_captured_version, git, new_archive, page
from hypothesis import given
from hypothesis import strategies as st

from gitnews.archive.captures import digest_hex, payload_digest
from gitnews.archive.repo import open_archive
from gitnews.output.warcout import read_capture_records, record_id, write_warc

T1 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)
T2 = datetime(2006, 10, 22, 9, 0, tzinfo=UTC)
T3 = datetime(2006, 10, 23, 9, 0, tzinfo=UTC)
WARCIO = Path(sys.executable).with_name("warcio")


def _records(path: Path) -> list[dict[str, object]]:
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with path.open("rb") as f:
        for rec in ArchiveIterator(f):
            out.append({"type": rec.rec_type, "headers": dict(rec.rec_headers.headers),
                        "payload": rec.raw_stream.read()})
    return out


@pytest.fixture
def captured(tmp_path):
    """An archive with three versions of the BBC story: A, B (a real edit), A again."""
    archive = new_archive(tmp_path / "archive")
    path, c1 = add_captured_version(archive, BBC_URL, T1, page("6072486-A.html"))
    _, c2 = add_captured_version(archive, BBC_URL, T2, page("6072486-B.html"), kinds=("body",))
    _, c3 = add_captured_version(archive, BBC_URL, T3, page("6072486-A.html"),
                                 kinds=("body", "revert"))
    return archive, path, (c1, c2, c3)


def test_export_has_request_response_and_revisit_records_that_warcio_checks(captured, tmp_path):
    archive, path, (c1, c2, c3) = captured
    out = tmp_path / "out.warc.gz"
    with open_archive(archive) as arc:
        report = write_warc(arc, out)
    assert (report.captures, report.responses, report.revisits, report.requests) == (3, 2, 1, 3)
    assert report.problems == [] and report.without_capture == 0

    check = subprocess.run([str(WARCIO), "check", "-v", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.replace("no digest", "")
    index = subprocess.run([str(WARCIO), "index", "-f", "warc-type,warc-target-uri,warc-date",
                            str(out)], capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in index.stdout.splitlines()]
    assert [r["warc-type"] for r in rows] == ["warcinfo", "response", "request", "response",
                                             "request", "revisit", "request"]
    assert {r.get("warc-target-uri") for r in rows[1:]} == {BBC_URL}
    assert [r["warc-date"] for r in rows[1::2]] == ["2006-10-21T15:00:00Z", "2006-10-22T09:00:00Z",
                                                   "2006-10-23T09:00:00Z"]

    recs = _records(out)
    assert all(r["headers"].get("WARC-Type") and r["headers"]["WARC-Record-ID"] for r in recs)
    first, req1, second, _, revisit, req3 = recs[1:]
    body_a, body_b = page("6072486-A.html"), page("6072486-B.html")
    assert first["payload"] == body_a and second["payload"] == body_b
    assert first["headers"]["WARC-Payload-Digest"] == payload_digest(body_a)
    assert first["headers"]["WARC-Block-Digest"].startswith("sha256:")
    assert req1["headers"]["WARC-Concurrent-To"] == first["headers"]["WARC-Record-ID"]
    # identical-payload-digest revisit (WARC 1.1, 6.7.2) naming the first response
    assert revisit["headers"]["WARC-Refers-To"] == first["headers"]["WARC-Record-ID"]
    assert revisit["headers"]["WARC-Refers-To-Target-URI"] == BBC_URL
    assert revisit["headers"]["WARC-Refers-To-Date"] == "2006-10-21T15:00:00Z"
    assert revisit["headers"]["WARC-Profile"].endswith("/1.1/revisit/identical-payload-digest")
    assert revisit["headers"]["WARC-Payload-Digest"] == payload_digest(body_a)
    assert req3["headers"]["WARC-Concurrent-To"] == revisit["headers"]["WARC-Record-ID"]
    assert revisit["headers"]["WARC-Record-ID"] == record_id(c3, 0, "revisit")
    # Page-Sha256 (hex) and the payload digest (base32) are the same SHA-256
    trailers = git(archive, "log", "-1", "--format=%B", "--", path)
    assert f"Page-Sha256: {hashlib.sha256(body_a).hexdigest()}" in trailers


def test_export_is_deterministic_and_respects_the_time_window(captured, tmp_path):
    archive, path, _ = captured
    with open_archive(archive) as arc:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        write_warc(arc, tmp_path / "a" / "out.warc.gz")
        write_warc(arc, tmp_path / "b" / "out.warc.gz")
        late = write_warc(arc, tmp_path / "late.warc.gz", since=T3)
        early = write_warc(arc, tmp_path / "early.warc.gz", until=T2, articles=[path])
        none = write_warc(arc, tmp_path / "none.warc.gz", articles=["other/x.txt"])
    assert (tmp_path / "a/out.warc.gz").read_bytes() == (tmp_path / "b/out.warc.gz").read_bytes()
    # the window starts at the revert: its payload is written in full, no revisit to outside
    assert (late.captures, late.responses, late.revisits) == (1, 1, 0)
    assert (early.captures, early.responses, early.revisits) == (2, 2, 0)
    assert none.captures == 0
    assert [r["type"] for r in _records(tmp_path / "none.warc.gz")] == ["warcinfo"]


def test_versions_without_capture_are_counted_and_damaged_captures_reported(tmp_path):
    archive = new_archive(tmp_path / "archive")
    add_captured_version(archive, BBC_URL, T1, page("6072486-A.html"))
    add_captured_version(archive, BBC_URL, T2, page("6072486-B.html"), warc=b"not a warc file\n")
    # a version from before captures: no Capture trailer
    other = archive / "example.com" / "old.txt"
    other.parent.mkdir()
    other.write_text("Old\n\nText.\n")
    git(archive, "add", ".")
    git(archive, "-c", "user.name=g", "-c", "user.email=g@l", "commit", "-q", "-m",
        "New: Old\n\nArticle-Url: https://example.com/old\nVersion: 1\n")
    with open_archive(archive) as arc:
        report = write_warc(arc, tmp_path / "out.warc.gz")
    assert report.captures == 1 and report.without_capture == 1
    assert len(report.problems) == 1 and "damaged" in report.problems[0][2]
    assert report.problems[0][1] == 2


def test_read_capture_records_reads_the_records_and_rejects_garbage():
    from capture_fixtures import capture_warc

    warc = capture_warc(BBC_URL, T1, b"<html>x</html>")
    recs = read_capture_records(warc)
    assert [r.kind for r in recs] == ["response", "request"]
    assert recs[0].payload == b"<html>x</html>" and recs[0].http_status == "200 OK"
    with pytest.raises(ValueError, match="not a readable WARC"):
        read_capture_records(b"garbage")
    with pytest.raises(ValueError, match="not a readable WARC"):
        read_capture_records(b"")


@given(st.binary(max_size=200))
def test_the_payload_digest_is_page_sha256_in_base32(data):
    assert digest_hex(payload_digest(data)) == hashlib.sha256(data).hexdigest()


@given(st.text(min_size=1, max_size=40), st.integers(0, 50), st.sampled_from(["response", "request"]))
def test_record_ids_are_stable_and_distinct(capture, index, kind):
    assert record_id(capture, index, kind) == record_id(capture, index, kind)
    assert record_id(capture, index, kind) != record_id(capture, index + 1, kind)
    assert record_id(capture, index, kind).startswith("<urn:uuid:")


def test_show_raw_and_headers_print_the_capture_and_fail_clearly_without_one(captured, tmp_path):
    from conftest import run_gitnews

    archive, path, _ = captured
    raw = subprocess.run([sys.executable, "-m", "gitnews", "show", BBC_URL, "--version", "2",
                          "--raw", "--archive", str(archive)], capture_output=True)
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout == page("6072486-B.html")
    latest = subprocess.run([sys.executable, "-m", "gitnews", "show", path, "--raw",
                             "--archive", str(archive)], capture_output=True)
    assert latest.stdout == page("6072486-A.html")
    heads = run_gitnews("show", BBC_URL, "--version", "1", "--headers", "--archive", str(archive))
    assert heads.returncode == 0, heads.stderr
    assert heads.stdout.splitlines()[0] == "HTTP/1.1 200 OK"
    assert "Content-Type: text/html" in heads.stdout.splitlines()
    both = run_gitnews("show", BBC_URL, "--raw", "--headers", "--archive", str(archive))
    assert both.returncode == 2 and "pick one" in both.stderr

    # a version from before captures: exit 1, one clear line, no traceback
    other = archive / "example.com" / "old.txt"
    other.parent.mkdir()
    other.write_text("Old\n\nText.\n")
    git(archive, "add", ".")
    git(archive, "-c", "user.name=g", "-c", "user.email=g@l", "commit", "-q", "-m",
        "New: Old\n\nArticle-Url: https://example.com/old\nVersion: 1\n")
    old = run_gitnews("show", "example.com/old.txt", "--raw", "--archive", str(archive))
    assert old.returncode == 1
    assert "has no capture" in old.stderr and "Traceback" not in old.stderr
