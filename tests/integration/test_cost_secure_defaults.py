"""`nexus cost` on Azure says which charges Nexus's secure defaults bring (Premium Service Bus for customer-managed
keys, private endpoints and their DNS zones, NAT gateway...), from the catalogue's secure_default notes."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.cost import estimate
from cdktf_app.cost.catalogue import CATALOGUE_DIR
from tests.conftest import FIXTURES

NOTES = {key: entry["secure_default"] for key, entry in
         yaml.safe_load((CATALOGUE_DIR / "azure.yaml").read_text(encoding="utf-8"))["prices"].items()
         if "secure_default" in entry}


@pytest.fixture(scope="module")
def azure_spec(tmp_path_factory):
    work = tmp_path_factory.mktemp("azure-cost")
    for name in ("azure-all.yaml", "fn", "fn_src"):
        source = FIXTURES / "specs" / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, work / name)
    return work / "azure-all.yaml"


def test_secure_default_charges_carry_the_catalogue_reason(azure_spec):
    result = estimate(azure_spec)
    driven = result.secure_defaults
    endpoints = driven[NOTES["private_endpoint"]]
    assert {line.type for line, _ in endpoints} == {"azurerm_private_endpoint"} and len(endpoints) >= 3
    premium = driven[NOTES["servicebus_namespace"]["Premium"]]
    assert all(line.type == "azurerm_servicebus_namespace" and amount > 600 for line, amount in premium)
    standard_front_door = result.line("azurerm_cdn_frontdoor_profile.webcdn")
    assert standard_front_door.charges and not any(c.price.secure_default for c in standard_front_door.charges)
    payload = result.as_dict()
    assert {item["reason"] for item in payload["secure_defaults"]} == set(driven)
    assert sum(item["monthly"] for item in payload["secure_defaults"]) < payload["total_monthly"]


def test_the_cli_notes_the_lines_driven_by_secure_defaults(azure_spec):
    table = CliRunner().invoke(cli, ["cost", str(azure_spec)])
    assert table.exit_code == 0, table.output
    notes = table.output.split("Driven by Nexus's secure defaults:", 1)[1]
    assert NOTES["private_endpoint"] in notes and "azurerm_private_endpoint.events_endpoint" in notes
    assert NOTES["servicebus_namespace"]["Premium"] in notes and "azurerm_servicebus_namespace.events" in notes
    markdown = CliRunner().invoke(cli, ["cost", str(azure_spec), "--output", "markdown"])
    assert f": {NOTES['private_dns_zone']} — `azurerm_private_dns_zone." in markdown.output
    as_json = json.loads(CliRunner().invoke(cli, ["cost", str(azure_spec), "--output", "json"]).stdout)
    assert any(charge.get("secure_default") == NOTES["nat_gateway_hour"]
               for line in as_json["lines"] for charge in line["charges"])
