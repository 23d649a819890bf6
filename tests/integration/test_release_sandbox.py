"""`nexus release` on the sandbox (moto server, real terraform): a canary step moves the ALB listener's weights (read
back with boto3), a rollback alarm put in ALARM through CloudWatch rolls the release back, and the README's
command releases an image to promotion; every step is a run listed as `release`. One sandbox and one project for
the module, recorded for the project so that `--sandbox` finds it."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import DeployOptions, project_state_dir, run
from cdktf_app.healing import RetryPolicy
from cdktf_app.release import ReleaseOptions, ReleaseRolledBack, StepRecord, release
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from cdktf_app.workspace import load
from tests.helpers import sandbox_aws, write_spec

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

# The README's example spec (readme-release.md).
SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  aws: {region: us-east-1}
environments: [dev]
compliance: {gate: critical}   # the sandbox has no certificate: the listener serves plain HTTP
components:
  network: {type: network, zones: 2, nat: false, flow_logs: false}
  web:
    type: service
    image: nginxinc/nginx-unprivileged:1.27-alpine
    health_check: /
    release:
      strategy: canary
      steps: [{percent: 10, bake: 0s}, 100]
      rollback_on: {error_rate: 5%, p99_latency: 800ms}
"""
STABLE = "nginxinc/nginx-unprivileged:1.27-alpine"
RELEASED = "nginxinc/nginx-unprivileged:1.28-alpine"
README_COMMAND = f"nexus release nexus.yaml --component web --image {RELEASED} --sandbox"
ERROR_ALARM = "shop-dev-web-error-rate"
# moto under load drops keep-alive connections: a transient failure gets retried
RETRY = RetryPolicy(max_attempts=3, base_seconds=1.0, max_backoff_seconds=4.0, max_total_seconds=120)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("release")
    write_spec(folder, SPEC)
    state_dir = project_state_dir(load(folder / "nexus.yaml"))
    sandbox = start_sandbox(state_dir, record=True)
    try:
        run(folder / "nexus.yaml", DeployOptions(sandbox_url=sandbox.url, auto_approve=True, retry=RETRY))
        yield folder, sandbox.url
    finally:
        stop_sandbox(state_dir, sandbox)


def listener_weights(url: str) -> dict[str, int]:
    """Target group name -> weight, as the ALB's listener forwards."""
    elb = sandbox_aws("elbv2", url, "us-east-1")
    balancer = elb.describe_load_balancers(Names=["shop-dev-web-lb"])["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"][0]
    groups = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    return {group["TargetGroupArn"].split("/")[-2]: group["Weight"] for group in groups}


def set_alarm(url: str, state: str) -> None:
    sandbox_aws("cloudwatch", url, "us-east-1").set_alarm_state(AlarmName=ERROR_ALARM, StateValue=state,
                                                                 StateReason=f"test: {state}")


def release_runs(folder: Path) -> list:
    with RunStore(runs_url(folder)) as store:
        return [run_ for run_ in reversed(store.list(limit=50)) if run_.command == "release"]


def test_a_breached_alarm_after_the_canary_step_rolls_it_back(project):
    folder, url = project
    assert listener_weights(url) == {"shop-dev-web-tg": 100, "shop-dev-web-next": 0}
    seen: list[tuple[StepRecord, dict]] = []

    def bake(step: StepRecord) -> None:  # the canary serves 10%; then its error rate breaches the threshold
        seen.append((step, listener_weights(url)))
        set_alarm(url, "ALARM")

    options = ReleaseOptions(component="web", image=RELEASED, bake=bake,
                             deploy=DeployOptions(sandbox_url=url, auto_approve=True, retry=RETRY))
    with pytest.raises(ReleaseRolledBack) as rolled_back:
        release(folder / "nexus.yaml", options)

    assert [(step.percent, weights) for step, weights in seen] == [
        (10, {"shop-dev-web-tg": 90, "shop-dev-web-next": 10})]
    result = rolled_back.value.result
    assert result.breached == [ERROR_ALARM] and result.outcome == "rolled back"
    assert [(s.action, s.percent, s.image) for s in result.steps] == [("step", 10, RELEASED),
                                                                      ("rollback", 0, STABLE)]
    assert listener_weights(url) == {"shop-dev-web-tg": 100, "shop-dev-web-next": 0}
    recorded = release_runs(folder)
    assert [r.id for r in recorded] == [s.run_id for s in result.steps]
    assert [r.phases[-1].phase for r in recorded] == [f"step 10% {RELEASED}", f"rollback 0% {STABLE}"]
    assert all(r.outcome == "succeeded" and r.sandbox for r in recorded)


def test_the_readme_command_releases_the_image_to_promotion(project):
    folder, url = project
    set_alarm(url, "OK")  # the previous test's breach is over
    before = len(release_runs(folder))
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(cli, README_COMMAND.split()[1:])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert f"web: promoted" in result.output
    assert listener_weights(url) == {"shop-dev-web-tg": 100, "shop-dev-web-next": 0}
    ecs = sandbox_aws("ecs", url, "us-east-1")
    service = ecs.describe_services(cluster="shop-dev-web", services=["shop-dev-web"])["services"][0]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["containerDefinitions"][0]["image"] == RELEASED
    steps = [r.phases[-1].phase for r in release_runs(folder)[before:]]
    assert steps == [f"step 10% {RELEASED}", f"step 100% {RELEASED}", f"promote 100% {RELEASED}"]
    state = json.loads((folder / ".nexus" / "releases" / "shop-dev-aws.web.json").read_text())
    assert state == {"next_image": RELEASED, "next_weight": 0, "stable_image": RELEASED}
