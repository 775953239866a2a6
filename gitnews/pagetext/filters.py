"""Boilerplate filters: paragraphs that change while the article does not (pure).

Extraction keeps some lines that are not the article: "Updated 5 minutes ago",
"Page last updated at 19:26 GMT, Sunday, 5 April 2009", "941 comments",
"Share on Twitter", the "-----" and "Site Version" rows of old BBC pages,
"Related stories" blocks, "You must login or create an account to comment."
They would make versions out of nothing (a new counter value, a new set of
related links), so they are removed from the stored text.

A :class:`Filters` applies, in this order, to the normalised paragraphs
(:func:`gitnews.format.normalise.normalise_line`):

1. **paragraph rules**: a paragraph that one rule matches *in full* is dropped
   (:data:`BUILTIN_RULES`, the built-in ones, and the patterns given per host in
   ``gitnews.toml``, ``[filters.hosts]``);
2. **blocks**: a paragraph that starts a link block ("Related stories", "SEE
   ALSO", "Most read", "Read more:" ... :data:`BLOCK_STARTS`) is dropped together
   with the link-like paragraphs that follow it (at most 14 words and no
   sentence end: titles of other stories), and, when such a block runs to the
   end of the text, with up to :data:`MAX_BACKWARD` link-like paragraphs just
   before it.

Only whole paragraphs are ever dropped; nothing inside a paragraph is changed.
``gitnews run --dry-run --show-text URL`` shows what is stored and what was
dropped by which rule, to tune the per-host patterns.

Per-host patterns are Python regular expressions (:mod:`re`), matched in full
against each paragraph; ``(?i)`` makes one case-insensitive.  A key applies to
its host and every subdomain (``"bbc.co.uk"`` covers ``news.bbc.co.uk``); the
key ``"*"`` applies to every host.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gitnews.errors import ConfigError
from gitnews.format.normalise import normalise_line

if TYPE_CHECKING:
    from gitnews.pagetext.siterules import SiteRules

__all__ = ["Filters", "FilterSet", "Rule", "BUILTIN_RULES", "BUILTIN_HOST_RULES",
           "BLOCK_STARTS", "MAX_BACKWARD", "RIM", "RULES_VERSION"]

#: Bumped whenever the built-in rules change (part of :attr:`Filters.digest`).
RULES_VERSION = "2"  # 2: comment sections and link blocks pruned before extraction (gitnews.pagetext.prune)

#: Rules marked ``rim`` (bare numbers: counters) apply only to this many
#: paragraphs at the start and at the end (inside, numbers are table cells).
RIM = 4

#: Link-like paragraphs taken back before a block that runs to the end of the text.
MAX_BACKWARD = 6
_LINK_MAX_WORDS = 14
_SENTENCE_END = re.compile(r"[.!?…:;]['\"”’»)\]]*$")

_MONTHS = ("january february march april may june july august september october november "
           "december jan feb mar apr jun jul aug sep sept oct nov dec januar februar märz "
           "mai juni juli oktober dezember janvier février mars avril juin juillet août "
           "septembre octobre novembre décembre enero febrero marzo abril mayo junio julio "
           "agosto septiembre octubre noviembre diciembre")
_DAYS = ("monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur "
         "thurs fri sat sun montag dienstag mittwoch donnerstag freitag samstag sonntag "
         "lundi mardi mercredi jeudi vendredi samedi dimanche")
_TIME_WORDS = ("ago just now today yesterday second seconds sec secs minute minutes min mins "
               "hour hours hr hrs h day days week weeks month months year years at on the of "
               "am pm a.m p.m a.m. p.m. uhr um am le à el de del il vor stunden minuten tagen "
               "gmt utc bst cet cest est edt cst cdt pst pdt et pt uk ist aest")
_STAMP_WORDS = frozenset((_MONTHS + " " + _DAYS + " " + _TIME_WORDS).split())
_STAMP_PREFIX = re.compile(
    r"^(?:page\s+)?(?:last\s+)?(?:updated|update|modified|published|posted|edited|created|"
    r"first published|aktualisiert|veröffentlicht|zuletzt aktualisiert|stand|"
    r"mis à jour|publié|actualizado|publicado|aggiornato|pubblicato)\b\s*(?:on|at|am|um|le|el|il)?\s*:?",
    re.IGNORECASE)
_TOKEN = re.compile(r"[^\s,|/·•–—()\[\]]+")


def _is_stamp(p: str) -> bool:
    """A date/time stamp: "Updated 5 minutes ago", "Page last updated at 19:26 GMT,
    Sunday, 5 April 2009 20:26 UK", "24 July 2015", "-Aktualisiert am"."""
    if len(p) > 120:
        return False
    text = p.strip(" -–—*•|:")
    m = _STAMP_PREFIX.match(text)
    rest = text[m.end():] if m else text
    tokens = _TOKEN.findall(rest.lower())
    if not tokens:
        return bool(m)
    timely = False
    for tok in tokens:
        tok = tok.strip(".:;-")
        if not tok:
            continue
        if _TIME_TOKEN.fullmatch(tok):
            timely = True
        elif re.fullmatch(r"\d{1,4}(st|nd|rd|th)?|\d{1,2}[.h]\d{2}", tok):
            timely |= bool(m)  # a bare number is a date only after "Updated"...
        elif tok in _STAMP_WORDS:
            timely |= tok in _DATE_NAMES or tok in ("ago", "now", "today", "yesterday")
        else:
            return False
    return timely


