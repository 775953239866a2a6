"""The use cases: what a command of gitnews does, from start to end, as library calls.

What lives here, in the order of a run:

* :mod:`~gitnews.ops.run` — one polling pass: plan -> check -> record -> apply ->
  housekeeping (:func:`~gitnews.ops.run.run`), and :func:`~gitnews.ops.run.preview`;
  its parts: :mod:`~gitnews.ops.plan` (feeds read, backlog and schedule -> the
  articles to check), :mod:`~gitnews.ops.checks` (fetch and extract in worker
  threads), :mod:`~gitnews.ops.recording` (one transaction -> Recorder -> finish ->
  cache, shared with the imports);
* :mod:`~gitnews.ops.watch` — the watch loop and when the next check is due;
* :mod:`~gitnews.ops.publish` — after a run: push, then hooks;
  :mod:`~gitnews.ops.push` — ``gitnews push`` (replay on the remote, push);
* :mod:`~gitnews.ops.importing` — importing captures (the shared core),
  :mod:`~gitnews.ops.warc_import`, :mod:`~gitnews.ops.wayback_import`, and what an
  import reports (:mod:`~gitnews.ops.import_report`);
* :mod:`~gitnews.ops.tracking` — ``gitnews add``/``remove`` (the ``gitnews.toml``
  commit), with :mod:`~gitnews.ops.classify` (what a URL is: feed, sitemap, page with
  feeds, article);
* :mod:`~gitnews.ops.fronts` — front pages: ``add --front`` and the commits of their
  story lists in a run;
* :mod:`~gitnews.ops.status` — ``gitnews status``; :mod:`~gitnews.ops.workflows` —
  the GitHub Actions workflow written into an archive.

Nothing here parses a command line or prints: results are returned as typed
values (:class:`~gitnews.models.RunResult`, ``ImportResult``, ``Publication``...)
for the CLI (:mod:`gitnews.cli`) or a library caller to show.

Imports: ops may import every package below it — :mod:`gitnews.format`,
:mod:`gitnews.errors`, :mod:`gitnews.models`, :mod:`gitnews.config`,
:mod:`gitnews.sources`, :mod:`gitnews.pagetext`, :mod:`gitnews.archive`,
:mod:`gitnews.versions`, :mod:`gitnews.output` — and never :mod:`gitnews.cli`.
The CLI imports ops modules inside its commands, so that ``gitnews --help`` loads
none of them (tests/test_startup.py).
"""
