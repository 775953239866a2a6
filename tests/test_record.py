"""The Recorder's decisions on real pages, in real git repositories (no HTTP: captures are
built from the recorded BBC pages in tests/data, as an import would build them)."""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from conftest import DATA, git

from gitnews.archive.repo import init_archive, open_archive
from gitnews.config import ChangeSettings
from gitnews.format.normalise import render_text
from gitnews.models import Outcome, Page
from gitnews.pagetext.extract import extract_article
from gitnews.pagetext.filters import FilterSet
from gitnews.versions.record import Capture, Recorder
from gitnews.versions.rules import suspicion

URL = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
PATH = "news.bbc.co.uk/1/hi/england/bradford/6072486.txt"
PAGE_A = (DATA / "scenarios" / "bbc-2009" / "6072486-A.stm.html").read_bytes()
T0 = datetime(2006, 10, 21, 15, 0, tzinfo=UTC)


def capture(body: bytes, *, at: datetime, url: str = URL, final: str | None = None,
            filters: FilterSet | None = None, byline: str | None = None) -> Capture:
    final = final or url
    article = extract_article(body, url=final)
    if byline is not None:
        article = dataclasses.replace(article, byline=byline)
    paragraphs = (filters or FilterSet()).for_url(final).apply(article.paragraphs)
    page = Page(url=url, final_url=final, status=200, body=body, fetched_at=at,
                redirects=(url,) if final != url else ())
    return Capture(requested_url=url, page=page, article=article,
                   text=render_text(article.headline, paragraphs))


@pytest.fixture
def archive(tmp_path):
    path = init_archive(tmp_path / "archive", now=T0 - timedelta(days=1))
    with open_archive(path) as arc:
        yield arc


def run(archive, *captures, check_all=False, changes=None):
    """One 'run': a transaction, the captures recorded in order, then the cache updated."""
    tx = archive.transaction()
    rec = Recorder(archive, tx, check_all=check_all, changes=changes)
    items = [c(rec) if callable(c) else rec.record(c) for c in captures]
    tx.finish()
    rec.apply()
    return items


def trailers(archive, rev="HEAD"):
    message = git(archive.path, "log", "-1", "--format=%B", rev)
    parsed = subprocess.run(["git", "interpret-trailers", "--parse"], input=message,
                            capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in parsed.splitlines())


def edited(old: bytes, new: bytes, body: bytes = PAGE_A) -> bytes:
    assert body.count(old) == 1
    return body.replace(old, new)


def test_suspicion():
    full = "H\n\n" + "\n\n".join(f"Paragraph {i} has five words." for i in range(10)) + "\n"
    assert suspicion(full, full) is None
    half = "H\n\n" + "\n\n".join(f"Paragraph {i} has five words." for i in range(4)) + "\n"
    assert suspicion(full, half) == "lost 60% of the words"
    teaser = "H\n\n" + "\n\n".join(f"Paragraph {i} has five words." for i in range(8)) \
        + "\n\nSubscribe to continue reading.\n"
    assert suspicion(full, teaser).startswith("teaser: ")
    assert suspicion(full, "H\n") is not None
    longer = full + "\nOne more paragraph.\n"
    assert suspicion(full, longer) is None


def test_first_version_and_an_edit_carry_page_hash_and_change_kind(archive):
    (item,) = run(archive, capture(PAGE_A, at=T0))
    assert item.outcome is Outcome.NEW and item.path == PATH
    t = trailers(archive)
    assert t["Version"] == "1" and len(t["Page-Sha256"]) == 64 and "Change-Kind" not in t
    page_b = edited(b"on Friday.", b"on Monday.")
    (item,) = run(archive, capture(page_b, at=T0 + timedelta(hours=1), byline="A Reporter"))
    assert item.outcome is Outcome.CHANGED and item.change_kind == "byline, body"
    assert trailers(archive)["Change-Kind"] == "byline, body"
    headline = edited(b"<title>BBC NEWS | England | Bradford | Son-in-law remanded over killing",
                      b"<title>BBC NEWS | England | Bradford | Man remanded over killing", page_b)
    headline = headline.replace(b'content="Son-in-law remanded over killing"',
                                b'content="Man remanded over killing"')
    # ... and the headline a reader sees (this page has no <h1>: its <div class="sh">).
    headline = edited(b"\t\t\t\t\tSon-in-law remanded over killing\n",
                      b"\t\t\t\t\tMan remanded over killing\n", headline)
    (item,) = run(archive, capture(headline, at=T0 + timedelta(hours=2), byline="A Reporter"))
    assert item.change_kind == "headline"


