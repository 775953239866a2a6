"""The scale case, run by hand (issue 19): ``python benchmarks/run.py --scale``.

Builds an archive of ``--scale-versions`` version commits (default 1,000,000) over a fifth
as many articles (200,000), streamed into one raw ``git fast-import`` (commits are made
one at a time and written to the pipe: nothing holds the history in memory), then measures
what a user of such an archive waits for:

* one ``gitnews run`` over 10,000 due articles on the loopback server of
  ``benchmarks/inputs.py`` (10 % changed, 90 % answering 304): its time and the peak
  memory of its process tree (the run and its extraction workers and git children,
  sampled from /proc: Linux only), which must stay under 300 MB;
* ``gitnews log`` of one article, beyond start-up (``gitnews --help``);
* ``gitnews site``: a first build, then a second after the run (incremental as far as
  the site code of the checkout is); the first build is given at most
  ``--scale-site-timeout`` seconds;
* ``gitnews gc``, and the archive's size (objects, cache, working tree) before and after;
* the cache rebuilt on a fresh clone (``git clone``, then the first open), against one
  ``git log --raw`` with the same trailers over the same history.

Before building, it builds a sample (2 % of the size, at least 5,000 versions, at most
20,000) and extrapolates linearly what the full build will take (time, disk); both
figures are printed, labelled as extrapolations, and the run stops when the disk has too
little room.  It is not part of CI and takes long: start it with ``nice``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import inputs
from inputs import BASE_TIME, MAX_VERSIONS, CommitSpec, Site

#: Articles checked by the scale run (the first ones of the site: the server serves only them).
DUE_ARTICLES = 10_000
#: Versions per article on average (1,000,000 versions over 200,000 articles).
VERSIONS_PER_ARTICLE = 5
SEED = "scale"
MIB = 1 << 20


def _say(text: str = "") -> None:
    print(text, flush=True)


# -- the history, streamed ---------------------------------------------------------------------

class _Articles:
    """What a commit needs of article ``i`` (path, URL, subject lines, trailers), made once
    per article and kept (about 0.5 KB each; the texts are not kept)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.rows: dict[int, tuple[str, str, str, str, str, str]] = {}

    def get(self, i: int) -> tuple[str, str, str, str, str, str]:
        row = self.rows.get(i)
        if row is None:
            from gitnews.format.paths import article_path
            from gitnews.format.trailers import format_subject

            spec = self.site._make(i)  # not Site.article: its cache keeps whole specs
            row = self.rows[i] = (article_path(spec.url), spec.url,
                                  format_subject("New", spec.headline),
                                  format_subject("Changed", spec.headline),
                                  spec.byline, spec.published)
        return row


def _text(i: int, headline_subject: str, version: int) -> bytes:
    """A ~0.7 KB stored text of version ``version`` of article ``i``: the headline and
    sentences from the fixed pool picked by arithmetic (no random generator per commit:
    the history of a million commits must be cheap to make; blob sizes do not change
    what is measured, as in ``ArticleSpec.short_text``)."""
    pool = inputs._sentences()
    n = len(pool)
    first = " ".join(pool[(i * 7919 + j * 104729) % n] for j in range(3))
    second = " ".join(pool[(i * 15485863 + j * 32452843) % n] for j in range(2))
    headline = headline_subject.split(": ", 1)[1]
    return f"{headline}\n\n{first}\n\nVersion {version}. {second}\n".encode()


