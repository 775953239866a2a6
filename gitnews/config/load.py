"""``gitnews.toml`` text -> :class:`~gitnews.config.settings.Config`: parse, check, load.

The text is read with :mod:`tomllib`; each ``[section]`` is built into its
dataclass, checking every key's type.  Unknown keys, wrong types and values out
of range raise :class:`~gitnews.errors.ConfigError` naming the key and, where it
can be found, the line (for TOML syntax errors, the line and column that
tomllib reports).
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, get_args, get_type_hints

from gitnews.config.settings import CONFIG_NAME, Config
from gitnews.errors import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["parse_config", "load_config", "RANGES"]

#: A settings dataclass (:mod:`gitnews.config.settings`).
_Settings = TypeVar("_Settings", bound="DataclassInstance")


def _check_type(value: object, hint: object, where: str) -> object:
    """``value`` as read from TOML, checked against the type ``hint`` of the key
    ``where`` (an int is taken as a float; a table is built into its dataclass);
    raises ConfigError."""
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    origin = getattr(hint, "__origin__", None)
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {type(value).__name__}")
        return [_check_type(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, not {type(value).__name__}")
        return value
    if isinstance(hint, type) and hint in (str, int, float, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ConfigError(f"{where} must be {hint.__name__}, not {type(value).__name__} "
                              f"({value!r})")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"[{where}] must be a table")
        return _build(hint, value, where)
    return value  # unions and other hints: accepted as written


def _build(cls: type[_Settings], data: Mapping[str, object], where: str) -> _Settings:
    """The dataclass ``cls`` built from the table ``data`` (found at ``where``);
    raises ConfigError for an unknown key or a value of the wrong type."""
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {where or 'the top level'} of "
                          f"{CONFIG_NAME}; known keys: {', '.join(sorted(names))}")
    kwargs = {k: _check_type(v, hints[k], f"{where}.{k}" if where else k) for k, v in data.items()}
    build: Callable[..., _Settings] = cls
    return build(**kwargs)


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


_PART = r'(?:[A-Za-z_][\w-]*|"[^"]*")'
_KEY_IN_MESSAGE = re.compile(rf"^(?:unknown key '([^']+)' in ({_PART}(?:\.{_PART})*|the)"
                             rf"|\[?({_PART}(?:\.{_PART})*))")


def _dotted(text: str) -> list[str]:
    """A TOML dotted key -> its parts, quotes removed (``sources."https://a.b/x".include``
    -> ``["sources", "https://a.b/x", "include"]``)."""
    return [a or b.strip() for a, b in re.findall(r'\s*"([^"]*)"\s*|([^."]+)', text)]


def _line_of(text: str, message: str) -> int | None:
    """The line (1-based) of ``text`` that sets the key a ConfigError message names
    (tomllib gives no positions for values, so the text is searched: the table header,
    then the key's line in that table; quoted keys such as ``[sources."URL"]`` too)."""
    m = _KEY_IN_MESSAGE.match(message)
    if not m:
        return None
    table: list[str] | None = None
    if m.group(1):
        section, key = ([] if m.group(2) == "the" else _dotted(m.group(2))), m.group(1)
    else:
        parts = _dotted(m.group(3))
        section, key = parts[:-1], parts[-1]
        if message.startswith("["):  # "[fetch] must be a table": the table's own line
            table = parts
    current: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r'^\[\s*((?:[^\[\]"]|"[^"]*")+?)\s*\]', stripped)
        if header:
            current = _dotted(header.group(1))
            if current in (table, [*section, key]):  # a table of that name
                return number
            continue
        if current == section and re.match(
                rf"^[\"']?{re.escape(key)}[\"']?\s*=", stripped):
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
