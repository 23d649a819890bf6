"""The states a drift is scored on: as the cloud holds it now and as Terraform last recorded it (real plans)."""
from __future__ import annotations

from cdktf_app.drift import drift_in_plan
from cdktf_app.drift.scoring import drift_severity, recorded_plan, refreshed_plan
from tests.helpers import make_finding
from tests.unit.test_drift_changes import real_plan

ENCRYPTION = "aws_s3_bucket_server_side_encryption_configuration.files_encryption"


def planned(plan: dict) -> dict:
    return {resource["address"]: resource["values"] for resource in plan["planned_values"]["root_module"]["resources"]}


def test_now_a_deleted_setting_reads_as_turned_off_and_a_deleted_resource_is_gone():
    now = planned(refreshed_plan(real_plan("drifted.json")))
    assert now[ENCRYPTION] == {"bucket": "drift-dev-files", "expected_bucket_owner": "",
                               "id": "drift-dev-files"}          # no rule: encryption off
    assert "aws_sqs_queue.jobs" not in now
    assert now["aws_s3_bucket.files"]["tags"]["owner"] == "team-b"


def test_as_recorded_every_drifted_resource_has_its_last_recorded_values():
    recorded = planned(recorded_plan(real_plan("drifted.json")))
    assert recorded[ENCRYPTION]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert recorded["aws_sqs_queue.jobs"]["name"] == "drift-dev-jobs"
    assert recorded["aws_s3_bucket.files"]["tags"]["owner"] == "team-a"


def test_severity_is_that_of_the_worst_broken_check_and_tag_only_drift_is_low():
    drifts = {drift.address: drift for drift in drift_in_plan(real_plan("drifted.json"))}
    broken = [make_finding("CKV_AWS_19", "aws_s3_bucket.files", severity="high"),
              make_finding("CKV_AWS_145", "aws_s3_bucket.files", severity="low")]
    assert drift_severity(drifts[ENCRYPTION], broken) == "high"
    tags_broken = [make_finding("NEXUS_AWS_REQUIRED_TAGS", "aws_s3_bucket.files", severity="medium")]
    assert drift_severity(drifts["aws_s3_bucket.files"], tags_broken) == "low"
    assert drift_severity(drifts["aws_sqs_queue.jobs"], []) == "medium"
    assert drift_severity(drifts["aws_security_group.api_lb_sg"], []) == "low"
