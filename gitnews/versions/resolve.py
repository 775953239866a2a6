"""What the user typed -> an article of the archive, and a version number -> a version.

An ``ARTICLE`` argument may be (tried in this order):

1. the article file's path in the archive (``theguardian.com/society/....txt``,
   with or without ``.txt``, or a file-system path to the file inside the
   archive's folder), also in NFD and compared case-insensitively;
2. any URL gitnews knows for the article: the canonical URL or an alias
   (feed link, redirect, entry id), with or without the scheme (``http`` and
   ``https`` name the same article, :func:`gitnews.format.urls.url_key`), with or
   without ``www.`` and a trailing slash, with or without tracking parameters
   (they are dropped by canonicalisation), its text in Unicode NFC or NFD
   (canonical URLs are NFC, :func:`gitnews.format.urls.canonical_url`);
3. a URL that gitnews never saw but whose archive path
   (:func:`gitnews.format.paths.article_path`) is an article's file;
4. when nothing else matches, a piece of the headline (the cached headline of
   the latest version, compared case-insensitively, both in Unicode NFC): the
   one article whose headline contains the text.  When two or more do, they are listed (up to
   :data:`MAX_LISTED`) and none is chosen.

When nothing matches, :class:`~gitnews.errors.NotFoundError` says so and
lists the closest articles: those whose path, URL or headline contains the
text, then :func:`difflib.get_close_matches` on paths and URLs.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from gitnews.archive.cache import ArticleRecord, State
from gitnews.errors import GitnewsError, NotFoundError
from gitnews.format.paths import SUFFIX, article_path
from gitnews.models import Version

__all__ = ["resolve_article", "pick_version", "url_variants", "MAX_SUGGESTIONS", "MAX_LISTED"]

#: How many close matches an unknown-article message lists.
MAX_SUGGESTIONS = 5
#: How many articles an ambiguous headline piece lists.
MAX_LISTED = 20


def url_variants(text: str) -> list[str]:
    """The URLs ``text`` may mean: itself (``http://`` added when it has no
    scheme), then with ``www.`` added or removed, then each with the trailing
    slash of the path added or removed.  Duplicates are dropped; order kept."""
    raw = text.strip()
    if "://" not in raw:
        raw = "http://" + raw.lstrip("/")
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
    except ValueError:
        return [raw]
    if not host:
        return [raw]
    netloc = parts.netloc
    hosts = [netloc, netloc[4:] if host.startswith("www.") else "www." + netloc]
    out: list[str] = []
    for h in hosts:
        for path in (parts.path, _toggle_slash(parts.path)):
            url = urlunsplit((parts.scheme, h, path, parts.query, ""))
            if url not in out:
                out.append(url)
    return out


def _toggle_slash(path: str) -> str:
    if path in ("", "/"):
        return path
    return path[:-1] if path.endswith("/") else path + "/"


def _path_candidates(text: str, archive_dir: Path | None) -> list[str]:
    raw = text.strip()
    out: list[str] = []
    if archive_dir is not None:
        try:
            fs = Path(raw).expanduser()
            if fs.is_absolute() or fs.exists():
                rel = fs.resolve().relative_to(archive_dir.resolve())
                out.append(rel.as_posix())
        except (OSError, ValueError):
            pass
    plain = raw.removeprefix("./").lstrip("/")
    out.append(plain)
    if not plain.endswith(SUFFIX):
        out.append(plain.rstrip("/") + SUFFIX)
    # Archive paths are NFC; a path typed or pasted in NFD (macOS) names the same file.
    out += [unicodedata.normalize("NFC", p) for p in out]
    return list(dict.fromkeys(p for p in out if p))


def resolve_article(state: State, text: str, *,
                    archive_dir: Path | None = None) -> ArticleRecord:
    """The article that ``text`` names (see module doc for what is accepted).

    ``state`` must be synced; ``archive_dir`` is the archive's folder, used to
    accept file-system paths of article files.  Raises
    :class:`~gitnews.errors.NotFoundError` (with ``suggestions``: up to
    :data:`MAX_SUGGESTIONS` canonical URLs of close matches) when no article
    matches, and (with ``suggestions``: the URLs of up to :data:`MAX_LISTED`
    of them) when the text is a piece of two or more articles' headlines.
    """
    for path in _path_candidates(text, archive_dir):
        record = state.get(path)
        if record is not None:
            return record
    variants = url_variants(text)
    for url in variants:
        record = state.lookup(url)
        if record is not None:
            return record
    for url in variants:
        for hashed in (False, True):
            try:
                path = article_path(url, hashed=hashed)
            except GitnewsError:
                break
            record = state.get(path)
            if record is not None:
                return record
    records = list(state.articles())
    folded = {r.path.casefold(): r for r in records}
    for path in _path_candidates(text, archive_dir):
        if path.casefold() in folded:
            return folded[path.casefold()]
    needle = _fold(text)
    if needle:
        hits = [r for r in records if needle in _fold(r.headline or "")]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise _ambiguous(text, hits)
    raise _not_found(text, records)


def _fold(text: str) -> str:
    """``text`` for a caseless headline match: runs of white space made one space, Unicode
    NFC (a piece typed in NFD, as macOS may, matches the NFC headline), case folded and
    NFC again (folding can decompose: Unicode's canonical caseless match, section 3.13)."""
    nfc = unicodedata.normalize("NFC", " ".join(text.split()))
    return unicodedata.normalize("NFC", nfc.casefold())


def _ambiguous(text: str, hits: Sequence[ArticleRecord]) -> NotFoundError:
    hits = sorted(hits, key=lambda r: (r.last_changed or "", r.path), reverse=True)
    lines = [f"{len(hits)} articles have {text!r} in their headline; name one by its URL, "
             "its path or a longer piece of its headline:"]
    lines += [f"  {r.headline}  ({r.path})" for r in hits[:MAX_LISTED]]
    if len(hits) > MAX_LISTED:
        lines.append(f"  ... and {len(hits) - MAX_LISTED} more (`gitnews list` lists them all)")
    return NotFoundError("\n".join(lines), suggestions=[r.url for r in hits[:MAX_LISTED]])


def _not_found(text: str, records: Sequence[ArticleRecord]) -> NotFoundError:
    if not records:
        return NotFoundError(
            f"no article matches {text!r}: the archive has no articles yet; "
            "add a feed with `gitnews add URL` and run `gitnews run`")
    matches = _suggest(text, records)
    lines = [f"no article in the archive matches {text!r}"]
    if matches:
        lines[0] += "; the closest are:"
        lines += [f"  {r.url}  ({r.path})" for r in matches]
        lines.append("Name an article by its URL or its path; `gitnews list` lists them all.")
    else:
        lines[0] += (f"; the archive has {len(records)} article(s): `gitnews list` lists them"
                     " (name one by its URL or its path)")
    return NotFoundError("\n".join(lines), suggestions=[r.url for r in matches])


def _suggest(text: str, records: Sequence[ArticleRecord]) -> list[ArticleRecord]:
    needle = text.strip().casefold()
    for prefix in ("https://", "http://", "www."):
        needle = needle.removeprefix(prefix)
    needle = needle.rstrip("/").removesuffix(SUFFIX)
    found: list[ArticleRecord] = []
    if needle:
        for r in records:
            hay = (r.path.casefold(), r.url.casefold(), (r.headline or "").casefold())
            if any(needle in h for h in hay):
                found.append(r)
    by_key: dict[str, ArticleRecord] = {}
    for r in records:
        by_key.setdefault(r.path.casefold().removesuffix(SUFFIX), r)
        by_key.setdefault(_schemeless(r.url).casefold(), r)
    for key in difflib.get_close_matches(needle, list(by_key), n=MAX_SUGGESTIONS, cutoff=0.6):
        found.append(by_key[key])
    unique = {r.path: r for r in reversed(found)}  # first occurrence wins
    return list(reversed(unique.values()))[:MAX_SUGGESTIONS]


def _schemeless(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.removeprefix("www.").rstrip("/")


def pick_version(versions: Sequence[Version], number: int, *, article: str = "the article",
                 allow_removed: bool = True) -> Version:
    """Version ``number`` of ``versions`` (oldest first): 1 is the first; a
    negative number counts back from the latest (-1 the latest, -2 the one
    before), like a Python index.

    Raises :class:`~gitnews.errors.NotFoundError` naming the valid range when
    there is no such version (0 is never valid), and, unless
    ``allow_removed``, when that version is a removal (the file was deleted).
    """
    count = len(versions)
    if count == 0:
        raise NotFoundError(f"{article} has no versions in git")
    if number == 0 or not -count <= number <= count:
        span = "1" if count == 1 else f"1 to {count}"
        back = "-1" if count == 1 else f"-1 to -{count}"
        raise NotFoundError(
            f"{article} has no version {number}: it has {count} version(s), numbered {span}"
            f" ({back} counting back from the latest)",
            suggestions=[str(n) for n in range(1, count + 1)])
    version = versions[number - 1] if number > 0 else versions[number]
    if version.removed and not allow_removed:
        kept = [str(v.number) for v in versions if not v.removed]
        raise NotFoundError(
            f"version {version.number} of {article} is a removal (the file was deleted then)"
            f" and has no text; versions with text: {', '.join(kept) or 'none'}",
            suggestions=kept)
    return version
