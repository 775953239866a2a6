"""A real HTTP server on 127.0.0.1 that misbehaves in every way a web server can:
over-size and compressed-bomb bodies, redirect loops and redirects to other
schemes, trickling and stalling, wrong or missing types, lying charsets,
broken HTTP.  Each route writes raw bytes to the socket, so nothing is
cleaned up by a library on the way.

``ROUTES`` maps a path to ``(expectation, handler)``; the expectation is
"ok" (a real article comes back), or the substring of the error message the
fetch or the run must report.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer

DATA = Path(__file__).resolve().parent / "data"
PAGE = (DATA / "scenarios" / "bbc-2009" / "7984711-A.stm.html").read_bytes()  # ISO-8859-1
OTHER = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()

#: The size cap the tests give the fetcher (bytes).
MAX_BYTES = 400_000
#: The total deadline the tests give the fetcher (seconds).
TIMEOUT_S = 4.0


def _gzip_stream(total: int, layers: int = 1, wbits: int = 31) -> bytes:
    """``total`` zero bytes compressed ``layers`` times, without holding them in memory."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * 1_000_000
    out = [c.compress(block) for _ in range(total // len(block))]
    out.append(c.flush())
    data = b"".join(out)
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


_BOMBS: dict[str, bytes] = {}


def bomb(kind: str) -> bytes:
    if kind not in _BOMBS:
        _BOMBS[kind] = {
            "gzip": lambda: _gzip_stream(50_000_000),
            "double": lambda: _gzip_stream(50_000_000, layers=2),
            "deflate": lambda: _gzip_stream(50_000_000, wbits=15),
        }[kind]()
    return _BOMBS[kind]


def response(status: str = "200 OK", headers: list[tuple[str, str]] | None = None,
             body: bytes = b"", *, length: bool = True) -> bytes:
    head = [f"HTTP/1.1 {status}"]
    for k, v in headers or []:
        head.append(f"{k}: {v}")
    if length:
        head.append(f"Content-Length: {len(body)}")
    head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + body


def html(headers=None, body=PAGE):
    return lambda h: h.send(response("200 OK", headers or [("Content-Type", "text/html")], body))


def redirect(location: str):
    return lambda h: h.send(response("302 Found", [("Location", location),
                                                   ("Content-Type", "text/html")], b"moved"))


def _trickle_body(h) -> None:
    h.send(response("200 OK", [("Content-Type", "text/html"), ("Content-Length", "100000")],
                    length=False))
    for i in range(100000):
        if not h.send(PAGE[i:i + 1]):
            return
        time.sleep(0.05)


def _trickle_headers(h) -> None:
    for b in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 10000:
        if not h.send(bytes([b])):
            return
        time.sleep(0.05)


def _stall(h) -> None:
    time.sleep(TIMEOUT_S * 3)


def _endless_chunked(h) -> None:
    h.send(response("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
                    length=False))
    chunk = b"<p>" + b"x" * 65000 + b"</p>"
    while h.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n"):
        pass


def _declared_big(h) -> None:
    h.send(response("200 OK", [("Content-Type", "text/html"),
                               ("Content-Length", str(MAX_BYTES * 10))], length=False))
    h.send(PAGE)


def _half_body(h) -> None:
    h.send(response("200 OK", [("Content-Type", "text/html"), ("Content-Length", "50000")],
                    length=False) + PAGE[:1000])


def _encoded(kind: str, coding: str):
    return lambda h: h.send(response("200 OK", [("Content-Type", "text/html"),
                                                ("Content-Encoding", coding)], bomb(kind)))


def _gzipped_page(h) -> None:
    body = gzip.compress(PAGE[:30000]) + gzip.compress(PAGE[30000:])  # two members
    h.send(response("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], body))


def _raw_deflate_page(h) -> None:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    h.send(response("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "deflate")],
                    c.compress(PAGE) + c.flush()))


PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Length 90 >> stream\nBT /F1 12 Tf 72 712 Td (A story that is not an HTML "
       b"page at all, and must not become a version.) Tj ET\nendstream endobj\ntrailer << >>\n%%EOF\n")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89" + bytes(range(256)) * 20)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 20 + b"\xff\xd9"

#: path -> (what must come of it, handler)
ROUTES: dict[str, tuple[str, Callable]] = {
    "/ok": ("ok", html()),
    "/other-ok": ("ok", html(body=OTHER)),
    # size and compression
    "/big-declared": ("over the limit", _declared_big),
    "/big-chunked": ("over the limit", _endless_chunked),
    "/gzip-bomb": ("over the limit", _encoded("gzip", "gzip")),
    "/double-gzip-bomb": ("over the limit", _encoded("double", "gzip, gzip")),
    "/deflate-bomb": ("over the limit", _encoded("deflate", "deflate")),
    "/gzip-two-members": ("ok", _gzipped_page),
    "/raw-deflate": ("ok", _raw_deflate_page),
    "/gzip-garbage": ("does not decode", lambda h: h.send(response(
        "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], PAGE[:5000]))),
    "/brotli": ("cannot decode", lambda h: h.send(response(
        "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "br")], b"\x1b\x00"))),
    "/many-codings": ("decodes at most", lambda h: h.send(response(
        "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip, gzip, gzip, gzip")],
        b"x"))),
    # redirects
    "/loop-a": ("redirect loop", redirect("/loop-b")),
    "/loop-b": ("redirect loop", redirect("/loop-a")),
    "/self": ("redirect loop", redirect("/self")),
    "/endless/0": ("more than", lambda h: None),  # every /endless/N redirects to N+1
    "/to-file": ("only http and https", redirect("file:///etc/passwd")),
    "/to-javascript": ("not a valid URL", redirect("javascript:alert(1)")),
    "/to-ftp": ("only http and https", redirect("ftp://127.0.0.1/x")),
    "/to-data": ("not a valid URL", redirect("data:text/html,<p>hi</p>")),
    "/to-bad-host": ("could not fetch", redirect("http://exa mple.com/")),
    "/to-bad-ipv6": ("Invalid URL in location header", redirect("http://[::1/")),
    "/to-nowhere": ("could not fetch", redirect("http://127.0.0.1:1/")),
    "/no-location": ("no Location", lambda h: h.send(response(
        "302 Found", [("Content-Type", "text/html")], PAGE))),
    "/relative-redirect": ("ok", redirect("ok")),
    # time
    "/trickle-body": ("timed out", _trickle_body),
    "/trickle-headers": ("timed out", _trickle_headers),
    "/stall": ("timed out", _stall),
    # types and charsets
    "/pdf": ("not an HTML page", html([("Content-Type", "application/pdf")], PDF)),
    "/pdf-as-html": ("not an HTML page", html([("Content-Type", "text/html")], PDF)),
    "/png": ("not an HTML page", html([("Content-Type", "image/png")], PNG)),
    "/jpeg-as-html": ("not an HTML page", html([("Content-Type", "text/html")], JPEG)),
    "/html-as-octet-stream": ("ok", html([("Content-Type", "application/octet-stream")])),
    "/html-as-image": ("ok", html([("Content-Type", "image/gif")])),
    "/no-content-type": ("ok", html([])),
    "/lying-header-charset": ("ok", html([("Content-Type", "text/html; charset=utf-8")])),
    "/charset-utf16-lie": ("ok", html([("Content-Type", "text/html; charset=utf-16")])),
    "/charset-punycode": ("ok", html([("Content-Type", "text/html")],
                                     PAGE.replace(b"ISO-8859-1", b"punycode"))),
    "/charset-rot13": ("ok", html([("Content-Type", "text/html")],
                                  PAGE.replace(b"ISO-8859-1", b"rot13"))),
    "/charset-nonsense": ("ok", html([("Content-Type", "text/html; charset=\"\x01\"")],
                                     PAGE.replace(b"ISO-8859-1", b"x-\xff\xfe"))),
    "/utf16-page": ("ok", html([("Content-Type", "text/html")],
                               PAGE.decode("cp1252").replace("ISO-8859-1", "utf-16")
                               .encode("utf-16"))),
    "/nul-bytes": ("ok", html([("Content-Type", "text/html")], PAGE.replace(b"<p>", b"<p>\0", 3))),
    "/empty": ("empty", html([("Content-Type", "text/html")], b"")),
    "/whitespace": ("empty", html([("Content-Type", "text/html")], b" \r\n\t " * 100)),
    "/no-text": ("no article text", html([("Content-Type", "text/html")],
                                         b"<html><body><script>x()</script></body></html>")),
    "/deep-nesting": ("no article text", html([("Content-Type", "text/html")],
                                              b"<div>" * 20000 + b"x" + b"</div>" * 20000)),
    # statuses and broken HTTP
    "/204": ("status 204", lambda h: h.send(response("204 No Content"))),
    "/206": ("status 206", lambda h: h.send(response("206 Partial Content",
                                                     [("Content-Type", "text/html")], PAGE[:2000]))),
    "/404": ("HTTP 404", lambda h: h.send(response("404 Not Found", [], b"nope"))),
    "/429": ("HTTP 429", lambda h: h.send(response("429 Too Many Requests",
                                                   [("Retry-After", "\x7fsoon-ish")], b""))),
    "/599": ("HTTP 599", lambda h: h.send(response("599 Weird", [], b""))),
    "/not-http": ("could not fetch", lambda h: h.send(b"garbage that is no HTTP\r\n\r\n")),
    "/half-body": ("could not fetch", _half_body),
    "/huge-header": ("could not fetch", lambda h: h.send(response(
        "200 OK", [("Content-Type", "text/html"), ("X-Huge", "a" * 200_000)], PAGE))),
    "/close-at-once": ("could not fetch", lambda h: None),
}


class _Handler(StreamRequestHandler):
    timeout = 30

    def send(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            return False

    def handle(self) -> None:
        try:
            line = self.rfile.readline(65537).decode("latin-1")
            while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
        except OSError:
            return
        parts = line.split()
        path = parts[1] if len(parts) > 1 else "/"
        if "://" in path:  # proxy form
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        if path.startswith("/endless/") and path[9:].isdigit():
            redirect(f"/endless/{int(path[9:]) + 1}")(self)
            return
        entry = ROUTES.get(path.split("?")[0])
        if entry is None:
            self.send(response("404 Not Found", [], b"unknown route"))
            return
        entry[1](self)


class _Server(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class HostileServer:
    """``with HostileServer() as server: server.url("/ok")``."""

    def __enter__(self) -> HostileServer:
        for kind in ("gzip", "double", "deflate"):
            bomb(kind)  # made before serving, so that no request waits for them
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
