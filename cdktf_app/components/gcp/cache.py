"""cache -> Memorystore for Redis: private services access, AUTH, TLS, CMEK, daily RDB snapshots."""
from __future__ import annotations

from cdktn_provider_google.redis_instance import RedisInstance

from ...spec.model import Cache
from ..base import ComponentConstruct
from .network import network_of, private_services_access
from .provider import encryption_key, region

MEMORY_GB = {"small": 1, "medium": 5, "large": 16, "xlarge": 64}
READ_REPLICAS_MIN_GB = 5


class GcpCache(ComponentConstruct[Cache]):
    """Memorystore for Redis serves `valkey` too: its Valkey service is a different product (cluster mode only)."""

    def build(self) -> None:
        spec = self.component
        peering = private_services_access(self)
        # One replica is the standard tier's failover replica; more also serve reads.
        read_replicas = spec.replicas > 1
        memory = max(MEMORY_GB[spec.size], READ_REPLICAS_MIN_GB) if read_replicas else MEMORY_GB[spec.size]
        instance = self.add(
            RedisInstance, None, name=self.physical_name(max_length=40), region=region(self.ctx),
            tier="STANDARD_HA" if spec.replicas else "BASIC", memory_size_gb=memory, redis_version="REDIS_7_2",
            replica_count=spec.replicas or None,
            read_replicas_mode="READ_REPLICAS_ENABLED" if read_replicas else None,
            connect_mode="PRIVATE_SERVICE_ACCESS", authorized_network=network_of(self)["network_id"],
            auth_enabled=True, transit_encryption_mode="SERVER_AUTHENTICATION",
            customer_managed_key=encryption_key(self.ctx, "redis") if spec.encrypted else None,
            persistence_config={"persistence_mode": "RDB", "rdb_snapshot_period": "TWENTY_FOUR_HOURS"},
            labels=self.labels, depends_on=[peering])
        self.export(endpoint=instance.host, port=instance.port, read_endpoint=instance.read_endpoint)
