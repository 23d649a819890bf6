"""A real plan (terraform init + plan + show -json against the moto sandbox, with the image's AWS provider mirror)
is checked, and its findings point at the spec lines the resources came from."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdktf_app.compliance import check
from cdktf_app.sandbox.provider import write_provider_override
from cdktf_app.sandbox.server import sandbox_session
from cdktf_app.stacks.synth import synth
from cdktf_app.tools.terraform import run_terraform

SPEC = """\
apiVersion: nexus/v1
name: planned
providers:
  aws: {region: us-east-1}
compliance:
  standards: [{cis-aws: "5.0"}]
components:
  # a bucket someone opened up
  uploads:
    type: bucket
    public: true
    access_logs: false
    versioned: false
  events:
    type: queue
"""


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory, terraform_cli_config):
    work = tmp_path_factory.mktemp("plan")
    (work / "nexus.yaml").write_text(SPEC, encoding="utf-8")
    result = synth(work / "nexus.yaml", work / "cdktf.out")
    stack_dir = result.stack_dir("planned-dev-aws")
    with sandbox_session(work / "sandbox") as sandbox:
        write_provider_override(stack_dir, sandbox.url)
        for arguments in (("init", "-input=false", "-no-color"),
                          ("plan", "-input=false", "-no-color", "-out=tfplan")):
            outcome = run_terraform(stack_dir, *arguments, cli_config=terraform_cli_config, timeout=300)
            assert outcome.ok, outcome.output[-3000:]
    shown = run_terraform(stack_dir, "show", "-json", "tfplan", cli_config=terraform_cli_config)
    assert shown.ok, shown.output[-2000:]
    plan = work / "plan.json"
    plan.write_text(shown.output[shown.output.index("{"):], encoding="utf-8")
    return plan, work


@pytest.mark.terraform
def test_plan_findings_point_at_spec_lines(plan_file, checkov_worker):
    plan, work = plan_file
    assert json.loads(plan.read_text())["resource_changes"]
    report = check(plan, spec=work / "nexus.yaml", worker=checkov_worker)
    assert report.stacks == ("planned-dev-aws",)
    lines = (work / "nexus.yaml").read_text().splitlines()
    uploads = [finding for finding in report.findings if finding.component == "uploads"]
    assert {"CKV_AWS_18", "CKV_AWS_21"} <= {finding.check_id for finding in uploads}
    for finding in uploads:
        assert Path(finding.file).name == "nexus.yaml" and lines[finding.line - 1] == "  uploads:"
        assert finding.address.startswith("aws_s3_bucket")
    assert all(finding.fixable for finding in uploads if finding.check_id in ("CKV_AWS_18", "CKV_AWS_21"))


@pytest.mark.terraform
def test_plan_stack_and_spec_are_found_from_the_out_dir(plan_file, checkov_worker):
    plan, work = plan_file
    report = check(plan, spec=work / "cdktf.out", worker=checkov_worker)
    assert report.stacks == ("planned-dev-aws",)
    assert any(finding.line for finding in report.findings)
