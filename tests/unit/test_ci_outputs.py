"""nexus ci's outputs from a summary (report.md, nexus.sarif, junit.xml, summary.json), the spec diff, and merge:
the limits GitHub sets, redaction, and what a reader sees first. The real plans are in
tests/integration/test_ci_plan_and_check.py."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from click.testing import CliRunner

from cdktf_app.ci.matrix import merge
from cdktf_app.ci.outputs import JUNIT, REPORT, SARIF, SUMMARY, write_outputs
from cdktf_app.ci.report import LIMIT, render_report
from cdktf_app.ci.sarif import GITHUB_MAX_BYTES, ci_sarif
from cdktf_app.ci.spec_diff import diff_specs
from cdktf_app.cli.main import cli
from cdktf_app.sensitive import Secrets
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import aws_spec

SECRET = "hunter2-Sup3r-S3cret-value"
SEVERITIES = ("low", "medium", "high", "critical")


def finding_row(index: int, stack: str = "big-dev-aws", new: bool = True, severity: str | None = None) -> dict:
    address = f"aws_sqs_queue.q{index:05d}"
    return {"check_id": f"CKV_AWS_{index % 7}", "check_name": "Ensure the queue is encrypted " + "x" * 40,
            "severity": severity or SEVERITIES[index % 4], "resource": f"{stack}/{address}", "stack": stack,
            "address": address, "file": "nexus.yaml", "line": 10 + index, "spec_path": f"components.q{index:05d}",
            "controls": ["pci-dss 3.5.1"], "suppressed": False, "suppression_reason": None,
            "message": "Ensure the queue is encrypted", "new": new}


def stack_row(name: str, **fields) -> dict:
    row = {"name": name, "environment": "dev", "provider": "aws", "status": "changed", "planned": True, "note": None,
           "add": 1, "change": 0, "destroy": 0, "deleted": [], "replaced": [], "cost_delta_monthly": 1.5,
           "new_findings": 0, "findings": 0, "drift": []}
    return row | fields


def summary(stacks: list[dict], findings: list[dict], **fields) -> dict:
    base = {"schema": "nexus.ci/v1", "nexus_version": "0.1.0", "run_id": "abc123", "outcome": "passed",
            "error": None, "changed": True, "spec": "nexus.yaml", "base": "origin/main", "fail_on": "high",
            "sandbox": True, "spec_changes": [], "expired_suppressions": [], "stacks": stacks, "findings": findings,
            "cost": {"delta_monthly": sum(s["cost_delta_monthly"] or 0 for s in stacks), "partial": False},
            "totals": {"add": sum(s["add"] for s in stacks), "change": 0, "destroy": sum(s["destroy"] for s in stacks),
                       "new_findings_at_gate": sum(s["new_findings"] for s in stacks), "findings": len(findings)}}
    return base | fields


def big_summary(count: int = 6000) -> dict:
    findings = [finding_row(index) for index in range(count)]
    stacks = [stack_row("big-dev-aws", add=count, new_findings=count // 2, findings=count),
              stack_row("big-prod-aws", add=0, destroy=300, deleted=[f"aws_sqs_queue.old{i}" for i in range(300)])]
    changes = [{"kind": "setting_changed", "path": f"components.q{i:05d}.encrypted", "file": "nexus.yaml",
                "line": 10 + i, "detail": "encrypted: True -> False"} for i in range(count)]
    return summary(stacks, findings, spec_changes=changes, outcome="failed")


def test_the_report_of_a_huge_change_stays_under_githubs_comment_limit_headline_first():
    text = render_report(big_summary())
    assert len(text) <= LIMIT
    assert text.startswith("## Nexus plan-and-check: ❌ failed")
    # the table comes before any detail, deletions before the spec changes, lists cut with a pointer
    assert text.index("| `big-dev-aws` |") < text.index("Deletes and replacements") < text.index("What changed in")
    assert "more in summary.json" in text and "more in nexus.sarif" in text
    assert text.rstrip().endswith("tooling failure</sub>")


def test_a_report_over_the_limit_is_cut_at_a_section_with_a_pointer_to_the_artifacts():
    many = summary([stack_row(f"s{i:03d}-dev-aws", findings=50) for i in range(150)],
                   [finding_row(i, stack=f"s{i % 150:03d}-dev-aws", new=False) for i in range(7500)])
    text = render_report(many)
    assert len(text) <= LIMIT
    assert "Report shortened to fit a comment" in text and "summary.json, nexus.sarif" in text
    left = int(text.split("Report shortened to fit a comment: ")[1].split(" ")[0])
    assert text.count("<details>") + left == 150  # every stack's section is either shown or counted
    assert render_report(many, limit=10_000).count("<details>") < text.count("<details>")


def test_sarif_of_30000_findings_keeps_githubs_limits_most_severe_first_with_stable_fingerprints():
    text = ci_sarif(big_summary(30_000))
    assert len(text.encode()) <= GITHUB_MAX_BYTES
    sarif = json.loads(text)
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1
    run = sarif["runs"][0]
    assert len(run["results"]) <= 25_000 and run["properties"]["resultsLeftOut"] == 30_000 - len(run["results"])
    ranks = [SEVERITIES.index(result["properties"]["severity"]) for result in run["results"]]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] == 3
    assert all(result["partialFingerprints"]["nexusFinding/v1"] for result in run["results"])
    assert all(result["properties"]["new"] is True for result in run["results"])
    # a finding whose spec line moved keeps its fingerprint, so its alert is the same across pushes
    moved = summary([], [dict(finding_row(3), line=999)])
    same = summary([], [finding_row(3)])
    assert (json.loads(ci_sarif(moved))["runs"][0]["results"][0]["partialFingerprints"]
            == json.loads(ci_sarif(same))["runs"][0]["results"][0]["partialFingerprints"])


def test_no_sensitive_value_reaches_any_output(tmp_path):
    leaky = summary([stack_row("app-dev-aws", note=f"password {SECRET}")],
                    [dict(finding_row(1), message=f"value {SECRET}", check_name=f"check {SECRET}")],
                    spec_changes=[{"kind": "setting_changed", "path": "components.db.x", "file": "nexus.yaml",
                                   "line": 3, "detail": f"x: a -> {SECRET}"}])
    write_outputs(leaky, tmp_path, Secrets({SECRET}))
    for name in (REPORT, SARIF, JUNIT, SUMMARY):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert SECRET not in text, name
        assert name == JUNIT or "(sensitive)" in text, name


def test_fixes_auto_remediate_made_before_planning_are_listed_for_the_author_to_commit():
    text = render_report(summary([stack_row("a-dev-aws")], [], remediated=[
        "components.files.encrypted: true  (CKV_AWS_145, safe: encrypt with the stack key)"]))
    assert "Fixed by compliance.auto_remediate before planning (1)" in text
    assert "- `components.files.encrypted: true  (CKV_AWS_145, safe: encrypt with the stack key)`" in text


def test_junit_has_a_plan_and_a_gate_case_per_stack_failing_where_new_findings_are(tmp_path):
    data = summary([stack_row("a-dev-aws"), stack_row("b-dev-aws", new_findings=1),
                    stack_row("c-dev-gcp", planned=False, status="not-planned", note="the sandbox is AWS only")],
                   [finding_row(1, stack="b-dev-aws", severity="high")], outcome="failed")
    write_outputs(data, tmp_path)
    suite = ElementTree.parse(tmp_path / JUNIT).getroot().find("testsuite")
    cases = {(case.get("classname"), case.get("name")): case for case in suite.findall("testcase")}
    assert set(cases) == {(stack, stage) for stack in ("a-dev-aws", "b-dev-aws", "c-dev-gcp")
                          for stage in ("plan", "gate")}
    assert cases[("b-dev-aws", "gate")].find("failure") is not None
    assert cases[("a-dev-aws", "gate")].find("failure") is None
    assert cases[("c-dev-gcp", "plan")].find("skipped") is not None
    assert suite.get("failures") == "1"


def test_spec_diff_names_each_change_with_its_line_removed_things_first(tmp_path):
    base = load_spec_text(aws_spec("shop", "components:\n  files: {type: bucket}\n  jobs: {type: queue}\n"
                                            "  web: {type: bucket, versioned: false}\n"), "base.yaml")
    head = load_spec_text(aws_spec("shop", "compliance:\n  standards: [hipaa]\n  suppressions:\n"
                                            "    - {check: CKV_AWS_18, resource: web, reason: logs go elsewhere}\n"
                                            "components:\n  files: {type: bucket, public: true}\n"
                                            "  web: {type: bucket, versioned: false}\n"
                                            "overrides:\n  aws_s3_bucket.files: {force_destroy: true}\n"), "head.yaml")
    changes = [(c.kind, c.path, c.file, c.line) for c in diff_specs(base, head)]
    assert changes == [
        ("component_removed", "components.jobs", "base.yaml", 7),
        ("suppression_added", "compliance.suppressions.0", "head.yaml", 8),
        ("override_added", "overrides.aws_s3_bucket.files", "head.yaml", 13),
        ("standards_changed", "compliance.standards", "head.yaml", 6),
        ("setting_changed", "components.files.public", "head.yaml", 10),
    ]
    assert diff_specs(None, head) == [] and diff_specs(head, head) == []


def test_merge_joins_matrix_jobs_into_one_report_and_exits_as_the_worst(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, second = Path("reports/payments-dev-aws"), Path("reports/payments-prod-aws")
    write_outputs(summary([stack_row("payments-dev-aws", add=2)], []), first)
    write_outputs(summary([stack_row("payments-prod-aws", add=3, new_findings=1)],
                          [finding_row(1, stack="payments-prod-aws")], outcome="failed"), second)
    # the README's command, word for word
    result = CliRunner().invoke(cli, "ci merge reports/payments-dev-aws reports/payments-prod-aws".split())
    assert result.exit_code == 1, result.output
    merged = json.loads(Path("nexus-ci", SUMMARY).read_text())
    assert merged["totals"]["add"] == 5 and merged["outcome"] == "failed"
    assert [row["name"] for row in merged["stacks"]] == ["payments-dev-aws", "payments-prod-aws"]
    assert "| `payments-prod-aws` |" in Path("nexus-ci", REPORT).read_text()
    passed = CliRunner().invoke(cli, ["ci", "merge", str(first), "--report-dir", "one"])
    assert passed.exit_code == 0, passed.output
    missing = CliRunner().invoke(cli, ["ci", "merge", str(first), "reports/payments-stage-aws"])
    assert missing.exit_code == 2 and "reports/payments-stage-aws/summary.json: no such file" in missing.output
