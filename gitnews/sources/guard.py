"""Resource limits for :mod:`gitnews.sources.http`: a total deadline per fetch, and
decompression that never holds more than the size cap.

**Deadline.**  httpx's timeouts apply to each network operation: a server that
sends one byte of its headers every 29 seconds never trips a 30-second read
timeout, and holds a fetch (and a worker thread) for ever.  :func:`install`
wraps the network backend of each of an :class:`httpx.Client`'s connection
pools (httpcore's ``NetworkBackend`` interface; the pools are reached through
httpx's private ``_transport``/``_mounts``/``_pool`` attributes, which
:func:`install` reports when they change) so that every connect, read and
write of the calling thread gets at most the time left before the deadline
set with :func:`deadline`; past it, httpcore raises its ``ReadTimeout`` (or
``ConnectTimeout``/``WriteTimeout``), which httpx turns into
:class:`httpx.TimeoutException`.

**Bounded decoding.**  httpx decodes ``Content-Encoding`` one received chunk
at a time, but without an output limit: one 64 KiB chunk of a gzip bomb
becomes 64 MiB at once, and a body encoded twice (``gzip, gzip``) a thousand
times more (measured: a 1.7 KB response made gitnews allocate 1.9 GB).
:class:`BoundedDecoder` inflates the raw body (``Response.iter_raw``) in
pieces of at most 64 KiB per layer with :mod:`zlib`'s ``max_length`` and stops
as soon as the decoded size passes the cap.  It decodes what gitnews asks for
in ``Accept-Encoding`` (:data:`ACCEPT_ENCODING`: ``gzip``, ``deflate``, as
RFC 9110 section 8.4.1 names them; ``x-gzip`` too) and refuses any other
coding with a clear error.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpcore

from gitnews.errors import FetchError, TooLargeError

if TYPE_CHECKING:
    import ssl

    import httpx

__all__ = ["ACCEPT_ENCODING", "BoundedDecoder", "deadline", "install"]

#: What gitnews accepts as ``Accept-Encoding`` (and can decode within its cap).
ACCEPT_ENCODING = "gzip, deflate"

_PIECE = 64 * 1024
_MAX_LAYERS = 3
_local = threading.local()


# -- the deadline ----------------------------------------------------------------------------

@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Within the block, the calling thread's network operations end by ``at``
    (a :func:`time.monotonic` value)."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = at
    try:
        yield
    finally:
        _local.deadline = previous


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    at: float | None = getattr(_local, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the fetch's total time limit has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        # httpcore asks it on every pool scan: the inner stream's method, no extra call
        # (so a bound method of another object replaces this class's method).
        self.get_extra_info = stream.get_extra_info  # type: ignore[method-assign]  # see above

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._stream.start_tls(ssl_context, server_hostname,
                                              _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> _Stream:
        return _Stream(self._backend.connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout),
                                                 local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                            ) -> _Stream:
        return _Stream(self._backend.connect_unix_socket(
            path, _left(timeout, httpcore.ConnectTimeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def install(client: httpx.Client) -> int:
    """Make every connection pool of the httpx ``client`` honour :func:`deadline`.

    Returns how many pools were wrapped (0 means that httpx's internals
    changed and the deadline is not enforced: the tests check for this).
    """
    wrapped = 0
    transports = [getattr(client, "_transport", None),
                  *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if pool is None or backend is None:
            continue
        if not isinstance(backend, _Backend):
            pool._network_backend = _Backend(backend)
        wrapped += 1
    return wrapped


# -- bounded decoding ------------------------------------------------------------------------

class _Inflate:
    """One ``gzip``/``deflate`` layer, inflated in pieces of at most 64 KiB."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._raw_deflate_tried = False
        self._later_member = False  # reading a second (or later) gzip member
        self._ended = False         # trailing bytes that are no gzip member: ignored
        self._d = self._new()

    def _new(self) -> zlib._Decompress:
        # gzip: RFC 1952 members; deflate: the zlib format of RFC 1950 (some
        # servers send raw RFC 1951 data instead: tried when zlib fails at once).
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self.coding != "deflate"
                                  else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self._ended:
            try:
                out = self._d.decompress(data, _PIECE)
            except zlib.error:
                if self.coding == "deflate" and not self._raw_deflate_tried:
                    self._raw_deflate_tried = True
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                if self._later_member:  # junk after the last member, as browsers ignore it
                    self._ended = True
                    return
                raise
            self._raw_deflate_tried = True
            data = self._d.unconsumed_tail
            if self._d.eof and self._d.unused_data and self.coding != "deflate":
                data = self._d.unused_data  # the next gzip member (RFC 1952 section 2.2)
                self._d = self._new()
                self._later_member = True
            if out:
                yield out
            if not data and not out:
                return

    def flush(self) -> bytes:
        return self._d.flush() if not (self._d.eof or self._ended) else b""


