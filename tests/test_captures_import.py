"""Captures of imports (issue 16): a WARC import keeps each record verbatim (its own WARC
headers and date), a revisit with the response holding its bytes; a Wayback import keeps a
response record of the raw ``id_`` answer dated at the capture time.  Real WARC files written
with warcio, a real loopback Wayback server, real git."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from conftest import git
from crash_checks import check_captures
from scenario_checks import version_commits
from test_wayback import SEED_URL as WB_SEED_URL
from test_wayback import seed_server, settings, wayback  # noqa: F401 - the fixture
from warcs import SEED_PATH, SEED_T1, SEED_URL, SEED_V1, SEED_V2, Rec, seed_records, write_warc

from gitnews.archive.captures import capture_records, capture_view, read_capture
from gitnews.archive.repo import open_archive
from gitnews.ops.warc_import import import_warcs
from gitnews.ops.wayback_import import import_wayback


def _check(path, data: bytes) -> None:
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_warc_import_keeps_each_record_verbatim(tmp_path):
    warc = tmp_path / "seed.warc.gz"
    written = write_warc(warc, seed_records())
    with open_archive(tmp_path / "archive", create=True) as arc:
        assert import_warcs(arc, [warc]).versions_added == 2
        commits = version_commits(arc.path)
        for commit, headers, body in zip(commits, written[1:], (SEED_V1, SEED_V2), strict=True):
            data = read_capture(arc, commit["trailers"]["Capture"])
            (record,) = list(capture_records(data))  # the one response record, as it was
            assert record.rec_headers.get_header("WARC-Record-ID") == headers["WARC-Record-ID"]
            assert record.rec_headers.get_header("WARC-Date") == headers["WARC-Date"]
            assert data.startswith(b"WARC/1.") and data.endswith(b"\r\n\r\n")
            view = capture_view(read_capture(arc, commit["trailers"]["Capture"]))
            assert view.payload == body
            assert hashlib.sha256(view.payload).hexdigest() == commit["trailers"]["Page-Sha256"]
            _check(tmp_path / "one.warc", data)
        subjects = git(arc.path, "log", "--format=%B", "gitnews/captures")
        assert "Captured-At: 2016-09-29T10:02:00Z" in subjects
        assert git(arc.path, "ls-tree", "-r", "--name-only", "gitnews/captures").split() == \
            [SEED_PATH[:-4] + ".warc"]
    check_captures(tmp_path / "archive", every_version=True)


def test_a_revisit_keeps_the_response_holding_its_bytes(tmp_path):
    first = tmp_path / "first.warc"
    headers = write_warc(first, [Rec("response", SEED_URL, SEED_T1, SEED_V1)], gz=False)
    digest = headers[0]["WARC-Payload-Digest"]
    second = tmp_path / "second.warc.gz"
    # Changed at noon (v2), back to v1 at 18:00 as a revisit of the 10:02 capture.
    write_warc(second, [Rec("response", SEED_URL, "2016-09-29T12:00:00Z", SEED_V2),
                        Rec("revisit", SEED_URL, "2016-09-29T18:00:00Z",
                            revisit_of=(digest, SEED_URL, SEED_T1))])
    with open_archive(tmp_path / "archive", create=True) as arc:
        result = import_warcs(arc, [first, second])
        assert result.versions_added == 3, [i.message for i in result.items]
        last = version_commits(arc.path)[-1]
        view = capture_view(read_capture(arc, last["trailers"]["Capture"]))
        assert view.record_type == "revisit" and view.payload == SEED_V1
        assert view.fetched_at is not None and view.fetched_at.hour == 18
        kinds = [r.rec_type for r in capture_records(read_capture(arc,
                                                                   last["trailers"]["Capture"]))]
        assert kinds == ["revisit", "response"]
    check_captures(tmp_path / "archive", every_version=True)


def test_wayback_import_keeps_the_raw_answer(wayback, tmp_path):  # noqa: F811 - the fixture
    seed_server(wayback)
    with open_archive(tmp_path / "archive", create=True) as arc:
        arc.config.wayback = settings(wayback)
        result = import_wayback(arc, [WB_SEED_URL])
        assert result.versions_added == 2
        commits = version_commits(arc.path)
        for commit, body in zip(commits, (SEED_V1, SEED_V2), strict=True):
            data = read_capture(arc, commit["trailers"]["Capture"])
            view = capture_view(data)
            assert view.payload == body and view.url == WB_SEED_URL
            assert view.source_uri is not None and "id_/" in view.source_uri
            assert view.fetched_at is not None
            assert view.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ") == \
                commit["trailers"]["Captured-At"]
            _check(tmp_path / "wb.warc", data)
    check_captures(tmp_path / "archive", every_version=True)
