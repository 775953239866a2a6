"""Crash safety: real ``gitnews run`` processes against a loopback replay of real
pages, killed with SIGKILL at random moments, and two runs at once.

Every run is ``run --all`` (every article checked, whatever the schedule).
After every kill the archive must pass :func:`crash_checks.check_integrity`
(``git fsck`` clean, ``main`` a complete commit, the ``Version`` trailers
counting each file's commits, no commit that changes nothing, every version's
capture on ``gitnews/captures`` and no capture without its version) and hold the
versions of before or after the killed run, nothing in between.  After every
run that is let finish, nothing may be lost: each article's sequence of
versions is exactly the sequence of texts served (computed by
:class:`crash_checks.Expected`), the files match the branch and the cache
agrees with git.

``GITNEWS_CRASH_KILLS`` (default 50) sets how many kills; ``GITNEWS_CRASH_SEED``
replays a session's random choices (the seed is in every failure message).
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections import Counter

import pytest
from conftest import git, run_gitnews
from crash_checks import (
    FEED_URL,
    Expected,
    build_scenario,
    check_cache,
    check_captures,
    check_integrity,
    fast_fetching,
    kill_when,
    start_gitnews,
)

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"),
                                reason="the crash tests watch processes through /proc")

KILLS = int(os.environ.get("GITNEWS_CRASH_KILLS", "50"))
KILLS_PER_STEP = 5
ARTICLES, GROW_EVERY = 5, 3


def _complete(archive, env, expected: dict[str, list[str]], *, where: str) -> float:
    """Let a run finish; then nothing may be lost and all must agree.  Returns its duration."""
    started = time.monotonic()
    done = run_gitnews("run", "--all", "--archive", str(archive), env=env)
    duration = time.monotonic() - started
    assert done.returncode == 0, f"{where}: the run after a crash failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    history = check_integrity(archive)
    assert git(archive, "status", "--porcelain") == "", f"{where}: files differ from the branch"
    assert history.versions == expected, f"{where}: versions differ from what was served"
    check_cache(archive, history)
    return duration


def test_sigkill_at_random_moments_loses_and_corrupts_nothing(replay, tmp_path):
    """Each step serves changed pages; up to five runs are killed at random
    moments (a random time after the start, or a random time after its ``git
    fast-import`` started), by SIGKILL to gitnews alone or to its whole
    process group (git included); then one run is let finish.  After each
    kill the archive holds exactly the versions of the last complete step or,
    when the kill came after the commits, of this one; never anything else."""
    seed = int(os.environ.get("GITNEWS_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    steps = -(-KILLS // KILLS_PER_STEP) + 1
    folder = build_scenario(tmp_path / "scenario", articles=ARTICLES, steps=steps,
                            grow_every=GROW_EVERY)
    expect = Expected(folder, articles=ARTICLES, grow_every=GROW_EVERY)
    server = replay(folder)
    env = server.env()
    archive = tmp_path / "archive"
    run_gitnews("add", "--feed", "--archive", str(archive), FEED_URL, env=env, check=True)
    fast_fetching(archive)
    duration = _complete(archive, env, expect.versions(0), where="step 0")
    current = expect.versions(0)

    stats: Counter[str] = Counter()
    kills = 0
    for step in range(1, steps):
        server.step(step)
        before, after = expect.versions(step - 1), expect.versions(step)
        attempts = step_kills = 0
        while step_kills < KILLS_PER_STEP and kills < KILLS and attempts < KILLS_PER_STEP * 3:
            attempts += 1
            phase = "time" if current == after else rng.choice(["time", "fast-import"])
            delay = rng.uniform(0.0, duration * 0.9) if phase == "time" else rng.uniform(0.0, 0.3)
            group = rng.random() < 0.5
            where = (f"seed {seed}, step {step}, attempt {attempts}: SIGKILL {delay:.2f}s after "
                     f"{'the start' if phase == 'time' else 'git fast-import started'} "
                     f"({'to the process group' if group else 'to gitnews only'})")
            proc = start_gitnews("run", "--all", "--archive", str(archive), env=env)
            result = kill_when(proc, rng=rng, phase=phase, after_s=delay, whole_group=group)
            assert "Traceback" not in result.stderr, f"{where}:\n{result.stderr}"
            if not result.killed:
                assert result.returncode == 0, f"{where}: {result.stderr}"
                stats["finished before the kill"] += 1
                current = check_integrity(archive).versions
                assert current == after, f"{where}: a complete run lost versions"
                continue
            kills += 1
            step_kills += 1
            stats[f"killed at {phase}"] += 1
            stats["whole group" if group else "gitnews only"] += 1
            current = check_integrity(archive).versions  # raises with the details
            # Issue 16: no version without its capture, no capture without its version.
            check_captures(archive, every_version=True)
            assert current in (before, after), (
                f"{where}: versions neither before nor after the run: "
                + "; ".join(f"{path}: {current.get(path)} (before {before.get(path)}, "
                            f"after {after.get(path)})"
                            for path in sorted(set(current) | set(after))
                            if current.get(path) not in (before.get(path), after.get(path))
                            or current.get(path) != after.get(path)))
            stats["kill after the commits" if current == after else "kill before the commits"] += 1
        stats["runs let finish"] += 1
        duration = _complete(archive, env, after, where=f"seed {seed}, end of step {step}")
        current = after
    print(f"\ncrash test (seed {seed}): {kills} kills survived; {dict(stats)}")
    assert kills >= KILLS, (seed, dict(stats))


def test_two_runs_at_once_never_corrupt_the_archive(replay, tmp_path):
    """Pairs of runs started together: without --wait one of them exits 75 (or
    they happen not to overlap); with --wait both complete, one after the
    other.  A reader (a dry run) runs beside them.  After every pair the
    archive is intact and holds exactly the versions served."""
    steps = 3
    folder = build_scenario(tmp_path / "scenario", articles=4, steps=steps, grow_every=2)
    expect = Expected(folder, articles=4, grow_every=2)
    server = replay(folder)
    env = server.env()
    archive = tmp_path / "archive"
    run_gitnews("add", "--feed", "--archive", str(archive), FEED_URL, env=env, check=True)
    fast_fetching(archive)
    outcomes: Counter[str] = Counter()
    for step in range(steps):
        server.step(step)
        for wait in ([], ["--wait", "120"]):
            procs = [start_gitnews("run", "--all", "--archive", str(archive), *wait, env=env)
                     for _ in range(2)]
            reader = start_gitnews("run", "--dry-run", "--archive", str(archive), env=env)
            results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
            reader_out, reader_err = reader.communicate(timeout=300)
            assert reader.returncode == 0 and "Traceback" not in reader_err, reader_err
            codes = sorted(r[2] for r in results)
            for _out, err, code in results:
                assert "Traceback" not in err, err
                if code == 75:
                    assert "another gitnews process (pid " in err and "--wait" in err, err
            if wait:
                assert codes == [0, 0], results
            else:
                assert codes in ([0, 0], [0, 75]), results
            outcomes[f"{'--wait' if wait else 'no wait'}: exit {codes}"] += 1
            history = check_integrity(archive)
            assert history.versions == expect.versions(step), (step, wait, results)
            assert git(archive, "status", "--porcelain") == ""
            check_cache(archive, history)
    print(f"\nconcurrent runs: {sum(outcomes.values())} pairs; {dict(outcomes)}")


IMPORT_KILLS = int(os.environ.get("GITNEWS_CRASH_IMPORT_KILLS", "6"))


def test_sigkill_during_an_import_loses_and_corrupts_nothing(tmp_path):
    """``gitnews import`` of a WARC with several captures of several articles,
    killed at random moments: after each kill the archive is intact and holds
    either nothing of the import or all of it; the import that is let finish
    gives every capture's version, and importing again adds nothing.  Every
    other attempt extracts in worker processes (forked, so they share the write
    lock and the output pipes: they must end with the killed import, or the
    next import would find the archive locked and this test would hang)."""
    from crash_checks import page_text
    from warcs import Rec, write_warc

    from gitnews.archive.store import blob_id
    from gitnews.format.paths import article_path

    seed = int(os.environ.get("GITNEWS_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    folder = build_scenario(tmp_path / "pages", articles=1, steps=1)
    records, expected = [Rec("warcinfo")], {}
    for i in range(6):
        url = f"http://crash.example/news/2009/story-{i:03d}.html"
        path = article_path(url)
        for k in range(4):  # captures a day apart, alternating between two versions
            variant = ["bbc-a.html", "bbc-b.html"] if i % 2 else ["guardian-1.html", "guardian-2.html"]
            body = (folder / variant[k % 2]).read_bytes()
            records.append(Rec("response", url, f"2009-04-{5 + k:02d}T10:{i:02d}:00Z", body))
            blob = blob_id(page_text(body, url).encode("utf-8"))
            blobs = expected.setdefault(path, [])
            if not blobs or blobs[-1] != blob:
                blobs.append(blob)
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, records)
    archive = tmp_path / "archive"
    env = {**os.environ, "NO_COLOR": "1"}
    run_gitnews("init", "--archive", str(archive), env=env, check=True)
    fast_fetching(archive)
    reference = tmp_path / "reference"
    run_gitnews("init", "--archive", str(reference), env=env, check=True)
    started = time.monotonic()
    run_gitnews("import", "--archive", str(reference), str(warc), env=env, check=True)
    duration = time.monotonic() - started
    assert check_integrity(reference).versions == expected

    pooled = {**env, "GITNEWS_EXTRACT_PROCESSES": "2"}
    kills = attempts = 0
    while kills < IMPORT_KILLS and attempts < IMPORT_KILLS * 3:
        attempts += 1
        if check_integrity(archive).versions == expected:  # a kill came too late: start again
            shutil.rmtree(archive)
            run_gitnews("init", "--archive", str(archive), env=env, check=True)
        delay = rng.uniform(0.0, duration)
        group = rng.random() < 0.5
        where = f"seed {seed}, import attempt {attempts}: SIGKILL after {delay:.2f}s"
        proc = start_gitnews("import", "--archive", str(archive), str(warc),
                             env=pooled if attempts % 2 else env)
        result = kill_when(proc, rng=rng, phase="time", after_s=delay, whole_group=group)
        assert "Traceback" not in result.stderr, f"{where}:\n{result.stderr}"
        if not result.killed:
            assert result.returncode == 0, f"{where}: {result.stderr}"
            continue
        kills += 1
        versions = check_integrity(archive).versions
        assert versions in ({}, expected), f"{where}: a partial import"
    done = run_gitnews("import", "--archive", str(archive), str(warc), env=pooled)
    assert done.returncode == 0, done.stdout + done.stderr
    history = check_integrity(archive)
    assert history.versions == expected
    assert git(archive, "status", "--porcelain") == ""
    check_cache(archive, history)
    head = git(archive, "rev-parse", "HEAD")
    assert run_gitnews("import", "--archive", str(archive), str(warc), env=env).returncode == 0
    assert git(archive, "rev-parse", "HEAD") == head
    print(f"\nimport crash test (seed {seed}): {kills} kills survived in {attempts} attempts")
    assert kills >= IMPORT_KILLS, (seed, kills, attempts)
