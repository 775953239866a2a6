"""Synthetic but realistic inputs for ``benchmarks/run.py``.

Everything here is deterministic (seeded): the same arguments give the same
URLs, texts, pages, commits and archives on every machine.

* :class:`Site` — ``n`` news articles spread over a few dozen hosts with URL
  shapes copied from real news sites (dated folders, sections, numeric ids,
  ``.html``/``.stm``/``.php`` endings, a query id), each with a headline,
  byline, date and ~5 KB of body text in versions 1, 2, 3, ...
* :func:`page_html` — the HTML page of one version, with navigation, aside
  and footer boilerplate around the ``<article>`` so that the extractor has
  real work to do.
* :func:`fast_import_archive` — append commits in gitnews's own format
  (``New:``/``Changed:`` subject, the trailers) to an archive with one raw
  ``git fast-import``: the quick way to build an archive of 50,000 or
  100,000 commits for the benchmarks.
* :func:`shared_archive` — those big archives built once per benchmark run and
  shared (read-only) by the cases that read them.
* ``python benchmarks/inputs.py serve ...`` — the loopback HTTP server used by
  the polling and memory cases (it also answers proxy-form requests, so the
  articles keep their real-looking host names: point ``HTTP_PROXY`` at it).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path

_WORDS = """
the government said on monday that it would review the plan after a report found
that council budgets had fallen by a third since two thousand and ten while demand
for children's services rose sharply in every region of the country officials
warned ministers this week that the cuts could not continue without harm to the
most vulnerable families schools hospitals police and local charities say they
are stretched as never before according to figures published by the national
audit office which also found wide gaps between areas a spokesperson for the
department responded that funding had been protected in real terms and that new
money would be announced in the autumn statement critics called the response
inadequate and urged an independent inquiry into how decisions were made the
opposition leader told reporters outside parliament that the evidence was clear
market analysts expect interest rates to stay low for longer as inflation eases
and growth slows across europe and asia shares in technology companies fell in
early trading before recovering later in the afternoon investors remain cautious
scientists at the university published results suggesting that the new treatment
reduced symptoms in most patients though larger trials will be needed to confirm
residents of the coastal town were evacuated overnight as storms brought heavy
rain and strong winds emergency services rescued dozens of people from flooded
homes and roads remain closed the mayor thanked volunteers for their work
""".split()

_HOSTS = [
    ("www.theguardian-example.test", "{section}/{y}/{mon}/{d}/{slug}"),
    ("www.bbc-example.test", "news/{section}-{id8}"),
    ("news.bbc-example.test", "1/hi/{section}/{id7}.stm"),
    ("www.nytimes-example.test", "{y}/{m}/{d}/{section}/{slug}.html"),
    ("www.washingtonpost-example.test", "{section}/{y}/{m}/{d}/{slug}/"),
    ("edition.cnn-example.test", "{y}/{m}/{d}/{section}/{slug}/index.html"),
    ("www.reuters-example.test", "{section}/{slug}-{id6}/"),
    ("apnews-example.test", "article/{slug}-{hex32}"),
    ("www.lemonde-example.test", "{section}/article/{y}/{m}/{d}/{slug}_{id7}_3210.html"),
    ("www.spiegel-example.test", "{section}/{slug}-a-{uuid}"),
    ("www.zeit-example.test", "{section}/{y}-{m}/{slug}"),
    ("elpais-example.test", "{section}/{y}-{m}-{d}/{slug}.html"),
    ("www.corriere-example.test", "{section}/{y2}_{mon}_{d}/{slug}-{hex8}.shtml"),
    ("arstechnica-example.test", "{section}/{y}/{m}/{slug}/"),
    ("www.theverge-example.test", "{y}/{m}/{d}/{id8}/{slug}"),
    ("www.heise-example.test", "news/{slug}-{id7}.html"),
    ("www.independent-example.test", "news/{section}/{slug}-b{id7}.html"),
    ("www.aljazeera-example.test", "news/{y}/{m}/{d}/{slug}"),
    ("www.abc-example.test", "news/{y}-{m}-{d}/{slug}/{id9}"),
    ("www.smh-example.test", "{section}/{slug}-{y}{m}{d}-p5{hex5}.html"),
    ("www.rp-example.test", "artykul/{id7},{slug}.html"),
    ("www.example-local.test", "index.php?id={id6}"),
    ("www.nzherald-example.test", "{section}/news/article.cfm?c_id=1&objectid={id8}"),
    ("www.lefigaro-example.test", "{section}/{slug}-{y}{m}{d}"),
]
_SECTIONS = ["world", "uk-news", "politics", "business", "technology", "science", "society",
             "sport", "culture", "environment", "health", "education", "europe", "us-news",
             "media", "opinion", "local", "economy", "markets", "travel"]
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_FIRST = "Anna Ben Carla David Emma Farid Grace Hugo Ines Jonas Kemal Lena Marta Nils Olga Pavel".split()
_LAST = "Adams Becker Costa Dubois Evans Fischer Garcia Hansen Ivanova Jensen Kowalski Larsen".split()
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1)
def _sentences() -> tuple[str, ...]:
    """A fixed pool of 4,000 sentences; article bodies are drawn from it."""
    rng = random.Random("gitnews-bench-sentences")
    out = []
    for _ in range(4000):
        words = rng.choices(_WORDS, k=rng.randint(8, 24))
        words[0] = words[0].capitalize()
        if rng.random() < 0.3:
            words.insert(rng.randint(1, len(words) - 1), f"{rng.randint(2, 980)}")
        out.append(" ".join(words) + rng.choice(".....?!"))
    return tuple(out)


def _edit(url: str, version: int, paras: list[str]) -> None:
    """Version ``version``'s edit of the article at ``url``, applied to ``paras`` in place:
    one word changed in one paragraph, sometimes a paragraph added."""
    pool = _sentences()
    edit = random.Random(f"edit:{url}:{version}")
    i = edit.randrange(len(paras))
    words = paras[i].split()
    j = edit.randrange(len(words))
    word = edit.choice(_WORDS) + ("," if edit.random() < 0.2 else "")
    words[j] = word if word != words[j] else word + "s"  # always a real change
    paras[i] = " ".join(words)
    if edit.random() < 0.3:
        paras.insert(edit.randrange(len(paras) + 1),
                     " ".join(pool[edit.randrange(len(pool))] for _ in range(3)))


@dataclass(frozen=True)
class ArticleSpec:
    """One synthetic article: ``index`` in its :class:`Site`, URL and metadata."""

    index: int
    url: str
    host: str
    headline: str
    byline: str
    published: str  # YYYY-MM-DD

    def paragraphs(self, version: int) -> list[str]:
        """The body of ``version`` (1, 2, ...): ~5 KB; each later version edits
        one paragraph and sometimes adds one, as real corrections and updates do."""
        pool = _sentences()
        rng = random.Random(f"body:{self.url}")
        paras = [" ".join(pool[rng.randrange(len(pool))] for _ in range(rng.randint(4, 7)))
                 for _ in range(rng.randint(7, 10))]
        for v in range(2, version + 1):
            _edit(self.url, v, paras)
        return paras

    def text(self, version: int) -> str:
        """The archive file text gitnews would store if extraction were perfect."""
        return "\n\n".join([self.headline, *self.paragraphs(version)]) + "\n"

    def short_text(self, version: int) -> str:
        """A ~1 KB text for version ``version`` (the headline and two paragraphs, one of
        them carrying the version): for the history of big archives, where blob sizes
        do not change what is measured and small blobs make the archive quick to build."""
        first, second = _short_head(self)
        return "\n\n".join([self.headline, first, f"Version {version}. {second}"]) + "\n"


@lru_cache(maxsize=1 << 16)
def _short_head(spec: ArticleSpec) -> tuple[str, str]:
    """The first two paragraphs of ``spec``'s version 1 (memoised: a history asks for
    them once per version)."""
    first, second = spec.paragraphs(1)[:2]
    return first, second


class Site:
    """``n`` articles (deterministic for ``seed``) spread over ~24 hosts."""

    def __init__(self, n: int, *, seed: str = "bench") -> None:
        self.n = n
        self.seed = seed
        self._cache: dict[int, ArticleSpec] = {}

    def __len__(self) -> int:
        return self.n

    def hosts(self) -> list[str]:
        return [h for h, _ in _HOSTS]

    def article(self, i: int) -> ArticleSpec:
        spec = self._cache.get(i)
        if spec is None:
            spec = self._cache[i] = self._make(i)
        return spec

    def __iter__(self) -> Iterator[ArticleSpec]:
        return (self.article(i) for i in range(self.n))

    def _make(self, i: int) -> ArticleSpec:
        rng = random.Random(f"{self.seed}:{i}")
        host, shape = _HOSTS[i % len(_HOSTS)]
        day = BASE_TIME - timedelta(days=rng.randint(0, 3 * 365))
        title_words = rng.choices(_WORDS, k=rng.randint(5, 11))
        headline = " ".join(title_words).capitalize()
        # The slug carries the index, so that URLs (and paths) never collide.
        slug = "-".join(title_words[:8]) + f"-{i}"
        fields = {
            "section": rng.choice(_SECTIONS), "y": f"{day.year}", "y2": f"{day.year % 100:02d}",
            "m": f"{day.month:02d}", "mon": _MONTHS[day.month - 1], "d": f"{day.day:02d}",
            "slug": slug, "id6": f"{100000 + i}", "id7": f"{1000000 + i}",
            "id8": f"{10000000 + i}", "id9": f"{100000000 + i}",
            "hex5": f"{i:05x}", "hex8": f"{i:08x}",
            "hex32": hashlib.md5(f"{i}".encode()).hexdigest(),
            "uuid": f"{i:08x}-{rng.getrandbits(16):04x}-{rng.getrandbits(16):04x}-"
                    f"{rng.getrandbits(16):04x}-{rng.getrandbits(48):012x}",
        }
        url = f"http://{host}/" + shape.format(**fields)
        return ArticleSpec(index=i, url=url, host=host, headline=headline,
                           byline=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                           published=day.strftime("%Y-%m-%d"))


def page_html(spec: ArticleSpec, version: int) -> bytes:
    """The HTML page of ``spec`` at ``version``: UTF-8, ~8 KB, real-looking markup."""
    e = html.escape
    rng = random.Random(f"chrome:{spec.host}")
    nav = "".join(f'<li><a href="/{s}">{s.replace("-", " ").title()}</a></li>'
                  for s in rng.sample(_SECTIONS, 9))
    related = "".join(f'<li><a href="/related/{k}">{e(" ".join(rng.choices(_WORDS, k=7)))}</a></li>'
                      for k in range(5))
    body = "\n".join(f"<p>{e(p)}</p>" for p in spec.paragraphs(version))
    site = spec.host.split(".")[-2]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(spec.headline)} | {e(site)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="{e(spec.url)}">
<meta property="og:title" content="{e(spec.headline)}">
<meta property="og:url" content="{e(spec.url)}">
<meta name="author" content="{e(spec.byline)}">
<meta property="article:published_time" content="{spec.published}T08:00:00Z">
<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js" defer></script>
</head><body>
<header class="masthead"><a class="logo" href="/">{e(site)}</a>
<nav aria-label="Sections"><ul>{nav}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
<main id="content"><article>
<h1>{e(spec.headline)}</h1>
<p class="byline">By <a rel="author" href="/profile/x">{e(spec.byline)}</a>,
<time datetime="{spec.published}">{spec.published}</time></p>
<div class="article-body">
{body}
</div>
<div class="share">Share this article: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a></div>
</article>
<aside class="related"><h2>More stories</h2><ul>{related}</ul></aside></main>
<footer><p>&copy; 2024 {e(site)}. All rights reserved.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy</a></li>
<li><a href="/terms">Terms</a></li><li><a href="/contact">Contact</a></li></ul></footer>
</body></html>
""".encode()


