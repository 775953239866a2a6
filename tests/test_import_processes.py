"""``gitnews import`` extracting in worker processes while the importing thread records:
the same commits, byte for byte, as extracting in that thread; a bounded number of
captures read ahead; per-record errors and the payload-digest shortcut kept.  Real
WARCs of recorded real pages, real git archives, real worker processes."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import DATA, git
from warcs import Rec, write_warc

from gitnews.archive.repo import init_archive, open_archive
from gitnews.errors import GitnewsError
from gitnews.models import Outcome
from gitnews.ops.importing import _Loaded, _Planned, _ReadAhead
from gitnews.ops.warc_import import import_warcs
from gitnews.pagetext.extract import extract_article
from gitnews.pagetext.pipeline import TextSettings
from gitnews.pagetext.pool import ENV_PROCESSES, ExtractionPool

BBC = DATA / "scenarios" / "bbc-2009"
TRUE = DATA / "scenarios" / "true-versions" / "pages"
SEED = DATA / "scenarios" / "seed-guardian" / "pages"
# Per article: the pages its captures serve in turn (a version every few captures, reverts,
# a teaser that the Recorder holds, the same bytes again and again).
ARTICLES = {
    "http://news.example/a/one.html": [BBC / "7984711-A.stm.html"] * 3
    + [BBC / "7984711-B.stm.html"] * 3 + [BBC / "7984711-A.stm.html"] * 2,
    "http://news.example/a/two.html": [TRUE / "6072486-A.html", TRUE / "6072486-teaser.html",
                                       TRUE / "6072486-A1.html", TRUE / "6072486-B.html",
                                       TRUE / "6072486-B.html", TRUE / "6072486-A.html"],
    "http://news.example/a/three.html": [SEED / "gaps-remain-v1.html"] * 4
    + [SEED / "gaps-remain-v2.html"] * 4,
    "http://news.example/a/four.html": [BBC / "6072486-A.stm.html", BBC / "7984711-B.stm.html"] * 4,
}
NOW = datetime(2020, 1, 1, tzinfo=UTC)


def crawl() -> list[Rec]:
    """Captures of the ARTICLES interleaved in time, written in another order, with
    records that fail or are skipped among them."""
    recs = [Rec("warcinfo")]
    for k in range(8):
        for a, (url, pages) in enumerate(ARTICLES.items()):
            if k < len(pages):
                recs.append(Rec("response", url, f"2019-05-{1 + k:02d}T10:{a:02d}:00Z",
                                pages[k].read_bytes()))
    recs.reverse()  # the import sorts by capture time
    recs += [
        Rec("response", "http://news.example/b/empty.html", "2019-05-03T11:00:00Z",
            b"<html><body><script>var a = 1;</script></body></html>"),  # no article text
        Rec("response", "http://news.example/b/gone.html", "2019-05-03T11:01:00Z",
            b"<html>gone</html>", status="404 Not Found"),
        Rec("response", "http://news.example/b/data.json", "2019-05-03T11:02:00Z", b"{}",
            content_type="application/json"),
        Rec("response", "http://news.example/b/undated.html", None, b"<html></html>"),
        Rec("response", "mailto:someone@news.example", "2019-05-03T11:03:00Z",
            (BBC / "6072486-A.stm.html").read_bytes()),
    ]
    return recs


def _import(tmp_path, name: str, warc, monkeypatch, processes: str, calls: list | None = None):
    monkeypatch.setenv(ENV_PROCESSES, processes)
    if calls is not None:  # count what goes to the worker processes (the real method runs)
        real = ExtractionPool.submit_article

        def counted(self, body, **kw):
            calls.append(kw.get("url"))
            return real(self, body, **kw)

        monkeypatch.setattr(ExtractionPool, "submit_article", counted)
    path = init_archive(tmp_path / name, now=NOW)
    archive = open_archive(path, lock=True)
    try:
        result = import_warcs(archive, [warc])
    finally:
        archive.close()
    monkeypatch.undo()
    return path, result


def _items(result):
    return [(i.outcome, i.source, i.url, i.captured_at, i.reason, i.message, i.where, i.path,
             i.version, i.headline) for i in result.items]


def test_an_import_in_processes_makes_the_same_commits_as_one_in_the_thread(tmp_path,
                                                                            monkeypatch):
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, crawl())
    calls: list = []
    threads, in_thread = _import(tmp_path, "threads", warc, monkeypatch, "0")
    pooled, in_processes = _import(tmp_path, "processes", warc, monkeypatch, "2", calls)

    # Byte for byte: the same commit ids (same trees, messages, trailers, dates, order).
    assert git(pooled, "rev-parse", "HEAD") == git(threads, "rev-parse", "HEAD")
    assert git(pooled, "rev-list", "--count", "HEAD") == git(threads, "rev-list", "--count", "HEAD")
    assert _items(in_processes) == _items(in_thread)
    # The scenario has what it is meant to have: versions, reverts, a held teaser, the
    # digest shortcut, and per-record failures.
    outcomes = [i.outcome for i in in_thread.items]
    assert in_thread.versions_added >= 10
    assert Outcome.HELD in outcomes
    assert in_thread.skipped.get("same text as the article's previous version", 0) >= 10
    failed = {i.url: i.message for i in in_thread.failures}
    assert "no article text" in failed["http://news.example/b/empty.html"]
    assert len(failed) == 3, failed
    # The pages went to the workers, once per page to read: the repeats were never extracted.
    captures = sum(len(pages) for pages in ARTICLES.values())
    assert 0 < len(calls) < captures
    assert "http://news.example/b/empty.html" in calls


def _planned(n: int, digests: list[str | None]) -> list[_Planned]:
    when = datetime(2019, 5, 1, 10, tzinfo=UTC)
    return [_Planned(url=f"http://news.example/a/{i % n}.html",
                     captured_at=when.replace(minute=i), order=i, source="t.warc", where=None,
                     digest=digests[i], ref=i) for i in range(len(digests))]


def test_read_ahead_holds_at_most_its_window_and_drops_what_is_skipped():
    pages = [p.read_bytes() for p in (BBC / "7984711-A.stm.html", BBC / "7984711-B.stm.html",
                                      BBC / "6072486-A.stm.html")]
    # 3 articles, 30 captures: article 0 always the same bytes (one read needed), the others
    # alternating (every capture needed), a few without digest (always needed).
    digests = [("same" if i % 3 == 0 else f"d{i % 2}") if i % 7 else None for i in range(30)]
    planned = _planned(3, digests)
    loads: list[int] = []

    def load(p: _Planned) -> _Loaded:
        loads.append(p.order)
        if p.order == 4:
            raise GitnewsError("record 4 is damaged")
        return _Loaded(final_url=p.url, captured_at=p.captured_at, status=200,
                       content_type="text/html", body=pages[p.order % 3], source=p.source)

    with ExtractionPool(1) as pool:
        ahead = _ReadAhead(planned, load, pool, TextSettings(), window=3)
        got, last = {}, {}
        for n, p in enumerate(planned):
            ahead.advance(n)
            assert len(ahead._held) <= 3
            assert all(i >= n for i in ahead._held)
            if n % 5 == 0:
                continue  # the loop skips this capture (not newer...): dropped, never read
            if p.digest and last.get(p.url) == p.digest:
                continue  # the same bytes again: no extraction (as _import_one does)
            last[p.url] = p.digest
            try:
                loaded = ahead.read(p)
            except GitnewsError as exc:
                got[n] = str(exc)
                continue
            got[n] = ahead.extract(p, loaded).article
    assert len(loads) == len(set(loads)), "a capture was read twice"
    assert got[4] == "record 4 is damaged"
    for n, article in got.items():
        if n != 4:
            assert article == extract_article(pages[n % 3], url=planned[n].url)
    # Article 0's repeats were not read: only its captures after one without digest.
    assert [i for i in loads if i % 3 == 0 and digests[i]] == [3, 24]
    assert all(i in loads for i in got)


def test_pages_without_article_fail_one_by_one_in_processes_too(tmp_path, monkeypatch):
    warc = tmp_path / "bad.warc.gz"
    recs = [Rec("response", f"http://news.example/c/{i}.html", f"2019-06-01T10:{i:02d}:00Z",
                b"<html><body><script>var a = 1;</script></body></html>") for i in range(40)]
    write_warc(warc, recs)
    _, result = _import(tmp_path, "bad", warc, monkeypatch, "2")
    assert len(result.failures) == 40
    assert all("no article text" in i.message for i in result.failures)
