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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from .errors import ConfigError

__all__ = ["CONFIG_NAME", "Config", "ArchiveSettings", "FetchSettings", "PublishSettings",
           "HookSettings", "load_config", "default_config_text", "parse_config", "edit_tracked"]

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
class Config:
    """The whole of ``gitnews.toml``.

    ``feeds``: feed URLs (RSS, Atom, JSON Feed) read on every run;
    ``articles``: single article URLs tracked without a feed.
    """

    feeds: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    hooks: HookSettings = field(default_factory=HookSettings)


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
    return _build(Config, data, "")


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
