"""Decide what a capture means for the archive and queue its commit.

A *capture* is one observation of an article page (a live fetch by
:mod:`gitnews.ops.run`, or a web-archive record by an import).  :class:`Recorder`
finds the article it belongs to, compares the normalised text with the
article's current version (by git blob id) and decides, per capture:

* **which file** (one article, one history): the article named by any URL of
  the capture — the canonical URL (:func:`gitnews.format.sites.article_url`: the final
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
  (:data:`~gitnews.versions.rules.TEASER_MARKERS`), or it is a fragment (an empty body, or one
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

Every version also gets the signals of :mod:`gitnews.versions.significance`: a
``Correction`` trailer for a notice new in this version (text phrases or the page's
schema.org ``correction``, :mod:`gitnews.versions.corrections`; ``Change-Kind`` then
includes ``correction``), ``Unannounced`` for facts changed without one, and, after
the first version, ``Significance`` (removals: ``major (article removed)``).

**Captures** (:mod:`gitnews.archive.captures`): with ``[captures] keep`` at
``versions`` (the default) each version commit — new, changed, reverted,
restored, and a removal whose answer was received — is preceded in the same
transaction by a commit on ``gitnews/captures`` holding the page's raw
exchange as a WARC file, and names that file's blob in its ``Capture``
trailer; ``all`` also keeps every other 200 answer (no version: the capture
commit alone); ``none`` keeps none.  A live fetch's capture is built from
``Page.exchange``; an import gives its own (``Capture.warc``).  A held text
keeps its page's capture with it in the cache (``page_warc``); when a 304
confirms it, the version's capture is that page followed by the 304 as a
WARC ``revisit`` (:func:`~gitnews.archive.captures.not_modified_warc`).

The page's social and SEO titles (``Article.social_title``/``seo_title``) go
into the ``Social-Title``/``Seo-Title`` trailers where they are not line 1;
only the text decides what is a version, so they never make one on their own.

Several captures of one article in one run are counted correctly (``Version``
= the number of gitnews's versions of the file, outside edits not counted).
Cache updates (validators, aliases, held texts, pending removals) are kept
until :meth:`Recorder.apply`, called after the transaction has finished, so
that nothing is remembered for a version that never reached git.

Where the parts live: which file (:mod:`gitnews.versions.identity`), what the run
knows of an article and its earlier versions (:mod:`gitnews.versions.article`), the
decision rules (:mod:`gitnews.versions.rules`), the commit messages
(:mod:`gitnews.format.messages`); this module puts them together.
"""


from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from gitnews.archive.cache import ArticleRecord
from gitnews.archive.captures import fetch_warc, not_modified_warc, write_capture
from gitnews.archive.repo import Archive
from gitnews.archive.store import Transaction, blob_id
from gitnews.config import ChangeSettings
from gitnews.format.messages import change_kind_value, removal_message, version_message, version_trailers
from gitnews.format.sites import article_url
from gitnews.format.trailers import (
    CHANGE_KIND,
    CHANGE_KINDS,
    FETCHED_URL,
    KIND_CORRECTION,
    KIND_EXTRACTION,
    SUBJECT_CHANGED,
    SUBJECT_NEW,
    SUBJECT_RESTORED,
    SUBJECT_REVERTED,
)
from gitnews.models import Article, Exchange, ItemResult, Outcome, Page
from gitnews.pagetext.siterules import SiteRules, parse_sites
from gitnews.versions.article import ArticleHistory, ArticleState, CaptureInfo, CheckResult, store_noise
from gitnews.versions.corrections import Notices, notices_for, page_notices, seen_notices
from gitnews.versions.identity import Identity, identity_key_or_url
from gitnews.versions.rules import Confirmed, Rules, change_kinds, earlier_version, removal_kinds, suspicion
from gitnews.versions.significance import assess, version_signals

__all__ = ["Capture", "Recorder", "page_sha256"]


def page_sha256(body: bytes) -> str:
    """The ``Page-Sha256`` trailer value: SHA-256 hex of the page bytes as fetched."""
    return hashlib.sha256(body).hexdigest()


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
    so that a run after an upgrade re-fetches the page in full);
    ``warc``: the capture file (WARC bytes) an import keeps for this page — the
    original record(s) verbatim, or a Wayback response record; None: a live
    fetch, whose capture is built from ``page.exchange`` (none when that is None).
    ``live_warc``: that live fetch's capture file built beforehand (a run builds it
    in its fetch thread, :func:`gitnews.ops.run.prepare_capture`): the bytes of
    ``fetch_warc(page.exchange, fetched_at=page.fetched_at)``; None: built here when needed.
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
    warc: bytes | None = None
    live_warc: bytes | None = None


