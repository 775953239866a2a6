"""``gitnews verify``: ``git fsck`` for the evidence an archive keeps.

For every version of every article (or of the articles asked for), :func:`verify`
checks, reading only (it never writes):

* **the capture**: the version's ``Capture`` trailer names a blob git has (on the
  branch ``gitnews/captures``), which is a WARC file warcio reads, holding a
  response whose payload's SHA-256 is the version's ``Page-Sha256`` and whose
  ``WARC-Payload-Digest`` says the same (:func:`gitnews.archive.captures.digest_hex`);
* **the text**: when the version's ``Extractor`` trailer names the extractor
  installed (:data:`gitnews.pagetext.extract.EXTRACTOR`), extracting the capture
  again, with the ``gitnews.toml`` the archive had at that version's commit (its
  ``[filters]`` and ``[sites]``), gives the stored text byte for byte; otherwise it
  notes "extracted by X, installed Y" instead;
* **the branch**: ``gitnews/captures`` exists when versions name captures.

Problems (the archive does not hold what it says) make ``ok`` False; *notes* are
listed but do not: a version without a ``Capture`` trailer (recorded before
captures were kept), another extractor, an outside edit (a commit made without
gitnews, docs/archive-format.md "Edits made outside gitnews").  Captures are read
as the worker pool extracts the ones before (memory flat), as :mod:`gitnews.ops.reextract`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from gitnews.archive.captures import CAPTURES_BRANCH, capture_view, captures_tip, digest_hex
from gitnews.archive.history import file_history
from gitnews.archive.objects import BlobReader
from gitnews.archive.repo import Archive
from gitnews.config import CONFIG_NAME, parse_config
from gitnews.errors import ConfigError, ExtractionError
from gitnews.format.trailers import CAPTURE, EXTRACTOR, FETCHED_URL, PAGE_SHA256
from gitnews.models import Version
from gitnews.ops.reextract import extract_in_order
from gitnews.pagetext.pipeline import PageText, TextSettings
from gitnews.pagetext.pool import ExtractionPool, processes_for

__all__ = ["Finding", "VerifyReport", "verify", "PROBLEM_KINDS", "NOTE_KINDS"]

#: Kinds of :class:`Finding` that are problems (``verify`` exits 1).
PROBLEM_KINDS = ("captures-branch", "missing-capture", "damaged-capture", "digest", "text",
                 "extraction-failed")
#: Kinds of :class:`Finding` that are notes (listed, exit status unchanged).
NOTE_KINDS = ("no-capture", "extractor", "outside-edit")


@dataclass(frozen=True)
class Finding:
    """One thing :func:`verify` found.

    ``path``: the article file ("" for the archive as a whole); ``version``: the
    version number (None: not about one version; for an outside edit, the version it
    follows); ``kind``: one of :data:`PROBLEM_KINDS` or :data:`NOTE_KINDS`;
    ``message``: one line saying what and what to do; ``commit``: the commit (full id)
    the finding is about, or None.
    """

    path: str
    version: int | None
    kind: str
    message: str
    commit: str | None = None

    @property
    def problem(self) -> bool:
        """True for a problem, False for a note."""
        return self.kind in PROBLEM_KINDS


@dataclass
class VerifyReport:
    """What :func:`verify` checked and found.

    ``articles``/``versions``: how many were checked; ``captures``: captures read
    and whose digests were compared; ``reproduced``: versions whose text extraction
    gave again byte for byte; ``findings``: problems and notes, in article order.
    """

    articles: int = 0
    versions: int = 0
    captures: int = 0
    reproduced: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        """The findings that are problems."""
        return [f for f in self.findings if f.problem]

    @property
    def ok(self) -> bool:
        """True when every version holds (notes allowed)."""
        return not self.problems


@dataclass(frozen=True)
class _Job:
    path: str
    version: Version
    payload: bytes
    url: str
    settings_key: str


class _Settings:
    """The ``[filters]``/``[sites]`` settings at each version's commit, read once per
    distinct ``gitnews.toml`` (the archive's current ones when that file is unreadable)."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.current = TextSettings.from_config(archive.config)
        self.by_text: dict[str, TextSettings] = {}

    def key_for(self, commit: str, reader: BlobReader) -> str:
        found = reader.lookup([f"{commit}:{CONFIG_NAME}"]).get(f"{commit}:{CONFIG_NAME}")
        data = found[1] if found else None
        key = (data or b"").decode("utf-8", "replace")
        if key not in self.by_text:
            try:
                self.by_text[key] = (TextSettings.from_config(parse_config(key)) if data
                                     else self.current)
            except ConfigError:
                self.by_text[key] = self.current
        return key


def verify(archive: Archive, *, articles: Sequence[str] | None = None) -> VerifyReport:
    """Check the captures and texts of ``archive``'s versions (module docstring).

    ``articles``: the article files (paths on main) to check, None for every
    article of the cache (removed ones included).  Returns the
    :class:`VerifyReport`; raises nothing for a bad capture or text (they are
    findings), :class:`~gitnews.errors.ConfigError` for an invalid ``gitnews.toml``
    at HEAD.
    """
    from gitnews.pagetext.extract import EXTRACTOR as INSTALLED

    report = VerifyReport()
    paths = list(dict.fromkeys(articles)) if articles is not None \
        else [r.path for r in archive.state.articles()]
    settings = _Settings(archive)
    named = [False]
    processes = processes_for(len(paths))
    pool = ExtractionPool(processes, die_with_parent=True) if processes > 0 else None
    try:
        with BlobReader(archive.repo) as reader, BlobReader(archive.repo) as texts:
            jobs = _capture_checks(archive, paths, report, settings, reader, named, INSTALLED)
            items = ((job, job.payload, job.url, settings.by_text[job.settings_key])
                     for job in jobs)
            for job, got in extract_in_order(items, pool):
                _check_text(job, got, texts, report)
    finally:
        if pool is not None:
            pool.close()
    named_captures = named[0]
    order = {path: i for i, path in enumerate(paths)}
    report.findings.sort(key=lambda f: (order.get(f.path, -1), f.version or 0))
    if named_captures and captures_tip(archive) is None:
        report.findings.insert(0, Finding(
            "", None, "captures-branch",
            f"versions name captures but the branch {CAPTURES_BRANCH} is missing or damaged: "
            f"fetch it from a full clone (`git fetch origin {CAPTURES_BRANCH}:{CAPTURES_BRANCH}`)"))
    return report


def _capture_checks(archive: Archive, paths: Sequence[str], report: VerifyReport,
                    settings: _Settings, reader: BlobReader, named: list[bool],
                    installed: str) -> Iterator[_Job]:
    """Check each version's capture (findings into ``report``); yield the text checks to run."""
    for path in paths:
        found, outside = file_history(archive.repo, path)
        report.articles += 1
        for edit in outside:
            what = "deleted the file" if edit.removed else "edited the file"
            report.findings.append(Finding(
                path, edit.after, "outside-edit",
                f"commit {edit.commit[:12]} ({edit.subject}) {what} outside gitnews after "
                f"version {edit.after}", edit.commit))
        for version in found:
            report.versions += 1
            named[0] |= bool(version.trailers.get(CAPTURE))
            job = _check_capture(path, version, report, settings, reader, installed)
            if job is not None:
                yield job


def _check_capture(path: str, version: Version, report: VerifyReport, settings: _Settings,
                   reader: BlobReader, installed: str) -> _Job | None:
    """The capture checks of one version; the text check to run, or None."""
    blob = (version.trailers.get(CAPTURE) or "").strip()
    where = f"version {version.number}"
    if not blob:
        report.findings.append(Finding(path, version.number, "no-capture",
                                       f"{where} has no capture (recorded before gitnews kept "
                                       "captures, or with [captures] keep = \"none\")",
                                       version.commit))
        return None
    found = reader.lookup([blob]).get(blob)
    if found is None:
        report.findings.append(Finding(path, version.number, "missing-capture",
                                       f"{where}: its capture {blob} is not in the repository; "
                                       f"fetch the branch {CAPTURES_BRANCH} from a full clone",
                                       version.commit))
        return None
    try:
        view = capture_view(found[1])
    except ValueError as exc:
        report.findings.append(Finding(path, version.number, "damaged-capture",
                                       f"{where}: its capture {blob} is damaged ({exc}); "
                                       "the text on main is unaffected", version.commit))
        return None
    report.captures += 1
    want = (version.trailers.get(PAGE_SHA256) or "").strip().lower()
    got = view.payload_sha256
    recorded = digest_hex(view.payload_digest) if view.payload_digest else None
    if recorded is not None and recorded != got:
        report.findings.append(Finding(path, version.number, "digest",
                                       f"{where}: the capture's WARC-Payload-Digest does not match "
                                       f"its payload (SHA-256 {got}): the capture is damaged",
                                       version.commit))
        return None
    if want and want != got:
        report.findings.append(Finding(path, version.number, "digest",
                                       f"{where}: Page-Sha256 {want} but the capture's payload is "
                                       f"{got}: the capture is not this version's page",
                                       version.commit))
        return None
    if version.removed:
        return None
    extractor = version.trailers.get(EXTRACTOR) or ""
    if extractor != installed:
        report.findings.append(Finding(path, version.number, "extractor",
                                       f"{where}: extracted by {extractor or 'an unknown extractor'}"
                                       f", installed {installed}: text not re-checked",
                                       version.commit))
        return None
    url = view.url or version.trailers.get(FETCHED_URL) or version.article_url or ""
    return _Job(path, version, view.payload, url, settings.key_for(version.commit, reader))


def _check_text(job: _Job, got: PageText | ExtractionError, texts: BlobReader,
                report: VerifyReport) -> None:
    """Compare a version's stored text with its capture extracted again."""
    where = f"version {job.version.number}"
    if isinstance(got, ExtractionError):
        report.findings.append(Finding(job.path, job.version.number, "extraction-failed",
                                       f"{where}: extracting its capture again failed: {got}",
                                       job.version.commit))
        return
    blob = job.version.blob or ""
    stored = texts.lookup([blob]).get(blob) if blob else None
    if stored is not None and got.text.encode("utf-8") == stored[1]:
        report.reproduced += 1
        return
    report.findings.append(Finding(
        job.path, job.version.number, "text",
        f"{where}: extracting its capture again does not give the stored text "
        "(`gitnews reextract` commits today's text as an extraction version)",
        job.version.commit))
