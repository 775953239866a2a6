"""Archives with captures, written with plain git exactly as the storage contract of issue 16
says (docs/archive-format.md, "Captures"), for the readers' tests (export warc, show --raw,
verify, reextract) independent of the writer in the store.

``add_captured_version`` writes one version: the page's capture as an uncompressed WARC/1.1
file (warcio, a ``request`` and a ``response`` record linked by ``WARC-Concurrent-To``) in a
commit on ``refs/heads/gitnews/captures`` (the article's path with ``.warc`` for ``.txt``,
author and committer date = the fetch time, message ``Capture: <url>``), then the version
commit on main with the text gitnews extracts from the page and a ``Capture: <blob id>``
trailer.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import datetime
from io import BytesIO
from pathlib import Path

from conftest import TESTS, git, init_test_archive

CAPTURES_REF = "refs/heads/gitnews/captures"
BBC_URL = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
PAGES = TESTS / "data" / "scenarios" / "true-versions" / "pages"


def page(name: str) -> bytes:
    """A page of the true-versions scenario (the 2006 BBC story, tests/data/scenarios)."""
    return (PAGES / name).read_bytes()


def capture_warc(url: str, when: datetime, body: bytes, *, status: str = "200 OK",
                 content_type: str = "text/html") -> bytes:
    """The capture file of one fetch: uncompressed WARC/1.1, request + response (warcio)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from gitnews.format.trailers import format_time

    out = BytesIO()
    writer = WARCWriter(out, gzip=False, warc_version="1.1")
    date = format_time(when)
    host = url.split("/")[2]
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    resp_http = StatusAndHeaders(status, [("Content-Type", content_type),
                                          ("Content-Length", str(len(body)))],
                                 protocol="HTTP/1.1")
    resp = writer.create_warc_record(url, "response", payload=BytesIO(body), length=len(body),
                                     http_headers=resp_http,
                                     warc_headers_dict={"WARC-Date": date})
    req_http = StatusAndHeaders(f"GET {path} HTTP/1.1", [("Host", host),
                                                          ("User-Agent", "gitnews-test")],
                                protocol="", is_http_request=True)
    req = writer.create_warc_record(url, "request", http_headers=req_http,
                                    warc_headers_dict={"WARC-Date": date})
    writer.write_request_response_pair(req, resp)
    return out.getvalue()


def _git_env(when: datetime) -> dict[str, str]:
    stamp = f"{int(when.timestamp())} +0000"
    return dict(os.environ, GIT_AUTHOR_NAME="gitnews", GIT_AUTHOR_EMAIL="gitnews@localhost",
                GIT_COMMITTER_NAME="gitnews", GIT_COMMITTER_EMAIL="gitnews@localhost",
                GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)


def _git_in(archive: Path, *args: str, data: bytes | None = None,
            env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", "-C", str(archive), *args], input=data, capture_output=True,
                          check=True, env=env).stdout.decode().strip()


def write_capture(archive: Path, path: str, url: str, when: datetime, warc: bytes) -> str:
    """Commit ``warc`` as the capture of the article at ``path``; returns its blob id."""
    blob = _git_in(archive, "hash-object", "-w", "--stdin", data=warc)
    env = _git_env(when)
    index = archive / ".git" / "capture-test-index"
    env["GIT_INDEX_FILE"] = str(index)
    parent = subprocess.run(["git", "-C", str(archive), "rev-parse", "--verify", "-q",
                             CAPTURES_REF], capture_output=True, text=True).stdout.strip()
    if parent:
        _git_in(archive, "read-tree", parent, env=env)
    else:
        _git_in(archive, "read-tree", "--empty", env=env)
    from gitnews.archive.captures import capture_path

    warc_path = capture_path(path)
    _git_in(archive, "update-index", "--add", "--cacheinfo", f"100644,{blob},{warc_path}", env=env)
    tree = _git_in(archive, "write-tree", env=env)
    from gitnews.format.trailers import format_time

    message = (f"Capture: {url}\n\nArticle-Url: {url}\nFetched-At: {format_time(when)}\n").encode()
    args = ["commit-tree", tree, "-F", "-"] + (["-p", parent] if parent else [])
    commit = _git_in(archive, *args, data=message, env=env)
    _git_in(archive, "update-ref", CAPTURES_REF, commit)
    index.unlink(missing_ok=True)
    return blob


def add_captured_version(archive: Path, url: str, when: datetime, body: bytes, *,
                         warc: bytes | None = None, kinds: tuple[str, ...] = (),
                         text: str | None = None, extractor: str | None = None
                         ) -> tuple[str, str]:
    """One version of the article at ``url`` fetched at ``when`` with page ``body``:
    its capture and its version commit.  Returns ``(article path, capture blob id)``.
    ``warc``/``text``/``extractor``: what to store instead of the real thing (damage)."""
    from gitnews.config import load_config
    from gitnews.format.messages import version_message, version_trailers
    from gitnews.format.paths import article_path
    from gitnews.format.trailers import SUBJECT_CHANGED, SUBJECT_NEW
    from gitnews.pagetext.pipeline import TextSettings, page_text

    config = load_config(archive)
    result = page_text(body, url, TextSettings.from_config(config))
    path = article_path(url)
    capture = write_capture(archive, path, url, when,
                            warc if warc is not None else capture_warc(url, when, body))
    file = archive / path
    number = 1
    if file.exists():
        number = 1 + len([line for line in git(archive, "log", "--format=%H", "--", path)
                          .splitlines() if line])
    file.parent.mkdir(parents=True, exist_ok=True)
    text = result.text if text is None else text
    file.write_text(text, encoding="utf-8")
    headline = text.split("\n", 1)[0]
    trailers = version_trailers(url=url, version=number, fetched_at=when, headline=headline,
                                status=200, extractor=extractor or result.article.extractor,
                                page_sha=hashlib.sha256(body).hexdigest(), kinds=kinds,
                                capture=capture)
    message = version_message(SUBJECT_NEW if number == 1 else SUBJECT_CHANGED, headline, trailers)
    _git_in(archive, "add", path)
    _git_in(archive, "commit", "-q", "-F", "-", data=message.encode(), env=_git_env(when))
    return path, capture


def new_archive(folder: Path) -> Path:
    """A new archive (``gitnews init``) whose settings suit loopback tests."""
    return init_test_archive(folder)
