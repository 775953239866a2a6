"""Extraction quality of gitnews against bare trafilatura (``run.py --case quality``).

Scores the text gitnews would store (extraction, then the built-in
boilerplate filters, headline apart) of the corpus pages that have ground
truth, and the text of bare ``trafilatura.bare_extraction`` (default
options) on the same pages:

* ``html_pages/aeb`` (article-extraction-benchmark, ``ground-truth.json``):
  precision and recall of the body's 4-token shingles (lower-cased ``\\w+``
  tokens, counted as multisets) against ``articleBody``, as that benchmark
  scores; P and R are means over the pages, F1 is their harmonic mean.  A
  page that gives no text scores P = R = 0.
  Bare trafilatura runs with ``with_metadata=True`` (for its title).
* ``html_pages/trafilatura_eval`` (``evaldata.subset.json``): trafilatura's
  own evaluation: a ``with`` snippet found in the body is a true positive,
  one missing a false negative, a ``without`` snippet found a false positive;
  P, R and F1 over all snippets.
* headline agreement: among the pages of both sets with exactly one
  ``<h1>``, the share whose headline equals that ``<h1>``'s text (white
  space collapsed).

Standalone: ``python benchmarks/quality.py [--corpus DIR] [--pages]`` (run it
with another checkout first on ``PYTHONPATH`` to score that one).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def pr(pred: str, truth: str) -> tuple[float, float]:
    """Shingle precision and recall of ``pred`` against ``truth``."""
    p, t = shingles(pred), shingles(truth)
    if not p or not t:
        return 0.0, 0.0
    common = sum((p & t).values())
    return common / sum(p.values()), common / sum(t.values())


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _one_h1(body: bytes) -> str | None:
    from lxml import html as lhtml

    from gitnews.pagetext.extract import decode_html

    try:
        root = lhtml.document_fromstring(decode_html(body))
    except Exception:
        return None
    h1s = root.findall(".//h1")
    if len(h1s) != 1:
        return None
    text = " ".join(h1s[0].text_content().split())
    return text or None


def pages(corpus: Path) -> Iterator[tuple[str, str, bytes, object]]:
    """``(set, name, body, truth)`` of every page with ground truth."""
    aeb = corpus / "html_pages" / "aeb"
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        path = aeb / "html" / f"{key}.html.gz"
        if path.exists():
            yield "aeb", key[:12], gzip.decompress(path.read_bytes()), truth[key]
    ev = corpus / "html_pages" / "trafilatura_eval"
    data = json.loads((ev / "evaldata.subset.json").read_text(encoding="utf-8"))
    for url in sorted(data):
        entry = data[url]
        path = ev / entry["file"]
        if path.exists():
            yield "trafilatura_eval", entry["file"], path.read_bytes(), {**entry, "url": url}


def gitnews_extractor() -> Callable[[bytes, str | None], tuple[str, str]]:
    """``(headline, body)`` as gitnews stores them (built-in filters)."""
    from gitnews.errors import ExtractionError
    from gitnews.pagetext.extract import extract_article
    from gitnews.pagetext.filters import FilterSet

    filters = FilterSet()

    def run(body: bytes, url: str | None) -> tuple[str, str]:
        try:
            article = extract_article(body, url=url)
        except ExtractionError:
            return "", ""
        return article.headline, "\n".join(filters.for_url(url or "").apply(article.paragraphs))
    return run


def bare_extractor() -> Callable[[bytes, str | None], tuple[str, str]]:
    import trafilatura

    def run(body: bytes, url: str | None) -> tuple[str, str]:
        try:
            doc = trafilatura.bare_extraction(body, with_metadata=True)  # for its title
        except Exception:
            return "", ""
        if doc is None:
            return "", ""
        return " ".join((doc.title or "").split()), doc.text or ""
    return run


def score(corpus: Path, extractors: dict[str, Callable], *, per_page: bool = False) -> dict:
    """The figures of each extractor (module docstring)."""
    out: dict[str, dict] = {}
    rows = list(pages(corpus))
    for name, run in extractors.items():
        aeb_p, aeb_r = [], []
        tp = fn = fp = snippets = 0
        agree = total_h1 = 0
        for kind, page, body, truth in rows:
            url = truth.get("url") if isinstance(truth, dict) else None
            headline, text = run(body, url)
            if kind == "aeb":
                p, r = pr(text, truth["articleBody"])
                aeb_p.append(p)
                aeb_r.append(r)
                if per_page:
                    print(f"{name}\taeb\t{page}\tP={p:.3f}\tR={r:.3f}")
            else:
                flat = " ".join(text.split())
                w = sum(1 for s in truth["with"] if " ".join(s.split()) in flat)
                wo = sum(1 for s in truth["without"] if " ".join(s.split()) in flat)
                tp, fn, fp = tp + w, fn + len(truth["with"]) - w, fp + wo
                snippets += len(truth["with"]) + len(truth["without"])
                if per_page:
                    print(f"{name}\teval\t{page}\twith {w}/{len(truth['with'])}\twithout {wo}")
            h1 = _one_h1(body)
            if h1 is not None:
                total_h1 += 1
                agree += " ".join(headline.split()) == h1
        p, r = sum(aeb_p) / len(aeb_p), sum(aeb_r) / len(aeb_r)
        ep, er = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
        out[name] = {"aeb": {"pages": len(aeb_p), "precision": round(p, 4), "recall": round(r, 4),
                             "f1": round(f1(p, r), 4)},
                     "trafilatura_eval": {"snippets": snippets, "precision": round(ep, 4),
                                          "recall": round(er, 4), "f1": round(f1(ep, er), 4)},
                     "headline_h1": {"pages": total_h1, "agree": agree,
                                     "share": round(agree / total_h1, 4) if total_h1 else None}}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    parser.add_argument("--pages", action="store_true", help="print each page's scores")
    parser.add_argument("--only", choices=("gitnews", "bare"), help="score one extractor")
    args = parser.parse_args()
    extractors = {"gitnews": gitnews_extractor(), "bare trafilatura": bare_extractor()}
    if args.only:
        extractors = {k: v for k, v in extractors.items() if k.startswith(args.only)}
    print(json.dumps(score(args.corpus, extractors, per_page=args.pages), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
