"""The archive: the only code that runs git.

An archive is a git repository on branch ``main``: ``gitnews.toml``, ``README.md``
and one ``.txt`` file per article, one commit per version (docs/archive-format.md).

* :mod:`~gitnews.archive.gitrun` — the one git runner (:func:`~gitnews.archive.gitrun.run`,
  :func:`~gitnews.archive.gitrun.start`, one error type
  :class:`~gitnews.archive.gitrun.GitError`) and GitPython's ``Repo`` made on first
  use (:class:`~gitnews.archive.gitrun.LazyRepo`).
* :mod:`~gitnews.archive.repo` — create, open and close an archive (:class:`~gitnews.archive.repo.Archive`).
* :mod:`~gitnews.archive.store` — the only writer of versions: one ``git fast-import``
  per run (:class:`~gitnews.archive.store.Transaction`).
* :mod:`~gitnews.archive.worktree` — HEAD, the index and the working tree kept up
  with the branch (after a transaction, after an interrupted run).
* :mod:`~gitnews.archive.remote` — fetch, replay (rebase) and push to a git remote.
* :mod:`~gitnews.archive.history` — versions read back from git (``git log``);
* :mod:`~gitnews.archive.objects` — objects read from git: the one ``git cat-file --batch``
  reader (:class:`~gitnews.archive.objects.BlobReader`), a file at a commit, HEAD's time.
* :mod:`~gitnews.archive.cache` — the SQLite cache of what git holds, and of checks.
* :mod:`~gitnews.archive.reader` — the read commands' fast path: an archive whose cache
  is current read from its cache alone (:func:`~gitnews.archive.reader.open_reader`).
* :mod:`~gitnews.archive.lock`, :mod:`~gitnews.archive.readonly`,
  :mod:`~gitnews.archive.maintenance` — one writer at a time, read-only archives,
  ``git gc`` and the commit-graph.

May import: :mod:`gitnews.format`, :mod:`gitnews.errors`, :mod:`gitnews.models`,
:mod:`gitnews.config`, :mod:`gitnews.sources` and :mod:`gitnews.pagetext` (the
packages before it in the pipeline), never versions, output, ops or cli.
GitPython is imported only inside the functions that call it (start-up time:
``gitnews --help`` and read commands never import it).
"""
