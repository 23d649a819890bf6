"""`nexus ci plan-and-check` from the command line on a deployed sandbox project kept in git: the base read with
--base-ref, deletions listed first, drift the plan saw, and every exit code (0 passed, 1 gate failed, 2 usage,
4 tooling failed) with its outputs. One sandbox (recorded for the project, as `nexus sandbox up` does, so the
command's --sandbox uses it) and one deploy for the module."""
from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import DeployOptions, run
from cdktf_app.healing import RetryPolicy
from cdktf_app.layout import state_dir
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from tests.helpers import aws_spec, sandbox_aws, write_spec

pytestmark = pytest.mark.terraform

BASE = aws_spec("cishop", "components:\n  files: {type: bucket}\n  jobs: {type: queue}\n", region="eu-west-1")
HEAD = aws_spec("cishop", "components:\n  files: {type: bucket}\n", region="eu-west-1")
WEAK = aws_spec("cishop", "components:\n  files: {type: bucket, public: true}\n  jobs: {type: queue}\n",
                region="eu-west-1")
QUICK = RetryPolicy(max_attempts=2, base_seconds=1.0, max_backoff_seconds=4.0, max_total_seconds=120)


def git(project, *arguments: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *arguments], cwd=project,
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The base deployed to a sandbox recorded for the project and committed; the working copy removes `jobs`;
    the bucket's tags were changed outside Terraform."""
    folder = tmp_path_factory.mktemp("cishop")
    spec = write_spec(folder, BASE)
    git(folder, "init", "-q")
    git(folder, "add", "nexus.yaml")
    git(folder, "commit", "-q", "-m", "base")
    git(folder, "update-ref", "refs/remotes/origin/main", "HEAD")  # as a CI checkout of a pull request has it
    sandbox = start_sandbox(state_dir(folder), record=True)
    try:
        run(spec, DeployOptions(command="deploy", sandbox_url=sandbox.url, auto_approve=True, override_gate=True,
                                reason="ci test: the base as it runs", retry=QUICK, aws_max_retries=1))
        s3 = sandbox_aws("s3", sandbox.url)
        bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "files" in b["Name"])
        tags = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags + [{"Key": "edited", "Value": "by-hand"}]})
        write_spec(folder, HEAD)
        yield folder
    finally:
        stop_sandbox(state_dir(folder), sandbox)


def plan_and_check(project, *arguments: str, json_log: bool = False):
    prefix = ["--log-format", "json"] if json_log else []
    return CliRunner().invoke(cli, [*prefix, "ci", "plan-and-check", *arguments, "--sandbox"])


def test_removed_component_passes_with_deletions_first_the_spec_line_and_the_drift(project, monkeypatch):
    monkeypatch.chdir(project)
    # the README's command, word for word
    result = CliRunner().invoke(cli, "ci plan-and-check nexus.yaml --base-ref origin/main --sandbox".split())
    assert result.exit_code == 0, result.output
    report_dir = project / "nexus-ci"
    summary = json.loads((report_dir / "summary.json").read_text())
    change = summary["spec_changes"][0]
    assert (change["kind"], change["path"], change["file"], change["line"]) == (
        "component_removed", "components.jobs", "origin/main:nexus.yaml", 7)
    assert "(`origin/main:nexus.yaml:7`)" in (report_dir / "report.md").read_text()
    [stack] = summary["stacks"]
    assert stack["destroy"] > 0 and "aws_sqs_queue.jobs" in stack["deleted"]
    report = (report_dir / "report.md").read_text()
    assert report.index("| `cishop-dev-aws` | changed ⚠️ destroys |") < report.index("Deletes and replacements") \
        < report.index("What changed in the spec") < report.index("Changed outside Terraform")
    assert "**delete** `cishop-dev-aws/aws_sqs_queue.jobs`" in report
    drift = [item for item in stack["drift"] if item["type"] == "aws_s3_bucket"]
    assert drift and "tags" in drift[0]["attributes"] and "by-hand" not in report
    assert summary["cost"]["delta_monthly"] <= 0


