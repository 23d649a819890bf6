"""database -> PostgreSQL or MySQL flexible server: Entra ID sign-in through a managed identity as admin,
VNet-integrated with private DNS unless public, zone-redundant standby and geo-redundant backups when
high_availability, a delete lock when deletion_protection, logs to the stack's workspace. When `encrypted`, data
and backups are encrypted with the stack's Key Vault key through an identity of the server's own (geo-redundant
backups with the key of the stack's vault in the paired region, which Azure requires)."""
from __future__ import annotations

import cdktn
from cdktn_provider_azurerm.management_lock import ManagementLock
from cdktn_provider_azurerm.mysql_flexible_server import MysqlFlexibleServer
from cdktn_provider_azurerm.mysql_flexible_server_active_directory_administrator import (
    MysqlFlexibleServerActiveDirectoryAdministrator,
)
from cdktn_provider_azurerm.mysql_flexible_server_configuration import MysqlFlexibleServerConfiguration
from cdktn_provider_azurerm.postgresql_flexible_server import PostgresqlFlexibleServer
from cdktn_provider_azurerm.postgresql_flexible_server_active_directory_administrator import (
    PostgresqlFlexibleServerActiveDirectoryAdministrator,
)
from cdktn_provider_azurerm.private_dns_zone import PrivateDnsZone
from cdktn_provider_azurerm.private_dns_zone_virtual_network_link import PrivateDnsZoneVirtualNetworkLink
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity

from ...dr.targets import target_for
from ...spec.model import Database
from ..base import ComponentConstruct
from .network import delegated_subnet, network_of
from .provider import CustomerKey, client, customer_key, diagnostics, placement, resource_group

VCORES = {"small": 2, "medium": 4, "large": 8, "xlarge": 16}
GENERAL_PURPOSE_SKU = {"postgres": "GP_Standard_D{}ds_v5", "mysql": "GP_Standard_D{}ds_v4"}
BURSTABLE_SKU = "B_Standard_B2s"
PORT = {"postgres": 5432, "mysql": 3306}
DELEGATION = {"postgres": "Microsoft.DBforPostgreSQL/flexibleServers", "mysql": "Microsoft.DBforMySQL/flexibleServers"}
POSTGRES_STORAGE_MB = (32768, 65536, 131072, 262144, 524288, 1048576, 2097152, 4193280, 4194304, 8388608,
                       16777216, 33553408)
MYSQL_MAX_STORAGE_GB = 16384
MYSQL_VERSION = {"8.0": "8.0.21", "8.4": "8.4"}
MYSQL_ADMIN_LOGIN = "nexusadmin"


def sku_name(spec: Database) -> str:
    # Burstable servers cannot run a standby, so a highly available small database is General Purpose.
    if spec.size == "small" and not spec.high_availability:
        return BURSTABLE_SKU
    return GENERAL_PURPOSE_SKU[spec.engine].format(VCORES[spec.size])


def postgres_storage_mb(storage_gb: int) -> int:
    """Flexible Server offers fixed disk sizes: the smallest that holds the requested size (or the largest)."""
    return next((size for size in POSTGRES_STORAGE_MB if size >= storage_gb * 1024), POSTGRES_STORAGE_MB[-1])


# Azure keeps at least 7 days of backups and cannot turn them off.
AZURE_MIN_BACKUP_DAYS = 7