def history(n_versions: int, n_articles: int, *, check: int = 200) -> Iterator[CommitSpec]:
    """``n_versions`` version commits over ``n_articles`` articles of ``Site(n_articles,
    seed="scale")``, in gitnews's format, one at a time.

    As :func:`inputs.history_commits`: version 1 of every article first (index order),
    then later versions of articles drawn at random (deterministically), at most
    ``MAX_VERSIONS - 1`` each.  The messages are formatted from a per-article template;
    the first ``check`` are compared with :func:`inputs.version_message` (ValueError when
    they differ)."""
    import random

    if n_versions < n_articles:
        raise ValueError("need at least one version per article")
    if n_versions > n_articles * (MAX_VERSIONS - 1):
        raise ValueError(f"at most {MAX_VERSIONS - 1} versions per article")
    arts = _Articles(Site(n_articles, seed=SEED))
    rng = random.Random(f"history:{SEED}")
    versions = bytearray(n_articles)
    t = int(BASE_TIME.timestamp())
    extra = n_versions - n_articles
    for k in range(n_versions):
        if k < n_articles:
            i = k
        else:
            while True:
                i = rng.randrange(n_articles)
                if versions[i] < MAX_VERSIONS - 1:
                    break
        versions[i] += 1
        v = versions[i]
        path, url, new, changed, byline, published = arts.get(i)
        when = t + 60 * k
        stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        message = (f"{new if v == 1 else changed}\n\nArticle-Url: {url}\nVersion: {v}\n"
                   f"Fetched-At: {stamp}\nHttp-Status: 200\nExtractor: trafilatura 2.0.0\n"
                   f"Published-At: {published}\nByline: {byline}\n").encode()
        if k < check or (extra and k == n_articles):
            spec = arts.site._make(i)
            expected = inputs.version_message(spec.url, spec.headline, v,
                                              datetime.fromtimestamp(when, UTC),
                                              byline=spec.byline, published=spec.published)
            if message != expected:
                raise ValueError(f"scale: the message template differs from gitnews's format:"
                                 f"\n{message!r}\n{expected!r}")
        yield CommitSpec(path=path, data=_text(i, new, v), message=message, when=when)


# -- building ---------------------------------------------------------------------------------

def _du(path: Path) -> int:
    """Bytes on disk under ``path`` (``du -sb``)."""
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def _objects(archive: Path) -> int:
    from gitnews.archive.maintenance import object_stats

    s = object_stats(archive)
    return s.pack_bytes + s.loose_bytes


def build(path: Path, n_versions: int, n_articles: int) -> dict[str, float]:
    """The archive at ``path``: raw fast-import of :func:`history`, the files checked out,
    the commit-graph written, the cache built (as a fresh open does). Seconds per phase."""
    from gitnews.archive.repo import init_archive, open_archive

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    init_archive(path, now=BASE_TIME - timedelta(days=1))
    inputs.raw_fast_import(path / ".git", inputs.fast_import_stream(
        history(n_versions, n_articles), parent=inputs.head(path)))
    t1 = time.perf_counter()
    times["fast_import_s"] = t1 - t0
    subprocess.run(["git", "-C", str(path), "read-tree", "--reset", "-u", "HEAD"], check=True)
    t2 = time.perf_counter()
    times["checkout_s"] = t2 - t1
    subprocess.run(["git", "-C", str(path), "commit-graph", "write", "--reachable",
                    "--changed-paths", "--no-progress"], check=True)
    t3 = time.perf_counter()
    times["commit_graph_s"] = t3 - t2
    with open_archive(path) as arc:
        arc.state  # noqa: B018 - opening the cache builds it from git
    times["cache_s"] = time.perf_counter() - t3
    times["total_s"] = time.perf_counter() - t0
    return times


