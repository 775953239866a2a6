"""CI set-up written into an archive: the GitHub Actions workflow.

``gitnews init --github-actions`` commits :data:`GITHUB_WORKFLOW_PATH`, a
workflow that runs gitnews on a schedule in the archive's own GitHub
repository, pushes the new versions back and publishes the site on GitHub
Pages.  What each part is for is said in comments inside the file, for the
user who reads or edits it there.  (GitLab CI is shown in the README.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gitnews._version import __version__
from gitnews.archive.objects import file_at
from gitnews.archive.repo import Archive
from gitnews.errors import ArchiveError

__all__ = ["GITHUB_WORKFLOW_PATH", "DEFAULT_CRON", "github_workflow", "add_github_workflow",
           "WorkflowResult"]

GITHUB_WORKFLOW_PATH = ".github/workflows/gitnews.yml"

#: Twice an hour, at odd minutes: GitHub's scheduler is busiest at the top of the
#: hour, when scheduled runs are delayed or dropped (GitHub Actions docs, "schedule").
DEFAULT_CRON = "17,47 * * * *"

_WORKFLOW = """\
# gitnews: check the archive's feeds on a schedule, commit every new version of
# an article, push the commits back to this repository, and publish the site of
# changes on GitHub Pages.  Written by `gitnews init --github-actions`; edit freely.
#
# Before the first run: Settings -> Pages -> Build and deployment -> Source:
# "GitHub Actions" (or delete the three site steps and the `deploy` job below).
# The commits are made as the author set in gitnews.toml ([archive] author_name,
# author_email); no git identity is needed here.
name: gitnews

on:
  schedule:
    # Minute, hour, day, month, weekday (UTC).  Odd minutes: at the top of the
    # hour GitHub's scheduler is busiest and may delay or drop runs.
    - cron: "{cron}"
  workflow_dispatch: {{}}   # and a "Run workflow" button

# One run at a time: a run that starts while another is still going waits for
# it (never two writers on the archive, never a cancelled half-run).
concurrency:
  group: gitnews
  cancel-in-progress: false

permissions:
  contents: write   # push the new versions
  pages: write      # publish the site
  id-token: write   # deploy-pages proves to Pages where the site comes from

env:
  # What pip installs: pin a version (or a git URL) so every run is the same.
  GITNEWS_PIP: "{pip_spec}"

jobs:
  track:
    runs-on: ubuntu-latest
    timeout-minutes: 50
    steps:
      - name: Check out the whole archive
        uses: actions/checkout@v4
        with:
          fetch-depth: 0   # the whole history: versions are counted over it

      - uses: actions/setup-python@v5
        with:
          python-version: "{python_version}"

      - name: Install gitnews
        run: python -m pip install "$GITNEWS_PIP"

      # gitnews's cache (ETags, check times; rebuilt from git when missing).
      - name: Restore gitnews's cache
        uses: actions/cache@v4
        with:
          path: .git/gitnews
          key: gitnews-state-${{{{ github.run_id }}}}
          restore-keys: gitnews-state-

      - name: Check the feeds, commit and push the new versions
        # Exit status 1 means some articles failed (each is listed in the log):
        # the run completed and its versions are committed.  2 is a real error.
        run: gitnews run --archive . --push || [ $? -eq 1 ]

      - name: Make sure the archive is pushed
        # A push that failed above is tried once more; if it fails again, this
        # step fails and says why (the commits wait for the next run).
        run: gitnews push --archive .

      - name: Build the site
        run: gitnews site --archive . _site

      - uses: actions/configure-pages@v5

      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site

  deploy:
    needs: track
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def github_workflow(*, cron: str = DEFAULT_CRON, pip_spec: str | None = None,
                    python_version: str = "3.12") -> str:
    """The text of the GitHub Actions workflow (YAML).

    ``cron`` is a five-field POSIX cron expression in UTC; ``pip_spec`` what
    ``pip install`` gets (default: this version of gitnews, ``gitnews==X.Y.Z``);
    ``python_version`` the Python that actions/setup-python installs.
    Raises ValueError for a value that would break the YAML.
    """
    pip_spec = f"gitnews=={__version__}" if pip_spec is None else pip_spec
    for name, value in (("cron", cron), ("pip_spec", pip_spec),
                        ("python_version", python_version)):
        if not value or any(c in value for c in '"\\\n\r') or value != value.strip():
            raise ValueError(f"{name} {value!r} cannot go into the workflow as it is")
    if len(cron.split()) != 5:
        raise ValueError(f"cron {cron!r} must have five fields (minute hour day month weekday)")
    return _WORKFLOW.format(cron=cron, pip_spec=pip_spec, python_version=python_version)


@dataclass
class WorkflowResult:
    """What :func:`add_github_workflow` did: ``action`` is "added", "replaced",
    "restored" (an uncommitted edit undone, nothing committed) or "unchanged";
    ``commit`` the new commit id (None when nothing was committed)."""

    path: str
    action: str
    commit: str | None = None


def add_github_workflow(archive: Archive, *, force: bool = False, cron: str = DEFAULT_CRON,
                        pip_spec: str | None = None, now: datetime | None = None) -> WorkflowResult:
    """Commit :data:`GITHUB_WORKFLOW_PATH` into ``archive`` (one commit).

    Nothing is committed when the archive already has this very file.  A file
    in the working tree that differs from it (the user's own, or an edited
    copy) is replaced only with ``force``, else
    :class:`~gitnews.errors.ArchiveError`, so that no edit is lost unasked.
    """
    text = github_workflow(cron=cron, pip_spec=pip_spec)
    target = archive.path / GITHUB_WORKFLOW_PATH
    committed = file_at(archive.repo, "HEAD", GITHUB_WORKFLOW_PATH)
    current = target.read_bytes() if target.exists() else None
    if current is not None and current != text.encode() and not force:
        raise ArchiveError(f"{target} exists and differs from the workflow gitnews writes; "
                           "keep yours, or replace it with `gitnews init --github-actions "
                           "--force`")
    if committed == text.encode():
        if current is not None and current != committed:  # an uncommitted edit, and force
            target.write_bytes(committed)
            return WorkflowResult(GITHUB_WORKFLOW_PATH, "restored")
        return WorkflowResult(GITHUB_WORKFLOW_PATH, "unchanged")
    # The store updates the working tree from the old commit to the new one, which git
    # refuses over an untracked or edited copy (`force` said to replace it), not over a
    # missing file.
    if current is not None:
        target.unlink()
    with archive.transaction() as tx:
        tx.commit({GITHUB_WORKFLOW_PATH: text},
                  message=("Add" if committed is None else "Replace")
                  + " the GitHub Actions workflow of gitnews\n",
                  when=now or datetime.now(UTC))
    return WorkflowResult(GITHUB_WORKFLOW_PATH, "added" if committed is None else "replaced",
                          tx.commits[-1])