class AzureDatabase(ComponentConstruct[Database]):
    def build(self) -> None:
        spec = self.component
        admin = self.add(UserAssignedIdentity, "admin", name=self.physical_name("admin", max_length=128),
                         tags=self.tags, **placement(self.ctx))
        name = self.physical_name(max_length=63)
        dr = target_for(self.ctx.spec, self.name, "azure")
        settings = {
            "sku_name": sku_name(spec), "backup_retention_days": max(spec.backup_retention_days, AZURE_MIN_BACKUP_DAYS),
            "geo_redundant_backup_enabled": self._geo_backups, "tags": self.tags, **placement(self.ctx)}
        if spec.high_availability:
            settings |= {"zone": "1",
                         "high_availability": {"mode": "ZoneRedundant", "standby_availability_zone": "2"}}
        if not spec.public:
            settings |= self._private_access(name)
        key_identities: list[str] = []
        if spec.encrypted:
            key_block, keys = self._customer_key()
            key_identities = [key.identity.id for key in keys]
            settings |= {"customer_managed_key": key_block,
                         "depends_on": [*settings.get("depends_on", []), *(key.grant for key in keys)]}
        server = (self._postgres if spec.engine == "postgres" else self._mysql)(name, admin, key_identities,
                                                                                 settings)
        if dr and dr.replicates:
            self._geo_replica(server, dr)
        if spec.deletion_protection:
            self.add(ManagementLock, "lock", name="nexus-deletion-protection", scope=server.id,
                     lock_level="CanNotDelete", notes="deletion_protection in the Nexus spec")
        diagnostics(self, "diagnostics", server.id)
        self.export(id=server.id, endpoint=server.fqdn, port=PORT[spec.engine], admin_identity_id=admin.id,
                    admin_client_id=admin.client_id, admin_login=admin.name)

    def _private_access(self, server_name: str) -> dict:
        """A delegated subnet and a private DNS zone linked to the network: the server gets no public address."""
        engine = self.component.engine
        network = network_of(self)
        subnet = delegated_subnet(self, network, DELEGATION[engine], PORT[engine])
        zone = self.add(PrivateDnsZone, "dns", name=f"{server_name}.private.{engine}.database.azure.com",
                        resource_group_name=resource_group(self.ctx).name, tags=self.tags)
        link = self.add(PrivateDnsZoneVirtualNetworkLink, "dns_link", name=f"{self.name}-link",
                        private_dns_zone_id=zone.id, virtual_network_id=network["vnet_id"], tags=self.tags)
        return {"delegated_subnet_id": subnet.id, "private_dns_zone_id": zone.id, "depends_on": [link]}

    def _customer_key(self) -> tuple[dict, list[CustomerKey]]:
        """The `customer_managed_key` block and the keys it uses (the server reads them as their identities and
        must wait for their grants). Geo-redundant backups need the paired region's key."""
        key = customer_key(self)
        block = {"key_vault_key_id": key.key_id, "primary_user_assigned_identity_id": key.identity.id}
        if not self._geo_backups:
            return block, [key]
        geo = customer_key(self, "geo_key", geo=True)
        block |= {"geo_backup_key_vault_key_id": geo.key_id, "geo_backup_user_assigned_identity_id": geo.identity.id}
        return block, [key, geo]

    @property
    def _geo_backups(self) -> bool:
        """Backups copied to the paired region: for high availability, and whenever the data has a recovery
        region (on Azure always the pair)."""
        return self.component.high_availability or target_for(self.ctx.spec, self.name, "azure") is not None

    def _geo_replica(self, server, dr) -> None:
        """A read replica in the recovery region (the pair), promoted at failover; encrypted with the stack's key
        in the paired vault, private (no public access; reached through a private endpoint once failed over)."""
        spec = self.component
        key = customer_key(self, "replica_key", geo=True) if spec.encrypted else None
        cls = PostgresqlFlexibleServer if spec.engine == "postgres" else MysqlFlexibleServer
        network = ({"public_network_access_enabled": False} if spec.engine == "postgres"
                   else {"public_network_access": "Disabled"})
        self.add(cls, "replica", name=self.physical_name("replica", max_length=63), create_mode="Replica",
                 source_server_id=server.id, location=dr.region, resource_group_name=resource_group(self.ctx).name,
                 sku_name=sku_name(spec), tags=self.tags, **network,
                 **(key.settings("primary_user_assigned_identity_id") if key else {}))

    def _postgres(self, name: str, admin: UserAssignedIdentity, key_identities: list[str],
                  settings: dict) -> PostgresqlFlexibleServer:
        spec = self.component
        if key_identities:
            settings = {**settings, "identity": {"type": "UserAssigned", "identity_ids": key_identities}}
        tenant_id = client(self.ctx).tenant_id
        server = self.add(
            PostgresqlFlexibleServer, None, name=name, version=spec.version,
            storage_mb=postgres_storage_mb(spec.storage_gb), auto_grow_enabled=True,
            public_network_access_enabled=spec.public,
            authentication={"active_directory_auth_enabled": True, "password_auth_enabled": False,
                            "tenant_id": tenant_id},
            **settings)
        self.add(PostgresqlFlexibleServerActiveDirectoryAdministrator, "entra_admin", server_name=server.name,
                 resource_group_name=server.resource_group_name, tenant_id=tenant_id, object_id=admin.principal_id,
                 principal_name=admin.name, principal_type="ServicePrincipal")
        return server

    def _mysql(self, name: str, admin: UserAssignedIdentity, key_identities: list[str],
               settings: dict) -> MysqlFlexibleServer:
        """MySQL insists on an administrator password at creation (a sensitive variable; write-only arguments
        would need Terraform 1.11); `aad_auth_only` turns password sign-in off once the Entra ID admin exists."""
        spec = self.component
        password = cdktn.TerraformVariable(
            self.ctx.stack, f"{self.name}_admin_password", type="string", sensitive=True, nullable=False,
            description=f"Initial MySQL administrator password of {self.name}; sign-in is Entra ID only after "
                        "creation")
        server = self.add(
            MysqlFlexibleServer, None, name=name, version=MYSQL_VERSION[spec.version],
            storage={"size_gb": min(spec.storage_gb, MYSQL_MAX_STORAGE_GB), "auto_grow_enabled": True},
            public_network_access="Enabled" if spec.public else "Disabled",
            administrator_login=MYSQL_ADMIN_LOGIN, administrator_password=password.string_value,
            identity={"type": "UserAssigned", "identity_ids": [admin.id, *key_identities]}, **settings)
        entra_admin = self.add(
            MysqlFlexibleServerActiveDirectoryAdministrator, "entra_admin", server_id=server.id,
            identity_id=admin.id, login=admin.name, object_id=admin.principal_id,
            tenant_id=client(self.ctx).tenant_id)
        self.add(MysqlFlexibleServerConfiguration, "entra_only", name="aad_auth_only", value="ON",
                 server_name=server.name, resource_group_name=server.resource_group_name, depends_on=[entra_admin])
        return server
