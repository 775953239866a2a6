"""The latest changes of an archive, read from git, each as a
:class:`~gitnews.versions.timeline.DiffView` (the shape every renderer takes).

:func:`latest_changes` finds the latest changes of the whole archive, of some
hosts or of one article with one ``git log`` over the repository
(``--max-count``, a ``--grep`` on the ``Version`` trailer, ``--raw`` for the
blob ids before and after), then one path-limited ``git log`` that stops as
soon as it has met the version before each change (for its time), and reads
the texts through the repository's persistent ``git cat-file``.  A *change* is
a version after the first (``Version`` ≥ 2: an edit, a removal or a
restoration); a new article is not a change.

Also what the feeds and the site need to know of the archive: its stable name
(:func:`archive_id`), its host folders (:func:`host_folders`, :func:`host_key`)
and the time of its last commit (:func:`head_time`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gitnews.archive import objects
from gitnews.archive.cache import ArticleRecord
from gitnews.archive.gitrun import GitError
from gitnews.archive.history import LogEntry, end_walk, is_version, iter_commits, same_text, version_time
from gitnews.archive.objects import read_blobs
from gitnews.format.normalise import parse_text
from gitnews.format.paths import host_key
from gitnews.format.trailers import ARTICLE_URL, CHANGE_KIND, FEED, KIND_OUTSIDE_EDIT, VERSION
from gitnews.models import FEED_LIMIT, Version
from gitnews.versions.diff import count_words, diff_texts
from gitnews.versions.timeline import DiffView, VersionInfo

if TYPE_CHECKING:
    import git

__all__ = ["CHANGE_GREP", "latest_changes", "make_view", "host_folders", "host_key", "archive_id",
           "head_time"]

#: ``git log -E --grep`` that selects version commits after the first
#: (git matches each line of the message; the trailer block is one ``Key:
#: value`` line per trailer, see :mod:`gitnews.format.trailers`).
CHANGE_GREP = rf"^{VERSION}: ([2-9]|[1-9][0-9]+)$"


def host_folders(repo: git.Repo, host: str) -> list[str]:
    """The archive's top-level folders for ``host`` and its subdomains.

    ``host`` is lower-case, without ``www.`` (as :mod:`gitnews.format.paths` names
    host folders); ``bbc.co.uk`` gives ``bbc.co.uk`` and ``news.bbc.co.uk``.
    One ``git ls-tree`` of HEAD (:func:`gitnews.archive.objects.top_folders`); [] when
    the archive has no commit.
    """
    names = objects.top_folders(repo, "HEAD")
    return [n for n in names if n == host or n.endswith("." + host)]


def _article_change(entry: LogEntry) -> tuple[str, str] | None:
    """``(status, path)`` of the article file a version commit touched, or None."""
    for status, path in entry.changes:
        if path.endswith(".txt"):
            return status, path
    return None


def latest_changes(repo: git.Repo, *, limit: int = FEED_LIMIT,
                   paths: Sequence[str] | None = None,
                   keep: Callable[[Version], bool] | None = None) -> list[DiffView]:
    """The latest ``limit`` changes, newest first, each as a :class:`DiffView`.

    ``paths`` limits them to files or folders of the archive (literal git
    pathspecs: an article's file, or a host folder such as ``theguardian.com``);
    None means the whole archive.  Versions are numbered by their ``Version``
    trailer.  A change whose previous version git cannot find (a history that
    does not follow the archive format) is left out, and so is a version that
    only put back the text of the version before it after an outside edit
    (:func:`gitnews.archive.history.same_text`): it is no change.  The views' ``record``
    is built from the commit (``versions`` = the new version's number).  ``keep``:
    only the versions it returns True for (a filter such as
    :func:`gitnews.output.changefeed.change_filter`); the others do not count
    towards ``limit``.
    """

    if limit <= 0:
        return []
    grep = ["-E", f"--grep={CHANGE_GREP}"]
    found: list[tuple[LogEntry, str, str, dict[str, str], int]] = []
    # Versions after an outside edit may be no change (same_text, known once their
    # previous versions are found): read on until ``limit`` others are found.
    others = 0
    walk = iter_commits(repo, "HEAD", paths=list(paths) if paths else None,
                        reverse=False, blobs=True, options=grep)
    try:
        for entry in walk:
            change = _article_change(entry)
            trailers = entry.trailers
            try:
                number = int(trailers.get(VERSION, ""))
            except ValueError:
                continue
            if change is None or ARTICLE_URL not in trailers or number < 2:
                continue
            status, path = change
            if keep is not None and not keep(entry.version(path, number, status=status,
                                                           trailers=trailers)):
                continue
            found.append((entry, status, path, trailers, number))
            if KIND_OUTSIDE_EDIT not in trailers.get(CHANGE_KIND, ""):
                others += 1
                if others >= limit:
                    break
    finally:
        end_walk(walk)
    if not found:
        return []
    previous = _previous_versions(repo, found)
    blobs = {b for e, _, path, _, _ in found
             for b in (e.blobs.get(path),
                       previous[e.commit].blobs.get(path) if e.commit in previous else None)
             if b}
    texts = read_blobs(repo, sorted(blobs))
    views: list[DiffView] = []
    for entry, status, path, trailers, number in found:
        prev_entry = previous.get(entry.commit)
        if prev_entry is None:
            continue
        new = entry.version(path, number, status=status, trailers=trailers)
        # The previous version's text, not the text the commit replaced: after an outside
        # edit the change is still shown against the article's previous version.
        old = prev_entry.version(path, number - 1)
        if same_text(old, new):
            continue
        views.append(make_view(old, new, _text(texts, old.blob), _text(texts, new.blob)))
    return views[:limit]


def _text(texts: dict[str, bytes], blob: str | None) -> str:
    return texts[blob].decode("utf-8", "replace") if blob else ""


def _previous_versions(repo: git.Repo,
                       found: Sequence[tuple[LogEntry, str, str, dict[str, str], int]]
                       ) -> dict[str, LogEntry]:
    """For each change, the commit of its article's version before it.

    One ``git log`` that reads commit messages only (``-F --grep`` on the
    changes' ``Article-Url`` trailers: no file comparisons, which git's
    changed-path Bloom filters would speed up for one path only), newest
    first, stopped as soon as every change has met its previous version.  A
    candidate counts only if it is a version (:func:`gitnews.archive.history.is_version`:
    an outside edit never is) and its ``Version`` is the change's minus one or
    its blob is the one the change replaced (so a version whose URL differs,
    e.g. ``http`` → ``https``, is not skipped over unnoticed); the rare change
    left without one gets a path-limited ``git log <change>^ -- <path>``
    stopped at the first version.
    """

    wanted = {e.commit: (path, e.old_blobs.get(path), status, number)
              for e, status, path, _, number in found}
    urls = sorted({trailers[ARTICLE_URL] for _, _, _, trailers, _ in found})
    waiting: dict[str, str] = {}  # path -> change commit whose previous version comes next
    out: dict[str, LogEntry] = {}
    options = ["-F", *(f"--grep={ARTICLE_URL}: {url}" for url in urls)]
    for entry in iter_commits(repo, "HEAD", reverse=False, blobs=True, options=options):
        trailers = entry.trailers
        for status, path in entry.changes:
            change = waiting.pop(path, None) if is_version(trailers) else None
            if change is not None and _replaced(entry, status, path, wanted[change], trailers):
                out[change] = entry
            if wanted.get(entry.commit, (None,))[0] == path:
                waiting[path] = entry.commit
        if len(out) == len(wanted):
            return out
    for commit, (path, _, _, _) in wanted.items():
        if commit not in out:
            try:
                for entry in iter_commits(repo, f"{commit}^", paths=[path], reverse=False,
                                          blobs=True):
                    if is_version(entry.trailers):
                        out[commit] = entry
                        break
            except GitError:  # a first commit has no parent: no previous version
                pass
    return out


def _replaced(entry: LogEntry, status: str, path: str,
              change: tuple[str, str | None, str, int], trailers: dict[str, str]) -> bool:
    """Whether the version ``entry`` (its ``trailers``) is the one before ``change``
    (path, old blob, status, number): its ``Version`` is one less, or it wrote the
    text the change replaced."""
    _, old_blob, change_status, number = change
    if trailers.get(VERSION) == str(number - 1):
        return True
    if change_status == "A":  # restored: the version before removed the file
        return status == "D"
    return entry.blobs.get(path) == old_blob


def make_view(old: Version, new: Version, old_text: str, new_text: str, *,
              record: ArticleRecord | None = None, versions: int | None = None) -> DiffView:
    """The :class:`DiffView` of two consecutive versions of one article.

    ``record`` defaults to one built from ``new`` (its ``Article-Url`` and
    headline); ``versions`` (how many versions the article has) to ``new.number``.
    """
    result = diff_texts(old_text, new_text)
    t_old, t_new = version_time(old), version_time(new)
    head_old = parse_text(old_text)[0] if old_text else None
    head_new, body_new = parse_text(new_text) if new_text else (None, [])
    info_old = VersionInfo(version=old, time=t_old, gap=None, stats=None, headline=head_old,
                           previous_headline=None,
                           paragraphs=len(parse_text(old_text)[1]) if old_text else 0,
                           words=count_words(old_text))
    info_new = VersionInfo(version=new, time=t_new, gap=t_new - t_old, stats=result.stats,
                           headline=head_new,
                           previous_headline=head_old if (head_old is not None and head_new
                                                          is not None and head_old != head_new)
                           else None,
                           paragraphs=len(body_new), words=count_words(new_text))
    if record is None:
        url = new.trailers.get(ARTICLE_URL) or old.trailers.get(ARTICLE_URL) or ""
        record = ArticleRecord(path=new.path, url=url, versions=new.number, blob=new.blob,
                               headline=head_new or head_old, feed=new.trailers.get(FEED),
                               first_seen=None, last_changed=None, removed=new.removed)
    return DiffView(record=record, versions=versions or new.number, a=info_old, b=info_new,
                    old_text=old_text, new_text=new_text, diff=result)


def archive_id(repo: git.Repo) -> str:
    """A stable name of the archive for feed ids: its first commit id (or ``"empty"``)."""
    roots = objects.root_commits(repo, "HEAD")
    return roots[-1] if roots else "empty"


def head_time(repo: git.Repo) -> datetime:
    """When the archive's last commit was authored (UTC); the epoch for an archive
    without commits (the date of a feed without entries)."""
    when = objects.head_time(repo)
    return when if when is not None else datetime(1970, 1, 1, tzinfo=UTC)
