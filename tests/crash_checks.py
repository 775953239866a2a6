"""Tools for the crash, lock and concurrency tests: a bigger replay scenario built
from the real pages in tests/data, killing a real ``gitnews`` process at a
chosen moment, and the integrity checks an archive must pass after any crash.

Other commands that write (imports, gc) can reuse :func:`start_gitnews`,
:func:`kill_when` and :func:`check_integrity` for their own crash tests.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from conftest import DATA

SCENARIOS = DATA / "scenarios"
BBC = SCENARIOS / "bbc-2009"
GUARDIAN = SCENARIOS / "seed-guardian" / "pages"

#: The pages the built scenario serves: (file name, source).  Each article
#: alternates between the two captures of one real story, or stays the same.
_PAGES = {
    "bbc-a.html": BBC / "7984711-A.stm.html",
    "bbc-b.html": BBC / "7984711-B.stm.html",
    "bbc-same.html": BBC / "6072486-A.stm.html",
    "guardian-1.html": GUARDIAN / "gaps-remain-v1.html",
    "guardian-2.html": GUARDIAN / "gaps-remain-v2.html",
}
FEED_URL = "http://crash.example/news/rss.xml"


def _variant(i: int, step: int) -> str:
    kind = i % 4
    if kind == 0:          # a BBC story that loses/regains two paragraphs every step
        return "bbc-a.html" if step % 2 == 0 else "bbc-b.html"
    if kind == 1:          # the Guardian story with its one-word fix, every other step
        return "guardian-1.html" if (step // 2) % 2 == 0 else "guardian-2.html"
    if kind == 2:          # the same as kind 0, the other way round
        return "bbc-b.html" if step % 2 == 0 else "bbc-a.html"
    return "bbc-same.html"  # never changes


def article_url(i: int) -> str:
    return f"http://crash.example/news/2009/story-{i:03d}.html"


def articles_at(step: int, *, articles: int, grow_every: int) -> int:
    """How many stories the feed lists at ``step``."""
    return articles + step // grow_every


def build_scenario(folder: Path, *, articles: int, steps: int, grow_every: int = 1) -> Path:
    """Write a replay scenario into ``folder``: one RSS feed whose items are
    ``articles`` story URLs (one more appears every ``grow_every`` steps),
    each serving real recorded pages that change between steps; every fifth
    link is a 302 redirect to the story (as the BBC's /go/rss/ links were)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in _PAGES.items():
        shutil.copyfile(src, folder / name)
    scenario_steps = []
    for step in range(steps):
        count = articles_at(step, articles=articles, grow_every=grow_every)
        items, responses = [], {}
        for i in range(count):
            url = article_url(i)
            link = url
            if i % 5 == 4:
                link = f"http://crash.example/go/rss/{i:03d}"
                responses[link] = {"status": 302, "headers": {"Location": url},
                                   "content_type": "text/html"}
            items.append(f"<item><title>Story {i}</title><link>{link}</link>"
                         f"<guid isPermaLink=\"false\">story-{i}</guid></item>")
            responses[url] = {"file": _variant(i, step), "content_type": "text/html"}
        feed = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Crash test news</title><link>http://crash.example/news/</link>"
                f"<description>step {step}</description>{''.join(items)}</channel></rss>")
        (folder / f"rss-{step}.xml").write_text(feed, encoding="utf-8")
        responses[FEED_URL] = {"file": f"rss-{step}.xml", "content_type": "application/rss+xml"}
        scenario_steps.append({"at": f"2009-04-{5 + step:02d}T10:00:00Z", "responses": responses})
    (folder / "scenario.json").write_text(json.dumps({
        "description": "Built by tests/crash_checks.py from the pages of tests/data/scenarios "
                       "(bbc-2009, seed-guardian): many article URLs serving real pages that "
                       "change from step to step.",
        "sources": "see tests/data/scenarios/README.md",
        "feeds": [FEED_URL], "steps": scenario_steps}, indent=1), encoding="utf-8")
    return folder


# -- running and killing -----------------------------------------------------------------

#: Settings for these tests: no politeness pauses or retries against our own
#: loopback server, and every change a version (the scenario's pages alternate
#: between two texts far more often than ``[changes] max_reverts`` lets through;
#: that policy has its own tests).
TEST_SETTINGS = {"fetch": {"per_host": 8, "min_delay_s": 0.0, "retries": 0, "max_wait_s": 0.0},
                 "changes": {"max_reverts": 1000}}


def fast_fetching(archive: Path) -> None:
    """Set :data:`TEST_SETTINGS` in the archive's gitnews.toml and commit it."""
    import tomlkit

    config = archive / "gitnews.toml"
    doc = tomlkit.parse(config.read_text(encoding="utf-8"))
    for section, values in TEST_SETTINGS.items():
        if section not in doc:
            doc[section] = tomlkit.table()
        for key, value in values.items():
            doc[section][key] = value
    config.write_text(tomlkit.dumps(doc), encoding="utf-8")
    git(archive, "commit", "-q", "-m", "Settings for the crash tests", "--", "gitnews.toml")

