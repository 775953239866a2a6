"""Reading WARC files (gitnews.sources.warc): real files written with warcio, damaged on purpose."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from warcs import SEED_T1, SEED_T2, SEED_URL, SEED_V1, SEED_V2, Rec, seed_records, write_warc

from gitnews.sources.warc import WarcFiles, is_html, parse_warc_date

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def scan(path):
    with WarcFiles() as warcs:
        return list(warcs.scan(path))


def test_scan_indexes_every_record_and_read_returns_the_exact_payload(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    written = write_warc(path, [
        Rec("warcinfo"),
        Rec("request", SEED_URL, SEED_T1),
        Rec("response", SEED_URL, SEED_T1, SEED_V1),
        Rec("response", "http://www.theguardian.com/logo.png", SEED_T1, PNG,
            content_type="image/png"),
        Rec("response", "http://www.theguardian.com/go", SEED_T1, b"", status="302 Found",
            headers=[("Location", SEED_URL)]),
        Rec("response", SEED_URL, "2016-09-29T17:14:00.250Z", SEED_V2, content_type=None),
    ])
    with WarcFiles() as warcs:
        infos = list(warcs.scan(path))
        assert [i.record_type for i in infos] == ["warcinfo", "request", "response", "response",
                                                 "response", "response"]
        assert all(i.problem is None for i in infos)
        v1, png, redirect, v2 = infos[2:]
        assert (v1.url, v1.captured_at, v1.status, v1.html) == (
            SEED_URL, datetime(2016, 9, 29, 10, 2, tzinfo=UTC), 200, True)
        assert v1.content_type == "text/html; charset=UTF-8"
        assert v1.payload_digest == written[2]["WARC-Payload-Digest"]
        assert (png.html, redirect.status) == (False, 302)
        # No Content-Type: sniffed from the first bytes (an HTML page).
        assert v2.content_type is None and v2.html
        assert v2.captured_at == datetime(2016, 9, 29, 17, 14, 0, 250000, tzinfo=UTC)
        # Offsets are real: reading seeks there, also out of file order.
        assert warcs.read(v2).body == SEED_V2
        got = warcs.read(v1)
        assert (got.status, got.content_type, got.body) == (200, "text/html; charset=UTF-8", SEED_V1)
        assert warcs.read(png).body == PNG


def test_uncompressed_and_whole_file_gzip_warcs_read_the_same(tmp_path):
    plain = tmp_path / "seed.warc"
    write_warc(plain, seed_records(), gz=False)
    whole = tmp_path / "seed-whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))  # one gzip stream, not one per record
    for path in (plain, whole):
        with WarcFiles() as warcs:
            infos = [i for i in warcs.scan(path) if i.record_type == "response"]
            assert [i.problem for i in infos] == [None, None]
            assert [warcs.read(i).body for i in infos] == [SEED_V1, SEED_V2]


def test_capture_without_date_or_with_a_bad_date_is_reported_per_record(tmp_path):
    path = tmp_path / "dates.warc.gz"
    write_warc(path, [Rec("response", SEED_URL, None, SEED_V1),
                      Rec("response", SEED_URL, "29/09/2016 10:02", SEED_V1),
                      Rec("response", SEED_URL, SEED_T2, SEED_V2)])
    no_date, bad_date, good = scan(path)
    assert no_date.captured_at is None and "no WARC-Date" in no_date.problem
    assert "not an ISO 8601 date-time" in bad_date.problem
    assert good.problem is None and good.captured_at is not None


def test_truncated_file_reports_the_cut_record_and_keeps_the_others(tmp_path):
    path = tmp_path / "cut.warc.gz"
    write_warc(path, seed_records())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 2000])
    infos = scan(path)
    assert [i.problem for i in infos[:2]] == [None, None]
    assert infos[2].url == SEED_URL and "cut short" in infos[2].problem
    with WarcFiles() as warcs:
        assert warcs.read(infos[1]).body == SEED_V1


@pytest.mark.parametrize("gz", [True, False])
def test_corrupt_bytes_in_the_middle_are_skipped_and_reading_goes_on(tmp_path, gz):
    path = tmp_path / ("bad.warc.gz" if gz else "bad.warc")
    write_warc(path, seed_records(), gz=gz)
    good = scan(path)
    start, end = good[1].offset, good[2].offset
    data = bytearray(path.read_bytes())
    # Garble the first capture's record from its header on.
    data[start:start + 40] = b"\x00garbage that is no WARC header at all".ljust(40, b"\x00")
    path.write_bytes(bytes(data))
    infos = scan(path)
    assert [i.record_type for i in infos] == ["warcinfo", None, "response"]
    assert infos[1].offset == start and "no readable WARC record" in infos[1].problem
    assert f"{start:,} to {end - 1:,}" in infos[1].problem
    assert infos[2].problem is None and infos[2].offset == end
    with WarcFiles() as warcs:
        assert warcs.read(infos[2]).body == SEED_V2


def test_a_changed_byte_fails_the_digest_check(tmp_path):
    path = tmp_path / "flip.warc"
    write_warc(path, seed_records(), gz=False)
    data = path.read_bytes()
    i = data.index(b"operundi")
    path.write_bytes(data[:i] + b"operandi" + data[i + 8:])  # same length, other bytes
    infos = scan(path)
    assert "do not match its digest" in infos[1].problem
    assert infos[2].problem is None


def test_a_file_that_is_no_warc_says_so(tmp_path):
    path = tmp_path / "notes.warc"
    path.write_text("these are my notes, not a WARC file\n" * 5)
    (info,) = scan(path)
    assert info.record_type is None and info.problem.startswith("not a WARC file")
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    (info,) = scan(empty)  # an empty file is reported, never silently nothing
    assert info.record_type is None and info.problem.startswith("the file is empty")


def test_revisit_records_are_indexed_with_their_original(tmp_path):
    path = tmp_path / "revisit.warc.gz"
    written = write_warc(path, seed_records())
    digest = written[1]["WARC-Payload-Digest"]
    write_warc(path, [*seed_records(),
                      Rec("revisit", SEED_URL, "2016-09-30T09:00:00Z", status="304 Not Modified",
                          revisit_of=(digest, SEED_URL, SEED_T1))])
    revisit = scan(path)[3]
    assert revisit.record_type == "revisit" and revisit.problem is None
    assert (revisit.payload_digest, revisit.refers_to_url, revisit.refers_to_date) == (
        digest, SEED_URL, SEED_T1)
    assert revisit.status == 304


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_warc_date_round_trips(dt):
    aware = dt.replace(tzinfo=UTC)
    assert parse_warc_date(aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")) == aware
    assert parse_warc_date(aware.strftime("%Y-%m-%dT%H:%M:%SZ")) == aware.replace(microsecond=0)


@given(st.text(max_size=30))
def test_warc_date_never_crashes_on_garbage(text):
    try:
        parsed = parse_warc_date(text)
    except ValueError:
        return
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("content_type,head,expected", [
    ("text/html; charset=UTF-8", b"", True),
    ("application/xhtml+xml", b"", True),
    ("text/plain", b"<html>", False),
    ("image/png", b"<html>", False),
    (None, b"\xef\xbb\xbf  <!DOCTYPE html><html>", True),
    ("application/octet-stream", b"<html lang=en>", True),
    (None, b"%PDF-1.4", False),
])
def test_is_html(content_type, head, expected):
    assert is_html(content_type, head) is expected


@pytest.mark.parametrize("delta", [+5_000, +10_000_000, -300], ids=["longer", "past-the-end",
                                                                     "shorter"])
@pytest.mark.parametrize("gz", [False, True])
def test_a_wrong_content_length_loses_only_its_record(tmp_path, delta, gz):
    """One record whose Content-Length is wrong: reading resynchronises at the next
    record (the next `WARC/1.x` line, or gzip member), so every later record is kept."""
    import re

    other = SEED_URL + "-other"
    path = tmp_path / ("cl.warc.gz" if gz else "cl.warc")
    records = seed_records() + [Rec("response", other, "2016-09-30T08:00:00Z", SEED_V1)]
    write_warc(path, records, gz=False)
    data = path.read_bytes()
    first = data.index(b"WARC-Type: response")
    m = re.compile(rb"Content-Length: (\d+)\r\n").search(data, first)
    wrong = b"Content-Length: %d\r\n" % (int(m.group(1)) + delta)
    data = data[:m.start()] + wrong + data[m.end():]
    if gz:  # one gzip member per record, as crawlers write
        starts = [i for i in range(len(data)) if data.startswith(b"WARC/1.", i)
                  and (i == 0 or data[i - 1:i] == b"\n")]
        data = b"".join(gzip.compress(data[a:b]) for a, b in zip(starts, starts[1:] + [len(data)]))
    path.write_bytes(data)
    infos = scan(path)
    good = [(i.url, i.captured_at.isoformat()) for i in infos
            if i.record_type == "response" and i.problem is None]
    assert good == [(SEED_URL, "2016-09-29T17:14:00+00:00"),
                    (other, "2016-09-30T08:00:00+00:00")], infos
    problems = [i for i in infos if i.problem]
    assert problems and (gz or problems[0].url == SEED_URL), infos
    assert all(i.offset < infos[-2].offset for i in problems), infos
    with WarcFiles() as warcs:
        later = [i for i in infos if i.problem is None and i.record_type == "response"]
        assert [warcs.read(i).body for i in later] == [SEED_V2, SEED_V1]