def test_same_page_other_text_is_an_extraction_change(archive):
    run(archive, capture(PAGE_A, at=T0))
    stricter = FilterSet(hosts={"bbc.co.uk": ["Molly Wright .*"]})
    (item,) = run(archive, capture(PAGE_A, at=T0 + timedelta(hours=1), filters=stricter))
    assert item.outcome is Outcome.CHANGED and item.change_kind == "extraction"
    t = trailers(archive)
    assert t["Change-Kind"] == "extraction" and t["Version"] == "2"
    assert t["Page-Sha256"] == trailers(archive, "HEAD~1")["Page-Sha256"]


def test_a_teaser_is_held_and_leaves_no_trace_when_the_text_returns(archive):
    run(archive, capture(PAGE_A, at=T0))
    head = git(archive.path, "rev-parse", "HEAD")
    teaser = PAGE_A[:PAGE_A.index(b"<p>\n<font size=\"2\">Molly")] + PAGE_A[PAGE_A.index(b"<!-- E BO -->"):]
    (item,) = run(archive, capture(teaser, at=T0 + timedelta(hours=1)))
    assert item.outcome is Outcome.HELD and "lost" in item.message
    assert archive.state.get_held(PATH)["sightings"] == 1
    (item,) = run(archive, capture(PAGE_A, at=T0 + timedelta(hours=2)))
    assert item.outcome is Outcome.UNCHANGED
    assert archive.state.get_held(PATH) is None
    assert git(archive.path, "rev-parse", "HEAD") == head


def test_a_held_text_seen_again_is_committed(archive):
    run(archive, capture(PAGE_A, at=T0))
    teaser = PAGE_A[:PAGE_A.index(b"<p>\n<font size=\"2\">Molly")] + PAGE_A[PAGE_A.index(b"<!-- E BO -->"):]
    slow = ChangeSettings(confirm_after_s=7200)
    assert run(archive, capture(teaser, at=T0 + timedelta(hours=1)), changes=slow)[0].outcome is Outcome.HELD
    # seen again, but too soon for confirm_after_s
    assert run(archive, capture(teaser, at=T0 + timedelta(hours=2)), changes=slow)[0].outcome is Outcome.HELD
    (item,) = run(archive, capture(teaser, at=T0 + timedelta(hours=3, minutes=1)), changes=slow)
    assert item.outcome is Outcome.CHANGED and item.version == 2 and item.change_kind == "body"
    assert "Confirmed by 3 checks" in git(archive.path, "log", "-1", "--format=%B")
    assert archive.state.get_held(PATH) is None


def test_confirm_checks_zero_commits_at_once(archive):
    run(archive, capture(PAGE_A, at=T0))
    teaser = PAGE_A[:PAGE_A.index(b"<p>\n<font size=\"2\">Molly")] + PAGE_A[PAGE_A.index(b"<!-- E BO -->"):]
    (item,) = run(archive, capture(teaser, at=T0 + timedelta(hours=1)),
                  changes=ChangeSettings(confirm_checks=0))
    assert item.outcome is Outcome.CHANGED


def test_a_304_confirms_the_held_page(archive):
    run(archive, capture(PAGE_A, at=T0))
    teaser = PAGE_A[:PAGE_A.index(b"<p>\n<font size=\"2\">Molly")] + PAGE_A[PAGE_A.index(b"<!-- E BO -->"):]
    run(archive, capture(teaser, at=T0 + timedelta(hours=1)))
    not_modified = Page(url=URL, final_url=URL, status=304, body=b"",
                        fetched_at=T0 + timedelta(hours=2))
    (item,) = run(archive, lambda rec: rec.not_modified(URL, not_modified, path=PATH))
    assert item.outcome is Outcome.CHANGED and item.version == 2
    t = trailers(archive)
    assert t["Fetched-At"] == "2006-10-21T17:00:00Z" and t["Http-Status"] == "200"
    assert (archive.path / PATH).read_text(encoding="utf-8").count("\n\n") == 1  # headline + lead


def test_captures_through_several_urls_in_one_run_share_one_file(archive):
    items = run(archive,
                capture(PAGE_A, at=T0, url="http://news.bbc.co.uk/go/rss/-/1/hi/england/bradford/6072486.stm",
                        final=URL),
                capture(PAGE_A, at=T0, url="https://news.bbc.co.uk/1/hi/england/bradford/6072486.stm?at_medium=rss"),
                capture(PAGE_A, at=T0, url="http://m.bbc.co.uk/x", final="http://m.bbc.co.uk/x"))
    assert [i.outcome for i in items] == [Outcome.NEW, Outcome.UNCHANGED, Outcome.NEW]
    assert items[0].path == items[1].path == PATH
    for alias in ("http://news.bbc.co.uk/go/rss/-/1/hi/england/bradford/6072486.stm",
                  "https://news.bbc.co.uk/1/hi/england/bradford/6072486.stm/"):
        assert archive.state.lookup(alias).path == PATH


