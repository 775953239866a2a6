"""One writer per archive across machines: a lease in Redis.

The lease is the key ``<prefix>lease:<site>`` holding a random token, set with
``SET key token NX PX ttl`` (Redis documents this pattern for a lock on one instance:
https://redis.io/docs/latest/commands/set/).  While the holder works, a thread renews
it every third of the TTL with a script that extends the key only while it still holds
this token (and sets it again when the key is gone: Redis was restarted empty and
nobody else took it meanwhile).  It is released by a compare-and-delete script, so a
holder whose lease expired never deletes a successor's lease.

A holder that finds another token in the key has lost the lease: :class:`Lease` sets
``lost``, and the fleet's task abandons its run (nothing of it is committed) and does not
push.  gitnews's own archive lock (:mod:`gitnews.archive.lock`) still guards the clone on
each machine.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["Lease", "RENEW", "RELEASE"]

#: KEYS[1] lease key, ARGV[1] token, ARGV[2] ttl (ms): 1 = still ours (extended or set
#: again after the key vanished), 0 = another holder has it.
RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif not v then
  if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
end
return 0
"""

#: KEYS[1] lease key, ARGV[1] token: 1 = deleted, 0 = not ours (expired, or another's).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    """The lease on one key.  ``acquire()`` -> bool; then, as a context manager, a thread
    renews it until ``release()``; ``lost`` is set when another holder took it (then
    ``on_lost``, if given, is called once, from the renewing thread).

    ``ttl_s``: seconds the lease lives without renewal.  Redis errors while renewing are
    retried (twice a second) until the TTL would have run out; then the lease counts as
    lost.
    """

    def __init__(self, client: Redis, key: str, *, ttl_s: float,
                 on_lost: threading.Event | None = None) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1, int(ttl_s * 1000))
        self.token = secrets.token_hex(16)
        self.lost = threading.Event()
        self._on_lost = on_lost
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease if nobody holds it (``SET NX PX``); True when taken."""
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def renew(self) -> bool:
        """Extend the lease (True), or find it taken by another holder (False)."""
        return int(self.client.eval(RENEW, 1, self.key, self.token, str(self.ttl_ms))) == 1

    def release(self) -> bool:
        """Stop renewing; delete the key if it still holds this token (True)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        try:
            return int(self.client.eval(RELEASE, 1, self.key, self.token)) == 1
        except Exception:  # Redis unreachable: the lease expires by itself
            return False

    def _lose(self) -> None:
        self.lost.set()
        if self._on_lost is not None:
            self._on_lost.set()

    def _renew_loop(self) -> None:
        interval = self.ttl_ms / 3000
        good = time.monotonic()
        while not self._stop.wait(interval if time.monotonic() - good < interval else 0.5):
            try:
                if not self.renew():
                    self._lose()
                    return
                good = time.monotonic()
            except Exception:
                if time.monotonic() - good >= self.ttl_ms / 1000:
                    self._lose()
                    return

    def __enter__(self) -> Lease:
        self._thread = threading.Thread(target=self._renew_loop, name=f"lease {self.key}",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
