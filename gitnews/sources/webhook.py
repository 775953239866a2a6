"""The webhook: one JSON POST per change (``[hooks] webhook_url``), with httpx."""

from __future__ import annotations

import json

import httpx

from gitnews.errors import BlockedURLError, HTTPStatusError, from_httpx
from gitnews.format.urls import is_fetchable
from gitnews.sources.http import user_agent

__all__ = ["post_json"]


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
    except httpx.HTTPError as exc:
        raise from_httpx(exc, url=url, reported_url=url, timeout_s=timeout_s,
                         doing="post") from None
    if not 200 <= resp.status_code < 300:
        transient = resp.status_code == 429 or resp.status_code >= 500
        where = resp.headers.get("location")
        raise HTTPStatusError(
            f"HTTP {resp.status_code} {resp.reason_phrase} from the webhook {url}"
            + (f" (redirect to {where}: put that URL in [hooks] webhook_url)" if where else ""),
            url=url, status=resp.status_code, transient=transient)
    return resp.status_code
