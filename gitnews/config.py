"""``gitnews.toml`` <-> :class:`Config`.

The file lives at the archive's top level and is committed with it (it says
what the archive tracks).  It is read with :mod:`tomllib` and edited with
tomlkit, which keeps the user's comments and layout.  Each ``[section]`` maps
onto one dataclass; unknown keys and wrong types raise
:class:`~gitnews.errors.ConfigError` naming the key (and, for TOML syntax
errors, the line and column that tomllib reports).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from gitnews.errors import ConfigError

__all__ = ["CONFIG_NAME", "Config", "ArchiveSettings", "FetchSettings", "FilterSettings",
           "ChangeSettings", "PublishSettings", "HookSettings", "WaybackSettings",
           "ScheduleSettings", "SiteSettings", "load_config",
           "default_config_text", "parse_config", "edit_tracked", "changed_keys", "ConfigMerge",
           "merge_config", "merge_tracked"]

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

    def __post_init__(self) -> None:
        from gitnews.versions.schedule import Policy

        try:
            Policy.from_settings(self)
        except ValueError as exc:
            raise ConfigError(f"{exc} (in {CONFIG_NAME})") from None


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


@dataclass
class HookSettings:
    """``[hooks]``: what runs once per new version after a run.

    ``on_change`` is a shell command, ``webhook_url`` an http(s) URL that gets
    the same JSON by POST; empty strings mean none.  ``timeout_s`` bounds each
    command or POST (seconds).
    """

    on_change: str = ""
    webhook_url: str = ""
    timeout_s: float = 60.0


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


@dataclass
class SiteSettings:
    """``[site]``: the static site and feeds (``gitnews site``, ``gitnews feed``).

    ``url``: the site's public base URL (e.g. ``https://me.github.io/news``);
    feeds need it for absolute links to the site's diff pages ("" = unknown:
    feed entries link to the article only).
    """

    url: str = ""


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
    #: ``[sites."host"]``: per-site extraction rules (:mod:`gitnews.pagetext.siterules`).
    sites: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from gitnews.pagetext.siterules import parse_sites

        parse_sites(self.sites)  # raises ConfigError for a bad key or selector


DEFAULT_TEXT = '''\
# gitnews configuration: what this archive tracks and how.
# Edit by hand or with `gitnews add URL` / `gitnews remove URL`.
# Every key below is optional; the values shown are the defaults.

# Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read on every `gitnews run`.
feeds = []

# Single article URLs tracked without a feed.
articles = []

[archive]
# Author and committer of every version commit.
author_name = "gitnews"
author_email = "gitnews@localhost"

[fetch]
# Seconds allowed to connect, and for a whole response.
connect_timeout_s = 10.0
timeout_s = 30.0
# Largest page accepted, in bytes (after decompression).
max_bytes = 10000000
# Most redirects followed for one URL.
max_redirects = 10
# Pages fetched at once.
concurrency = 8
# A URL or e-mail address for the User-Agent, so that site owners can reach you.
contact = ""
# Politeness. At most this many requests at once to one host:
per_host = 2
# Seconds between the starts of two requests to one host (a robots.txt
# Crawl-delay, when longer, wins).
min_delay_s = 1.0
# Retries of a timeout, connection error or 5xx, with exponential back-off
# (retry_base_s, doubling, with jitter).
retries = 2
retry_base_s = 1.0
# Longest wait within a run for a host that asked us to wait (429/503
# Retry-After, Crawl-delay); a longer wait leaves its pages to the next run.
max_wait_s = 60.0
# robots.txt is obeyed for every URL; list the hosts (and their subdomains)
# whose robots.txt you have permission to ignore, e.g. ["example.com"].
ignore_robots_for = []

[schedule]
# When articles are re-checked (durations: 90s, 10m, 2h, 1d, 1w, 1h30m).
# After each change the first check comes after_change later; every check that
# finds nothing multiplies the wait by backoff (News Sniffer's rule) ...
after_change = "30m"
backoff = 1.2
# ... but, by the time since the last change, the wait is never longer than
# (age limit, longest wait) of the first tier that applies (NewsDiffs' tiers),
tiers = [["1d", "1h"], ["7d", "3h"], ["30d", "3d"]]
# and past the last tier never longer than this.
longest_wait = "7d"
# An article whose last change is older than this is no longer checked
# ("never": always keep checking). `gitnews run --all` checks it anyway.
stop_after = "40d"
# How often each feed is read (at least 1m).
feed_interval = "10m"

[filters]
# Built-in boilerplate filters: date stamps ("Updated 5 minutes ago"), share and
# comment counters and labels, "Related stories" link blocks, "-----" rows.
builtin = true

# Extra patterns per host (and its subdomains; "*" = every host): a paragraph that
# a pattern matches in full is not stored. Python regular expressions; start one
# with (?i) to ignore case. Try them with `gitnews run --dry-run --show-text URL`.
[filters.hosts]
# "example.com" = ['Advertisement', '(?i)share this story']

[changes]
# A new text that lost more than this share of the article's words (or looks
# like a paywall/consent teaser) is held until a later check sees it again.
suspicious_loss = 0.5
# Later checks that must confirm a held text or a removal (0 = commit at once).
confirm_checks = 1
# Seconds that must also pass before a held text is confirmed.
confirm_after_s = 0.0
# Seconds between the first 404/410 (or redirect to the front page) and the
# check that confirms the removal; a later `gitnews run --all` confirms sooner.
removal_confirm_s = 3600.0
# Reverts to an earlier text committed per article; after that, returns to a
# text already in its history (A/B-tested headlines) are only counted.
max_reverts = 2

[publish]
# Push the archive after every run that committed something (as `gitnews run --push`);
# a failed push is reported and tried again on the next run.
push = false
# The git remote to push to (see `git remote -v`) and the branch there.
remote = "origin"
branch = "main"
# Seconds allowed for each fetch or push of the remote.
timeout_s = 600.0

[hooks]
# A shell command run once per new version, in the archive's folder, with the
# change as JSON on stdin and GITNEWS_URL, GITNEWS_VERSION, GITNEWS_PATH set
# (as `gitnews run --on-change COMMAND`). Empty: none.
on_change = ""
# An http(s) URL that receives the same JSON by POST once per new version. Empty: none.
webhook_url = ""
# Seconds allowed for each command or POST.
timeout_s = 60.0

[wayback]
# The Wayback Machine asked by `gitnews import --wayback URL` (CDX API and capture playback).
base_url = "https://web.archive.org"
# Requests per second: capture listings (CDX queries), and capture downloads.
cdx_requests_per_s = 1.0
capture_requests_per_s = 4.0
# After "429 Too Many Requests", a 5xx answer or a timeout: retries, and the longest wait
# accepted (seconds; a longer Retry-After stops the import of that URL).
max_retries = 5
max_wait_s = 300.0

[site]
# The public address of the site that `gitnews site` writes (e.g.
# "https://me.github.io/news"), so that feeds can link to its diff pages.
url = ""

# Per-site rules, for pages where generic extraction fails: CSS selectors (or
# XPath, starting with "/") for the headline, the body, and parts to remove
# before extraction. A key covers its subdomains. A selector that matches
# nothing is reported for that article and generic extraction is used.
# Try them with `gitnews run --dry-run --show-text URL`.
# [sites."example.com"]
# headline = "h1.headline"
# body = ["div.article-body"]
# remove = [".newsletter-signup", "//aside"]
'''


def default_config_text() -> str:
    """The commented ``gitnews.toml`` written by ``gitnews init``."""
    return DEFAULT_TEXT


def _check_type(value: Any, hint: Any, where: str) -> Any:
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    origin = getattr(hint, "__origin__", None)
    if origin is list:
        (item,) = hint.__args__
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {type(value).__name__}")
        return [_check_type(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, not {type(value).__name__}")
        return value
    if hint in (str, int, float, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ConfigError(f"{where} must be {hint.__name__}, not {type(value).__name__} "
                              f"({value!r})")
        return value
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"[{where}] must be a table")
        return _build(hint, value, where)
    return value  # unions and other hints: accepted as written


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {where or 'the top level'} of "
                          f"{CONFIG_NAME}; known keys: {', '.join(sorted(names))}")
    kwargs = {k: _check_type(v, hints[k], f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**kwargs)


def parse_config(text: str, *, source: str = CONFIG_NAME) -> Config:
    """Parse TOML ``text`` into a :class:`Config`; raises ConfigError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}; fix that line") from None
    try:
        config = _build(Config, data, "")
        _check_ranges(config)
    except ConfigError as exc:
        line = _line_of(text, str(exc))
        where = f"{source}, line {line}" if line else source
        raise ConfigError(f"{where}: {exc}") from None
    return config