def feed_xml(host: str, specs: Iterable[ArticleSpec]) -> bytes:
    """An RSS 2.0 feed listing ``specs``."""
    e = html.escape
    items = "".join(f"<item><title>{e(s.headline)}</title><link>{e(s.url)}</link>"
                    f"<guid>{e(s.url)}</guid></item>\n" for s in specs)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{host}</title><link>http://{host}/</link><description>news</description>\n"
            f"{items}</channel></rss>\n").encode()


# -- archives -------------------------------------------------------------------------------

@dataclass
class CommitSpec:
    """One version commit in gitnews's format."""

    path: str
    data: bytes | None  # None: the file is deleted
    message: bytes
    when: int  # seconds since the epoch, UTC


def version_message(spec_url: str, headline: str, version: int, when: datetime, *,
                    byline: str | None = None, published: str | None = None,
                    extractor: str = "trafilatura 2.0.0", removed: bool = False) -> bytes:
    """The commit message gitnews writes for a version (same subject and trailers)."""
    from gitnews.format.trailers import format_message, format_subject, format_time

    prefix = "Removed" if removed else "New" if version == 1 else "Changed"
    return format_message(format_subject(prefix, headline), [
        ("Article-Url", spec_url), ("Version", version), ("Fetched-At", format_time(when)),
        ("Http-Status", 404 if removed else 200), ("Extractor", extractor),
        ("Published-At", published), ("Byline", byline)]).encode("utf-8")


