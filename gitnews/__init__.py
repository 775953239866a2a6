"""gitnews: track how news articles change, with every version a git commit.

The core is a library; the ``gitnews`` command (:mod:`gitnews.cli`) is a thin
layer over it.  Pipeline stages, one module each: :mod:`~gitnews.feeds` →
:mod:`~gitnews.fetch` → :mod:`~gitnews.extract` → :mod:`~gitnews.normalise` →
:mod:`~gitnews.store` → :mod:`~gitnews.history`; :mod:`~gitnews.poll` runs
one pass.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
