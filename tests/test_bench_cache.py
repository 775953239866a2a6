"""The benchmark driver's time savers (benchmarks/inputs.py, benchmarks/run.py): built
inputs kept between runs (``--inputs-cache``), copies that hard-link git's objects, and
the cases that run only with ``--all``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import inputs  # noqa: E402


@pytest.fixture
def cache_dir(tmp_path: Path) -> Iterator[Path]:
    old = inputs.INPUTS_CACHE
    inputs.INPUTS_CACHE = tmp_path / "cache"
    try:
        yield inputs.INPUTS_CACHE
    finally:
        inputs.INPUTS_CACHE = old


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


class Builder:
    """Builds a small real archive (raw fast-import) and counts its calls."""

    def __init__(self, seed: str = "cache") -> None:
        self.calls = 0
        self.seed = seed

    def __call__(self, path: Path) -> None:
        self.calls += 1
        inputs.fast_import_archive(path, inputs.history_commits(
            inputs.Site(6, seed=self.seed), commits=12, text_for=inputs.ArticleSpec.short_text))


def _tracked(repo: Path) -> dict[str, str]:
    """path -> blob id of HEAD's tree."""
    rows = _git(repo, "ls-tree", "-r", "HEAD").splitlines()
    return {r.split("\t")[1]: r.split()[2] for r in rows}


def test_without_cache_it_builds(tmp_path: Path) -> None:
    assert inputs.INPUTS_CACHE is None
    build = Builder()
    assert inputs.cached_build("k", tmp_path / "a", build) == tmp_path / "a"
    inputs.cached_build("k", tmp_path / "b", build)
    assert build.calls == 2
    assert inputs.head(tmp_path / "a") == inputs.head(tmp_path / "b")


def test_second_run_copies_the_same_archive(tmp_path: Path, cache_dir: Path) -> None:
    build = Builder()
    first = inputs.cached_build("small-6-12", tmp_path / "first", build)
    second = inputs.cached_build("small-6-12", tmp_path / "second", build)
    assert build.calls == 1
    assert inputs.head(first) == inputs.head(second)
    assert _tracked(first) == _tracked(second)
    # The working tree and the cache came along: the copy is a whole archive.
    assert (second / "gitnews.toml").read_bytes() == (first / "gitnews.toml").read_bytes()
    for path in _tracked(first):
        assert (second / path).read_bytes() == (first / path).read_bytes()
    assert sorted(p.name for p in (second / ".git").iterdir()) == sorted(
        p.name for p in (first / ".git").iterdir())
    _git(second, "fsck", "--strict")
    assert _git(second, "status", "--porcelain") == ""


def test_other_key_or_code_builds_again(tmp_path: Path, cache_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    build = Builder()
    inputs.cached_build("a-6-12", tmp_path / "one", build)
    inputs.cached_build("b-6-12", tmp_path / "two", build)
    assert build.calls == 2
    monkeypatch.setattr(inputs, "_fingerprint", "0" * 16)  # as if inputs.py had changed
    inputs.cached_build("a-6-12", tmp_path / "three", build)
    assert build.calls == 3


def test_a_half_built_entry_is_not_reused(tmp_path: Path, cache_dir: Path) -> None:
    build = Builder()
    inputs.cached_build("k", tmp_path / "one", build)
    entry = cache_dir / f"k-{inputs.inputs_fingerprint()}"
    entry.with_name(entry.name + ".complete").unlink()  # as if stopped while copying
    inputs.cached_build("k", tmp_path / "two", build)
    assert build.calls == 2
    assert entry.with_name(entry.name + ".complete").exists()


def test_bad_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="key"):
        inputs.cached_build("a/b", tmp_path / "x", Builder())


def test_fingerprint_is_stable() -> None:
    assert inputs.inputs_fingerprint() == inputs.inputs_fingerprint()
    assert len(inputs.inputs_fingerprint()) == 16


def test_writing_to_a_copy_leaves_the_source_whole(tmp_path: Path) -> None:
    """copy_tree hard-links git's objects only: a commit, a gc and edits in the copy
    change nothing in the source (its files, its cache, its objects)."""
    src = tmp_path / "src"
    Builder()(src)
    before = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    dst = inputs.copy_tree(src, tmp_path / "dst")
    objects = [p for p in (src / ".git" / "objects").rglob("*") if p.is_file()
               and p.parent.name not in ("info",)]
    assert objects
    for obj in objects:  # hard-linked, not copied
        assert (dst / obj.relative_to(src)).stat().st_ino == obj.stat().st_ino
    cache = next(p for p in (src / ".git").rglob("*") if p.suffix in (".db", ".sqlite"))
    twin_cache = dst / cache.relative_to(src)
    assert twin_cache.stat().st_ino != cache.stat().st_ino  # changed in place: a copy
    (dst / "gitnews.toml").write_text("edited\n", encoding="utf-8")
    _git(dst, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "edit")
    _git(dst, "gc", "--prune=now", "--quiet")
    with open(twin_cache, "ab") as f:
        f.write(b"x")
    after = {p: p.read_bytes() for p in src.rglob("*") if p.is_file()}
    assert after == before
    _git(src, "fsck", "--strict")
    assert inputs.head(src) != inputs.head(dst)


def _run_module():
    import importlib

    return importlib.import_module("run")


def test_default_run_leaves_out_the_cases_without_targets() -> None:
    run = _run_module()
    plain = argparse.Namespace(scale=False, case=None, all=False)
    every = argparse.Namespace(scale=False, case=None, all=True)
    chosen = run.selected_cases(plain)
    assert set(run.NOT_TARGETS) <= set(run.CASES)
    assert not set(chosen) & set(run.NOT_TARGETS)
    assert chosen == [k for k in run.CASES if k not in run.NOT_TARGETS]
    assert run.selected_cases(every) == list(run.CASES)
    named = argparse.Namespace(scale=False, case=["fleet", "store"], all=False)
    assert run.selected_cases(named) == ["fleet", "store"]
    assert run.selected_cases(argparse.Namespace(scale=True, case=None, all=False)) == ["scale"]
