"""Edits of ``gitnews.toml`` texts that keep the user's comments and layout (tomlkit).

:func:`edit_tracked` adds and removes tracked URLs (``gitnews add``/``remove``);
:func:`merge_config` merges two copies of the file edited apart (a pull of the
archive's remote), with :func:`merge_tracked` for the lists of URLs;
:func:`changed_keys` names the settings two texts set differently.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gitnews.config.load import parse_config
from gitnews.config.settings import CONFIG_NAME
from gitnews.errors import ConfigError

__all__ = ["edit_tracked", "merge_tracked", "ConfigMerge", "merge_config", "changed_keys",
           "TRACKED_LISTS"]


def edit_tracked(text: str, *, add_feeds: Sequence[str] = (), add_articles: Sequence[str] = (),
                 remove: Sequence[str] = (), add_sitemaps: Sequence[str] = (),
                 add_fronts: Sequence[str] = ()) -> tuple[str, list[str]]:
    """Edit the ``feeds``/``articles``/``sitemaps``/``fronts`` lists of a ``gitnews.toml`` text.

    Returns ``(new text, URLs actually added or removed)``; comments and layout
    are kept (tomlkit).  Raises ConfigError when ``text`` is invalid.
    """
    import tomlkit

    parse_config(text)  # validate before editing
    doc = tomlkit.parse(text)
    changed: list[str] = []
    for key, urls in (("feeds", add_feeds), ("articles", add_articles),
                      ("sitemaps", add_sitemaps), ("fronts", add_fronts)):
        if urls and key not in doc:
            doc[key] = tomlkit.array()
        for url in urls:
            if url not in doc[key]:
                doc[key].append(url)
                changed.append(url)
    for key in TRACKED_LISTS:
        for url in remove:
            while key in doc and url in doc[key]:
                doc[key].remove(url)
                if url not in changed:
                    changed.append(url)
    for key in TRACKED_LISTS:
        if key in doc and len(doc[key]) > 1:
            doc[key].multiline(True)
    return tomlkit.dumps(doc), changed


# -- three-way merge (two copies of the archive edited gitnews.toml) ---------------------------

#: The lists merged item by item (a set union with removals kept); every other value is
#: one setting, merged whole.
TRACKED_LISTS = ("feeds", "articles", "sitemaps", "fronts")

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
    settings: list[tuple[str, object]] = field(default_factory=list)
    conflicts: list[tuple[str, object, object]] = field(default_factory=list)


def _leaves(data: Mapping[str, object], prefix: tuple[str, ...] = (), *, tracked: bool = False,
            empty_tables: bool = False) -> dict[tuple[str, ...], object]:
    """``{(section, ..., key): value}`` of every value that is not a table; the
    top-level ``feeds``/``articles`` lists only when ``tracked``, and an empty
    table as the value ``{}`` when ``empty_tables``."""
    out: dict[tuple[str, ...], object] = {}
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
    for leaf in sorted(set(lb) | set(lo) | set(lt)):
        vb, vo, vt = (side.get(leaf, _MISSING) for side in (lb, lo, lt))
        if vo == vt or vo == vb:
            continue  # the same on both sides, or changed by theirs only
        if vt != vb:
            merge.conflicts.append((_dotted(leaf), None if vo is _MISSING else vo,
                                    None if vt is _MISSING else vt))
            continue
        table = doc
        for part in leaf[:-1]:
            if part not in table:
                if vo is _MISSING:
                    break
                table[part] = tomlkit.table()
            table = table[part]
        else:
            if vo is _MISSING:
                if leaf[-1] in table:
                    del table[leaf[-1]]
            else:
                table[leaf[-1]] = vo
            merge.settings.append((_dotted(leaf), None if vo is _MISSING else vo))
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
    def flat(text: str) -> dict[str, object]:
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, TypeError, ValueError):
            return {}
        return {".".join(key): value
                for key, value in _leaves(data, tracked=True, empty_tables=True).items()}

    a, b = flat(old), flat(new)
    return sorted(k for k in set(a) | set(b)
                  if k not in a or k not in b or repr(a[k]) != repr(b[k]))  # repr: nan == nan
