"""The archive's size: ``gitnews gc`` recomputes the deltas (as small as ``git repack
-adf``), and the housekeeping after each run keeps it near that as runs add their packs
(real git repositories, texts written through the real Transaction and fast-import)."""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gitnews.archive import maintenance
from gitnews.archive.repo import init_archive, open_archive

T0 = datetime(2024, 5, 1, tzinfo=UTC)
WORDS = ("news", "update", "minister", "said", "report", "city", "council", "market", "rates",
         "storm", "court", "vote", "school", "health", "plan", "budget")


def _text(article: int, version: int) -> str:
    """~3 KB of prose per article; each version changes a few words of it."""
    rng = random.Random(f"a{article}")
    words = [rng.choice(WORDS) for _ in range(500)]
    for v in range(2, version + 1):
        edit = random.Random(f"a{article}v{v}")
        words[edit.randrange(len(words))] = f"edit{v}"
    return f"Headline {article}\n\n" + " ".join(words) + "\n"


def _run(archive: Path, articles: range, version: int, when: datetime) -> None:
    """One transaction (one fast-import stream, one pack) writing ``version`` of
    each of ``articles``, ending with a run's housekeeping."""
    with open_archive(archive) as arc:
        tx = arc.transaction()
        for i in articles:
            tx.commit({f"example.com/{i}.txt": _text(i, version)},
                      message=f"Changed: Headline {i}\n", when=when)
        tx.finish()
        assert maintenance.after_run(arc, tx) is None


def _size(archive: Path) -> int:
    stats = maintenance.object_stats(archive)
    return stats.pack_bytes + stats.loose_bytes


def _repacked(archive: Path, tmp: Path) -> int:
    copy = tmp / "copy"
    shutil.copytree(archive, copy, symlinks=True)
    subprocess.run(["git", "-C", str(copy), "repack", "-adfq"], check=True)
    size = _size(copy)
    shutil.rmtree(copy)
    return size


def test_gc_is_as_small_as_repack_adf_and_runs_keep_it_near(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0)
    for v in range(1, 4):  # 3 versions of 150 articles, as fast-import packs them
        _run(archive, range(150), v, T0 + timedelta(hours=v))
    with open_archive(archive) as arc:
        report = maintenance.gc(arc)
    assert report.after.packs == 1
    assert _size(archive) <= 1.1 * _repacked(archive, tmp_path)
    orphan = subprocess.run(["git", "-C", str(archive), "hash-object", "-w", "--stdin"],
                            input="written by an interrupted run\n", text=True, check=True,
                            capture_output=True).stdout.strip()
    sizes = []
    for v in range(4, 10):  # runs that change a third of the articles each
        _run(archive, range((v % 3) * 50, (v % 3) * 50 + 50), v, T0 + timedelta(days=v))
        sizes.append(_size(archive))
        assert sizes[-1] <= 1.1 * _repacked(archive, tmp_path), sizes
    assert len(maintenance._packs(archive / ".git")) <= 2
    # Nothing reachable or recent was dropped.
    subprocess.run(["git", "-C", str(archive), "cat-file", "-e", orphan], check=True)
    subprocess.run(["git", "-C", str(archive), "fsck", "--no-progress"], check=True,
                   capture_output=True)


def test_packs_outgrown_compares_the_other_packs_with_the_largest(tmp_path):
    archive = init_archive(tmp_path / "a", now=T0)
    _run(archive, range(100), 1, T0)
    with open_archive(archive) as arc:
        maintenance.gc(arc)
    assert not maintenance.packs_outgrown(archive)  # one pack
    with open_archive(archive) as arc:  # a run without its housekeeping: a second pack
        tx = arc.transaction()
        for i in range(60):
            tx.commit({f"example.com/{i}.txt": _text(i, 2)}, message="Changed: x\n", when=T0)
        tx.finish()
    packs = maintenance._packs(archive / ".git")
    assert len(packs) == 2
    share = packs[0].stat().st_size / packs[1].stat().st_size
    assert maintenance.packs_outgrown(archive) == (share > maintenance.PACK_GROWTH)
