"""After a gitnews command, the working tree, the index and HEAD never disagree about what
gitnews committed (trial report, problem 2): a file with an uncommitted hand edit that gets a
new version has HEAD's blob in the index, and the hand edit stays in the working tree, named
on stderr with what to do.  Real CLI, real git, the recorded seed-guardian pages on loopback."""

from __future__ import annotations

import pytest
from conftest import DATA, git, init_test_archive, run_gitnews

SEED_FEED = "http://www.theguardian.com/society/rss"
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")


@pytest.mark.parametrize("staged", [False, True], ids=["unstaged", "staged"])
def test_uncommitted_edit_kept_and_index_holds_the_new_version(replay, tmp_path, staged):
    server = replay(DATA / "scenarios" / "seed-guardian")
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    run_gitnews("add", SEED_FEED, "--archive", str(archive), env=env, check=True)
    run_gitnews("run", "--archive", str(archive), env=env, check=True)
    file = archive / SEED_PATH
    v1 = file.read_text(encoding="utf-8")
    file.write_text(v1 + "my note\n", encoding="utf-8")
    if staged:
        git(archive, "add", SEED_PATH)

    server.step(1)
    run = run_gitnews("run", "--all", "--archive", str(archive), env=env, check=True)
    assert "CHANGED 1" in run.stdout, run.stdout

    # The index holds HEAD's version 2: a plain `git commit` cannot revert the newspaper's edit.
    assert git(archive, "diff", "--cached", "--name-only") == ""
    v2 = git(archive, "show", f"HEAD:{SEED_PATH}")
    assert "operandi" in v2 and "operundi" not in v2
    # The hand edit is kept in the working tree (on top of version 1, as it was written)...
    assert file.read_text(encoding="utf-8") == v1 + "my note\n"
    # ...and reported: the file, and what to do.
    assert SEED_PATH in run.stderr, run.stderr
    assert f" diff -- {SEED_PATH}" in run.stderr and f" checkout -- {SEED_PATH}" in run.stderr
    # A plain commit of another file leaves version 2 in HEAD.
    (archive / "notes.txt").write_text("notes\n", encoding="utf-8")
    git(archive, "add", "notes.txt")
    git(archive, "-c", "user.name=N", "-c", "user.email=n@example.com", "commit", "-q", "-m", "notes")
    assert git(archive, "show", f"HEAD:{SEED_PATH}") == v2
