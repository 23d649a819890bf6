"""The price catalogue as data: every price dated and sourced, every region the blueprints use covered, every
size a component can create priced; unknown types are unpriced, never $0; usage comes from the spec."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.components.aws import cache as aws_cache, database as aws_database, kubernetes as aws_kubernetes
from cdktf_app.components.aws import vm_group as aws_vm_group
from cdktf_app.components.azure import kubernetes as azure_kubernetes, vm_group as azure_vm_group
from cdktf_app.components.gcp import vm_group as gcp_vm_group
from cdktf_app.cost import estimate, load_catalogue
from cdktf_app.cost.catalogue import CATALOGUE_DIR, CLOUDS
from cdktf_app.cost.pricing import RULES, Flat
from cdktf_app.spec.loader import load_spec_text
from cdktf_app.spec.model import CostAssumptions
from cdktf_app.spec.schema import spec_json_schema
from cdktf_app.inventory.resources import Inventory, terraform_json_resources

REGIONS = {"aws": {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"},
           "gcp": {"us-central1", "europe-west1", "asia-northeast1"},
           "azure": {"eastus", "westeurope"}}


def raw(cloud: str) -> dict:
    return yaml.safe_load((CATALOGUE_DIR / f"{cloud}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_price_has_source_provenance_unit_and_covers_the_blueprint_regions(cloud):
    document = raw(cloud)
    assert document["cloud"] == cloud and document["currency"] == "USD"
    for key, entry in document["prices"].items():
        assert re.match(r"^https://\S+", entry["source"]), key
        assert ("verified" in entry) != ("derived_from" in entry), key
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", entry.get("verified", "2025-01-01")), key
        assert entry["unit"] and entry["description"], key
        tables = entry.get("skus", {"": entry.get("regions")})
        for sku, table in tables.items():
            assert table, (key, sku)
            amounts = [value["amount"] if isinstance(value, dict) else value for value in table.values()]
            assert all(isinstance(price, (int, float)) and price > 0 for price in amounts), (key, sku)
            assert set(table) == {"global"} or REGIONS[cloud] <= set(table), (key, sku, set(table))
    assert re.match(r"^https://", document["free"]["source"])


def test_no_type_is_both_free_and_priced_by_a_rule():
    for cloud in CLOUDS:
        assert not set(raw(cloud)["free"]["types"]) & set(RULES), cloud


@pytest.mark.parametrize("region", sorted(REGIONS["aws"]))
def test_every_aws_size_a_component_creates_has_a_price(region):
    catalogue = load_catalogue()
    for engine in ("postgres", "mysql"):
        for instance_class in aws_database.INSTANCE_CLASS.values():
            assert catalogue.price("aws", "rds_instance", region, f"{engine}/{instance_class}"), instance_class
    for engine in ("redis", "valkey"):
        for node_type in aws_cache.NODE_TYPE.values():
            assert catalogue.price("aws", "elasticache_node", region, f"{engine}/{node_type}"), node_type
    for instance_type in {*aws_vm_group.INSTANCE_TYPE.values(), *aws_kubernetes.NODE_TYPE.values()}:
        assert catalogue.price("aws", "ec2_instance", region, instance_type), instance_type


def test_every_gcp_and_azure_size_a_component_creates_has_a_price():
    catalogue = load_catalogue()
    for region in REGIONS["gcp"]:
        for machine in gcp_vm_group.MACHINE_TYPE.values():
            assert catalogue.price("gcp", "compute_instance", region, machine), machine
    for region in REGIONS["azure"]:
        for size in {*azure_vm_group.VM_SIZE.values(), *azure_kubernetes.NODE_SIZE.values()}:
            assert catalogue.price("azure", "vm", region, size), size


def test_a_missing_price_is_none_not_zero():
    catalogue = load_catalogue()
    assert catalogue.price("aws", "ec2_instance", "us-east-1", "x9.mega") is None
    assert catalogue.price("aws", "nat_gateway_hour", "mars-north-1") is None
    assert catalogue.price("aws", "no_such_key", "us-east-1") is None
    assert catalogue.price("aws", "cloudfront_data_out", "eu-west-1", "europe").region == "global"


def test_unknown_types_providers_and_unknowable_counts_are_unpriced_not_zero():
    document = {"provider": {"aws": [{"region": "us-east-1"}]}, "resource": {
        "aws_made_up_thing": {"x": {"size": 3}},
        "random_pet": {"name": {}},
        "aws_instance": {"big": {"instance_type": "x9.mega"}, "ok": {"instance_type": "t3.small"}},
        "aws_eks_node_group": {"later": {"instance_types": ["t3.large"],
                                         "scaling_config": {"desired_size": "${var.nodes}"}}},
        "aws_vpc": {"free": {"cidr_block": "10.0.0.0/16"}}}}
    inventory = Inventory("terraform_json", Path("main.tf.json"), terraform_json_resources("s", document),
                          regions={"s": {"aws": "us-east-1"}})
    result = estimate(inventory)
    reasons = {item.address: item.reason for item in result.unpriced}
    assert set(reasons) == {"aws_made_up_thing.x", "random_pet.name", "aws_instance.big", "aws_eks_node_group.later"}
    assert "not in the catalogue" in reasons["aws_made_up_thing.x"]
    assert "x9.mega" in reasons["aws_instance.big"]
    assert "not known before apply" in reasons["aws_eks_node_group.later"]
    assert result.line("aws_vpc.free").monthly == 0 and result.line("aws_vpc.free").free_reason
    assert result.total_monthly == result.line("aws_instance.ok").monthly == round(0.0208 * 730, 2)


def test_an_azure_managed_redis_cache_is_unpriced_with_its_sku_and_where_to_look_not_zero():
    document = {"provider": {"azurerm": [{"features": [{}]}]}, "resource": {"azurerm_managed_redis": {"cache": {
        "location": "westeurope", "sku_name": "Balanced_B1", "high_availability_enabled": True}}}}
    inventory = Inventory("terraform_json", Path("main.tf.json"), terraform_json_resources("s", document),
                          regions={"s": {"azure": "westeurope"}})
    result = estimate(inventory)
    unpriced, = result.unpriced
    assert unpriced.address == "azurerm_managed_redis.cache" and "Balanced_B1" in unpriced.reason
    assert "https://azure.microsoft.com/pricing/details/managed-redis/" in unpriced.reason
    assert result.total_monthly == 0


SPEC = """apiVersion: nexus/v1
name: shop
providers:
  aws: {region: eu-west-1}
