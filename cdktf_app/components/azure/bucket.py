"""bucket -> storage account (GRS, HTTPS and TLS 1.2 only, double encryption at rest, Entra ID only, versions
and soft delete) with one blob container, private unless public; expiry rules and access logs. When the bucket
is `encrypted`, the account encrypts with the stack's Key Vault key (customer-managed) through an identity of
its own.

A private bucket is closed to public networks and reached through a private endpoint in its network's private
subnet, unless there is no network to put one in, or Front Door serves it (Nexus's Front Door reaches its origins
at their public endpoints)."""
from __future__ import annotations

from cdktn_provider_azurerm.storage_account import StorageAccount
from cdktn_provider_azurerm.storage_container import StorageContainer
from cdktn_provider_azurerm.storage_management_policy import StorageManagementPolicy

from ...dr.targets import target_for
from ...spec.model import Bucket
from ..base import ComponentConstruct
from .network import network_if_any, private_endpoint
from .provider import diagnostics
from .storage import storage_account

CONTAINER = "data"
BLOB_DNS_ZONE = "privatelink.blob.core.windows.net"
OLD_VERSIONS_KEPT_DAYS = 90


class AzureBucket(ComponentConstruct[Bucket]):
    def build(self) -> None:
        spec = self.component
        network = self._private_network()
        account = storage_account(self, None, public=spec.public, versioned=spec.versioned, encrypted=spec.encrypted,
                                  public_network=network is None, replication=self._replication())
        if network is not None:
            private_endpoint(self, network, account.id, subresource="blob", zone=BLOB_DNS_ZONE, label="blob")
        container = self.add(StorageContainer, "container", name=CONTAINER, storage_account_id=account.id,
                             container_access_type="blob" if spec.public else "private")
        if spec.versioned or spec.expire_days:
            self._lifecycle(account)
        if spec.access_logs:
            diagnostics(self, "access_logs", f"{account.id}/blobServices/default", metrics=False)
        self.export(id=account.id, name=account.name, container=container.name, container_id=container.id,
                    blob_host=account.primary_blob_host, url=f"{account.primary_blob_endpoint}{CONTAINER}")

    def _replication(self) -> str:
        """With a recovery region (the pair): zone- and geo-redundant, the copy readable for a warm standby."""
        dr = target_for(self.ctx.spec, self.name, "azure")
        if dr is None:
            return "GRS"
        return "RAGZRS" if dr.mode == "warm_standby" else "GZRS"

    def _private_network(self) -> dict | None:
        """The network whose private endpoint serves the bucket, or None when the bucket must stay reachable over
        public networks: it is public, Front Door serves it, or there is no network to put an endpoint in."""
        served_by_cdn = self.ctx.referenced_by(self.name, "cdn", "origin")
        return None if self.component.public or served_by_cdn else network_if_any(self)

    def _lifecycle(self, account: StorageAccount) -> None:
        """Old versions go after 90 days; objects after expire_days when the spec sets it."""
        spec = self.component
        actions = {}
        if spec.versioned:
            actions["version"] = {"delete_after_days_since_creation": OLD_VERSIONS_KEPT_DAYS}
        if spec.expire_days:
            actions["base_blob"] = {"delete_after_days_since_modification_greater_than": spec.expire_days}
        self.add(StorageManagementPolicy, "lifecycle", storage_account_id=account.id, rule=[{
            "name": "housekeeping", "enabled": True, "filters": {"blob_types": ["blockBlob"]},
            "actions": actions}])