# -- limits, and the line a problem is on -----------------------------------------------------

#: Allowed ranges of numeric settings, ``"section.key": (lowest, highest)``: a
#: typo such as ``concurrency = 10000`` must not start ten thousand threads.
RANGES: dict[str, tuple[float, float]] = {
    "fetch.timeout_s": (0.1, 3600),
    "fetch.connect_timeout_s": (0.1, 600),
    "fetch.max_bytes": (1_000, 1_000_000_000),
    "fetch.max_redirects": (0, 50),
    "fetch.concurrency": (1, 64),
}


def _check_ranges(config: Config) -> None:
    for dotted, (low, high) in RANGES.items():
        section, key = dotted.split(".")
        value = getattr(getattr(config, section, None), key, None)
        if isinstance(value, (int, float)) and not low <= value <= high:
            raise ConfigError(f"{dotted} = {value!r} is out of range; use a value from "
                              f"{low:,} to {high:,}")


_KEY_IN_MESSAGE = re.compile(r"^(?:unknown key '([^']+)' in (\S+)|\[?([A-Za-z_][\w.-]*))")


def _line_of(text: str, message: str) -> int | None:
    """The line (1-based) of ``text`` that sets the key a ConfigError message names."""
    m = _KEY_IN_MESSAGE.match(message)
    if not m:
        return None
    if m.group(1):
        section, key = ("" if m.group(2) == "the" else m.group(2)), m.group(1)
    else:
        parts = m.group(3).split(".")
        section, key = ".".join(parts[:-1]), parts[-1]
        if message.startswith("["):  # "[fetch] must be a table": the table's own line
            section, key = "", m.group(3)
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\[\]]+?)\s*\]", stripped)
        if header:
            current = header.group(1).strip().strip('"')
            if not section and current == key:  # a table of that name
                return number
            continue
        if current == section and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", stripped):
            return number
    return None


