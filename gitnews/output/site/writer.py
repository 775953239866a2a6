"""Writing the site's files incrementally: :class:`SiteWriter` (a file is written
only when its key changed or it is missing, and only when its bytes differ), the
manifest (``.gitnews-site.json``: each file's key), and the keys themselves
(:func:`file_key`, :func:`template_sources`)."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

from gitnews.errors import SiteError
from gitnews.output.sitelayout import MANIFEST

__all__ = ["SiteWriter", "file_key", "load_manifest", "load_manifest_doc", "check_outdir",
           "template_sources", "all_present"]


def file_key(*parts: object) -> str:
    """A short hash of ``parts``: the key of what a file of the site is made from."""
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


class SiteWriter:
    """Writes files under ``outdir`` when their key changed; keeps the new manifest."""

    def __init__(self, outdir: Path, old: dict[str, str]) -> None:
        self.outdir = outdir
        self._root = str(outdir)
        self.old = old
        self.new: dict[str, str] = {}
        self.written: list[str] = []
        self._dirs: set[Path] = set()

    def needs(self, rel: str, key: str) -> bool:
        """Record ``rel``'s key; True when it must be (re)rendered."""
        self.new[rel] = key
        return self.old.get(rel) != key or not os.path.isfile(os.path.join(self._root, rel))

    def put(self, rel: str, data: str | bytes) -> None:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target = self.outdir / rel
        try:
            if rel in self.old:  # written before: leave it alone when the bytes are the same
                try:
                    if target.stat().st_size == len(raw) and target.read_bytes() == raw:
                        return
                except FileNotFoundError:
                    pass
            if target.parent not in self._dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(target.parent)
            tmp = target.with_name(target.name + ".gitnews-tmp")
            tmp.write_bytes(raw)
            os.replace(tmp, target)
        except OSError as exc:
            raise SiteError(f"could not write {target}: {exc.strerror or exc}; check that the "
                            "folder is writable and the disk has room, then run "
                            "`gitnews site` again") from None
        self.written.append(rel)

    def put_atomic(self, rel: str, text: str) -> None:
        """Write ``rel`` (not part of the site's files: the manifest) in one step,
        unless it already holds ``text`` (a run that changes nothing writes nothing)."""
        target = self.outdir / rel
        tmp = target.with_name(target.name + ".gitnews-tmp")
        try:
            if target.read_text(encoding="utf-8") == text:
                return
        except (OSError, ValueError):
            pass
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except OSError as exc:
            raise SiteError(f"could not write {target}: {exc.strerror or exc}; check that the "
                            "folder is writable, then run `gitnews site` again") from None

    def remove_stale(self) -> list[str]:
        """Remove the files of the old manifest that the new one lacks (and their
        folders left empty); the site-relative paths removed."""
        removed: list[str] = []
        for rel in sorted(set(self.old) - set(self.new)):
            target = self.outdir / rel
            try:
                target.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                continue
            removed.append(rel)
            parent = target.parent
            while parent != self.outdir:
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent
        return removed


def load_manifest_doc(outdir: Path) -> dict[str, object]:
    """The whole manifest of an earlier run (a JSON object; {} when there is none or it
    cannot be read)."""
    try:
        doc = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def load_manifest(outdir: Path, doc: dict[str, object] | None = None) -> dict[str, str]:
    """The ``files`` of the manifest of an earlier run ({} when there is none);
    ``doc``: the manifest already read (:func:`load_manifest_doc`)."""
    if doc is None:
        doc = load_manifest_doc(outdir)
    pages = doc.get("files")
    if not isinstance(pages, dict):
        return {}
    return {str(k): str(v) for k, v in pages.items()}


def all_present(outdir: Path, files: dict[str, str]) -> bool:
    """Whether every file of ``files`` (site-relative paths) is still in ``outdir``
    (one ``listdir`` per folder rather than a ``stat`` per file, about half the CPU
    time: a page removed by hand is written again by the next run)."""
    root = str(outdir)
    by_dir: dict[str, list[str]] = {}
    for rel in files:
        folder, _, name = rel.rpartition("/")
        by_dir.setdefault(folder, []).append(name)
    for folder, names in by_dir.items():
        try:
            present = set(os.listdir(f"{root}/{folder}" if folder else root))
        except OSError:
            return False
        if not present.issuperset(names):
            return False
    return True


def check_outdir(outdir: Path) -> None:
    """Refuse a file, or a folder holding other files than a site made by gitnews."""
    if outdir.exists() and not outdir.is_dir():
        raise SiteError(f"{outdir} is a file, not a folder; give a new or empty folder for "
                        "the site", usage=True)
    if outdir.is_dir() and not (outdir / MANIFEST).exists():
        others = sorted(p.name for p in outdir.iterdir())
        if others:
            raise SiteError(
                f"{outdir} already holds other files ({', '.join(others[:3])}"
                f"{', …' if len(others) > 3 else ''}) and no site made by gitnews; give a new "
                "or empty folder for the site (gitnews never overwrites files it did not "
                "write)", usage=True)


def template_sources() -> str:
    """The text of every template the site uses (part of each file's key)."""
    root = resources.files("gitnews.output").joinpath("templates")
    parts: list[str] = []
    for name in ("diff_table.html.j2", "diff_table.css", "feed_entry.html.j2"):
        parts.append(root.joinpath(name).read_text(encoding="utf-8"))
    site = root.joinpath("site")
    for item in sorted(site.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".j2"):
            parts.append(item.name + "\n" + item.read_text(encoding="utf-8"))
    return "\n".join(parts)