def _sample_size(n_versions: int) -> int:
    return min(n_versions, max(5000, min(20000, n_versions // 50)))


def estimate(tmp: Path, n_versions: int) -> dict[str, float]:
    """Build a sample archive and extrapolate the full build linearly (time and disk).

    Linear is a lower bound for the time: git's trees grow with the number of articles
    (fast-import rewrites the touched directories of every commit)."""
    n = _sample_size(n_versions)
    sample = tmp / "sample"
    times = build(sample, n, max(1, n // VERSIONS_PER_ARTICLE))
    disk = _du(sample)
    scale = n_versions / n
    shutil.rmtree(sample)
    return {"sample_versions": n, "sample_build_s": times["total_s"], "sample_disk_bytes": disk,
            "build_s": times["total_s"] * scale, "cache_s": times["cache_s"] * scale,
            "disk_bytes": disk * scale}


# -- the run over 10,000 due articles ---------------------------------------------------------

def prepare_run(archive: Path, *, due: int, now: datetime) -> None:
    """Make articles ``0 .. due-1`` due now and every other one not due for 30 days: a
    schedule of 30 days between checks, the due ones last checked 40 days ago (with the
    validators the loopback server expects), the rest checked now. Politeness delays off,
    as in the poll case (a deliberate wait, not overhead)."""
    from gitnews.archive.repo import open_archive

    toml = archive / "gitnews.toml"
    text = re.sub(r"(?ms)^\[schedule\]\n.*?(?=^\[|\Z)", "", toml.read_text(encoding="utf-8"))
    text, n1 = re.subn(r"(?m)^min_delay_s\s*=.*$", "min_delay_s = 0.0", text)
    text, n2 = re.subn(r"(?m)^per_host\s*=.*$", "per_host = 8", text)
    if not (n1 and n2):
        text = text.replace("[fetch]\n", "[fetch]\nmin_delay_s = 0.0\nper_host = 8\n", 1)
    text = (text.rstrip("\n") + '\n\n[schedule]\nafter_change = "30d"\ntiers = []\n'
            'longest_wait = "30d"\nstop_after = "never"\n')
    toml.write_text(text, encoding="utf-8")
    subprocess.run(["git", "-C", str(archive), "-c", "user.name=benchmark", "-c",
                    "user.email=benchmark@localhost", "commit", "-q", "-m",
                    "benchmark: 10,000 articles due, no politeness delays", "--",
                    "gitnews.toml"], check=True)
    arts = _Articles(Site(due, seed=SEED))
    with open_archive(archive) as arc:
        state = arc.state
        paths = [row[0] for row in state.db.execute("SELECT path FROM articles")]
        due_paths = {arts.get(i)[0]: i for i in range(due)}
        with state.batch():
            for path in paths:
                i = due_paths.get(path)
                if i is None:
                    state.record_check(path, checked_at=now)
                else:
                    state.record_check(path, checked_at=now - timedelta(days=40),
                                       etag=inputs.etag(i, 1))


class TreeMemory:
    """Samples the memory of a process and its descendants every ``every_s`` seconds
    (Linux /proc): the largest sum of their PSS (shared pages counted once, split between
    the processes sharing them), the largest sum of their RSS, and each one's VmHWM."""

    def __init__(self, pid: int, descendants: Callable[[int], list[int]], *,
                 every_s: float = 0.25) -> None:
        self.pid, self.every_s, self.descendants = pid, every_s, descendants
        self.pss_kb = self.rss_kb = 0
        self.hwm_kb: dict[int, int] = {}
        #: At the sample with the largest PSS sum: each process's command (first two
        #: words) and PSS in kB.
        self.at_peak: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _fields(pid: int, name: str, keys: tuple[str, ...]) -> dict[str, int]:
        out: dict[str, int] = {}
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                key = line.split(":", 1)[0]
                if key in keys:
                    out[key] = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return out

    def _loop(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            sample: list[tuple[str, int]] = []
            for pid in [self.pid, *self.descendants(self.pid)]:
                status = self._fields(pid, "status", ("VmRSS", "VmHWM"))
                rss += status.get("VmRSS", 0)
                if "VmHWM" in status:
                    self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status["VmHWM"])
                one = self._fields(pid, "smaps_rollup", ("Pss",)).get("Pss", 0)
                pss += one
                try:
                    words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    name = " ".join(Path(words[0].decode()).name if i == 0 else w.decode()
                                    for i, w in enumerate(words[:4]) if w)
                except (OSError, UnicodeDecodeError, IndexError):
                    name = str(pid)
                sample.append((name, one))
            if pss > self.pss_kb:
                self.at_peak = sorted(sample, key=lambda x: -x[1])
            self.pss_kb, self.rss_kb = max(self.pss_kb, pss), max(self.rss_kb, rss)
            self._stop.wait(self.every_s)


def gitnews_cmd() -> list[str]:
    script = Path(sys.executable).parent / "gitnews"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gitnews"]


def run_measured(archive: Path, server: inputs.Server,
                 descendants: Callable[[int], list[int]]) -> dict[str, Any]:
    """One ``gitnews run`` (a process of its own) with the server as HTTP proxy."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("https_proxy", "all_proxy", "no_proxy", "http_proxy")}
    env.update(server.proxy_env())
    t0 = time.perf_counter()
    proc = subprocess.Popen([*gitnews_cmd(), "run", "--archive", str(archive)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeMemory(proc.pid, descendants) as mem:
        out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"scale: gitnews run failed ({proc.returncode}):\n{err[-2000:]}")
    hwm = sorted(mem.hwm_kb.values(), reverse=True)
    return {"seconds": seconds, "exit": proc.returncode, "summary": (out + err).strip()[-600:],
            "tree_pss_mb": mem.pss_kb / 1024, "tree_rss_mb": mem.rss_kb / 1024,
            "run_process_peak_mb": mem.hwm_kb.get(proc.pid, 0) / 1024,
            "sum_of_peaks_mb": sum(hwm) / 1024, "processes": len(hwm),
            "at_peak_pss_mb": [(name, round(kb / 1024, 1)) for name, kb in mem.at_peak]}


# -- the commands -----------------------------------------------------------------------------

def _timed_cmd(cmd: list[str], *, timeout_s: float | None = None,
               env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str] | None]:
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, None
    if proc.returncode != 0:
        raise SystemExit(f"scale: {' '.join(cmd)} failed ({proc.returncode}):\n"
                         f"{proc.stderr[-2000:]}")
    return time.perf_counter() - t0, proc


def _median(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    times = sorted(_timed_cmd(cmd, env=env)[0] for _ in range(runs))
    return times[len(times) // 2]


def _cpu_of_children() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def rebuild_on_clone(archive: Path, clone: Path, baseline: tuple[str, ...]) -> dict[str, float]:
    """``git clone`` of ``archive`` (timed apart), then the first open (the cache built
    from git), against ``git <baseline>`` (run.REBUILD_BASELINE: one ``git log --raw``
    with the trailers)."""
    from gitnews.archive.repo import open_archive

    t_clone, _ = _timed_cmd(["git", "clone", "-q", "--no-hardlinks", str(archive), str(clone)])
    k0, t0 = _cpu_of_children(), time.perf_counter()
    subprocess.run(["git", "-C", str(clone), *baseline], check=True,
                   stdout=subprocess.DEVNULL)
    base_wall, base_cpu = time.perf_counter() - t0, _cpu_of_children() - k0
    c0, k0, t0 = time.process_time(), _cpu_of_children(), time.perf_counter()
    with open_archive(clone) as arc:
        arc.state  # noqa: B018 - the first open builds the cache from git
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0 + _cpu_of_children() - k0
    return {"clone_s": t_clone, "rebuild_s": wall, "rebuild_cpu_s": cpu,
            "git_log_raw_s": base_wall, "git_log_raw_cpu_s": base_cpu,
            "wall_ratio": wall / base_wall, "cpu_ratio": cpu / base_cpu}


def sizes(archive: Path) -> dict[str, int]:
    git_dir = archive / ".git"
    cache = git_dir / "gitnews"
    return {"objects_bytes": _objects(archive), "git_dir_bytes": _du(git_dir),
            "cache_bytes": _du(cache) if cache.exists() else 0,
            "worktree_bytes": _du(archive) - _du(git_dir)}


def _mib(n: float) -> str:
    return f"{n / MIB:,.0f} MiB"


# -- the case ---------------------------------------------------------------------------------

def case_scale(args: argparse.Namespace, tmp: Path, *, CaseResult: Callable[..., Any],
               Check: Callable[..., Any], descendants: Callable[[int], list[int]],
               rebuild_baseline: tuple[str, ...]) -> Any:
    """Everything above, in order; returns a ``run.CaseResult`` (the helpers of run.py
    are passed in: this module is imported by it)."""
    res = CaseResult("scale")
    n_versions = args.scale_versions
    n_articles = max(1, n_versions // VERSIONS_PER_ARTICLE)
    due = min(DUE_ARTICLES, n_articles)
    fig = res.figures
    fig.update(versions=n_versions, articles=n_articles, due_articles=due)
    _say(f"scale: {n_versions:,} versions / {n_articles:,} articles; a run over {due:,} due "
         f"articles (load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

    est = estimate(tmp, n_versions)
    fig["estimate"] = {k: round(v) for k, v in est.items()}
    free = shutil.disk_usage(tmp).free
    # The archive, the site, a clone (packed), and the gc's temporary pack.
    need = est["disk_bytes"] * 2.5
    _say(f"  EXTRAPOLATED (linearly, from a {est['sample_versions']:,}-version sample built just "
         f"now in {est['sample_build_s']:.0f} s): the build takes about "
         f"{est['build_s'] / 60:.0f} min (of which the cache {est['cache_s'] / 60:.0f} min) and "
         f"{_mib(est['disk_bytes'])} on disk; with the clone, the site and gc's temporary "
         f"pack, about {_mib(need)} ({_mib(free)} free). The run, the site, gc and the rebuild "
         "come after that: count as long again, or more (the site's first build grows with "
         "the history). A lower bound: git's trees grow with the articles, and the "
         "commit-graph's Bloom filters and the cache grow faster than the sample shows (at "
         "100,000 versions the build took 1.9× this estimate: count twice as long).")
    if free < need:
        raise SystemExit(f"scale: not enough disk in {tmp} ({_mib(free)} free, about "
                         f"{_mib(need)} needed): use a smaller --scale-versions, or set TMPDIR "
                         "to a bigger disk")

    archive = tmp / "archive"
    times = build(archive, n_versions, n_articles)
    fig["build"] = {k: round(v, 1) for k, v in times.items()}
    _say(f"  built in {times['total_s']:.0f} s: fast-import {times['fast_import_s']:.0f} s, "
         f"checkout {times['checkout_s']:.0f} s, commit-graph {times['commit_graph_s']:.0f} s, "
         f"cache {times['cache_s']:.0f} s (load {os.getloadavg()[0]:.1f})")
    before = sizes(archive)
    fig["size_before_gc"] = before
    _say(f"  size as built: objects {_mib(before['objects_bytes'])}, .git "
         f"{_mib(before['git_dir_bytes'])} (cache {_mib(before['cache_bytes'])}), working tree "
         f"{_mib(before['worktree_bytes'])}")

    gitnews = gitnews_cmd()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([*gitnews, "--help"], capture_output=True)  # writes the bytecode
    startup = _median([*gitnews, "--help"], 5)
    spec = Site(n_articles, seed=SEED)._make(0)
    env = {**os.environ, "NO_COLOR": "1"}
    log_t = _median([*gitnews, "log", spec.url, "--archive", str(archive)], 5, env)
    git_log = _median(["git", "-C", str(archive), "log", "--format=%H", "--",
                       _Articles(Site(1, seed=SEED)).get(0)[0]], 5)
    fig.update(startup_s=round(startup, 3), log_s=round(log_t, 3),
               git_log_path_s=round(git_log, 3))
    _say(f"  gitnews log: {log_t:.3f} s ({log_t - startup:+.3f} s beyond start-up, "
         f"`gitnews --help` {startup:.3f} s); `git log --format=%H -- <path>` {git_log:.3f} s")
    res.checks.append(Check("scale: gitnews log, time beyond start-up", log_t - startup, 0.1,
                            "<=", " s"))

    site = tmp / "site"
    site_cmd = [*gitnews, "site", str(site), "--no-search", "--archive", str(archive)]
    t_site, done = _timed_cmd(site_cmd, timeout_s=args.scale_site_timeout)
    fig["site_first_s"] = round(t_site, 1) if done else None
    _say("  gitnews site, first build: " + (f"{t_site:.0f} s" if done else
         f"not finished after {t_site:.0f} s (--scale-site-timeout): stopped"))

    now = datetime.now(UTC)
    prepare_run(archive, due=due, now=now)
    with inputs.Server(due, seed=SEED, workdir=tmp, mix="memory") as server:
        run = run_measured(archive, server, descendants)
    fig["run"] = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in run.items()}
    new = int(subprocess.run(["git", "-C", str(archive), "rev-list", "--count", "HEAD"],
                             capture_output=True, text=True, check=True).stdout) - n_versions - 2
    fig["run"]["new_versions"] = new
    _say(f"  gitnews run over {due:,} due articles: {run['seconds']:.1f} s, {new} new versions; "
         f"peak memory of the process tree {run['tree_pss_mb']:.0f} MB PSS "
         f"({run['tree_rss_mb']:.0f} MB RSS counting shared pages once per process; the run's "
         f"own process {run['run_process_peak_mb']:.0f} MB; {run['processes']} processes, the "
         f"sum of their peaks {run['sum_of_peaks_mb']:.0f} MB)")
    _say("    at the peak (PSS): " + ", ".join(f"{n} {mb:.0f} MB" for n, mb in run["at_peak_pss_mb"]))
    _say(f"    its summary: {run['summary'].splitlines()[-1] if run['summary'] else '—'}")
    res.checks.append(Check("scale: peak memory (PSS) of the run's process tree",
                            run["tree_pss_mb"], 300, "<=", " MB"))

    if done:
        t_inc, _ = _timed_cmd(site_cmd)
        fig["site_after_run_s"] = round(t_inc, 1)
        _say(f"  gitnews site after the run ({new} new versions): {t_inc:.1f} s "
             f"({t_inc - startup:.1f} s beyond start-up)")

    t_gc, _ = _timed_cmd([*gitnews, "gc", "--archive", str(archive)])
    after = sizes(archive)
    fig.update(gc_s=round(t_gc, 1), size_after_gc=after)
    _say(f"  gitnews gc: {t_gc:.0f} s; objects {_mib(before['objects_bytes'])} as built -> "
         f"{_mib(after['objects_bytes'])}; .git {_mib(after['git_dir_bytes'])} (cache "
         f"{_mib(after['cache_bytes'])}); working tree {_mib(after['worktree_bytes'])}")

    rb = rebuild_on_clone(archive, tmp / "clone", rebuild_baseline)
    fig["rebuild_on_clone"] = {k: round(v, 2) for k, v in rb.items()}
    _say(f"  fresh clone: `git clone` {rb['clone_s']:.0f} s; the cache rebuilt on first open "
         f"{rb['rebuild_s']:.0f} s ({rb['rebuild_cpu_s']:.0f} s CPU with git's) vs one `git log "
         f"--raw` with the trailers {rb['git_log_raw_s']:.0f} s ({rb['git_log_raw_cpu_s']:.0f} s "
         f"CPU): {rb['wall_ratio']:.2f}× wall, {rb['cpu_ratio']:.2f}× CPU")
    res.checks.append(Check("scale: cache rebuild on a fresh clone × git log --raw (wall)",
                            rb["wall_ratio"], 1.5, "<="))
    _say(f"  (load {os.getloadavg()[0]:.1f})")
    res.note = json.dumps({"versions": n_versions, "articles": n_articles})
    return res
