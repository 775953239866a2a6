"""The settings of ``gitnews.toml``: one dataclass per ``[section]``, and :class:`Config`.

Each dataclass holds one section's keys with their defaults, and checks the
values it can check alone when built (``__post_init__``, raising
:class:`~gitnews.errors.ConfigError`).  Reading the file into them is
:mod:`gitnews.config.load`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitnews.errors import ConfigError

if TYPE_CHECKING:
    from gitnews.config.sources import SourceRule

__all__ = ["CONFIG_NAME", "Config", "ArchiveSettings", "FetchSettings", "FilterSettings",
           "ChangeSettings", "PublishSettings", "HookSettings", "WaybackSettings",
           "ScheduleSettings", "SiteSettings", "CaptureSettings", "CAPTURE_KEEP"]

CONFIG_NAME = "gitnews.toml"


@dataclass
class ArchiveSettings:
    """``[archive]``: who the version commits are by."""

    author_name: str = "gitnews"
    author_email: str = "gitnews@localhost"


@dataclass
class FetchSettings:
    """``[fetch]``: limits of every HTTP fetch (seconds, bytes, counts)."""

    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_bytes: int = 10_000_000
    max_redirects: int = 10
    concurrency: int = 8
    contact: str = ""
    # Politeness (issue 6): see docs/polite-fetching.md.
    per_host: int = 2
    min_delay_s: float = 1.0
    retries: int = 2
    retry_base_s: float = 1.0
    max_wait_s: float = 60.0
    ignore_robots_for: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for key in ("per_host", "concurrency"):
            if getattr(self, key) < 1:
                raise ConfigError(f"fetch.{key} must be 1 or more, not {getattr(self, key)}")
        for key in ("min_delay_s", "retry_base_s", "max_wait_s", "timeout_s",
                    "connect_timeout_s"):
            if getattr(self, key) < 0:
                raise ConfigError(f"fetch.{key} must be 0 or more, not {getattr(self, key)}")
        if self.retries < 0:
            raise ConfigError(f"fetch.retries must be 0 or more, not {self.retries}")


@dataclass
class ScheduleSettings:
    """``[schedule]``: when articles are re-checked and feeds re-read.

    Durations are strings like "90s", "10m", "2h", "1d", "1w" (see
    :mod:`gitnews.versions.schedule` for the rule); ``stop_after = "never"`` never stops.
    """

    after_change: str = "30m"
    backoff: float = 1.2
    tiers: list[list[str]] = field(default_factory=lambda: [["1d", "1h"], ["7d", "3h"],
                                                             ["30d", "3d"]])
    longest_wait: str = "7d"
    stop_after: str = "40d"
    feed_interval: str = "10m"
    #: ``[schedule.hosts."host"]``: the article re-check schedule of a host and its
    #: subdomains (keys of :data:`gitnews.config.sources.HOST_SCHEDULE_KEYS`).
    hosts: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from gitnews.versions.schedule import Policy

        try:
            Policy.from_settings(self)
        except ValueError as exc:
            raise ConfigError(f"{exc} (in {CONFIG_NAME})") from None
        if self.hosts:
            from gitnews.config.sources import check_host_schedules

            check_host_schedules(self.hosts)
            for host in self.hosts:
                self.for_host(host)

    def for_host(self, host_key: str) -> ScheduleSettings:
        """These settings with the overrides of ``hosts[host_key]`` (a key of
        ``hosts``; see :func:`gitnews.config.sources.host_key_for`); raises
        ConfigError naming the host's key for an unusable value."""
        import dataclasses

        overrides = self.hosts.get(host_key, {})
        try:
            return dataclasses.replace(self, hosts={}, **overrides)  # type: ignore[arg-type]
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("schedule.", f'schedule.hosts."{host_key}".', 1)
                              ) from None


