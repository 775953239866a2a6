"""Extraction on every core: page bytes -> (Article, file text) in worker processes.

Extraction (:func:`gitnews.pagetext.extract.extract_article`, trafilatura + lxml) is
CPU-bound Python: threads cannot run it in parallel (the GIL), so a run with
many pages to read would use one core.  :class:`ExtractionPool` sends the
bodies to a :class:`concurrent.futures.ProcessPoolExecutor`; fetching stays
in threads (it waits on the network), and each fetching thread waits for its
page's extraction, so at most ``concurrency`` bodies are in flight.

The result is the same as in the calling thread (the same function runs, on
the same bytes: extraction is deterministic).  On Linux the workers are
forked, once, when the pool is made (from a process with a single thread),
after trafilatura has been imported, so that they start in milliseconds;
elsewhere they come from a ``forkserver`` or are spawned (see
:func:`_context`), which costs about a second.  The pool is used only when
there is enough work (:func:`processes_for`).  If a worker dies (a crash in a C
library), the page fails with :class:`~gitnews.errors.ExtractionError` and
the pool falls back to extracting in the calling thread.

The environment variable ``GITNEWS_EXTRACT_PROCESSES`` overrides the choice:
``0`` extracts in the calling threads, ``N`` uses N processes whatever the
amount of work.

Workers run the extraction stage of :func:`gitnews.pagetext.pipeline.page_text`
(:meth:`ExtractionPool.extract_article`, given to ``page_text`` as its
``extract``), or the whole pipeline (:func:`extract_page`, :meth:`ExtractionPool.extract`,
:meth:`ExtractionPool.map`).  A caller that wants to go on working while a page
is extracted (an import reading the next captures) uses
:meth:`ExtractionPool.submit_article`, which returns a :class:`PendingArticle` at
once.  ``ExtractionPool(n,
die_with_parent=True)`` makes workers that ignore Ctrl-C (SIGINT: the calling
process handles it and closes the pool) and end when the calling process ends,
even by SIGKILL, so that no orphaned worker keeps the archive's write lock
(``flock``, shared with forked children) or an output pipe open.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from gitnews.errors import ConfigError, ExtractionError, GitnewsError
from gitnews.models import Article
from gitnews.pagetext.pipeline import ExtractStage, TextSettings, page_text

if TYPE_CHECKING:
    from gitnews.pagetext.siterules import SiteRules

__all__ = ["ENV_PROCESSES", "MIN_ITEMS", "PLAIN", "ExtractionPool", "PendingArticle",
           "cpu_count", "extract_page", "extraction", "processes_for"]

_T = TypeVar("_T")

#: Environment variable overriding the number of extraction processes (0: none).
ENV_PROCESSES = "GITNEWS_EXTRACT_PROCESSES"

#: Fewest items of work for which a pool is started (it costs ~1 s to start).
MIN_ITEMS = 32

#: Settings without boilerplate filters or site rules: the text is the extracted article,
#: normalised (:func:`gitnews.format.normalise.render_article`).
PLAIN = TextSettings.from_tables(builtin=False)


def cpu_count() -> int:
    """The cores this process may run on (``os.sched_getaffinity`` where it exists)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def processes_for(items: int) -> int:
    """How many extraction processes to use for ``items`` pages (0: none, extract in threads).

    :data:`ENV_PROCESSES` when set (a number >= 0); otherwise every core when
    there are at least two and ``items >= MIN_ITEMS``, else 0.  Raises
    :class:`~gitnews.errors.ConfigError` when :data:`ENV_PROCESSES` is not a
    number >= 0.
    """
    value = os.environ.get(ENV_PROCESSES, "").strip()
    if value:
        if not value.isdigit():
            raise ConfigError(f"{ENV_PROCESSES}={value!r} is not a number of processes; "
                             "set it to 0 (extract in threads) or a positive number")
        return int(value)
    cores = cpu_count()
    return cores if cores >= 2 and items >= MIN_ITEMS else 0


def extract_page(body: bytes, *, url: str | None = None,
                 settings: TextSettings = PLAIN) -> tuple[Article, str]:
    """Extract and render one page in the calling thread: the article and file text of
    :func:`gitnews.pagetext.pipeline.page_text` with ``settings`` (default
    :data:`PLAIN`).  Raises :class:`~gitnews.errors.ExtractionError`.
    """
    done = page_text(body, url, settings)
    return done.article, done.text


@dataclass(frozen=True)
class _Failed:
    """A page a worker could not read: the message of its error."""

    message: str


def _unwrap(result: _T | _Failed) -> _T:
    """``result``, or its message raised as :class:`~gitnews.errors.ExtractionError`."""
    if isinstance(result, _Failed):
        raise ExtractionError(result.message)
    return result


