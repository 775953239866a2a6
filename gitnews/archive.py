"""Create and open an archive: a git repository on branch ``main`` holding
``gitnews.toml``, ``README.md`` (the format, for readers) and one ``.txt``
file per article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import _git as git  # GitPython, imported on first use (start-up time)

from .config import CONFIG_NAME, Config, default_config_text, load_config
from .errors import ArchiveError
from .state import State
from .store import BRANCH, Transaction

__all__ = ["Archive", "init_archive", "open_archive", "archive_readme", "DEFAULT_ARCHIVE"]

#: The archive folder used when none is given (relative to the current folder).
DEFAULT_ARCHIVE = "archive-repo"

_GITATTRIBUTES = "# Article texts are UTF-8 with LF line ends on every platform.\n*.txt text eol=lf\n"


def archive_readme() -> str:
    """The archive's README.md: its format and how to read it with plain git."""
    from importlib import resources  # here: it costs start-up time, and only init needs it

    return resources.files("gitnews").joinpath("archive_readme.md").read_text(encoding="utf-8")


@dataclass
class Archive:
    """An open archive: its folder, git repository, configuration and cache.

    Use as a context manager, or call :meth:`close` (it ends GitPython's
    persistent ``git cat-file`` processes and the cache's database).
    """

    path: Path
    repo: git.Repo
    config: Config
    _state: State | None = field(default=None, repr=False)

    @property
    def state(self) -> State:
        """The cache, synced with git on first use."""
        if self._state is None:
            self._state = State(self.repo)
            self._state.sync()
        return self._state

    def author(self) -> tuple[str, str]:
        return (self.config.archive.author_name, self.config.archive.author_email)

    def transaction(self) -> Transaction:
        """A fast-import transaction on the archive's branch (see :mod:`gitnews.store`)."""
        return Transaction(self.repo, author=self.author())

    def reload_config(self) -> None:
        self.config = load_config(self.path)

    def close(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None
        self.repo.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_archive(path: Path) -> bool:
    return (path / ".git").exists() and (path / CONFIG_NAME).exists()


def init_archive(path: Path | str, *, now: datetime | None = None) -> Path:
    """Create an archive at ``path`` with one initial commit; returns its path.

    ``path`` may not exist yet, or be empty but for a README.md.  Raises
    :class:`~gitnews.errors.ArchiveError` when it already holds an archive or
    other files.
    """
    path = Path(path)
    if _is_archive(path):
        raise ArchiveError(f"{path} is already a gitnews archive; use it as it is")
    if path.exists():
        if not path.is_dir():
            raise ArchiveError(f"{path} is a file, not a folder; choose another --archive")
        extra = [p.name for p in path.iterdir() if p.name not in ("README.md", ".git")]
        if extra:
            raise ArchiveError(
                f"{path} already holds other files ({', '.join(sorted(extra)[:3])}); "
                "choose an empty or new folder for the archive")
    path.mkdir(parents=True, exist_ok=True)
    try:
        repo = git.Repo.init(path, initial_branch=BRANCH) if not (path / ".git").exists() \
            else git.Repo(path)
    except git.GitCommandError as exc:
        raise ArchiveError(f"git could not create a repository at {path}: {exc.stderr}") from None
    config = load_config(path)
    try:
        tx = Transaction(repo, author=(config.archive.author_name, config.archive.author_email))
        tx.commit({CONFIG_NAME: default_config_text(), "README.md": archive_readme(),
                   ".gitattributes": _GITATTRIBUTES},
                  message="Start the gitnews archive\n",
                  when=now or datetime.now(timezone.utc))
        tx.finish()
    finally:
        repo.close()
    return path


def open_archive(path: Path | str, *, create: bool = False) -> Archive:
    """Open the archive at ``path`` (creating it first when ``create``).

    Raises :class:`~gitnews.errors.ArchiveError` when ``path`` is not an
    archive, :class:`~gitnews.errors.ConfigError` when its gitnews.toml is invalid.
    """
    path = Path(path)
    if not _is_archive(path):
        if create:
            init_archive(path)
        else:
            raise ArchiveError(f"no gitnews archive at {path}; create one with "
                               f"`gitnews init --archive {path}` (or `gitnews add URL`)")
    try:
        repo = git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ArchiveError(f"{path} is not a git repository ({exc})") from None
    return Archive(path=path, repo=repo, config=load_config(path))
