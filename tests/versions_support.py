"""Build small real archives for the version-reading tests (real git, no mocks).

The archive is made like ``gitnews init`` + ``gitnews run`` make it: a git
repository on ``main`` with ``gitnews.toml``, and one commit per version written
through :class:`gitnews.archive.store.Transaction`, with the trailers poll.py writes,
at chosen times (``when``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import git

from gitnews.archive.store import Transaction
from gitnews.config import CONFIG_NAME, default_config_text
from gitnews.format.paths import article_path
from gitnews.format.trailers import format_message, format_subject, format_time
from gitnews.format.urls import canonical_url

DATA = Path(__file__).resolve().parent / "data" / "versions"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_V1_AT = datetime(2016, 9, 29, 10, 2, tzinfo=UTC)
SEED_V2_AT = datetime(2016, 9, 29, 17, 14, tzinfo=UTC)
AUTHOR = ("gitnews", "gitnews@localhost")


def seed_text(version: int) -> str:
    return (DATA / f"seed-v{version}.txt").read_text(encoding="utf-8")


def make_archive(root: Path) -> Path:
    """An empty archive at ``root`` (``.git`` + committed ``gitnews.toml``)."""
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    try:
        with Transaction(repo, author=AUTHOR) as tx:
            tx.commit({CONFIG_NAME: default_config_text()}, message="Start the gitnews archive\n",
                      when=datetime(2016, 1, 1, tzinfo=UTC))
    finally:
        repo.close()
    return root


def add_versions(root: Path, versions: list[tuple[str, str | None, datetime]],
                 *, extra: dict[str, str] | None = None) -> list[str]:
    """Commit ``(url, text or None for a removal, when)`` versions in one transaction.

    Returns the commit ids.  Version numbers and New/Changed subjects follow
    the order given, per article.
    """
    repo = git.Repo(root)
    counts: dict[str, int] = {}
    try:
        with Transaction(repo, author=AUTHOR) as tx:
            for url, text, when in versions:
                canon = canonical_url(url)
                path = article_path(canon)
                counts[path] = counts.get(path, _existing(repo, path)) + 1
                n = counts[path]
                headline = text.split("\n", 1)[0] if text else "(removed)"
                prefix = "Removed" if text is None else "New" if n == 1 else "Changed"
                trailers = [("Article-Url", canon), ("Version", n),
                            ("Fetched-At", format_time(when)), ("Http-Status", 200),
                            ("Extractor", "trafilatura 2.3.1"),
                            *((extra or {}).items())]
                tx.commit({path: text}, message=format_message(format_subject(prefix, headline),
                                                              trailers), when=when)
        return list(tx.commits)
    finally:
        repo.close()


def _existing(repo: git.Repo, path: str) -> int:
    try:
        out = repo.git.log("--format=%H", "--", path)
    except git.GitCommandError:
        return 0
    return len(out.split())


def seed_archive(root: Path) -> Path:
    """The seed-guardian article in its two real versions at the WARC's capture times."""
    make_archive(root)
    add_versions(root, [(SEED_URL, seed_text(1), SEED_V1_AT), (SEED_URL, seed_text(2), SEED_V2_AT)])
    return root
