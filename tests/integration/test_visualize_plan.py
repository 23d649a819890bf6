"""A real `terraform plan` -> `terraform show -json` is drawn and priced: count and for_each instances, a local
module with its resources, reference lists from the plan's configuration, the provider's region."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from cdktf_app.cost import estimate
from cdktf_app.cost.catalogue import CATALOGUE_DIR
from cdktf_app.tools.terraform import run_terraform
from cdktf_app.visualize import build_graph, render

CONFIG = Path(__file__).parent.parent / "fixtures" / "terraform-plan"


@pytest.fixture(scope="module")
def plan_json(tmp_path_factory, terraform_cli_config) -> Path:
    assert terraform_cli_config is not None, "no provider mirror for hashicorp/aws on this machine"
    work = tmp_path_factory.mktemp("plan")
    shutil.copytree(CONFIG, work, dirs_exist_ok=True)
    for arguments in (("init", "-input=false", "-no-color"),
                      ("plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-out=plan.tfplan")):
        result = run_terraform(work, *arguments, cli_config=terraform_cli_config, timeout=180)
        assert result.ok, result.output
    shown = run_terraform(work, "show", "-json", "plan.tfplan", cli_config=terraform_cli_config)
    assert shown.ok, shown.output
    (work / "plan.json").write_text(shown.output, encoding="utf-8")
    json.loads(shown.output)
    return work / "plan.json"


@pytest.mark.terraform
def test_real_plan_is_drawn_with_instances_modules_and_references(plan_json):
    graph = build_graph(plan_json, group_by="network")
    nodes = {node.address: node for node in graph.nodes}
    assert set(nodes) == {"aws_vpc.main", "aws_subnet.private", "aws_eip.nat", "aws_nat_gateway.this", "module.db",
                          "module.db.aws_db_subnet_group.this", "module.db.aws_db_instance.this"}
    assert nodes["aws_subnet.private"].instances == 2 and nodes["aws_eip.nat"].instances == 2
    edges = {(edge.source.split("/", 1)[1], edge.target.split("/", 1)[1]) for edge in graph.edges}
    assert edges == {("aws_subnet.private", "aws_vpc.main"), ("aws_nat_gateway.this", "aws_eip.nat"),
                     ("aws_nat_gateway.this", "aws_subnet.private"), ("module.db", "aws_subnet.private"),
                     ("module.db.aws_db_instance.this", "module.db.aws_db_subnet_group.this")}
    for fmt in ("mermaid", "dot", "html"):
        assert "db/this" in render(graph, fmt)


@pytest.mark.terraform
def test_real_plan_is_priced_per_instance_in_the_provider_region(plan_json):
    result = estimate(plan_json)
    assert not result.unpriced and not result.assumptions
    nat = result.line("aws_nat_gateway.this")
    assert nat.region == "eu-west-1" and len(nat.charges) == 4        # two gateways: hours and data each
    assert nat.monthly == round(2 * (730 * price("nat_gateway_hour") + 100 * price("nat_gateway_data")), 2)
    db = result.line("module.db.aws_db_instance.this")
    assert db.monthly == round(2 * 730 * price("rds_instance", "postgres/db.t4g.medium")   # Multi-AZ: two copies
                               + 2 * 40 * price("rds_storage_gp3"), 2)


def price(key: str, sku: str | None = None) -> float:
    """The eu-west-1 number in the catalogue file itself."""
    entry = yaml.safe_load((CATALOGUE_DIR / "aws.yaml").read_text(encoding="utf-8"))["prices"][key]
    return (entry["skus"][sku] if sku else entry["regions"])["eu-west-1"]