def _quote(path: str) -> bytes:
    return b'"' + path.replace("\\", "\\\\").replace('"', '\\"').encode("utf-8") + b'"'


def fast_import_stream(commits: Iterable[CommitSpec], *, parent: str | None,
                       ref: str = "refs/heads/main", ident: bytes = b"gitnews <gitnews@localhost>",
                       ) -> Iterator[bytes]:
    """The raw ``git fast-import`` stream of ``commits`` (one chunk per commit)."""
    first = True
    for c in commits:
        who = ident + b" %d +0000\n" % c.when
        out = [b"commit ", ref.encode(), b"\nauthor ", who, b"committer ", who,
               b"data %d\n" % len(c.message), c.message, b"\n"]
        if first and parent:
            out.append(b"from " + parent.encode() + b"\n")
        first = False
        if c.data is None:
            out.append(b"D " + _quote(c.path) + b"\n")
        else:
            out += [b"M 100644 inline ", _quote(c.path), b"\ndata %d\n" % len(c.data), c.data, b"\n"]
        yield b"".join(out)
    yield b"done\n"


def raw_fast_import(git_dir: Path, chunks: Iterable[bytes]) -> None:
    """Feed ``chunks`` to one ``git fast-import`` (the benchmark's baseline writer)."""
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done", "--date-format=raw"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            env={**os.environ, "GIT_DIR": str(git_dir)})
    for chunk in chunks:
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"git fast-import failed with status {proc.returncode}")


