"""The drift report's formats and the CLI's usage errors (no terraform: the report is built from a real plan)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.drift import drift_in_plan
from cdktf_app.drift.report import DriftItem, DriftReport, sorted_items, to_json, to_markdown, to_sarif
from tests.helpers import make_finding
from tests.unit.test_drift_changes import real_plan

STACK = "drift-dev-aws"


def report() -> DriftReport:
    drifts = {drift.address: drift for drift in drift_in_plan(real_plan("drifted.json"))}
    broken = (make_finding("CKV_AWS_24", "aws_security_group.api_lb_sg", severity="critical", stack=STACK),)
    items = [DriftItem(stack=STACK, drift=drifts["aws_security_group.api_lb_sg"], severity="critical",
                       broken=broken, file="nexus.yaml", line=18, spec_path="components.api", component="api"),
             DriftItem(stack=STACK, drift=drifts["aws_s3_bucket.files"], severity="low", file="nexus.yaml", line=14,
                       spec_path="components.files", component="files"),
             DriftItem(stack=STACK, drift=drifts["aws_sqs_queue.jobs"], severity="medium", file="nexus.yaml",
                       line=16, spec_path="components.jobs", component="jobs")]
    return DriftReport(spec_name="drift", stacks=(STACK,), items=sorted_items(items), run_id="abc123")


def test_items_are_ordered_most_severe_first_and_counted():
    shown = report()
    assert [item.severity for item in shown.items] == ["critical", "medium", "low"]
    assert shown.severities() == ["critical", "medium", "low"]
    assert shown.counts_by_severity() == {"low": 1, "medium": 1, "high": 0, "critical": 1}


def test_json_holds_each_drift_with_its_spec_line_and_broken_checks():
    document = json.loads(to_json(report()))
    assert document["drifted"] == 3 and document["run"] == "abc123"
    first = document["items"][0]
    assert (first["address"], first["line"], first["spec_path"]) == ("aws_security_group.api_lb_sg", 18,
                                                                     "components.api")
    assert first["broken_checks"][0]["check_id"] == "CKV_AWS_24"
    assert first["attributes"][0]["after"][0]["source"] == "0.0.0.0/0"


def test_markdown_is_one_row_per_drift():
    text = to_markdown(report())
    assert text.startswith("## nexus drift: 3 resource(s) changed outside Terraform")
    assert "| critical | `drift-dev-aws/aws_security_group.api_lb_sg` | changed: ingress | `nexus.yaml:18` | " \
           "CKV_AWS_24 (critical) |" in text
    assert "| medium | `drift-dev-aws/aws_sqs_queue.jobs` | deleted outside Terraform | `nexus.yaml:16` | - |" in text


def test_sarif_locates_each_drift_at_its_spec_line():
    sarif = json.loads(to_sarif(report()))
    results = sarif["runs"][0]["results"]
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in results] == [("drift/update", "error", 18), ("drift/delete", "warning", 16),
                                  ("drift/update", "note", 14)]
    assert {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]} == {"drift/update", "drift/delete"}


def test_usage_errors_exit_2_with_json_under_log_format_json(tmp_path):
    result = CliRunner().invoke(cli, ["--log-format", "json", "drift", str(tmp_path / "nexus.yaml"),
                                      "--resource", "aws_s3_bucket.files"])
    assert result.exit_code == 2
    error = json.loads(result.output.strip().splitlines()[-1])
    assert error["code"] == 2 and "--fix adopt" in error["message"]
    table_to_file = CliRunner().invoke(cli, ["drift", str(tmp_path / "nexus.yaml"), "-o", str(tmp_path / "x")])
    assert table_to_file.exit_code == 2 and "needs a file format" in table_to_file.output
