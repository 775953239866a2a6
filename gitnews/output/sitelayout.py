"""Where each file of the static site lives, and the links between them (pure).

Every location is a site-relative POSIX path (``articles/…/index.html``);
:func:`href` turns two of them into the relative, percent-encoded link from
one page to the other, so that the site works from a folder, a ``file://``
URL and a sub-path of a web server (GitHub/GitLab Pages) alike.  Links to a
folder's page always name ``index.html`` (a ``file://`` URL shows no index
by itself).

Layout::

    index.html                       latest changes, most-edited articles, hosts
    feed.atom                        the site-wide feed of changes
    style.css
    hosts/<host>.html                one page per host (source)
    hosts/<host>.atom                its feed
    articles/<archive path>/index.html   one page per article (<archive path> ends in .txt)
    articles/<archive path>/feed.atom    its feed
    articles/<archive path>/<A>-<B>.html the diff of version A against version B
    changes/index.html               every day with changes, newest first
    changes/<YYYY-MM-DD>.html        the changes of one UTC day, newest first
    stats.html                       statistics, with SVG charts
    pagefind/                        the search index (written by Pagefind, not gitnews)
    .gitnews-site.json               what each file was made from (incremental runs)

The article folder is named after the article's file in the archive
(:mod:`gitnews.format.paths`), ``.txt`` included: an archive file is never also a
folder of the archive (git cannot hold both), so no article's folder can be a
folder of another article, nor collide with the fixed names inside it.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["INDEX", "FEED", "STYLE", "MANIFEST", "NOJEKYLL", "article_dir", "article_page",
           "article_feed", "diff_page", "host_page", "host_feed", "href", "absolute_url",
           "root_prefix", "CHANGES_INDEX", "STATS", "SEARCH_DIR", "day_page"]

INDEX = "index.html"
FEED = "feed.atom"
STYLE = "style.css"
MANIFEST = ".gitnews-site.json"
#: Every day with changes, and the site's statistics page.
CHANGES_INDEX = "changes/index.html"
STATS = "stats.html"
#: The folder Pagefind writes the search index and its UI into (``--output-subdir``).
SEARCH_DIR = "pagefind"
#: An empty file that tells GitHub Pages to publish the files as they are (no Jekyll).
NOJEKYLL = ".nojekyll"


def article_dir(path: str) -> str:
    """The article's folder: ``articles/<archive path>`` (``path`` ends in ``.txt``)."""
    return f"articles/{path}"


def article_page(path: str) -> str:
    """The article's page (its versions)."""
    return f"{article_dir(path)}/index.html"


def article_feed(path: str) -> str:
    """The article's Atom feed of changes."""
    return f"{article_dir(path)}/feed.atom"


def diff_page(path: str, a: int, b: int) -> str:
    """The page of the diff of version ``a`` against version ``b`` of the article."""
    return f"{article_dir(path)}/{a}-{b}.html"


def day_page(day: str) -> str:
    """The page of the changes of one UTC day (``day``: ``YYYY-MM-DD``)."""
    return f"changes/{day}.html"


def host_page(host: str) -> str:
    """The page of one host (the first folder of the archive paths)."""
    return f"hosts/{host}.html"


def host_feed(host: str) -> str:
    """The Atom feed of one host's changes."""
    return f"hosts/{host}.atom"


def root_prefix(page: str) -> str:
    """The relative link from ``page`` to the site's top folder: ``""``, ``"../"``, ..."""
    return "../" * page.count("/")


def href(from_page: str, to_page: str) -> str:
    """The relative link from ``from_page`` to ``to_page`` (both site-relative).

    Every character but ``/`` and the unreserved ones is percent-encoded
    (UTF-8, RFC 3986), so that ``#``, ``?``, ``%``, ``:`` and spaces in
    archive paths stay part of the path.
    """
    src = from_page.split("/")[:-1]
    dst = to_page.split("/")
    common = 0
    while common < len(src) and common < len(dst) - 1 and src[common] == dst[common]:
        common += 1
    rel = "../" * (len(src) - common) + "/".join(dst[common:])
    return quote(rel, safe="/")


def absolute_url(site_url: str, page: str) -> str:
    """``page`` under the site's public base URL (``https://me.github.io/news``)."""
    return site_url.rstrip("/") + "/" + quote(page, safe="/")
