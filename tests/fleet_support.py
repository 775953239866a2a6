"""Shared by tests/test_collection.py, tests/test_fleet.py and benchmarks/fleet.py: several
news sites on one loopback proxy (tests/politeserver.py), a collection of their archives
whose politeness suits loopback, and what an archive holds (texts and version counts)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from politeserver import PoliteServer, Reply, rss

WORDS = ("council budget river bridge school harbour museum station library garden market "
         "tunnel festival hospital railway").split()


def article_html(site: str, n: int, *, version: int = 1) -> bytes:
    """A small article page whose text names its site, number and version."""
    head = f"Story {n} from {site}" + (f" (update {version})" if version > 1 else "")
    paras = "".join(
        f"<p>The {WORDS[(n + i) % len(WORDS)]} of {site} was discussed on day {n} in paragraph "
        f"{i}, and residents said the plan for the {WORDS[(n * 3 + i) % len(WORDS)]} would "
        f"change how the town works for years to come (version {version}).</p>"
        for i in range(6))
    return (f"<!DOCTYPE html><html><head><title>{head}</title></head><body><header>Site "
            f"{site}</header><article><h1>{head}</h1>{paras}</article><footer>(c) {site}"
            "</footer></body></html>").encode()


def serve_sites(server: PoliteServer, sites: list[str], *, articles: int, delay_s: float = 0.0,
                slow: dict[str, float] | None = None, foreign: dict[str, str] | None = None
                ) -> dict[str, str]:
    """Route a feed (``http://news.SITE/feed.xml``) and ``articles`` articles per site on
    ``server``, each answer after ``delay_s`` seconds (``slow``: site -> another delay for
    its articles).  ``foreign``: site -> another site one of whose articles the first site's
    feed also lists.  Returns site -> feed URL."""
    feeds = {}
    for site in sites:
        links = [f"http://news.{site}/story/{n}" for n in range(articles)]
        for n, link in enumerate(links):
            server.route(link, Reply(body=article_html(site, n), content_type="text/html",
                                     delay_s=(slow or {}).get(site, delay_s)))
        if foreign and site in foreign:
            other = foreign[site]
            link = f"http://news.{other}/story/{articles}"
            server.route(link, Reply(body=article_html(other, articles), content_type="text/html",
                                     delay_s=delay_s))
            links.append(link)
        feed = f"http://news.{site}/feed.xml"
        server.route(feed, Reply(body=rss(links, title=f"News of {site}"),
                                 content_type="application/rss+xml", delay_s=delay_s))
        feeds[site] = feed
    return feeds


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def loopback_settings(archive: Path, *, min_delay_s: float = 0.05, per_host: int = 1) -> None:
    """Politeness that suits loopback, committed in the archive's gitnews.toml."""
    import re

    config = archive / "gitnews.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^min_delay_s = .*$", f"min_delay_s = {min_delay_s}", text, count=1)
    text = re.sub(r"(?m)^per_host = .*$", f"per_host = {per_host}", text, count=1)
    config.write_text(text, encoding="utf-8")
    git(archive, "-c", "user.name=test", "-c", "user.email=test@localhost", "commit", "-q", "-am",
        "Test settings")


def holdings(repo: Path) -> dict[str, tuple[str, int]]:
    """An archive's articles (bare or not): path -> (text at HEAD, number of commits that
    touched it).  gitnews.toml and README.md are left out."""
    args = ["--git-dir", str(repo)] if not (repo / ".git").exists() else ["-C", str(repo)]

    def g(*a: str) -> str:
        return subprocess.run(["git", *args, *a], check=True, capture_output=True,
                              text=True).stdout

    out = {}
    for path in g("ls-tree", "-r", "--name-only", "HEAD").splitlines():
        if not path.endswith(".txt"):
            continue
        count = len(g("log", "--format=%H", "HEAD", "--", path).split())
        out[path] = (g("show", f"HEAD:{path}"), count)
    return out


def fsck(repo: Path) -> None:
    args = ["--git-dir", str(repo)] if not (repo / ".git").exists() else ["-C", str(repo)]
    subprocess.run(["git", *args, "fsck", "--strict", "--no-progress"], check=True,
                   capture_output=True)
