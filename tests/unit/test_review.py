"""`nexus review` offline: the roles as deterministic rule sets over a plan-and-check summary, the consensus
rule, explanations from roles.yaml's templates, the CLI's usage errors, and the review section of the PR report
(which never changes the gate's outcome). The model side is tests/integration/test_review_model.py."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from click.testing import CliRunner
from jsonschema import Draft202012Validator

from cdktf_app.ci.matrix import merge
from cdktf_app.ci.outputs import write_outputs
from cdktf_app.ci.report import render_report
from cdktf_app.cli.main import cli
from cdktf_app.review import ReviewOptions, review
from cdktf_app.review.answers import roles_data
from cdktf_app.review.consensus import RULE

FIXTURE = Path(__file__).parent.parent / "fixtures" / "review"
SUMMARY = json.loads((FIXTURE / "summary.json").read_text())
SCHEMA = json.loads((Path(__file__).parent.parent.parent / "cdktf_app" / "review" / "review.schema.json").read_text())
OFFLINE = ReviewOptions(offline=True)


def roles(result) -> dict:
    return {answer.role: answer for answer in result.roles}


def quiet_summary() -> dict:
    """A change that adds one priced-at-nothing resource and nothing else."""
    summary = copy.deepcopy(SUMMARY)
    summary.update(outcome="passed", spec_changes=[], findings=[], cost={"delta_monthly": 0.0, "partial": False},
                   totals={"add": 1, "change": 0, "destroy": 0, "new_findings_at_gate": 0, "findings": 0})
    summary["stacks"][0].update(add=1, change=0, destroy=0, deleted=[], cost_delta_monthly=0.0, drift=[],
                                new_findings=0, findings=0)
    return summary


def test_the_rule_sets_block_on_a_new_finding_at_the_gate_and_a_deleted_database_only():
    result = review(SUMMARY, OFFLINE)
    by_role = roles(result)
    assert {name: answer.verdict for name, answer in by_role.items()} == {
        "security": "block", "cost": "comment", "reliability": "block", "release": "comment", "operations": "comment"}
    security = by_role["security"].concerns
    # the low finding the base already had is not the change's
    assert [(item.resource, item.spec_line, item.severity) for item in security] == [
        ("shop-dev-aws/aws_s3_bucket.files", "nexus.yaml:8", "high")]
    reliability = {item.resource or item.spec_line: item.severity for item in by_role["reliability"].concerns}
    assert reliability == {"shop-dev-aws/aws_sqs_queue.jobs": "medium", "shop-dev-aws/aws_db_instance.db": "high",
                           "nexus.yaml:11": "medium"}
    assert result.consensus.verdict == "block" and result.consensus.confidence == 0.36
    assert result.offline and result.source == "rule sets (offline: --offline)"


def test_explanations_are_roles_yaml_templates_filled_in():
    database = next(item for item in roles(review(SUMMARY, OFFLINE))["reliability"].concerns
                    if item.resource.endswith("aws_db_instance.db"))
    template = roles_data()["reliability"]["explanations"]["stateful-destroyed"]
    assert database.explanation == " ".join(template.format(resource=database.resource, detail="deleted").split())
    assert database.explanation.startswith("shop-dev-aws/aws_db_instance.db is deleted by this change. It holds data")


def test_every_kind_of_concern_has_a_template():
    summary = copy.deepcopy(SUMMARY)
    summary["spec_changes"] += [
        {"kind": kind, "path": path, "file": "nexus.yaml", "line": 30 + index, "detail": "x"}
        for index, (kind, path) in enumerate([("suppression_added", "compliance.suppressions.0"),
                                              ("override_added", "overrides.aws_s3_bucket.files"),
                                              ("environments_changed", "environments")])]
    summary["stacks"] += [dict(summary["stacks"][0], name="shop-prod-aws", status="removed", note="in the base only",
                               add=60, deleted=[], drift=[]),
                          dict(summary["stacks"][0], name="shop-dev-gcp", status="not-planned", deleted=[], drift=[])]
    summary.update(cost={"delta_monthly": 4000.0, "partial": True}, remediated=["components.files.encrypted: true"],
                   expired_suppressions=["CKV_AWS_18 on files expired 2026-01-01"])
    result = review(summary, OFFLINE)
    verdicts = {answer.role: answer.verdict for answer in result.roles}
    assert verdicts == {"security": "block", "cost": "block", "reliability": "block", "release": "block",
                        "operations": "block"}
    assert {answer.role: len(answer.concerns) for answer in result.roles} == {
        "security": 3, "cost": 5, "reliability": 3, "release": 5, "operations": 3}
    explained = [item.explanation for answer in result.roles for item in answer.concerns]
    assert all(text and "{" not in text for text in explained)
    assert result.consensus.disagreements == [] and result.consensus.confidence == 0.9


def test_a_quiet_change_is_approved_by_every_role_without_disagreement():
    result = review(quiet_summary(), OFFLINE)
    assert [answer.verdict for answer in result.roles] == ["approve"] * 5
    assert result.consensus.as_dict() == {"verdict": "approve", "confidence": 0.8, "rule": RULE, "agreements": [],
                                          "disagreements": []}


def test_the_review_leaves_the_summary_it_reads_as_it_was():
    summary = copy.deepcopy(SUMMARY)
    review(summary, OFFLINE)
    assert summary == SUMMARY


def test_the_pr_report_shows_the_review_after_the_findings_and_keeps_the_gates_outcome():
    summary = copy.deepcopy(SUMMARY)
    without = render_report(summary)
    summary["review"] = review(SUMMARY, OFFLINE).as_dict()
    report = render_report(summary)
    assert "### Review: ⛔ block (confidence 0.36)" not in without
    assert report.index("### Introduced by this change") < report.index("### Review: ⛔ block (confidence 0.36)") \
        < report.index("<details>")
    assert report.startswith("## Nexus plan-and-check: ❌ failed")
    assert report.replace(report[report.index("### Review:"):report.index("<details>")], "") == without


def test_cli_json_is_the_one_schema_and_roles_can_be_chosen():
    result = CliRunner().invoke(cli, ["review", str(FIXTURE), "--offline", "--roles", "reliability,security",
                                      "--output", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    Draft202012Validator(SCHEMA).validate(document)
    assert [role["role"] for role in document["roles"]] == ["reliability", "security"]
    assert document["change"] == {"spec": "nexus.yaml", "outcome": "failed", "add": 3, "change": 2, "destroy": 2,
                                  "findings": 2, "spec_changes": 3, "cost_delta_monthly": 42.5}


def test_cli_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    unknown = runner.invoke(cli, ["review", str(FIXTURE), "--roles", "security,legal"])
    assert unknown.exit_code == 2 and "unknown role(s) legal" in unknown.output
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    alone = runner.invoke(cli, ["review", str(plan)])
    assert alone.exit_code == 2 and "run `nexus ci plan-and-check`" in alone.output
    missing = runner.invoke(cli, ["review", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    not_summary = tmp_path / "folder"
    not_summary.mkdir()
    (not_summary / "summary.json").write_text('{"schema": "other"}')
    wrong = runner.invoke(cli, ["review", str(not_summary / "summary.json")])
    assert wrong.exit_code == 2 and "not a nexus ci summary" in wrong.output


def test_merging_matrix_jobs_drops_their_partial_reviews_and_the_merged_folder_is_reviewed_whole(tmp_path):
    jobs = []
    for name in ("shop-dev-aws", "shop-dev-gcp"):
        summary = copy.deepcopy(SUMMARY)
        summary["stacks"] = [dict(summary["stacks"][0], name=name)]
        summary["review"] = review(summary, OFFLINE).as_dict()
        write_outputs(summary, tmp_path / name)
        jobs.append(tmp_path / name)

    merged = merge(jobs, tmp_path / "merged")

    assert "review" not in merged and "### Review:" not in (tmp_path / "merged" / "report.md").read_text()
    whole = CliRunner().invoke(cli, ["review", str(tmp_path / "merged"), "--offline", "--output", "json"])
    assert whole.exit_code == 0, whole.output
    cost = next(role for role in json.loads(whole.stdout)["roles"] if role["role"] == "cost")
    assert [concern["resource"] for concern in cost["concerns"]] == ["shop-dev-aws", "shop-dev-gcp"]
