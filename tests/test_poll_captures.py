"""Captures built in a run's fetch threads (gitnews.ops.run.prepare_capture): the same
bytes, the same commits, as when the recording thread builds them."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.captures import CAPTURES_REF, fetch_warc
from gitnews.archive.store import blob_id
from gitnews.models import Exchange, Page
from gitnews.ops.checks import CheckOutcome
from gitnews.ops.plan import Work
from gitnews.ops.run import capture_preparer, prepare_capture

URL = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
PATH = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
PAGE_A = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()
T = datetime(2006, 10, 21, 15, 0, 7, tzinfo=UTC)


def _page(body: bytes, *, status: int = 200, at: datetime = T) -> Page:
    ex = Exchange(method="GET", url=URL, http_version="HTTP/1.1",
                  request_headers=(("Host", "news.bbc.co.uk"), ("User-Agent", "gitnews/test")),
                  status=status, reason="OK" if status == 200 else "Not Modified",
                  response_headers=(("Content-Type", "text/html"),), body=body,
                  sent_at=at.replace(microsecond=0))
    return Page(url=URL, final_url=URL, status=status, body=body, fetched_at=at, exchange=ex)


def _record(blob: str | None, *, removed: bool = False) -> ArticleRecord:
    return ArticleRecord(path=PATH, url=URL, versions=1, blob=blob, headline="h", feed=None,
                         first_seen=None, last_changed=None, removed=removed)


def _outcome(text: str, *, record: ArticleRecord | None, status: int = 200) -> CheckOutcome:
    work = Work(url=URL, path=None if record is None else record.path, record=record)
    return CheckOutcome(work, page=_page(PAGE_A, status=status),
                        text=None if status == 304 else text)


def test_a_changed_text_gets_its_capture_built_as_the_recorder_would():
    out = _outcome("new text\n", record=_record(blob_id(b"old text\n")))
    prepare_capture(out)
    assert out.page is not None and out.page.exchange is not None
    assert out.warc == fetch_warc(out.page.exchange, fetched_at=out.page.fetched_at)


def test_no_capture_is_built_where_none_will_be_written():
    same = _outcome("same\n", record=_record(blob_id(b"same\n")))
    prepare_capture(same)
    assert same.warc is None  # no version: no capture (keep = "versions")
    prepare_capture(same, keep_all=True)
    assert same.warc is not None  # keep = "all": every 200 answer
    new = _outcome("new\n", record=None)
    prepare_capture(new, keep_all=True)
    assert new.warc is None  # recorded last, its capture built then
    not_modified = _outcome("x\n", record=_record(blob_id(b"y\n")), status=304)
    prepare_capture(not_modified)
    assert not_modified.warc is None
    removed = _outcome("same\n", record=_record(blob_id(b"same\n"), removed=True))
    prepare_capture(removed)
    assert removed.warc is not None  # a restored article is a version
    assert capture_preparer("none") is None
    assert capture_preparer("versions") is not None and capture_preparer("all") is not None


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=2000), micro=st.integers(0, 999_999))
def test_prepared_capture_is_fetch_warc(body, micro):
    out = CheckOutcome(Work(url=URL, path=PATH, record=_record(None)),
                       page=_page(body, at=T.replace(microsecond=micro)), text="t\n")
    prepare_capture(out)
    assert out.page is not None and out.page.exchange is not None
    assert out.warc == fetch_warc(out.page.exchange, fetched_at=out.page.fetched_at)


def _refs(path) -> str:
    return subprocess.run(["git", "-C", str(path), "rev-parse", "main", CAPTURES_REF],
                          capture_output=True, text=True, check=True).stdout


def test_a_prepared_capture_makes_the_same_commits(tmp_path):
    """A Recorder given the capture built beforehand writes the same blobs and commits."""
    from gitnews.archive.repo import init_archive, open_archive
    from gitnews.format.normalise import render_text
    from gitnews.pagetext.extract import extract_article
    from gitnews.versions.record import Capture, Recorder

    article = extract_article(PAGE_A, url=URL)
    text = render_text(article.headline, article.paragraphs)
    refs = []
    for name in ("built-here", "prepared"):
        path = init_archive(tmp_path / name, now=datetime(2006, 10, 20, tzinfo=UTC))
        with open_archive(path) as arc:
            page = _page(PAGE_A)
            out = CheckOutcome(Work(url=URL), page=page, article=article, text=text)
            if name == "prepared":
                assert page.exchange is not None
                out.warc = fetch_warc(page.exchange, fetched_at=page.fetched_at)
            tx = arc.transaction()
            rec = Recorder(arc, tx)
            rec.record(Capture(requested_url=URL, page=page, article=article, text=text,
                               live_warc=out.warc))
            tx.finish()
            rec.apply()
            assert rec.captures == 1
        refs.append(_refs(path))
    assert refs[0] == refs[1]
