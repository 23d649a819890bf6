"""Cost of every blueprint against the catalogue read independently; doubling a service's `min` raises the
estimate by exactly the extra tasks' price; --compare shows that delta."""
from __future__ import annotations

import functools
import json

import pytest
import yaml
from click.testing import CliRunner

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.cost import compare, estimate
from cdktf_app.cost.catalogue import CATALOGUE_DIR
from cdktf_app.stacks.synth import synth
from tests.helpers import load_stack

BLUEPRINTS = [blueprint.name for blueprint in list_blueprints()]
HOURS = 730


@functools.cache
def catalogue_file(cloud: str) -> dict:
    return yaml.safe_load((CATALOGUE_DIR / f"{cloud}.yaml").read_text(encoding="utf-8"))


def catalogue_price(cloud: str, key: str, region: str, sku: str | None) -> float:
    """The number written in the catalogue file, looked up without the library."""
    entry = catalogue_file(cloud)["prices"][key]
    table = entry["skus"][sku] if sku else entry["regions"]
    value = table[region]
    return value["amount"] if isinstance(value, dict) else value


@pytest.fixture(scope="module")
def estimates(blueprint_out_dirs):
    return {name: estimate(blueprint_out_dirs[name]) for name in BLUEPRINTS}


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_every_charge_is_quantity_times_the_catalogue_price(estimates, blueprint_out_dirs, name):
    result = estimates[name]
    assert result.total_monthly > 0
    for line in result.lines:
        for charge in line.charges:
            price = charge.price
            assert price.amount == catalogue_price(price.cloud, price.key, price.region, price.sku)
            assert price.source.startswith("https://") and bool(price.verified) != price.derived
        assert line.monthly == round(sum(charge.quantity * charge.price.amount for charge in line.charges), 2)
    assert result.total_monthly == round(sum(line.monthly for line in result.lines), 2)
    for stack_json in blueprint_out_dirs[name].glob("stacks/*/cdk.tf.json"):   # no resource is lost: priced, free or unpriced
        stack = load_stack(stack_json)
        listed = {line.address for line in result.lines if line.stack == stack_json.parent.name}
        listed |= {item.address for item in result.unpriced if item.stack == stack_json.parent.name}
        declared = {f"{kind}.{n}" for kind, block in stack.get("resource", {}).items() for n in block}
        declared |= {f"module.{n}" for n in stack.get("module", {})}
        assert listed == declared
    assert not {(u.stack, u.address) for u in result.unpriced} & {(l.stack, l.address) for l in result.lines}


def test_fintech_database_is_priced_from_its_attributes(estimates, blueprint_out_dirs):
    stack = load_stack(blueprint_out_dirs["fintech"] / "stacks" / "payments-prod-aws" / "cdk.tf.json")
    region = stack["provider"]["aws"][0]["region"]
    db = stack["resource"]["aws_db_instance"]["db"]
    copies = 2 if db["multi_az"] else 1
    expected = copies * HOURS * catalogue_price("aws", "rds_instance", region, f"postgres/{db['instance_class']}")
    expected += copies * db["allocated_storage"] * catalogue_price("aws", "rds_storage_gp3", region, None)
    line = estimates["fintech"].line("aws_db_instance.db", "payments-prod-aws")
    assert line.monthly == round(expected, 2) and line.component == "db"


def test_unpriced_resources_are_listed_with_a_reason(estimates):
    unpriced = estimates["devops-platform"].unpriced
    assert unpriced and all(item.reason for item in unpriced)
    assert {item.type for item in unpriced} == {"google_monitoring_alert_policy"}


def synthesized(tmp_path_factory, name: str, values: dict):
    work = tmp_path_factory.mktemp(f"{name}-cost")
    (work / "nexus.yaml").write_text(render_blueprint(name, values), encoding="utf-8")
    synth(work / "nexus.yaml", work / "cdktf.out")
    return work / "nexus.yaml"


@pytest.fixture(scope="module")
def fintech_web_min_doubled(blueprint_outputs, tmp_path_factory):
    """The fintech blueprint as rendered (web_min 2) and with web_min 4: two specs."""
    before = blueprint_outputs["fintech"].out_dir.parent / "nexus.yaml"
    assert "min: 2" in before.read_text()
    return before, synthesized(tmp_path_factory, "fintech", {"web_min": "4"})


def test_doubling_min_tasks_of_a_service_adds_their_fargate_price(fintech_web_min_doubled):
    before, after = fintech_web_min_doubled
    delta = compare(before, after)
    expected = 0.0
    for stack_json in sorted((after.parent / "cdktf.out").glob("stacks/*/cdk.tf.json")):
        stack = load_stack(stack_json)
        region = stack["provider"]["aws"][0]["region"]
        task = stack["resource"]["aws_ecs_task_definition"]["web_task"]
        per_task = (int(task["cpu"]) / 1024 * catalogue_price("aws", "fargate_vcpu", region, None)
                    + int(task["memory"]) / 1024 * catalogue_price("aws", "fargate_memory", region, None)) * HOURS
        expected += 2 * per_task                     # two more tasks in each stack
    assert delta.delta_monthly == pytest.approx(expected, abs=0.02)
    assert {line.address for line in delta.lines} == {"aws_ecs_service.web"}
    assert all(line.delta > 0 for line in delta.lines)


def test_doubling_min_instances_of_a_cloud_run_service(tmp_path_factory):
    before = synthesized(tmp_path_factory, "devops-platform", {"api_min": "1"})
    after = synthesized(tmp_path_factory, "devops-platform", {"api_min": "2"})
    delta = compare(before, after)
    stack = load_stack(next((after.parent / "cdktf.out").glob("stacks/*/cdk.tf.json")))
    limits = stack["resource"]["google_cloud_run_v2_service"]["api"]["template"]["containers"][0]["resources"]["limits"]
    region = stack["provider"]["google"][0]["region"]
    per_instance = (float(limits["cpu"]) * catalogue_price("gcp", "cloud_run_vcpu", region, None)
                    + int(limits["memory"].removesuffix("Mi")) / 1024
                    * catalogue_price("gcp", "cloud_run_memory", region, None)) * HOURS
    stacks = len(list((after.parent / "cdktf.out").glob("stacks/*/cdk.tf.json")))
    assert delta.delta_monthly == pytest.approx(stacks * per_instance, abs=0.02)


def test_cli_compare_table_json_and_markdown(fintech_web_min_doubled):
    before, after = fintech_web_min_doubled
    runner = CliRunner()
    as_json = runner.invoke(cli, ["cost", str(before), "--compare", str(after), "--output", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert payload["delta_monthly"] == compare(before, after).delta_monthly > 0
    table = runner.invoke(cli, ["cost", str(before), "--compare", str(after)])
    assert table.exit_code == 0 and f"+${payload['delta_monthly']:,.2f}" in table.output
    markdown = runner.invoke(cli, ["cost", str(after), "--output", "markdown"])
    assert markdown.exit_code == 0 and "| stack | resource |" in markdown.output and "aws_db_instance.db" in markdown.output
    plain = runner.invoke(cli, ["cost", str(after), "--output", "json"])
    assert json.loads(plain.output)["total_monthly"] == estimate(after).total_monthly
