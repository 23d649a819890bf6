"""The CI templates users copy, run: the GitHub workflow's jobs and steps in order (tests/fixtures/ci/run_workflow.py)
and the GitLab job's script, each against a loopback host, on a pull request that weakens a bucket of a project
`nexus init` made; the pre-commit hooks through pre-commit itself. Real nexus, terraform (sandbox), checkov."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cdktf_app.ci.marked_comment import MARKER
from cdktf_app.paths import repo_root
from cdktf_app.project import WORKFLOW, WORKFLOW_TEMPLATE, init_project
from tests.fixtures.ci.hosts import FakeGitHub, FakeGitLab
from tests.fixtures.ci.run_workflow import run_workflow

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

BIN = Path(sys.executable).parent
GITLAB_JOB = repo_root() / "templates/ci/gitlab/nexus.gitlab-ci.yml"
GIT = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]


def base_environment(tmp_path: Path) -> dict[str, str]:
    """A runner's environment: this machine's PATH without Nexus on it (the install step puts it there)."""
    path = os.pathsep.join(entry for entry in os.environ["PATH"].split(os.pathsep) if Path(entry) != BIN)
    return {"PATH": path, "HOME": str(tmp_path / "home"), "CI": "true", "LANG": "C.UTF-8"}


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A repository (bare origin) whose main holds a `nexus init` project, whose branch `feature` makes its
    bucket public and whose branch `typo` misspells a component type: the origin and the branches' heads."""
    work = tmp_path_factory.mktemp("pull-request")
    project = init_project(work / "shop").directory
    git = lambda *arguments: subprocess.run([*GIT, *arguments], cwd=project, check=True, capture_output=True,
                                             text=True, timeout=60).stdout.strip()
    git("init", "--quiet", "-b", "main")
    git("add", "-A")
    git("commit", "--quiet", "-m", "nexus init")
    git("checkout", "--quiet", "-b", "feature")
    spec = project / "nexus.yaml"
    spec.write_text(spec.read_text().replace("    type: bucket    # S3", "    type: bucket\n    public: true  # S3"))
    git("commit", "--quiet", "-am", "a public bucket")
    heads = {"feature": git("rev-parse", "HEAD")}
    git("checkout", "--quiet", "-b", "typo", "main")
    spec.write_text(spec.read_text().replace("type: queue ", "type: queu "))
    git("commit", "--quiet", "-am", "a spec that does not load")
    heads["typo"] = git("rev-parse", "HEAD")
    subprocess.run(["git", "clone", "--quiet", "--bare", str(project), str(work / "origin.git")], check=True,
                   timeout=60)
    return work / "origin.git", heads


def run_github_workflow(tmp_path: Path, origin: Path, head: str, github: FakeGitHub):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": 7, "pull_request": {"number": 7, "head": {"sha": head, "ref": "feature"},
                                                               "base": {"ref": "main"}}}))
    environ = {**base_environment(tmp_path), "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": github.repository,
               "GITHUB_API_URL": github.origin, "GITHUB_SERVER_URL": "https://github.com",
               "GITHUB_EVENT_PATH": str(event), "GITHUB_BASE_REF": "main", "GITHUB_HEAD_REF": "feature",
               "GITHUB_RUN_ID": "41", "GITHUB_SHA": "f" * 40, "GITHUB_EVENT_NAME": "pull_request"}
    return run_workflow(repo_root() / WORKFLOW_TEMPLATE, origin=origin, head=head, work=tmp_path / "runner",
                        environ=environ, secrets={"GITHUB_TOKEN": github.token},
                        variables={"NEXUS_REPOSITORY": "acme/nexus"},
                        stand_ins={"Install Nexus": f'echo "{BIN}" >> "$GITHUB_PATH"'})


def test_the_github_workflow_runs_in_order_and_posts_one_report(tmp_path, pull_request):
    origin, heads = pull_request
    head = heads["feature"]
    checked_out = subprocess.run(["git", "--git-dir", str(origin), "show", f"{head}:{WORKFLOW}"],
                                 capture_output=True, text=True, check=True).stdout
    assert checked_out == (repo_root() / WORKFLOW_TEMPLATE).read_text()      # nexus init wrote the template
    with FakeGitHub(lifetime=1200) as github:
        run = run_github_workflow(tmp_path, origin, head, github)
    log = "\n".join(f"[{step.job}] {step.name}: {step.outcome}\n{step.output}" for step in run.steps)
    # the bucket made public fails the gate: the stack's job and the report job fail, everything else ran
    assert run.job_results == {"stacks": "success", "plan": "failure", "report": "failure"}, log
    assert [step.outcome for step in run.step("plan", "Keep the stack's report")] == ["success"], log
    assert [step.outcome for step in run.step("report", "Upload SARIF to code scanning")] == ["success"], log
    plan_output = run.step("plan", "Plan and check")[0].output
    assert "new finding(s) at or above high" in plan_output, log
    merge_output = run.step("report", "Merge and post")[0].output
    assert "failed:" in merge_output, log
    assert "nexus ci: github comment: created (--comment-when changed) https://github.com/acme/shop/pull/7#" \
        in merge_output and "nexus ci: github check run: created (" in merge_output, log
    [comment] = github.marked_comments(7)
    assert comment["body"].startswith(MARKER) and "shop-dev-aws" in comment["body"]
    assert github.token not in comment["body"]
    [check_run] = github.check_runs.values()
    assert check_run["head_sha"] == head and check_run["conclusion"] == "failure"
    assert check_run["all_annotations"] and {a["path"] for a in check_run["all_annotations"]} == {"nexus.yaml"}
    [sarif] = run.sarif_uploads
    document = json.loads(sarif.read_text())
    assert document["version"] == "2.1.0" and document["runs"][0]["results"]
    assert (run.artifacts / "nexus-ci-report" / "report.md").is_file()
    assert (run.artifacts / "nexus-stack-shop-dev-aws" / "summary.json").is_file()