class _Full(Exception):
    """The decoded body reached ``max_bytes`` and is being truncated."""


class BoundedDecoder:
    """Decode a body sent with ``content_encoding`` (the header's value, or None),
    keeping at most ``max_bytes`` decoded bytes.

    :meth:`feed` each raw chunk, then :meth:`finish` for the body.  Raises
    :class:`~gitnews.errors.TooLargeError` as soon as the decoded body passes
    ``max_bytes`` (with ``truncate=True`` it keeps the first ``max_bytes``
    instead and sets :attr:`full`: stop feeding), and
    :class:`~gitnews.errors.FetchError` for a coding it does not decode or
    data that does not decode.  ``url`` and ``status`` go into those errors.
    """

    def __init__(self, content_encoding: str | None, *, max_bytes: int, url: str,
                 status: int | None = None, truncate: bool = False) -> None:
        self.max_bytes = max_bytes
        self.url = url
        self.status = status
        self.truncate = truncate
        #: True once a truncated body reached ``max_bytes``.
        self.full = False
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(
                    f"{url} was sent with Content-Encoding {coding!r}, which gitnews did not ask "
                    f"for and cannot decode (it asks for {ACCEPT_ENCODING}); the server is "
                    "misbehaving, nothing of it was stored", url=url, status=status)
        if len(codings) > _MAX_LAYERS:
            raise FetchError(f"{url} was sent with {len(codings)} content codings "
                             f"({content_encoding}); gitnews decodes at most {_MAX_LAYERS}; "
                             "nothing of it was stored", url=url, status=status)
        # The codings are listed in the order they were applied: undo them backwards.
        self._layers = [_Inflate(c) for c in reversed(codings)]
        self._out: list[bytes] = []
        self.size = 0

    def _emit(self, piece: bytes) -> None:
        if self.truncate and self.size + len(piece) >= self.max_bytes:
            self._out.append(piece[:self.max_bytes - self.size])
            self.size = self.max_bytes
            self.full = True
            raise _Full
        self.size += len(piece)
        if self.size > self.max_bytes:
            raise TooLargeError(
                f"{self.url} is over the limit of {self.max_bytes:,} bytes (fetch.max_bytes"
                + (", after decompression" if self._layers else "")
                + "); nothing of it was stored", url=self.url, status=self.status)
        self._out.append(piece)

    def _through(self, layer: int, data: bytes) -> None:
        if layer == len(self._layers):
            self._emit(data)
            return
        try:
            for piece in self._layers[layer].feed(data):
                self._through(layer + 1, piece)
        except zlib.error as exc:
            raise FetchError(f"{self.url}: its {self._layers[layer].coding} body does not "
                             f"decode ({exc}); nothing of it was stored", url=self.url,
                             status=self.status) from None

    def feed(self, raw: bytes) -> None:
        """Decode one raw chunk of the body."""
        if raw and not self.full:
            try:
                self._through(0, raw)
            except _Full:
                pass

    def finish(self) -> bytes:
        """The decoded body."""
        if not self.full:
            try:
                for i, layer in enumerate(self._layers):
                    rest = layer.flush()
                    if rest:
                        self._through(i + 1, rest)
            except _Full:
                pass
        return b"".join(self._out)
