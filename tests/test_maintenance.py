"""Archive housekeeping: ``gitnews gc``, the commit-graph written after runs, and a run on a
copied archive (real git repositories; the run through the loopback replay server)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

from conftest import DATA, git, run_gitnews

from gitnews.archive import maintenance
from gitnews.archive.repo import init_archive, open_archive

SEED_FEED = "http://www.theguardian.com/society/rss"


def _small_runs(archive, n: int) -> None:
    """``n`` small transactions: git fast-import writes small packs as loose objects
    (fastimport.unpackLimit), as a run with few changes does."""
    with open_archive(archive) as arc:
        for i in range(n):
            with arc.transaction() as tx:
                tx.commit({f"example.com/{i}.txt": f"Headline {i}\n\nText {i}.\n"},
                          message=f"New: Headline {i}\n", when=datetime.now(UTC))


def _unreachable_object(repo) -> str:
    return subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
                          input="written by an interrupted run\n", text=True, check=True,
                          capture_output=True).stdout.strip()


def test_gc_packs_loose_objects_and_writes_bloom_filters(tmp_path):
    archive = init_archive(tmp_path / "a")
    _small_runs(archive, 3)
    orphan = _unreachable_object(archive)
    head = git(archive, "rev-parse", "HEAD")
    before = maintenance.object_stats(archive)
    assert before.loose > 10

    with open_archive(archive) as arc:
        report = maintenance.gc(arc)

    assert report.before == before
    assert report.after.packs == 1
    assert report.after.loose == 1  # only the unreachable object, kept for git's grace period
    subprocess.run(["git", "-C", str(archive), "cat-file", "-e", orphan], check=True)
    assert report.bloom_filters and maintenance.has_commit_graph(archive, bloom=True)
    info = archive / ".git" / "objects" / "info"
    assert (info / "commit-graph").is_file()  # one file again, the split layers merged
    assert not list(info.glob("commit-graphs/graph-*.graph"))
    assert git(archive, "rev-parse", "HEAD") == head  # history untouched
    assert git(archive, "status", "--porcelain") == ""
    subprocess.run(["git", "-C", str(archive), "fsck", "--no-progress"], check=True,
                   capture_output=True)
    subprocess.run(["git", "-C", str(archive), "commit-graph", "verify"], check=True,
                   capture_output=True)


def test_gc_command(tmp_path):
    archive = init_archive(tmp_path / "a")
    _small_runs(archive, 1)
    out = run_gitnews("gc", "--archive", str(archive), check=True)
    assert "-> 0 loose + 1 pack(s)" in out.stdout
    assert "Bloom filters" in out.stdout
    assert maintenance.has_commit_graph(archive)

    missing = run_gitnews("gc", "--archive", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "no gitnews archive" in missing.stderr


def test_transactions_keep_the_commit_graph_and_after_run_packs_when_due(tmp_path):
    archive = init_archive(tmp_path / "a")
    chain = archive / ".git" / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    assert chain.read_text().split() and maintenance.has_commit_graph(archive, bloom=True)
    # Every run writes a pack (as big runs do), and git says packing is due at 3 packs.
    subprocess.run(["git", "-C", str(archive), "config", "fastimport.unpackLimit", "0"],
                   check=True)
    subprocess.run(["git", "-C", str(archive), "config", "gc.autoPackLimit", "2"], check=True)
    _small_runs(archive, 3)
    subprocess.run(["git", "-C", str(archive), "commit-graph", "verify"], check=True,
                   capture_output=True)
    assert maintenance.has_commit_graph(archive, bloom=True)

    before = maintenance.object_stats(archive)
    assert before.packs >= 3
    with open_archive(archive) as arc:
        empty = arc.transaction()
        empty.finish(graph_in_background=True)
        assert maintenance.after_run(arc, empty) is None  # nothing committed: nothing done
        assert maintenance.object_stats(archive) == before

        tx = arc.transaction()
        tx.commit({"example.com/late.txt": "Late\n\nText.\n"}, message="New: Late\n",
                  when=datetime.now(UTC))
        tx.finish(graph_in_background=True)
        assert maintenance.after_run(arc, tx) is None  # waits for the layer; packing is due
    assert maintenance.object_stats(archive).packs == 1
    graph = subprocess.run(["git", "-C", str(archive), "commit-graph", "verify"], check=True,
                           capture_output=True, text=True)
    assert maintenance.has_commit_graph(archive, bloom=True)
    # The new commit is in the graph: git log reads it from there (trace2 counts the lookups).
    assert not graph.stderr.strip()
    subprocess.run(["git", "-C", str(archive), "fsck", "--no-progress"], check=True,
                   capture_output=True)


def test_after_run_reports_instead_of_raising(tmp_path):
    archive = init_archive(tmp_path / "a")
    with open_archive(archive) as arc:
        tx = arc.transaction()
        tx.commit({"example.com/a.txt": "A\n\nText.\n"}, message="New: A\n",
                  when=datetime.now(UTC))
        tx.finish()
        shutil.rmtree(archive / ".git" / "objects")  # git cannot work here any more
        message = maintenance.after_run(arc, tx)
    assert message and "git gc --auto failed" in message


def test_run_writes_the_commit_graph_and_works_on_a_copied_archive(replay, tmp_path):
    archive = tmp_path / "archive"
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    run_gitnews("add", "--archive", str(archive), SEED_FEED, env=env, check=True)
    run_gitnews("run", "--archive", str(archive), env=env, check=True)
    assert maintenance.has_commit_graph(archive, bloom=True)

    # A copy (backup restored, rsync...) has new inodes and change times: git's index
    # no longer matches the files' stat data, which must not stop the next run.
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy, symlinks=True)
    server.step(1)
    second = run_gitnews("run", "--all", "--archive", str(copy), env=env, check=True)
    assert "CHANGED 1" in second.stdout
    assert git(copy, "status", "--porcelain") == ""
    subprocess.run(["git", "-C", str(copy), "commit-graph", "verify"], check=True,
                   capture_output=True)
