"""Overrides under attack, with real terraform and a moto sandbox: a provisioner override is refused before
anything runs and runs only when named with --allow-unsafe-overrides (recorded in nexus.json, the run and the
check report); an override key never becomes a Terraform expression."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import DeployOptions, run
from cdktf_app.healing import RetryPolicy
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.spec.overrides import META_ARGUMENTS
from cdktf_app.stacks.synth import synth
from cdktf_app.tools.terraform import validate_stack

pytestmark = pytest.mark.terraform

SPEC = """\
apiVersion: nexus/v1
name: ovr
providers:
  aws: {{region: eu-west-1}}
components:
  docs: {{type: document_store, encrypted: false, point_in_time_recovery: false, deletion_protection: false}}
overrides:
  aws_dynamodb_table.docs:
    provisioner:
      local-exec: {{command: "touch {marker}"}}
"""
PROVISIONER = "aws_dynamodb_table.docs.provisioner"
STACK = "ovr-dev-aws"


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "nexus.yaml").write_text(SPEC.format(marker=tmp_path / "provisioner-ran"), encoding="utf-8")
    return tmp_path


def test_a_provisioner_override_is_refused_by_deploy_and_check_and_never_runs(project):
    runner = CliRunner()
    for command in (["deploy", "--auto-approve"], ["check"], ["synth"]):
        result = runner.invoke(cli, [command[0], str(project / "nexus.yaml"), *command[1:]])
        assert result.exit_code == 2, result.output
        assert f"nexus.yaml:9:5: overrides.{PROVISIONER}: a provisioner runs commands" in result.output
        assert f"--allow-unsafe-overrides {PROVISIONER}" in result.output and "Traceback" not in result.output
    assert not (project / "provisioner-ran").exists()
    assert not (project / "cdktf.out" / "stacks").exists()


def test_an_allowed_provisioner_runs_and_is_recorded_in_nexus_json_the_run_and_the_check_report(project, sandbox):
    options = DeployOptions(command="deploy", sandbox_url=sandbox.url, auto_approve=True, override_gate=True,
                            reason="test: the gate has its own tests", allow_unsafe_overrides=(PROVISIONER,),
                            retry=RetryPolicy(max_attempts=2, base_seconds=1.0, max_total_seconds=60),
                            aws_max_retries=1)
    record = run(project / "nexus.yaml", options)
    assert record.outcome == "succeeded" and (project / "provisioner-ran").is_file()
    assert record.unsafe_overrides == [PROVISIONER]
    with RunStore(runs_url(project)) as store:
        assert store.get(record.id).unsafe_overrides == [PROVISIONER]
    manifest = json.loads((project / "cdktf.out" / "nexus.json").read_text())
    assert manifest["unsafe_overrides"] == [{"override": PROVISIONER, "line": 9,
                                             "reason": META_ARGUMENTS["provisioner"]}]
    runner = CliRunner()
    shown = runner.invoke(cli, ["runs", "show", record.id, "--project", str(project)])
    assert shown.exit_code == 0 and f"unsafe overrides allowed: {PROVISIONER}" in shown.output
    checked = runner.invoke(cli, ["check", str(project / "nexus.yaml"), "--allow-unsafe-overrides", PROVISIONER,
                                  "--fail-on", "never", "--output", "json"])
    assert checked.exit_code == 0, checked.output
    notes = json.loads(checked.stdout)["notes"]
    assert any(PROVISIONER in note and "spec line 9" in note for note in notes), notes


def test_an_expression_in_a_dotted_key_is_refused_and_a_nested_map_key_stays_text(tmp_path, terraform_cli_config):
    probe = 'file("/nonexistent/nexus-probe")'  # evaluated, it fails `terraform validate`
    head = SPEC.split("overrides:")[0].format()
    attack = head + f"overrides:\n  aws_dynamodb_table.docs:\n    'tags.${{{probe}}}': x\n"
    (tmp_path / "nexus.yaml").write_text(attack, encoding="utf-8")
    refused = CliRunner().invoke(cli, ["synth", str(tmp_path / "nexus.yaml"), "--out", str(tmp_path / "out")])
    assert refused.exit_code == 2 and "nexus.yaml:9:5:" in refused.output
    assert "is not an attribute path" in refused.output
    nested = attack.replace(f"'tags.${{{probe}}}': x", f"tags: {{'${{{probe}}}': x}}")
    (tmp_path / "nexus.yaml").write_text(nested, encoding="utf-8")
    result = synth(tmp_path / "nexus.yaml", tmp_path / "out", use_cache=False)
    tags = json.loads(result.stack_json(STACK).read_text())["resource"]["aws_dynamodb_table"]["docs"]["tags"]
    assert f"$${{{probe}}}" in tags
    outcome = validate_stack(result.stack_dir(STACK), terraform_cli_config)
    assert outcome.ok, outcome.output
