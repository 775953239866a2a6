"""The only HTTP module: fetch pages and feeds with httpx.

* Proxies from the environment (``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``)
  are honoured (httpx ``trust_env``).
* Redirects are followed by hand, at most ``max_redirects``, so that every hop
  is recorded and checked: only ``http``/``https`` URLs are ever requested.
* Bodies are read as raw bytes, decompressed by httpx from the transfer
  ``Content-Encoding`` but never decoded to text (charset detection is the
  extractor's job).  The decoded size is capped at ``max_bytes`` (a
  compression bomb stops there) and the whole response at ``timeout_s``
  seconds (a server that trickles bytes cannot hold a fetch forever).
* Conditional requests: pass the stored ``etag``/``last_modified`` and a 304
  comes back as a :class:`~gitnews.models.Page` with ``status=304``.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from urllib.parse import urljoin

import httpx

from . import __version__
from .errors import BlockedURLError, FetchError, HTTPStatusError, TooLargeError
from .models import Page
from .urls import is_fetchable

__all__ = ["Fetcher", "user_agent", "post_json"]


def user_agent(contact: str = "") -> str:
    """``gitnews/<version> (+<contact>)``, or without the parenthesis when no contact."""
    base = f"gitnews/{__version__}"
    return f"{base} (+{contact})" if contact else f"{base} (+https://pypi.org/project/gitnews/)"


class Fetcher:
    """A reusable HTTP client (thread-safe; one connection pool).

    Keyword-only options: ``timeout_s`` (whole response, seconds),
    ``connect_timeout_s``, ``max_bytes`` (decoded body), ``max_redirects``,
    ``concurrency`` (connection pool size), ``contact`` (for the User-Agent).
    Use as a context manager or call :meth:`close`.
    """

    def __init__(self, *, timeout_s: float = 30.0, connect_timeout_s: float = 10.0,
                 max_bytes: int = 10_000_000, max_redirects: int = 10,
                 concurrency: int = 8, contact: str = "") -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self._client = httpx.Client(
            trust_env=True,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max(concurrency, 1) * 2,
                                max_keepalive_connections=max(concurrency, 1)),
            headers={"User-Agent": user_agent(contact),
                     "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
                               "application/rss+xml,application/atom+xml,application/feed+json,"
                               "*/*;q=0.8"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(self, url: str, *, etag: str | None = None,
              last_modified: str | None = None) -> Page:
        """GET ``url``, following redirects; returns a :class:`Page`.

        Raises :class:`BlockedURLError` (not http/https, also after a redirect),
        :class:`TooLargeError` (body over ``max_bytes``),
        :class:`HTTPStatusError` (4xx/5xx; ``transient`` for 429 and 5xx) and
        :class:`FetchError` (timeouts, connection errors, too many redirects;
        ``transient=True``).
        """
        deadline = time.monotonic() + self.timeout_s
        current = url
        chain: list[str] = []
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        while True:
            if not is_fetchable(current):
                raise BlockedURLError(
                    f"refusing to fetch {current!r}: only http and https URLs are fetched"
                    + (f" (redirected from {url})" if chain else ""), url=url)
            fetched_at = datetime.now(timezone.utc)
            try:
                with self._client.stream("GET", current, headers=headers) as resp:
                    if resp.status_code in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        chain.append(current)
                        if len(chain) > self.max_redirects:
                            raise FetchError(
                                f"more than {self.max_redirects} redirects from {url}; "
                                "the site may loop — check the URL in a browser", url=url)
                        nxt = urljoin(current, resp.headers["location"].strip())
                        if nxt in chain:
                            raise FetchError(f"redirect loop at {nxt} (from {url})", url=url)
                        current = nxt
                        continue
                    if resp.status_code == 304:
                        return self._page(url, current, resp, b"", fetched_at, chain)
                    if resp.status_code >= 400:
                        transient = resp.status_code == 429 or resp.status_code >= 500
                        err = HTTPStatusError(
                            f"HTTP {resp.status_code} {resp.reason_phrase} for {current}"
                            + ("; the server is busy or failing, it will be retried"
                               if transient else "; check that the URL is still valid"),
                            url=url, status=resp.status_code, transient=transient)
                        err.retry_after = resp.headers.get("retry-after")  # type: ignore[attr-defined]
                        raise err
                    body = self._read(resp, url=url, deadline=deadline)
                    return self._page(url, current, resp, body, fetched_at, chain)
            except httpx.TimeoutException:
                raise FetchError(f"timed out fetching {current} (limit {self.timeout_s:g} s); "
                                 "it will be retried on the next run", url=url,
                                 transient=True) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"could not fetch {current}: {exc.__class__.__name__}: {exc}; "
                                 "check the network or proxy settings", url=url,
                                 transient=True) from None

    def _read(self, resp: httpx.Response, *, url: str, deadline: float) -> bytes:
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and "content-encoding" not in resp.headers \
                and int(declared) > self.max_bytes:
            raise TooLargeError(f"{url} is {int(declared):,} bytes, over the limit of "
                                f"{self.max_bytes:,} (fetch.max_bytes)", url=url,
                                status=resp.status_code)
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLargeError(f"{url} is over the limit of {self.max_bytes:,} bytes "
                                    "(fetch.max_bytes); nothing of it was stored", url=url,
                                    status=resp.status_code)
            if time.monotonic() > deadline:
                raise FetchError(f"{url} took longer than {self.timeout_s:g} s to send; "
                                 "it will be retried on the next run", url=url, transient=True)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _page(url: str, final: str, resp: httpx.Response, body: bytes,
              fetched_at: datetime, chain: list[str]) -> Page:
        return Page(url=url, final_url=final, status=resp.status_code, body=body,
                    fetched_at=fetched_at.replace(microsecond=0),
                    content_type=resp.headers.get("content-type"),
                    etag=resp.headers.get("etag"),
                    last_modified=resp.headers.get("last-modified"),
                    redirects=tuple(chain))


# -- Webhooks: one JSON POST -----------------------------------------------------------------

def post_json(url: str, payload: object, *, timeout_s: float = 60.0,
              connect_timeout_s: float = 10.0, contact: str = "") -> int:
    """POST ``payload`` as JSON (UTF-8, ``Content-Type: application/json``) to ``url``.

    Used for the ``[hooks] webhook_url``.  Proxies come from the environment
    as for fetches; redirects are *not* followed (RFC 9110 lets a client turn a
    redirected POST into a GET, which a webhook must not get).  Returns the
    HTTP status (2xx).  Raises :class:`BlockedURLError` (not http/https),
    :class:`HTTPStatusError` (3xx, 4xx, 5xx; ``transient`` for 429 and 5xx) and
    :class:`FetchError` (timeouts and connection errors, ``transient=True``).
    """
    import json

    if not is_fetchable(url):
        raise BlockedURLError(f"refusing to POST to {url!r}: only http and https URLs are "
                              "used; fix [hooks] webhook_url in gitnews.toml", url=url)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        with httpx.Client(trust_env=True, follow_redirects=False,
                          timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s)) as client:
            resp = client.post(url, content=body, headers={
                "User-Agent": user_agent(contact),
                "Content-Type": "application/json; charset=utf-8"})
    except httpx.TimeoutException:
        raise FetchError(f"timed out posting to {url} (limit {timeout_s:g} s)", url=url,
                         transient=True) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"could not post to {url}: {exc.__class__.__name__}: {exc}; check that "
                         "the webhook's server is up and the URL right", url=url,
                         transient=True) from None
    if not 200 <= resp.status_code < 300:
        transient = resp.status_code == 429 or resp.status_code >= 500
        where = resp.headers.get("location")
        raise HTTPStatusError(
            f"HTTP {resp.status_code} {resp.reason_phrase} from the webhook {url}"
            + (f" (redirect to {where}: put that URL in [hooks] webhook_url)" if where else ""),
            url=url, status=resp.status_code, transient=transient)
    return resp.status_code
