"""Every plain-git recipe of README.md and docs/archive-format.md, run with real git in a
real archive that gitnews made (an import of recorded real pages), and its output checked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import git, run_gitnews
from warcs import SEED_PATH, SEED_T1, SEED_T2, SEED_URL, SEED_V1, SEED_V2, Rec, write_warc

ROOT = Path(__file__).resolve().parents[1]
SEED_T3 = "2016-09-30T08:00:00Z"


def _blocks(markdown: str, after: str) -> list[str]:
    """The first ```sh block after the line ``after`` in ``markdown``."""
    start = markdown.index(after)
    match = re.compile(r"```sh\n(.*?)```", re.S).search(markdown, start)
    assert match, after
    return match.group(1)


def recipes(block: str) -> list[str]:
    """The commands of a shell block: comment lines dropped, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", "", block)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.strip().startswith("#") and line.strip() != "cd archive-repo"]


def all_recipes() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fmt = (ROOT / "docs" / "archive-format.md").read_text(encoding="utf-8")
    found = []
    for where, text, after in (("README recipes", readme, "### Recipes for plain git"),
                               ("README import", readme, "Where a version came from, with plain git"),
                               ("archive-format", fmt, "## Reading it with plain git")):
        found += [(where, r) for r in recipes(_blocks(text, after))]
    return found


RECIPES = all_recipes()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """Three versions of one real article (new, changed, back to version 1), imported
    from a WARC by the real CLI: every trailer a recipe asks for is there."""
    folder = tmp_path_factory.mktemp("recipes")
    warc = folder / "seed.warc.gz"
    write_warc(warc, [Rec("warcinfo"), Rec("response", SEED_URL, SEED_T1, SEED_V1),
                      Rec("response", SEED_URL, SEED_T2, SEED_V2),
                      Rec("response", SEED_URL, SEED_T3, SEED_V1)])
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    run_gitnews("init", "--archive", str(folder / "a"), env=env, check=True)
    run_gitnews("import", "--archive", str(folder / "a"), str(warc), env=env, check=True)
    return folder / "a"


def test_the_docs_have_recipes():
    assert len(RECIPES) >= 10
    assert sum(1 for _, r in RECIPES if "%(trailers" in r) >= 5


@pytest.mark.parametrize("where,recipe", RECIPES, ids=[f"{w}-{i}" for i, (w, _) in enumerate(RECIPES)])
def test_recipe_gives_one_line_per_version(archive, where, recipe):
    command = recipe.replace("<file>", SEED_PATH).replace("<commit>", "HEAD")
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=archive,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", (recipe, proc.stderr)
    out = proc.stdout
    lines = out.splitlines()
    versions = git(archive, "log", "--format=%h", "--", SEED_PATH).split()
    assert len(versions) == 3
    if "%(trailers" in recipe:
        # One line per version: a multi-valued or valueonly trailer without separator= would
        # put each value on a line of its own.
        assert len(lines) == (1 if " -1 " in recipe else 3), (recipe, out)
        assert all(line.strip() for line in lines), (recipe, out)
    if "key=Version" in recipe:
        assert [line.split()[:2] for line in lines] == [
            ["1", SEED_T1], ["2", SEED_T2], ["3", SEED_T3]], out
        assert lines[2].split(" ", 3)[3].startswith("Reverted: Gaps remain in tackling"), out
    if "key=Article-Url" in recipe:
        assert lines == [SEED_URL] * 3, out
    if "key=Captured-At" in recipe:
        assert lines == [f"{t} seed.warc.gz" for t in (SEED_T3, SEED_T2, SEED_T1)], out
    if "key=Change-Kind" in recipe:
        assert [line.split(" ", 1)[1].split(" Reverted:")[0].split(" Changed:")[0].split("New:")[0].strip()
                for line in lines] == ["body, revert", "body", ""], out
    if "interpret-trailers --parse" in recipe:
        assert lines[0] == f"Article-Url: {SEED_URL}" and "Version: 3" in lines
        assert all(re.fullmatch(r"[A-Z][A-Za-z0-9-]*: \S.*", line) for line in lines), out
    if "--word-diff" in recipe:
        assert "[-operandi.-]{+operundi.+}" in out, out
    if "head -n 1" in recipe:
        assert out == git(archive, "show", f"{versions[-1]}:{SEED_PATH}")
    if "uniq -c" in recipe:
        assert lines == [f"      3 {SEED_PATH}"], out
