"""Write small real WARC files for tests, with warcio's WARCWriter (the library crawlers use)."""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from conftest import DATA
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
SEED_PAGES = DATA / "scenarios" / "seed-guardian" / "pages"
SEED_V1 = (SEED_PAGES / "gaps-remain-v1.html").read_bytes()
SEED_V2 = (SEED_PAGES / "gaps-remain-v2.html").read_bytes()
#: The capture times of the seed-guardian scenario (shared/scenarios/README.md).
SEED_T1, SEED_T2 = "2016-09-29T10:02:00Z", "2016-09-29T17:14:00Z"
HTML_UTF8 = "text/html; charset=UTF-8"


@dataclass
class Rec:
    """One record to write: ``kind`` is a WARC-Type; ``date`` None leaves WARC-Date out."""

    kind: str
    url: str | None = None
    date: str | None = None
    body: bytes = b""
    status: str = "200 OK"
    content_type: str | None = HTML_UTF8
    headers: list[tuple[str, str]] = field(default_factory=list)
    revisit_of: tuple[str, str, str] | None = None  # (digest, refers-to URI, refers-to date)
    payload_digest: bool = True  # False: no WARC-Payload-Digest (the header is optional)


def write_warc(path: Path, records: list[Rec], *, gz: bool = True) -> list[dict]:
    """Write ``records`` to ``path``; returns each record's WARC headers as written."""
    written = []
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for r in records:
            extra = {"WARC-Date": r.date} if r.date else {}
            if r.kind == "warcinfo":
                rec = writer.create_warcinfo_record(path.name, {"software": "tests/warcs.py"})
            elif r.kind == "revisit":
                digest, uri, when = r.revisit_of
                http = StatusAndHeaders(r.status, [("Content-Type", r.content_type)],
                                        protocol="HTTP/1.1") if r.content_type else None
                rec = writer.create_revisit_record(r.url, digest, uri, when, http_headers=http)
                if r.date:
                    rec.rec_headers.replace_header("WARC-Date", r.date)
            elif r.kind == "request":
                http = StatusAndHeaders(f"GET {r.url.split('/', 3)[-1]} HTTP/1.1",
                                        [("Host", r.url.split('/')[2])], is_http_request=True)
                rec = writer.create_warc_record(r.url, "request", payload=io.BytesIO(b""),
                                                http_headers=http, warc_headers_dict=extra)
            else:
                headers = ([("Content-Type", r.content_type)] if r.content_type else []) + r.headers
                http = StatusAndHeaders(r.status, headers, protocol="HTTP/1.1")
                rec = writer.create_warc_record(r.url, r.kind, payload=io.BytesIO(r.body),
                                                http_headers=http, warc_headers_dict=extra)
            if r.date is None and r.kind != "warcinfo":
                rec.rec_headers.remove_header("WARC-Date")
            if not r.payload_digest:  # warcio always writes one: take its line out
                plain = io.BytesIO()
                WARCWriter(plain, gzip=False).write_record(rec)
                data = re.sub(rb"\r\nWARC-Payload-Digest: [^\r]*", b"", plain.getvalue(), count=1)
                fh.write(gzip.compress(data) if gz else data)
                rec.rec_headers.remove_header("WARC-Payload-Digest")
                written.append(dict(rec.rec_headers.headers))
                continue
            writer.write_record(rec)
            written.append(dict(rec.rec_headers.headers))
    return written


def seed_records() -> list[Rec]:
    """The seed article's two captures, as in the seed-guardian scenario's WARC."""
    return [Rec("warcinfo"),
            Rec("response", SEED_URL, SEED_T1, SEED_V1),
            Rec("response", SEED_URL, SEED_T2, SEED_V2)]