@dataclass
class FilterSettings:
    """``[filters]``: boilerplate filters (see :mod:`gitnews.pagetext.filters`).

    ``builtin``: use the built-in rules; ``hosts``: ``{host: [pattern, ...]}``,
    Python regular expressions that drop a paragraph they match in full, for
    that host and its subdomains (``"*"``: every host).
    """

    builtin: bool = True
    hosts: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ChangeSettings:
    """``[changes]``: which new texts are versions (see :mod:`gitnews.versions.record`).

    ``suspicious_loss``: a text whose body has fewer than ``1 - suspicious_loss``
    of the current version's words is held (0.5: it lost more than half);
    ``confirm_checks``: later checks that must see a held text (or a 404) again
    before it is committed (0 commits suspicious texts at once);
    ``confirm_after_s``: seconds that must also have passed since a held text
    was first seen; ``removal_confirm_s``: seconds between the first sighting of
    a 404/410 or soft 404 and the check that confirms the removal (a later
    ``gitnews run --all`` confirms sooner); ``max_reverts``: reverts to an
    earlier text committed per article before such returns are only counted.
    """

    suspicious_loss: float = 0.5
    confirm_checks: int = 1
    confirm_after_s: float = 0.0
    removal_confirm_s: float = 3600.0
    max_reverts: int = 2

    def __post_init__(self) -> None:
        if not 0.0 < self.suspicious_loss <= 1.0:
            raise ConfigError(f"changes.suspicious_loss in {CONFIG_NAME} must be more than 0 "
                              f"and at most 1 (a share of words), not {self.suspicious_loss!r}")
        for key in ("confirm_checks", "confirm_after_s", "removal_confirm_s", "max_reverts"):
            if getattr(self, key) < 0:
                raise ConfigError(f"changes.{key} in {CONFIG_NAME} must not be negative")


@dataclass
class PublishSettings:
    """``[publish]``: pushing the archive to a git remote after a run.

    ``remote`` is the name of a git remote of the archive (``git remote -v``),
    ``branch`` the branch pushed to there; ``timeout_s`` bounds each fetch or
    push of the remote (seconds).
    """

    push: bool = False
    remote: str = "origin"
    branch: str = "main"
    timeout_s: float = 600.0


def check_change_filter(section: str, min_significance: str, kinds: list[str]) -> None:
    """Check a ``[section]`` filter of versions (``min_significance``, ``kinds``: see
    :func:`gitnews.versions.significance.passes`): raise :class:`ConfigError` naming the
    key and the known values for an unknown level or kind."""
    from gitnews.format.trailers import CHANGE_KINDS, SIGNIFICANCE_LEVELS

    if min_significance and min_significance not in SIGNIFICANCE_LEVELS:
        raise ConfigError(f"{section}.min_significance must be one of "
                          f"{', '.join(SIGNIFICANCE_LEVELS)} (or empty), not "
                          f"{min_significance!r}")
    known = (*CHANGE_KINDS, "new")
    for kind in kinds:
        if kind not in known:
            raise ConfigError(f"{section}.kinds: unknown change kind {kind!r}; use "
                              f"{', '.join(known)}")

@dataclass
class HookSettings:
    """``[hooks]``: what runs once per new version after a run.

    ``on_change`` is a shell command, ``webhook_url`` an http(s) URL that gets
    the same JSON by POST; empty strings mean none.  ``timeout_s`` bounds each
    command or POST (seconds).  ``min_significance`` (``minor``, ``moderate``,
    ``major``; empty: no filter) and ``kinds`` (``Change-Kind`` values, ``new`` for
    a first version; empty: no filter) choose the versions the hooks run for
    (docs/hooks.md, "Which versions"; :func:`gitnews.versions.significance.passes`).
    """

    on_change: str = ""
    webhook_url: str = ""
    timeout_s: float = 60.0
    min_significance: str = ""
    kinds: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_change_filter("hooks", self.min_significance, self.kinds)


@dataclass
class WaybackSettings:
    """``[wayback]``: the Wayback Machine that ``gitnews import --wayback`` asks.

    ``base_url``: its address (any server with the same CDX API and ``/web/``
    playback paths); request rates in requests per second, kept below the
    Internet Archive's limits (about one CDX query per second); after a 429 or
    5xx answer at most ``max_retries`` retries, waiting what ``Retry-After``
    says but never longer than ``max_wait_s`` seconds.
    """

    base_url: str = "https://web.archive.org"
    cdx_requests_per_s: float = 1.0
    capture_requests_per_s: float = 4.0
    max_retries: int = 5
    max_wait_s: float = 300.0


