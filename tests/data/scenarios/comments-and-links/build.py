#!/usr/bin/env python3
"""Build the scenario `comments-and-links` from two recorded real pages.

Run: ``python tests/data/scenarios/comments-and-links/build.py [SHARED_DIR]``.
Sources (``shared/corpus/html_pages/trafilatura_eval/``, adbar/trafilatura tests,
Apache-2.0; content (c) its publishers): ``taz.de.siemens.html`` (a taz opinion
piece with 57 reader comments) and ``automobilwoche.de-VW-Betriebsversammlung.html``
(windows-1252; a "Lesen Sie auch:" list of five links to other stories at the end of
the body).  Every edit is a byte edit listed below, so that the pages stay real pages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[4] / "shared"
EVAL = SHARED / "corpus" / "html_pages" / "trafilatura_eval"
TAZ_URL = "http://taz.de/Siemens-und-die-Kohlemine-Adani/!5655255/"
AW_URL = ("http://www.automobilwoche.de/article/20211103/AGENTURMELDUNGEN/311039909/1276/"
          "krach-vor-der-vw-betriebsversammlung-es-knirscht-zwischen-diess-und-aufsichtsraeten")


def once(data: bytes, old: bytes) -> int:
    if data.count(old) != 1:
        raise SystemExit(f"edit failed: {old[:60]!r} found {data.count(old)} times")
    return data.index(old)


def main() -> None:
    taz = (EVAL / "taz.de.siemens.html").read_bytes()
    # taz-before: the page before its newest top-level comment was posted (the first
    # <li class="member "> of the thread, with its replies, cut out).
    start = once(taz, b'<li class="member " id="bb_message_3901235">')
    end = once(taz, b'<li class="member " id="bb_message_3901225">')
    before = taz[:start] + taz[end:]
    aw = (EVAL / "automobilwoche.de-VW-Betriebsversammlung.html").read_bytes()
    # aw-rotated: the "Lesen Sie auch:" links rotated (the first moved to the end).
    head = once(aw, b'<p style="margin-top: 1em;"><strong>Lesen Sie auch:</strong></p>')
    head_end = head + len(b'<p style="margin-top: 1em;"><strong>Lesen Sie auch:</strong></p>')
    tail = once(aw, b'<p style="margin-top: 1em;"><strong>Aus dem Datencenter:</strong></p>')
    links = aw[head_end:tail].split(b"</p>")
    assert links[-1] == b"" and len(links) == 6, links
    links = links[:-1]
    rotated = aw[:head_end] + b"</p>".join(links[1:] + links[:1]) + b"</p>" + aw[tail:]
    pages = HERE / "pages"
    pages.mkdir(exist_ok=True)
    for name, data in {"taz-before.html": before, "taz.html": taz, "aw.html": aw,
                       "aw-rotated.html": rotated}.items():
        (pages / name).write_bytes(data)

    def step(at: str, taz_file: str, aw_file: str, note: str) -> dict:
        return {"at": at, "responses": {
            TAZ_URL: {"content_type": "text/html; charset=utf-8", "file": f"pages/{taz_file}", "note": note},
            AW_URL: {"content_type": "text/html", "file": f"pages/{aw_file}", "note": note}}}

    scenario = {
        "description": "A taz article gets one more reader comment; an automobilwoche article's "
                       "list of related stories rotates. Neither is a new version.",
        "sources": "shared/corpus/html_pages/trafilatura_eval/taz.de.siemens.html and "
                   "automobilwoche.de-VW-Betriebsversammlung.html (adbar/trafilatura tests, "
                   "Apache-2.0; content (c) taz and Automobilwoche) with the edits in build.py.",
        "steps": [step("2020-01-14T12:00:00Z", "taz-before.html", "aw.html", "as first seen"),
                  step("2020-01-14T18:00:00Z", "taz.html", "aw-rotated.html",
                       "one more comment; the related links rotated")],
    }
    (HERE / "scenario.json").write_text(json.dumps(scenario, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
