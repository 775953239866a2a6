"""The site filtered by significance and kind: `gitnews site --min-significance/--kind` and
`[site] min_significance / kinds` (issue 18), on an archive recorded from the real seed page
(tests/data/scenarios/seed-guardian)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_corrections import AMENDED, SEED_V1, SEED_V2, T0, record, with_paragraph
from typer.testing import CliRunner

from gitnews.archive.repo import init_archive, open_archive
from gitnews.cli import app
from gitnews.config import parse_config
from gitnews.errors import ConfigError, SiteError
from gitnews.format.trailers import CHANGE_KINDS, SIGNIFICANCE_LEVELS
from gitnews.output.site import build_site
from gitnews.output.site.build import filter_words
from gitnews.output.sitelayout import (
    FEED,
    INDEX,
    MANIFEST,
    article_feed,
    article_page,
    diff_page,
    host_feed,
    host_page,
)

SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")
HOST = "theguardian.com"
ATOM = {"a": "http://www.w3.org/2005/Atom"}
FILTERED = (INDEX, FEED, host_page(HOST), host_feed(HOST))


@pytest.fixture(scope="module")
def seed_archive(tmp_path_factory) -> Path:
    """v1 new, v2 minor (one word), v3 a correction notice (moderate), v4 a number changed
    without a notice (moderate, unannounced)."""
    path = init_archive(tmp_path_factory.mktemp("site-filters") / "archive",
                        now=T0 - timedelta(days=1))
    v3 = with_paragraph(SEED_V2, AMENDED)
    v4 = v3.replace(b"patchy care system", b"patchy care system in 12 areas")
    with open_archive(path) as arc:
        for hour, page in enumerate((SEED_V1, SEED_V2, v3, v4)):
            record(arc, page, T0 + timedelta(hours=hour))
    return path


def site(archive: Path, out: Path, *options: str):
    result = CliRunner().invoke(app, ["site", str(out), "--no-search", *options,
                                      "--archive", str(archive)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def entries(feed: Path) -> list[str]:
    root = ElementTree.fromstring(feed.read_bytes())
    return [e.findtext("a:id", namespaces=ATOM) or "" for e in root.findall("a:entry", ATOM)]


def latest_rows(page: Path) -> int:
    doc = html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    heading = next(h for h in doc.iter("h2") if h.get("id") == "latest")
    main = next(doc.iter("main"))
    kids = list(main)
    section = kids[kids.index(heading) + 1:]
    end = next((i for i, k in enumerate(section) if k.tag == "h2"), len(section))
    return sum(len(list(t.iter("tr"))) - 1 for t in section[:end] if t.tag == "table")


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


def test_the_filter_thins_the_site_feeds_and_latest_lists_not_the_articles(seed_archive,
                                                                         tmp_path):
    full, moderate = tmp_path / "full", tmp_path / "moderate"
    assert site(seed_archive, full).exit_code == 0
    result = site(seed_archive, moderate, "--min-significance", "moderate")
    assert result.exit_code == 0, result.stderr
    for out, n in ((full, 3), (moderate, 2)):
        assert len(entries(out / FEED)) == n
        assert len(entries(out / host_feed(HOST))) == n
        assert latest_rows(out / INDEX) == n
        assert latest_rows(out / host_page(HOST)) == n
        # The article's own files stay complete.
        assert len(entries(out / article_feed(SEED_PATH))) == 3
        for a in (1, 2, 3):
            assert (out / diff_page(SEED_PATH, a, a + 1)).is_file()
    a, b = files(full), files(moderate)
    assert set(a) - {MANIFEST} == set(b) - {MANIFEST}
    assert article_page(SEED_PATH) not in {k for k in a if a[k] != b[k]}
    assert {k for k in a if a[k] != b[k]} == {*FILTERED, MANIFEST}
    # The pages and feeds say what they hold.
    index = (moderate / INDEX).read_text(encoding="utf-8")
    assert "Only changes of moderate significance or more" in index
    assert "changes of moderate significance or more" in (moderate / FEED).read_text()
    assert "Only changes of" not in (full / INDEX).read_text(encoding="utf-8")
    manifest = json.loads((moderate / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["filter"] == {"min_significance": "moderate", "kinds": []}
    assert "filter" not in json.loads((full / MANIFEST).read_text(encoding="utf-8"))


def test_kinds_and_both_together(seed_archive, tmp_path):
    out = tmp_path / "site"
    assert site(seed_archive, out, "--kind", "correction").exit_code == 0
    assert len(entries(out / FEED)) == 1
    assert site(seed_archive, out, "--kind", "correction", "--min-significance",
                "major").exit_code == 0
    assert entries(out / FEED) == []
    assert latest_rows(out / INDEX) == 0
    assert "No change passes the filter yet." in (out / INDEX).read_text(encoding="utf-8")
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["filter"] == {"min_significance": "major", "kinds": ["correction"]}


def test_another_filter_rewrites_only_what_depends_on_it(seed_archive, tmp_path):
    out = tmp_path / "site"
    with open_archive(seed_archive) as arc:
        first = build_site(arc, out)
        before = files(out)
        assert build_site(arc, out).written == []
        moderate = build_site(arc, out, min_significance="moderate")
        assert sorted(moderate.written) == sorted(FILTERED)
        assert build_site(arc, out, min_significance="moderate").written == []
        # Same filter, said otherwise (case, order of kinds): nothing to do.
        build_site(arc, out, kinds=["correction", "body"])
        assert build_site(arc, out, kinds=["BODY", "correction"]).written == []
        back = build_site(arc, out)
    assert sorted(back.written) == sorted(FILTERED)
    assert files(out) == before  # byte for byte the unfiltered site again
    assert first.changes == moderate.changes == 3  # the counts stay complete


def test_config_defaults_and_options_over_them(seed_archive, tmp_path):
    config = seed_archive / "gitnews.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count('\nurl = ""\n') == 1
    out = tmp_path / "site"
    try:
        config.write_text(text.replace('\nurl = ""\n', '\nurl = ""\nmin_significance = "moderate"\n'
                                       'kinds = ["correction"]\n', 1), encoding="utf-8")
        assert site(seed_archive, out).exit_code == 0
        assert len(entries(out / FEED)) == 1
        # Each option replaces its own setting.
        assert site(seed_archive, out, "--kind", "body").exit_code == 0
        assert len(entries(out / FEED)) == 2
        assert site(seed_archive, out, "--min-significance", "minor").exit_code == 0
        assert len(entries(out / FEED)) == 1
    finally:
        config.write_text(text, encoding="utf-8")


def test_usage_errors(seed_archive, tmp_path):
    result = site(seed_archive, tmp_path / "a", "--min-significance", "huge")
    assert result.exit_code == 2
    assert "unknown significance 'huge'; use one of minor, moderate, major" in result.stderr
    assert "Traceback" not in result.output
    result = site(seed_archive, tmp_path / "b", "--kind", "typo")
    assert result.exit_code == 2 and "unknown change kind 'typo'" in result.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with open_archive(seed_archive) as arc, pytest.raises(SiteError) as info:
        build_site(arc, tmp_path / "c", min_significance="big")
    assert info.value.usage


def test_site_settings_are_checked():
    settings = parse_config('[site]\nmin_significance = "major"\nkinds = ["new"]\n').site
    assert (settings.min_significance, settings.kinds) == ("major", ["new"])
    assert parse_config("").site.min_significance == ""
    with pytest.raises(ConfigError, match="site.min_significance must be one of"):
        parse_config('[site]\nmin_significance = "big"\n')
    with pytest.raises(ConfigError, match="site.kinds: unknown change kind 'headlines'"):
        parse_config('[site]\nkinds = ["headlines"]\n')


@given(st.sampled_from([None, *SIGNIFICANCE_LEVELS]),
       st.lists(st.sampled_from([*CHANGE_KINDS, "new"]), unique=True))
def test_filter_words(level, kinds):
    words = filter_words(level, kinds)
    assert (words == "") == (level is None and not kinds)
    assert words == filter_words(level, list(reversed(kinds)))
    assert all(re.search(rf"\b{re.escape(k)}\b", words) for k in kinds)
    if level:
        assert words.startswith(f"changes of {level} significance or more")


def test_serve_takes_the_filter_too(seed_archive, tmp_path):
    # A bad level is refused before anything is written or served.
    result = CliRunner().invoke(app, ["serve", "--dir", str(tmp_path / "s"), "--port", "0",
                                      "--min-significance", "huge",
                                      "--archive", str(seed_archive)])
    assert result.exit_code == 2 and "unknown significance 'huge'" in result.stderr
    assert not (tmp_path / "s").exists()
