"""Connections are reused after answers whose body gitnews does not keep (304,
redirects, errors, robots.txt 404), against a real loopback server
(tests/politeserver.py) that records the client address of each request."""

from __future__ import annotations

import pytest
from politeserver import Reply

from gitnews.errors import HTTPStatusError
from gitnews.sources.http import DRAIN_MAX_BYTES, Fetcher


@pytest.fixture
def server(polite_proxy):
    return polite_proxy


def test_one_connection_for_304s_redirects_errors_and_pages(server):
    server.route("http://a.test/page", Reply(body=b"<p>page</p>"))
    server.route("http://a.test/old", Reply(status=301, body=b"moved",
                                            headers={"Location": "http://a.test/page"}))
    server.route("http://a.test/gone", Reply(status=410, body=b"<p>gone</p>" * 50))
    with Fetcher(min_delay_s=0, concurrency=1, per_host=1) as fetcher:
        first = fetcher.fetch("http://a.test/page")
        assert first.status == 200 and first.body == b"<p>page</p>"
        for _ in range(3):
            assert fetcher.fetch("http://a.test/page", etag=first.etag).status == 304
        moved = fetcher.fetch("http://a.test/old")
        assert (moved.status, moved.final_url, moved.redirects) == \
            (200, "http://a.test/page", ("http://a.test/old",))
        with pytest.raises(HTTPStatusError):
            fetcher.fetch("http://a.test/gone")
        assert fetcher.fetch("http://a.test/page").body == b"<p>page</p>"
    records = server.requests_to("a.test")
    # robots.txt (404), the page, three 304s, the redirect and its target, the 410, the page
    assert [r["status"] for r in records] == [404, 200, 304, 304, 304, 301, 200, 410, 200]
    assert len({r["connection"] for r in records}) == 1


def test_a_long_unkept_body_is_not_read_but_closes_the_connection(server):
    big = b"x" * (DRAIN_MAX_BYTES * 4)
    server.route("http://a.test/error", Reply(status=500, body=big))
    server.route("http://a.test/page", Reply(body=b"<p>page</p>"))
    with Fetcher(min_delay_s=0, concurrency=1, per_host=1, retries=0) as fetcher:
        with pytest.raises(HTTPStatusError):
            fetcher.fetch("http://a.test/error")
        assert fetcher.fetch("http://a.test/page").body == b"<p>page</p>"
    records = server.requests_to("a.test")
    assert [r["status"] for r in records] == [404, 500, 200]
    first, error, after = (r["connection"] for r in records)
    assert first == error != after
