"""The rebuildable cache: what gitnews knows between runs, outside history.

Kept in ``.git/gitnews/state.sqlite`` (inside ``.git``, so never committed and
never in the working tree).  Two kinds of data:

* derived from git (articles, their version counts, current blob ids,
  headlines, aliases found in trailers, every version and every outside
  edit): rebuilt from ``git log`` whenever the cache's recorded ``head`` is
  not the branch's current commit.  Versions are gitnews's own commits
  (:func:`gitnews.archive.history.is_version`); a commit made without gitnews's
  trailers that touches an article's file is an *outside edit*, kept apart
  and never counted;
* check state that changes on every run (ETag, Last-Modified, last check,
  failure streak, unchanged checks for the schedule, the backlog of articles
  not fetched yet, robots.txt copies and host back-offs): losing it costs
  only a full re-fetch.

Deleting the file is always safe.

Callers hold one object, :class:`State` (:mod:`~gitnews.archive.cache.state`), made
of one part per concern, each over the tables it owns:

* :mod:`~gitnews.archive.cache.schema`: the tables and the schema version;
* :mod:`~gitnews.archive.cache.db`: opening the file (or an in-memory copy, read-only),
  transactions, ``meta``;
* :mod:`~gitnews.archive.cache.index`: the article index rebuilt from git (``sync``);
* :mod:`~gitnews.archive.cache.articles`: reading it (:class:`ArticleRecord`, lookups,
  versions, outside edits);
* :mod:`~gitnews.archive.cache.checks`: checks, the schedule, the backlog;
* :mod:`~gitnews.archive.cache.feeds`: what the last run learnt of each feed;
* :mod:`~gitnews.archive.cache.politeness`: robots.txt copies and host back-offs;
* :mod:`~gitnews.archive.cache.noise`: held texts, pending removals, alternations;
* :mod:`~gitnews.archive.cache.gitcalls`: the cache's own git calls.
* :mod:`~gitnews.archive.cache.search`: the full-text index of every version (FTS5),
  written with each batch of versions ``sync`` records, and asked by ``gitnews search``;
  :mod:`~gitnews.archive.cache.words` the words it sees and those a version added
  and removed.

Rows come back typed (TypedDicts: :class:`FailingCheck`, :class:`BacklogRow`,
:class:`FeedRow`, :class:`RobotsRow`, :class:`HostRow`, :class:`HeldRow`,
:class:`GoneRow`, :class:`AlternationRow`).

Imports: the cache is part of :mod:`gitnews.archive` and may import from
:mod:`gitnews.format`, :mod:`gitnews.errors`, :mod:`gitnews.models`, the rest of
:mod:`gitnews.archive` (``history``, ``readonly``; ``store`` for types only) and the
standard library; nothing of ``versions``, ``output``, ``ops`` or ``cli``.
GitPython only inside functions, or for annotations (start-up time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitnews.archive.cache.articles import ArticleRecord
    from gitnews.archive.cache.checks import BacklogRow, FailingCheck
    from gitnews.archive.cache.feeds import FeedRow
    from gitnews.archive.cache.noise import AlternationRow, GoneRow, HeldRow
    from gitnews.archive.cache.politeness import HostRow, RobotsRow
    from gitnews.archive.cache.state import STATE_DIR, State

__all__ = ["State", "ArticleRecord", "STATE_DIR", "FailingCheck", "BacklogRow", "FeedRow",
           "RobotsRow", "HostRow", "HeldRow", "GoneRow", "AlternationRow"]

# The names above are imported on first use (PEP 562), so that importing one part of the
# cache (``schema``, ``gitcalls``: :mod:`gitnews.archive.reader`, the read commands' fast
# path) does not import every other part (start-up time).
_HOMES = {"ArticleRecord": "articles", "BacklogRow": "checks", "FailingCheck": "checks",
          "FeedRow": "feeds", "AlternationRow": "noise", "GoneRow": "noise", "HeldRow": "noise",
          "HostRow": "politeness", "RobotsRow": "politeness", "STATE_DIR": "state",
          "State": "state"}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # __import__, not importlib.import_module: the import statement's machinery, which
    # `python -X importtime` reports (tests/test_startup.py reads it).
    value = getattr(__import__(f"{__name__}.{home}", fromlist=[name]), name)
    globals()[name] = value
    return value
