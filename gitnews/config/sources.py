"""Per-source filters and intervals (``[sources."URL"]``), per-host re-check schedules
(``[schedule.hosts."host"]``) of ``gitnews.toml``.

A source is a tracked feed, sitemap or front page, named by its URL as listed in
``feeds``, ``sitemaps`` or ``fronts``::

    [sources."https://example.com/news-sitemap.xml"]
    include = ["https://example.com/news/*"]       # keep only these article URLs
    exclude = ["*/sport/*", "re:/live/\\d+$"]       # then drop these
    interval = "30m"                                # read every 30 minutes

Patterns match an article's whole URL as the source lists it (after resolving
it against the source's URL).  A pattern is a shell-style glob (:mod:`fnmatch`,
case-sensitive: ``*`` matches anything, ``/`` included; ``?`` one character;
``[abc]`` one of these), or, when it starts with ``re:``, a Python regular
expression (:mod:`re`) searched anywhere in the URL (anchor it with ``^``/``$``).
An empty ``include`` keeps every URL; ``exclude`` drops what it matches among
those kept.  ``interval`` (a duration: "90s", "10m", "2h", "1d") replaces
``schedule.feed_interval`` for that source, and is at least one minute.

Per host (the host and its subdomains, the most specific key winning), the
re-check schedule of its articles can differ from ``[schedule]``: any of
``after_change``, ``backoff``, ``tiers``, ``longest_wait``, ``stop_after``::

    [schedule.hosts."example.com"]
    after_change = "10m"   # the first re-check after a change
    backoff = 1.5          # the factor per check that found nothing
    stop_after = "7d"      # no more checks a week after the last change
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gitnews.errors import ConfigError

__all__ = ["check_front_selectors", "SourceRule", "Pattern", "parse_sources", "parse_pattern",
           "HOST_SCHEDULE_KEYS", "check_host_schedules", "host_key_for", "config_warnings",
           "unmatched_sources"]

#: The keys of ``[schedule]`` that ``[schedule.hosts."host"]`` may set.
HOST_SCHEDULE_KEYS = ("after_change", "backoff", "tiers", "longest_wait", "stop_after")
_SOURCE_KEYS = ("include", "exclude", "interval")
_REGEX_PREFIX = "re:"


@dataclass(frozen=True)
class Pattern:
    """One include/exclude pattern: ``text`` as written, compiled to ``regex``."""

    text: str
    regex: re.Pattern[str]

    def matches(self, url: str) -> bool:
        """True when the pattern matches ``url`` (a glob: the whole URL; ``re:``: anywhere)."""
        if self.text.startswith(_REGEX_PREFIX):
            return self.regex.search(url) is not None
        return self.regex.fullmatch(url) is not None


def parse_pattern(text: str, *, where: str) -> Pattern:
    """Compile ``text`` (a glob, or ``re:`` + a regular expression); raises
    :class:`~gitnews.errors.ConfigError` naming ``where`` for a bad expression."""
    if text.startswith(_REGEX_PREFIX):
        try:
            return Pattern(text, re.compile(text[len(_REGEX_PREFIX):]))
        except re.error as exc:
            raise ConfigError(f"{where}: {text!r} is not a valid regular expression ({exc}); "
                              "fix it, or write a glob without the re: prefix") from None
    if not text:
        raise ConfigError(f"{where}: an empty pattern matches nothing; remove it")
    # fnmatch.translate gives "(?s:...)\Z"; fullmatch is used, so it matches the whole URL.
    return Pattern(text, re.compile(fnmatch.translate(text)))


@dataclass(frozen=True)
class SourceRule:
    """The filters and interval of one source (see the module docstring).

    ``include``/``exclude``: compiled patterns; ``interval_s``: seconds between
    reads, None for ``schedule.feed_interval``.
    """

    include: tuple[Pattern, ...] = ()
    exclude: tuple[Pattern, ...] = ()
    interval_s: float | None = None

    def keeps(self, url: str) -> bool:
        """True when the filters keep the article URL ``url``."""
        if self.include and not any(p.matches(url) for p in self.include):
            return False
        return not any(p.matches(url) for p in self.exclude)

    def why_dropped(self, url: str) -> str | None:
        """None when ``url`` is kept; else the reason ("no include pattern matches",
        "exclude '*/sport/*'")."""
        if self.include and not any(p.matches(url) for p in self.include):
            return "no include pattern matches"
        for p in self.exclude:
            if p.matches(url):
                return f"exclude {p.text!r}"
        return None

    @property
    def filters(self) -> bool:
        """True when the rule has any include or exclude pattern."""
        return bool(self.include or self.exclude)


def _strings(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings (glob or re: patterns)")
    return list(value)


def parse_sources(table: Mapping[str, object]) -> dict[str, SourceRule]:
    """``[sources]`` -> ``{source URL: SourceRule}``; raises
    :class:`~gitnews.errors.ConfigError` naming the key for an unknown key, a bad
    pattern or a bad interval."""
    out: dict[str, SourceRule] = {}
    for url, value in table.items():
        where = f'sources."{url}"'
        if not isinstance(value, dict):
            raise ConfigError(f"[{where}] must be a table with include, exclude, interval")
        unknown = sorted(set(value) - set(_SOURCE_KEYS))
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r} in {where} of gitnews.toml; "
                              f"known keys: {', '.join(_SOURCE_KEYS)}")
        include = tuple(parse_pattern(p, where=f"{where}.include")
                        for p in _strings(value.get("include", []), f"{where}.include"))
        exclude = tuple(parse_pattern(p, where=f"{where}.exclude")
                        for p in _strings(value.get("exclude", []), f"{where}.exclude"))
        interval_s: float | None = None
        if "interval" in value:
            interval_s = _interval_s(value["interval"], where=f"{where}.interval")
        out[url] = SourceRule(include=include, exclude=exclude, interval_s=interval_s)
    return out


def _interval_s(raw: object, *, where: str) -> float:
    """Seconds of the duration ``raw``, checked by the schedule's own rule for
    ``feed_interval`` (a duration, at least one minute)."""
    from gitnews.config.settings import ScheduleSettings

    if not isinstance(raw, str):
        raise ConfigError(f"{where} must be a duration such as \"30m\", not {raw!r}")
    try:
        from gitnews.versions.schedule import Policy

        return Policy.from_settings(ScheduleSettings(feed_interval=raw)).feed_interval_s
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("schedule.feed_interval", where)
                          .replace(" (in gitnews.toml)", "")) from None


def check_host_schedules(hosts: Mapping[str, object]) -> None:
    """Check ``[schedule.hosts]``: each value a table of :data:`HOST_SCHEDULE_KEYS`;
    raises :class:`~gitnews.errors.ConfigError` naming the key.  The values are
    checked by building the host's policy (the caller does)."""
    for host, value in hosts.items():
        where = f'schedule.hosts."{host}"'
        if not isinstance(value, dict):
            raise ConfigError(f"[{where}] must be a table of {', '.join(HOST_SCHEDULE_KEYS)}")
        unknown = sorted(set(value) - set(HOST_SCHEDULE_KEYS))
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r} in {where} of gitnews.toml; "
                              f"known keys: {', '.join(HOST_SCHEDULE_KEYS)}")


