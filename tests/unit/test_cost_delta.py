"""The cost impact a deploy records: a plan priced against its prior state, with the spec's usage assumptions."""
from __future__ import annotations

import pytest

from cdktf_app.cost import load_catalogue
from cdktf_app.deploy.cost_delta import plan_cost_delta
from cdktf_app.spec.model import CostAssumptions

BUCKET = {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b",
          "values": {"bucket": "x"}}
PLAN = {"format_version": "1.2",
        "planned_values": {"root_module": {"resources": [BUCKET]}},
        "resource_changes": [{**{k: BUCKET[k] for k in ("address", "mode", "type", "name")},
                              "change": {"actions": ["create"], "after": BUCKET["values"]}}],
        "configuration": {"provider_config": {"aws": {"name": "aws",
                                                      "expressions": {"region": {"constant_value": "us-east-1"}}}}}}


def test_a_new_bucket_costs_its_assumed_storage_at_the_catalogue_price():
    gb_month = load_catalogue().price("aws", "s3_standard", "us-east-1", None).amount
    assert plan_cost_delta("app-dev-aws", PLAN) == pytest.approx(CostAssumptions().storage_gb * gb_month)
    assert plan_cost_delta("app-dev-aws", PLAN, CostAssumptions(storage_gb=1000)) == pytest.approx(1000 * gb_month)


def test_a_plan_the_cost_model_cannot_read_leaves_the_delta_unknown():
    assert plan_cost_delta("app-dev-aws", {"prior_state": {"values": "not a module"}}) is None
