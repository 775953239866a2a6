"""Text that goes into commits: headlines, bylines, dates and URLs with newlines,
``---``, ``Key: value`` lines, control characters or thousands of characters
never break the subject or the trailers of a real version commit (read back
with git's own trailer parser); and a broken gitnews.toml gives its line and
problem, never a traceback."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from itertools import count

import pytest
from conftest import run_gitnews
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitnews.archive.repo import init_archive, open_archive
from gitnews.config import load_config
from gitnews.errors import BlockedURLError, ConfigError
from gitnews.format.normalise import render_article
from gitnews.format.urls import canonical_url
from gitnews.models import Article, Page
from gitnews.versions.record import Capture, Recorder

NASTY = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200),
    st.sampled_from(["---", "--- a", "\n---\n", "Key: value", "Version: 99\nArticle-Url: x",
                     "Signed-off-by: someone", "\n\nFetched-At: never", "#comment", " leading",
                     "a\r\nb", "\x00\x1b[31mred", "x" * 5000, "\u2028\u2029\u0085", "\ufeff",
                     "Co-authored-by: a <b@c>", "(cherry picked from commit abc)", ""]))
KEYS = ("Article-Url", "Version", "Fetched-At", "Http-Status", "Extractor")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = init_archive(tmp_path_factory.mktemp("text") / "archive")
    with open_archive(path, lock=True) as arc:
        yield arc


_ids = count()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(headline=NASTY, byline=NASTY, published=NASTY, paragraph=NASTY, tail=NASTY)
def test_nothing_in_a_page_breaks_a_version_commit(archive, headline, byline, published,
                                                   paragraph, tail):
    url = f"http://example.com/story-{next(_ids)}/{tail[:50]}"
    try:
        canonical_url(url)
    except BlockedURLError:
        return  # refused before any commit (tests/test_hostile_urls.py)
    article = Article(headline=headline, paragraphs=(paragraph or "text", "second"),
                      byline=byline or None, published_at=published or None,
                      extractor="trafilatura 2.3.1")
    page = Page(url=url, final_url=url, status=200, body=b"<html/>",
                fetched_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC))
    with archive.transaction() as tx:
        recorder = Recorder(archive, tx)
        result = recorder.record(Capture(requested_url=url, page=page, article=article,
                                         text=render_article(article)))
    recorder.apply()
    where = str(archive.path)
    message = subprocess.run(["git", "-C", where, "log", "-1", "--format=%B"],
                             capture_output=True, text=True, check=True).stdout
    subject = message.split("\n", 1)[0]
    assert subject.startswith("New: ") and len(subject) <= 72
    parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                            capture_output=True, text=True, check=True).stdout
    keys = [line.split(": ", 1)[0] for line in parsed.splitlines()]
    assert keys[:5] == list(KEYS), (keys, message)
    assert set(keys) <= set(KEYS) | {"Byline", "Published-At", "Fetched-Url", "Feed", "Page-Sha256",
                                     "Change-Kind", "Captured-At", "Source-Archive"}
    assert len(keys) == len(set(keys)), message
    assert "Version: 1" in parsed.splitlines()
    # Only this article's file changed.
    files = subprocess.run(["git", "-C", where, "-c", "core.quotePath=false", "show",
                            "--name-only", "--format=", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert files == [result.path]


BROKEN_CONFIGS = {
    "unclosed list": ("feeds = [\n", "line"),
    "bad string": ('feeds = ["http://a\n', "line 1"),
    "garbage": ("\x00\x01\x02", "line 1"),
    "invalid utf-8": (b"feeds = ['\xff']".decode("latin-1"), None),
    "duplicate key": ("feeds = []\nfeeds = []\n", "line 2"),
    "duplicate table": ("[fetch]\n[fetch]\n", "line 2"),
    "wrong type": ('feeds = "http://example.com/feed"\n', "line 1: feeds must be a list"),
    "wrong item": ('articles = ["http://a", 3]\n', "line 1: articles[1] must be str"),
    "unknown key": ("[fetch]\nspeed = 11\n", "line 2: unknown key 'speed'"),
    "unknown table": ("[mystery]\nx = 1\n", "line 1: unknown key 'mystery'"),
    "table as value": ("fetch = 3\n", "line 1"),
    "bool for number": ("[fetch]\ntimeout_s = true\n", "line 2: fetch.timeout_s must be float"),
    "negative size": ("[fetch]\nmax_bytes = -1\n", "line 2: fetch.max_bytes = -1 is out of range"),
    "huge concurrency": ("[fetch]\nconcurrency = 100000\n", "line 2: fetch.concurrency"),
    "zero timeout": ("[fetch]\n# slow\ntimeout_s = 0\n", "line 3: fetch.timeout_s"),
    "too many redirects": ("[fetch]\nmax_redirects = 1000\n", "line 2"),
    "author not text": ("[archive]\nauthor_name = 42\n", "line 2: archive.author_name"),
    "array of tables": ("[[fetch]]\ntimeout_s = 1\n", "fetch"),
    "nan": ("[fetch]\ntimeout_s = nan\n", "line 2"),
    "inf": ("[fetch]\ntimeout_s = inf\n", "line 2"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_CONFIGS))
def test_broken_config_gives_line_and_problem(tmp_path, name):
    text, expected = BROKEN_CONFIGS[name]
    (tmp_path / "gitnews.toml").write_bytes(text.encode("latin-1") if name == "invalid utf-8"
                                            else text.encode("utf-8"))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert "gitnews.toml" in str(err.value)
    if expected:
        assert expected in str(err.value), str(err.value)


@pytest.mark.parametrize("name", ["unclosed list", "wrong type", "huge concurrency"])
def test_broken_config_on_the_command_line(tmp_path, name):
    text, expected = BROKEN_CONFIGS[name]
    archive = init_archive(tmp_path / "a")
    (archive / "gitnews.toml").write_text(text, encoding="utf-8")
    for command in (["run"], ["feeds"], ["add", "--feed", "http://example.com/f"]):
        r = run_gitnews(*command, "--archive", str(archive))
        assert r.returncode == 2, (command, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
        assert "gitnews.toml" in r.stderr, r.stderr
        if expected:
            assert expected in r.stderr, r.stderr


def test_config_that_is_a_folder(tmp_path):
    archive = init_archive(tmp_path / "a")
    (archive / "gitnews.toml").unlink()
    (archive / "gitnews.toml").mkdir()
    r = run_gitnews("run", "--archive", str(archive))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "gitnews.toml" in r.stderr, r.stderr
