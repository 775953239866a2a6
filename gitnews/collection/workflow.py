"""The GitHub Actions workflow of a collection: one job per archive, each archive its own
repository, never two jobs on one archive at a time.

The collection folder (its ``gitnews-collection.toml`` and this workflow) is a small
control repository; each archive is pushed to its own repository (``remote_base`` + site +
``.git``, e.g. one GitHub repository per outlet).  The workflow reads the manifest in a
first job and runs a matrix over its archives: each job checks out that archive's
repository, runs gitnews and pushes.  A job-level concurrency group per archive
(``gitnews-<site>``, GitHub Actions' ``concurrency``, "jobs.<job_id>.concurrency") makes
a job wait while another is running the same archive, so two jobs never push the same
repository; the archives run in parallel up to ``max_parallel``.
"""

from __future__ import annotations

from pathlib import Path

from gitnews._version import __version__
from gitnews.collection.manifest import Manifest

__all__ = ["COLLECTION_WORKFLOW_PATH", "collection_workflow", "write_collection_workflow"]

COLLECTION_WORKFLOW_PATH = ".github/workflows/gitnews-collection.yml"

_WORKFLOW = """\
# gitnews: run every archive of this collection on a schedule, each in its own job and
# its own repository (docs/scaling.md).  Written by `gitnews init --collection DIR
# --github-actions`; edit freely.
#
# Each archive is the repository ARCHIVES_OWNER/<site> (the manifest's remote_base).
# Give the workflow a token that may push there: a fine-grained personal access token
# with "Contents: read and write" on those repositories, saved as the secret
# GITNEWS_ARCHIVES_TOKEN.
name: gitnews collection

on:
  schedule:
    - cron: "{cron}"   # odd minutes: GitHub's scheduler is busiest at the top of the hour
  workflow_dispatch: {{}}

env:
  GITNEWS_PIP: "{pip_spec}"
  ARCHIVES_OWNER: "{owner}"

jobs:
  archives:
    # The manifest's archives, as the matrix of the next job.
    runs-on: ubuntu-latest
    outputs:
      sites: ${{{{ steps.list.outputs.sites }}}}
    steps:
      - uses: actions/checkout@v4
      - id: list
        run: |
          python3 - <<'PY' >> "$GITHUB_OUTPUT"
          import json, tomllib
          with open("gitnews-collection.toml", "rb") as f:
              sites = list(tomllib.load(f).get("archives", {{}}))
          print("sites=" + json.dumps(sites))
          PY

  run:
    needs: archives
    if: needs.archives.outputs.sites != '[]'
    runs-on: ubuntu-latest
    timeout-minutes: 50
    strategy:
      fail-fast: false
      max-parallel: {max_parallel}
      matrix:
        site: ${{{{ fromJSON(needs.archives.outputs.sites) }}}}
    # One job per archive at a time: a job for an archive that is still being run waits
    # (never two writers, never two pushes of one repository).
    concurrency:
      group: gitnews-${{{{ matrix.site }}}}
      cancel-in-progress: false
    steps:
      - name: Check out the archive
        uses: actions/checkout@v4
        with:
          repository: ${{{{ env.ARCHIVES_OWNER }}}}/${{{{ matrix.site }}}}
          token: ${{{{ secrets.GITNEWS_ARCHIVES_TOKEN }}}}
          fetch-depth: 0   # the whole history: versions are counted over it
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: python -m pip install "$GITNEWS_PIP"
      - name: Restore gitnews's cache
        uses: actions/cache@v4
        with:
          path: .git/gitnews
          key: gitnews-state-${{{{ matrix.site }}}}-${{{{ github.run_id }}}}
          restore-keys: gitnews-state-${{{{ matrix.site }}}}-
      - name: Check the feeds, commit and push the new versions
        run: gitnews run --archive . --push || [ $? -eq 1 ]
      - name: Make sure the archive is pushed
        run: gitnews push --archive .
"""


def collection_workflow(manifest: Manifest, *, cron: str = "23,53 * * * *",
                        pip_spec: str | None = None, max_parallel: int = 4) -> str:
    """The workflow's text (YAML) for ``manifest``'s collection.  The archives'
    owner is read from ``remote_base`` (``git@github.com:OWNER/`` or
    ``https://github.com/OWNER/``; "OWNER" when there is none).  Raises ValueError for
    values that would break the YAML."""
    import re

    pip_spec = f"gitnews[fleet]=={__version__}" if pip_spec is None else pip_spec
    found = re.search(r"github\.com[:/]([A-Za-z0-9-]+)/?$", manifest.remote_base or "")
    owner = found.group(1) if found else "OWNER"
    for name, value in (("cron", cron), ("pip_spec", pip_spec)):
        if not value or any(c in value for c in '"\\\n\r'):
            raise ValueError(f"{name} {value!r} cannot go into the workflow as it is")
    if len(cron.split()) != 5:
        raise ValueError(f"cron {cron!r} must have five fields (minute hour day month weekday)")
    if max_parallel < 1:
        raise ValueError("max_parallel must be at least 1")
    return _WORKFLOW.format(cron=cron, pip_spec=pip_spec, owner=owner,
                            max_parallel=max_parallel)


def write_collection_workflow(manifest: Manifest) -> Path:
    """Write :data:`COLLECTION_WORKFLOW_PATH` into the collection folder (replacing an
    older copy); returns its path."""
    path = manifest.root / COLLECTION_WORKFLOW_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(collection_workflow(manifest), encoding="utf-8")
    return path
