"""An archive made by real runs against the loopback replay server, for ``gitnews changes``,
``gitnews stats`` and the site's changes and statistics pages (tests/data/scenarios).

* bbc-2009: the BBC politics feed, two runs: story 7984711 loses two paragraphs
  (a body change), story 6072486 never changes;
* seed-guardian: the seed article added as a single article (no feed):
  ``operundi`` -> ``operandi`` (one word out, one word in), then gone (404) and,
  at the next run, removed.

Both are served by one replay server (:func:`merged_scenario`); the runs are real
``gitnews run --all`` processes, so the versions carry today's times.
"""

from __future__ import annotations

from pathlib import Path

from conftest import DATA, init_test_archive, run_gitnews, start_replay

BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"
BBC_CHANGED = "news.bbc.co.uk/1/hi/uk_politics/7984711.txt"
BBC_SAME = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
SEED_URL = ("http://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
SEED_HEADLINE = "Gaps remain in tackling child sexual exploitation, Ofsted finds"


def merged_scenario(folder: Path) -> Path:
    """One scenario serving bbc-2009 and seed-guardian together (their files copied into
    ``folder``), step by step; at step 2 the seed article is gone (404)."""
    import json
    import shutil

    steps: list[dict] = []
    for name in ("seed-guardian", "bbc-2009"):
        src = DATA / "scenarios" / name
        shutil.copytree(src, folder, dirs_exist_ok=True)
        doc = json.loads((src / "scenario.json").read_text(encoding="utf-8"))
        for i, step in enumerate(doc["steps"]):
            if i == len(steps):
                steps.append({"at": step["at"], "responses": {}})
            steps[i]["responses"].update(step["responses"])
    steps[2]["responses"][SEED_URL] = None
    doc = {"description": "bbc-2009 and seed-guardian together (tests/changes_support.py)",
           "feeds": [BBC_FEED], "steps": steps}
    (folder / "scenario.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return folder


def build_runs_archive(folder: Path) -> Path:
    """The archive described above, in ``folder / "archive"``: four runs (steps 0, 1, 2
    and 2 again, which commits the seed article's removal)."""
    archive = init_test_archive(folder / "archive")
    a = ["--archive", str(archive)]
    work = folder / "replay"
    work.mkdir()
    server = start_replay(merged_scenario(folder / "scenario"), work)
    try:
        env = server.env()
        run_gitnews("add", *a, "--feed", BBC_FEED, env=env, check=True)
        run_gitnews("add", *a, "--article", SEED_URL, env=env, check=True)
        for step in (0, 1, 2, 2):
            server.step(step)
            run_gitnews("run", "--all", *a, env=env)
    finally:
        server.stop()
    return archive