def test_removal_needs_a_confirmation_from_a_later_run(archive):
    run(archive, capture(PAGE_A, at=T0))
    later = T0 + timedelta(minutes=10)
    gone = lambda when, **kw: (lambda rec: rec.gone(URL, path=PATH, status=404, when=when,  # noqa: E731
                                                    detail="HTTP 404"))
    assert run(archive, gone(later), check_all=True)[0].outcome is Outcome.HELD
    # a check ten minutes later is not enough; a later --all run is
    assert run(archive, gone(later + timedelta(minutes=10)))[0].outcome is Outcome.HELD
    (item,) = run(archive, gone(later + timedelta(minutes=20)), check_all=True)
    assert item.outcome is Outcome.REMOVED and item.version == 2
    assert not (archive.path / PATH).exists()
    t = trailers(archive)
    assert {k: t[k] for k in ("Version", "Http-Status", "Change-Kind")} == \
        {"Version": "2", "Http-Status": "404", "Change-Kind": "removed"}
    assert git(archive.path, "log", "-1", "--format=%s").strip() == \
        "Removed: Son-in-law remanded over killing"
    assert git(archive.path, "show", f"HEAD^:{PATH}").startswith("Son-in-law remanded over killing\n")
    # still gone: nothing more; back: restored
    assert run(archive, gone(later + timedelta(hours=5)))[0].outcome is Outcome.UNCHANGED
    (item,) = run(archive, capture(PAGE_A, at=T0 + timedelta(days=1)))
    assert item.version == 3 and item.change_kind == "restored"
    assert git(archive.path, "log", "-1", "--format=%s").startswith("Restored: ")


def test_an_hour_confirms_a_removal_without_all(archive):
    run(archive, capture(PAGE_A, at=T0))
    first = T0 + timedelta(hours=1)
    assert run(archive, lambda r: r.gone(URL, path=PATH, status=410, when=first,
                                         detail="HTTP 410"))[0].outcome is Outcome.HELD
    (item,) = run(archive, lambda r: r.gone(URL, path=PATH, status=410,
                                            when=first + timedelta(hours=1), detail="HTTP 410"))
    assert item.outcome is Outcome.REMOVED


def test_a_page_that_comes_back_cancels_the_pending_removal(archive):
    run(archive, capture(PAGE_A, at=T0))
    run(archive, lambda r: r.gone(URL, path=PATH, status=404, when=T0, detail="HTTP 404"))
    run(archive, capture(PAGE_A, at=T0 + timedelta(hours=2)))
    assert archive.state.get_gone(PATH) is None
    assert run(archive, lambda r: r.gone(URL, path=PATH, status=404, when=T0 + timedelta(hours=3),
                                         detail="HTTP 404"), check_all=True)[0].outcome is Outcome.HELD


def test_unknown_articles_are_never_removed(archive):
    tx = archive.transaction()
    rec = Recorder(archive, tx)
    assert rec.gone("http://x.org/a", path=None, status=404, when=T0, detail="HTTP 404") is None
    assert rec.gone("http://x.org/a", path="x.org/a.txt", status=404, when=T0, detail="HTTP 404") is None
    tx.abort()


def test_reverts_then_alternation_is_only_counted(archive):
    a, b = PAGE_A, edited(b"on Friday.", b"on Monday.")
    hour = timedelta(hours=1)
    items = run(archive, *[capture(page, at=T0 + i * hour) for i, page in enumerate([a, b, a, b, a, b])])
    assert [(i.outcome.value, i.version) for i in items] == [
        ("NEW", 1), ("CHANGED", 2), ("CHANGED", 3), ("CHANGED", 4), ("UNCHANGED", None),
        ("UNCHANGED", None)]
    log = git(archive.path, "log", "--format=%(trailers:key=Reverts-To,valueonly,separator=)|"
              "%(trailers:key=Change-Kind,valueonly,separator=)", "--", PATH).splitlines()
    assert log == ["2|body, revert", "1|body, revert", "|body", "|"]
    assert "alternating: back to the text of version 3" in items[4].message
    assert archive.state.get_alternation(PATH)["returns"] == 1  # the text B that is current
    (item,) = run(archive, capture(a, at=T0 + 7 * hour))
    assert item.outcome is Outcome.UNCHANGED
    assert archive.state.get_alternation(PATH)["returns"] == 2


