"""A 2,000-resource change through `nexus ci plan-and-check` on the sandbox: 250 buckets (about 2,000
resources) all made public at once. The report still fits one GitHub comment and the SARIF file stays within what
code scanning accepts, while summary.json keeps every finding."""
from __future__ import annotations

import json

import pytest

from cdktf_app.ci.outputs import REPORT, SARIF, SUMMARY
from cdktf_app.ci.plan_and_check import CiOptions, plan_and_check
from cdktf_app.ci.report import LIMIT
from cdktf_app.ci.sarif import GITHUB_MAX_BYTES
from cdktf_app.healing import RetryPolicy
from tests.helpers import aws_spec, write_spec

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

BUCKETS = 250


def buckets_spec(public: bool) -> str:
    return aws_spec("wide", "environments: [dev]\ncomponents:\n" + "".join(
        f"  b{index:03d}: {{type: bucket, public: {str(public).lower()}}}\n" for index in range(BUCKETS)))


def test_a_2000_resource_change_fits_one_comment_and_githubs_sarif_limits(tmp_path, sandbox):
    base = write_spec(tmp_path, buckets_spec(public=False), "base.yaml")
    head = write_spec(tmp_path, buckets_spec(public=True))
    result = plan_and_check(head, CiOptions(base=base, sandbox_url=sandbox.url, report_dir=tmp_path / "nexus-ci",
                                            retry=RetryPolicy(max_attempts=2, base_seconds=1.0)))
    summary = result.summary
    assert result.exit_code == 1 and summary["totals"]["add"] >= 2000
    assert len(summary["spec_changes"]) == BUCKETS
    new = [row for row in summary["findings"] if row["new"] and not row["suppressed"]]
    assert len(new) >= BUCKETS
    report = (tmp_path / "nexus-ci" / REPORT).read_text(encoding="utf-8")
    assert len(report) <= LIMIT and result.report_markdown == report
    assert report.startswith("## Nexus plan-and-check: ❌ failed") and "more in summary.json" in report
    sarif_text = (tmp_path / "nexus-ci" / SARIF).read_text(encoding="utf-8")
    sarif = json.loads(sarif_text)
    assert len(sarif_text.encode()) <= GITHUB_MAX_BYTES and len(sarif["runs"]) == 1
    results = sarif["runs"][0]["results"]
    assert len(results) == len(summary["findings"]) <= 25_000
    assert all(item["partialFingerprints"]["nexusFinding/v1"] for item in results)
    assert len({item["partialFingerprints"]["nexusFinding/v1"] for item in results}) == len(results)
    assert json.loads((tmp_path / "nexus-ci" / SUMMARY).read_text())["totals"] == summary["totals"]
