"""The library API: every name of ``gitnews.__all__`` resolves (and ``import gitnews`` stays
cheap), the Version value reads a version commit back, and the example of docs/library.md
runs as written against a real loopback server (politeserver, as an HTTP proxy)."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from conftest import DATA, git
from politeserver import Reply, rss

import gitnews
from gitnews.format.trailers import format_message, format_subject

DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"
FEED = "http://news.example.test/feed.xml"
ARTICLE = "http://news.example.test/news/uk-politics-7984711"
BBC = DATA / "scenarios" / "bbc-2009"


def test_every_public_name_resolves_to_its_home():
    names = [n for n in gitnews.__all__ if n != "__version__"]
    assert len(names) == len(set(names))
    assert set(names) == set(gitnews._HOMES)
    for name in names:
        value = getattr(gitnews, name)
        assert value is getattr(importlib.import_module(gitnews._HOMES[name]), name), name
    assert issubclass(gitnews.BlockedURLError, gitnews.FetchError)
    assert all(issubclass(getattr(gitnews, n), gitnews.GitnewsError)
               for n in names if n.endswith("Error"))
    assert set(gitnews.__all__) <= set(dir(gitnews))
    try:
        gitnews.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")


def test_import_gitnews_imports_nothing_it_does_not_need():
    code = ("import sys, gitnews; "
            "print(sorted(m for m in sys.modules if m.startswith('gitnews')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    # the package's face and its version (a module of one constant)
    assert out.strip() == "['gitnews', 'gitnews._version']"


def test_version_from_commit_reads_the_trailers():
    message = format_message(format_subject("Changed", "A headline"), [
        ("Article-Url", "https://example.com/a"), ("Version", 3),
        ("Fetched-At", "2024-05-01T12:00:00Z"), ("Change-Kind", "headline, body"),
        ("Reverts-To", 1)])
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    v = gitnews.Version.from_commit(path="example.com/a.txt", number=3, commit="c" * 40,
                                    message=message, time=when, blob="b" * 40)
    assert (v.subject, v.fetched_at, v.removed, v.blob) == ("Changed: A headline", when, False,
                                                             "b" * 40)
    assert v.trailers["Version"] == "3"
    assert (v.article_url, v.change_kinds, v.reverts_to) == ("https://example.com/a",
                                                             ("headline", "body"), 1)
    bare = gitnews.Version.from_commit(path="p.txt", number=1, commit="d" * 40,
                                       message="New: x\n", time=when, removed=True)
    assert (bare.article_url, bare.change_kinds, bare.reverts_to, bare.trailers) == \
        (None, (), None, {})


def test_the_example_of_the_library_page_runs(polite_proxy, tmp_path, monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    polite_proxy.route(FEED, Reply(body=rss([ARTICLE]), content_type="application/rss+xml"))
    # A real BBC story captured twice: two paragraphs disappear between the captures.
    polite_proxy.route(ARTICLE, Reply(body=(BBC / "7984711-A.stm.html").read_bytes()),
                       Reply(body=(BBC / "7984711-B.stm.html").read_bytes()))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOC), "exec"), {"__name__": "library_example"})
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "1 new article(s)", out
    assert re.fullmatch(r"http://news\.example\.test/news/uk-politics-7984711 changed: version 2",
                        lines[1]), out
    assert re.fullmatch(r"  1 \S+\+00:00 New: .+ first version", lines[2]), out
    assert re.fullmatch(r"  2 \S+\+00:00 Changed: .+ body", lines[3]), out
    assert lines[4].startswith("error: no gitnews archive at not-an-archive"), out
    assert len(lines) == 5, out
    # What the example made is an ordinary git repository: init, the feed, two versions.
    log = git(tmp_path / "my-archive", "log", "--format=%s").splitlines()
    assert len(log) == 4 and log[0].startswith("Changed: ") and log[1].startswith("New: "), log
