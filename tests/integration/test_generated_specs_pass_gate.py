"""Specs that `nexus generate --offline` writes for everyday prompts pass their own compliance gate under real
checkov with Nexus's secure defaults, never through a suppression the prompt did not ask for."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.compliance import check
from tests.conftest import synthesized_text

README_EXAMPLE = "HIPAA patient portal on AWS in eu-west-1 with MySQL"
AWS_MYSQL_HIPAA = """\
apiVersion: nexus/v1
name: portal
providers:
  aws: {region: eu-west-1}
environments: [prod]
compliance:
  standards: [hipaa]
components:
  network: {type: network, cidr: 10.40.0.0/16}
  db: {type: database, engine: mysql, version: "8.0"}
"""


@pytest.fixture()
def no_model_env(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_the_readme_hipaa_mysql_example_is_written_to_stdout(no_model_env):
    result = CliRunner().invoke(cli, ["generate", "--offline"], input=README_EXAMPLE + "\n")
    assert result.exit_code == 0, result.output
    assert "compliance: passed the high gate" in result.stderr
    spec = yaml.safe_load(result.stdout)
    assert spec["providers"]["aws"]["region"] == "eu-west-1"
    assert [c["engine"] for c in spec["components"].values() if c["type"] == "database"] == ["mysql"]


def test_an_aws_mysql_database_under_hipaa_requires_tls_as_checkov_reads_it(tmp_path_factory, checkov_worker):
    out = synthesized_text(tmp_path_factory, "aws-mysql-hipaa", AWS_MYSQL_HIPAA)
    report = check(out.out_dir, worker=checkov_worker)
    assert report.standards == ("hipaa",)
    assert report.passed_count > 0, "checkov ran"
    assert not [f.address for f in report.findings if f.check_id == "CKV2_AWS_69"]
    assert not [f.check_id for f in report.blocking("high") if f.component == "db"]


AZURE_TRIGGERED_QUEUE_PCI = """\
apiVersion: nexus/v1
name: market
providers:
  azure: {location: westeurope}
environments: [prod]
compliance:
  standards: [pci-dss]
components:
  network: {type: network, cidr: 10.50.0.0/16}
  orders: {type: queue, fifo: true}
  order_worker: {type: function, trigger: orders}
"""


def test_an_azure_queue_a_function_triggers_on_stays_private(tmp_path_factory, checkov_worker):
    out = synthesized_text(tmp_path_factory, "azure-triggered-queue", AZURE_TRIGGERED_QUEUE_PCI)
    resources = json.loads(out.stack_json("market-prod-azure").read_text())["resource"]
    assert resources["azurerm_servicebus_namespace"]["orders"]["public_network_access_enabled"] is False
    assert "orders_endpoint" in resources["azurerm_private_endpoint"]
    # the function joins the queue's network on a plan that can (a Consumption plan cannot)
    assert resources["azurerm_service_plan"]["order_worker_plan"]["sku_name"] == "EP1"
    subnet = resources["azurerm_subnet"]["order_worker_subnet"]
    assert subnet["delegation"][0]["service_delegation"]["name"] == "Microsoft.Web/serverFarms"
    assert resources["azurerm_linux_function_app"]["order_worker"]["virtual_network_subnet_id"] == \
        "${azurerm_subnet.order_worker_subnet.id}"
    report = check(out.out_dir, worker=checkov_worker)
    assert report.passed_count > 0, "checkov ran"
    assert not [f.address for f in report.active if f.check_id == "CKV_AZURE_204"]
    assert not [f.check_id for f in report.blocking("high")]


def test_a_marketplace_on_aws_and_azure_passes_its_pci_gate(no_model_env):
    """Azure Front Door reaches a storage account only over its public endpoint (CKV_AZURE_59, critical under
    PCI-DSS): the generator keeps the CDN and its bucket in the first cloud instead of building both twice."""
    prompt = "Marketplace backend on AWS and Azure, queue between them, Postgres on AWS"
    result = CliRunner().invoke(cli, ["generate", "--offline", "--prompt", prompt])
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.stdout)
    assert sorted(spec["providers"]) == ["aws", "azure"]
    assert spec["components"]["assets"]["provider"] == "aws"
