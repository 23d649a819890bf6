"""The AWS stack of a spec using every component type: real terraform validate, provenance, escaping, overrides."""
from __future__ import annotations

import json

import pytest

from cdktf_app.kit.provenance import Provenance
from cdktf_app.tools.terraform import validate_stack
from tests.helpers import declared_addresses, load_stack, referenced_addresses, strings_in


@pytest.fixture(scope="module")
def stack(aws_all):
    return load_stack(aws_all.stack_json("shop-dev-aws"))


@pytest.mark.terraform
def test_terraform_validate_accepts_the_stack(aws_all, terraform_cli_config):
    outcome = validate_stack(aws_all.stack_dir("shop-dev-aws"), terraform_cli_config)
    assert outcome.ok, outcome.output
    assert "The configuration is valid" in outcome.output


def test_every_component_maps_to_its_idiomatic_resources(stack):
    resources = stack["resource"]
    expected = {
        "network": "aws_vpc", "web": "aws_ecs_service", "vms": "aws_autoscaling_group", "k8s": "aws_eks_cluster",
        "db": "aws_db_instance", "cache": "aws_elasticache_replication_group", "assets": "aws_s3_bucket",
        "events": "aws_sqs_queue", "news": "aws_sns_topic", "worker": "aws_lambda_function",
        "cdn": "aws_cloudfront_distribution", "docs": "aws_dynamodb_table",
    }
    for component, resource_type in expected.items():
        assert component in resources[resource_type], f"{component} has no {resource_type}"


def test_secure_defaults(stack):
    resources = stack["resource"]
    db = resources["aws_db_instance"]["db"]
    assert db["storage_encrypted"] is True and db["publicly_accessible"] is False
    assert db["multi_az"] is True and db["deletion_protection"] is True and db["backup_retention_period"] == 7
    assert db["manage_master_user_password"] is True and "password" not in db
    public_access = resources["aws_s3_bucket_public_access_block"]["assets_public_access"]
    assert all(public_access[key] is True for key in ("block_public_acls", "block_public_policy",
                                                       "ignore_public_acls", "restrict_public_buckets"))
    encryption = resources["aws_s3_bucket_server_side_encryption_configuration"]["assets_encryption"]
    assert encryption["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert resources["aws_kms_key"]["stack_key"]["enable_key_rotation"] is True
    assert resources["aws_flow_log"]["network_flow_logs"]["traffic_type"] == "ALL"
    cache = resources["aws_elasticache_replication_group"]["cache"]
    assert cache["transit_encryption_enabled"] is True and cache["at_rest_encryption_enabled"] == "true"
    for kind, block in resources.items():
        for name, body in block.items():
            if "tags" in body and kind != "aws_autoscaling_group":
                assert body["tags"]["nexus:spec"] == "shop", f"{kind}.{name} is not tagged"


def test_scaling_bounds_reach_the_autoscaler(stack):
    target = stack["resource"]["aws_appautoscaling_target"]["web_scaling"]
    assert (target["min_capacity"], target["max_capacity"]) == (5, 20)
    assert stack["resource"]["aws_ecs_service"]["web"]["desired_count"] == 5


def test_references_resolve_within_the_stack(stack):
    missing = referenced_addresses(stack) - declared_addresses(stack)
    assert not missing, f"dangling references: {sorted(missing)}"


def test_provenance_covers_every_resource_with_its_spec_line(aws_all, stack):
    provenance = Provenance.read(aws_all.out_dir)
    declared = {address for address in declared_addresses(stack) if not address.startswith("var.")}
    assert declared == set(provenance.addresses("shop-dev-aws"))
    spec_lines = (aws_all.out_dir.parent / "nexus.yaml").read_text().splitlines()
    origin = provenance.lookup("aws_db_instance.db", "shop-dev-aws")
    assert origin.spec_path == "components.db" and spec_lines[origin.line - 1].lstrip().startswith("db:")
    origin = provenance.lookup("aws_lambda_function.worker")
    assert spec_lines[origin.line - 1].lstrip().startswith("worker:")
    assert provenance.lookup("aws_kms_key.stack_key").spec_path == "providers.aws"


def test_spec_text_never_becomes_a_terraform_expression(stack):
    texts = strings_in(stack)
    assert any('$${file("/etc/passwd")}' in text for text in texts)
    assert not any('${file("/etc/passwd")}' in text.replace("$${", "") for text in texts)
    container = json.loads(stack["resource"]["aws_ecs_task_definition"]["web_task"]["container_definitions"])
    assert container[0]["environment"] == [{"name": "MODE", "value": "%%{x}"}]


def test_overrides_are_applied_and_recorded(aws_all, stack):
    assert stack["resource"]["aws_s3_bucket"]["assets"]["force_destroy"] is True
    manifest = json.loads((aws_all.out_dir / "nexus.json").read_text())
    assert manifest["overrides"] == [{"address": "aws_s3_bucket.assets", "keys": ["force_destroy"], "line": 28}]
    assert Provenance.read(aws_all.out_dir).lookup("aws_s3_bucket.assets").overridden == ("force_destroy",)


def test_provider_constraint_admits_the_offline_mirror(stack):
    assert stack["terraform"]["required_providers"]["aws"]["version"] == ">= 5.100, < 7.0"
    assert stack["terraform"]["backend"]["local"]["path"] == "terraform.shop-dev-aws.tfstate"


def test_function_code_is_packaged_beside_the_stack(aws_all, stack):
    function = stack["resource"]["aws_lambda_function"]["worker"]
    archive = aws_all.stack_dir("shop-dev-aws") / function["filename"]
    assert archive.is_file() and archive.stat().st_size > 0


def test_monitoring_alarms_on_every_watchable_component(stack):
    alarms = stack["resource"]["aws_cloudwatch_metric_alarm"]
    assert set(alarms) == {f"alerts_alarm_{name}" for name in ("web", "db", "cache", "events", "worker", "notifier")}
    assert alarms["alerts_alarm_db"]["dimensions"] == {"DBInstanceIdentifier": "${aws_db_instance.db.identifier}"}
    assert stack["resource"]["aws_sns_topic_subscription"]["alerts_email"]["endpoint"] == "ops@example.com"


def test_cloudfront_waf_logs_outside_us_east_1_use_the_stacks_key_there(stack):
    resources = stack["resource"]
    logs = resources["aws_cloudwatch_log_group"]["cdn_waf_logs"]
    key = resources["aws_kms_key"]["stack_key_us_east_1"]
    assert logs["provider"] == key["provider"] == "aws.us_east_1"
    assert logs["kms_key_id"] == "${aws_kms_key.stack_key_us_east_1.arn}"
    assert '"Service" = "logs.us-east-1.amazonaws.com"' in key["policy"] and key["enable_key_rotation"] is True
    assert resources["aws_kms_alias"]["stack_key_alias_us_east_1"]["provider"] == "aws.us_east_1"