def test_a_new_public_bucket_fails_the_gate_exit_1_json_summary_on_stdout(project):
    write_spec(project, BASE, "base.yaml")
    weak = write_spec(project, WEAK, "weak.yaml")
    report_dir = project / "weak"
    result = plan_and_check(project, str(weak), "--base", str(project / "base.yaml"), "--report-dir",
                            str(report_dir), "--post", "none", json_log=True)
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "failed" and summary["totals"]["new_findings_at_gate"] > 0
    assert all(row["line"] == 6 for row in summary["findings"] if row["new"] and row["severity"] == "high")
    junit = ElementTree.parse(report_dir / "junit.xml").getroot()
    assert junit.find("testsuite/testcase[@name='gate']/failure") is not None


def test_a_base_ref_without_the_spec_or_an_unknown_stack_is_a_usage_error_exit_2(project):
    missing = plan_and_check(project, str(project / "nexus.yaml"), "--base-ref", "no-such-ref", "--report-dir",
                             str(project / "usage"))
    assert missing.exit_code == 2 and "--base-ref no-such-ref" in missing.output
    assert not (project / "usage").exists()
    unknown = plan_and_check(project, str(project / "nexus.yaml"), "--stack", "cishop-dev-awz", "--report-dir",
                             str(project / "usage"))
    assert unknown.exit_code == 2 and "did you mean 'cishop-dev-aws'" in unknown.output


def test_terraform_failing_is_a_tooling_failure_exit_4_with_the_outputs_written(project, monkeypatch):
    monkeypatch.setenv("NEXUS_TERRAFORM", "/bin/false")  # a terraform that fails every call
    report_dir = project / "broken"
    result = plan_and_check(project, str(project / "nexus.yaml"), "--base-ref", "HEAD", "--stack",
                            "cishop-dev-aws", "--report-dir", str(report_dir))  # one matrix entry
    assert result.exit_code == 4, result.output
    summary = json.loads((report_dir / "summary.json").read_text())
    assert summary["outcome"] == "error" and "failed" in summary["error"]
    assert "⚠️ error" in (report_dir / "report.md").read_text()
    assert ElementTree.parse(report_dir / "junit.xml").getroot().find("testsuite/testcase/error") is not None


def test_matrix_lists_the_stacks_to_plan_as_a_github_actions_matrix(project, monkeypatch):
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, "ci matrix nexus.yaml".split())  # the README's command
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"include": [{"environment": "dev", "provider": "aws",
                                                      "stack": "cishop-dev-aws"}]}


def test_review_adds_the_roles_consensus_to_the_report_and_changes_no_outcome(project, monkeypatch):
    monkeypatch.chdir(project)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    # the README's commands, word for word
    checked = CliRunner().invoke(cli, "ci plan-and-check nexus.yaml --base-ref origin/main --sandbox --review".split())
    assert checked.exit_code == 0, checked.output
    summary = json.loads((project / "nexus-ci" / "summary.json").read_text())
    assert summary["outcome"] == "passed"
    verdicts = {role["role"]: role["verdict"] for role in summary["review"]["roles"]}
    assert verdicts == {"security": "approve", "cost": "approve", "reliability": "comment", "release": "comment",
                        "operations": "comment"}
    assert "### Review: 💬 comment" in (project / "nexus-ci" / "report.md").read_text()
    reviewed = CliRunner().invoke(cli, "review nexus-ci --output markdown".split())
    assert reviewed.exit_code == 0, reviewed.output
    assert "| reliability | medium | `cishop-dev-aws/aws_sqs_queue.jobs` |" in reviewed.output
    assert "| release | medium | `origin/main:nexus.yaml:7` |" in reviewed.output
    # given the spec, review runs plan-and-check itself: the same inputs, the same review
    direct = CliRunner().invoke(cli, "review nexus.yaml --base-ref origin/main --sandbox --output json".split())
    assert direct.exit_code == 0, direct.output
    assert json.loads(direct.stdout) == summary["review"]
