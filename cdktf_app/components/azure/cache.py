"""cache -> Azure Cache for Redis: TLS 1.2 only, Entra ID sign-in without access keys, no public network
access, reached through a private endpoint in the network's private subnet; logs to the stack's workspace.

Data at rest is always encrypted, with Microsoft-managed keys: `encrypted` (the stack's customer-managed key, as
on every other Azure data store) is not available on this service, so a spec that asks for it is refused."""
from __future__ import annotations

from cdktn_provider_azurerm.redis_cache import RedisCache

from ...spec.model import Cache
from ..base import ComponentConstruct
from .network import network_of, private_endpoint
from .provider import diagnostics, placement

CAPACITY = {"small": 1, "medium": 2, "large": 3, "xlarge": 4}
REDIS_DNS_ZONE = "privatelink.redis.cache.windows.net"


def sku(spec: Cache) -> tuple[str, str]:
    """(sku, family): Basic has no replica, Standard exactly one; more replicas or large sizes need Premium,
    which always keeps at least one."""
    if spec.replicas > 1 or spec.size in ("large", "xlarge"):
        return "Premium", "P"
    return ("Standard" if spec.replicas else "Basic"), "C"


class AzureCache(ComponentConstruct[Cache]):
    UNSUPPORTED = {"encrypted": "Azure Cache for Redis has no customer-managed keys (only Azure Managed Redis and "
                                "the Enterprise tiers do); data at rest is encrypted with Microsoft-managed keys. "
                                "Set encrypted: false to accept that, or pin the cache to aws or gcp"}

    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        sku_name, family = sku(spec)
        premium = self._premium(network["zones"]) if sku_name == "Premium" else {}
        cache = self.add(
            RedisCache, None, name=self.physical_name(max_length=63), sku_name=sku_name, family=family,
            capacity=CAPACITY[spec.size], non_ssl_port_enabled=False, minimum_tls_version="1.2",
            public_network_access_enabled=False, access_keys_authentication_enabled=False,
            redis_configuration={"active_directory_authentication_enabled": True},
            tags=self.tags, **premium, **placement(self.ctx))
        private_endpoint(self, network, cache.id, subresource="redisCache", zone=REDIS_DNS_ZONE, label="redis")
        diagnostics(self, "diagnostics", cache.id)
        self.export(id=cache.id, endpoint=cache.hostname, port=cache.ssl_port)

    def _premium(self, zones: list[str]) -> dict:
        """Replicas per primary, spread over as many zones as there are nodes."""
        replicas = max(self.component.replicas, 1)
        return {"replicas_per_master": replicas, "zones": zones[:replicas + 1]}
