"""The azurerm provider of a stack, its resource group, and what Azure components share: Log Analytics, and the
stack's Key Vault key that encrypts data stores whose component says `encrypted: true`."""
from __future__ import annotations

from dataclasses import dataclass

import cdktn
from cdktn_provider_azurerm.data_azurerm_client_config import DataAzurermClientConfig
from cdktn_provider_azurerm.key_vault import KeyVault
from cdktn_provider_azurerm.key_vault_key import KeyVaultKey
from cdktn_provider_azurerm.log_analytics_workspace import LogAnalyticsWorkspace
from cdktn_provider_azurerm.monitor_diagnostic_setting import MonitorDiagnosticSetting
from cdktn_provider_azurerm.provider import AzurermProvider, AzurermProviderFeatures, AzurermProviderFeaturesStorage
from cdktn_provider_azurerm.resource_group import ResourceGroup
from cdktn_provider_azurerm.role_assignment import RoleAssignment
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity

from ...errors import SpecError
from ...dr.targets import PAIRED_REGIONS
from ...kit.context import StackContext
from ..base import ComponentConstruct

STACK_SECTION = "providers.azure"
LOG_RETENTION_DAYS = 365
KEY_VAULT_SOFT_DELETE_DAYS = 90
# Terraform creates keys through the vault's data plane: its runner needs this role, and its address in the firewall.
KEY_OFFICER_ROLE = "Key Vault Crypto Officer"
KEY_USER_ROLE = "Key Vault Crypto Service Encryption User"
RUNNER_ADDRESSES_VARIABLE = "key_vault_allowed_ips"
# Every service that takes the key (Storage, PostgreSQL/MySQL flexible server, Service Bus) accepts RSA 2048.
KEY_SIZE = 2048
KEY_LIFETIME = "P1Y"


def configure(ctx: StackContext) -> None:
    # Nexus storage accounts refuse shared keys, so the provider must reach their data plane with Entra ID; it
    # must not need the data plane at all for accounts closed to public networks (containers are created through
    # the management plane).
    storage = AzurermProviderFeaturesStorage(data_plane_available=False)
    AzurermProvider(ctx.stack, "azurerm", features=[AzurermProviderFeatures(storage=[storage])],
                    storage_use_azuread=True)
    resource_group(ctx)


def location(ctx: StackContext) -> str:
    return ctx.spec.providers.azure.location


def resource_group(ctx: StackContext) -> ResourceGroup:
    """The stack's resource group: every Azure resource of the stack lives in it."""
    azure = ctx.spec.providers.azure
    return ctx.shared("azure.rg", lambda: ctx.add(
        STACK_SECTION, ResourceGroup, "rg", name=azure.resource_group or ctx.prefix, location=azure.location,
        tags=ctx.tags()))


def placement(ctx: StackContext) -> dict[str, str]:
    """`location` and `resource_group_name`, which nearly every Azure resource takes."""
    return {"location": location(ctx), "resource_group_name": resource_group(ctx).name}


def client(ctx: StackContext) -> DataAzurermClientConfig:
    """Who runs Terraform: its tenant is the tenant Entra ID authentication is set up in."""
    return ctx.shared("azure.client", lambda: ctx.add(STACK_SECTION, DataAzurermClientConfig, "client"))


def log_workspace(ctx: StackContext) -> LogAnalyticsWorkspace:
    """The stack's Log Analytics workspace: diagnostics, container and cluster logs, kept a year."""
    return ctx.shared("azure.logs", lambda: ctx.add(
        STACK_SECTION, LogAnalyticsWorkspace, "logs", name=ctx.physical_name("logs"), sku="PerGB2018",
        retention_in_days=LOG_RETENTION_DAYS, tags=ctx.tags(), **placement(ctx)))


def diagnostics(construct: ComponentConstruct, role: str, target_id: str, *, logs: str | None = "allLogs",
                metrics: bool = True) -> MonitorDiagnosticSetting:
    """Send a resource's logs (a category group, None for a resource that has no logs) and, if it has them, its
    metrics to the stack's workspace."""
    return construct.add(MonitorDiagnosticSetting, role, name="nexus", target_resource_id=target_id,
                         log_analytics_workspace_id=log_workspace(construct.ctx).id,
                         enabled_log=[{"category_group": logs}] if logs else None,
                         enabled_metric=[{"category": "AllMetrics"}] if metrics else None)



def paired_region(ctx: StackContext) -> str:
    region = location(ctx)
    if region not in PAIRED_REGIONS:
        raise SpecError([ctx.loaded.source.problem(
            ("providers", "azure", "location"), f"Nexus does not know the paired region of {region}, where "
                                                "geo-redundant backups under a customer-managed key go")])
    return PAIRED_REGIONS[region]


