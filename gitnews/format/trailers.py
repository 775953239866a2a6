"""Format and parse the git trailers of version commits (pure).

A version commit's message is::

    <subject: "New: <headline>" or "Changed: <headline>", at most 72 characters>

    <optional one-line summary>

    Article-Url: https://...
    Version: 2
    Fetched-At: 2016-09-29T17:14:00Z
    ...

The trailer block is the message's last paragraph, one ``Key: value`` line
per trailer, as ``git interpret-trailers --parse`` reads it (git-interpret-
trailers(1)).  Values are cleaned so that no headline, byline or URL can break
that: line breaks, control and format characters become spaces, white space
is collapsed, and values longer than :data:`MAX_VALUE_CHARS` are shortened
with an ellipsis.  A line can never start with ``---`` or white space (which
git would read as a patch divider or a continuation), because every line of
the block starts with its key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

__all__ = [
    "ARTICLE_URL", "VERSION", "FETCHED_AT", "HTTP_STATUS", "EXTRACTOR", "FETCHED_URL", "FEED",
    "PUBLISHED_AT", "BYLINE", "SOCIAL_TITLE", "SEO_TITLE", "CAPTURED_AT", "SOURCE_ARCHIVE",
    "PAGE_SHA256", "CHANGE_KIND", "REVERTS_TO", "SOURCE_TITLE", "FRONT_URL", "STORIES",
    "KIND_HEADLINE", "KIND_BYLINE", "KIND_BODY",
    "KIND_REVERT", "KIND_EXTRACTION", "KIND_REMOVED", "KIND_RESTORED", "KIND_OUTSIDE_EDIT",
    "CHANGE_KINDS", "SUBJECT_NEW", "SUBJECT_CHANGED",
    "SUBJECT_RESTORED", "SUBJECT_REVERTED", "SUBJECT_REMOVED",
    "CAPTURE", "TRAILER_KEYS", "MAX_SUBJECT_CHARS", "MAX_VALUE_CHARS",
    "clean_value", "format_subject", "format_message", "parse_trailers", "format_time",
    "parse_time",
    "CORRECTION", "UNANNOUNCED", "SIGNIFICANCE", "KIND_CORRECTION", "SIGNIFICANCE_LEVELS",
]

# The trailer keys (docs/archive-format.md, "Trailers"): every module names them by these
# constants, never by the literal.
ARTICLE_URL = "Article-Url"
VERSION = "Version"
FETCHED_AT = "Fetched-At"
HTTP_STATUS = "Http-Status"
EXTRACTOR = "Extractor"
FETCHED_URL = "Fetched-Url"
FEED = "Feed"
PUBLISHED_AT = "Published-At"
BYLINE = "Byline"
SOCIAL_TITLE = "Social-Title"
SEO_TITLE = "Seo-Title"
CAPTURED_AT = "Captured-At"
SOURCE_ARCHIVE = "Source-Archive"
PAGE_SHA256 = "Page-Sha256"
#: The git blob id of the version's capture (a WARC file on the branch
#: ``gitnews/captures``: :mod:`gitnews.archive.captures`).
CAPTURE = "Capture"
CHANGE_KIND = "Change-Kind"
REVERTS_TO = "Reverts-To"
#: The headline a news sitemap (``news:title``) or a front page gave an article when
#: gitnews first found it there: on the article's first version only.
SOURCE_TITLE = "Source-Title"
#: A front's commit (docs/archive-format.md, "Front pages"): the front's URL as
#: tracked, and how many stories its list holds.
FRONT_URL = "Front-Url"
STORIES = "Stories"
CORRECTION = "Correction"
UNANNOUNCED = "Unannounced"
SIGNIFICANCE = "Significance"

#: The trailer keys gitnews writes, in the order it writes them.
TRAILER_KEYS = (
    ARTICLE_URL, VERSION, FETCHED_AT, HTTP_STATUS, EXTRACTOR,
    FETCHED_URL, FEED, PUBLISHED_AT, BYLINE, SOCIAL_TITLE, SEO_TITLE,
    CAPTURED_AT, SOURCE_ARCHIVE, PAGE_SHA256, CAPTURE, CHANGE_KIND, REVERTS_TO,
    CORRECTION, UNANNOUNCED, SIGNIFICANCE,
)

# The values of Change-Kind (comma-separated in one trailer).
KIND_HEADLINE = "headline"
KIND_BYLINE = "byline"
KIND_BODY = "body"
KIND_REVERT = "revert"
KIND_EXTRACTION = "extraction"
KIND_REMOVED = "removed"
KIND_RESTORED = "restored"
KIND_OUTSIDE_EDIT = "outside-edit"
KIND_CORRECTION = "correction"
#: The values of Change-Kind, in the order they are written.
CHANGE_KINDS = (KIND_HEADLINE, KIND_BYLINE, KIND_BODY, KIND_REVERT, KIND_EXTRACTION,
                KIND_REMOVED, KIND_RESTORED, KIND_OUTSIDE_EDIT, KIND_CORRECTION)
#: The levels of the ``Significance`` trailer, lowest first (gitnews.versions.significance).
SIGNIFICANCE_LEVELS = ("minor", "moderate", "major")

# The subject prefixes of version commits: "<prefix>: <headline>".
SUBJECT_NEW = "New"
SUBJECT_CHANGED = "Changed"
SUBJECT_RESTORED = "Restored"
SUBJECT_REVERTED = "Reverted"
SUBJECT_REMOVED = "Removed"
MAX_SUBJECT_CHARS = 72
MAX_VALUE_CHARS = 1000

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_TRAILER_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_WS = re.compile(r"\s+")


def clean_value(value: object, *, max_chars: int = MAX_VALUE_CHARS) -> str:
    """Make ``value`` a safe one-line trailer value or subject fragment."""
    text = str(value)
    # str.isprintable() is False exactly when a character is in C* or Z* other than the
    # ASCII space: when True, the mapping below would change nothing (fast path).
    if not text.isprintable():
        text = "".join(
            " " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Zs", "Cs") else c
            for c in text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "  " in text or not text.isprintable():
        text = _WS.sub(" ", text)
    text = text.strip()
    if len(text) > max_chars:
        text = text[: max_chars - 1].rstrip() + "…"
    return text


def format_time(dt: datetime) -> str:
    """RFC 3339 UTC with second precision and ``Z``: ``2016-09-29T17:14:00Z``."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    """The inverse of :func:`format_time`: an RFC 3339 string (``Z`` or an offset;
    no offset means UTC) as an aware datetime, or None for None/empty."""
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def format_subject(prefix: str, headline: str) -> str:
    """``"<prefix>: <headline>"`` cleaned and cut to :data:`MAX_SUBJECT_CHARS`."""
    subject = clean_value(f"{prefix}: {clean_value(headline)}", max_chars=MAX_SUBJECT_CHARS)
    return subject


def format_message(subject: str, trailers: Iterable[tuple[str, object]] | Mapping[str, object],
                   *, summary: str | None = None) -> str:
    """Build a commit message: subject, optional summary paragraph, trailer block.

    ``trailers`` are ``(key, value)`` pairs (or a mapping); pairs whose value is
    None or empty are left out.  Keys must match ``[A-Za-z0-9][A-Za-z0-9-]*``
    (ValueError otherwise).  Returns the message ending in one newline.
    """
    items = trailers.items() if isinstance(trailers, Mapping) else trailers
    lines = []
    for key, value in items:
        if not _KEY.match(key):
            raise ValueError(f"invalid trailer key {key!r}")
        if value is None:
            continue
        text = clean_value(value)
        if text:
            lines.append(f"{key}: {text}")
    parts = [clean_value(subject, max_chars=MAX_SUBJECT_CHARS) or "Version"]
    if summary:
        parts.append(clean_value(summary))
    parts.append("\n".join(lines))
    return "\n\n".join(p for p in parts if p) + "\n"


def parse_trailers(message: str) -> list[tuple[str, str]]:
    """Return the ``(key, value)`` pairs of ``message``'s trailer block, in order.

    Reads the last paragraph when every line of it is a ``Key: value`` line
    (continuation lines that start with white space are joined), as git does
    for messages without configured trailers.  Returns [] when there is none.
    """
    text = message.replace("\r\n", "\n").rstrip("\n")
    for i, line in enumerate(text.split("\n")):
        if line.startswith("---") and (len(line) == 3 or line[3].isspace()):
            text = "\n".join(text.split("\n")[:i]).rstrip("\n")
            break
    paragraphs = re.split(r"\n[ \t]*\n", text)
    if len(paragraphs) < 2:
        return []
    pairs: list[tuple[str, str]] = []
    for line in paragraphs[-1].split("\n"):
        if line[:1] in (" ", "\t") and pairs:
            key, value = pairs[-1]
            pairs[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        m = _TRAILER_LINE.match(line)
        if not m:
            return []
        pairs.append((m.group(1), m.group(2).strip()))
    return pairs
