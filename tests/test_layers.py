"""The direction of imports between gitnews's packages: what keeps the house standing.

The packages follow the pipeline, lowest first; a module may import only from its own
package and from the packages before it (imports under ``if TYPE_CHECKING:`` are for
annotations only and are not counted).  Every package says so in its docstring.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gitnews"

#: Lowest first.  Entries on one line are siblings: neither imports the other.
LAYERS: list[tuple[str, ...]] = [
    ("_version", "format"),
    ("errors", "models"),
    ("config",),
    ("sources", "pagetext"),
    ("archive",),
    ("versions",),
    ("output",),
    ("ops",),
    ("collection",),
    ("fleet",),
    ("cli",),
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}

#: The imports that go up, each with its reason.  Keep this list short.
EXCEPTIONS = {
    # The settings are checked when gitnews.toml is read: the schedule's rules
    # (Policy.from_settings: tiers, back-off, feed-interval floor) and the per-site CSS/XPath
    # rules (lxml compilation) are the checks, and copying them would give two rules.
    ("config", "gitnews.versions.schedule.Policy"),
    ("config", "gitnews.pagetext.siterules.parse_sites"),
}


def part_of(module: str) -> str | None:
    """The layer a ``gitnews.x.y`` module belongs to (None for the package's face)."""
    parts = module.split(".")
    if parts[0] != "gitnews" or len(parts) == 1:
        return None
    return parts[1] if parts[1] in RANK else None


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every gitnews import that runs (top level or in a function)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, a.name) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    target = f"{base}.{child.module}" if child.module else base
                else:
                    target = child.module or ""
                # "from gitnews.x import y" may import the submodule y
                found.extend((child.lineno, f"{target}.{a.name}") for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return [(line, name) for line, name in found if name.startswith("gitnews.")]


def test_every_package_is_a_layer():
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert packages | modules == set(RANK)


@pytest.mark.parametrize("name", [n for names in LAYERS for n in names])
def test_each_package_says_what_it_may_import(name):
    module = importlib.import_module(f"gitnews.{name}")
    doc = module.__doc__ or ""
    assert len(doc.split()) >= 15, f"gitnews.{name} needs a docstring saying what lives there"
    if (PACKAGE / name).is_dir():
        assert "import" in doc, f"gitnews.{name}'s docstring should say what it may import"


def test_imports_go_down_the_pipeline_only():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = part_of(module_name(path))
        if source is None:
            continue
        for line, target in runtime_imports(path):
            layer = part_of(target)
            if layer is None or layer == source or (source, target) in EXCEPTIONS:
                continue
            if RANK[layer] >= RANK[source]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports "
                             f"{target} ({layer} is not below {source})")
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "gitnews" / "format" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import gitnews.ops\n"
                   "def f():\n    from gitnews.archive.store import Transaction\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "gitnews"
    try:
        assert [t for _, t in runtime_imports(bad)] == ["gitnews.archive.store.Transaction"]
    finally:
        PACKAGE = saved
