"""A collection: a folder of ordinary gitnews archives, one per site, run one after another.

* :mod:`~gitnews.collection.manifest`: the folder's manifest ``gitnews-collection.toml``
  (which archives, where, their git remotes), and which site a URL belongs to;
* :mod:`~gitnews.collection.core`: ``add`` routed to the site's archive, the hand-over of
  other sites' feed entries, running the due archives, and :func:`~.core.fan_out` (a read
  over every archive, each result labelled with its archive).

The workers that run a collection's archives in parallel (Celery over Redis) are in
:mod:`gitnews.fleet`, above this package.  docs/scaling.md describes both.

What it may import: every package below it (:mod:`gitnews.format` ... :mod:`gitnews.ops`), never
:mod:`gitnews.fleet` or :mod:`gitnews.cli`.  Nothing here prints or exits.
"""

from gitnews.collection.manifest import (
    MANIFEST_NAME,
    Manifest,
    Member,
    init_collection,
    is_collection,
    read_manifest,
    site_for_url,
)

__all__ = ["MANIFEST_NAME", "Manifest", "Member", "init_collection", "is_collection",
           "read_manifest", "site_for_url"]
