"""`nexus cost catalogue refresh` against recorded price lists served on 127.0.0.1 (AWS Price List offer files,
the Cloud Billing Catalog paged by page token, the Azure Retail Prices API paged by NextPageLink): the amounts
found become verified today with the list as their source, the others keep theirs; a list that cannot be read
is exit 4 with the catalogue untouched."""
from __future__ import annotations

import json
import shlex
import shutil
import socket
import urllib.parse
from datetime import date

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.cost import estimate, load_catalogue
from cdktf_app.cost.catalogue import CATALOGUE_DIR, CATALOGUE_DIR_ENV
from cdktf_app.cost.refresh import ENDPOINT_ENV, GCP_API_KEY_ENV, refresh_catalogue
from cdktf_app.inventory.resources import Inventory, terraform_json_resources
from tests.fixtures.price_lists.server import HERE, PriceListServer

README_EXAMPLE = "nexus cost catalogue refresh"              # the README's examples, run as written
README_ONE_CLOUD = "nexus cost catalogue refresh --cloud aws"
AWS_LIST = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{}/current/region_index.json"


@pytest.fixture()
def catalogue_copy(tmp_path, monkeypatch):
    copy = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, copy)
    monkeypatch.setenv(CATALOGUE_DIR_ENV, str(copy))
    monkeypatch.delenv(GCP_API_KEY_ENV, raising=False)
    return copy


def point_at(monkeypatch, url: str, key: str | None = "recorded-test-key") -> None:
    for variable in ENDPOINT_ENV.values():
        monkeypatch.setenv(variable, url)
    if key:
        monkeypatch.setenv(GCP_API_KEY_ENV, key)


