"""gitnews.errors.from_httpx: the one place where httpx's exceptions become gitnews errors."""

from __future__ import annotations

import httpx
import pytest

from gitnews.errors import BlockedURLError, FetchError, from_httpx


def test_a_timeout_is_a_transient_fetch_error_about_the_first_url():
    err = from_httpx(httpx.ReadTimeout("slow"), url="http://a.test/next", reported_url="http://a.test/",
                     timeout_s=30)
    assert type(err) is FetchError and err.transient and err.url == "http://a.test/"
    assert str(err) == ("timed out fetching http://a.test/next (limit 30 s); "
                        "it will be retried on the next run")


def test_a_connection_error_names_its_class_and_what_to_check():
    err = from_httpx(httpx.ConnectError("refused"), url="http://a.test/", reported_url="http://a.test/",
                     timeout_s=30)
    assert type(err) is FetchError and err.transient
    assert str(err) == ("could not fetch http://a.test/: ConnectError: refused; "
                        "check the network or proxy settings")


def test_an_invalid_url_is_blocked_not_retried():
    err = from_httpx(httpx.InvalidURL("no host"), url="http:///x", reported_url="http://a.test/",
                     timeout_s=30)
    assert isinstance(err, BlockedURLError) and not err.transient and err.url == "http://a.test/"


@pytest.mark.parametrize(("exc", "message"), [
    (httpx.WriteTimeout("slow"), "timed out posting to http://hook.test/ (limit 2.5 s)"),
    (httpx.RemoteProtocolError("bye"), "could not post to http://hook.test/: RemoteProtocolError: bye; "
                                       "check that the webhook's server is up and the URL right"),
])
def test_webhook_messages(exc, message):
    err = from_httpx(exc, url="http://hook.test/", reported_url="http://hook.test/", timeout_s=2.5,
                     doing="post")
    assert type(err) is FetchError and err.transient and str(err) == message