def head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


def history_commits(site: Site, *, commits: int, start: int = 0,
                    removed: int = 0, text_for=None) -> Iterator[CommitSpec]:
    """``commits`` version commits over articles ``start .. start+len(site)``.

    Every article gets version 1 first (in index order); the remaining commits
    are later versions of articles drawn at random (deterministically).  The
    last ``removed`` articles get a final ``Removed`` commit deleting the file.
    ``text_for(spec, version)`` gives the stored text (default: ``spec.text``).
    """
    from gitnews.format.paths import article_path

    text_for = text_for or _FullTexts()
    n = len(site) - start
    if commits < n + removed:
        raise ValueError("need at least one commit per article (plus the removals)")
    rng = random.Random(f"history:{site.seed}")
    versions = [0] * len(site)
    extra: list[int] = []
    while len(extra) < commits - n - removed:  # at most MAX_VERSIONS - 1 versions each
        i = rng.randrange(start, len(site))
        if versions[i] < MAX_VERSIONS - 2:
            versions[i] += 1
            extra.append(i)
    versions = [0] * len(site)
    order = list(range(start, len(site))) + extra
    order[n:] = sorted(order[n:], key=lambda _: rng.random())
    t = int(BASE_TIME.timestamp())
    paths: dict[int, str] = {}  # article_path is slow (Unicode checks): once per article
    for k, i in enumerate(order):
        spec = site.article(i)
        versions[i] += 1
        when = t + 60 * k
        path = paths.get(i)
        if path is None:
            path = paths[i] = article_path(spec.url)
        yield CommitSpec(path=path,
                         data=text_for(spec, versions[i]).encode("utf-8"),
                         message=version_message(spec.url, spec.headline, versions[i],
                                                 datetime.fromtimestamp(when, UTC),
                                                 byline=spec.byline, published=spec.published),
                         when=when)
    for k, i in enumerate(range(len(site) - removed, len(site))):
        spec = site.article(i)
        versions[i] += 1
        when = t + 60 * (len(order) + k)
        yield CommitSpec(path=article_path(spec.url), data=None,
                         message=version_message(spec.url, spec.headline, versions[i],
                                                 datetime.fromtimestamp(when, UTC),
                                                 removed=True),
                         when=when)


