"""A run's housekeeping (commit-graph layer, ``git gc --auto``, pack tidying) runs beside the
cache update, once the commits are in git (gitnews.ops.recording.recording(after_finish=...)),
and is over when the run returns.  Real loopback server (tests/politeserver.py), the real
recorded BBC page (tests/data/scenarios/bbc-2009, see its README), real git archive."""

from __future__ import annotations

import subprocess
import threading

from conftest import DATA, git, init_test_archive
from politeserver import Reply, rss

from gitnews.archive import maintenance
from gitnews.archive.repo import open_archive
from gitnews.models import Outcome
from gitnews.ops.run import run
from gitnews.ops.tracking import add

PAGE = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()


def test_housekeeping_overlaps_the_cache_update_and_ends_with_the_run(polite_proxy, tmp_path):
    links = [f"http://a.test/news/{i}" for i in range(6)]
    polite_proxy.route("http://a.test/feed.xml", Reply(body=rss(links),
                                                       content_type="application/rss+xml"))
    for link in links:
        polite_proxy.route(link, Reply(body=PAGE))
    archive = init_test_archive(tmp_path / "a", concurrency=2, per_host=2)
    # Every run writes a pack, and packing is due at 2 packs: this run's gc --auto repacks.
    git(archive, "config", "fastimport.unpackLimit", "0")
    git(archive, "config", "gc.autoPackLimit", "2")
    seen: list[tuple[str, str | None]] = []
    real_after_run = maintenance.after_run

    with open_archive(archive, lock=True) as arc:
        add(arc, ["http://a.test/feed.xml"], kind="feed")

        def after_run(place, tx):  # the real housekeeping, told what it sees when it starts
            head = git(archive, "rev-parse", "HEAD").strip()
            seen.append((head, tx.commits[-1] if tx.commits else None))
            return real_after_run(place, tx)

        maintenance.after_run = after_run
        try:
            result = run(arc)
        finally:
            maintenance.after_run = real_after_run
        assert result.count(Outcome.NEW) == len(links), result.failures
        # It started after the commits were in the branch, and the cache has them too.
        assert seen and seen[0][0] == seen[0][1]
        assert all(arc.state.get(item.path) is not None for item in result.items
                   if item.outcome is Outcome.NEW)
    # Over when the run returned: no thread left, packed, the graph and the objects sound.
    assert not [t for t in threading.enumerate() if t.name == "gitnews-housekeeping"]
    assert maintenance.object_stats(archive).packs == 1
    assert maintenance.has_commit_graph(archive, bloom=True)
    subprocess.run(["git", "-C", str(archive), "commit-graph", "verify"], check=True,
                   capture_output=True)
    subprocess.run(["git", "-C", str(archive), "fsck", "--no-progress"], check=True,
                   capture_output=True)
    assert not git(archive, "status", "--porcelain").strip()  # the files are all there