_DATE_NAMES = frozenset((_MONTHS + " " + _DAYS).split())
# 19:26, 4:14, 12.46 Uhr style times and 08.04.2015, 2015-04-08, 4/8/15 style dates.
_TIME_TOKEN = re.compile(r"\d{1,2}:\d{2}(:\d{2})?(am|pm|z)?|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}"
                         r"|\d{4}-\d{2}-\d{2}t[\d:.]+z?")


@dataclass(frozen=True)
class Rule:
    """One paragraph rule: ``name`` (shown by ``--show-text``) and a full-match test."""

    name: str
    pattern: re.Pattern[str] | None = None
    test: Callable[[str], bool] | None = None  # for rules a pattern cannot say
    rim: bool = False  # only among the first and last RIM paragraphs (never in tables)

    def matches(self, paragraph: str) -> bool:
        if self.pattern is not None:
            return self.pattern.fullmatch(paragraph) is not None
        assert self.test is not None, "a rule has a pattern or a test"
        return bool(self.test(paragraph))


def _rx(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


#: The built-in paragraph rules (see the module docstring).
BUILTIN_RULES: tuple[Rule, ...] = (
    Rule("no words", re.compile(r"[\W_]+")),
    Rule("number", re.compile(r"[+\-]?\d[\d.,\s]*[kKmM]?"), rim=True),
    Rule("date stamp", test=_is_stamp),
    Rule("counter", _rx(
        r"\(?\d[\d.,]*\s*[km]?\)?\s*(comments?|kommentare?|commentaires?|comentarios?|"
        r"shares?|likes?|views?|reactions?|replies|responses|votes?|reads?)"
        r"|(comments?|kommentare|shares?|views?|replies)\s*[:(]?\s*\d[\d.,]*[km]?\)?")),
    Rule("reading time", _rx(r"(reading time|lesezeit|temps de lecture)?\s*:?\s*\d+\s*"
                             r"(min|mins|minutes?|minuten)\.?(\s+(read|listen|lesezeit|de lecture))?")),
    Rule("share, comment and ad labels", _rx(
        r"\[?\s*(comments?|view comments|show comments|loading comments\W*|top rated comments|"
        r"read all comments|leave a comment|add a comment|post a comment|join the conversation|"
        r"kommentare|kommentieren|kommentar schreiben|commentaires|"
        r"share|share this|share this (article|story|page|post)|"
        r"share (on|via) (facebook|twitter|x|linkedin|whatsapp|e-?mail|reddit|pinterest|telegram)|"
        r"like this story\? share it with a friend!?|tweet|e-?mail|print|copy link|link copied|"
        r"save|save (article|story)|follow|follow us|advertisement|advertising|anzeige|werbung|"
        r"publicité|publicidad|pubblicità|sponsored|sponsored content|skip advertisement|"
        r"continue reading|continue reading the main story|read more|show more|more|more:|"
        r"related|related (stories|articles|content|coverage|videos|links|topics)|"
        r"listen to this article|image caption|media caption)\s*\]?\W*")),
    Rule("login to comment", _rx(
        r"you (must|need to) (log ?in|sign ?in|be logged in|be signed in)"
        r"( or (create an account|register|sign up))? to (comment|post( a)? comments?|reply|vote)\.?"
        r"|\d+\s+\d+\s+login für vote")),
    Rule("link teaser", _rx(
        r"\[?\s*(related( post| stories| story| articles?| content| coverage| reading)?|"
        r"read more|read also|also read|see also|more on this( story)?|lesen sie auch|"
        r"mehr zum thema|lire aussi|à lire aussi|leer más|lee también|leia também|czytaj także|"
        r"czytaj też)\s*:\s*\S.{0,200}")),
)

#: Built-in rules for some hosts (a key covers its subdomains).
BUILTIN_HOST_RULES: Mapping[str, tuple[Rule, ...]] = {
    "bbc.co.uk": (
        Rule("bbc sidebar labels", _rx(
            r"(site version|bbc news channel|key stories|analysis|background|watch/listen|"
            r"have your say|related bbc sites|news feeds|"
            r"the bbc is not responsible for the content of external internet sites)\W*")),
    ),
}

#: Paragraphs that start a block of links to other stories.
BLOCK_STARTS: tuple[re.Pattern[str], ...] = (
    _rx(r"\[?\s*(related( stories| articles| content| coverage| links| internet links| bbc sites|"
        r" videos| topics| posts)?|see also|more on this (story|topic)|most (read|popular|viewed|"
        r"shared|watched)( .{0,40})?|top stories|key stories|you (may|might) also like|"
        r"recommended( for you| stories| reading)?|more (stories|news|articles) from .{1,40}|"
        r"features,? views,? analysis|in other news|elsewhere on .{1,40}|around the web|"
        r"trending( now)?|latest (news|stories|headlines)|read more|more:|"
        r"mehr zum thema|weitere artikel|das könnte sie auch interessieren|"
        r"à lire aussi|lire aussi|te puede interesar|leia também)\s*:?\s*\]?"),
)


def _link_like(p: str) -> bool:
    """A paragraph that reads like a link to another story, not a sentence."""
    return len(p.split()) <= _LINK_MAX_WORDS and not _SENTENCE_END.search(p)


@dataclass(frozen=True)
class Filters:
    """The boilerplate filters for one host.  Immutable and thread-safe."""

    rules: tuple[Rule, ...] = BUILTIN_RULES
    blocks: tuple[re.Pattern[str], ...] = BLOCK_STARTS
    digest: str = ""

    def explain(self, paragraphs: Iterable[str]) -> list[tuple[str, str | None]]:
        """Each normalised non-empty paragraph with the rule that drops it (None: kept)."""
        paras = [p for p in (normalise_line(x) for x in paragraphs) if p]
        why: list[str | None] = []
        n = len(paras)
        for i, p in enumerate(paras):
            on_rim = i < RIM or i >= n - RIM
            why.append(next((r.name for r in self.rules
                             if (on_rim or not r.rim) and r.matches(p)), None))
        if self.blocks:
            starts = [any(rx.fullmatch(p) for rx in self.blocks) for p in paras]
            i = 0
            while i < n:
                if not starts[i]:
                    i += 1
                    continue
                j = i + 1
                while j < n and (why[j] is not None or _link_like(paras[j])):
                    j += 1
                for k in range(i, j):
                    why[k] = why[k] or "link block"
                if j == n:  # the block ends the text: take its untitled head too
                    k, taken = i - 1, 0
                    while k >= 0 and taken < MAX_BACKWARD and (why[k] is not None
                                                               or _link_like(paras[k])):
                        if why[k] is None:
                            why[k] = "link block"
                            taken += 1
                        k -= 1
                i = j
        return list(zip(paras, why, strict=True))

    def apply(self, paragraphs: Iterable[str]) -> list[str]:
        """The paragraphs that are kept (normalised), in order."""
        return [p for p, why in self.explain(paragraphs) if why is None]


def _compile_host_patterns(host: str, patterns: object) -> tuple[Rule, ...]:
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"filters.hosts.{host!r} in gitnews.toml must be a list of "
                          "regular expressions (strings)")
    rules = []
    for text in patterns:
        try:
            rules.append(Rule(f"gitnews.toml [filters.hosts] {host}: {text}", re.compile(text)))
        except re.error as exc:
            raise ConfigError(f"filters.hosts.{host!r} in gitnews.toml: the pattern {text!r} "
                              f"is not a valid regular expression ({exc}); fix or remove it") from None
    return tuple(rules)