class _FullTexts:
    """``spec.text(version)``, byte for byte, made incrementally: a history asks for the
    versions of an article in order, and ``paragraphs(v)`` replays every edit from version
    1 each time; this keeps each article's newest paragraphs and applies only the next
    edit (any other request falls back to ``spec.text``)."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, list[str]]] = {}

    def __call__(self, spec: ArticleSpec, version: int) -> str:
        held = self.last.get(spec.url)
        if version == 1 or held is None or held[0] != version - 1:
            paras = spec.paragraphs(version)
        else:
            paras = list(held[1])
            _edit(spec.url, version, paras)
        self.last[spec.url] = (version, paras)
        return "\n\n".join([spec.headline, *paras]) + "\n"


def fast_import_archive(path: Path, commits: Iterable[CommitSpec], *, checkout: bool = True,
                        sync_cache: bool = True) -> Path:
    """Create a gitnews archive at ``path`` and append ``commits`` with raw fast-import;
    then check the files out and (``sync_cache``) build gitnews's cache."""
    from gitnews.archive.repo import init_archive, open_archive

    init_archive(path, now=BASE_TIME - timedelta(days=1))
    raw_fast_import(path / ".git", fast_import_stream(commits, parent=head(path)))
    if checkout:
        subprocess.run(["git", "-C", str(path), "read-tree", "--reset", "-u", "HEAD"], check=True)
    # A real archive has its commit-graph (written after every run and by ``gitnews gc``).
    subprocess.run(["git", "-C", str(path), "commit-graph", "write", "--reachable",
                    "--changed-paths", "--no-progress"], check=True)
    if sync_cache:
        with open_archive(path) as arc:
            arc.state  # noqa: B018 - opening the cache syncs it with git
    return path


#: Where :func:`shared_archive` keeps the archives it built, for one benchmark run
#: (benchmarks/run.py sets it); None: every call builds its own.
SHARED_ARCHIVES: Path | None = None
#: Seconds spent building shared archives, and how many times each was asked for.
SHARED_BUILD_S: dict[str, float] = {}
SHARED_USES: dict[str, int] = {}


def shared_archive(*, articles: int, commits: int, short: bool, seed: str = "big",
                   fresh: Path | None = None) -> Path:
    """The archive of ``history_commits(Site(articles, seed=seed), commits=commits)``
    (texts: ``ArticleSpec.short_text`` when ``short``, else ``ArticleSpec.text``), built
    once per benchmark run by :func:`fast_import_archive` (files checked out, commit-graph
    and cache built) and shared by the cases that read big archives (history, export,
    changes, search).

    The archive returned is read-only: a case that writes to it (or needs no cache, to
    time its first sync) asks for ``fresh``, a folder where a copy is made
    (:func:`copy_tree`), and gets that path.  With :data:`INPUTS_CACHE` the build itself
    is kept between runs (:func:`cached_build`).  Without :data:`SHARED_ARCHIVES` it is built at ``fresh`` (or a
    folder of its own beside it)."""
    import shutil
    import time

    key = f"{seed}-{articles}-{commits}-{'short' if short else 'full'}"
    text_for = ArticleSpec.short_text if short else None
    if SHARED_ARCHIVES is None:
        if fresh is None:
            raise ValueError("shared_archive: no SHARED_ARCHIVES folder and no fresh path")
        return fast_import_archive(fresh, history_commits(
            Site(articles, seed=seed), commits=commits, text_for=text_for))
    path = SHARED_ARCHIVES / key
    SHARED_USES[key] = SHARED_USES.get(key, 0) + 1
    if not (path / ".git" / "gitnews-benchmark-complete").exists():
        if path.exists():
            shutil.rmtree(path)
        t0 = time.perf_counter()
        cached_build(f"shared-{key}", path, lambda p: fast_import_archive(p, history_commits(
            Site(articles, seed=seed), commits=commits, text_for=text_for)))
        (path / ".git" / "gitnews-benchmark-complete").touch()
        SHARED_BUILD_S[key] = time.perf_counter() - t0
    if fresh is None:
        return path
    copy_tree(path, fresh)  # git's objects hard-linked: seconds less for 100,000 versions
    (fresh / ".git" / "gitnews-benchmark-complete").unlink()
    return fresh


# -- built inputs kept between runs (--inputs-cache DIR) ----------------------------------------