def _caught(url: str | None, read: Callable[[], _T]) -> _T | _Failed:
    """``read()``, or the message of its error, as a worker returns it: errors
    travel as messages, so that nothing depends on pickling exceptions."""
    try:
        return read()
    except GitnewsError as exc:
        return _Failed(str(exc))
    except Exception as exc:
        return _Failed(f"unexpected error while reading {url}: {exc.__class__.__name__}: "
                       f"{exc}; please report this page")


def _work(body: bytes, url: str | None, settings: TextSettings) -> tuple[Article, str] | _Failed:
    """Run in a worker: :func:`extract_page`, or the error's message."""
    return _caught(url, lambda: extract_page(body, url=url, settings=settings))


def _work_article(body: bytes, url: str | None, site: SiteRules | None = None) -> Article | _Failed:
    """Run in a worker: the page's article, or the error's message."""
    from gitnews.pagetext.extract import extract_article

    return _caught(url, lambda: extract_article(body, url=url, site=site))


def _died(url: str | None, *, again: bool = True) -> ExtractionError:
    """The error of a page whose worker process died; ``again``: say that a run reads it again."""
    return ExtractionError(
        f"the extraction worker process died while reading {url or 'a page'} "
        f"(a crash in the HTML parser?); {'the page will be read again on the next run, ' if again else ''}"
        "please report it if this repeats")


#: How often a worker without ``prctl`` looks whether its parent is still there (seconds).
_PARENT_CHECK_S = 0.5


def _bind_to_parent(parent_pid: int | None) -> None:
    """Worker initializer for ``die_with_parent``: ignore SIGINT; end with the parent.

    On Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` has the kernel kill the worker
    when its parent ends; elsewhere a daemon thread polls ``os.getppid()``.
    ``parent_pid``: the pool's process when the worker was forked from it (then a
    parent gone before this ran is noticed too).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    first_parent = os.getppid()
    bound = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            bound = libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            bound = False
    if (parent_pid is not None and os.getppid() != parent_pid) or os.getppid() != first_parent:
        os._exit(1)  # the parent is already gone
    if not bound:
        def watch() -> None:
            while os.getppid() == first_parent:
                time.sleep(_PARENT_CHECK_S)
            os._exit(1)

        threading.Thread(target=watch, name="gitnews-parent-watch", daemon=True).start()


def _context() -> multiprocessing.context.BaseContext:
    """How to start workers (see the module docstring).

    On Linux, from a process with one thread: ``fork``, after importing the
    extractor here, so that a worker costs a fork and nothing is imported
    twice.  Forking is unsafe when other threads may hold locks, so otherwise
    (and on other systems): ``forkserver`` with the extractor preloaded, else
    ``spawn``; these start workers from a fresh interpreter, which imports the
    caller's ``__main__`` module again (the usual ``if __name__ == "__main__":``
    guard is needed, as for every multiprocessing program).
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods and threading.active_count() == 1:
        import gitnews.pagetext.extract  # noqa: F401 - loaded once, inherited by every worker

        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["gitnews.pagetext.extract"])
        return ctx
    return multiprocessing.get_context("spawn")