def _host_matches(key: str, host: str) -> bool:
    key = key.lower().strip(".")
    return key == "*" or host == key or host.endswith("." + key)


@dataclass
class FilterSet:
    """The filters of an archive: built-in rules (``builtin``) plus ``hosts``
    (``{host: [pattern, ...]}``, from ``gitnews.toml`` ``[filters.hosts]``).

    Raises :class:`~gitnews.errors.ConfigError` for a pattern that is not a
    valid regular expression.  :meth:`for_url` gives the :class:`Filters` of a URL.
    """

    builtin: bool = True
    hosts: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: ``[sites]`` of gitnews.toml (:func:`gitnews.pagetext.siterules.parse_sites` input).
    sites: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from gitnews.pagetext.siterules import parse_sites

        self._compiled = {host: _compile_host_patterns(host, pats)
                          for host, pats in dict(self.hosts).items()}
        self._by_host: dict[str, Filters] = {}
        self._sites = parse_sites(self.sites)

    def site_for_url(self, url: str) -> SiteRules | None:
        """The site rules (``[sites."host"]``) for ``url``'s host, or None."""
        from gitnews.pagetext.siterules import rules_for_url

        return rules_for_url(self._sites, url)

    def for_host(self, host: str) -> Filters:
        host = (host or "").lower().rstrip(".")
        found = self._by_host.get(host)
        if found is not None:
            return found
        rules: list[Rule] = list(BUILTIN_RULES) if self.builtin else []
        if self.builtin:
            for key, extra in BUILTIN_HOST_RULES.items():
                if _host_matches(key, host):
                    rules.extend(extra)
        patterns: list[str] = []
        for key in sorted(self._compiled):
            if _host_matches(key, host):
                rules.extend(self._compiled[key])
                patterns.extend(r.pattern.pattern for r in self._compiled[key] if r.pattern is not None)
        from gitnews.pagetext.siterules import rules_for_url

        site = rules_for_url(self._sites, f"http://{host}/") if host else None
        if site is not None:  # site rules change the text: part of the fingerprint
            patterns.append(f"site {site.digest}")
        digest = _digest(self.builtin, tuple(patterns), host if self.builtin else "")
        found = Filters(rules=tuple(rules), blocks=BLOCK_STARTS if self.builtin else (),
                        digest=digest)
        self._by_host[host] = found
        return found

    def for_url(self, url: str) -> Filters:
        """The filters for the host of ``url`` (built-in only when it has none)."""
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        return self.for_host(host)


@lru_cache(maxsize=1024)
def _digest(builtin: bool, patterns: tuple[str, ...], host: str) -> str:
    host_rules = sorted(k for k in BUILTIN_HOST_RULES if host and _host_matches(k, host))
    text = "\n".join([f"rules {RULES_VERSION if builtin else 'off'}", *host_rules, *patterns])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