def start_gitnews(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """Start the real ``gitnews`` command in its own process group."""
    return subprocess.Popen([sys.executable, "-m", "gitnews", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _children(pid: int) -> list[tuple[int, str]]:
    """``(pid, command line)`` of every descendant of ``pid``."""
    parents: dict[int, int] = {}
    cmds: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
        cmds[int(entry.name)] = cmd.decode("utf-8", "replace")
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p:
                out.append((child, cmds[child]))
                todo.append(child)
    return out


@dataclass
class Kill:
    """How one run ended: ``phase`` names when the kill came; ``killed`` is False
    when the run had finished before it."""

    phase: str
    killed: bool
    whole_group: bool
    returncode: int | None = None
    stderr: str = ""


def kill_when(proc: subprocess.Popen, *, rng: random.Random, phase: str,
              after_s: float, whole_group: bool, timeout_s: float = 60) -> Kill:
    """SIGKILL ``proc`` (or its whole process group) at a moment chosen by ``phase``:

    * ``"time"``: ``after_s`` seconds after the start;
    * ``"fast-import"``: ``after_s`` seconds after its ``git fast-import`` child
      (the commits being written) appears.
    """
    start = time.monotonic()
    seen_at = None
    killed = False
    while proc.poll() is None and time.monotonic() - start < timeout_s:
        now = time.monotonic()
        if phase == "time":
            fire = now - start >= after_s
        else:
            if seen_at is None and any(f"git {phase}" in cmd or f"git-{phase}" in cmd
                                       for _, cmd in _children(proc.pid)):
                seen_at = now
            fire = seen_at is not None and now - seen_at >= after_s
        if fire:
            try:
                if whole_group:
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
                killed = True
            except ProcessLookupError:
                pass
            break
        time.sleep(0.01)
    out, err = proc.communicate(timeout=timeout_s)
    if killed and proc.returncode != -signal.SIGKILL:
        killed = False  # it had finished just before
    return Kill(phase=phase, killed=killed, whole_group=whole_group,
                returncode=proc.returncode, stderr=err)


# -- integrity -----------------------------------------------------------------------------

def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=check)


@dataclass
class History:
    """What git says about the archive's versions."""

    head: str
    versions: dict[str, list[str]] = field(default_factory=dict)  # path -> blob ids, in order
    archive: Path | None = None


def check_integrity(archive: Path) -> History:
    """Assert what must hold after any crash: ``git fsck`` is clean, ``main`` is a
    complete commit, every version commit touches exactly one file and changes
    it, and its ``Version`` trailer (read by git's own trailer parser) counts the
    file's commits.  Returns the history for further checks.

    First waits for the git commands a killed gitnews left running (its ``git
    fast-import`` ending the stream, its ``git repack``): ``git fsck`` beside a
    repack that deletes the packs it has just rewritten reports their objects
    missing (a false alarm that failed CI once)."""
    from gitnews.archive.lock import wait_for_orphaned_writers

    wait_for_orphaned_writers(archive / ".git", wait_s=120)
    fsck = git(archive, "fsck", "--full", "--no-progress", check=False)
    bad = [ln for ln in (fsck.stdout + fsck.stderr).splitlines()
           if ln and not ln.startswith(("dangling ", "notice:"))]
    assert fsck.returncode == 0 and not bad, f"git fsck: {fsck.returncode}\n{fsck.stdout}{fsck.stderr}"
    head = git(archive, "rev-parse", "--verify", "main^{commit}").stdout.strip()
    assert git(archive, "symbolic-ref", "HEAD").stdout.strip() == "refs/heads/main"
    log = git(archive, "-c", "core.quotePath=false", "log", "--reverse", "--no-renames",
              "--raw", "--no-abbrev",
              "--format=%x1e%H%n%(trailers:key=Version,valueonly,separator=%x2c)%n"
              "%(trailers:key=Article-Url,valueonly,separator=%x2c)", "main").stdout
    history = History(head=head, archive=archive)
    for rec in log.split("\x1e")[1:]:
        lines = rec.split("\n")
        sha, version, url = lines[0], lines[1].strip(), lines[2].strip()
        raw = [ln for ln in lines[3:] if ln.startswith(":")]
        if not url:
            continue  # not a version commit (the archive's start, gitnews.toml edits)
        assert len(raw) == 1, f"version commit {sha} touches {len(raw)} files:\n{rec}"
        meta, path = raw[0].split("\t", 1)
        old_blob, new_blob = meta.split()[2:4]
        blobs = history.versions.setdefault(path, [])
        assert old_blob != new_blob, f"{sha} commits {path} unchanged"
        blobs.append(new_blob)
        assert version == str(len(blobs)), \
            f"{sha}: Version {version!r} but it is commit {len(blobs)} of {path}"
    check_captures(archive)
    return history


def check_captures(archive: Path, *, every_version: bool = False) -> None:
    """Captures and versions agree (issue 16): each ``Capture`` trailer on ``main``
    names a blob reachable from ``gitnews/captures`` whose payload digest is the
    version's ``Page-Sha256``, and each capture on that branch is named by a
    version (``keep = "versions"``: no orphan capture).  ``every_version``: also
    every version commit of a live fetch (one with ``Page-Sha256``) has a capture."""
    import hashlib

    from gitnews.archive.captures import CAPTURES_REF, capture_view

    log = git(archive, "log", "--format=%x1e%H%n%(trailers:key=Capture,valueonly,separator=%x2c)%n"
              "%(trailers:key=Page-Sha256,valueonly,separator=%x2c)", "main").stdout
    named: dict[str, str] = {}
    for rec in log.split("\x1e")[1:]:
        sha, capture, page_sha = (rec.split("\n") + ["", ""])[:3]
        if capture.strip():
            named[capture.strip()] = page_sha.strip()
        elif every_version and page_sha.strip():
            raise AssertionError(f"version commit {sha} has no Capture trailer")
    has_branch = git(archive, "rev-parse", "--verify", "-q", CAPTURES_REF,
                     check=False).returncode == 0
    on_branch: set[str] = set()
    if has_branch:
        out = git(archive, "log", "--format=", "--raw", "--no-abbrev", CAPTURES_REF).stdout
        on_branch = {ln.split()[3] for ln in out.splitlines() if ln.startswith(":")}
    missing = set(named) - on_branch
    assert not missing, f"Capture trailers name blobs not on {CAPTURES_REF}: {sorted(missing)[:3]}"
    orphans = on_branch - set(named)
    assert not orphans, f"captures no version names: {sorted(orphans)[:3]}"
    for blob, page_sha in named.items():
        data = subprocess.run(["git", "-C", str(archive), "cat-file", "blob", blob],
                              capture_output=True, check=True).stdout
        payload = capture_view(data).payload
        assert hashlib.sha256(payload).hexdigest() == page_sha, f"capture {blob}: digest"


def check_cache(archive: Path, history: History) -> None:
    """The cache, synced as the next command would, agrees with git."""
    from gitnews.archive.repo import open_archive

    with open_archive(archive) as arc:
        cached = {r.path: (r.versions, r.blob) for r in arc.state.articles()}
    expected = {p: (len(b), b[-1]) for p, b in history.versions.items()}
    assert cached == expected


def page_text(body: bytes, url: str) -> str:
    """The file text gitnews makes of a page: extraction, the default boilerplate
    filters (``[filters]`` of a new gitnews.toml), rendering."""
    from gitnews.config import Config
    from gitnews.format.normalise import render_text
    from gitnews.pagetext.extract import extract_article
    from gitnews.pagetext.filters import FilterSet

    settings = Config().filters
    filters = FilterSet(builtin=settings.builtin, hosts=settings.hosts).for_url(url)
    article = extract_article(body, url=url)
    return render_text(article.headline, filters.apply(article.paragraphs))


class Expected:
    """What an archive must hold after a complete run at each step of a
    :func:`build_scenario` scenario: each story's file at
    ``article_path(article_url(i))`` with the text gitnews renders from the
    page it serves, one version per change of that text."""

    def __init__(self, folder: Path, *, articles: int, grow_every: int) -> None:
        self.folder, self.articles, self.grow_every = folder, articles, grow_every
        self._blobs: dict[tuple[str, int], str] = {}
        self._by_step: list[dict[str, list[str]]] = []

    def _blob(self, variant: str, i: int) -> str:
        from gitnews.archive.store import blob_id

        key = (variant, i)
        if key not in self._blobs:
            body = (self.folder / variant).read_bytes()
            self._blobs[key] = blob_id(page_text(body, article_url(i)).encode("utf-8"))
        return self._blobs[key]

    def versions(self, step: int) -> dict[str, list[str]]:
        """path -> blob ids, oldest first, after a complete run at every step up to ``step``."""
        from gitnews.format.paths import article_path

        while len(self._by_step) <= step:
            s = len(self._by_step)
            prev = self._by_step[-1] if self._by_step else {}
            now = {p: list(b) for p, b in prev.items()}
            for i in range(articles_at(s, articles=self.articles, grow_every=self.grow_every)):
                blobs = now.setdefault(article_path(article_url(i)), [])
                blob = self._blob(_variant(i, s), i)
                if not blobs or blobs[-1] != blob:
                    blobs.append(blob)
            self._by_step.append(now)
        return self._by_step[step]