#: Where :func:`cached_build` keeps built inputs between benchmark runs (``run.py
#: --inputs-cache DIR``); None (the default): every run builds every input.
INPUTS_CACHE: Path | None = None
#: Per key: seconds taken to build it (a miss) or to copy it out of the cache (a hit).
INPUTS_BUILT_S: dict[str, float] = {}
INPUTS_COPIED_S: dict[str, float] = {}

_HERE = Path(__file__).resolve().parent
#: What decides an input archive's bytes: this module, the builders of other modules,
#: and gitnews's packages that write an archive (layout, README, config, cache schema).
_FINGERPRINTED = [_HERE / "inputs.py", _HERE / "versions_log.py",
                  _HERE.parent / "gitnews" / "format", _HERE.parent / "gitnews" / "archive",
                  _HERE.parent / "gitnews" / "config", _HERE.parent / "gitnews" / "models"]
_fingerprint: str | None = None


def inputs_fingerprint() -> str:
    """16 hex digits of SHA-256 over the source of the code that decides a built input's
    bytes (:data:`_FINGERPRINTED`, ``*.py``/``*.md``/``*.toml`` files in name order) and
    ``git --version``: a cached input built by other code is never reused."""
    global _fingerprint
    if _fingerprint is None:
        h = hashlib.sha256()
        for root in _FINGERPRINTED:
            files = sorted(f for f in (root.rglob("*") if root.is_dir() else [root])
                           if f.suffix in (".py", ".md", ".toml") and f.is_file())
            for f in files:
                h.update(str(f.relative_to(_HERE.parent)).encode() + b"\0" + f.read_bytes())
        h.update(subprocess.run(["git", "--version"], check=True, capture_output=True).stdout)
        _fingerprint = h.hexdigest()[:16]
    return _fingerprint


def copy_tree(src: Path, dst: Path) -> Path:
    """Copy the archive (or any folder) ``src`` to ``dst`` (replaced if it exists): every
    file copied (``cp -a``), except git's object store, which is hard-linked (``cp -al``):
    git writes object files once and never changes one in place (a repack or prune writes
    new files and unlinks old ones), so a case that writes to the copy cannot change
    ``src``; the SQLite cache, the index and the working tree, which are changed in place,
    are real copies."""
    import shutil

    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for entry in src.iterdir():
        if entry.name != ".git" or not (entry / "objects").is_dir():
            subprocess.run(["cp", "-a", str(entry), str(dst / entry.name)], check=True)
            continue
        (dst / ".git").mkdir()
        for sub in entry.iterdir():
            subprocess.run(["cp", "-al" if sub.name == "objects" else "-a", str(sub),
                            str(dst / ".git" / sub.name)], check=True)
    shutil.copystat(src, dst)
    return dst


def cached_build(key: str, path: Path, build: Callable[[Path], object]) -> Path:
    """``build(path)``, or a copy of an earlier run's result.

    Without :data:`INPUTS_CACHE` this is ``build(path)``.  With it, the input is kept in
    ``INPUTS_CACHE/<key>-<fingerprint>`` (``key`` must name every parameter the build
    depends on: sizes, seed, kind of texts; :func:`inputs_fingerprint` covers the code):
    the first run builds it at ``path`` and copies it there, later runs copy it to
    ``path`` (:func:`copy_tree`).  A build stopped half-way is never reused (the entry
    counts only once ``<entry>.complete`` exists).  Returns ``path``."""
    import shutil
    import time

    if not re.fullmatch(r"[A-Za-z0-9_.=-]+", key):
        raise ValueError(f"cached_build: key {key!r} must be letters, digits and _.=-")
    if INPUTS_CACHE is None:
        build(path)
        return path
    entry = INPUTS_CACHE / f"{key}-{inputs_fingerprint()}"
    done = entry.with_name(entry.name + ".complete")
    t0 = time.perf_counter()
    if done.exists():
        copy_tree(entry, path)
        INPUTS_COPIED_S[key] = time.perf_counter() - t0
        return path
    build(path)
    INPUTS_BUILT_S[key] = time.perf_counter() - t0
    if entry.exists():
        shutil.rmtree(entry)
    INPUTS_CACHE.mkdir(parents=True, exist_ok=True)
    copy_tree(path, entry)
    done.touch()
    return path


# -- the loopback server ----------------------------------------------------------------------

#: Archives built here hold fewer versions of an article than this; a changed page
#: serves this version, so that it differs from every stored one.
MAX_VERSIONS = 9


