"""Destroy, plan and re-plan against a real moto server with real terraform: deletion protection refused up front
or lifted with --force-protected, --allow-destroy on every unattended deletion, a re-plan after a queue with a DLQ
is empty, `plan --detailed-exitcode --plan-dir`, auto_remediate applied by plan, and a destroy whose resources
died with a temporary sandbox. One sandbox and one deployment for the module."""
from __future__ import annotations

import json
import stat
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import run
from cdktf_app.deploy.orchestrator import RUN_OVERRIDE_FILE
from cdktf_app.deploy.protection import UNPROTECT_FILE
from cdktf_app.runs import RunStore, runs_url
from tests.helpers import sandbox_aws as aws
from tests.integration.test_deploy_sandbox import options

pytestmark = pytest.mark.terraform

GUARDED = textwrap.dedent("""\
    apiVersion: nexus/v1
    name: guard
    providers:
      aws:
        region: eu-west-1
    tags:
      owner: {owner}
    components:
      jobs:
        type: queue
        encrypted: false
      docs:
        type: document_store
        encrypted: false
        point_in_time_recovery: false
        deletion_protection: true
""")
STACK = "guard-dev-aws"
GATE = ["--override-gate", "--reason", "protection test: the gate has its own test"]


def nexus(*arguments: str):
    return CliRunner().invoke(cli, ["--log-format", "json", *arguments])


def managed(project: Path, stack: str) -> list[dict]:
    state = json.loads((project / "cdktf.out" / "stacks" / stack / f"terraform.{stack}.sandbox.tfstate").read_text())
    return [resource for resource in state["resources"] if resource["mode"] == "managed"]


def use_sandbox(project: Path, sandbox) -> None:
    """As `nexus sandbox up` leaves it: the CLI's --sandbox uses this server."""
    (project / ".nexus").mkdir(exist_ok=True)
    (project / ".nexus" / "sandbox.json").write_text(json.dumps({
        "pid": sandbox.pid, "port": sandbox.port, "started_at": sandbox.started_at, "log_file": sandbox.log_file}))


@pytest.fixture(scope="module")
def project(tmp_path_factory, sandbox):
    directory = tmp_path_factory.mktemp("guard")
    (directory / "nexus.yaml").write_text(GUARDED.format(owner="team-a"), encoding="utf-8")
    use_sandbox(directory, sandbox)
    return directory


@pytest.fixture(scope="module")
def deployed(project, sandbox):
    record = run(project / "nexus.yaml", options(sandbox.url))
    assert record.outcome == "succeeded" and record.added == 3
    return record


