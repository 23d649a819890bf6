"""`nexus cost` prices a release's doubled capacity: the second ECS service of a canary or blue_green service
runs its copies only during release steps, `cost.release_hours_per_month` hours a month, not all month."""
from __future__ import annotations

from tests.unit.test_cost_rules import charges, priced

TASK = {"cpu": "512", "memory": "1024"}
RELEASED = {
    "aws_ecs_task_definition": {"task": TASK, "task_next": TASK},
    "aws_ecs_service": {
        "web": {"desired_count": 2, "task_definition": "${aws_ecs_task_definition.task.arn}"},
        "web_next": {"desired_count": "${var.web_next_weight > 0 ? 2 : 0}",
                     "task_definition": "${aws_ecs_task_definition.task_next.arn}"}},
}


def test_the_released_version_is_priced_for_the_release_hours_only():
    """Fargate us-east-1: $0.04048 per vCPU-hour, $0.004445 per GB-hour; 2 tasks x 0.5 vCPU x 1 GB."""
    result = priced(RELEASED, release_hours_per_month=10)
    assert charges(result, "aws_ecs_service.web_next") == {"fargate_vcpu": round(2 * 0.5 * 0.04048 * 10, 4),
                                                           "fargate_memory": round(2 * 1 * 0.004445 * 10, 4)}
    assert charges(result, "aws_ecs_service.web") == {"fargate_vcpu": round(2 * 0.5 * 0.04048 * 730, 4),
                                                      "fargate_memory": round(2 * 1 * 0.004445 * 730, 4)}
    line = result.line("aws_ecs_service.web_next")
    assert all("during release steps (10 h/month)" in charge.description for charge in line.charges)
    assert not result.unpriced


def test_no_release_hours_prices_the_released_version_at_nothing():
    result = priced(RELEASED, release_hours_per_month=0)
    assert sum(charges(result, "aws_ecs_service.web_next").values()) == 0
