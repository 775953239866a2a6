"""versions: recording versions, and reading them back.

What lives here, in the order of a run:

* :mod:`~gitnews.versions.record`: the :class:`~gitnews.versions.record.Recorder`,
  which turns captures into version commits and writes the run's cache updates back
  after the transaction; it puts together
* :mod:`~gitnews.versions.identity`: which file an article is (one article, one history);
* :mod:`~gitnews.versions.article`: what a run knows of one article, and its earlier
  versions and texts;
* :mod:`~gitnews.versions.rules`: the decision rules (hold a suspicious text, confirm a
  removal, revert, alternation, outside edit) and the ``Change-Kind`` values;
* :mod:`~gitnews.versions.corrections`: correction and update notices, and which are new;
* :mod:`~gitnews.versions.significance`: facts, the significance rule table and the
  filter :func:`~gitnews.versions.significance.passes` (pure);
* :mod:`~gitnews.versions.schedule`: when an article is checked again (pure);
* :mod:`~gitnews.versions.diff`: the difference between two texts (pure);
* :mod:`~gitnews.versions.timeline`: one article's versions as readers see them;
* :mod:`~gitnews.versions.resolve`: which article and which version a reader means;
* :mod:`~gitnews.versions.timespec`: the command line's one time syntax (pure).

The commit messages themselves are built in :mod:`gitnews.format.messages`.

Imports: this package may import :mod:`gitnews.format`, :mod:`gitnews.errors`,
:mod:`gitnews.models`, :mod:`gitnews.config`, :mod:`gitnews.sources`,
:mod:`gitnews.pagetext` and :mod:`gitnews.archive` (the packages before it), never
:mod:`gitnews.output`, :mod:`gitnews.ops` or :mod:`gitnews.cli`.  GitPython is imported
only for type checking (``if TYPE_CHECKING``) or inside the functions that call it.
"""
