"""The one object callers hold: :class:`State`, the cache of one archive, made of the
parts of :mod:`gitnews.archive.cache` (each a mixin over the shared connection of
:class:`~gitnews.archive.cache.db.CacheDb`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gitnews.archive.cache import gitcalls
from gitnews.archive.cache.articles import ArticleLookups
from gitnews.archive.cache.checks import Checks
from gitnews.archive.cache.db import open_read_only, open_writable
from gitnews.archive.cache.feeds import Feeds
from gitnews.archive.cache.index import GitIndex
from gitnews.archive.cache.noise import Noise
from gitnews.archive.cache.politeness import Politeness
from gitnews.archive.readonly import is_read_only

if TYPE_CHECKING:
    import git

__all__ = ["State", "STATE_DIR"]

#: The cache's folder inside ``.git``.
STATE_DIR = "gitnews"


class State(GitIndex, ArticleLookups, Checks, Feeds, Politeness, Noise):
    """The cache of one archive; :meth:`sync` it with git before use."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo
        folder = Path(repo.git_dir) / STATE_DIR
        self.path = folder / "state.sqlite"
        self.read_only = is_read_only(folder) or (self.path.exists() and is_read_only(self.path))
        if self.read_only:
            self.db = open_read_only(self.path, lambda: gitcalls.head(repo))
            return
        folder.mkdir(exist_ok=True)
        self.db = open_writable(self.path)
