"""The payload-digest shortcut of imports (the same bytes again need no extraction) must
not hide a version: real WARCs of recorded real pages, real git archives."""

from __future__ import annotations

from conftest import DATA
from warcs import Rec, write_warc

from gitnews.archive.repo import open_archive
from gitnews.models import Outcome
from gitnews.ops.importing import REPEATED
from gitnews.ops.warc_import import import_warcs

TRUE = DATA / "scenarios" / "true-versions" / "pages"
URL = "http://news.example/a/story.html"


def _import(tmp_path, recs):
    warc = tmp_path / "crawl.warc.gz"
    write_warc(warc, recs)
    archive = open_archive(tmp_path / "archive", create=True, lock=True)
    try:
        return import_warcs(archive, [warc])
    finally:
        archive.close()


def test_a_capture_without_digest_in_between_is_not_forgotten(tmp_path):
    """A (digest), B (no WARC-Payload-Digest), A again: the third capture is a version
    (the text went back to A's), not "the same bytes as the previous version"."""
    a, b = (TRUE / "6072486-A.html").read_bytes(), (TRUE / "6072486-B.html").read_bytes()
    result = _import(tmp_path, [Rec("response", URL, "2019-05-01T10:00:00Z", a),
                                Rec("response", URL, "2019-05-02T10:00:00Z", b,
                                    payload_digest=False),
                                Rec("response", URL, "2019-05-03T10:00:00Z", a)])
    assert [i.outcome for i in result.items] == [Outcome.NEW, Outcome.CHANGED, Outcome.CHANGED]
    assert [i.version for i in result.items] == [1, 2, 3]


def test_a_held_text_captured_again_with_the_same_bytes_is_confirmed(tmp_path):
    """A, then a teaser (held as suspicious), then the same teaser bytes again: the
    second sighting confirms it, as a second check of `gitnews run` would."""
    a, teaser = (TRUE / "6072486-A.html").read_bytes(), (TRUE / "6072486-teaser.html").read_bytes()
    result = _import(tmp_path, [Rec("response", URL, "2019-05-01T10:00:00Z", a),
                                Rec("response", URL, "2019-05-02T10:00:00Z", teaser),
                                Rec("response", URL, "2019-05-03T10:00:00Z", teaser),
                                Rec("response", URL, "2019-05-04T10:00:00Z", teaser)])
    assert [i.outcome for i in result.items] == [Outcome.NEW, Outcome.HELD, Outcome.CHANGED,
                                                 Outcome.SKIPPED]
    assert result.items[3].reason == REPEATED  # now the current text: the shortcut applies