def test_a_spec_that_does_not_load_fails_the_stacks_job_and_posts_nothing(tmp_path, pull_request):
    origin, heads = pull_request
    with FakeGitHub() as github:
        run = run_github_workflow(tmp_path, origin, heads["typo"], github)
    assert run.job_results == {"stacks": "failure", "plan": "skipped", "report": "skipped"}
    [matrix_step] = run.step("stacks", "Stacks to plan")
    assert "components.jobs: unknown component type 'queu'" in matrix_step.output
    assert github.requests == []


def test_the_gitlab_job_runs_its_script_and_posts_one_note(tmp_path, pull_request):
    origin, head = pull_request[0], pull_request[1]["feature"]
    job = yaml.safe_load(GITLAB_JOB.read_text())["nexus-plan-and-check"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    folder = tmp_path / "build"
    subprocess.run(["git", "clone", "--quiet", str(origin), str(folder)], check=True, timeout=60)
    subprocess.run(["git", "checkout", "--quiet", head], cwd=folder, check=True, timeout=60)
    # before_script installs terraform and Nexus; here both are this machine's
    script = "\n".join([f'export PATH="{BIN}:$PATH"', *job["script"]])
    with FakeGitLab(lifetime=1200) as gitlab:
        environ = {**base_environment(tmp_path), **job["variables"], "GITLAB_CI": "true",
                   "CI_PIPELINE_SOURCE": "merge_request_event", "CI_API_V4_URL": gitlab.api_url,
                   "CI_PROJECT_ID": gitlab.project, "CI_MERGE_REQUEST_IID": "3",
                   "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_COMMIT_SHA": head,
                   "CI_MERGE_REQUEST_PROJECT_URL": "https://gitlab.example/acme/shop",
                   "CI_JOB_URL": "https://gitlab.example/acme/shop/-/jobs/5", "GITLAB_TOKEN": gitlab.token,
                   "CI_JOB_TOKEN": "job-token-never-sent-1234"}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=folder,
                              env=environ, capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, done.stdout + done.stderr     # the public bucket fails the gate
    assert "nexus ci: gitlab comment: created (--comment-when changed) " \
           "https://gitlab.example/acme/shop/-/merge_requests/3#note_" in done.stderr, done.stderr
    [note] = gitlab.marked_notes(3)
    assert "shop-dev-aws" in note["body"]
    assert all(seen.headers.get("private-token") == gitlab.token for seen in gitlab.requests)
    for body in gitlab.bodies():
        assert gitlab.token.encode() not in body and b"job-token-never-sent-1234" not in body
    assert (folder / job["artifacts"]["reports"]["junit"]).is_file()
    assert all((folder / path).exists() for path in job["artifacts"]["paths"])


def test_the_pre_commit_hooks_run_nexus(tmp_path):
    project = init_project(tmp_path / "p").directory
    environ = {**base_environment(tmp_path), "PATH": f"{BIN}{os.pathsep}{base_environment(tmp_path)['PATH']}",
               "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    subprocess.run([*GIT, "init", "--quiet", "-b", "main"], cwd=project, check=True, timeout=60)
    subprocess.run([*GIT, "add", "-A"], cwd=project, check=True, timeout=60)
    hooks = lambda: subprocess.run([str(BIN / "pre-commit"), "run", "--all-files"], cwd=project, env=environ,
                                   capture_output=True, text=True, timeout=600)
    clean = hooks()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "nexus validate" in clean.stdout and "nexus check" in clean.stdout and "Passed" in clean.stdout
    spec = project / "nexus.yaml"
    spec.write_text(spec.read_text().replace("    type: bucket    # S3", "    type: bucket\n    public: true  # S3"))
    weakened = hooks()
    assert weakened.returncode == 1
    validate, check = weakened.stdout.split("nexus check.", 1)
    assert validate.startswith("nexus validate.") and "Passed" in validate, weakened.stdout
    assert "Failed" in check and "- exit code: 1" in check and "high" in check, weakened.stdout