components:
  files: {type: bucket}
cost:
  storage_gb: 400
  hours_per_month: 720
"""


def test_cost_section_overrides_defaults_and_is_in_the_schema():
    assert CostAssumptions().hours_per_month == 730 and CostAssumptions().storage_gb == 50
    spec = load_spec_text(SPEC).spec
    assert spec.cost.storage_gb == 400 and spec.cost.hours_per_month == 720 and spec.cost.requests_per_month == 1e6
    schema = spec_json_schema()
    assert "cost" in schema["properties"]
    with pytest.raises(Exception, match="hours_per_month"):
        load_spec_text(SPEC.replace("hours_per_month: 720", "hours_per_month: 1000"))


def test_a_flat_charge_names_its_unit_or_an_assumption_the_spec_can_override():
    assert Flat("GB stored (assumed)", "s3_standard", per="storage_gb").per == "storage_gb"
    with pytest.raises(ValueError, match="per must be hour, month or a CostAssumptions field, not 'storage_tb'"):
        Flat("TB stored", "s3_standard", per="storage_tb")


@pytest.mark.parametrize("field, value, expected", [
    ("storage_gb", ".inf", "finite number"), ("requests_per_month", ".nan", "finite number"),
    ("data_transfer_gb", "-1", "greater than or equal to 0"), ("log_ingest_gb", "1e308", "less than or equal"),
])
def test_usage_that_is_not_a_finite_sane_number_is_a_located_spec_error(tmp_path, field, value, expected):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(SPEC.replace("storage_gb: 400", f"{field}: {value}"))
    result = CliRunner().invoke(cli, ["cost", str(spec), "--output", "json"])
    assert result.exit_code == 2, result.output
    assert f"nexus.yaml:8:3: cost.{field}:" in result.output and expected in result.output
    assert "Infinity" not in result.output and "NaN" not in result.output and "Traceback" not in result.output


def test_the_largest_usage_allowed_still_prices_to_strict_json(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(SPEC.replace("storage_gb: 400", "storage_gb: 1e9\n  requests_per_month: 1e15"))
    result = CliRunner().invoke(cli, ["cost", str(spec), "--output", "json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.output, parse_constant=lambda word: pytest.fail(f"{word} in cost JSON"))["total_monthly"]
    assert math.isfinite(total) and total > 1e7