def page_sha256_of(capture: Capture) -> str:
    """The ``Page-Sha256`` of ``capture``: given, or computed from its page's body."""
    return capture.page_sha or page_sha256(capture.page.body)


def _headline(text: str) -> str:
    return text.split("\n", 1)[0]


def _info(capture: Capture, canonical: str, page_sha: str) -> CaptureInfo:
    """What the version commit of ``capture`` needs besides its text."""
    article = capture.article
    return {"url": canonical, "requested": capture.requested_url, "status": capture.page.status,
            "extractor": article.extractor, "feed": capture.feed,
            "published_at": article.published_at, "byline": article.byline,
            "social_title": article.social_title, "seo_title": article.seo_title,
            "page_sha": page_sha, "extra": [[k, v] for k, v in capture.extra_trailers]}


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
        self.rules = Rules(self.changes, check_all=check_all)
        self.identity = Identity(self.state)
        self.history = ArticleHistory(archive)
        self._checks: list[tuple[str, CheckResult]] = []
        self._aliases: list[tuple[str, list[str]]] = []
        self._fetched: dict[str, tuple[str | None, str | None]] = {}  # path -> (url, fingerprint)
        self._sites: dict[str, SiteRules] | None = None  # [sites] for the correction notices
        settings = getattr(archive.config, "captures", None)
        #: ``[captures] keep``: "versions", "all" or "none".
        self.keep: str = getattr(settings, "keep", "versions")
        self._current: Capture | None = None  # the capture being recorded (record())
        self._captured = False  # its capture file was written
        #: Capture commits queued (on gitnews/captures) by this Recorder.
        self.captures = 0

    def prime(self, records: Iterable[ArticleRecord]) -> None:
        """Hand over cache records the caller has already read (a run's plan), so
        that the first capture of each article needs no query for it.  Only the
        cache's articles table is read this way; it does not change before
        :meth:`apply`."""
        self.identity.prime(records)

    def newest_version(self, url: str) -> tuple[str, datetime | None]:
        """The file of the article ``url`` names, and when its newest version was
        fetched or captured: queued in this run, else in the archive (the
        cache's ``last_changed``); None for an article without versions.

        Raises :class:`~gitnews.errors.BlockedURLError` for a URL that is not http(s).
        """
        path, local = self.identity.claim(article_url(url, None), None)
        return path, local.latest

    def path_of(self, url: str) -> str | None:
        """The file of the article ``url`` names, if this run or the cache knows it."""
        return self.identity.find([url])

    def close(self) -> None:
        """End the ``git cat-file`` process that read earlier texts, if any
        (:meth:`apply` does it too)."""
        self.history.close()

    # -- outcomes ------------------------------------------------------------------------
    def failed(self, url: str, message: str, *, path: str | None, when: datetime,
               exchange: Exchange | None = None) -> ItemResult:
        """Note a failed check of ``url`` (its failure streak grows).  ``exchange``: the
        answer received (a 200 whose body was over ``max_bytes``, cut there): kept
        as a capture of the article at ``path`` with ``[captures] keep = "all"``."""
        if path:
            self._checks.append((path, {"checked_at": when, "error": message}))
            if (exchange is not None and exchange.status == 200 and self.keep == "all"
                    and self.tx is not None):
                data = self._warc(exchange, url=url)
                if data is not None:
                    self._keep(path, data, url=url, when=exchange.sent_at, imported=False)
        return ItemResult(url=url, outcome=Outcome.FAILED, path=path, message=message)

    def not_modified(self, url: str, page: Page, *, path: str) -> ItemResult:
        """Note a 304 answer: the article is unchanged (a held text is confirmed)."""
        self._checks.append((path, {"checked_at": page.fetched_at}))
        local = self.identity.articles.get(path)
        if local is None and path in self.identity.noted and self.state.get_held(path) is not None:
            # Only a held text makes a 304 more than a check (one query, not five).
            record = self.state.get(path)
            if record is not None:
                _, local = self.identity.claim(record.url, path)
        if local is not None and local.held is not None:  # the held page, unchanged
            local.held["sightings"] += 1
            local.dirty.add("held")
            decision = self.rules.confirm_held(path, local, when=page.fetched_at)
            capture = None
            if not isinstance(decision, ItemResult):  # the page held, then the 304: evidence
                capture = self._not_modified_capture(path, decision.info, page)
            return self._confirmed(path, local, decision, when=page.fetched_at, capture=capture)
        return ItemResult(url=url, outcome=Outcome.UNCHANGED, path=path)

    def gone(self, url: str, *, path: str | None, status: int | None, when: datetime,
             detail: str, exchange: Exchange | None = None) -> ItemResult | None:
        """A check found the article gone: HTTP ``status`` 404/410, or (``detail``)
        a redirect to the front page or a section front (a soft 404).
        ``exchange``: the answer received, kept as the removal's capture.

        Returns None when ``path`` is not a known, stored article (then the
        caller reports the failure); otherwise the first sighting is HELD, a
        confirmed one commits the removal (REMOVED), an already removed
        article is UNCHANGED.
        """
        if path is None:
            return None
        record = self.state.get(path)
        if path not in self.identity.articles and record is None:
            return None
        path, local = self.identity.claim((record.url if record else url), path)
        if local.versions == 0:
            return None
        if local.removed:
            self._checks.append((path, {"checked_at": when}))
            return ItemResult(url=url, outcome=Outcome.UNCHANGED, path=path,
                              message=f"still gone ({detail})")
        served = self._fetched.get(path, (None, None))[0] or self.state.get_fetched(path)[0]
        if served is None:  # the cache does not know where the page was fetched: ask git
            _, past = self.history.previous_text(path, local)
            served = (past.trailers.get(FETCHED_URL) if past else None) or local.url
            if served and identity_key_or_url(served) != identity_key_or_url(url):
                self._fetched[path] = (served, None)
                return self.failed(url, f"{detail} at {url}; the last version was fetched from "
                                   f"{served}, which the next run checks instead", path=path,
                                   when=when)
        self._checks.append((path, {"checked_at": when}))
        held = self.rules.removal(path, local, url=url, status=status, when=when, detail=detail)
        if held is not None:
            return held
        return self._remove(path, local, url=url, status=status, when=when, detail=detail,
                            exchange=exchange)

    def _remove(self, path: str, local: ArticleState, *, url: str, status: int | None,
                when: datetime, detail: str, exchange: Exchange | None = None) -> ItemResult:
        text, _ = self.history.previous_text(path, local)
        headline = _headline(text) if text else ""
        version = local.versions + 1
        canonical = local.url or url
        kind = removal_kinds(local.outside)
        capture = None
        data = self._warc(exchange, url=canonical) \
            if exchange is not None and self.tx is not None and self.keep != "none" else None
        if exchange is not None and data is not None:
            capture = self._keep(path, data, url=canonical, when=exchange.sent_at,
                                 imported=False)
        message = removal_message(headline=headline, url=canonical, version=version,
                                  fetched_at=when, status=status, requested=url, kinds=kind,
                                  detail=detail, significance=assess("", "", removed=True).value(),
                                  capture=capture)
        if self.tx is not None:
            self.tx.commit({path: None}, message=message, when=when)
        local.latest = when
        self.history.queue(path, local, version, None, {CHANGE_KIND: kind})
        local.removed, local.outside = True, False
        local.gone = None
        local.dirty.add("gone")
        return ItemResult(url=canonical, outcome=Outcome.REMOVED, path=path, version=version,
                          headline=headline, message=detail, change_kind=kind)

    def record(self, capture: Capture) -> ItemResult:
        """Decide what ``capture`` is (see the module docstring); queue a commit if a
        version, with the capture commit before it (``[captures] keep``)."""
        self._current, self._captured = capture, False
        try:
            result = self._record(capture)
            if (self.keep == "all" and not self._captured and capture.page.status == 200
                    and result.path):
                self._write_capture(result.path, capture, url=result.url)
            return result
        finally:
            self._current = None

    # -- captures ------------------------------------------------------------------------
    def _keep(self, path: str, data: bytes, *, url: str, when: datetime,
              imported: bool) -> str:
        assert self.tx is not None
        self.captures += 1
        self._captured = True
        return write_capture(self.tx, article_path=path, data=data, url=url, when=when,
                             imported=imported)

    def _warc(self, exchange: Exchange, *, url: str, when: datetime | None = None) -> bytes | None:
        """:func:`~gitnews.archive.captures.fetch_warc` of ``exchange``, or None (and a
        notice) when warcio cannot write it: the version is then kept without a capture
        rather than the run failing."""
        try:
            return fetch_warc(exchange, fetched_at=when)
        except (ValueError, UnicodeError, TypeError) as exc:
            self.archive.notify(f"the capture of {url} could not be written as WARC ({exc}); "
                                "its version is kept without one; please report this with "
                                "the URL")
            return None

    def _hold_capture(self, info: CaptureInfo, capture: Capture, *, url: str) -> None:
        """Keep the capture of a page whose text is held in ``info`` (held with the
        text, in the cache; zlib and base64), for a 304 that may confirm it later."""
        if self.tx is None or self.keep == "none":
            return
        data = capture.warc if capture.warc is not None else capture.live_warc
        if data is None and capture.page.exchange is not None:
            data = self._warc(capture.page.exchange, url=url, when=capture.page.fetched_at)
        if data is not None:
            info["page_warc"] = base64.b64encode(zlib.compress(data, 6)).decode("ascii")

    def _not_modified_capture(self, path: str, info: CaptureInfo, page: Page) -> str | None:
        """Write the capture of a held text a 304 confirmed (``info``: the held text's,
        ``page``: the 304): the page held, then the 304 as a revisit record
        (:func:`~gitnews.archive.captures.not_modified_warc`).  Its blob id; None when
        nothing is kept (a dry run, ``keep = "none"``, a text held by an older gitnews)."""
        held = info.get("page_warc")
        if self.tx is None or self.keep == "none" or not held or page.exchange is None:
            return None
        try:
            data = not_modified_warc(zlib.decompress(base64.b64decode(held)), page.exchange,
                                     fetched_at=page.fetched_at)
        except (ValueError, zlib.error) as exc:
            self.archive.notify(f"the capture of {info['url']} (confirmed by 304 Not Modified) "
                                f"could not be written ({exc}); its version is kept without one")
            return None
        return self._keep(path, data, url=info["url"], when=page.fetched_at, imported=False)

    def _write_capture(self, path: str, capture: Capture, *, url: str) -> str | None:
        """Queue ``capture``'s capture file for the article at ``path``; its blob id, or
        None when nothing is kept (a dry run, ``keep = "none"``, no exchange)."""
        if self.tx is None or self.keep == "none":
            return None
        page = capture.page
        if capture.warc is not None:
            data, imported = capture.warc, True
        elif capture.live_warc is not None:
            data, imported = capture.live_warc, False
        elif page.exchange is not None:
            built = self._warc(page.exchange, url=url, when=page.fetched_at)
            if built is None:
                return None
            data, imported = built, False
        else:
            return None
        return self._keep(path, data, url=url, when=page.fetched_at, imported=imported)

    def _record(self, capture: Capture) -> ItemResult:
        page = capture.page
        canonical = article_url(page.final_url, capture.article.canonical_url)
        others = [page.final_url, capture.requested_url, *page.redirects, *capture.aliases]
        path, local = self.identity.claim(canonical, capture.path, others)
        self._aliases.append((path, [canonical, *others]))
        self._checks.append((path, {"checked_at": page.fetched_at, "etag": page.etag,
                                    "last_modified": page.last_modified}))
        if capture.fingerprint:  # a live fetch (imports give none): re-check this URL
            self._fetched[path] = (page.final_url, capture.fingerprint)
        data = capture.text.encode("utf-8")
        blob = blob_id(data)
        headline = _headline(capture.text)
        sha = page_sha256_of(capture)
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
        info = _info(capture, canonical, sha)
        notices = page_notices(page.body)  # schema.org corrections (versions.corrections)
        if notices:
            info["notices"] = notices
        when = page.fetched_at
        if local.versions == 0:
            return self._commit(path, local, capture.text, info, when=when, prefix=SUBJECT_NEW)
        if local.removed:
            return self._commit(path, local, capture.text, info, when=when,
                                prefix=SUBJECT_RESTORED, restored=True)
        history = self.history.versions(path, local)
        earlier = earlier_version(history, blob)
        if earlier is not None:
            counted = self.rules.alternation(path, local, history, capture.text, info, earlier,
                                             when=when)
            if counted is not None:
                return counted
            return self._commit(path, local, capture.text, info, when=when,
                                prefix=SUBJECT_REVERTED, reverts_to=earlier.number)
        # Suspicious compared with the newest version, not with an outside edit.
        old_text = self.history.previous_text(path, local)[0] if local.outside \
            else self.history.text(local, local.blob)
        reason = suspicion(old_text, capture.text, max_loss=self.changes.suspicious_loss)
        if reason is not None and self.changes.confirm_checks > 0:
            self._hold_capture(info, capture, url=canonical)
            return self._confirmed(path, local, self.rules.hold(
                path, local, capture.text, blob, info, reason, when=when), when=when)
        return self._commit(path, local, capture.text, info, when=when)

    def _confirmed(self, path: str, local: ArticleState, decision: ItemResult | Confirmed, *,
                   when: datetime, capture: str | None = None) -> ItemResult:
        """The result of a hold decision: a confirmed held text is committed now
        (``capture``: its capture's blob id, when already written)."""
        if isinstance(decision, ItemResult):
            return decision
        return self._commit(path, local, decision.text, decision.info, when=when,
                            summary=decision.summary, capture=capture)

    def _commit(self, path: str, local: ArticleState, text: str, info: CaptureInfo, *,
                when: datetime, prefix: str | None = None, restored: bool = False,
                reverts_to: int | None = None, summary: str | None = None,
                capture: str | None = None) -> ItemResult:
        new = local.versions == 0
        version = local.versions + 1
        kinds: list[str] = []
        old_text = ""
        if not new:
            old_text, past = self.history.previous_text(path, local)
            kinds = change_kinds(old_text, past, text, info, outside=local.outside,
                                 restored=restored, reverts_to=reverts_to)
        signals = version_signals(  # Correction, Unannounced, Significance (versions.significance)
            old_text, text, first=new, extraction_only=KIND_EXTRACTION in kinds, restored=restored,
            page=info.get("notices", ()), notices=self._notices(info["url"]),
            seen=seen_notices(p.trailers for p in self.history.versions(path, local)) if not new else ())
        if signals.corrected:
            kinds = [k for k in CHANGE_KINDS if k in kinds or k == KIND_CORRECTION]
        prefix = prefix or (SUBJECT_NEW if new else SUBJECT_CHANGED)
        headline = _headline(text)
        url = info["url"]
        current = self._current
        if capture is None and current is not None and not self._captured \
                and page_sha256_of(current) == info.get("page_sha"):
            capture = self._write_capture(path, current, url=url)
        trailers = version_trailers(
            url=url, version=version, fetched_at=when, headline=headline,
            requested=info.get("requested"), status=info.get("status"),
            extractor=info.get("extractor"), feed=info.get("feed"),
            published_at=info.get("published_at"), byline=info.get("byline"),
            social_title=info.get("social_title"), seo_title=info.get("seo_title"),
            extra=[(str(k), v) for k, v in info.get("extra", [])],
            page_sha=info.get("page_sha"), kinds=kinds, reverts_to=reverts_to,
            correction=signals.correction, unannounced=signals.unannounced,
            significance=signals.significance, capture=capture)
        message = version_message(prefix, headline, trailers, summary=summary)
        data = text.encode("utf-8")
        blob = blob_id(data)
        if self.tx is not None:
            self.tx.commit({path: data}, message=message, when=when, blobs={path: blob})
        local.latest = when
        self.history.queue(path, local, version, blob, {k: str(v) for k, v in trailers
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
                          headline=headline, change_kind=change_kind_value(kinds))

    def _notices(self, url: str) -> Notices:
        """The correction-notice phrases for ``url`` (the defaults plus ``[sites]``)."""
        if self._sites is None:
            self._sites = parse_sites(getattr(self.archive.config, "sites", None) or {})
        return notices_for(self._sites, url)

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
            for path, check in self._checks:
                self.state.record_check(path, **check)
            for path, local in self.identity.articles.items():
                store_noise(self.state, path, local)
            for path, (url, fingerprint) in self._fetched.items():
                self.state.set_fetched(path, url=url, fingerprint=fingerprint)