def test_server_errors_and_timeouts_are_never_removals(archive):
    from gitnews.errors import FetchError, HTTPStatusError
    from gitnews.ops.checks import CheckOutcome
    from gitnews.ops.plan import Pending as _Pending
    from gitnews.ops.plan import Work as _Work
    from gitnews.ops.run import _record
    from gitnews.versions.schedule import Policy

    def check(outcome, rec):
        return _record(outcome, rec, _Pending(), t=T0 + timedelta(hours=1),
                       policy=Policy.from_settings(archive.config.schedule))

    run(archive, capture(PAGE_A, at=T0))
    work = _Work(url=URL, path=PATH)
    for err in (HTTPStatusError("HTTP 503", url=URL, status=503, transient=True),
                HTTPStatusError("HTTP 500", url=URL, status=500, transient=True),
                FetchError("timed out", url=URL, transient=True)):
        for check_all in (False, True):
            (item,) = run(archive, lambda rec, err=err: check(CheckOutcome(work, error=err), rec),
                          check_all=check_all)
            assert item.outcome is Outcome.FAILED
    assert archive.state.get_gone(PATH) is None
    (item,) = run(archive, lambda rec: check(CheckOutcome(work, error=HTTPStatusError(
        "HTTP 404", url=URL, status=404)), rec))
    assert item.outcome is Outcome.HELD


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

paragraphs = st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"),
                              min_size=1, max_size=40), max_size=8)


@settings(max_examples=200, deadline=None)
@given(paragraphs, paragraphs)
def test_suspicion_properties(old, new):
    old_text = render_text("Headline", old)
    new_text = render_text("Headline", new)
    assert suspicion(old_text, old_text) is None  # a text never suspects itself
    if suspicion(old_text, new_text) is not None:
        # only a text with fewer words, or fewer paragraphs, is ever suspicious
        words = lambda t: len(" ".join(t.split("\n\n")[1:]).split())  # noqa: E731
        assert words(new_text) < words(old_text) or new_text.count("\n\n") < old_text.count("\n\n")


def test_a_404_at_a_canonical_url_the_page_never_served_is_not_a_removal(archive):
    """A page may name a canonical URL that its server does not answer (the static corpus
    has three): re-checks ask the URL the text was fetched from, and a 404 elsewhere only
    redirects the next check there."""
    served = "http://taz.de/Siemens-und-die-Kohlemine-Adani/!5655255/"
    named = "http://taz.de/!5655255/"
    cap = capture(PAGE_A, at=T0, url=served)
    cap = dataclasses.replace(cap, article=dataclasses.replace(cap.article, canonical_url=named))
    (item,) = run(archive, cap)
    path = item.path
    assert path == "taz.de/!5655255.txt" and trailers(archive)["Article-Url"] == named
    # the cache does not know where it was fetched (an import, or a lost cache): git does
    (item,) = run(archive, lambda r: r.gone(named, path=path, status=404, when=T0, detail="HTTP 404"))
    assert item.outcome is Outcome.FAILED and f"fetched from {served}" in item.message
    assert archive.state.get_fetched(path)[0] == served
    (item,) = run(archive, lambda r: r.gone(served, path=path, status=404, when=T0, detail="HTTP 404"))
    assert item.outcome is Outcome.HELD
    # a live fetch records its URL for the re-checks
    live = dataclasses.replace(capture(PAGE_A, at=T0, url=served), fingerprint="x")
    run(archive, live)
    assert archive.state.get_fetched(path) == (served, "x")


def test_a_subject_cut_at_72_characters_has_the_full_headline_in_the_body(archive):
    long = ("Son-in-law remanded over killing of grandmother, 83, found dead at her home "
            "in Bradford on Friday")
    first = capture(PAGE_A, at=T0)
    first = dataclasses.replace(first, text=long + first.text[first.text.index("\n"):])
    gone = lambda rec: rec.gone(URL, path=PATH, status=404, when=T0 + timedelta(hours=2),  # noqa: E731
                                detail="HTTP 404")
    run(archive, first)
    run(archive, gone, changes=ChangeSettings(confirm_checks=0, removal_confirm_s=0.0))
    for rev, prefix in (("HEAD~1", "New"), ("HEAD", "Removed")):
        message = git(archive.path, "log", "-1", "--format=%B", rev)
        subject, body = message.split("\n\n", 1)
        assert len(subject) <= 72 and subject.endswith("…") and subject.startswith(prefix)
        # The paragraph after the subject gives it in full; the trailers are unchanged.
        assert body.split("\n\n")[0] == f"{prefix}: {long}", message
        assert trailers(archive, rev)["Article-Url"] == URL
    # A subject that fits has no such paragraph.
    short = capture(PAGE_A, at=T0 + timedelta(hours=3))
    run(archive, short)
    assert git(archive.path, "log", "-1", "--format=%b").startswith("Article-Url: ")
