"""What a service's `release:` compiles to on each cloud: the traffic split driven by Terraform variables (AWS two
target groups behind a weighted listener and a second ECS service; GCP Cloud Run traffic to named revisions;
Azure multiple revisions with traffic weights) and rollback_on as each cloud's alarms. The AWS stack passes
terraform validate; a service without `release:` keeps its single target group and no variables."""
from __future__ import annotations

import pytest

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.compliance import check
from cdktf_app.tools.terraform import validate_stack
from tests.conftest import synthesized_text
from tests.helpers import load_stack

SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  aws: {region: us-east-1}
  gcp: {project: acme-shop-1, region: europe-west1}
  azure: {location: westeurope}
environments: [dev]
components:
  web:
    type: service
    image: nginxinc/nginx-unprivileged:1.27-alpine
    release:
      strategy: canary
      steps: [10, 50, 100]
      rollback_on: {error_rate: 5%, p99_latency: 800ms}
  plain:
    type: service
    provider: aws
    image: nginxinc/nginx-unprivileged:1.27-alpine
  rolled:
    type: service
    provider: aws
    image: nginxinc/nginx-unprivileged:1.27-alpine
    release: {strategy: rolling, rollback_on: {error_rate: 2%}}
"""
IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    return synthesized_text(tmp_path_factory, "release-synth", SPEC)


@pytest.fixture(scope="module")
def aws(synthesized):
    return load_stack(synthesized.stack_json("shop-dev-aws"))


def test_the_release_variables_default_to_the_spec_image_and_no_shifted_traffic(aws):
    variables = aws["variable"]
    assert variables["web_image"]["default"] == variables["web_next_image"]["default"] == IMAGE
    assert variables["web_next_weight"]["default"] == 0
    assert "plain_image" not in variables


def test_aws_listener_splits_traffic_between_two_target_groups_by_the_weight_variable(aws):
    resources = aws["resource"]
    action = resources["aws_lb_listener"]["web_http"]["default_action"][0]
    assert action["forward"]["target_group"] == [
        {"arn": "${aws_lb_target_group.web_targets.arn}", "weight": "${100 - var.web_next_weight}"},
        {"arn": "${aws_lb_target_group.web_targets_next.arn}", "weight": "${var.web_next_weight}"}]
    released = resources["aws_ecs_service"]["web_next"]
    assert released["load_balancer"][0]["target_group_arn"] == "${aws_lb_target_group.web_targets_next.arn}"
    assert released["desired_count"] == "${var.web_next_weight > 0 ? 1 : 0}"
    assert '"image": "${var.web_next_image}"' in resources["aws_ecs_task_definition"]["web_task_next"][
        "container_definitions"]
    assert '"image": "${var.web_image}"' in resources["aws_ecs_task_definition"]["web_task"]["container_definitions"]
    plain = resources["aws_lb_listener"]["plain_http"]["default_action"][0]
    assert plain == {"type": "forward", "target_group_arn": "${aws_lb_target_group.plain_targets.arn}"}
    assert "plain_next" not in resources["aws_ecs_service"]


def test_aws_rollback_on_becomes_cloudwatch_alarms_on_the_released_target_group(aws):
    alarms = aws["resource"]["aws_cloudwatch_metric_alarm"]
    errors, latency = alarms["web_rollback_error_rate"], alarms["web_rollback_p99_latency"]
    assert errors["threshold"] == 5 and errors["metric_query"][2]["expression"] == "100 * errors / requests"
    assert errors["metric_query"][0]["metric"]["dimensions"]["TargetGroup"] == \
        "${aws_lb_target_group.web_targets_next.arn_suffix}"
    assert (latency["extended_statistic"], latency["threshold"]) == ("p99", 0.8)


def test_a_rolling_release_puts_its_alarms_on_the_ecs_deployment(aws):
    resources = aws["resource"]
    alarm = resources["aws_cloudwatch_metric_alarm"]["rolled_rollback_error_rate"]
    assert alarm["metric_query"][0]["metric"]["dimensions"]["TargetGroup"] == \
        "${aws_lb_target_group.rolled_targets.arn_suffix}"
    assert resources["aws_ecs_service"]["rolled"]["alarms"] == {
        "alarm_names": ["${aws_cloudwatch_metric_alarm.rolled_rollback_error_rate.alarm_name}"], "enable": True,
        "rollback": True}
    assert "rolled_next" not in resources["aws_ecs_service"] and "rolled_image" not in aws["variable"]


@pytest.mark.terraform
def test_terraform_validate_accepts_the_aws_release(synthesized, terraform_cli_config):
    outcome = validate_stack(synthesized.stack_dir("shop-dev-aws"), terraform_cli_config)
    assert outcome.ok, outcome.output


def test_gcp_cloud_run_traffic_goes_to_the_stable_revision_and_the_latest(synthesized):
    resources = load_stack(synthesized.stack_json("shop-dev-gcp"))["resource"]
    service = resources["google_cloud_run_v2_service"]["web"]
    assert service["template"]["revision"] == "shop-dev-web-${substr(sha1(var.web_next_image), 0, 8)}"
    assert service["template"]["containers"][0]["image"] == "${var.web_next_image}"
    assert service["traffic"] == [
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "percent": "${100 - var.web_next_weight}",
         "revision": "shop-dev-web-${substr(sha1(var.web_image), 0, 8)}"},
        {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": "${var.web_next_weight}"}]
    policies = resources["google_monitoring_alert_policy"]
    ratio = policies["web_rollback_error_rate"]["conditions"][0]["condition_threshold"]
    assert ratio["threshold_value"] == 0.05 and 'response_code_class="5xx"' in ratio["filter"]
    assert "denominator_filter" in ratio
    latency = policies["web_rollback_p99_latency"]["conditions"][0]["condition_threshold"]
    assert latency["aggregations"][0]["per_series_aligner"] == "ALIGN_PERCENTILE_99"


def test_azure_container_app_runs_multiple_revisions_weighted_by_the_variable(synthesized):
    resources = load_stack(synthesized.stack_json("shop-dev-azure"))["resource"]
    app = resources["azurerm_container_app"]["web"]
    assert app["revision_mode"] == "Multiple"
    assert app["template"]["revision_suffix"] == "${substr(sha1(var.web_next_image), 0, 8)}"
    assert app["ingress"]["traffic_weight"] == [
        {"revision_suffix": "${substr(sha1(var.web_image), 0, 8)}", "percentage": "${100 - var.web_next_weight}"},
        {"latest_revision": True, "percentage": "${var.web_next_weight}"}]
    alerts = resources["azurerm_monitor_metric_alert"]
    assert alerts["web_rollback_error_rate"]["criteria"][0]["dimension"][0]["values"] == ["5xx"]
    assert alerts["web_rollback_p99_latency"]["criteria"][0]["metric_name"] == "ResponseTime"


@pytest.mark.slow
@pytest.mark.terraform
def test_fintech_with_a_canary_release_synthesizes_validates_and_passes_its_gate(tmp_path_factory,
                                                                                 terraform_cli_config,
                                                                                 checkov_worker):
    text = render_blueprint("fintech", {})
    web = "    health_check: /\n    network: network\n\n  # API tier"
    assert web in text
    text = text.replace(web, web.replace("\n\n", "\n    release: {strategy: canary}\n\n"))
    out = synthesized_text(tmp_path_factory, "fintech-release", text)
    aws_stacks = [stack for stack in out.stacks if stack.provider == "aws"]
    assert aws_stacks
    for stack in aws_stacks:
        listener = load_stack(out.stack_json(stack.name))["resource"]["aws_lb_listener"]["web_http"]
        assert len(listener["default_action"][0]["forward"]["target_group"]) == 2
        outcome = validate_stack(out.stack_dir(stack.name), terraform_cli_config)
        assert outcome.ok, outcome.output
    report = check(out.out_dir, worker=checkov_worker)
    assert report.passed_count > 0, "checkov ran"
    gate = out.loaded.spec.compliance.gate
    assert report.blocking(gate) == [], [(f.check_id, f.address) for f in report.blocking(gate)]
