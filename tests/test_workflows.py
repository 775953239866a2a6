"""``gitnews init --github-actions``: the workflow it commits, read back as YAML."""

from __future__ import annotations

import os
import shlex

import pytest
import yaml  # PyYAML, a test dependency (pyproject.toml [test])
from archive_builders import head, new_archive
from conftest import git, run_gitnews

from gitnews.ops.workflows import GITHUB_WORKFLOW_PATH, github_workflow


def env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


def load(text: str) -> dict:
    data = yaml.safe_load(text)
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True; GitHub reads it as "on".
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(data: dict) -> list[dict]:
    return [s for job in data["jobs"].values() for s in job.get("steps", [])]


def gitnews_commands(data: dict) -> list[list[str]]:
    """Every ``gitnews ...`` command line the workflow runs, as argument lists."""
    out = []
    for step in steps(data):
        for line in step.get("run", "").splitlines():
            for part in line.replace("||", "\n").replace("&&", "\n").splitlines():
                words = shlex.split(part)
                if words[:1] == ["gitnews"]:
                    out.append(words[1:])
    return out


def test_init_github_actions_commits_a_scheduled_workflow(tmp_path):
    archive = tmp_path / "a"
    proc = run_gitnews("init", "--github-actions", "--archive", str(archive), env=env(),
                       check=True)
    assert "Created a gitnews archive" in proc.stdout and "Added " + GITHUB_WORKFLOW_PATH in \
        proc.stdout
    assert git(archive, "status", "--porcelain") == ""
    assert git(archive, "log", "-1", "--format=%s").strip() == \
        "Add the GitHub Actions workflow of gitnews"
    assert git(archive, "show", "--name-only", "--format=", "HEAD").split() == \
        [GITHUB_WORKFLOW_PATH]
    data = load((archive / GITHUB_WORKFLOW_PATH).read_text(encoding="utf-8"))

    # A schedule at odd minutes (never on the hour), and a button.
    (schedule,) = data["on"]["schedule"]
    minute, *rest = schedule["cron"].split()
    assert rest == ["*", "*", "*", "*"]
    assert minute and all(int(m) % 2 == 1 for m in minute.split(","))
    assert "workflow_dispatch" in data["on"]
    # Runs never overlap, and a running one is never cancelled.
    assert data["concurrency"]["group"] and data["concurrency"]["cancel-in-progress"] is False
    assert data["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}

    track, deploy = data["jobs"]["track"], data["jobs"]["deploy"]
    uses = [s.get("uses", "").split("@")[0] for s in steps(data)]
    checkout = next(s for s in track["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # versions are counted over the whole history
    assert "actions/upload-pages-artifact" in uses and "actions/deploy-pages" in uses
    assert deploy["needs"] == "track" and deploy["environment"]["name"] == "github-pages"
    assert any("pip install" in s.get("run", "") for s in track["steps"])
    assert data["env"]["GITNEWS_PIP"].startswith("gitnews==")

    commands = gitnews_commands(data)
    assert [c[0] for c in commands] == ["run", "push", "site"]
    assert "--push" in commands[0] and "_site" in commands[2]
    # Every option the workflow passes is one the command accepts (`--help` after them
    # makes click check the options without running anything).  `site` comes with the
    # site issue; it is checked once it exists.
    known = run_gitnews("--help", env=env(), check=True).stdout
    for words in commands:
        if words[0] in known:
            run_gitnews(*words, "--help", env=env(), check=True)


def test_init_github_actions_on_an_existing_archive_keeps_edits(tmp_path):
    archive = new_archive(tmp_path / "a")
    first = head(archive)
    run_gitnews("init", "--github-actions", "--archive", str(archive), env=env(), check=True)
    assert git(archive, "rev-list", "--count", f"{first}..HEAD").strip() == "1"

    again = run_gitnews("init", "--github-actions", "--archive", str(archive), env=env(),
                        check=True)
    assert "already there and up to date" in again.stdout
    assert git(archive, "rev-list", "--count", f"{first}..HEAD").strip() == "1"

    workflow = archive / GITHUB_WORKFLOW_PATH
    workflow.write_text(workflow.read_text().replace("17,47", "5,35"))
    refused = run_gitnews("init", "--github-actions", "--archive", str(archive), env=env())
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert "5,35" in workflow.read_text()

    forced = run_gitnews("init", "--github-actions", "--force", "--archive", str(archive),
                         env=env(), check=True)
    assert "Restored" in forced.stdout
    assert workflow.read_text() == github_workflow()
    assert git(archive, "status", "--porcelain") == ""

    # A committed edit is kept too, and replaced by a new commit with --force.
    workflow.write_text(workflow.read_text().replace("17,47", "5,35"))
    git(archive, "-c", "user.name=U", "-c", "user.email=u@example.org", "commit", "-qam", "Mine")
    refused = run_gitnews("init", "--github-actions", "--archive", str(archive), env=env())
    assert refused.returncode == 2 and "5,35" in workflow.read_text()
    forced = run_gitnews("init", "--github-actions", "--force", "--archive", str(archive),
                         env=env(), check=True)
    assert "Replaced" in forced.stdout
    assert workflow.read_text() == github_workflow()
    assert git(archive, "status", "--porcelain") == ""
    assert git(archive, "log", "-1", "--format=%s").strip() == \
        "Replace the GitHub Actions workflow of gitnews"


def test_an_untracked_identical_workflow_gets_committed(tmp_path):
    archive = new_archive(tmp_path / "a")
    workflow = archive / GITHUB_WORKFLOW_PATH
    workflow.parent.mkdir(parents=True)
    workflow.write_text(github_workflow())
    run_gitnews("init", "--github-actions", "--archive", str(archive), env=env(), check=True)
    assert git(archive, "status", "--porcelain") == ""
    assert git(archive, "ls-files", GITHUB_WORKFLOW_PATH).strip() == GITHUB_WORKFLOW_PATH


def test_workflow_values_are_checked():
    assert 'cron: "3 */2 * * *"' in github_workflow(cron="3 */2 * * *")
    assert 'GITNEWS_PIP: "git+https://example.org/gitnews.git@v1"' in \
        github_workflow(pip_spec="git+https://example.org/gitnews.git@v1")
    with pytest.raises(ValueError, match="five fields"):
        github_workflow(cron="17 * * *")
    with pytest.raises(ValueError, match="cannot go into the workflow"):
        github_workflow(pip_spec='gitnews"\nevil: 1')
