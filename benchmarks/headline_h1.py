#!/usr/bin/env python3
"""How often line 1 (the headline gitnews stores) is the page's visible ``<h1>``.

    python benchmarks/headline_h1.py --out headlines.json            # measure
    python benchmarks/headline_h1.py --out new.json --compare old.json  # and list what changed

Reads the real pages of ``../shared/corpus/html_pages`` (aeb, trafilatura_eval,
readability, newspaper; skipped when absent), extracts each with
:func:`gitnews.pagetext.extract.extract_article` and, for the pages with exactly one
``<h1>`` that has text, counts those whose headline equals that ``<h1>``'s text
(both as :func:`gitnews.format.normalise.normalise_line` gives them).  ``--out`` keeps
every page's headline, so that two checkouts can be compared (``--compare``):
the pages whose headline changed are listed for judging by eye.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gitnews.errors import ExtractionError  # noqa: E402
from gitnews.format.normalise import normalise_line  # noqa: E402
from gitnews.pagetext.extract import decode_html, extract_article  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "html_pages"


def pages() -> list[Path]:
    found = sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))
    found += sorted(p for p in (CORPUS / "trafilatura_eval").glob("*") if p.suffix in (".html", ".htm"))
    found += sorted((CORPUS / "readability").glob("*/source.html"))
    found += sorted((CORPUS / "newspaper" / "html").glob("*.html"))
    return found


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


_BREAKS = ("br", "div", "p", "h2", "h3", "h4", "h5", "h6", "li", "section", "header", "figure")


def visible_h1s(body: bytes) -> list[str]:
    """The text of each ``<h1>`` with text as a browser lays it out: scripts and
    styles left out, ``<br>`` and block elements inside it separate words.
    (Independent of gitnews.pagetext.headline: a plain reading of the markup.)"""
    text = decode_html(body)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        tree = lxml.html.document_fromstring(text.encode("utf-8"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except Exception:
        return []
    out = []
    for h1 in tree.iter("h1"):
        for bad in h1.xpath(".//script|.//style|.//noscript"):
            bad.drop_tree()
        for block in h1.iterdescendants(*_BREAKS):
            block.tail = " " + (block.tail or "")
            block.text = " " + (block.text or "")
        line = normalise_line(h1.text_content())
        if line:
            out.append(line)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write every page's headline and h1s here (JSON)")
    parser.add_argument("--compare", type=Path, help="an earlier --out file: list headlines that changed")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 1
    results = {}
    for path in pages():
        body = read(path)
        try:
            headline = normalise_line(extract_article(body).headline)
        except ExtractionError:
            headline = None
        results[str(path.relative_to(CORPUS))] = {"headline": headline, "h1s": visible_h1s(body)}
    single = {k: v for k, v in results.items() if len(v["h1s"]) == 1 and v["headline"] is not None}
    equal = [k for k, v in single.items() if v["headline"] == v["h1s"][0]]
    print(f"{len(results)} pages; {len(single)} with exactly one <h1> with text; headline == h1 "
          f"on {len(equal)} ({100 * len(equal) / max(1, len(single)):.1f}%)")
    for k in sorted(set(single) - set(equal)):
        print(f"  differs: {k}\n    headline: {single[k]['headline']!r}\n    h1:       {single[k]['h1s'][0]!r}")
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))
        changed = [k for k in results if k in old and old[k]["headline"] != results[k]["headline"]]
        print(f"\n{len(changed)} of {len(results)} headlines differ from {args.compare}:")
        for k in changed:
            print(f"  {k}\n    was: {old[k]['headline']!r}\n    now: {results[k]['headline']!r}")
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