def behaviour(i: int, mix: str = "poll") -> str:
    """How article ``i`` answers a poll: ``changed``, ``304`` or ``same`` (200, same body).

    ``mix="poll"``: 10 % changed, 45 % 304, 45 % same (the polling case);
    ``mix="memory"``: 10 % changed, 90 % 304.
    """
    r = i % 20
    if r < 2:
        return "changed"
    return "304" if mix == "memory" or r % 2 == 0 else "same"


def etag(i: int, version: int) -> str:
    return f'"a{i}-v{version}"'


def serve(n: int, seed: str, port_file: Path, mix: str = "poll") -> None:
    """Serve the pages of ``Site(n, seed)`` on 127.0.0.1 (plain and proxy-form requests).

    Article ``i`` answers as :func:`behaviour` (with ``mix``) says: ``changed`` serves
    version :data:`MAX_VERSIONS` (newer than any stored one), ``304`` sends ETag ``"a<i>-v1"`` and honours
    If-None-Match, ``same`` serves version 1 without validators.
    ``http://<host>/feed.xml`` lists the host's articles (ETag ``"feed"``).
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    site = Site(n, seed=seed)
    by_url = {s.url: s.index for s in site}
    feeds: dict[str, list[int]] = {}
    for s in site:
        feeds.setdefault(s.host, []).append(s.index)

    @cache
    def body(i: int, version: int) -> bytes:
        return page_html(site.article(i), version)

    @cache
    def feed(host: str) -> bytes:
        return feed_xml(host, (site.article(i) for i in feeds[host]))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The headers and the body go out in two writes: with Nagle's algorithm the body
        # would wait for the client's delayed ACK (40 ms on Linux) on every reused
        # connection, which penalises clients that keep connections alive.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, data: bytes = b"", headers: dict | None = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def do_GET(self) -> None:
            url = self.path if self.path.startswith("http") else \
                f"http://{self.headers.get('Host', '')}{self.path}"
            parts = urlsplit(url)
            inm = self.headers.get("If-None-Match")
            if parts.path == "/feed.xml" and parts.hostname in feeds:
                if inm == '"feed"':
                    return self._send(304, headers={"ETag": '"feed"'})
                return self._send(200, feed(parts.hostname),
                                  {"Content-Type": "application/rss+xml", "ETag": '"feed"'})
            i = by_url.get(url)
            if i is None:
                return self._send(404, b"not found", {"Content-Type": "text/plain"})
            kind = behaviour(i, mix)
            html_type = {"Content-Type": "text/html; charset=utf-8"}
            if kind == "changed":
                return self._send(200, body(i, MAX_VERSIONS),
                                  {**html_type, "ETag": etag(i, MAX_VERSIONS)})
            if kind == "304":
                if inm == etag(i, 1):
                    return self._send(304, headers={"ETag": etag(i, 1)})
                return self._send(200, body(i, 1), {**html_type, "ETag": etag(i, 1)})
            return self._send(200, body(i, 1), html_type)

    class Server(ThreadingHTTPServer):
        # socketserver's default listen backlog (5) drops connections under a burst of
        # 8+ new ones; the client then waits for a SYN retransmit (1 s).
        request_queue_size = 1024

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # a client hanging up is no news
    port_file.write_text(str(server.server_address[1]))
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the loopback server (see serve())")
    s.add_argument("--articles", type=int, required=True)
    s.add_argument("--seed", default="bench")
    s.add_argument("--port-file", type=Path, required=True)
    s.add_argument("--mix", choices=["poll", "memory"], default="poll")
    args = parser.parse_args()
    if args.cmd == "serve":
        serve(args.articles, args.seed, args.port_file, args.mix)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()


class Server:
    """The loopback server of :func:`serve` in a child process; use as a context manager."""

    def __init__(self, n: int, *, seed: str, workdir: Path, mix: str = "poll") -> None:
        port_file = workdir / f"server-{seed}.port"
        port_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "serve", "--articles", str(n),
             "--seed", seed, "--port-file", str(port_file), "--mix", mix])
        import time

        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("the benchmark's loopback server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait()

    def proxy_env(self) -> dict[str, str]:
        """Environment variables that send gitnews's http:// requests here."""
        return {"HTTP_PROXY": self.url, "http_proxy": self.url}
