"""The decision rules: which new text is a version, and of which kind.

* **hold** a suspicious text (:func:`suspicion`): kept in the cache, committed
  only when ``changes.confirm_checks`` later checks see it again and
  ``changes.confirm_after_s`` seconds passed (:meth:`Rules.hold`,
  :meth:`Rules.confirm_held`);
* **removal**: a 404/410 or soft 404 is committed as a removal only when a
  check at least ``changes.removal_confirm_s`` seconds later (or a later
  ``--all`` run) sees it too (:meth:`Rules.removal`);
* **revert**: a return to the text of an earlier version
  (:func:`earlier_version`);
* **alternation** (flip-flop): after ``changes.max_reverts`` committed reverts,
  a return to an earlier text is only counted (:meth:`Rules.alternation`);
* **outside edit**: versions are compared with the article's versions, never
  with a commit made without gitnews; replacing one is a kind of its own
  (:func:`change_kinds`).

The rules change only an article's noise records
(:class:`~gitnews.versions.article.ArticleState` ``held``, ``gone``, ``alt``,
marked dirty for the cache write-back); the commits are the
:class:`~gitnews.versions.record.Recorder`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gitnews.archive.store import blob_id
from gitnews.config import ChangeSettings
from gitnews.format.trailers import (
    BYLINE,
    CHANGE_KINDS,
    KIND_BODY,
    KIND_BYLINE,
    KIND_EXTRACTION,
    KIND_HEADLINE,
    KIND_OUTSIDE_EDIT,
    KIND_REMOVED,
    KIND_RESTORED,
    KIND_REVERT,
    PAGE_SHA256,
    REVERTS_TO,
    clean_value,
    format_time,
    parse_time,
)
from gitnews.models import ItemResult, Outcome
from gitnews.versions.article import Alternation, ArticleState, CaptureInfo, HeldData, PastVersion

__all__ = ["TEASER_MARKERS", "suspicion", "earlier_version", "change_kinds", "removal_kinds",
           "Rules", "Confirmed"]

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


def _body(text: str) -> list[str]:
    return [p for p in text.split("\n\n")[1:] if p.strip()]


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _headline(text: str) -> str:
    return text.split("\n", 1)[0]


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


def earlier_version(history: Sequence[PastVersion], blob: str) -> PastVersion | None:
    """The latest earlier version (not the current one) whose text is ``blob``;
    None when the current version's text is ``blob`` (the page's text put back
    after an outside edit, which is not a revert)."""
    if history and history[-1].blob == blob:
        return None
    for past in reversed(history[:-1]):
        if past.blob == blob:
            return past
    return None


def _clean(value: object) -> str:
    return clean_value(value) if value else ""


def change_kinds(old_text: str, past: PastVersion | None, text: str, info: CaptureInfo, *,
                 outside: bool, restored: bool, reverts_to: int | None) -> list[str]:
    """The ``Change-Kind`` values of a new version ``text`` after the newest version
    (``past``, its text ``old_text``), in the order of
    :data:`~gitnews.format.trailers.CHANGE_KINDS`.

    The same page (``Page-Sha256``) with another text is an ``extraction`` change
    only; ``outside``: the file held an outside edit that this version replaces.
    """
    old_trailers = past.trailers if past else {}
    kinds: list[str] = [KIND_OUTSIDE_EDIT] if outside else []
    if restored:
        kinds.append(KIND_RESTORED)
    elif old_trailers.get(PAGE_SHA256) and old_trailers[PAGE_SHA256] == info["page_sha"] \
            and reverts_to is None:
        # The same page: only the extraction changed (or only the outside edit is undone).
        return [k for k in CHANGE_KINDS
                if k in kinds or (k == KIND_EXTRACTION and old_text != text)]
    if old_text:
        if _headline(old_text) != _headline(text):
            kinds.append(KIND_HEADLINE)
        if (old_trailers.get(BYLINE) or None) != (_clean(info.get("byline")) or None):
            kinds.append(KIND_BYLINE)
        if _body(old_text) != _body(text):
            kinds.append(KIND_BODY)
    if reverts_to is not None:
        kinds.append(KIND_REVERT)
    return [k for k in CHANGE_KINDS if k in kinds]


def removal_kinds(outside: bool) -> str:
    """The ``Change-Kind`` value of a removal (of an outside edit, when ``outside``)."""
    return f"{KIND_REMOVED}, {KIND_OUTSIDE_EDIT}" if outside else KIND_REMOVED


@dataclass(frozen=True)
class Confirmed:
    """A held text confirmed: commit ``text`` with ``info`` and the ``summary``."""

    text: str
    info: CaptureInfo
    summary: str


class Rules:
    """The rules that remember between checks: held texts, pending removals and
    alternations, with the ``[changes]`` settings.

    ``check_all``: this run checks every article on purpose (``gitnews run
    --all``), so a removal first seen by an earlier run is confirmed now.
    """

    def __init__(self, changes: ChangeSettings, *, check_all: bool = False) -> None:
        self.changes = changes
        self.check_all = check_all

    def hold(self, path: str, local: ArticleState, text: str, blob: str, info: CaptureInfo,
             reason: str, *, when: datetime) -> ItemResult | Confirmed:
        """Hold the suspicious ``text`` (first sighting), or count one more sighting
        of it and see whether that confirms it (:meth:`confirm_held`)."""
        held = local.held
        data: HeldData = {**info, "text": text}
        if held is None:
            local.held = {"blob": blob, "first_seen": format_time(when), "sightings": 1,
                          "reason": reason, "data": data}
            local.dirty.add("held")
            return ItemResult(
                url=info["url"], outcome=Outcome.HELD, path=path, headline=_headline(text),
                message=f"suspicious change ({reason}); held until "
                        f"{self.changes.confirm_checks} later check(s) see it again")
        held["blob"], held["sightings"] = blob, held["sightings"] + 1
        held["reason"], held["data"] = reason, data
        local.dirty.add("held")
        return self.confirm_held(path, local, when=when)

    def confirm_held(self, path: str, local: ArticleState, *,
                     when: datetime) -> ItemResult | Confirmed:
        """The held text to commit if enough checks (counted in ``sightings``) saw it."""
        held = local.held
        assert held is not None
        waited = (when - _first_seen(held["first_seen"])).total_seconds()
        if held["sightings"] > self.changes.confirm_checks and waited >= self.changes.confirm_after_s:
            data = held["data"]
            local.held = None
            local.dirty.add("held")
            return Confirmed(text=data["text"], info=data,
                             summary=f"Confirmed by {held['sightings']} checks since "
                                     f"{held['first_seen']} ({held['reason']}).")
        return ItemResult(url=held["data"]["url"], outcome=Outcome.HELD, path=path,
                          message=f"suspicious change ({held['reason']}) seen "
                                  f"{held['sightings']} time(s) since {held['first_seen']}; "
                                  "waiting for confirmation")

    def alternation(self, path: str, local: ArticleState, history: Sequence[PastVersion],
                    text: str, info: CaptureInfo, earlier: PastVersion, *,
                    when: datetime) -> ItemResult | None:
        """A return to the text of ``earlier``: None when it is committed as a revert;
        counted instead (UNCHANGED) once ``max_reverts`` reverts are committed."""
        reverts = sum(1 for past in history if past.trailers.get(REVERTS_TO))
        if reverts < self.changes.max_reverts or local.outside:  # never keep an outside edit
            return None
        alt: Alternation = local.alt or {"returns": 0, "last_seen": None, "seen_blob": None}
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
            url=info["url"], outcome=Outcome.UNCHANGED, path=path, headline=_headline(text),
            message=f"alternating: back to the text of version {earlier.number} "
                    f"({reverts} reverts committed, {alt['returns']} more returns counted, "
                    "not committed)")

    def removal(self, path: str, local: ArticleState, *, url: str, status: int | None,
                when: datetime, detail: str) -> ItemResult | None:
        """A check found the stored article gone: None when the removal is confirmed
        (to be committed); the first sighting is noted and HELD."""
        if local.held is not None:
            local.held = None
            local.dirty.add("held")
        pending = local.gone
        if self.changes.confirm_checks == 0 or (pending is not None and (
                (self.check_all and not pending.get("this_run"))
                or (when - _first_seen(pending["first_seen"])).total_seconds()
                >= self.changes.removal_confirm_s)):
            return None
        if pending is None:
            local.gone = pending = {"first_seen": format_time(when), "status": status,
                                    "detail": detail, "this_run": True}
            local.dirty.add("gone")
        hours = self.changes.removal_confirm_s / 3600
        return ItemResult(
            url=url, outcome=Outcome.HELD, path=path,
            message=f"{detail}: the article seems to be removed; the removal is committed when "
                    f"a check at least {hours:g} h after {pending['first_seen']} "
                    "(or a later `gitnews run --all`) finds it gone too")


def _first_seen(value: str) -> datetime:
    when: datetime | None = parse_time(value)
    assert when is not None
    return when
