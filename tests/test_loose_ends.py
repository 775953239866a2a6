"""The loose ends of issue 18 (sources and signals): a source's headline kept in the
backlog, per-host schedules for robots.txt put-offs and next-check sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import DATA, git, init_test_archive, run_gitnews
from politeserver import Reply

from gitnews.archive.cache.articles import ArticleRecord
from gitnews.config import parse_config
from gitnews.errors import RobotsDisallowedError
from gitnews.ops.checks import CheckOutcome
from gitnews.ops.plan import HostPolicies, Pending, Work
from gitnews.ops.run import _record
from gitnews.versions.schedule import Policy, stopped_note, wait_s

SITEMAPS = DATA / "sitemaps"
XML = "application/xml"


def _http_links(path: Path) -> bytes:
    return path.read_bytes().replace(b"https://www.bentonvillebulletin.com/",
                                     b"http://www.bentonvillebulletin.com/")


# -- 1. Source-Title survives the backlog ------------------------------------------------------
def test_a_news_title_seen_in_a_bounded_run_is_kept_for_the_run_that_fetches_it(
        polite_proxy, tmp_path):
    from test_sitemaps import BENTONVILLE, SEED_PAGE

    sitemap = "http://www.bentonvillebulletin.com/news-sitemap.xml"
    polite_proxy.route(sitemap, Reply(body=_http_links(BENTONVILLE[0]), content_type=XML))
    story = ("http://www.bentonvillebulletin.com/p/"
             "the-pastrami-wagon-rolls-into-downtown-bentonville")
    polite_proxy.route(story, Reply(body=SEED_PAGE.read_bytes()))
    archive = init_test_archive(tmp_path / "a", retries=0)
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "articles = []", f'articles = []\nsitemaps = ["{sitemap}"]', 1)
        + f'\n[sources."{sitemap}"]\ninterval = "1d"\n', encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "src")
    env = polite_proxy.env()
    first = run_gitnews("run", "--max-articles", "0", "--archive", str(archive), env=env)
    assert first.returncode in (0, 1), first.stderr
    assert not polite_proxy.requests_to(path=story.split(".com")[1])
    from gitnews.archive.repo import open_archive

    with open_archive(archive) as arc:
        rows = {row["url"]: row for row in arc.state.backlog()}
    assert len(rows) == 10
    assert rows[story]["title"] == "The Pastrami Wagon Rolls Into Downtown Bentonville"
    # The next run does not read the sitemap again (its interval is a day): the
    # headline comes from the backlog.
    second = run_gitnews("run", "--archive", str(archive), env=env)
    assert "NEW       v1" in second.stdout, second.stdout + second.stderr
    assert len(polite_proxy.requests_to(path="/news-sitemap.xml")) == 1
    log = git(archive, "log", "--format=%B", "--", "bentonvillebulletin.com")
    assert "Source-Title: The Pastrami Wagon Rolls Into Downtown Bentonville" in log, log


def test_backlog_rows_without_a_title_keep_the_earlier_json_list(tmp_path):
    from gitnews.archive.repo import open_archive

    archive = init_test_archive(tmp_path / "a")
    with open_archive(archive) as arc:
        state = arc.state
        state.keep_backlog([
            {"key": "k1", "url": "https://e.test/1", "feed": None, "aliases": ["https://e.test/x"],
             "first_seen": "2026-01-01T00:00:00Z"},
            {"key": "k2", "url": "https://e.test/2", "feed": "https://e.test/s.xml",
             "aliases": [], "first_seen": "2026-01-01T00:00:01Z", "title": "Héadline"}])
        state.db.commit()
        raw = dict(state.db.execute("SELECT key, aliases FROM backlog").fetchall())
        assert raw["k1"] == '["https://e.test/x"]'
        assert raw["k2"] == '{"aliases": [], "title": "Héadline"}'
        rows = state.backlog()
    assert [(r["aliases"], r["title"]) for r in rows] == [(["https://e.test/x"], None),
                                                          ([], "Héadline")]


# -- 2. per-host schedules everywhere ----------------------------------------------------------
_HOSTS = ('[schedule]\nafter_change = "30m"\nstop_after = "40d"\n'
          '[schedule.hosts."slow.test"]\nafter_change = "6h"\nstop_after = "2d"\n')


def _known(url: str, changed: datetime) -> ArticleRecord:
    stamp = changed.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ArticleRecord(path="slow.test/a.txt", url=url, versions=1, blob=None, headline=None,
                         feed=None, first_seen=stamp, last_changed=stamp, removed=False,
                         last_checked=stamp)


def test_a_robots_put_off_waits_as_long_as_the_hosts_schedule_says():
    config = parse_config(_HOSTS)
    default = Policy.from_settings(config.schedule)
    policies = HostPolicies(config.schedule, default)
    t = datetime(2026, 1, 1, 12, tzinfo=UTC)
    puts = {}
    for url in ("http://slow.test/a", "http://other.test/a"):
        record = _known(url, t)
        work = Work(url=url, path=record.path, record=record, policy=policies.for_url(url))
        pending = Pending()
        item = _record(CheckOutcome(work=work, error=RobotsDisallowedError(f"{url} disallowed", url=url)),
                       None, pending, t=t, policy=default)  # type: ignore[arg-type]
        assert item.outcome.name == "SKIPPED"
        [(_path, until)] = pending.put_off
        puts[url] = until - t
    # One unchanged check more, from the host's after_change (6 h) or the default (30 min).
    slow = policies.for_url("http://slow.test/a")
    assert puts["http://slow.test/a"] == timedelta(seconds=wait_s(slow, age_s=0, unchanged=1))
    assert puts["http://other.test/a"] == timedelta(seconds=wait_s(default, age_s=0,
                                                                   unchanged=1))
    assert puts["http://slow.test/a"] > puts["http://other.test/a"]


def test_the_stopped_note_uses_the_articles_host_schedule():
    config = parse_config(_HOSTS)
    policies = HostPolicies(config.schedule, Policy.from_settings(config.schedule))
    note = stopped_note(policies.for_url)
    now = datetime(2026, 1, 10, tzinfo=UTC)
    changed = now - timedelta(days=5)
    assert "won't be checked again" in (note(_known("http://slow.test/a", changed), now) or "")
    assert note(_known("http://other.test/a", changed), now) is None


def test_log_names_the_next_check_by_the_hosts_schedule(polite_proxy, tmp_path):
    from test_sitemaps import SEED_PAGE

    archive = init_test_archive(tmp_path / "a")
    config = archive / "gitnews.toml"
    config.write_text(config.read_text(encoding="utf-8")
                      + '\n[schedule.hosts."slow.test"]\nafter_change = "5m"\n',
                      encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "hosts")
    url = "http://slow.test/2026/story"
    polite_proxy.route(url, Reply(body=SEED_PAGE.read_bytes()))
    env = polite_proxy.env()
    run_gitnews("add", "--archive", str(archive), url, env=env, check=True)
    run_gitnews("run", "--archive", str(archive), env=env, check=True)
    out = run_gitnews("log", "--json", "--archive", str(archive), url, env=env)
    assert '"next_check": "Next check in about 5 minutes."' in out.stdout, out.stdout


# -- 3. feeds --json lists every source --------------------------------------------------------
def test_feeds_json_lists_feeds_sitemaps_and_fronts_with_their_filters_and_interval(tmp_path):
    import json

    from test_versions_cli import documented_schema, validate

    archive = init_test_archive(tmp_path / "a")
    config = archive / "gitnews.toml"
    feed, sitemap, front = ("https://e.test/feed.xml", "https://e.test/news-sitemap.xml",
                            "https://e.test/")
    text = config.read_text(encoding="utf-8").replace(
        "articles = []", f'articles = []\nsitemaps = ["{sitemap}"]\nfronts = ["{front}"]', 1)
    text = text.replace("feeds = []", f'feeds = ["{feed}"]', 1)
    config.write_text(text + f'\n[sources."{sitemap}"]\ninclude = ["*/p/*"]\n'
                      'exclude = ["re:sport"]\ninterval = "1h30m"\n', encoding="utf-8")
    git(archive, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "src")
    doc = json.loads(run_gitnews("feeds", "--json", "--archive", str(archive), check=True).stdout)
    schema = documented_schema()
    validate(doc, "gitnews.feeds/1", schema)
    assert [(s["kind"], s["url"]) for s in doc["sources"]] == [
        ("feed", feed), ("sitemap", sitemap), ("front", front)]
    assert [f["url"] for f in doc["feeds"]] == [feed]
    by_kind = {s["kind"]: s for s in doc["sources"]}
    assert (by_kind["sitemap"]["include"], by_kind["sitemap"]["exclude"],
            by_kind["sitemap"]["interval"]) == (["*/p/*"], ["re:sport"], 5400)
    assert (by_kind["front"]["include"], by_kind["front"]["interval"]) == ([], None)
    assert by_kind["feed"]["last_read"] is None


# -- 4. a bad pattern names the source, the key and the line -----------------------------------
def test_a_bad_source_pattern_names_the_source_the_key_and_the_line():
    import pytest

    from gitnews.errors import ConfigError

    text = ('feeds = []\n\n[sources."https://e.test/news-sitemap.xml"]\ninterval = "1h"\n'
            'include = ["*/p/*"]\nexclude = ["*/sport/*", "re:(unclosed"]\n')
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    message = str(err.value)
    assert message.startswith('gitnews.toml, line 6: sources."https://e.test/news-sitemap.xml"'
                              ".exclude: 're:(unclosed' is not a valid regular expression"), message
    with pytest.raises(ConfigError, match=r'^gitnews.toml, line 4: unknown key \'every\' in '
                                          r'sources."https://e.test/a"'):
        parse_config('feeds = []\n[sources."https://e.test/b"]\n[sources."https://e.test/a"]\n'
                     'every = "1h"\n')
    with pytest.raises(ConfigError, match=r'^gitnews.toml, line 3: schedule.hosts."a.test".backoff'):
        parse_config('[schedule]\n[schedule.hosts."a.test"]\nbackoff = 50\n')


def test_a_bad_pattern_reaches_the_user_with_its_line_and_exit_2(tmp_path):
    archive = init_test_archive(tmp_path / "a")
    config = archive / "gitnews.toml"
    text = config.read_text(encoding="utf-8") + '\n[sources."https://e.test/s.xml"]\n' \
        'include = ["re:(unclosed"]\n'
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index('include = ["re:(unclosed"]') + 1
    out = run_gitnews("run", "--dry-run", "--archive", str(archive))
    assert out.returncode == 2
    assert f'gitnews.toml, line {line}: sources."https://e.test/s.xml".include:' in out.stderr
    assert "Traceback" not in out.stderr


# -- 5. significance and corrections shown ----------------------------------------------------
def _signals_archive(tmp_path):
    """v1 new, v2 minor (one word), v3 a correction notice (moderate), v4 a number changed
    without a notice (moderate, unannounced): the seed page, as test_significance_filters."""
    from test_corrections import AMENDED, SEED_V1, SEED_V2, T0, record, with_paragraph

    from gitnews.archive.repo import init_archive, open_archive

    path = init_archive(tmp_path / "signals", now=T0 - timedelta(days=1))
    v3 = with_paragraph(SEED_V2, AMENDED)
    v4 = v3.replace(b"patchy care system", b"patchy care system in 12 areas")
    with open_archive(path) as arc:
        for hour, page in enumerate((SEED_V1, SEED_V2, v3, v4)):
            record(arc, page, T0 + timedelta(hours=hour))
    return path, AMENDED


SEED_URL = ("https://www.theguardian.com/society/2016/sep/29/"
            "gaps-remain-in-tackling-child-sexual-exploitation-ofsted")


def test_log_shows_significance_corrections_and_unannounced_changes(tmp_path):
    import json
    import re

    from test_versions_cli import documented_schema, validate

    archive, amended = _signals_archive(tmp_path)
    out = run_gitnews("log", "--archive", str(archive), SEED_URL, check=True).stdout
    rows = [line for line in out.splitlines() if re.match(r"\s+\d\s+2016-", line)]
    assert len(rows) == 4, out
    assert "[" not in rows[0]  # the first version has no Significance
    assert "1 paragraph changed [minor]" in rows[1], rows[1]
    assert "(correction) [moderate]" in rows[2] and "[moderate]" in rows[3]
    assert f"correction notice: {amended[:40]}" in out
    assert "moderate: 1 paragraph added; correction notice; 2 numbers changed" in out
    assert "changed without a notice: 1 number, 1 quote" in out

    doc = json.loads(run_gitnews("log", "--json", "--archive", str(archive), SEED_URL,
                                 check=True).stdout)
    schema = documented_schema()
    versions = doc["versions"]
    for v in versions:
        validate(v, "version", schema)
    assert "significance" not in versions[0] and "correction" not in versions[0]
    assert (versions[1]["significance"], versions[1]["significance_reasons"]) == (
        "minor", ["1 word changed"])
    assert versions[2]["correction"] == amended and "unannounced" not in versions[2]
    assert versions[2]["significance_reasons"] == [
        "1 paragraph added", "correction notice", "2 numbers changed"]
    assert versions[3]["unannounced"] == "1 number, 1 quote"


def test_feed_entries_name_the_significance_and_the_correction(tmp_path):
    from xml.etree import ElementTree

    archive, amended = _signals_archive(tmp_path)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    atom = ElementTree.fromstring(run_gitnews("feed", "--archive", str(archive),
                                              check=True).stdout)
    summaries = [e.findtext("a:summary", namespaces=ns) or ""
                 for e in atom.findall("a:entry", ns)]  # newest first
    assert len(summaries) == 3
    assert "Significance: moderate (1 number, 1 quote changed)." in summaries[0]
    assert "Changed without a notice: 1 number, 1 quote." in summaries[0]
    assert ("Significance: moderate (1 paragraph added; correction notice; 2 numbers changed)."
            in summaries[1])
    assert f"Correction notice: \u201c{amended}\u201d." in summaries[1]
    assert summaries[2].endswith("Significance: minor (1 word changed).")
    rss = ElementTree.fromstring(run_gitnews("feed", "--rss", "--archive", str(archive),
                                             check=True).stdout)
    descriptions = [i.findtext("description") or "" for i in rss.iter("item")]
    assert f"Correction notice: \u201c{amended}\u201d." in descriptions[1]


def test_versions_without_the_trailers_show_as_before():
    """Archives recorded before these trailers: no marker, line, field or summary."""
    from gitnews.cli.versions import _signal_lines
    from gitnews.models import Version
    from gitnews.output.changefeed import signals_note
    from gitnews.output.jsondocs import signals_json

    trailers = {"Article-Url": SEED_URL, "Version": "2", "Change-Kind": "body"}
    version = Version(path="e.test/x.txt", commit="0" * 40, number=2, fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
                      subject="Changed: x", trailers=trailers, blob="1" * 40)
    assert signals_note(version) is None
    assert signals_json(trailers) == {}
    assert _signal_lines(trailers) == []
