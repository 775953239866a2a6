"""The fleet: a collection's archives run by Celery workers over Redis (``gitnews[fleet]``).

Operators use Celery's own commands (docs/scaling.md, README "Scaling out")::

    GITNEWS_COLLECTION=/srv/news GITNEWS_REDIS_URL=redis://127.0.0.1:6379/0 \\
        celery -A gitnews.fleet worker --concurrency 1
    ... celery -A gitnews.fleet beat

* :mod:`~gitnews.fleet.settings`: the environment (``GITNEWS_COLLECTION``,
  ``GITNEWS_REDIS_URL``, lease and dispatch times);
* :mod:`~gitnews.fleet.lease`: one writer per archive: a lease in Redis (``SET NX PX``
  with a token, renewed by a thread, released by a compare-and-delete script);
* :mod:`~gitnews.fleet.sync`: a worker's clone of an archive brought up to date from its
  git remote (cloned on first use), and pushed after the run;
* :mod:`~gitnews.fleet.tasks`: the tasks "run archive X", "hand articles over to X" and the
  periodic dispatcher, and the Celery application itself (:data:`app`, made when first
  asked for, so that importing this package needs neither Celery nor Redis).

Without the extra, or without ``GITNEWS_REDIS_URL``, nothing here is used: ``gitnews run``
runs a collection's archives one after another in one process.

What it may import: every package below it, :mod:`gitnews.collection` included, never
:mod:`gitnews.cli`.  Celery and redis are imported only by :mod:`~gitnews.fleet.tasks`
and :mod:`~gitnews.fleet.lease`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app"]


def __getattr__(name: str) -> Any:  # noqa: ANN401 (the Celery app: no type hints)
    """``gitnews.fleet.app`` (also as ``celery``, the names ``celery -A`` looks for)."""
    if name in ("app", "celery"):
        from gitnews.fleet.tasks import app

        return app
    raise AttributeError(f"module 'gitnews.fleet' has no attribute {name!r}")
