"""The filters on significance and kind: `gitnews feed --min-significance/--kind` and the
`[hooks]` filter, on an archive recorded from the real seed page (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import run_gitnews
from test_corrections import AMENDED, SEED_V1, SEED_V2, T0, record, with_paragraph

from gitnews.archive.repo import init_archive, open_archive
from gitnews.config import parse_config
from gitnews.errors import ConfigError
from gitnews.models import ItemResult, Outcome, RunResult
from gitnews.output.hooks import notify_changes

SEED_PATH = ("theguardian.com/society/2016/sep/29/"
             "gaps-remain-in-tackling-child-sexual-exploitation-ofsted.txt")


@pytest.fixture(scope="module")
def seed_archive(tmp_path_factory):
    """v1 new, v2 minor (one word), v3 a correction notice (moderate), v4 a number changed
    without a notice (moderate, unannounced)."""
    path = init_archive(tmp_path_factory.mktemp("signals") / "archive",
                        now=T0 - timedelta(days=1))
    v3 = with_paragraph(SEED_V2, AMENDED)
    v4 = v3.replace(b"patchy care system", b"patchy care system in 12 areas")
    with open_archive(path) as arc:
        for hour, page in enumerate((SEED_V1, SEED_V2, v3, v4)):
            record(arc, page, T0 + timedelta(hours=hour))
    return path


def feed_titles(archive, *options: str) -> list[str]:
    proc = run_gitnews("feed", "--archive", str(archive), *options, check=True)
    from xml.etree import ElementTree

    root = ElementTree.fromstring(proc.stdout)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    return [e.findtext("a:title", namespaces=ns) or "" for e in root.findall("a:entry", ns)]


def test_feed_filters(seed_archive):
    assert len(feed_titles(seed_archive)) == 3
    assert len(feed_titles(seed_archive, "--min-significance", "moderate")) == 2
    assert len(feed_titles(seed_archive, "--min-significance", "major")) == 0
    assert len(feed_titles(seed_archive, "--kind", "correction")) == 1
    assert len(feed_titles(seed_archive, "--kind", "correction", "--kind", "body")) == 3
    assert len(feed_titles(seed_archive, "--kind", "correction", "--min-significance",
                           "major")) == 0
    # The limit counts the changes that pass.
    assert len(feed_titles(seed_archive, "--min-significance", "moderate", "-n", "1")) == 1


def test_feed_filter_usage_errors(seed_archive):
    proc = run_gitnews("feed", "--archive", str(seed_archive), "--min-significance", "huge")
    assert proc.returncode == 2
    assert "unknown significance 'huge'; use one of minor, moderate, major" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_gitnews("feed", "--archive", str(seed_archive), "--kind", "typo")
    assert proc.returncode == 2 and "unknown change kind 'typo'" in proc.stderr


def test_hooks_filter(seed_archive, tmp_path):
    config = seed_archive / "gitnews.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count('min_significance = ""') == 1
    items = [ItemResult(url="x", outcome=Outcome.CHANGED, path=SEED_PATH, version=n)
             for n in (2, 3, 4)] + [ItemResult(url="x", outcome=Outcome.NEW, path=SEED_PATH,
                                               version=1)]
    log = tmp_path / "versions.txt"
    command = f'echo "$GITNEWS_VERSION" >> {log}'
    try:
        config.write_text(text.replace('min_significance = ""', 'min_significance = "moderate"'),
                          encoding="utf-8")
        with open_archive(seed_archive) as arc:
            report = notify_changes(arc, RunResult(items=items), command=command)
        assert (report.events, report.filtered) == (2, 2)
        assert log.read_text().split() == ["3", "4"]
        log.unlink()
        config.write_text(text.replace("kinds = []", 'kinds = ["correction", "new"]'),
                          encoding="utf-8")
        with open_archive(seed_archive) as arc:
            report = notify_changes(arc, RunResult(items=items), command=command)
        assert sorted(log.read_text().split()) == ["1", "3"]
    finally:
        config.write_text(text, encoding="utf-8")


def test_hooks_filter_settings_are_checked():
    assert parse_config('[hooks]\nmin_significance = "major"\n').hooks.min_significance == "major"
    with pytest.raises(ConfigError, match="hooks.min_significance must be one of minor, "
                                          "moderate, major"):
        parse_config('[hooks]\nmin_significance = "big"\n')
    with pytest.raises(ConfigError, match="unknown change kind 'headlines'"):
        parse_config('[hooks]\nkinds = ["headlines"]\n')
