"""The commit messages of versions and removals (pure): the one place that builds them.

A version commit's message is ``<prefix>: <headline>`` as the subject
(:func:`~gitnews.format.trailers.format_subject`), an optional summary
paragraph, and the trailer block, with the trailers in the order of
:data:`~gitnews.format.trailers.TRAILER_KEYS` (docs/archive-format.md, "The
commits").  :func:`version_trailers` and :func:`removal_trailers` put the
trailers together, :func:`version_message` and :func:`removal_message` build
the whole text; :func:`~gitnews.format.trailers.parse_trailers` reads the
trailers back.  Which prefix, which ``Change-Kind`` values and which summary a
commit gets is decided by :mod:`gitnews.versions`; this module only writes it.

Imports only the rest of :mod:`gitnews.format`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gitnews.format.normalise import normalise_line
from gitnews.format.trailers import (
    ARTICLE_URL,
    BYLINE,
    CAPTURE,
    CHANGE_KIND,
    CORRECTION,
    EXTRACTOR,
    FEED,
    FETCHED_AT,
    FETCHED_URL,
    HTTP_STATUS,
    PAGE_SHA256,
    PUBLISHED_AT,
    REVERTS_TO,
    SEO_TITLE,
    SIGNIFICANCE,
    SOCIAL_TITLE,
    SUBJECT_REMOVED,
    UNANNOUNCED,
    VERSION,
    clean_value,
    format_message,
    format_subject,
    format_time,
)
from gitnews.format.urls import url_key

__all__ = ["Trailers", "version_message", "version_trailers", "removal_message",
           "removal_trailers", "change_kind_value", "fetched_url", "other_title"]

#: ``(key, value)`` pairs in the order they are written; a None or empty value
#: is left out of the message (:func:`~gitnews.format.trailers.format_message`).
Trailers = list[tuple[str, object]]


def version_message(prefix: str, headline: str, trailers: Sequence[tuple[str, object]], *,
                    summary: str | None = None) -> str:
    """A version's commit message: ``<prefix>: <headline>`` as the subject (cut to
    :data:`~gitnews.format.trailers.MAX_SUBJECT_CHARS` characters), the trailers, and,
    when the subject had to be cut, the uncut subject as the body's first
    paragraph, so that the full headline is always in the message
    (docs/archive-format.md, "The commits")."""
    subject = format_subject(prefix, headline)
    message = format_message(subject, trailers, summary=summary)
    full = clean_value(f"{prefix}: {clean_value(headline, max_chars=len(headline) + 1)}",
                       max_chars=len(prefix) + len(headline) + 3)
    if full == subject:
        return message
    rest = message[len(subject):].lstrip("\n")
    return f"{subject}\n\n{full}\n\n{rest}" if rest else f"{subject}\n\n{full}\n"


def _key(url: str) -> str:
    try:
        return url_key(url)
    except Exception:
        return url


def fetched_url(fetched: str, article: str) -> str | None:
    """The ``Fetched-Url`` value: ``fetched`` (the URL asked for) when it names
    another page than ``article`` (its ``Article-Url``), else None (left out)."""
    return fetched if _key(fetched) != _key(article) else None


def other_title(title: str | None, headline: str) -> str | None:
    """A social or SEO title for its trailer: None when it is line 1 itself.
    (Extraction already leaves out titles whose words are the headline's.)"""
    if not title or normalise_line(title) == headline:
        return None
    return title


def change_kind_value(kinds: Sequence[str]) -> str | None:
    """The ``Change-Kind`` value: the kinds comma-separated, None when there are none."""
    return ", ".join(kinds) if kinds else None


def version_trailers(*, url: str, version: int, fetched_at: datetime, headline: str,
                     requested: str | None = None, status: object = None,
                     extractor: object = None, feed: object = None,
                     published_at: object = None, byline: object = None,
                     social_title: str | None = None, seo_title: str | None = None,
                     extra: Sequence[tuple[str, object]] = (), page_sha: object = None,
                     kinds: Sequence[str] = (), reverts_to: int | None = None,
                     correction: str | None = None, unannounced: str | None = None,
                     significance: str | None = None, capture: str | None = None) -> Trailers:
    """The trailers of a version commit, in the order of the format.

    ``url``: the ``Article-Url``; ``requested``: the URL asked for (``Fetched-Url``
    only when it names another page; None: the article URL); ``headline``: line 1
    of the text (a social or SEO title equal to it is left out); ``extra``: more
    pairs (an import's ``Captured-At``, ``Source-Archive``), written before
    ``Page-Sha256``; ``kinds``: the ``Change-Kind`` values (none for a first
    version); ``reverts_to``: the version a revert returns to; ``correction``,
    ``unannounced``, ``significance``: the values of those trailers
    (:mod:`gitnews.versions.significance`), written last.
    """
    requested = requested or url
    return [
        (ARTICLE_URL, url),
        (VERSION, version),
        (FETCHED_AT, format_time(fetched_at)),
        (HTTP_STATUS, status),
        (EXTRACTOR, extractor),
        (FETCHED_URL, fetched_url(requested, url)),
        (FEED, feed),
        (PUBLISHED_AT, published_at),
        (BYLINE, byline),
        (SOCIAL_TITLE, other_title(social_title, headline)),
        (SEO_TITLE, other_title(seo_title, headline)),
        *extra,
        (PAGE_SHA256, page_sha),
        (CAPTURE, capture),
        (CHANGE_KIND, change_kind_value(kinds)),
        (REVERTS_TO, reverts_to),
        (CORRECTION, correction),
        (UNANNOUNCED, unannounced),
        (SIGNIFICANCE, significance),
    ]


def removal_trailers(*, url: str, version: int, fetched_at: datetime, status: int | None,
                     requested: str, kinds: str, significance: str | None = None,
                     capture: str | None = None) -> Trailers:
    """The trailers of a removal commit: ``url`` the article's URL, ``requested`` the
    URL found gone (``Fetched-Url`` when it names another page), ``kinds`` the
    ``Change-Kind`` value, ``significance`` the ``Significance`` value, ``capture`` the
    blob id of the answer's capture (or None)."""
    return [(ARTICLE_URL, url), (VERSION, version),
            (FETCHED_AT, format_time(fetched_at)), (HTTP_STATUS, status),
            (FETCHED_URL, fetched_url(requested, url)),
            (CAPTURE, capture), (CHANGE_KIND, kinds), (SIGNIFICANCE, significance)]


def removal_message(*, headline: str, url: str, version: int, fetched_at: datetime,
                    status: int | None, requested: str, kinds: str, detail: str,
                    significance: str | None = None, capture: str | None = None) -> str:
    """A removal's commit message: ``Removed: <headline>`` (the last text's line 1,
    or the URL when there is none), the summary ``The article is gone: <detail>.``
    and :func:`removal_trailers`."""
    return version_message(
        SUBJECT_REMOVED, headline or url,
        removal_trailers(url=url, version=version, fetched_at=fetched_at, status=status,
                         requested=requested, kinds=kinds, significance=significance,
                         capture=capture),
        summary=f"The article is gone: {detail}.")
