"""drift_in_plan on plan JSON: what changed outside Terraform, without data-source reads or computed churn."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from cdktf_app.drift import drift_in_plan

TAGS = {"nexus:component": "files", "owner": "team-a"}


def resource(address: str, expressions: list[str]) -> dict:
    kind, name = address.split(".")[-2:]
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "expressions": {key: {"constant_value": "x"} for key in expressions}}


def drifted(address: str, actions: list[str], before: dict | None, after: dict | None, mode="managed", **extra):
    kind = address.split(".")[-2].split("[")[0] if mode == "managed" else address.split(".")[1]
    return {"address": address, "mode": mode, "type": kind, "name": address.split(".")[-1],
            "change": {"actions": actions, "before": before, "after": after, **extra}}


GROUP_RULE = {"cidr_blocks": [], "description": "", "from_port": 22, "to_port": 22, "ipv6_cidr_blocks": [],
              "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": False}
# Rules managed as resources of their own appear in the group's `ingress` on the first refresh: not drift.
MANAGED_RULES = {"values": {"root_module": {"resources": [
    {"address": "aws_vpc_security_group_ingress_rule.lb_in", "mode": "managed",
     "type": "aws_vpc_security_group_ingress_rule",
     "values": {"security_group_id": "sg-1", "ip_protocol": "tcp", "from_port": 22, "to_port": 22,
                "cidr_ipv4": "10.0.0.0/16", "cidr_ipv6": None, "prefix_list_id": None,
                "referenced_security_group_id": None}},
    {"address": "aws_vpc_security_group_ingress_rule.from_tasks", "mode": "managed",
     "type": "aws_vpc_security_group_ingress_rule",
     "values": {"security_group_id": "sg-1", "ip_protocol": "6", "from_port": 8080, "to_port": 8080,
                "cidr_ipv4": None, "referenced_security_group_id": "123456789012/sg-2"}}]}}}

PLAN = {
    "prior_state": MANAGED_RULES,
    "format_version": "1.2",
    "configuration": {"root_module": {"resources": [
        resource("aws_s3_bucket.files", ["bucket", "tags"]),
        resource("aws_sqs_queue.jobs", ["name", "tags"]),
        resource("aws_security_group.lb_sg", ["name", "vpc_id", "tags"]),
        resource("aws_db_instance.db", ["password", "engine"]),
        resource("aws_subnet.private", ["cidr_block", "tags"]),
    ]}},
    "resource_drift": [
        drifted("aws_s3_bucket.files", ["update"],
                {"bucket": "b", "tags": TAGS, "tags_all": TAGS, "etag": "1"},
                {"bucket": "b", "tags": TAGS | {"owner": "someone"}, "tags_all": TAGS | {"owner": "someone"},
                 "etag": "2"}),
        drifted("aws_sqs_queue.jobs", ["delete"], {"name": "jobs", "tags": TAGS | {"nexus:component": "jobs"}},
                None),
        drifted("aws_security_group.lb_sg", ["update"], {"id": "sg-1", "name": "lb", "ingress": [], "tags": {}},
                {"id": "sg-1", "name": "lb", "ingress": [GROUP_RULE | {"cidr_blocks": ["0.0.0.0/0", "10.0.0.0/16"]},
                                                         GROUP_RULE | {"from_port": 8080, "to_port": 8080,
                                                                       "security_groups": ["sg-2"]}],
                 "tags": {}}),
        drifted("data.aws_caller_identity.current", ["update"], {"id": "1"}, {"id": "2"}, mode="data"),
        drifted("aws_db_instance.db", ["update"], {"password": "old-hunter2", "engine": "postgres"},
                {"password": "new-hunter2", "engine": "postgres"},
                before_sensitive={"password": True}, after_sensitive={"password": True}),
        drifted("aws_subnet.private[0]", ["update"], {"cidr_block": "10.0.0.0/24", "tags": {"a": "1"}},
                {"cidr_block": "10.0.0.0/24", "tags": {"a": "2"}}),
        drifted("aws_subnet.private[1]", ["update"], {"cidr_block": "10.0.0.0/24", "tags": {"a": "1"}},
                {"cidr_block": "10.0.0.0/24", "tags": {"a": "2"}}),
    ],
}


def by_address(plan: dict) -> dict:
    return {drift.address: drift for drift in drift_in_plan(plan)}


def test_a_tag_changed_outside_is_drift_and_its_computed_copies_are_not():
    bucket = by_address(PLAN)["aws_s3_bucket.files"]
    assert bucket.action == "update" and bucket.component == "files"
    assert bucket.attribute_names == ("tags",)       # tags_all and etag are computed churn
    assert bucket.attributes[0].before["owner"] == "team-a" and bucket.attributes[0].after["owner"] == "someone"


def test_a_resource_deleted_outside_is_drift():
    queue = by_address(PLAN)["aws_sqs_queue.jobs"]
    assert (queue.action, queue.component, queue.attributes) == ("delete", "jobs", ())


def test_ingress_added_to_a_group_whose_rules_are_separate_resources_is_drift():
    group = by_address(PLAN)["aws_security_group.lb_sg"]
    assert group.attribute_names == ("ingress",)
    assert group.attributes[0].before == []
    assert group.attributes[0].after == [{"protocol": "tcp", "from_port": 22, "to_port": 22, "source": "0.0.0.0/0"}]


def test_rules_the_state_manages_as_resources_are_not_drift_of_their_group():
    unmanaged = {key: value for key, value in PLAN.items() if key != "prior_state"}
    sources = [rule["source"] for rule in by_address(unmanaged)["aws_security_group.lb_sg"].attributes[0].after]
    assert sources == ["0.0.0.0/0", "10.0.0.0/16", "sg-2"]


def test_data_source_reads_are_not_drift():
    assert not [address for address in by_address(PLAN) if address.startswith("data.")]


def test_sensitive_values_are_redacted():
    database = by_address(PLAN)["aws_db_instance.db"]
    assert (database.attributes[0].before, database.attributes[0].after) == ("(sensitive)", "(sensitive)")
    assert "hunter2" not in repr(drift_in_plan(PLAN))


def test_identical_transitions_of_instances_are_one_entry():
    subnets = [drift for drift in drift_in_plan(PLAN) if drift.resource_type == "aws_subnet"]
    assert [drift.addresses for drift in subnets] == [("aws_subnet.private[0]", "aws_subnet.private[1]")]
    different = copy.deepcopy(PLAN)
    different["resource_drift"][-1]["change"]["after"]["tags"] = {"a": "3"}
    assert len([drift for drift in drift_in_plan(different) if drift.resource_type == "aws_subnet"]) == 2


def test_only_computed_churn_is_no_drift():
    churn = {"configuration": PLAN["configuration"], "resource_drift": [
        drifted("aws_s3_bucket.files", ["update"], {"bucket": "b", "etag": "1"}, {"bucket": "b", "etag": "2"})]}
    assert drift_in_plan(churn) == [] and drift_in_plan({"format_version": "1.2"}) == []


def test_the_result_is_sorted_and_serializable():
    drifts = drift_in_plan(PLAN)
    assert [drift.address for drift in drifts] == sorted(drift.address for drift in drifts)
    assert drifts[0].to_dict()["addresses"] == [drifts[0].address]


FIXTURES = Path(__file__).parent.parent / "fixtures" / "terraform-drift"


def real_plan(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_a_real_refresh_right_after_a_deploy_is_no_drift():
    """The first refresh fills computed attributes and shows rule resources in their groups: none is drift."""
    plan = real_plan("in-sync.json")
    assert plan["resource_drift"] and drift_in_plan(plan) == []


def test_a_real_refresh_after_four_changes_outside_terraform_reports_exactly_those_four():
    drifts = {drift.address: drift for drift in drift_in_plan(real_plan("drifted.json"))}
    assert {address: (drift.action, drift.attribute_names, drift.component) for address, drift in drifts.items()} == {
        "aws_s3_bucket.files": ("update", ("tags",), "files"),
        "aws_s3_bucket_server_side_encryption_configuration.files_encryption": ("delete", (), None),  # no tags
        "aws_security_group.api_lb_sg": ("update", ("ingress",), "api"),
        "aws_sqs_queue.jobs": ("delete", (), "jobs")}
    assert drifts["aws_s3_bucket.files"].attributes[0].after["owner"] == "team-b"
    assert drifts["aws_security_group.api_lb_sg"].attributes[0].after == [
        {"protocol": "tcp", "from_port": 22, "to_port": 22, "source": "0.0.0.0/0"}]
