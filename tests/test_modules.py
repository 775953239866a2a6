"""Every module of the package imports, and every import written inside a function
resolves (those fail only when the function is called, so a moved module could hide
behind one for a long time)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gitnews"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# gitnews.__main__ runs the command line when imported: test_startup runs it.
MODULES = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if p.name != "__main__.py")


def absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{base}.{node.module}" if node.module else base


def inner_imports() -> list[tuple[str, int, str, str | None]]:
    """``(module, line, imported module, name or None)`` for each import inside a function."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    found += [(module, node.lineno, a.name, None) for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    target = absolute(module, path, node)
                    found += [(module, node.lineno, target, a.name) for a in node.names]
    return found


def test_the_package_has_the_modules_of_its_layout():
    assert len(MODULES) > 40
    for package in ("format", "sources", "pagetext", "archive", "versions", "ops", "output", "cli"):
        assert f"gitnews.{package}" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_every_module_imports(name):
    importlib.import_module(name)


def test_every_import_inside_a_function_resolves():
    imports = inner_imports()
    assert any(target.startswith("gitnews.") for _, _, target, _ in imports)  # the walk works
    broken = []
    for module, line, target, name in imports:
        try:
            imported = importlib.import_module(target)
            if name is not None and not hasattr(imported, name):
                importlib.import_module(f"{target}.{name}")
        except ImportError as exc:
            broken.append(f"{module}:{line}: {target} {name or ''}: {exc}")
    assert not broken, "\n".join(broken)
