"""A ``[sources."URL"]`` table naming no tracked source is reported, not silently ignored:
``gitnews status`` (text and ``--json``) and ``gitnews run`` warn of it (a real archive, a
real run against the loopback replay server)."""

from __future__ import annotations

import json
import subprocess

from conftest import DATA, init_test_archive, run_gitnews

from gitnews.config.sources import config_warnings, unmatched_sources

BBC_FEED = "http://newsrss.bbc.co.uk/rss/newsonline_uk_edition/uk_politics/rss.xml"


def test_unmatched_sources_compares_urls_as_sources_are_looked_up() -> None:
    tracked = ["https://www.example.com/feed.xml", "http://news.example.org/sitemap.xml"]
    sources = ["http://example.com/feed.xml/", "https://news.example.org/sitemap.xml",
               "https://example.com/fed.xml"]
    assert unmatched_sources(sources, tracked) == ["https://example.com/fed.xml"]
    (warning,) = config_warnings({u: {} for u in sources}, tracked)
    assert warning.startswith('[sources."https://example.com/fed.xml"] in gitnews.toml names no '
                              "tracked feed")
    assert "gitnews add URL" in warning
    assert config_warnings({}, tracked) == [] and unmatched_sources(sources, []) == sources


def test_status_and_run_warn_of_a_sources_table_naming_no_tracked_source(replay, tmp_path):
    server = replay(DATA / "scenarios" / "bbc-2009")
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    run_gitnews("add", "--archive", str(archive), BBC_FEED, env=env, check=True)
    typo = BBC_FEED.replace("uk_politics", "uk_politcs")
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + f'\n[sources."{BBC_FEED}"]\nexclude = ["*/sport/*"]\n'
                      + f'\n[sources."{typo}"]\nexclude = ["*/sport/*"]\n', encoding="utf-8")
    subprocess.run(["git", "-C", str(archive), "commit", "-qam", "sources"], check=True)

    status = run_gitnews("status", "--archive", str(archive), env=env)
    assert status.returncode == 0, status.stderr
    warnings = [line for line in status.stdout.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and f'[sources."{typo}"]' in warnings[0], status.stdout
    doc = json.loads(run_gitnews("status", "--json", "--archive", str(archive), env=env).stdout)
    assert len(doc["warnings"]) == 1 and typo in doc["warnings"][0]

    done = run_gitnews("run", "--archive", str(archive), "--no-progress", env=env)
    assert done.returncode == 0, done.stderr
    assert f'gitnews: warning: [sources."{typo}"]' in done.stderr
    assert done.stderr.count("gitnews: warning:") == 1
