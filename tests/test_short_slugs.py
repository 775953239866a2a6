"""Short-slug article URLs (``/café-story``, ``/news/feed-link``) are articles, not
section fronts: a redirect of one to the site's front page is a removal, and the
``rel=canonical`` link of its page is honoured.  The real CLI through the loopback
replay proxy, on the real seed Guardian page (tests/data/scenarios/seed-guardian)."""

from __future__ import annotations

import json
import re

from conftest import DATA, init_test_archive, run_gitnews
from scenario_checks import version_commits

PAGE = DATA / "scenarios" / "seed-guardian" / "pages" / "gaps-remain-v1.html"
GUARDIAN_CANONICAL = (b"http://www.theguardian.com/society/2016/sep/29/"
                      b"gaps-remain-in-tackling-child-sexual-exploitation-ofsted")
CAFE = "http://c.test/caf\u00e9-story"
LINK = "http://a.test/news/feed-link"
CANONICAL = "http://a.test/news/canonical-story"
HOME = (b"<html><head><title>C home</title></head><body><h1>C news</h1>"
        b"<p>Welcome to the C test front page.</p></body></html>")


def _scenario(folder):
    folder.mkdir()
    page = PAGE.read_bytes()
    assert page.count(GUARDIAN_CANONICAL) >= 1
    (folder / "cafe.html").write_bytes(page)  # canonical on another site: not followed
    (folder / "link.html").write_bytes(page.replace(b'rel="canonical" href="' + GUARDIAN_CANONICAL,
                                                    b'rel="canonical" href="' + CANONICAL.encode()))
    html = "text/html; charset=UTF-8"
    steps = [
        {"at": "2024-01-01T00:00:00Z", "responses": {
            CAFE: {"file": "cafe.html", "content_type": html},
            LINK: {"file": "link.html", "content_type": html}}},
        {"at": "2024-01-02T00:00:00Z", "responses": {
            CAFE: {"status": 301, "headers": {"Location": "http://c.test/"}},
            "http://c.test/": {"body": HOME.decode(), "content_type": "text/html"}}},
    ]
    (folder / "scenario.json").write_text(json.dumps({"description": "short slugs", "feeds": [],
                                                      "steps": steps}), encoding="utf-8")
    return folder


def _run(archive, env):
    r = run_gitnews("run", "--archive", str(archive), "--no-progress", "--all", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_a_short_slug_redirected_to_the_front_page_is_removed_and_its_canonical_honoured(
        replay, tmp_path):
    server = replay(_scenario(tmp_path / "scn"))
    env = server.env()
    archive = init_test_archive(tmp_path / "archive")
    run_gitnews("add", "--archive", str(archive), "--article", CAFE, LINK, env=env, check=True)
    server.step(0)
    out = _run(archive, env)
    assert "NEW 2" in out, out
    # the page at /news/feed-link declares /news/canonical-story: stored under that path
    assert (archive / "a.test" / "news" / "canonical-story.txt").exists(), out
    assert not (archive / "a.test" / "news" / "feed-link.txt").exists()
    cafe = archive / "c.test" / "caf\u00e9-story.txt"
    assert cafe.read_text(encoding="utf-8").startswith("Gaps remain")

    server.step(1)  # /café-story now answers 301 Location: http://c.test/
    outs = _run(archive, env) + _run(archive, env)
    assert not re.search(r"\bCHANGED [1-9]", outs) and "REMOVED 1" in outs, outs
    removal = version_commits(archive)[-1]
    assert removal["trailers"]["Change-Kind"] == "removed"
    assert "redirects to http://c.test/" in removal["message"]
    assert not cafe.exists()
