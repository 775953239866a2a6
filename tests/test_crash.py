"""Crash safety: real ``gitnews run`` processes against a loopback replay of real
pages, killed with SIGKILL at random moments, and two runs at once.

After every kill the archive must pass :func:`crash_checks.check_integrity`
(``git fsck`` clean, ``main`` a complete commit, the ``Version`` trailers
counting each file's commits, no commit that changes nothing).  After every
run that is let finish, nothing may be lost: the archive's tree and each
article's sequence of versions equal those of a reference archive that was
never interrupted, the files match the branch and the cache agrees with git.

``GITNEWS_CRASH_KILLS`` (default 50) sets how many kills; ``GITNEWS_CRASH_SEED``
replays a session's random choices (the seed is in every failure message).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter

import pytest

from conftest import git, run_gitnews
from crash_checks import (FEED_URL, build_scenario, check_cache, check_integrity, kill_when,
                          start_gitnews)

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"),
                                reason="the crash tests watch processes through /proc")

KILLS = int(os.environ.get("GITNEWS_CRASH_KILLS", "50"))
STEPS = 6


def _complete(archive, env, ref_history, *, where: str) -> None:
    """Let a run finish; then nothing may be lost and all must agree."""
    done = run_gitnews("run", "--archive", str(archive), env=env)
    assert done.returncode == 0, f"{where}: the run after a crash failed:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    history = check_integrity(archive)
    assert git(archive, "status", "--porcelain") == "", f"{where}: files differ from the branch"
    assert history.versions == ref_history.versions, f"{where}: versions differ from the reference"
    assert git(archive, "rev-parse", "HEAD^{tree}") == git(ref_history.archive, "rev-parse",
                                                           "HEAD^{tree}"), where
    check_cache(archive, history)


def test_sigkill_at_random_moments_loses_and_corrupts_nothing(replay, tmp_path):
    seed = int(os.environ.get("GITNEWS_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    scenario = build_scenario(tmp_path / "scenario", articles=8, steps=STEPS, new_per_step=1)
    server = replay(scenario)
    env = server.env()
    ref, archive = tmp_path / "reference", tmp_path / "archive"
    for path in (ref, archive):
        run_gitnews("add", "--feed", "--archive", str(path), FEED_URL, env=env, check=True)

    stats: Counter[str] = Counter()
    per_step = -(-KILLS // STEPS)
    for step in range(STEPS):
        server.step(step)
        started = time.monotonic()
        run_gitnews("run", "--archive", str(ref), env=env, check=True)
        duration = time.monotonic() - started
        ref_history = check_integrity(ref)
        kills = attempts = 0
        while kills < per_step and attempts < per_step * 4:
            attempts += 1
            phase = rng.choice(["time", "time", "fast-import", "read-tree"])
            after = rng.uniform(0.0, duration) if phase == "time" else rng.uniform(0.0, 0.4)
            group = rng.random() < 0.5
            where = (f"seed {seed}, step {step}, attempt {attempts}: kill at {phase} "
                     f"+{after:.2f}s ({'process group' if group else 'gitnews only'})")
            proc = start_gitnews("run", "--archive", str(archive), env=env)
            result = kill_when(proc, rng=rng, phase=phase, after_s=after, whole_group=group)
            assert "Traceback" not in result.stderr, f"{where}:\n{result.stderr}"
            if not result.killed:
                assert result.returncode == 0, f"{where}: {result.stderr}"
                stats["finished before the kill"] += 1
                continue
            kills += 1
            stats[f"killed at {phase}"] += 1
            try:
                check_integrity(archive)
                if rng.random() < 0.15:
                    stats["runs let finish"] += 1
                    _complete(archive, env, ref_history, where=where)
            except AssertionError as exc:
                raise AssertionError(f"{where}: {exc}") from None
        stats["runs let finish"] += 1
        _complete(archive, env, ref_history, where=f"seed {seed}, end of step {step}")
    total = sum(v for k, v in stats.items() if k.startswith("killed"))
    print(f"\ncrash test (seed {seed}): {total} kills survived; {dict(stats)}")
    assert total >= KILLS, (seed, dict(stats))


def test_two_runs_at_once_never_corrupt_the_archive(replay, tmp_path):
    """Pairs of runs started together: without --wait one of them exits 75 (or
    they happen not to overlap); with --wait both complete, one after the
    other.  A reader (a dry run) runs beside them.  After every pair the
    archive is intact and equal to an archive written by single runs."""
    scenario = build_scenario(tmp_path / "scenario", articles=6, steps=4, new_per_step=1)
    server = replay(scenario)
    env = server.env()
    ref, archive = tmp_path / "reference", tmp_path / "archive"
    for path in (ref, archive):
        run_gitnews("add", "--feed", "--archive", str(path), FEED_URL, env=env, check=True)
    outcomes: Counter[str] = Counter()
    for step in range(4):
        server.step(step)
        run_gitnews("run", "--archive", str(ref), env=env, check=True)
        ref_history = check_integrity(ref)
        for wait in ([], ["--wait", "120"]):
            procs = [start_gitnews("run", "--archive", str(archive), *wait, env=env)
                     for _ in range(2)]
            reader = start_gitnews("run", "--dry-run", "--archive", str(archive), env=env)
            results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
            reader_out, reader_err = reader.communicate(timeout=300)
            assert reader.returncode == 0 and "Traceback" not in reader_err, reader_err
            codes = sorted(r[2] for r in results)
            for out, err, code in results:
                assert "Traceback" not in err, err
                if code == 75:
                    assert "another gitnews process (pid " in err and "--wait" in err, err
            if wait:
                assert codes == [0, 0], results
            else:
                assert codes in ([0, 0], [0, 75]), results
            outcomes[f"{'--wait' if wait else 'no wait'}: exit {codes}"] += 1
            history = check_integrity(archive)
            assert history.versions == ref_history.versions, (step, wait, results)
            assert git(archive, "status", "--porcelain") == ""
            check_cache(archive, history)
    print(f"\nconcurrent runs: {sum(outcomes.values())} pairs; {dict(outcomes)}")
