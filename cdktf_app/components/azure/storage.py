"""The storage account every Nexus account is built from (buckets, function content, flow logs)."""
from __future__ import annotations

from cdktn_provider_azurerm.storage_account import StorageAccount

from ..base import ComponentConstruct
from .provider import customer_key, placement

SOFT_DELETE_DAYS = 30


def storage_account(construct: ComponentConstruct, role: str | None, *, public: bool = False,
                    versioned: bool = True, shared_keys: bool = False, encrypted: bool = False,
                    public_network: bool = True, trusted_services_only: bool = False,
                    replication: str = "GRS") -> StorageAccount:
    """A storage account with the baseline every Nexus account gets; names are 3-24 lower-case letters and
    digits, unique across Azure. `encrypted` puts it under the stack's customer-managed key; without
    `public_network` it answers only through private endpoints; `trusted_services_only` keeps the public
    endpoint for Azure's trusted services (which cannot use a private endpoint) and turns everyone else away;
    `replication` is the account's redundancy (GRS: to the paired region)."""
    suffix = role.replace("_", "") if role else ""
    key = customer_key(construct, f"{role}_key" if role else "key") if encrypted else None
    firewall = {"default_action": "Deny", "bypass": ["AzureServices"]} if trusted_services_only else None
    return construct.add(
        StorageAccount, role, name=construct.physical_name(suffix, max_length=24, separator=""),
        account_kind="StorageV2", account_tier="Standard", account_replication_type=replication,
        https_traffic_only_enabled=True, min_tls_version="TLS1_2", allow_nested_items_to_be_public=public,
        shared_access_key_enabled=shared_keys, default_to_oauth_authentication=True,
        public_network_access_enabled=public_network, network_rules=firewall,
        infrastructure_encryption_enabled=True, cross_tenant_replication_enabled=False, local_user_enabled=False,
        blob_properties={"versioning_enabled": versioned,
                         "delete_retention_policy": {"days": SOFT_DELETE_DAYS},
                         "container_delete_retention_policy": {"days": SOFT_DELETE_DAYS}},
        tags=construct.tags, **(key.settings("user_assigned_identity_id") if key else {}), **placement(construct.ctx))