def load_config(archive: Path) -> Config:
    """Read ``<archive>/gitnews.toml``; a missing file gives the defaults.

    Raises :class:`~gitnews.errors.ConfigError` for unreadable or invalid files.
    """
    path = Path(archive) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_config(text, source=str(path))


def edit_tracked(text: str, *, add_feeds: list[str] = (), add_articles: list[str] = (),
                 remove: list[str] = ()) -> tuple[str, list[str]]:
    """Edit the ``feeds``/``articles`` lists of a ``gitnews.toml`` text.

    Returns ``(new text, URLs actually added or removed)``; comments and layout
    are kept (tomlkit).  Raises ConfigError when ``text`` is invalid.
    """
    import tomlkit

    parse_config(text)  # validate before editing
    doc = tomlkit.parse(text)
    changed: list[str] = []
    for key, urls in (("feeds", add_feeds), ("articles", add_articles)):
        if urls and key not in doc:
            doc[key] = tomlkit.array()
        for url in urls:
            if url not in doc[key]:
                doc[key].append(url)
                changed.append(url)
    for key in ("feeds", "articles"):
        for url in remove:
            while key in doc and url in doc[key]:
                doc[key].remove(url)
                if url not in changed:
                    changed.append(url)
    for key in ("feeds", "articles"):
        if key in doc and len(doc[key]) > 1:
            doc[key].multiline(True)
    return tomlkit.dumps(doc), changed


# -- three-way merge (two copies of the archive edited gitnews.toml) ---------------------------

#: The lists merged item by item (a set union with removals kept); every other value is
#: one setting, merged whole.
TRACKED_LISTS = ("feeds", "articles")

_MISSING = object()


def merge_tracked(base: list[str], ours: list[str], theirs: list[str]) -> list[str]:
    """Three-way merge of one list of tracked URLs.

    An item removed on either side since ``base`` stays removed; an item added on
    either side is kept, once.  The order is ``theirs``, then the items only
    ``ours`` added, in their order.
    """
    removed = (set(base) - set(ours)) | (set(base) - set(theirs))
    out: list[str] = []
    for item in [*theirs, *ours]:
        if item not in removed and item not in out:
            out.append(item)
    return out


@dataclass
class ConfigMerge:
    """What :func:`merge_config` made of two edits of one ``gitnews.toml``.

    ``text``: the merged file; ``added``/``removed``: URLs that ``ours`` tracked
    or untracked and the merge carried over to ``theirs``; ``settings``: the
    ``(key, value)`` settings taken from ``ours``; ``conflicts``: ``(key, ours'
    value, theirs' value)`` for settings changed differently on both sides (the
    merge keeps ``theirs``'); a missing key's value is None.  Keys are dotted
    (``fetch.concurrency``).
    """

    text: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    settings: list[tuple[str, Any]] = field(default_factory=list)
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)


