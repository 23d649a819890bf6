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
            ("CKV_AZURE_59", "azurerm_storage_account.worker_storage"),
            ("CKV_AZURE_59", "azurerm_storage_account.network_flow_log_storage")}


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


def test_vnet_flow_logs_go_to_a_keyed_account_with_traffic_analytics(synthesized, resources):
    data = json.loads(synthesized[1].read_text())["data"]
    watcher = data["azurerm_network_watcher"]["network_watcher"]
    # The region's watcher is Azure's own, read (after the VNet exists), never created by the stack.
    assert (watcher["name"], watcher["resource_group_name"]) == ("NetworkWatcher_westeurope", "NetworkWatcherRG")
    assert watcher["depends_on"] == ["azurerm_virtual_network.network"]
    assert "azurerm_network_watcher" not in resources
    flow = resources["azurerm_network_watcher_flow_log"]["network_flow_logs"]
    assert flow["target_resource_id"] == ref("azurerm_virtual_network", "network", "id")
    assert flow["network_watcher_name"] == "${data.azurerm_network_watcher.network_watcher.name}"
    assert flow["resource_group_name"] == "${data.azurerm_network_watcher.network_watcher.resource_group_name}"
    assert (flow["enabled"], flow["version"], flow["location"]) == (True, 2, "westeurope")
    assert flow["retention_policy"] == {"enabled": True, "days": 365}
    assert flow["storage_account_id"] == ref("azurerm_storage_account", "network_flow_log_storage", "id")
    analytics = flow["traffic_analytics"]
    assert analytics["enabled"] is True
    assert analytics["workspace_resource_id"] == ref("azurerm_log_analytics_workspace", "logs", "id")
    assert analytics["workspace_id"] == ref("azurerm_log_analytics_workspace", "logs", "workspace_id")
    account = resources["azurerm_storage_account"]["network_flow_log_storage"]
    # HIPAA: the flow logs are under the stack key like the data; only trusted Azure services get through.
    assert assert_keyed(account, resources, "network_flow_log_storage_key")["key_vault_key_id"] == ref(
        "azurerm_key_vault_key", "stack_key", "versionless_id")
    assert account["network_rules"] == {"default_action": "Deny", "bypass": ["AzureServices"]}
    assert account["shared_access_key_enabled"] is False
    assert account["blob_properties"]["versioning_enabled"] is False
    rule = resources["azurerm_storage_management_policy"]["network_flow_log_lifecycle"]["rule"][0]
    assert rule["actions"]["base_blob"]["delete_after_days_since_modification_greater_than"] == 365


@pytest.mark.parametrize("setting, built", [("flow_logs: true", True), ("flow_logs: false", False), ("", True)],
                         ids=["asked", "off", "default"])
def test_a_network_has_vnet_flow_logs_unless_they_are_turned_off(tmp_path, setting, built):
    (tmp_path / "nexus.yaml").write_text(
        "apiVersion: nexus/v1\nname: plain\nproviders:\n  azure: {location: eastus}\nenvironments: [dev]\n"
        f"components:\n  net: {{type: network, {setting}}}\n")
    synth(tmp_path / "nexus.yaml", tmp_path / "out", use_cache=False)
    stack = json.loads((tmp_path / "out" / "stacks" / "plain-dev-azure" / "cdk.tf.json").read_text())
    flows = stack["resource"].get("azurerm_network_watcher_flow_log", {})
    accounts = stack["resource"].get("azurerm_storage_account", {})
    if built:
        assert flows["net_flow_logs"]["target_resource_id"] == ref("azurerm_virtual_network", "net", "id")
        assert stack["data"]["azurerm_network_watcher"]["net_watcher"]["name"] == "NetworkWatcher_eastus"
        # Not regulated: the account keeps Microsoft-managed keys, as a regulated spec's would not.
        assert "customer_managed_key" not in accounts["net_flow_log_storage"]
    else:
        assert flows == {} and accounts == {} and "azurerm_network_watcher" not in stack.get("data", {})


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
    # `worker` triggers on `intake`: the queue stays private and the function joins its network (Elastic Premium).
    assert resources["azurerm_servicebus_namespace"]["intake"]["public_network_access_enabled"] is False
    assert "intake_endpoint" in endpoints
    assert resources["azurerm_service_plan"]["worker_plan"]["sku_name"] == "EP1"
    assert resources["azurerm_linux_function_app"]["worker"]["virtual_network_subnet_id"] == ref(
        "azurerm_subnet", "worker_subnet", "id")


def test_no_high_findings_under_hipaa(synthesized, checkov_worker):
    work, _ = synthesized
    report = check(work / "cdktf.out", spec=work / "nexus.yaml", worker=checkov_worker)
    assert report.blocking("high") == []
    suppressed = {(finding.check_id, finding.address) for finding in report.findings if finding.suppressed}
    assert EXEMPTED <= suppressed
