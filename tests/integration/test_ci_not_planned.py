"""Stacks nexus ci does not plan. A GCP spec with --sandbox: the sandbox is AWS only, so the stack is checked as
synthesized (real synth, real checkov, no terraform) and marked not planned; an expired suppression fails the
gate (exit 1) and is listed, rather than stopping the check. A stack whose synthesized JSON is the base's is
reported unchanged and neither planned nor checked."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from tests.helpers import write_spec

GCP_SPEC = """\
apiVersion: nexus/v1
name: gshop
providers:
  gcp: {project: acme-gshop, region: us-central1}
compliance:
  suppressions:
    - {check: CKV_GCP_62, resource: files, reason: access logs go to the central project, expires: "2020-01-31"}
components:
  files: {type: bucket}
"""


def test_a_gcp_stack_is_checked_as_synthesized_and_an_expired_suppression_fails_the_gate(tmp_path):
    spec = write_spec(tmp_path, GCP_SPEC)
    result = CliRunner().invoke(cli, ["--log-format", "json", "ci", "plan-and-check", str(spec), "--sandbox",
                                      "--report-dir", str(tmp_path / "nexus-ci")])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    [stack] = summary["stacks"]
    assert stack["status"] == "not-planned" and not stack["planned"] and "sandbox is AWS only" in stack["note"]
    assert summary["findings"] and all(row["new"] for row in summary["findings"])  # no base: all new
    [expired] = summary["expired_suppressions"]
    assert "nexus.yaml:7" in expired and "expired on 2020-01-31" in expired
    report = (tmp_path / "nexus-ci" / "report.md").read_text()
    assert "Expired suppressions" in report


def test_a_stack_whose_synthesized_json_did_not_change_is_reported_unchanged_without_planning(tmp_path):
    """The sandbox URL points at a closed port: any plan would fail (exit 4), so passing shows none ran."""
    from cdktf_app.ci.plan_and_check import CiOptions, plan_and_check
    from cdktf_app.runs import RunStore, runs_url
    from tests.helpers import TINY_SPEC

    base = write_spec(tmp_path, TINY_SPEC, "base.yaml")
    head = write_spec(tmp_path, TINY_SPEC.replace("name: tiny\n", "name: tiny\ndescription: words only\n"))
    result = plan_and_check(head, CiOptions(base=base, sandbox_url="http://127.0.0.1:9",
                                            report_dir=tmp_path / "nexus-ci"))
    assert result.exit_code == 0
    [stack] = result.summary["stacks"]
    assert (stack["status"], stack["planned"], stack["cost_delta_monthly"]) == ("unchanged", False, 0.0)
    assert result.summary["changed"] is False and result.summary["findings"] == []
    with RunStore(runs_url(tmp_path)) as store:
        assert store.get(result.summary["run_id"]).phases == []