#: The values of ``[captures] keep``.
CAPTURE_KEEP = ("versions", "all", "none")


@dataclass
class CaptureSettings:
    """``[captures]``: the raw HTTP exchanges kept beside the versions
    (:mod:`gitnews.archive.captures`).

    ``keep``: ``"versions"`` (the capture of every version), ``"all"`` (also
    every other 200 answer) or ``"none"``; ``push``: push the branch
    ``gitnews/captures`` with ``main`` (False keeps the publishers' full pages
    out of the remote).
    """

    keep: str = "versions"
    push: bool = True

    def __post_init__(self) -> None:
        if self.keep not in CAPTURE_KEEP:
            raise ConfigError(f"captures.keep in {CONFIG_NAME} must be one of "
                              f"{', '.join(repr(k) for k in CAPTURE_KEEP)}, not {self.keep!r}")


@dataclass
class SiteSettings:
    """``[site]``: the static site and feeds (``gitnews site``, ``gitnews feed``).

    ``url``: the site's public base URL (e.g. ``https://me.github.io/news``);
    feeds need it for absolute links to the site's diff pages ("" = unknown:
    feed entries link to the article only).  ``min_significance`` and ``kinds``:
    the defaults of ``gitnews site`` / ``serve`` ``--min-significance`` and
    ``--kind`` (the site's feeds and latest-changes lists hold only the versions
    that pass, :func:`gitnews.versions.significance.passes`; empty: no filter),
    checked as ``[hooks]`` checks its own.
    """

    url: str = ""
    min_significance: str = ""
    kinds: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_change_filter("site", self.min_significance, self.kinds)


@dataclass
class Config:
    """The whole of ``gitnews.toml``.

    ``feeds``: feed URLs (RSS, Atom, JSON Feed) read on every run;
    ``articles``: single article URLs tracked without a feed;
    ``sites``: ``{host: {"headline"|"body"|"remove": selector(s)}}``.
    """

    feeds: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    filters: FilterSettings = field(default_factory=FilterSettings)
    changes: ChangeSettings = field(default_factory=ChangeSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    hooks: HookSettings = field(default_factory=HookSettings)
    wayback: WaybackSettings = field(default_factory=WaybackSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    captures: CaptureSettings = field(default_factory=CaptureSettings)
    #: ``[sites."host"]``: per-site extraction rules (:mod:`gitnews.pagetext.siterules`).
    sites: dict[str, dict[str, object]] = field(default_factory=dict)
    #: Sitemaps (sitemap indexes, sitemaps, Google News sitemaps) read like feeds.
    sitemaps: list[str] = field(default_factory=list)
    #: Front pages (homepages, section fronts): their story lists are versioned.
    fronts: list[str] = field(default_factory=list)
    #: ``[sources."URL"]``: per-source include/exclude patterns and interval
    #: (:mod:`gitnews.config.sources`).
    sources: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from gitnews.pagetext.siterules import parse_sites

        parse_sites(self.sites)  # raises ConfigError for a bad key or selector
        from gitnews.config.sources import check_front_selectors

        check_front_selectors(self.sites)
        if self.sources:
            from gitnews.config.sources import parse_sources

            parse_sources(self.sources)  # raises ConfigError for a bad pattern or interval

    def source_rules(self) -> dict[str, SourceRule]:
        """``{identity key of the source URL: SourceRule}`` of ``[sources]``
        (:mod:`gitnews.config.sources`): look a source up with
        ``rules.get(identity_key(url))`` (:func:`gitnews.format.urls.identity_key`), so
        that ``[sources."URL"]`` applies whatever spelling of the URL (``http``/``https``,
        ``www.``, a trailing ``/``) was tracked, as ``gitnews remove`` accepts any."""
        from gitnews.config.sources import parse_sources
        from gitnews.format.urls import identity_key

        return {identity_key(url): rule for url, rule in parse_sources(self.sources).items()}
