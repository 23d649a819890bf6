"""An Azure spec that declares HIPAA: its data stores encrypt with the stack's customer-managed Key Vault key, private
ones answer only through private endpoints, and the stack passes Nexus's high gate under real checkov (shared
worker), built-in exemptions reported as suppressed."""
from __future__ import annotations

import json

import pytest

from cdktf_app.compliance import check
from cdktf_app.stacks.synth import synth

SPEC = """\
apiVersion: nexus/v1
name: clinic
providers:
  azure: {location: westeurope}
environments: [prod]
compliance:
  standards: [{hipaa: v3.2}]
components:
  network: {type: network, cidr: 10.30.0.0/16}
  records: {type: bucket}
  db: {type: database, engine: postgres, high_availability: true}
  legacy: {type: database, engine: mysql}
  intake: {type: queue}
  worker: {type: function, trigger: intake}
  events: {type: queue, kind: topic}
"""
KEY_USER = "Key Vault Crypto Service Encryption User"
# Findings on Nexus's plumbing that compliance/exemptions.yaml explains (reported, never dropped).
EXEMPTED = {("CKV2_AZURE_21", "azurerm_storage_container.records_container"),
            ("CKV_AZURE_59", "azurerm_storage_account.worker_storage")}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    work = tmp_path_factory.mktemp("azure-hipaa")
    (work / "nexus.yaml").write_text(SPEC)
    synth(work / "nexus.yaml", work / "cdktf.out", use_cache=False)
    stack = work / "cdktf.out" / "stacks" / "clinic-prod-azure" / "cdk.tf.json"
    return work, stack


@pytest.fixture(scope="module")
def resources(synthesized):
    return json.loads(synthesized[1].read_text())["resource"]


def ref(resource_type: str, name: str, attribute: str) -> str:
    return f"${{{resource_type}.{name}.{attribute}}}"


def assert_keyed(body: dict, resources: dict, role: str, key: str = "stack_key") -> dict:
    """The identity `role` holds the key-user role on `key`, and `body` waits for that grant."""
    grant = resources["azurerm_role_assignment"][f"{role}_user"]
    assert grant["role_definition_name"] == KEY_USER
    assert grant["scope"] == ref("azurerm_key_vault_key", key, "resource_versionless_id")
    assert grant["principal_id"] == ref("azurerm_user_assigned_identity", role, "principal_id")
    assert f"azurerm_role_assignment.{role}_user" in body["depends_on"]
    assert ref("azurerm_user_assigned_identity", role, "id") in body["identity"]["identity_ids"]
    return body["customer_managed_key"]


def test_the_stack_key_vault_is_recoverable_rbac_only_and_firewalled(resources):
    vault = resources["azurerm_key_vault"]["keys"]
    assert vault["rbac_authorization_enabled"] is True
    assert vault["purge_protection_enabled"] is True
    assert vault["soft_delete_retention_days"] == 90
    assert vault["network_acls"]["default_action"] == "Deny"
    assert vault["network_acls"]["bypass"] == "AzureServices"
    key = resources["azurerm_key_vault_key"]["stack_key"]
    assert key["key_vault_id"] == ref("azurerm_key_vault", "keys", "id")
    assert key["rotation_policy"]["automatic"]["time_before_expiry"] == "P30D"
    assert "azurerm_role_assignment.keys_officer" in key["depends_on"]


def test_storage_accounts_encrypt_with_the_stack_key(resources):
    accounts = resources["azurerm_storage_account"]
    for account, role in (("records", "records_key"), ("worker_storage", "worker_storage_key")):
        block = assert_keyed(accounts[account], resources, role)
        assert block == {"key_vault_key_id": ref("azurerm_key_vault_key", "stack_key", "versionless_id"),
                         "user_assigned_identity_id": ref("azurerm_user_assigned_identity", role, "id")}


def test_databases_encrypt_data_and_geo_backups_with_customer_keys(resources):
    postgres = resources["azurerm_postgresql_flexible_server"]["db"]
    block = assert_keyed(postgres, resources, "db_key")
    assert block["key_vault_key_id"] == ref("azurerm_key_vault_key", "stack_key", "versionless_id")
    assert block["geo_backup_key_vault_key_id"] == ref("azurerm_key_vault_key", "geo_stack_key", "versionless_id")
    assert_keyed(postgres, resources, "db_geo_key", key="geo_stack_key")
    assert resources["azurerm_key_vault"]["geo_keys"]["location"] == "northeurope"
    mysql = resources["azurerm_mysql_flexible_server"]["legacy"]
    assert assert_keyed(mysql, resources, "legacy_key")["primary_user_assigned_identity_id"] == ref(
        "azurerm_user_assigned_identity", "legacy_key", "id")


def test_an_encrypted_queue_is_a_premium_namespace_with_the_stack_key(resources):
    namespace = resources["azurerm_servicebus_namespace"]["intake"]
    assert namespace["sku"] == "Premium"
    block = assert_keyed(namespace, resources, "intake_key")
    assert block["identity_id"] == ref("azurerm_user_assigned_identity", "intake_key", "id")


def test_delegated_subnets_get_an_nsg(resources):
    for database in ("db", "legacy"):
        link = resources["azurerm_subnet_network_security_group_association"][f"{database}_subnet_nsg_link"]
        assert link["subnet_id"] == ref("azurerm_subnet", f"{database}_subnet", "id")
    allow = resources["azurerm_network_security_rule"]["db_subnet_allow_vnet"]
    assert (allow["source_address_prefix"], allow["destination_port_range"]) == ("VirtualNetwork", "5432")


def test_synth_is_deterministic(synthesized, tmp_path):
    work, stack = synthesized
    synth(work / "nexus.yaml", tmp_path / "again", use_cache=False)
    assert (tmp_path / "again" / "stacks" / "clinic-prod-azure" / "cdk.tf.json").read_bytes() == stack.read_bytes()


def test_private_data_stores_answer_only_through_private_endpoints(synthesized, resources):
    provider = json.loads(synthesized[1].read_text())["provider"]["azurerm"][0]
    # Terraform must manage accounts closed to public networks without reaching their data plane.
    assert provider["features"] == [{"storage": [{"data_plane_available": False}]}]
    endpoints = resources["azurerm_private_endpoint"]
    assert resources["azurerm_storage_account"]["records"]["public_network_access_enabled"] is False
    assert endpoints["records_endpoint"]["private_service_connection"]["subresource_names"] == ["blob"]
    events = resources["azurerm_servicebus_namespace"]["events"]
    assert events["public_network_access_enabled"] is False
    assert events["network_rule_set"]["public_network_access_enabled"] is False
    assert endpoints["events_endpoint"]["private_service_connection"]["private_connection_resource_id"] == ref(
        "azurerm_servicebus_namespace", "events", "id")
    # A Consumption-plan function outside the virtual network triggers on `intake`: it must stay reachable.
    assert "public_network_access_enabled" not in resources["azurerm_servicebus_namespace"]["intake"]
    assert "intake_endpoint" not in endpoints


def test_no_high_findings_under_hipaa(synthesized, checkov_worker):
    work, _ = synthesized
    report = check(work / "cdktf.out", spec=work / "nexus.yaml", worker=checkov_worker)
    assert report.blocking("high") == []
    suppressed = {(finding.check_id, finding.address) for finding in report.findings if finding.suppressed}
    assert EXEMPTED <= suppressed
