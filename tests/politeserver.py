"""A small threaded HTTP server on 127.0.0.1 that records what it was asked.

It answers as an HTTP proxy (absolute URLs on the request line), so that a
test can use many host names (``http://a.test/...``, ``http://b.test/...``)
through ``HTTP_PROXY``.  Each URL has a list of programmed responses (the
last one repeats); every request is recorded with its start and end times
(monotonic seconds), headers, the answer and the client's address (one per
connection), and the number of requests in
flight per host is tracked, so that tests can check politeness: the
User-Agent, robots.txt reads, conditional headers, concurrency per host,
delays and Retry-After.

2xx answers carry an ``ETag`` (quoted sha1 of the body) and a fixed
``Last-Modified``; ``If-None-Match`` / ``If-Modified-Since`` that match get a
304.  Unknown URLs get 404 (robots.txt included: "no rules").
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LAST_MODIFIED = "Thu, 29 Sep 2016 10:02:00 GMT"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content_type: str = "text/html; charset=utf-8"


class PoliteServer:
    """``server.route(url, Reply(...), ...)``; ``server.env()`` for a subprocess;
    ``server.records`` (list of dicts) and ``server.max_in_flight`` (per host)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.served: dict[str, int] = {}
        self.records: list[dict] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.max_total_in_flight = 0
        self._total = 0
        self.lock = threading.Lock()
        self._idle = threading.Condition(self.lock)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer._handle(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        import os

        env = dict(base if base is not None else os.environ)
        for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
            env.pop(k, None)
        env.update(HTTP_PROXY=self.url, http_proxy=self.url, NO_COLOR="1")
        return env

    def route(self, url: str, *replies: Reply) -> None:
        with self.lock:
            self.routes[url] = list(replies)
            self.served[url] = 0

    def requests_to(self, host: str | None = None, path: str | None = None) -> list[dict]:
        """The requests recorded so far, in the order they arrived.

        A request is recorded once its answer is written, which can be just after the client
        has read it (or given up on its body), so this waits up to 5 s for the requests in
        flight to finish before it reads the record."""
        with self._idle:
            self._idle.wait_for(lambda: self._total == 0, timeout=5)
            return sorted((r for r in self.records if (host is None or r["host"] == host)
                           and (path is None or r["path"] == path)), key=lambda r: r["start"])

    def _handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        url = h.path if h.path.startswith("http") else f"http://{h.headers.get('Host')}{h.path}"
        parts = urlsplit(url)
        host = parts.hostname or ""
        start = time.monotonic()
        with self.lock:
            replies = self.routes.get(url)
            n = self.served.get(url, 0)
            self.served[url] = n + 1
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self.in_flight[host])
            self._total += 1
            self.max_total_in_flight = max(self.max_total_in_flight, self._total)
        reply = replies[min(n, len(replies) - 1)] if replies else Reply(404, b"not found\n",
                                                                         content_type="text/plain")
        if reply.delay_s:
            time.sleep(reply.delay_s)
        headers = {"Content-Type": reply.content_type, **reply.headers}
        status, body = reply.status, reply.body
        if 200 <= status < 300:
            etag = '"' + hashlib.sha1(body).hexdigest() + '"'
            headers.setdefault("ETag", etag)
            headers.setdefault("Last-Modified", LAST_MODIFIED)
            inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
            if (inm and inm == headers["ETag"]) or (not inm and ims == headers["Last-Modified"]):
                status, body = 304, b""
        try:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            h.wfile.flush()
        finally:
            end = time.monotonic()
            with self.lock:
                self.in_flight[host] -= 1
                self._total -= 1
                self.records.append({
                    "url": url, "host": host, "path": parts.path, "start": start, "end": end,
                    "connection": h.client_address,
                    "status": status, "user-agent": h.headers.get("User-Agent"),
                    "if-none-match": h.headers.get("If-None-Match"),
                    "if-modified-since": h.headers.get("If-Modified-Since")})
                self._idle.notify_all()


def rss(links: list[str], title: str = "Test feed") -> bytes:
    """A small RSS 2.0 feed listing ``links`` (newest first)."""
    items = "".join(f"<item><title>Item {i}</title><link>{link}</link><guid>{link}</guid></item>"
                    for i, link in enumerate(links))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>http://example.test/</link>"
            f"<description>test</description>{items}</channel></rss>").encode()