def key_vault(ctx: StackContext, *, geo: bool = False) -> tuple[KeyVault, RoleAssignment]:
    """The stack's Key Vault (`geo`: its twin in the paired region) and the grant that lets Terraform's own
    identity create keys in it.

    RBAC instead of access policies, purge protection and 90 days of soft delete (a deleted vault must not take
    the data its keys protect with it). The firewall denies by default and admits trusted Azure services (the
    data stores fetch the key that way) and the addresses Terraform runs from (variable
    `key_vault_allowed_ips`): Terraform writes keys through the data plane, so closing public network access
    entirely would need a runner inside the virtual network.
    """
    prefix = "geo_" if geo else ""

    def build() -> tuple[KeyVault, RoleAssignment]:
        runner = ctx.shared("azure.key_vault_runner", lambda: cdktn.TerraformVariable(
            ctx.stack, RUNNER_ADDRESSES_VARIABLE, type="list(string)", nullable=False,
            description="Public IP addresses or CIDR ranges Terraform runs from; the stack's Key Vault firewalls "
                        "admit only these and trusted Azure services"))
        vault = ctx.add(
            STACK_SECTION, KeyVault, f"{prefix}keys", name=ctx.physical_name(f"{prefix}keys", max_length=24),
            location=paired_region(ctx) if geo else location(ctx), resource_group_name=resource_group(ctx).name,
            tenant_id=client(ctx).tenant_id, sku_name="standard", rbac_authorization_enabled=True,
            purge_protection_enabled=True, soft_delete_retention_days=KEY_VAULT_SOFT_DELETE_DAYS,
            public_network_access_enabled=True,
            network_acls={"default_action": "Deny", "bypass": "AzureServices", "ip_rules": runner.list_value},
            tags=ctx.tags())
        officer = ctx.add(STACK_SECTION, RoleAssignment, f"{prefix}keys_officer", scope=vault.id,
                          role_definition_name=KEY_OFFICER_ROLE, principal_id=client(ctx).object_id)
        return vault, officer
    return ctx.shared(f"azure.{prefix}key_vault", build)


def stack_key(ctx: StackContext, *, geo: bool = False) -> KeyVaultKey:
    """One customer-managed key per stack (`geo`: per paired region) that wraps the data stores' own keys; Key
    Vault rotates it 30 days before each version's one-year expiry. The first version's expiry is set at
    creation (plan time plus a year) and left alone afterwards, so rotation, not Terraform, owns it and the
    output stays deterministic."""
    prefix = "geo_" if geo else ""

    def build() -> KeyVaultKey:
        vault, officer = key_vault(ctx, geo=geo)
        return ctx.add(
            STACK_SECTION, KeyVaultKey, f"{prefix}stack_key", name="data-at-rest", key_vault_id=vault.id,
            key_type="RSA", key_size=KEY_SIZE, key_opts=["unwrapKey", "wrapKey"],
            expiration_date='${timeadd(plantimestamp(), "8760h")}',
            rotation_policy={"expire_after": KEY_LIFETIME, "notify_before_expiry": "P29D",
                             "automatic": {"time_before_expiry": "P30D"}},
            lifecycle={"ignore_changes": ["expiration_date"]}, depends_on=[officer], tags=ctx.tags())
    return ctx.shared(f"azure.{prefix}stack_key", build)


@dataclass(frozen=True)
class CustomerKey:
    """What a data store needs to encrypt with the stack key: the identity it reads the key as, the key's
    versionless id (rotated versions are picked up), its current version's id (for services that take only a
    versioned key), and the grant it must wait for (`depends_on`)."""

    identity: UserAssignedIdentity
    key_id: str
    current_version_id: str
    grant: RoleAssignment

    def settings(self, identity_field: str, *, versioned: bool = False, **block) -> dict:
        """The identity, `customer_managed_key` block (the identity named by the service's own field) and
        dependency of a resource encrypted with this key: without the grant in place Azure refuses the key.
        `versioned`: the service pins a key version; after Key Vault rotates the key, the next apply moves the
        service to the new version."""
        key_id = self.current_version_id if versioned else self.key_id
        return {"identity": {"type": "UserAssigned", "identity_ids": [self.identity.id]},
                "customer_managed_key": {"key_vault_key_id": key_id, identity_field: self.identity.id, **block},
                "depends_on": [self.grant]}


def customer_key(construct: ComponentConstruct, role: str = "key", *, geo: bool = False) -> CustomerKey:
    """An identity of the data store's own, allowed only to wrap and unwrap with the stack key (`geo`: the key
    in the paired region, for geo-redundant backups)."""
    key = stack_key(construct.ctx, geo=geo)
    identity = construct.add(UserAssignedIdentity, role,
                             name=construct.physical_name(role.replace("_", "-"), max_length=128),
                             tags=construct.tags, **placement(construct.ctx))
    grant = construct.add(RoleAssignment, f"{role}_user", scope=key.resource_versionless_id,
                          role_definition_name=KEY_USER_ROLE, principal_id=identity.principal_id,
                          principal_type="ServicePrincipal")
    return CustomerKey(identity=identity, key_id=key.versionless_id, current_version_id=key.id, grant=grant)
