"""cache -> Azure Managed Redis (Microsoft's successor to Azure Cache for Redis, which is being retired): TLS only
(minimum TLS 1.2, which the provider sets), Entra ID sign-in without access keys, no public network access,
reached through a private endpoint in the network's private subnet; connection logs and metrics go to the stack's
workspace.

When the cache is `encrypted` (the default), its disks (OS, persistence, export scratch) are encrypted with the
stack's Key Vault key through an identity of the cache's own, as on every other Azure data store; otherwise with
Microsoft-managed keys. Managed Redis takes only a versioned key: once Key Vault rotates the stack key, the next
apply moves the cache to the new version.

`size` picks the Balanced SKU (memory close to the other clouds' nodes); any replica turns on high availability,
which keeps a replica of every shard in another zone. Managed Redis offers no more replicas than that and serves no
reads from them: more `replicas` add no nodes, the size decides throughput."""
from __future__ import annotations

from cdktn_provider_azurerm.managed_redis import ManagedRedis

from ...spec.model import Cache
from ..base import ComponentConstruct
from .network import network_of, private_endpoint
from .provider import customer_key, diagnostics, placement

# Balanced (memory : vCPU about 4 : 1): B1 1 GB, B5 6 GB, B10 12 GB, B50 60 GB.
SKU = {"small": "Balanced_B1", "medium": "Balanced_B5", "large": "Balanced_B10", "xlarge": "Balanced_B50"}
# The private link of Managed Redis is its underlying resource type's (Microsoft.Cache/redisEnterprise).
REDIS_SUBRESOURCE = "redisEnterprise"
REDIS_DNS_ZONE = "privatelink.redis.azure.net"
# One endpoint that proxies to every shard, so clients need not be cluster-aware (as on the other clouds).
CLUSTERING_POLICY = "EnterpriseCluster"


class AzureCache(ComponentConstruct[Cache]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        cache = self.add(
            ManagedRedis, None, name=self.physical_name(max_length=60), sku_name=SKU[spec.size],
            high_availability_enabled=spec.replicas > 0, public_network_access="Disabled",
            default_database={"client_protocol": "Encrypted", "access_keys_authentication_enabled": False,
                              "clustering_policy": CLUSTERING_POLICY},
            tags=self.tags, **(self._customer_key() if spec.encrypted else {}), **placement(self.ctx))
        private_endpoint(self, network, cache.id, subresource=REDIS_SUBRESOURCE, zone=REDIS_DNS_ZONE, label="redis")
        # Metrics are the cluster's; its only logs (connection events) are the database's.
        diagnostics(self, "diagnostics", cache.id, logs=None)
        database_id = cache.default_database.id
        diagnostics(self, "connection_logs", database_id, metrics=False)
        self.export(id=cache.id, endpoint=cache.hostname, port=cache.default_database.port,
                    database_id=database_id)

    def _customer_key(self) -> dict:
        """Encryption with the stack key, read as an identity of the cache's own once its grant is in place."""
        return customer_key(self).settings("user_assigned_identity_id", versioned=True)
