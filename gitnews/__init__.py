"""gitnews: track how news articles change, with every version a git commit.

The core is a library; the ``gitnews`` command (:mod:`gitnews.cli`) is a thin
layer over it.  Pipeline stages, one module each: :mod:`~gitnews.sources.feeds` →
:mod:`~gitnews.sources.http` → :mod:`~gitnews.pagetext.extract` → :mod:`~gitnews.format.normalise` →
:mod:`~gitnews.archive.store` → :mod:`~gitnews.archive.history`; :mod:`~gitnews.ops.run` runs
one pass.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
