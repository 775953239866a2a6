"""GitPython, imported on first use: ``from gitnews.archive import lazygit as git``.

Going away: modules move to ``if TYPE_CHECKING: import git`` for annotations and
``import git`` inside the functions that call GitPython (the archive package has,
see :mod:`gitnews.archive.gitrun`, which also holds :class:`~gitnews.archive.gitrun.LazyRepo`).

GitPython is the largest import of the command line (about 40 ms of the
0.3 s that ``gitnews --help`` may take), and every command module imports the
core, which uses it.  Modules that need it write ``from gitnews.archive import lazygit as git``
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