def test_a_re_plan_after_deploying_a_queue_with_a_dead_letter_queue_is_empty(deployed, project, sandbox):
    planned = run(project / "nexus.yaml", options(sandbox.url, command="plan"))
    assert (planned.added, planned.changed, planned.destroyed) == (0, 0, 0)  # was ~1: redrive_policy whitespace
    policy = aws("sqs", sandbox.url).get_queue_attributes(
        QueueUrl=aws("sqs", sandbox.url).get_queue_url(QueueName="guard-dev-jobs")["QueueUrl"],
        AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert policy == json.dumps(json.loads(policy), separators=(",", ":"))  # compact, as AWS answers


def test_overrides_a_killed_run_left_behind_are_not_planned(deployed, project, sandbox):
    """A run killed while its one-run files lay beside the stack (drift revert's rules, destroy's lifted
    protection) must not shape the next run."""
    stack_dir = project / "cdktf.out" / "stacks" / STACK
    queue = {"resource": {"aws_sqs_queue": {name: {"delay_seconds": 7} for name in
                                            [r["name"] for r in managed(project, STACK) if r["type"] == "aws_sqs_queue"]}}}
    (stack_dir / RUN_OVERRIDE_FILE).write_text(json.dumps(queue))
    (stack_dir / UNPROTECT_FILE).write_text(json.dumps(queue))
    planned = run(project / "nexus.yaml", options(sandbox.url, command="plan"))
    assert (planned.added, planned.changed, planned.destroyed) == (0, 0, 0)
    assert not (stack_dir / RUN_OVERRIDE_FILE).exists() and not (stack_dir / UNPROTECT_FILE).exists()


def test_plan_detailed_exitcode_and_plan_dir_keep_private_plans(deployed, project, tmp_path):
    spec = project / "nexus.yaml"
    unchanged = nexus("plan", str(spec), "--sandbox", "--detailed-exitcode")
    assert unchanged.exit_code == 0, unchanged.output
    spec.write_text(GUARDED.format(owner="team-b"), encoding="utf-8")
    plans = tmp_path / "plans"
    try:
        changed = nexus("plan", str(spec), "--sandbox", "--detailed-exitcode", "--plan-dir", str(plans), *GATE)
    finally:
        spec.write_text(GUARDED.format(owner="team-a"), encoding="utf-8")
    assert changed.exit_code == 2, changed.output
    assert json.loads(changed.stdout.splitlines()[-1])["run"]["changed"] == 3
    assert stat.S_IMODE(plans.stat().st_mode) == 0o700
    kept = sorted(path.name for path in plans.iterdir())
    assert kept == [f"{STACK}.tfplan", f"{STACK}.tfplan.json"]
    assert all(stat.S_IMODE((plans / name).stat().st_mode) == 0o600 for name in kept)
    shown = json.loads((plans / f"{STACK}.tfplan.json").read_text())
    assert {change["change"]["actions"][0] for change in shown["resource_changes"]} == {"update"}
    assert not (project / "cdktf.out" / "stacks" / STACK / "nexus.tfplan").exists()
    # a usage error is not "changes" under --detailed-exitcode
    assert nexus("plan", str(spec), "--stack", "nope", "--detailed-exitcode").exit_code == 1
    assert nexus("plan", str(spec), "--stack", "nope").exit_code == 2


def test_destroy_with_auto_approve_alone_deletes_nothing(deployed, project, sandbox):
    refused = nexus("destroy", str(project / "nexus.yaml"), "--sandbox", "--auto-approve")
    assert refused.exit_code == 2 and "--allow-destroy" in refused.output
    assert len(aws("sqs", sandbox.url).list_queues()["QueueUrls"]) == 2 and len(managed(project, STACK)) == 3


def test_a_protected_resource_refuses_the_destroy_before_anything_is_deleted(deployed, project, sandbox):
    refused = nexus("destroy", str(project / "nexus.yaml"), "--sandbox", "--auto-approve", "--allow-destroy")
    assert refused.exit_code == 2, refused.output
    message = json.loads(refused.stderr.splitlines()[-1])["message"]
    assert "destroy refused before deleting anything" in message and "--force-protected" in message
    assert f"{STACK}  aws_dynamodb_table.docs  (deletion_protection_enabled = true)" in message
    assert len(aws("sqs", sandbox.url).list_queues()["QueueUrls"]) == 2 and len(managed(project, STACK)) == 3
    record = RunStore(runs_url(project)).list(limit=1)[0]
    assert (record.command, record.outcome, record.error_class) == ("destroy", "blocked", "deletion-protection")


def test_force_protected_lifts_exactly_the_protection_then_destroys(deployed, project, sandbox):
    done = nexus("destroy", str(project / "nexus.yaml"), "--sandbox", "--auto-approve", "--allow-destroy",
                 "--force-protected")
    assert done.exit_code == 0, done.output
    record = json.loads(done.stdout.splitlines()[-1])["run"]
    assert record["protection_lifted"] == [f"{STACK}:aws_dynamodb_table.docs"]
    assert record["destroyed"] == 3 and record["changed"] == 0 and record["already_gone"] == 0
    assert [p["phase"] for p in record["phases"]][:6] == ["init", "show", "unprotect-plan", "show",
                                                          "unprotect-apply", "plan"]
    assert managed(project, STACK) == [] and aws("dynamodb", sandbox.url).list_tables()["TableNames"] == []
    assert aws("sqs", sandbox.url).list_queues().get("QueueUrls", []) == []
    assert not (project / "cdktf.out" / "stacks" / STACK / UNPROTECT_FILE).exists()
    shown = CliRunner().invoke(cli, ["runs", "show", record["id"], "--project", str(project)])
    assert f"deletion protection lifted: {STACK}:aws_dynamodb_table.docs" in " ".join(shown.output.split())


HEALED = textwrap.dedent("""\
    apiVersion: nexus/v1
    name: heal
    providers:
      aws:
        region: eu-west-1
    compliance:
      auto_remediate: true
    components:
      docs:
        type: document_store
        encrypted: true
        point_in_time_recovery: false
        deletion_protection: false
""")


def test_plan_builds_as_synth_does_auto_remediate_applies(tmp_path, sandbox):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(HEALED, encoding="utf-8")
    record = run(spec, options(sandbox.url, command="plan", override_gate=False, reason=None,
                               plan_dir=tmp_path / "plans"))
    assert record.outcome == "planned" and record.gate_findings == 0  # CKV_AWS_28 (high) fixed before the gate
    assert " ".join(spec.read_text().split()).count("point_in_time_recovery: true # nexus fix: CKV_AWS_28") == 1
    shown = json.loads((tmp_path / "plans" / "heal-dev-aws.tfplan.json").read_text())
    table = next(c for c in shown["resource_changes"] if c["address"] == "aws_dynamodb_table.docs")
    assert table["change"]["after"]["point_in_time_recovery"] == [{"enabled": True}]


ONE_TABLE = textwrap.dedent("""\
    apiVersion: nexus/v1
    name: brief
    providers:
      aws:
        region: eu-west-1
    components:
      docs:
        type: document_store
        encrypted: false
        point_in_time_recovery: false
        deletion_protection: false
""")


def test_destroy_after_a_temporary_sandbox_says_already_gone_and_leaves_no_state(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(ONE_TABLE, encoding="utf-8")
    deployed = nexus("deploy", str(spec), "--sandbox", "--auto-approve", *GATE)  # a sandbox of its own
    assert deployed.exit_code == 0, deployed.output
    assert len(managed(tmp_path, "brief-dev-aws")) == 1  # in the state; the table died with that sandbox
    destroyed = nexus("destroy", str(spec), "--sandbox", "--auto-approve", "--allow-destroy")
    assert destroyed.exit_code == 0, destroyed.output
    record = json.loads(destroyed.stdout.splitlines()[-1])["run"]
    assert (record["destroyed"], record["already_gone"]) == (0, 1)
    assert managed(tmp_path, "brief-dev-aws") == []
    human = CliRunner().invoke(cli, ["runs", "show", record["id"], "--project", str(tmp_path)])
    assert "1 resource(s) in the state were already gone" in human.output