def host_key_for(host: str, keys: Iterable[str]) -> str | None:
    """The key of ``keys`` that covers ``host`` (itself or a parent domain; a
    leading ``www.`` ignored), the most specific one; None when none does."""
    host = host.lower().rstrip(".")
    best: str | None = None
    for key in keys:
        k = key.lower().strip().rstrip(".").removeprefix("www.")
        h = host.removeprefix("www.")
        if (h == k or h.endswith("." + k)) and (best is None or len(k) > len(best)):
            best = key
    return best


def check_front_selectors(sites: Mapping[str, object]) -> None:
    """Check the ``front`` selector of each ``[sites."host"]`` table: a CSS selector
    (cssselect) naming a front page's story blocks (:mod:`gitnews.sources.fronts`);
    raises :class:`~gitnews.errors.ConfigError` naming the key."""
    from cssselect import GenericTranslator, SelectorError

    for host, table in sites.items():
        if not isinstance(table, Mapping) or "front" not in table:
            continue
        where = f'sites."{host}".front'
        selector = table["front"]
        if not isinstance(selector, str) or not selector.strip():
            raise ConfigError(f"{where} must be a CSS selector string, e.g. \"article.story\"")
        try:
            GenericTranslator().css_to_xpath(selector)
        except SelectorError as exc:
            raise ConfigError(f"{where}: {selector!r} is not a valid CSS selector ({exc}); "
                              "fix it") from None


def unmatched_sources(sources: Iterable[str], tracked: Iterable[str]) -> list[str]:
    """The ``[sources."URL"]`` keys among ``sources`` that name none of the ``tracked``
    source URLs (feeds, sitemaps, front pages), compared as ``[sources]`` is looked up
    (:func:`gitnews.format.urls.identity_key`: ``http``/``https``, ``www.``, a trailing
    ``/`` do not matter); in the order given.  Such a table applies to nothing: a typo,
    or a source removed since (:func:`config_warnings` says so)."""
    from gitnews.format.urls import identity_key

    known = {identity_key(url) for url in tracked}
    return [url for url in sources if identity_key(url) not in known]


def config_warnings(sources: Mapping[str, object], tracked: Iterable[str]) -> list[str]:
    """What ``gitnews status`` and ``gitnews run`` warn of in ``[sources]``: one
    sentence per table that names no tracked source (:func:`unmatched_sources`)."""
    return [f'[sources."{url}"] in gitnews.toml names no tracked feed, sitemap or front page, '
            "so its rules apply to nothing: correct the URL to one `gitnews feeds` "
            "shows, or track it with `gitnews add URL`"
            for url in unmatched_sources(sources, tracked)]

