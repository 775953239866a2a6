"""Output: what the archive's history becomes for people and programs.

* :mod:`.render`: a diff of two versions for the terminal (rich), as a unified
  patch or as HTML (the Jinja2 templates in ``templates/``), and the words they share;
* :mod:`.jsondocs`: the JSON documents of ``--json`` (``docs/json-output.md``);
* :mod:`.changes`: the latest changes read from git, each as a diff view, and what
  the feeds and the site need to know of the archive (its name, host folders, last
  commit time);
* :mod:`.changefeed`: feeds of changes (Atom, RSS 2.0): describing a change, the
  feeds' specs, writing a feed;
* :mod:`.hooks`: the change events of new versions, to a command and a webhook;
* :mod:`.changelist`: every change across the archive in a period (``gitnews changes``),
  from the cache;
* :mod:`.stats`: per source and in total, how often and how soon articles change
  (``gitnews stats`` and the site's statistics page), from the cache;
* :mod:`.sitelayout` (where each file of the static site lives, pure) and
  :mod:`.site` (building the site incrementally).
* :mod:`.export`: the archive as a dataset (``gitnews export``: JSON Lines, CSV,
  SQLite, Parquet) with the sentence edits between versions.

Nothing here prints or exits (the CLI does).  Output may import from
:mod:`gitnews.format`, :mod:`gitnews.errors`, :mod:`gitnews.models`,
:mod:`gitnews.config`, :mod:`gitnews.sources`, :mod:`gitnews.pagetext`,
:mod:`gitnews.archive` and :mod:`gitnews.versions`, never from :mod:`gitnews.ops` or
:mod:`gitnews.cli`.  GitPython is imported inside the functions that run it
(``gitnews --help`` must not load it).
"""
