#!/usr/bin/env python3
"""Build the scenarios `true-versions` and `one-story-four-urls` from recorded real pages.

Run from anywhere: ``python tests/data/scenarios/build_issue5.py [SHARED_DIR]``.
Sources (see README.md in this folder): the 2006 BBC page already copied in
``bbc-2009/6072486-A.stm.html`` and the Ars Technica page
``shared/scenarios/ars-versions/pages/ward-christensen-...-v1.html``.  Every edit is a
plain byte substitution listed below, so that the pages stay real pages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared"


def sub(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    found = data.count(old)
    if found < count or (count == 1 and found != 1):
        raise SystemExit(f"edit failed: {old[:60]!r} found {found} times")
    return data.replace(old, new)


def write(folder: Path, name: str, data: bytes | str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def true_versions() -> None:
    folder = HERE / "true-versions"
    a = (HERE / "bbc-2009" / "6072486-A.stm.html").read_bytes()
    # A1: only boilerplate differs: a later "Last Updated" time, other "features" links,
    # a no-break space and a soft hyphen inside a paragraph (ISO-8859-1 bytes A0, AD).
    a1 = sub(a, b"Saturday, 21 October 2006, 14:41 GMT 15:41 UK",
             b"Saturday, 21 October 2006, 18:02 GMT 19:02 UK")
    a1 = sub(a1, b"What the law say on photographing documents",
             b"Eye-catching images from around the world this week")
    a1 = sub(a1, b"who ran a shop in Castleford market", b"who ran a shop in Castle\xadford\xa0market")
    # T: a registration teaser: the lead, then a wall.
    start = a.index(b"<p>\n<font size=\"2\">Molly Wright")
    end = a.index(b"<!-- E BO -->")
    teaser = (a[:start] + b"<p>\n<font size=\"2\">Subscribe to continue reading: this story is "
              b"for registered readers. Already a subscriber? Log in.\n" + a[end:])
    # B: a real edit of one paragraph.
    b = sub(a, b"is due to appear at Leeds Crown Court on Friday.",
            b"is due to appear at Leeds Crown Court on Monday.")
    for name, data in (("6072486-A.html", a), ("6072486-A1.html", a1),
                       ("6072486-teaser.html", teaser), ("6072486-B.html", b)):
        write(folder, f"pages/{name}", data)
    url = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
    page = {"content_type": "text/html"}
    steps = [
        ("2006-10-21T15:00:00Z", "6072486-A.html", "the story as published"),
        ("2006-10-21T19:00:00Z", "6072486-A1.html", "only boilerplate differs"),
        ("2006-10-21T20:00:00Z", "6072486-teaser.html", "a registration teaser, served once"),
        ("2006-10-21T21:00:00Z", "6072486-A.html", "the full text again"),
        ("2006-10-22T09:00:00Z", "6072486-B.html", "a real edit: Friday -> Monday"),
        ("2006-10-22T12:00:00Z", "6072486-A.html", "the edit is reverted"),
        ("2006-10-23T09:00:00Z", None, "the story is gone: 410"),
        ("2006-10-24T09:00:00Z", "6072486-A.html", "the story is back"),
        ("2006-10-24T12:00:00Z", "6072486-B.html", "Monday again (second revert)"),
        ("2006-10-24T15:00:00Z", "6072486-A.html", "Friday again: alternating, only counted"),
        ("2006-10-24T18:00:00Z", "6072486-B.html", "Monday again: the current text"),
    ]
    scenario = {
        "description": "One BBC story (2006) re-checked over eleven steps: boilerplate-only "
                       "differences, a teaser served once, a real edit and its revert, a 410 "
                       "removal and the return of the story, then A/B alternation.",
        "sources": "tests/data/scenarios/bbc-2009/6072486-A.stm.html (johnl/news-sniffer "
                   "fixtures, AGPL-3.0; content (c) BBC) with the byte edits in "
                   "build_issue5.py.",
        "steps": [],
    }
    for at, file, note in steps:
        entry = ({**page, "file": f"pages/{file}", "note": note} if file
                 else {"status": 410, "body": "Gone", "content_type": "text/plain", "note": note})
        scenario["steps"].append({"at": at, "responses": {url: entry}})
    write(folder, "scenario.json", json.dumps(scenario, indent=1) + "\n")


def one_story_four_urls() -> None:
    folder = HERE / "one-story-four-urls"
    slug = b"ward-christensen-bbs-inventor-and-architect-of-our-online-age-dies-at-age-78"
    new_slug = b"ward-christensen-bbs-inventor-dies-at-age-78"
    src = (SHARED / "scenarios" / "ars-versions" / "pages"
           / "ward-christensen-bbs-inventor-and-architect-of-our-online-ag-v1.html")
    page = src.read_bytes()
    # The same story after an edit of its headline and slug (the old URL redirects).
    edited = page.replace(slug, new_slug)
    edited = sub(edited, b"Ward Christensen, BBS inventor and architect of our online age, dies at age 78",
                 b"Ward Christensen, inventor of the BBS, dies at age 78", count=2)
    write(folder, "pages/ward-christensen-v1.html", page)
    write(folder, "pages/ward-christensen-v1-edited.html", edited)
    base = "http://arstechnica.com/gadgets/2024/10/"
    article = f"{base}{slug.decode()}/"
    moved = f"{base}{new_slug.decode()}/"
    short = "http://arstechnica.com/?p=648287"
    links = [
        f"{short}&utm_source=rss&utm_medium=rss",                     # 0: short link, 301
        f"http://www.arstechnica.com/gadgets/2024/10/{slug.decode()}/amp/?utm_campaign=x",  # 1: AMP
        f"http://arstechnica.com/tech-policy/2024/10/{slug.decode()}/",  # 2: canonical hop
        moved,                                                          # 3: edited slug
    ]
    html = {"content_type": "text/html; charset=UTF-8"}
    steps = []
    for i, link in enumerate(links):
        feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Ars Technica - All content</title><link>http://arstechnica.com</link>
<description>All Ars Technica stories</description>
<lastBuildDate>Tue, 15 Oct 2024 0{i}:00:00 +0000</lastBuildDate>
<item><title>{'Ward Christensen, inventor of the BBS, dies at age 78' if i == 3 else
'Ward Christensen, BBS inventor and architect of our online age, dies at age 78'}</title>
<link>{link.replace('&', '&amp;')}</link>
<dc:creator><![CDATA[Benj Edwards]]></dc:creator>
<pubDate>Mon, 14 Oct 2024 20:05:34 +0000</pubDate>
<guid isPermaLink="false">{short}</guid></item>
</channel></rss>
"""
        write(folder, f"feed-step{i}.xml", feed)
        responses = {"http://feeds.arstechnica.com/arstechnica/index":
                     {"file": f"feed-step{i}.xml",
                      "content_type": "application/rss+xml; charset=UTF-8"}}
        if i == 0:
            responses[links[0]] = {"status": 301, "headers": {"Location": article}}
            responses[short] = {"status": 301, "headers": {"Location": article}}
            responses[article] = {**html, "file": "pages/ward-christensen-v1.html"}
            responses[links[1].split("?")[0]] = {**html, "file": "pages/ward-christensen-v1.html",
                                                 "ignore_query": True}
            responses[links[2]] = {**html, "file": "pages/ward-christensen-v1.html",
                                   "note": "same page at another section path; its "
                                           "rel=canonical names the article"}
        if i == 3:
            responses[article] = {"status": 301, "headers": {"Location": moved}}
            responses[links[0]] = {"status": 301, "headers": {"Location": moved}}
            responses[short] = {"status": 301, "headers": {"Location": moved}}
            responses[moved] = {**html, "file": "pages/ward-christensen-v1-edited.html"}
        steps.append({"at": f"2024-10-15T0{i}:00:00Z", "responses": responses})
    # Step 4: the story is taken down: every URL redirects to the front page (soft 404).
    steps.append({"at": "2024-10-16T09:00:00Z", "responses": {
        moved: {"status": 302, "headers": {"Location": "http://arstechnica.com/"}},
        article: {"status": 302, "headers": {"Location": "http://arstechnica.com/"}},
        "http://arstechnica.com/": {"body": "<html><head><title>Ars Technica</title></head>"
                                            "<body><h1>Ars Technica</h1><p>Front page.</p>"
                                            "</body></html>",
                                    "content_type": "text/html; charset=UTF-8"},
    }})
    scenario = {
        "description": "One Ars Technica story reached through four URLs over four steps "
                       "(a short link with tracking parameters that redirects, an AMP URL on "
                       "www., another section path whose rel=canonical names the story, and "
                       "the URL of an edited slug, the old one redirecting), then taken down "
                       "(redirect to the front page).",
        "sources": "shared/scenarios/ars-versions/pages/ward-christensen-bbs-inventor-and-"
                   "architect-of-our-online-ag-v1.html (built on corpus/html_pages/readability/"
                   "ars-1, readability test pages, Apache-2.0; content (c) Ars Technica/Conde "
                   "Nast); edits in build_issue5.py; feeds written for this scenario.",
        "feeds": ["http://feeds.arstechnica.com/arstechnica/index"],
        "steps": steps,
    }
    write(folder, "scenario.json", json.dumps(scenario, indent=1) + "\n")


if __name__ == "__main__":
    true_versions()
    one_story_four_urls()