def snapshot(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.yaml"))}


def refresh(*arguments: str, example: str = README_EXAMPLE):
    return CliRunner().invoke(cli, [*shlex.split(example)[1:], *arguments])


def test_the_readme_example_rebuilds_the_catalogue_from_the_three_price_lists(catalogue_copy, monkeypatch):
    today = date.today().isoformat()
    with PriceListServer() as lists:
        point_at(monkeypatch, lists.url)
        result = refresh()
    assert result.exit_code == 0, result.output
    catalogue = load_catalogue()                                  # the rewritten files pass the schema
    t3 = catalogue.price("aws", "ec2_instance", "us-east-1", "t3.small")
    assert (t3.amount, t3.verified, t3.source) == (0.0209, today, AWS_LIST.format("AmazonEC2"))
    other_region = catalogue.price("aws", "ec2_instance", "eu-west-1", "t3.small")
    assert (other_region.amount, other_region.verified, other_region.source) == \
        (0.0228, "2025-06-01", "https://aws.amazon.com/ec2/pricing/on-demand/")
    nlb = catalogue.price("aws", "nlb_hour", "us-east-1")       # was derived (a figure not re-read): now read
    assert (nlb.amount, nlb.verified, nlb.derived) == (0.0225, today, False)
    assert catalogue.price("aws", "nlb_hour", "eu-west-1").derived
    assert catalogue.price("aws", "nat_gateway_hour", "us-east-1").verified == today
    assert catalogue.price("aws", "rds_instance", "us-east-1", "postgres/db.t4g.medium").verified == "2025-06-01"
    hdd = catalogue.price("gcp", "cloud_sql_hdd", "us-central1")   # on the Cloud Billing Catalog's second page
    assert (hdd.amount, hdd.verified) == (0.09, today)
    assert catalogue.price("gcp", "cloud_sql_vcpu", "us-central1").amount == 0.0414
    assert catalogue.price("gcp", "cloud_sql_hdd", "europe-west1").derived
    vm = catalogue.price("azure", "vm", "eastus", "Standard_D2s_v5")  # Linux, on page 2; not Windows nor Spot
    assert (vm.amount, vm.verified, vm.source) == (0.097, today, "https://prices.azure.com/api/retail/prices")
    assert catalogue.price("azure", "vm", "westeurope", "Standard_D2s_v5").verified == "2025-06-01"
    assert any("pageToken=" in request for request in lists.requests)
    assert any("$skip=100" in urllib.parse.unquote(request) for request in lists.requests)
    assert "aws: 7 price(s) verified from the price list" in result.output
    assert "kept rds_instance postgres/db.t4g.medium us-east-1: no AmazonRDS offer file for us-east-1" in result.output
    document = {"provider": {"aws": [{"region": "us-east-1"}]},
                "resource": {"aws_instance": {"web": {"instance_type": "t3.small"}}}}
    priced = estimate(Inventory("terraform_json", catalogue_copy / "main.tf.json",
                                terraform_json_resources("s", document), regions={"s": {"aws": "us-east-1"}}))
    assert priced.total_monthly == round(0.0209 * 730, 2)


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_an_unreachable_price_list_is_exit_4_and_the_catalogue_is_untouched(catalogue_copy, monkeypatch):
    before = snapshot(catalogue_copy)
    point_at(monkeypatch, closed_port_url())
    result = refresh()
    assert result.exit_code == 4, result.output
    assert "cannot be reached" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert snapshot(catalogue_copy) == before


def test_a_provider_failing_after_another_answered_writes_nothing(catalogue_copy, monkeypatch):
    before = snapshot(catalogue_copy)
    with PriceListServer(failing={"/v1/services/": 503}) as lists:
        point_at(monkeypatch, lists.url)
        result = refresh()
    assert result.exit_code == 4, result.output
    assert "answered HTTP 503" in result.stderr and "recorded-test-key" not in result.stderr
    assert any(request.startswith("/offers/") for request in lists.requests)      # AWS was read, then GCP failed
    assert snapshot(catalogue_copy) == before


def test_the_cloud_billing_catalog_needs_a_key_and_one_cloud_can_be_refreshed_without_it(catalogue_copy,
                                                                                          monkeypatch):
    before = snapshot(catalogue_copy)
    with PriceListServer() as lists:
        point_at(monkeypatch, lists.url, key=None)
        refused = refresh()
        assert refused.exit_code == 4 and GCP_API_KEY_ENV in refused.stderr
        assert snapshot(catalogue_copy) == before
        only_aws = refresh(example=README_ONE_CLOUD)
    assert only_aws.exit_code == 0, only_aws.output
    assert only_aws.output.startswith("aws: 7 price(s) verified from the price list")
    after = snapshot(catalogue_copy)
    assert after["aws.yaml"] != before["aws.yaml"]
    assert (after["gcp.yaml"], after["azure.yaml"]) == (before["gcp.yaml"], before["azure.yaml"])


def test_a_price_list_giving_an_invalid_catalogue_writes_nothing(catalogue_copy, monkeypatch):
    before = snapshot(catalogue_copy)
    page = (HERE / "azure-vm-eastus-page2.json").read_text(encoding="utf-8")
    with PriceListServer(bodies={"azure-vm-eastus-page2": page.replace('"retailPrice": 0.097',
                                                                       '"retailPrice": 2000000')}) as lists:
        point_at(monkeypatch, lists.url)
        result = refresh("--cloud", "azure")
    assert result.exit_code == 4, result.output
    assert "not valid" in result.stderr and "expected a number <= 1000000, got 2000000" in result.stderr
    assert snapshot(catalogue_copy) == before


def test_an_ambiguous_match_keeps_the_old_amount_and_says_why(catalogue_copy):
    page = (HERE / "azure-vm-eastus-page1.json").read_text(encoding="utf-8")
    with PriceListServer(bodies={"azure-vm-eastus-page1": page.replace("DSv5 Series Windows",
                                                                       "DSv5 Series")}) as lists:
        outcome, = refresh_catalogue(["azure"], ["vm"], {"azure": lists.url})
    assert "vm Standard_D2s_v5 eastus: ambiguous in the price list (2 different prices match)" in outcome.kept
    assert outcome.verified == []
    assert load_catalogue().price("azure", "vm", "eastus", "Standard_D2s_v5").verified == "2025-06-01"


def test_one_entry_refreshed_with_json_output(catalogue_copy, monkeypatch):
    with PriceListServer() as lists:
        point_at(monkeypatch, lists.url)
        result = refresh("--cloud", "azure", "--price", "vm", "--output", "json")
    assert result.exit_code == 0, result.output
    outcome, = json.loads(result.stdout)
    assert (outcome["cloud"], outcome["verified"]) == ("azure", ["vm Standard_D2s_v5 eastus"])
    assert outcome["file"] == str(catalogue_copy / "azure.yaml") and len(outcome["kept"]) == 15
