"""GitPython, imported on first use: ``from . import _git as git``.

GitPython is the largest import of the command line (about 40 ms of the
0.3 s that ``gitnews --help`` may take), and every command module imports the
core, which uses it.  Modules that need it write ``from . import _git as git``
instead of ``import git``: ``git.Repo``, ``git.GitCommandError``... then
work as usual, and GitPython is imported at the first such attribute access
(a module ``__getattr__``, PEP 562), i.e. only by commands that touch a
repository.  Type annotations need nothing: with ``from __future__ import
annotations`` they are never evaluated at import.
"""

from __future__ import annotations


def __getattr__(name: str) -> object:
    import git

    value = getattr(git, name)
    globals()[name] = value  # later lookups skip this function
    return value


class LazyRepo:
    """A :class:`git.Repo` of a non-bare repository, made on first use.

    ``git_dir`` and ``working_tree_dir`` (absolute paths, as GitPython gives
    them) are known without GitPython; any other attribute makes the
    ``git.Repo`` (importing GitPython: about 0.05-0.1 s) and is taken from it.
    Read commands that only ask the cache and ``git`` plumbing
    (:mod:`gitnews.archive.cache`, :class:`gitnews.archive.history.BlobReader`) then never
    import it.  ``materialised`` says whether the ``git.Repo`` exists.
    """

    def __init__(self, path: str) -> None:
        import os

        self.working_tree_dir = os.path.abspath(path)
        self.git_dir = os.path.join(self.working_tree_dir, ".git")
        self._repo = None

    @property
    def materialised(self) -> bool:
        return self._repo is not None

    def _real(self):  # noqa: ANN202 - git.Repo
        if self._repo is None:
            import git

            self._repo = git.Repo(self.working_tree_dir)
        return self._repo

    def __getattr__(self, name: str) -> object:
        return getattr(self._real(), name)

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