def _leaves(data: dict, prefix: tuple[str, ...] = (), *, tracked: bool = False,
            empty_tables: bool = False) -> dict[tuple[str, ...], Any]:
    """``{(section, ..., key): value}`` of every value that is not a table; the
    top-level ``feeds``/``articles`` lists only when ``tracked``, and an empty
    table as the value ``{}`` when ``empty_tables``."""
    out: dict[tuple[str, ...], Any] = {}
    if empty_tables and not data and prefix:
        out[prefix] = {}
    for key, value in data.items():
        if not prefix and key in TRACKED_LISTS and not tracked:
            continue
        if isinstance(value, dict):
            out.update(_leaves(value, (*prefix, key), tracked=tracked, empty_tables=empty_tables))
        else:
            out[(*prefix, key)] = value
    return out


def _dotted(key: tuple[str, ...]) -> str:
    return ".".join(k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else f'"{k}"' for k in key)


def merge_config(base: str, ours: str, theirs: str) -> ConfigMerge:
    """Three-way merge of ``gitnews.toml`` texts: ``base`` (the common ancestor,
    "" when the file did not exist), ``ours`` (this archive's) and ``theirs``
    (the remote's).

    ``feeds`` and ``articles`` are merged with :func:`merge_tracked` (the union,
    removals kept).  Every other setting changed on one side only takes that
    side's value; one changed differently on both sides keeps ``theirs``' value
    and is listed in :attr:`ConfigMerge.conflicts`.  The result is ``theirs``
    edited with tomlkit, so its comments and layout are kept.  Raises
    :class:`ConfigError` when a text is not valid TOML, or the merged file is
    not a valid configuration (it names the problem).
    """
    import tomlkit

    values = []
    for name, text in (("the common ancestor's", base), ("this archive's", ours),
                       ("the remote's", theirs)):
        try:
            values.append(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{name} {CONFIG_NAME} is not valid TOML ({exc}); "
                              "fix it and try again") from None
    b, o, t = values
    doc = tomlkit.parse(theirs)
    merge = ConfigMerge(text=theirs)
    for key in TRACKED_LISTS:
        lists = [[u for u in side.get(key, []) if isinstance(u, str)]
                 if isinstance(side.get(key, []), list) else [] for side in (b, o, t)]
        merged = merge_tracked(*lists)
        if merged == lists[2]:
            continue
        merge.added += [u for u in merged if u not in lists[2]]
        merge.removed += [u for u in lists[2] if u not in merged]
        if key not in doc or not isinstance(doc[key], list):
            doc[key] = tomlkit.array()
        array = doc[key]
        for url in [u for u in lists[2] if u not in merged]:
            while url in array:
                array.remove(url)
        for url in merged:
            if url not in array:
                array.append(url)
        if len(array) > 1:
            array.multiline(True)
    lb, lo, lt = _leaves(b), _leaves(o), _leaves(t)
    for key in sorted(set(lb) | set(lo) | set(lt)):
        vb, vo, vt = (side.get(key, _MISSING) for side in (lb, lo, lt))
        if vo == vt or vo == vb:
            continue  # the same on both sides, or changed by theirs only
        if vt != vb:
            merge.conflicts.append((_dotted(key), None if vo is _MISSING else vo,
                                    None if vt is _MISSING else vt))
            continue
        table = doc
        for part in key[:-1]:
            if part not in table:
                if vo is _MISSING:
                    break
                table[part] = tomlkit.table()
            table = table[part]
        else:
            if vo is _MISSING:
                if key[-1] in table:
                    del table[key[-1]]
            else:
                table[key[-1]] = vo
            merge.settings.append((_dotted(key), None if vo is _MISSING else vo))
    merge.text = tomlkit.dumps(doc)
    try:
        parse_config(merge.text)
    except ConfigError as exc:
        raise ConfigError(f"the merge of this archive's and the remote's {CONFIG_NAME} is not "
                          f"valid ({exc}); merge the two by hand") from None
    return merge


def changed_keys(old: str, new: str) -> list[str]:
    """The dotted keys (``feeds``, ``fetch.timeout_s``, ``filters.hosts.example.com``)
    whose values differ between two ``gitnews.toml`` texts: set, changed or
    removed; sorted.  Empty when only comments or layout differ.  A text that is
    not valid TOML counts as empty.  Pure; never raises.
    """
    def flat(text: str) -> dict[str, Any]:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, TypeError, ValueError):
            return {}
        return {".".join(key): value
                for key, value in _leaves(data, tracked=True, empty_tables=True).items()}

    a, b = flat(old), flat(new)
    return sorted(k for k in set(a) | set(b)
                  if k not in a or k not in b or repr(a[k]) != repr(b[k]))  # repr: nan == nan
