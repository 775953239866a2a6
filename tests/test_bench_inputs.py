"""The benchmark's input builders (benchmarks/inputs.py, benchmarks/scale.py): the fast
paths give the same bytes as the plain ones, and shared archives are built once."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import inputs  # noqa: E402
import scale  # noqa: E402


def test_history_texts_are_each_versions_text() -> None:
    """The incremental texts of history_commits equal ArticleSpec.text(version)."""
    site = inputs.Site(30, seed="t")
    seen: dict[str, int] = {}
    by_path = {}
    from gitnews.format.paths import article_path

    for spec in site:
        by_path[article_path(spec.url)] = spec
    for c in inputs.history_commits(site, commits=150, removed=2):
        v = seen[c.path] = seen.get(c.path, 0) + 1
        spec = by_path[c.path]
        if c.data is not None:
            assert c.data == spec.text(v).encode()
            assert c.message == inputs.version_message(
                spec.url, spec.headline, v, datetime.fromtimestamp(c.when, UTC),
                byline=spec.byline, published=spec.published)


def test_short_texts() -> None:
    spec = inputs.Site(3, seed="t").article(2)
    paras = spec.paragraphs(1)
    assert spec.short_text(4) == f"{spec.headline}\n\n{paras[0]}\n\nVersion 4. {paras[1]}\n"


def test_scale_history_messages_are_gitnews_format() -> None:
    """Every message of the scale history equals inputs.version_message; at most
    MAX_VERSIONS - 1 versions an article; one version 1 per article, first."""
    commits = list(scale.history(400, 80, check=400))
    assert len(commits) == 400
    counts: dict[str, int] = {}
    for k, c in enumerate(commits):
        counts[c.path] = counts.get(c.path, 0) + 1
        assert c.message.startswith(b"New: " if k < 80 else b"Changed: ")
        assert f"Version: {counts[c.path]}\n".encode() in c.message
    assert len(counts) == 80
    assert max(counts.values()) <= inputs.MAX_VERSIONS - 1
    with pytest.raises(ValueError):
        next(scale.history(10, 20))


def test_shared_archive_built_once_and_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "SHARED_ARCHIVES", tmp_path / "shared")
    monkeypatch.setattr(inputs, "SHARED_BUILD_S", {})
    monkeypatch.setattr(inputs, "SHARED_USES", {})
    (tmp_path / "shared").mkdir()
    a = inputs.shared_archive(articles=10, commits=25, short=True, seed="t")
    b = inputs.shared_archive(articles=10, commits=25, short=True, seed="t")
    assert a == b and list(inputs.SHARED_BUILD_S) == ["t-10-25-short"]
    assert inputs.SHARED_USES["t-10-25-short"] == 2
    copy = inputs.shared_archive(articles=10, commits=25, short=True, seed="t",
                                 fresh=tmp_path / "copy")
    assert copy == tmp_path / "copy"
    head = inputs.head(a)
    assert inputs.head(copy) == head
    count = subprocess.run(["git", "-C", str(a), "rev-list", "--count", "HEAD"], check=True,
                           capture_output=True, text=True).stdout.strip()
    assert count == "26"  # the initial commit and the 25 versions
    assert not (copy / ".git" / "gitnews-benchmark-complete").exists()
    assert (a / ".git" / "gitnews" / "state.sqlite").exists()
