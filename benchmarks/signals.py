"""The cost of the issue-18 signals (correction notices, facts, significance) per version.

For each real page pair of ``tests/data`` (the seed article's one-word correction, the BBC 2009
pair, the Ars Technica headline rewrite) it measures, best of ``repeat`` runs, the CPU seconds
of

* extracting the new page (:func:`gitnews.pagetext.extract.extract_article`: what every fetched
  page costs already),
* the page's schema.org notices (:func:`gitnews.versions.corrections.page_notices`) and
* the version's signals (:func:`gitnews.versions.significance.version_signals`: notices in the
  text, facts, the diff and the rule table),

and the ratio of the two added steps to the extraction.  Nothing is timed in the unit tests; run
it with ``python benchmarks/run.py --case signals``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitnews.format.normalise import render_article
from gitnews.pagetext.extract import extract_article
from gitnews.versions.corrections import page_notices
from gitnews.versions.significance import version_signals

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
PAIRS = {
    "seed (1 word)": (DATA / "scenarios" / "seed-guardian" / "pages" / "gaps-remain-v1.html",
                      DATA / "scenarios" / "seed-guardian" / "pages" / "gaps-remain-v2.html"),
    "bbc-2009 (2 paragraphs removed)": (DATA / "scenarios" / "bbc-2009" / "7984711-A.stm.html",
                                        DATA / "scenarios" / "bbc-2009" / "7984711-B.stm.html"),
    "ars (headline rewritten)": (DATA / "signals" / "ars-pagers-v1.html",
                                 DATA / "signals" / "ars-pagers-v2.html"),
}


def _best(repeat: int, func: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(max(1, repeat)):
        c0 = time.process_time()
        func()
        best = min(best, time.process_time() - c0)
    return best


def measure(repeat: int = 5) -> dict[str, dict[str, Any]]:
    """``{pair: {"extract_s", "page_notices_s", "signals_s", "ratio", "significance"}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, (a, b) in PAIRS.items():
        old_body, new_body = a.read_bytes(), b.read_bytes()
        old = render_article(extract_article(old_body, url="http://example.test/a"))
        new = render_article(extract_article(new_body, url="http://example.test/a"))
        extract_s = _best(repeat, lambda: extract_article(new_body, url="http://example.test/a"))
        notices_s = _best(repeat, lambda: page_notices(new_body))
        signals_s = _best(repeat, lambda: version_signals(old, new, first=False))
        out[name] = {"extract_s": extract_s, "page_notices_s": notices_s, "signals_s": signals_s,
                     "ratio": (notices_s + signals_s) / extract_s if extract_s else None,
                     "significance": version_signals(old, new, first=False).significance}
    return out
