"""queue -> Service Bus namespace (TLS 1.2, Entra ID only) with a queue, or a topic for kind: topic;
fifo maps to sessions and duplicate detection, dead_letter to dead-lettering expired messages.

Customer-managed keys exist only on Premium namespaces, so an `encrypted` queue is Premium (one messaging unit,
about 30x the Standard base charge) and encrypts with the stack's Key Vault key, with infrastructure (double)
encryption, through an identity of the namespace's own. Premium is also the tier that can close public network
access: an encrypted queue is reached through a private endpoint in its network's private subnet, unless there is
no network. A function that triggers on such a queue joins that network (see function.py)."""
from __future__ import annotations

from cdktn_provider_azurerm.servicebus_namespace import ServicebusNamespace
from cdktn_provider_azurerm.servicebus_queue import ServicebusQueue
from cdktn_provider_azurerm.servicebus_topic import ServicebusTopic

from ...spec.model import Queue
from ..base import ComponentConstruct
from .network import network_if_any, private_endpoint
from .provider import customer_key, diagnostics, placement

# Standard is the smallest tier with topics; only Premium takes a customer-managed key.
SKU = "Standard"
ENCRYPTED_SKU = "Premium"
PREMIUM_MESSAGING_UNITS = 1
SERVICEBUS_DNS_ZONE = "privatelink.servicebus.windows.net"
MAX_DELIVERIES = 10


def message_ttl(spec: Queue) -> str:
    return f"PT{spec.retention_hours}H"


class AzureQueue(ComponentConstruct[Queue]):
    def build(self) -> None:
        spec = self.component
        network = self._private_network()
        namespace = self.add(ServicebusNamespace, None, name=self.physical_name(max_length=50),
                             local_auth_enabled=False, minimum_tls_version="1.2", tags=self.tags,
                             **(self._premium_with_customer_key() if spec.encrypted else {"sku": SKU}),
                             **self._network_access(network), **placement(self.ctx))
        if network is not None:
            private_endpoint(self, network, namespace.id, subresource="namespace", zone=SERVICEBUS_DNS_ZONE,
                             label="servicebus")
        diagnostics(self, "diagnostics", namespace.id)
        entity = (self._topic if spec.kind == "topic" else self._queue)(namespace)
        self.export(kind=spec.kind, id=entity.id, name=entity.name, namespace_id=namespace.id,
                    namespace_host=f"{namespace.name}.servicebus.windows.net", message_ttl=message_ttl(spec),
                    dead_letter=spec.dead_letter, private_network=network["component_name"] if network else None)

    def _private_network(self) -> dict | None:
        """The network whose private endpoint serves a Premium namespace, or None when it must stay public."""
        return network_if_any(self) if self.component.encrypted else None

    @staticmethod
    def _network_access(network: dict | None) -> dict:
        """Public network access off, in the namespace and in its network rule set (which would otherwise turn
        it back on), when a private endpoint serves it; trusted Azure services still get through."""
        if network is None:
            return {}
        return {"public_network_access_enabled": False,
                "network_rule_set": {"default_action": "Deny", "public_network_access_enabled": False,
                                     "trusted_services_allowed": True}}

    def _premium_with_customer_key(self) -> dict:
        """A Premium namespace encrypted with the stack key; it waits for its identity's grant on the key."""
        return {"sku": ENCRYPTED_SKU, "capacity": PREMIUM_MESSAGING_UNITS,
                "premium_messaging_partitions": PREMIUM_MESSAGING_UNITS,
                **customer_key(self).settings("identity_id", infrastructure_encryption_enabled=True)}

    def _queue(self, namespace: ServicebusNamespace) -> ServicebusQueue:
        spec = self.component
        return self.add(ServicebusQueue, "queue", name=self.name, namespace_id=namespace.id,
                        default_message_ttl=message_ttl(spec), max_delivery_count=MAX_DELIVERIES,
                        dead_lettering_on_message_expiration=spec.dead_letter, requires_session=spec.fifo,
                        requires_duplicate_detection=spec.fifo)

    def _topic(self, namespace: ServicebusNamespace) -> ServicebusTopic:
        spec = self.component
        return self.add(ServicebusTopic, "topic", name=self.name, namespace_id=namespace.id,
                        default_message_ttl=message_ttl(spec), support_ordering=spec.fifo,
                        requires_duplicate_detection=spec.fifo)
