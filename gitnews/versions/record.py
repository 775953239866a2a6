"""Decide what a capture means for the archive and queue its commit.

A *capture* is one observation of an article page (a live fetch by
:mod:`gitnews.ops.run`, or a web-archive record by an import).  :class:`Recorder`
finds the article it belongs to, compares the normalised text with the
article's current version (by git blob id) and decides, per capture:

* **which file** (one article, one history): the article named by any URL of
  the capture — the canonical URL (:func:`gitnews.format.urls.article_url`: the final
  URL, or the page's validated ``rel=canonical``), the final URL, the URL
  requested, every redirect and the feed entry id — that the cache or this run
  already knows; otherwise a new file at :func:`~gitnews.format.paths.article_path` of
  the canonical URL (hashed when that path is taken).
* **unchanged**: the text is the current version's (a held text or a pending
  removal of the article is then forgotten: the teaser came and went), or the
  text the file holds (also after an outside edit: nothing to commit).
* **a version**: one commit with the trailers of the archive format plus
  ``Page-Sha256`` (SHA-256 of the page bytes) and, after the first version,
  ``Change-Kind`` (comma-separated: ``headline``, ``byline``, ``body``,
  ``revert``, ``extraction``, ``removed``, ``restored``, ``outside-edit``) and,
  for a return to an earlier text, ``Reverts-To: <version>``.  Versions are
  compared with the article's versions, never with an *outside edit* (a
  commit made without gitnews, :func:`gitnews.archive.history.is_version`): a version
  that replaces the text of an outside edit in the file says so
  (``outside-edit``), and its other kinds compare it with the newest version.
* **held** (:data:`~gitnews.models.Outcome.HELD`): a *suspicious* text — its
  body lost more than ``changes.suspicious_loss`` of the current version's
  words, or it shrank and reads like a paywall or consent teaser
  (:data:`TEASER_MARKERS`), or it is a fragment (an empty body, or one
  paragraph where there were five or more) — is kept in the cache and
  committed only when ``changes.confirm_checks`` later checks see a suspicious
  text again (and ``changes.confirm_after_s`` seconds passed).  A teaser
  served once between two full texts never enters the history.
* **alternating**: after ``changes.max_reverts`` committed reverts, a return to
  a text already in the history is not committed, only counted
  (:meth:`~gitnews.archive.cache.State.get_alternation`).
* **removed**: a 404/410 or a redirect to the site's front page or a section
  front, seen again by a check at least ``changes.removal_confirm_s`` seconds
  later (or by a later ``--all`` run), commits the deletion of the file (a
  version of its own, ``Change-Kind: removed``); a text seen after that is a
  version with ``Change-Kind: restored``.

The page's social and SEO titles (``Article.social_title``/``seo_title``) go
into the ``Social-Title``/``Seo-Title`` trailers where they are not line 1;
only the text decides what is a version, so they never make one on their own.

Several captures of one article in one run are counted correctly (``Version``
= the number of gitnews's versions of the file, outside edits not counted).
Cache updates (validators, aliases, held texts, pending removals) are kept
until :meth:`Recorder.apply`, called after the transaction has finished, so
that nothing is remembered for a version that never reached git.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.history import BlobReader
from gitnews.archive.repo import Archive
from gitnews.archive.store import Transaction, blob_id
from gitnews.config import ChangeSettings
from gitnews.format.normalise import normalise_line
from gitnews.format.paths import article_path
from gitnews.format.sites import article_url
from gitnews.format.trailers import clean_value, format_message, format_subject, format_time
from gitnews.format.trailers import parse_time as _parse_time
from gitnews.format.urls import identity_key, url_key
from gitnews.models import Article, ItemResult, Outcome, Page

__all__ = ["Capture", "Recorder", "TEASER_MARKERS", "CHANGE_KINDS", "suspicion",
           "page_sha256"]

#: The values of the ``Change-Kind`` trailer, in the order they are written.
CHANGE_KINDS = ("headline", "byline", "body", "revert", "extraction", "removed", "restored",
                "outside-edit")

#: Phrases of paywall, registration and consent teasers (lower case, matched
#: anywhere in the text).  A new text that contains one the current version does
#: not, and is shorter, is held for confirmation.
TEASER_MARKERS = (
    "subscribe to continue reading", "subscribe to read", "subscribers only",
    "for subscribers", "already a subscriber", "already subscribed",
    "to continue reading", "continue reading with", "log in to continue",
    "sign in to continue", "create a free account", "register to continue",
    "you have reached your limit", "you've reached your limit", "free articles left",
    "free article limit", "this article is for paying", "become a member to read",
    "unlock this article", "start your free trial", "subscribe now", "paywall",
    "we use cookies", "cookie settings", "manage cookies", "accept all cookies",
    "consent to the use", "your privacy choices", "we value your privacy",
    "please enable javascript", "are you a robot", "verify you are human",
    "jetzt abonnieren", "weiterlesen mit", "bereits abonnent", "zum weiterlesen",
    "abonnez-vous", "déjà abonné", "suscríbete", "ya eres suscriptor",
)

#: A body of at most this many paragraphs, where the current one has
#: :data:`_FRAGMENT_FROM` or more, is a fragment.
_FRAGMENT_MAX = 1
_FRAGMENT_FROM = 5


def page_sha256(body: bytes) -> str:
    """The ``Page-Sha256`` trailer value: SHA-256 hex of the page bytes as fetched."""
    return hashlib.sha256(body).hexdigest()


def _body(text: str) -> list[str]:
    return [p for p in text.split("\n\n")[1:] if p.strip()]


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def suspicion(old: str, new: str, *, max_loss: float = 0.5) -> str | None:
    """Why ``new`` (a file text) looks like a damaged version of ``old``, or None.

    ``"lost N% of the words"`` when its body has fewer than ``1 - max_loss`` of
    the old body's words; ``"teaser: <marker>"`` when it is shorter and contains a
    :data:`TEASER_MARKERS` phrase that ``old`` does not; ``"fragment"`` when its
    body is empty or a single paragraph where ``old`` had five or more.
    """
    old_body, new_body = _body(old), _body(new)
    old_words, new_words = _words(old_body), _words(new_body)
    if old_words and new_words < (1.0 - max_loss) * old_words:
        return f"lost {round(100 * (1 - new_words / old_words))}% of the words"
    if new_words < old_words:
        low_new, low_old = new.lower(), old.lower()
        for marker in TEASER_MARKERS:
            if marker in low_new and marker not in low_old:
                return f"teaser: {marker!r}"
    if len(old_body) >= _FRAGMENT_FROM and len(new_body) <= _FRAGMENT_MAX:
        return "fragment"
    return None


@dataclass
class Capture:
    """One observation of an article.

    ``requested_url``: the URL asked for (feed link, tracked URL, archived URL);
    ``page``: the response (``final_url`` after redirects, ``fetched_at``);
    ``article``/``text``: the extraction and the file text rendered from it;
    ``path``: the article's file when the caller already knows it;
    ``aliases``: other URLs seen for it (feed entry ids);
    ``extra_trailers``: more ``(key, value)`` pairs for the commit (an import's
    ``Captured-At``, ``Source-Archive``);
    ``page_sha``: SHA-256 hex of the page bytes (computed from ``page.body`` when
    None; give it when the body is not kept);
    ``fingerprint``: extractor and filters that made ``text`` (the cache keeps it
    so that a run after an upgrade re-fetches the page in full).
    """

    requested_url: str
    page: Page
    article: Article
    text: str
    feed: str | None = None
    path: str | None = None
    aliases: tuple[str, ...] = ()
    extra_trailers: list[tuple[str, object]] = field(default_factory=list)
    page_sha: str | None = None
    fingerprint: str | None = None


@dataclass
class _Past:
    """One version of an article, as far as decisions need it."""

    number: int
    blob: str | None  # None: the removal
    trailers: dict[str, str]


@dataclass
class _Local:
    """What this run knows and has queued for one article."""

    versions: int
    blob: str | None  # the file's text (an outside edit's when ``outside``)
    removed: bool
    url: str | None = None
    outside: bool = False  # the file holds an outside edit, not the newest version's text
    history: list[_Past] | None = None   # loaded on first need
    texts: dict[str, str] = field(default_factory=dict)  # blob id -> text
    held: dict | None = None
    gone: dict | None = None
    alt: dict | None = None
    dirty: set[str] = field(default_factory=set)  # "held", "gone", "alt"
    latest: datetime | None = None  # when the newest version was fetched or captured


def _message(prefix: str, headline: str, trailers: list[tuple[str, object]], *,
             summary: str | None = None) -> str:
    """A version's commit message: ``<prefix>: <headline>`` as the subject (cut to
    :data:`~gitnews.format.trailers.MAX_SUBJECT_CHARS` characters), the trailers, and,
    when the subject had to be cut, the uncut subject as the body's first
    paragraph, so that the full headline is always in the message
    (docs/archive-format.md, "The commits")."""
    subject = format_subject(prefix, headline)
    message = format_message(subject, trailers, summary=summary)
    full = clean_value(f"{prefix}: {clean_value(headline, max_chars=len(headline) + 1)}",
                       max_chars=len(prefix) + len(headline) + 3)
    if full == subject:
        return message
    rest = message[len(subject):].lstrip("\n")
    return f"{subject}\n\n{full}\n\n{rest}" if rest else f"{subject}\n\n{full}\n"


class Recorder:
    """Turns captures into version commits on ``tx`` (None: a dry run, nothing written).

    ``check_all``: this run checks every article on purpose (``gitnews run
    --all``), so a removal first seen by an earlier run is confirmed now.
    ``changes``: the ``[changes]`` settings (default: the archive's).
    Not thread-safe: call it from the one thread that writes.
    """

    def __init__(self, archive: Archive, tx: Transaction | None, *, check_all: bool = False,
                 changes: ChangeSettings | None = None) -> None:
        self.archive = archive
        self.state = archive.state
        self.tx = tx
        self.check_all = check_all
        self.changes = changes or getattr(archive.config, "changes", None) or ChangeSettings()
        self._local: dict[str, _Local] = {}
        self._keys: dict[str, str] = {}  # identity key -> path, for this run's captures
        self._local_folded: set[str] = set()  # casefolded paths of _local (no scan per capture)
        self._checks: list[tuple[str, dict]] = []
        self._aliases: list[tuple[str, list[str]]] = []
        self._fetched: dict[str, tuple[str | None, str | None]] = {}  # path -> (url, fingerprint)
        self._reader: BlobReader | None = None  # earlier texts, read on first need
        # Paths the noise tables know (held, gone, alternations), read once: the run
        # asks about the others without a query (only apply() writes those tables).
        self._noted = self.state.noted_paths()
        self._records: dict[str, ArticleRecord] = {}  # given by prime(), used once each

    def prime(self, records: Iterable[ArticleRecord]) -> None:
        """Hand over cache records the caller has already read (a run's plan), so
        that the first capture of each article needs no query for it.  Only the
        cache's articles table is read this way; it does not change before
        :meth:`apply`."""
        self._records.update((r.path, r) for r in records)

    # -- identity ------------------------------------------------------------------------
    def _find(self, urls: list[str]) -> str | None:
        """The path of the article any of ``urls`` names (this run first, then the cache)."""
        for url in urls:
            try:
                key = identity_key(url)
            except Exception:
                continue
            if key in self._keys:
                return self._keys[key]
        for url in urls:
            record = self.state.lookup(url)
            if record is not None:
                return record.path
        return None

    def _claim(self, canonical: str, known_path: str | None,
               others: list[str] = ()) -> tuple[str, _Local]:
        """The path of the article ``canonical`` (or one of ``others``) names."""
        path = known_path or self._find([canonical, *others])
        if path is None:
            path = article_path(canonical)
            if self.state.path_taken(path) or path.casefold() in self._local_folded:
                path = article_path(canonical, hashed=True)
        if path not in self._local:
            record = self._records.pop(path, None) or self.state.get(path)
            noted = path in self._noted
            self._local[path] = _Local(
                versions=record.versions if record else 0,
                blob=record.blob if record else None,
                removed=bool(record and record.removed),
                url=record.url if record else None,
                outside=bool(record and record.outside_edit),
                held=self.state.get_held(path) if noted else None,
                gone=self.state.get_gone(path) if noted else None,
                alt=self.state.get_alternation(path) if noted else None,
                latest=_parse_time(record.last_changed) if record else None)
            self._local_folded.add(path.casefold())
        for url in [canonical, *others]:
            try:
                self._keys.setdefault(identity_key(url), path)
            except Exception:
                pass
        return path, self._local[path]

    def newest_version(self, url: str) -> tuple[str, datetime | None]:
        """The file of the article ``url`` names, and when its newest version was
        fetched or captured: queued in this run, else in the archive (the
        cache's ``last_changed``); None for an article without versions.

        Raises :class:`~gitnews.errors.BlockedURLError` for a URL that is not http(s).
        """
        path, local = self._claim(article_url(url, None), None)
        return path, local.latest

    def path_of(self, url: str) -> str | None:
        """The file of the article ``url`` names, if this run or the cache knows it."""
        return self._find([url])

    # -- history ---------------------------------------------------------------------------
    def _history(self, path: str, local: _Local) -> list[_Past]:
        """The article's versions (from the cache's ``versions`` table: no
        ``git log``), plus those queued in this run."""
        if local.history is None:
            local.history = [_Past(v.number, v.blob, v.trailers)
                             for v in self.state.versions(path)] if local.versions else []
        return local.history

    def _text(self, local: _Local, blob: str | None) -> str:
        """The text of ``blob``: queued in this run, else read from git through one
        ``git cat-file --batch`` process for the whole run (no process per read)."""
        if blob is None:
            return ""
        text = local.texts.get(blob)
        if text is None:
            if self._reader is None:
                self._reader = BlobReader(self.archive.repo)
            text = self._reader.read([blob])[blob].decode("utf-8", "replace")
        return text

    def close(self) -> None:
        """End the ``git cat-file`` process that read earlier texts, if any
        (:meth:`apply` does it too)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _previous_text(self, path: str, local: _Local) -> tuple[str, _Past | None]:
        """The latest text of the article (before a removal, for a removed one)."""
        history = self._history(path, local)
        for past in reversed(history):
            if past.blob is not None:
                return self._text(local, past.blob), past
        return "", None

    # -- outcomes ------------------------------------------------------------------------
    def failed(self, url: str, message: str, *, path: str | None, when: datetime) -> ItemResult:
        """Note a failed check of ``url`` (its failure streak grows)."""
        if path:
            self._checks.append((path, {"checked_at": when, "error": message}))
        return ItemResult(url=url, outcome=Outcome.FAILED, path=path, message=message)

    def not_modified(self, url: str, page: Page, *, path: str) -> ItemResult:
        """Note a 304 answer: the article is unchanged (a held text is confirmed)."""
        self._checks.append((path, {"checked_at": page.fetched_at}))
        local = self._local.get(path)
        if local is None and path in self._noted and self.state.get_held(path) is not None:
            # Only a held text makes a 304 more than a check (one query, not five).
            record = self.state.get(path)
            if record is not None:
                _, local = self._claim(record.url, path)
        if local is not None and local.held is not None:  # the held page, unchanged
            local.held["sightings"] += 1
            local.dirty.add("held")
            return self._confirm_held(path, local, when=page.fetched_at)
        return ItemResult(url=url, outcome=Outcome.UNCHANGED, path=path)

    def gone(self, url: str, *, path: str | None, status: int | None, when: datetime,
             detail: str) -> ItemResult | None:
        """A check found the article gone: HTTP ``status`` 404/410, or (``detail``)
        a redirect to the front page or a section front (a soft 404).

        Returns None when ``path`` is not a known, stored article (then the
        caller reports the failure); otherwise the first sighting is HELD, a
        confirmed one commits the removal (REMOVED), an already removed
        article is UNCHANGED.
        """
        if path is None:
            return None
        record = self.state.get(path)
        if path not in self._local and record is None:
            return None
        path, local = self._claim((record.url if record else url), path)
        if local.versions == 0:
            return None
        if local.removed:
            self._checks.append((path, {"checked_at": when}))
            return ItemResult(url=url, outcome=Outcome.UNCHANGED, path=path,
                              message=f"still gone ({detail})")
        served = self._fetched.get(path, (None, None))[0] or self.state.get_fetched(path)[0]
        if served is None:  # the cache does not know where the page was fetched: ask git
            _, past = self._previous_text(path, local)
            served = (past.trailers.get("Fetched-Url") if past else None) or local.url
            if served and _ikey(served) != _ikey(url):
                self._fetched[path] = (served, None)
                return self.failed(url, f"{detail} at {url}; the last version was fetched from "
                                   f"{served}, which the next run checks instead", path=path,
                                   when=when)
        self._checks.append((path, {"checked_at": when}))
        if local.held is not None:
            local.held = None
            local.dirty.add("held")
        pending = local.gone
        if self.changes.confirm_checks == 0 or (pending is not None and (
                (self.check_all and not pending.get("this_run")) or (when - _parse_time(pending["first_seen"])).total_seconds()
                >= self.changes.removal_confirm_s)):
            return self._remove(path, local, url=url, status=status, when=when, detail=detail)
        if pending is None:
            local.gone = {"first_seen": format_time(when), "status": status, "detail": detail,
                          "this_run": True}
            local.dirty.add("gone")
        hours = self.changes.removal_confirm_s / 3600
        return ItemResult(
            url=url, outcome=Outcome.HELD, path=path,
            message=f"{detail}: the article seems to be removed; the removal is committed when "
                    f"a check at least {hours:g} h after {local.gone['first_seen']} "
                    "(or a later `gitnews run --all`) finds it gone too")

    def _remove(self, path: str, local: _Local, *, url: str, status: int | None,
                when: datetime, detail: str) -> ItemResult:
        text, _ = self._previous_text(path, local)
        headline = text.split("\n", 1)[0] if text else ""
        version = local.versions + 1
        canonical = local.url or url
        kind = "removed, outside-edit" if local.outside else "removed"
        message = _message(
            "Removed", headline or canonical,
            [("Article-Url", canonical), ("Version", version),
             ("Fetched-At", format_time(when)), ("Http-Status", status),
             ("Fetched-Url", url if _key(url) != _key(canonical) else None),
             ("Change-Kind", kind)],
            summary=f"The article is gone: {detail}.")
        if self.tx is not None:
            self.tx.commit({path: None}, message=message, when=when)
        local.latest = when
        self._queued(path, local, version, None, {"Change-Kind": kind})
        local.removed, local.outside = True, False
        local.gone = None
        local.dirty.add("gone")
        return ItemResult(url=canonical, outcome=Outcome.REMOVED, path=path, version=version,
                          headline=headline, message=detail, change_kind=kind)

    def record(self, capture: Capture) -> ItemResult:
        """Decide what ``capture`` is (see the module docstring); queue a commit if a version."""
        page = capture.page
        canonical = article_url(page.final_url, capture.article.canonical_url)
        others = [page.final_url, capture.requested_url, *page.redirects, *capture.aliases]
        path, local = self._claim(canonical, capture.path, others)
        self._aliases.append((path, [canonical, *others]))
        self._checks.append((path, {"checked_at": page.fetched_at, "etag": page.etag,
                                    "last_modified": page.last_modified}))
        if capture.fingerprint:  # a live fetch (imports give none): re-check this URL
            self._fetched[path] = (page.final_url, capture.fingerprint)
        data = capture.text.encode("utf-8")
        blob = blob_id(data)
        headline = capture.text.split("\n", 1)[0]
        sha = capture.page_sha or page_sha256(page.body)
        if local.gone is not None:
            local.gone = None
            local.dirty.add("gone")
        if local.blob == blob and not local.removed:
            if local.held is not None:  # the teaser came and went
                local.held = None
                local.dirty.add("held")
            if local.alt is not None and local.alt.get("seen_blob") != blob:
                local.alt["seen_blob"] = blob
                local.dirty.add("alt")
            return ItemResult(url=canonical, outcome=Outcome.UNCHANGED, path=path,
                              headline=headline)
        info = {"url": canonical, "requested": capture.requested_url, "status": page.status,
                "extractor": capture.article.extractor, "feed": capture.feed,
                "published_at": capture.article.published_at, "byline": capture.article.byline,
                "social_title": capture.article.social_title, "seo_title": capture.article.seo_title,
                "page_sha": sha, "extra": [[k, v] for k, v in capture.extra_trailers]}
        if local.versions == 0:
            return self._commit(path, local, capture.text, info, when=page.fetched_at,
                                prefix="New")
        if local.removed:
            return self._commit(path, local, capture.text, info, when=page.fetched_at,
                                prefix="Restored", restored=True)
        earlier = self._earlier(path, local, blob)
        if earlier is not None:
            return self._revert(path, local, capture.text, info, earlier, when=page.fetched_at)
        # Suspicious compared with the newest version, not with an outside edit.
        old_text = self._previous_text(path, local)[0] if local.outside \
            else self._text(local, local.blob)
        reason = suspicion(old_text, capture.text, max_loss=self.changes.suspicious_loss)
        if reason is not None and self.changes.confirm_checks > 0:
            return self._hold(path, local, capture.text, blob, info, reason, when=page.fetched_at)
        return self._commit(path, local, capture.text, info, when=page.fetched_at)

    # -- decisions -------------------------------------------------------------------------
    def _earlier(self, path: str, local: _Local, blob: str) -> _Past | None:
        """The latest earlier version (not the current one) whose text is ``blob``;
        None when the current version's text is ``blob`` (the page's text put back
        after an outside edit, which is not a revert)."""
        history = self._history(path, local)
        if history and history[-1].blob == blob:
            return None
        for past in reversed(history[:-1]):
            if past.blob == blob:
                return past
        return None

    def _hold(self, path: str, local: _Local, text: str, blob: str, info: dict, reason: str,
              *, when: datetime) -> ItemResult:
        held = local.held
        if held is None:
            local.held = {"blob": blob, "first_seen": format_time(when), "sightings": 1,
                          "reason": reason, "data": {**info, "text": text}}
            local.dirty.add("held")
            return ItemResult(
                url=info["url"], outcome=Outcome.HELD, path=path, headline=text.split("\n", 1)[0],
                message=f"suspicious change ({reason}); held until "
                        f"{self.changes.confirm_checks} later check(s) see it again")
        held.update(blob=blob, sightings=held["sightings"] + 1, reason=reason,
                    data={**info, "text": text})
        local.dirty.add("held")
        return self._confirm_held(path, local, when=when)

    def _confirm_held(self, path: str, local: _Local, *, when: datetime) -> ItemResult:
        """Commit the held text if enough checks (counted in ``sightings``) saw it."""
        held = local.held
        assert held is not None
        waited = (when - _parse_time(held["first_seen"])).total_seconds()
        if held["sightings"] > self.changes.confirm_checks and waited >= self.changes.confirm_after_s:
            data = dict(held["data"])
            text = data.pop("text")
            local.held = None
            local.dirty.add("held")
            return self._commit(path, local, text, data, when=when,
                                summary=f"Confirmed by {held['sightings']} checks since "
                                        f"{held['first_seen']} ({held['reason']}).")
        return ItemResult(url=held["data"]["url"], outcome=Outcome.HELD, path=path,
                          message=f"suspicious change ({held['reason']}) seen "
                                  f"{held['sightings']} time(s) since {held['first_seen']}; "
                                  "waiting for confirmation")

    def _revert(self, path: str, local: _Local, text: str, info: dict, earlier: _Past,
                *, when: datetime) -> ItemResult:
        history = self._history(path, local)
        reverts = sum(1 for past in history if past.trailers.get("Reverts-To"))
        if reverts >= self.changes.max_reverts and not local.outside:  # never keep an outside edit
            alt = local.alt or {"returns": 0, "last_seen": None, "seen_blob": None}
            blob = blob_id(text.encode("utf-8"))
            if alt.get("seen_blob") != blob:
                alt["returns"] += 1
                alt["last_seen"] = format_time(when)
                alt["seen_blob"] = blob
                local.alt = alt
                local.dirty.add("alt")
            if local.held is not None:
                local.held = None
                local.dirty.add("held")
            return ItemResult(
                url=info["url"], outcome=Outcome.UNCHANGED, path=path,
                headline=text.split("\n", 1)[0],
                message=f"alternating: back to the text of version {earlier.number} "
                        f"({reverts} reverts committed, {alt['returns']} more returns counted, "
                        "not committed)")
        return self._commit(path, local, text, info, when=when, prefix="Reverted",
                            reverts_to=earlier.number)

    def _kinds(self, path: str, local: _Local, text: str, info: dict, *,
               restored: bool, reverts_to: int | None) -> list[str]:
        old_text, past = self._previous_text(path, local)
        old_trailers = past.trailers if past else {}
        kinds: list[str] = ["outside-edit"] if local.outside else []
        if restored:
            kinds.append("restored")
        elif old_trailers.get("Page-Sha256") and old_trailers["Page-Sha256"] == info["page_sha"] \
                and reverts_to is None:
            # The same page: only the extraction changed (or only the outside edit is undone).
            return [k for k in CHANGE_KINDS
                    if k in kinds or (k == "extraction" and old_text != text)]
        if old_text:
            if old_text.split("\n", 1)[0] != text.split("\n", 1)[0]:
                kinds.append("headline")
            if (old_trailers.get("Byline") or None) != (_clean(info.get("byline")) or None):
                kinds.append("byline")
            if _body(old_text) != _body(text):
                kinds.append("body")
        if reverts_to is not None:
            kinds.append("revert")
        return [k for k in CHANGE_KINDS if k in kinds]

    def _commit(self, path: str, local: _Local, text: str, info: dict, *, when: datetime,
                prefix: str | None = None, restored: bool = False,
                reverts_to: int | None = None, summary: str | None = None) -> ItemResult:
        new = local.versions == 0
        version = local.versions + 1
        kinds = [] if new else self._kinds(path, local, text, info, restored=restored,
                                            reverts_to=reverts_to)
        prefix = prefix or ("New" if new else "Changed")
        headline = text.split("\n", 1)[0]
        url = info["url"]
        requested = info.get("requested") or url
        trailers: list[tuple[str, object]] = [
            ("Article-Url", url),
            ("Version", version),
            ("Fetched-At", format_time(when)),
            ("Http-Status", info.get("status")),
            ("Extractor", info.get("extractor")),
            ("Fetched-Url", requested if _key(requested) != _key(url) else None),
            ("Feed", info.get("feed")),
            ("Published-At", info.get("published_at")),
            ("Byline", info.get("byline")),
            ("Social-Title", _other_title(info.get("social_title"), headline)),
            ("Seo-Title", _other_title(info.get("seo_title"), headline)),
            *[(k, v) for k, v in info.get("extra", [])],
            ("Page-Sha256", info.get("page_sha")),
            ("Change-Kind", ", ".join(kinds) if kinds else None),
            ("Reverts-To", reverts_to),
        ]
        message = _message(prefix, headline, trailers, summary=summary)
        data = text.encode("utf-8")
        if self.tx is not None:
            self.tx.commit({path: data}, message=message, when=when)
        local.latest = when
        blob = blob_id(data)
        self._queued(path, local, version, blob, {k: str(v) for k, v in trailers
                                                  if v is not None and v != ""})
        local.blob, local.removed, local.url, local.outside = blob, False, url, False
        # Only the newest text stays in memory: git cannot give it back before the
        # transaction ends, and the next capture of this run compares with it.
        local.texts = {blob: text}
        if local.held is not None:
            local.held = None
            local.dirty.add("held")
        outcome = Outcome.NEW if new else Outcome.CHANGED
        return ItemResult(url=url, outcome=outcome, path=path, version=version,
                          headline=headline, change_kind=", ".join(kinds) or None)

    def _queued(self, path: str, local: _Local, version: int, blob: str | None,
                trailers: dict[str, str]) -> None:
        if local.history is not None or local.versions:
            self._history(path, local).append(_Past(version, blob, trailers))
        else:
            local.history = [_Past(version, blob, trailers)]
        local.versions = version

    # -- after the commits ---------------------------------------------------------------
    def apply(self) -> None:
        """Sync the cache with git, then store aliases, check results, held texts,
        pending removals, alternation counts and where each page was fetched from.

        Call only after the transaction finished (or for a dry run: never).
        """
        self.close()
        self.state.sync(transaction=self.tx)  # the run's commits, without reading them back
        with self.state.batch():  # one SQLite transaction, not one per row
            for path, urls in self._aliases:
                self.state.add_aliases(path, urls)
            for path, kwargs in self._checks:
                self.state.record_check(path, **kwargs)
            for path, local in self._local.items():
                if "held" in local.dirty:
                    self.state.set_held(path, local.held)
                if "gone" in local.dirty:
                    self.state.set_gone(path, local.gone)
                if "alt" in local.dirty and local.alt is not None:
                    self.state.set_alternation(path, local.alt)
            for path, (url, fingerprint) in self._fetched.items():
                self.state.set_fetched(path, url=url, fingerprint=fingerprint)


def _key(url: str) -> str:
    try:
        return url_key(url)
    except Exception:
        return url


def _clean(value: object) -> str:
    from gitnews.format.trailers import clean_value

    return clean_value(value) if value else ""


def _other_title(title: str | None, headline: str) -> str | None:
    """A social or SEO title for its trailer: None when it is line 1 itself.
    (Extraction already leaves out titles whose words are the headline's.)"""
    if not title or normalise_line(title) == headline:
        return None
    return title


def _ikey(url: str) -> str:
    try:
        return identity_key(url)
    except Exception:
        return url
