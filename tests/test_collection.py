"""A collection (gitnews.collection): a folder of archives, one per site, made with
``gitnews init --collection``, fed by ``gitnews add`` (each URL to its site's archive), run
by ``gitnews run`` one archive after another, and read by ``list``, ``feed``, ``changes``,
``search``, ``stats`` and ``site`` with each result labelled.  Real archives in tmp folders, a real loopback proxy with several sites."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import run_gitnews
from fleet_support import article_html, holdings, loopback_settings, serve_sites
from hypothesis import given
from hypothesis import strategies as st
from politeserver import Reply

from gitnews.collection.core import add, fan_out, merge_labelled, run_due
from gitnews.collection.manifest import (
    MANIFEST_NAME,
    init_collection,
    is_collection,
    read_manifest,
    site_for_url,
)
from gitnews.errors import ArchiveError, ConfigError
from gitnews.output.stats import SourceStats, merge_sources, quantile


def test_site_of_a_url_is_its_registrable_domain():
    assert site_for_url("https://www.bbc.co.uk/news/1") == "bbc.co.uk"
    assert site_for_url("http://feeds.bbci.co.uk/news/rss.xml") == "bbci.co.uk"
    assert site_for_url("http://news.a.test/story/1") == "a.test"


@given(st.sampled_from(["a.test", "example.com", "bbc.co.uk", "nytimes.com"]),
       st.sampled_from(["", "www.", "news.", "m.live."]), st.integers(0, 999))
def test_every_host_of_a_site_routes_to_that_site(site, sub, n):
    assert site_for_url(f"https://{sub}{site}/a/{n}") == site


def test_init_collection_and_its_manifest(tmp_path):
    root = tmp_path / "c"
    m = init_collection(root, remote_base="file:///srv/remotes/")
    assert is_collection(root) and m.members == {}
    assert m.member("a.test").remote == "file:///srv/remotes/a.test.git"
    assert m.member("a.test").path == root.resolve() / "a.test"
    with pytest.raises(ArchiveError, match="already a gitnews collection"):
        init_collection(root)
    (root / MANIFEST_NAME).write_text("[collection]\nformat = 7\n")
    with pytest.raises(ConfigError, match="format must be 1"):
        read_manifest(root)
    with pytest.raises(ArchiveError, match="gitnews init --collection"):
        read_manifest(tmp_path / "none")


def _collection(tmp_path, server, sites, **kw):
    feeds = serve_sites(server, sites, articles=3, **kw)
    root = tmp_path / "c"
    manifest = init_collection(root)
    routed = add(manifest, list(feeds.values()), kind="feed")
    assert [r.site for r in routed] == sites and all(r.result.kind == "feed" for r in routed)
    for site in sites:
        loopback_settings(root / site)
    return root, feeds


def test_add_routes_run_hands_over_and_list_labels(tmp_path, polite_proxy):
    # a.test's feed also lists an article of b.test: it goes to b.test's archive.
    root, _ = _collection(tmp_path, polite_proxy, ["a.test", "b.test"], foreign={"a.test": "b.test"})
    manifest = read_manifest(root)
    assert list(manifest.members) == ["a.test", "b.test"]
    runs = run_due(manifest)
    assert [r.site for r in runs] == ["a.test", "b.test"] and not any(r.error for r in runs)
    assert runs[0].handed_over == {"b.test": ["http://news.b.test/story/3"]}
    a, b = holdings(root / "a.test"), holdings(root / "b.test")
    assert len(a) == 3 and all("news.a.test" in p for p in a)
    # b.test ran after the hand-over in the same pass: its own 3 and the handed-over one.
    assert len(b) == 4 and all("news.b.test" in p for p in b)
    assert all(count == 1 for _, count in [*a.values(), *b.values()])
    # nothing is due any more: a second pass runs nothing
    assert all(r.result is None for r in run_due(read_manifest(root)))
    # the read fans out, labelled
    found = fan_out(read_manifest(root), lambda arc: len(list(arc.state.articles())))
    assert list(found) == [("a.test", 3), ("b.test", 4)] and not found.errors

    r = run_gitnews("list", "--archive", str(root))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("SITE ") and len(lines) == 8
    assert sum(line.startswith("a.test ") for line in lines) == 3
    r = run_gitnews("list", "--archive", str(root), "--json")
    doc = json.loads(r.stdout)
    assert doc["count"] == 7 and {a["archive"] for a in doc["articles"]} == {"a.test", "b.test"}
    r = run_gitnews("feed", "--archive", str(root))
    assert r.returncode == 0 and r.stdout.startswith("<?xml"), r.stderr


def test_cli_init_add_run_in_a_collection(tmp_path, polite_proxy):
    feeds = serve_sites(polite_proxy, ["a.test", "b.test"], articles=2)
    root = tmp_path / "col"
    r = run_gitnews("init", "--collection", str(root))
    assert r.returncode == 0 and "collection" in r.stdout, r.stderr
    r = run_gitnews("add", "--feed", *feeds.values(), "--archive", str(root))
    assert r.returncode == 0, r.stderr
    assert re.search(r"FEED +\[a\.test\] http://news\.a\.test/feed\.xml", r.stdout), r.stdout
    assert (root / "a.test" / "gitnews.toml").exists() and (root / "b.test" / ".git").exists()
    for site in ("a.test", "b.test"):
        loopback_settings(root / site)
    r = run_gitnews("run", "--archive", str(root))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[a.test] NEW 2" in r.stdout and "[b.test] NEW 2" in r.stdout
    r = run_gitnews("run", "--archive", str(root))
    assert r.stdout.count("nothing due") == 2, r.stdout
    r = run_gitnews("run", "--watch", "--archive", str(root))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_gitnews("add", "not a url", "--archive", str(root))
    assert r.returncode == 1 and "FAILED" in r.stderr and "Traceback" not in r.stderr


def test_collection_pushes_new_archives_to_their_remotes(tmp_path, polite_proxy):
    feeds = serve_sites(polite_proxy, ["a.test"], articles=1)
    remotes = tmp_path / "remotes"
    manifest = init_collection(tmp_path / "c", remote_base=f"file://{remotes}/")
    add(manifest, [feeds["a.test"]], kind="feed")
    assert (remotes / "a.test.git" / "HEAD").is_file()
    assert "gitnews.toml" in subprocess_out(["git", "--git-dir", str(remotes / "a.test.git"),
                                             "ls-tree", "--name-only", "main"])


def subprocess_out(argv):
    import subprocess

    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def test_github_actions_workflow_of_a_collection(tmp_path):
    import yaml

    root = tmp_path / "c"
    r = run_gitnews("init", "--collection", str(root), "--remote-base",
                    "git@github.com:example-news/", "--github-actions")
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load((root / ".github/workflows/gitnews-collection.yml").read_text())
    job = doc["jobs"]["run"]
    assert job["concurrency"] == {"group": "gitnews-${{ matrix.site }}", "cancel-in-progress": False}
    assert job["strategy"]["matrix"]["site"] == "${{ fromJSON(needs.archives.outputs.sites) }}"
    assert doc["env"]["ARCHIVES_OWNER"] == "example-news"
    checkout = job["steps"][0]["with"]
    assert checkout["repository"] == "${{ env.ARCHIVES_OWNER }}/${{ matrix.site }}"
    # the matrix job's script reads the manifest's sites
    script = doc["jobs"]["archives"]["steps"][1]["run"]
    (root / "gitnews-collection.toml").write_text(
        (root / "gitnews-collection.toml").read_text() + '"a.test" = { path = "a.test" }\n')
    import subprocess
    import sys

    body = script.split("<<'PY' >> \"$GITHUB_OUTPUT\"\n", 1)[1].rsplit("PY", 1)[0]
    out = subprocess.run([sys.executable, "-c", body], cwd=root, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == 'sites=["a.test"]'


@given(st.lists(st.tuples(st.sampled_from(["a.test", "b.test", "c.test"]),
                          st.lists(st.integers(0, 50), max_size=6)), max_size=4),
       st.booleans(), st.one_of(st.none(), st.integers(0, 10)))
def test_merge_labelled_keeps_every_row_with_its_site_in_order(found, reverse, limit):
    merged = merge_labelled(found, key=lambda n: n, reverse=reverse, limit=limit)
    every = [(site, n) for site, rows in found for n in rows]
    assert len(merged) == (len(every) if limit is None else min(limit, len(every)))
    keys = [n for _, n in merged]
    assert keys == sorted(keys, reverse=reverse)
    assert all(pair in every for pair in merged)
    # equal keys keep the archives' order (stable): the same archives give the same list
    assert merged == merge_labelled(found, key=lambda n: n, reverse=reverse, limit=limit)
    if limit is None:
        assert sorted(merged) == sorted(every)


@given(st.lists(st.lists(st.floats(0, 1e6), max_size=5), min_size=1, max_size=4))
def test_merge_sources_adds_counts_and_pools_first_changes(firsts):
    parts = [SourceStats(f"s{i}", articles=len(f) + 1, versions=2 * len(f) + 1,
                         changed_articles=len(f), changes=len(f), kinds={"body": len(f)},
                         per_day={"2026-12-07": len(f)}, first_change=sorted(f))
             for i, f in enumerate(firsts)]
    total = merge_sources(parts)
    pooled = sorted(x for f in firsts for x in f)
    assert total.source == "total" and total.first_change == pooled
    assert total.articles == sum(p.articles for p in parts)
    assert total.changes == total.kinds.get("body", 0) == len(pooled)
    assert total.first_change_median_s == quantile(pooled, 0.5)


def _edited_collection(tmp_path, server):
    """A collection of a.test and b.test, run twice: story 0 of each site changed in between
    (a.test's first, so b.test's change is the newest)."""
    root, _ = _collection(tmp_path, server, ["a.test", "b.test"])
    assert not any(r.error for r in run_due(read_manifest(root)))
    for site in ("a.test", "b.test"):
        time.sleep(1.1)  # the two changes a second apart: their order is by time
        server.route(f"http://news.{site}/story/0",
                     Reply(body=article_html(site, 0, version=2), content_type="text/html"))
        runs = run_due(read_manifest(root), check_all=True)
        assert not any(r.error for r in runs)
    return root


def test_changes_search_stats_across_a_collection(tmp_path, polite_proxy):
    root = _edited_collection(tmp_path, polite_proxy)
    # changes: newest first, each line starting with its site, its diff given its archive
    r = run_gitnews("changes", "--since", "1d", "--archive", str(root))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["b.test", "a.test"], r.stdout
    assert lines[0].endswith(f"--archive {root.resolve() / 'b.test'}")
    assert "news.b.test" in lines[0] and "news.a.test" in lines[1]
    doc = json.loads(run_gitnews("changes", "--since", "1d", "--json", "--archive",
                                 str(root)).stdout)
    assert [(c["site"], c["host"]) for c in doc["changes"]] == [
        ("b.test", "news.b.test"), ("a.test", "news.a.test")]
    assert doc["more"] is False
    r = run_gitnews("changes", "--since", "1d", "-n", "1", "--archive", str(root))
    assert r.stdout.splitlines()[0].startswith("b.test") and len(r.stdout.splitlines()) == 1
    assert "there are more" in r.stderr

    # search: the updated words are in both sites; each result names its site
    r = run_gitnews("search", "update", "--archive", str(root))
    assert r.returncode == 0, r.stderr
    assert r.stdout.index("[b.test]") < r.stdout.index("[a.test]"), r.stdout
    assert f"--archive {root.resolve() / 'a.test'}" in r.stdout
    doc = json.loads(run_gitnews("search", "residents", "--json", "--archive", str(root)).stdout)
    assert doc["count"] == 6 and {x["site"] for x in doc["results"]} == {"a.test", "b.test"}
    assert all(x["host"] == f"news.{x['site']}" for x in doc["results"])
    times = [x["time"] for x in doc["results"]]
    assert times == sorted(times, reverse=True)
    r = run_gitnews("search", "AND AND", "--archive", str(root))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("gitnews:") == 1, r.stderr
    r = run_gitnews("search", "x", "--article", "http://news.a.test/story/0",
                    "--archive", str(root))
    assert r.returncode == 2 and "COLLECTION/SITE" in r.stderr

    # stats: per site (its sources), then the collection's total
    r = run_gitnews("stats", "--archive", str(root))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.index("== a.test ==") < out.index("== b.test ==") < out.index("== collection")
    assert "http://news.a.test/feed.xml" in out.split("== b.test ==")[0]
    doc = json.loads(run_gitnews("stats", "--json", "--archive", str(root)).stdout)
    assert [(s["site"], s["source"]) for s in doc["sources"]] == [
        ("a.test", "http://news.a.test/feed.xml"), ("b.test", "http://news.b.test/feed.xml")]
    assert [(s["site"], s["articles"], s["changes"]) for s in doc["sites"]] == [
        ("a.test", 3, 1), ("b.test", 3, 1)]
    assert doc["total"]["articles"] == 6 and doc["total"]["changes"] == 2

    # site: one site per archive in OUTDIR/<site>/, and a front page listing them
    out = tmp_path / "site"
    r = run_gitnews("site", str(out), "--no-search", "--archive", str(root))
    assert r.returncode == 0, r.stderr
    assert (out / "a.test" / "index.html").is_file() and (out / "b.test" / "index.html").is_file()
    page = (out / "index.html").read_text()
    assert page.index('href="a.test/index.html"') < page.index('href="b.test/index.html"')
    assert (out / "style.css").is_file()
    first = (out / "index.html").read_bytes()
    r = run_gitnews("site", str(out), "--no-search", "--archive", str(root))
    assert r.returncode == 0 and (out / "index.html").read_bytes() == first


def test_an_unreadable_archive_is_named_and_the_others_shown(tmp_path, polite_proxy):
    root = _edited_collection(tmp_path, polite_proxy)
    manifest = root / MANIFEST_NAME
    manifest.write_text(manifest.read_text() + '"c.test" = { path = "c.test" }\n')
    for argv in (["changes", "--since", "1d"], ["search", "residents"], ["stats"], ["list"]):
        r = run_gitnews(*argv, "--archive", str(root))
        assert r.returncode == 1, (argv, r.stderr)
        assert "[c.test] not read" in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert "a.test" in r.stdout and "b.test" in r.stdout, (argv, r.stdout)
    doc = json.loads(run_gitnews("changes", "--since", "1d", "--json", "--archive",
                                 str(root)).stdout)
    assert {c["site"] for c in doc["changes"]} == {"a.test", "b.test"}
    out = tmp_path / "site"
    r = run_gitnews("site", str(out), "--no-search", "--archive", str(root))
    assert r.returncode == 1 and "[c.test] not read" in r.stderr, r.stderr
    page = (out / "index.html").read_text()
    assert 'href="a.test/index.html"' in page and "c.test</td><td colspan=\"2\">not written" in page
    assert not (out / "c.test").exists()