class ExtractionPool:
    """``processes`` worker processes that extract pages; thread-safe.

    Call :meth:`extract_article` (or :meth:`extract`) from any thread (it blocks
    that thread until its page is done); use as a context manager or call
    :meth:`close`.
    """

    def __init__(self, processes: int, *, die_with_parent: bool = False) -> None:
        """``die_with_parent``: workers ignore SIGINT and end when this process ends
        (see the module docstring); off by default."""
        if processes < 1:
            raise ValueError("an extraction pool needs at least one process")
        self.processes = processes
        ctx = _context()
        forked = ctx.get_start_method() == "fork"
        self._pool: ProcessPoolExecutor | None
        if die_with_parent:
            self._pool = ProcessPoolExecutor(max_workers=processes, mp_context=ctx,
                                             initializer=_bind_to_parent,
                                             initargs=(os.getpid() if forked else None,))
        else:
            self._pool = ProcessPoolExecutor(max_workers=processes, mp_context=ctx)
        self._lock = threading.Lock()
        if forked:
            # With fork, the executor starts every worker at the first submit: do it now,
            # from this thread, before the caller starts any other thread.
            self._pool.submit(int).result()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (waits for the pages in progress)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def extract_article(self, body: bytes, *, url: str | None = None,
                        site: SiteRules | None = None) -> Article:
        """:func:`gitnews.pagetext.extract.extract_article` in a worker process: the
        extraction stage of :func:`gitnews.pagetext.pipeline.page_text` (the run's
        boilerplate filters and rendering stay in the calling thread).

        Raises :class:`~gitnews.errors.ExtractionError` for a page without an
        article, and when the worker died on it (then later pages are
        extracted in the calling thread).
        """
        pool = self._pool
        if pool is None:
            from gitnews.pagetext.extract import extract_article

            return extract_article(body, url=url, site=site)
        return self._in_worker(pool, _work_article, url, body, url, site)

    def submit_article(self, body: bytes, *, url: str | None = None,
                       site: SiteRules | None = None) -> PendingArticle:
        """Start :meth:`extract_article` of one page and return at once.

        The page waits in the pool's queue until a worker is free; the caller
        bounds how many it submits (each holds its body until a worker takes
        it).  When the pool is closed or broken, the page is extracted in the
        thread that asks for the result.
        """
        pool = self._pool
        if pool is None:
            return PendingArticle(self, None, body, url, site)
        try:
            future = pool.submit(_work_article, body, url, site)
        except BrokenProcessPool:
            self._broken(pool)
            return PendingArticle(self, None, body, url, site)
        return PendingArticle(self, future, None, url, site)

    def _in_worker(self, pool: ProcessPoolExecutor, work: Callable[..., _T | _Failed], url: str | None,
                   *args: object) -> _T:
        """``work(*args)`` in a worker process, waited for; raises its error as
        :class:`~gitnews.errors.ExtractionError`, and one naming ``url`` when the
        worker died (then later pages are extracted in the calling thread)."""
        try:
            result = pool.submit(work, *args).result()
        except BrokenProcessPool:
            self._broken(pool)
            raise _died(url) from None
        return _unwrap(result)

    def _broken(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def extract(self, body: bytes, *, url: str | None = None,
                settings: TextSettings = PLAIN) -> tuple[Article, str]:
        """Like :func:`extract_page`, in a worker process; raises as :meth:`extract_article`."""
        pool = self._pool
        if pool is None:
            return extract_page(body, url=url, settings=settings)
        return self._in_worker(pool, _work, url, body, url, settings)

    def map(self, bodies: Sequence[bytes], *, urls: Sequence[str | None] | None = None,
            settings: TextSettings = PLAIN) -> Iterator[tuple[Article, str] | ExtractionError]:
        """Extract many pages with :func:`extract_page`, in order: each result is
        ``(article, text)`` or the :class:`~gitnews.errors.ExtractionError` of that
        page (never raised)."""
        pool = self._pool
        urls = urls if urls is not None else [None] * len(bodies)
        results: Iterator[tuple[Article, str] | _Failed]
        if pool is None:
            results = (_work(b, u, settings) for b, u in zip(bodies, urls, strict=True))
        else:
            chunk = max(1, min(16, len(bodies) // (4 * self.processes) or 1))
            results = pool.map(_work, bodies, urls, [settings] * len(bodies), chunksize=chunk)
        for result in results:
            yield ExtractionError(result.message) if isinstance(result, _Failed) else result


class PendingArticle:
    """The extraction of one page started by :meth:`ExtractionPool.submit_article`."""

    def __init__(self, owner: ExtractionPool, future: Future[Article | _Failed] | None,
                 body: bytes | None, url: str | None, site: SiteRules | None = None) -> None:
        self._owner, self._future, self._body, self._url = owner, future, body, url
        self._site = site

    def result(self) -> Article:
        """Wait for the page's :class:`~gitnews.models.Article`.

        Raises :class:`~gitnews.errors.ExtractionError` for a page without an
        article, an unexpected error in the extractor (the message says so), or
        a worker that died (then the pool extracts later pages in the calling
        thread).
        """
        future = self._future
        if future is None:
            result = _work_article(self._body or b"", self._url, self._site)
        else:
            try:
                result = future.result()
            except BrokenProcessPool:
                pool = self._owner._pool
                if pool is not None:
                    self._owner._broken(pool)
                raise _died(self._url, again=False) from None
        return _unwrap(result)

    def stage(self, body: bytes, *, url: str | None, site: SiteRules | None) -> Article:
        """:meth:`result`, as the extraction stage of
        :func:`gitnews.pagetext.pipeline.page_text` (:class:`~gitnews.pagetext.pipeline.ExtractStage`)
        for the body, URL and site rules this page was submitted with."""
        return self.result()

    def cancel(self) -> None:
        """Not needed after all: drop it (a page already being extracted is let finish)."""
        if self._future is not None:
            self._future.cancel()
        self._body = None


@contextmanager
def extraction(items: int) -> Iterator[ExtractStage | None]:
    """The extraction stage (``extract_article(body, *, url, site)``, the ``extract``
    of :func:`gitnews.pagetext.pipeline.page_text`) to use for ``items`` pages: a
    pool's :meth:`~ExtractionPool.extract_article` when :func:`processes_for`
    says so (the pool is closed when the ``with`` block ends), else None
    (extract in the calling thread).  Its workers die with the calling process
    (``die_with_parent``): a killed run leaves none holding the write lock."""
    processes = processes_for(items)
    if processes < 1:
        yield None
        return
    with ExtractionPool(processes, die_with_parent=True) as pool:
        yield pool.extract_article
