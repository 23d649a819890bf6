"""Resources moto cannot create are left out of a sandbox run by `count = 0` in the sandbox override and named,
and only when nothing else refers to them."""
from __future__ import annotations

import pytest

from cdktf_app.errors import UsageError
from cdktf_app.sandbox import sandbox_gaps
from cdktf_app.sandbox.provider import sandbox_override

STACK = {
    "provider": {"aws": [{"region": "us-west-2"}, {"alias": "primary", "region": "us-east-1"}]},
    "resource": {
        "aws_dynamodb_table_replica": {"orders": {"global_table_arn": "arn:aws:dynamodb:us-east-1:1:table/t"}},
        "aws_backup_selection": {"dr_backup_selection": {"plan_id": "${aws_backup_plan.dr_backup_plan.id}"}},
        "aws_backup_plan": {"dr_backup_plan": {"name": "p"}},
    },
}


def test_what_moto_lacks_is_left_out_by_count_and_named():
    assert [address for address, _ in sandbox_gaps(STACK)] == ["aws_backup_selection.dr_backup_selection",
                                                               "aws_dynamodb_table_replica.orders"]
    override = sandbox_override(STACK, "http://127.0.0.1:5000", "local.tfstate")
    assert override["resource"] == {"aws_backup_selection": {"dr_backup_selection": {"count": 0}},
                                    "aws_dynamodb_table_replica": {"orders": {"count": 0}}}
    assert "aws_backup_plan" not in override["resource"]


def test_a_gap_another_resource_refers_to_is_refused():
    referring = {**STACK, "resource": {**STACK["resource"], "aws_ssm_parameter": {
        "replica": {"value": "${aws_dynamodb_table_replica.orders.arn}"}}}}
    with pytest.raises(UsageError, match="cannot leave out aws_dynamodb_table_replica.orders"):
        sandbox_override(referring, "http://127.0.0.1:5000", "local.tfstate")
