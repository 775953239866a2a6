"""Build small archives and remotes with real git, for the push and hook tests."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import git

from gitnews.archive.repo import init_archive, open_archive
from gitnews.format.trailers import format_message, format_subject, format_time

T0 = datetime(2016, 9, 29, 10, 2, tzinfo=UTC)
OTHER = ["-c", "user.name=Other clone", "-c", "user.email=other@example.org"]


def new_archive(folder: Path, *, remote: Path | None = None) -> Path:
    """A fresh archive at ``folder`` (initial commit at T0), with ``origin`` = ``remote``."""
    init_archive(folder, now=T0)
    if remote is not None:
        git(folder, "remote", "add", "origin", str(remote))
    return folder


def bare_remote(folder: Path) -> Path:
    """An empty bare repository whose default branch is main."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(folder)], check=True)
    return folder


def add_version(archive: Path, path: str, text: str, *, version: int, url: str,
                hours: float = 1.0, kind: str | None = None) -> str:
    """Commit one version of an article as gitnews does (``kind``: its
    ``Change-Kind`` trailer, none by default); returns the commit id."""
    when = T0 + timedelta(hours=hours)
    headline = text.split("\n", 1)[0]
    message = format_message(
        format_subject("New" if version == 1 else "Changed", headline),
        [("Article-Url", url), ("Version", version), ("Fetched-At", format_time(when)),
         ("Http-Status", 200), ("Extractor", "trafilatura 2.3.1"),
         *([("Change-Kind", kind)] if kind else [])])
    with open_archive(archive) as arc:
        with arc.transaction() as tx:
            tx.commit({path: text}, message=message, when=when)
    return tx.commits[-1]


def other_clone_commits(remote: Path, clone: Path, files: dict[str, str | None],
                        message: str) -> str:
    """In another clone of ``remote`` (made on first use), change ``files`` and push."""
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", str(remote), str(clone)], check=True)
    else:
        git(clone, "pull", "-q", "--ff-only")
    for name, content in files.items():
        target = clone / name
        if content is None:
            git(clone, "rm", "-q", name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        git(clone, "add", name)
    git(clone, *OTHER, "commit", "-q", "-m", message)
    git(clone, "push", "-q", "origin", "main")
    return git(clone, "rev-parse", "HEAD").strip()


def head(repo: Path, ref: str = "main") -> str:
    return git(repo, "rev-parse", ref).strip()
