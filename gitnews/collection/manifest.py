"""The collection's manifest, ``gitnews-collection.toml``: which archives the collection holds.

A collection is a folder of ordinary gitnews archives, one per site (the registrable
domain by the Public Suffix List: :func:`gitnews.format.sites.site_of`), with this file
at its top (docs/scaling.md, "The collection folder")::

    # A gitnews collection: one archive per site (docs/scaling.md).
    [collection]
    format = 1
    # Each archive's git remote is remote_base + its folder + ".git" (optional).
    remote_base = "git@github.com:example-news/"

    [archives."bbc.co.uk"]
    path = "bbc.co.uk"          # the archive's folder, relative to the collection
    remote = "git@github.com:example-news/bbc.co.uk.git"   # optional

The archive of site ``S`` lives in the folder ``S`` (a registrable domain is a valid
folder name on every system gitnews runs on).  The file is read with :mod:`tomllib`
and written with tomlkit (comments and layout kept).  A wrong file raises
:class:`~gitnews.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from gitnews.errors import ArchiveError, ConfigError, GitnewsError
from gitnews.format.sites import site_of
from gitnews.format.urls import canonical_url

__all__ = ["MANIFEST_NAME", "FORMAT", "Member", "Manifest", "is_collection", "read_manifest",
           "init_collection", "add_member", "site_for_url"]

#: The manifest's file name, at the top of the collection folder.
MANIFEST_NAME = "gitnews-collection.toml"
#: The manifest's ``[collection] format`` that this gitnews writes and reads.
FORMAT = 1

_TEMPLATE = """\
# A gitnews collection: one gitnews archive per site (registrable domain), each an
# ordinary archive in the folder named after its site (docs/scaling.md).
# `gitnews add URL --archive THIS_FOLDER` routes each URL to its site's archive.
[collection]
format = 1
# Each archive's git remote is remote_base + its folder + ".git" (the workers of
# `celery -A gitnews.fleet worker` clone and push there).  Leave it out for none.
# remote_base = "git@github.com:example-news/"

[archives]
"""


@dataclass(frozen=True)
class Member:
    """One archive of a collection: ``site`` (registrable domain), ``path`` (absolute
    folder of this machine's copy), ``remote`` (git URL, or None: no remote)."""

    site: str
    path: Path
    remote: str | None = None


@dataclass
class Manifest:
    """A collection read from its manifest: ``root`` (the folder), ``remote_base``
    (str or None) and the ``members`` by site, in the file's order."""

    root: Path
    remote_base: str | None = None
    members: dict[str, Member] = field(default_factory=dict)

    def member(self, site: str) -> Member:
        """The member for ``site`` (a registrable domain); not recorded yet: the one it
        would be (folder ``site``, remote from ``remote_base``)."""
        found = self.members.get(site)
        if found is not None:
            return found
        remote = f"{self.remote_base}{site}.git" if self.remote_base else None
        return Member(site=site, path=self.root / site, remote=remote)


def is_collection(path: Path | str) -> bool:
    """True when ``path`` is a folder with a collection manifest."""
    return (Path(path) / MANIFEST_NAME).is_file()


def site_for_url(url: str) -> str:
    """The site (registrable domain) whose archive ``url`` belongs to: the canonical
    URL's host, by :func:`gitnews.format.sites.site_of` (the rule of URL identity).

    Raises :class:`~gitnews.errors.GitnewsError` for a URL that is not http(s)."""
    host = urlsplit(canonical_url(url)).hostname
    if not host:
        raise GitnewsError(f"{url}: no host name; give an http(s) URL")
    return site_of(host)


def read_manifest(root: Path | str) -> Manifest:
    """The collection at ``root``.  Raises :class:`~gitnews.errors.ArchiveError` when
    there is none, :class:`~gitnews.errors.ConfigError` when the manifest is wrong."""
    root = Path(root).resolve()
    path = root / MANIFEST_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError(f"{root} is not a gitnews collection (no {MANIFEST_NAME}); "
                           f"create one with `gitnews init --collection {root}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}; fix the file") from None
    head = data.get("collection", {})
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise ConfigError(f"{path}: [collection] format must be {FORMAT} (this gitnews reads "
                          "that format only)")
    base = head.get("remote_base")
    if base is not None and not isinstance(base, str):
        raise ConfigError(f"{path}: [collection] remote_base must be a string")
    manifest = Manifest(root=root, remote_base=base or None)
    archives = data.get("archives", {})
    if not isinstance(archives, dict):
        raise ConfigError(f"{path}: [archives] must be a table of sites")
    for site, entry in archives.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path", site), str):
            raise ConfigError(f"{path}: archives.{site!r} must be a table with a string path")
        remote = entry.get("remote", manifest.member(site).remote)
        if remote is not None and not isinstance(remote, str):
            raise ConfigError(f"{path}: archives.{site!r}.remote must be a string")
        folder = (root / str(entry.get("path", site))).resolve()
        if root not in folder.parents:
            raise ConfigError(f"{path}: archives.{site!r}.path must be a folder inside the "
                              "collection")
        manifest.members[site] = Member(site=site, path=folder, remote=remote)
    return manifest


def init_collection(root: Path | str, *, remote_base: str | None = None) -> Manifest:
    """Create a collection at ``root`` (the folder and its manifest).  Raises
    :class:`~gitnews.errors.ArchiveError` when ``root`` already holds a collection or
    a gitnews archive."""
    import tomlkit

    root = Path(root)
    if is_collection(root):
        raise ArchiveError(f"{root} is already a gitnews collection; use it as it is")
    if (root / "gitnews.toml").exists():
        raise ArchiveError(f"{root} is a gitnews archive; make the collection in another folder")
    root.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.parse(_TEMPLATE)
    if remote_base:
        doc["collection"]["remote_base"] = remote_base
    (root / MANIFEST_NAME).write_text(tomlkit.dumps(doc), encoding="utf-8")
    return read_manifest(root)


def add_member(manifest: Manifest, member: Member) -> None:
    """Record ``member`` in the manifest file (and in ``manifest``); kept as it is when
    its site is there already.  The file is replaced atomically (write, then rename)."""
    import os

    import tomlkit

    if member.site in manifest.members:
        return
    path = manifest.root / MANIFEST_NAME
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    table = tomlkit.inline_table()
    table["path"] = os.path.relpath(member.path, manifest.root)
    if member.remote and member.remote != manifest.member(member.site).remote:
        table["remote"] = member.remote
    archives = doc.setdefault("archives", tomlkit.table())
    archives[member.site] = table
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomlkit.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)
    manifest.members[member.site] = member
