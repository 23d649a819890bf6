"""network -> virtual network with an app subnet (hosts the Container Apps environment) and a private subnet
(VMs, AKS nodes, private endpoints), NSGs that turn inbound internet traffic away, and a NAT gateway. With
`flow_logs` (the default), VNet flow logs (version 2) go to a storage account of the network's own, kept as long
as the stack's other logs, with traffic analytics in the stack's Log Analytics workspace.

Components that need a subnet of their own (PostgreSQL/MySQL flexible servers) cut a delegated one from the
network's spare ranges with `delegated_subnet`.
"""
from __future__ import annotations

import ipaddress
import re

from cdktn_provider_azurerm.data_azurerm_network_watcher import DataAzurermNetworkWatcher
from cdktn_provider_azurerm.nat_gateway import NatGateway
from cdktn_provider_azurerm.nat_gateway_public_ip_association import NatGatewayPublicIpAssociation
from cdktn_provider_azurerm.network_security_group import NetworkSecurityGroup
from cdktn_provider_azurerm.network_security_rule import NetworkSecurityRule
from cdktn_provider_azurerm.network_watcher_flow_log import NetworkWatcherFlowLog
from cdktn_provider_azurerm.private_dns_zone import PrivateDnsZone
from cdktn_provider_azurerm.private_dns_zone_virtual_network_link import PrivateDnsZoneVirtualNetworkLink
from cdktn_provider_azurerm.private_endpoint import PrivateEndpoint
from cdktn_provider_azurerm.public_ip import PublicIp
from cdktn_provider_azurerm.storage_management_policy import StorageManagementPolicy
from cdktn_provider_azurerm.subnet import Subnet
from cdktn_provider_azurerm.subnet_nat_gateway_association import SubnetNatGatewayAssociation
from cdktn_provider_azurerm.subnet_network_security_group_association import SubnetNetworkSecurityGroupAssociation
from cdktn_provider_azurerm.virtual_network import VirtualNetwork

from ...errors import SpecError
from ...spec.model import ComponentBase, Network
from ..base import ComponentConstruct
from .provider import LOG_RETENTION_DAYS, STACK_SECTION, location, log_workspace, placement, resource_group
from .storage import storage_account

CONTAINER_APPS = "Microsoft.App/environments"
PRIVATE_SUBNET_SERVICE_ENDPOINTS = ("Microsoft.Storage", "Microsoft.KeyVault")
AZURE_MAX_ZONES = 3
# Where Azure puts the region's Network Watcher when it enables one for a subscription.
NETWORK_WATCHER_GROUP = "NetworkWatcherRG"
FLOW_LOG_VERSION = 2
TRAFFIC_ANALYTICS_INTERVAL_MINUTES = 10


def subnet_cidrs(cidr: str) -> list[str]:
    """Split the address space into 8 equal ranges: app, private, and six spare for delegated subnets."""
    return [str(subnet) for subnet in ipaddress.ip_network(cidr, strict=False).subnets(prefixlen_diff=3)]


def delegation(service: str) -> list[dict]:
    return [{"name": service.split("/")[0], "service_delegation": {
        "name": service, "actions": ["Microsoft.Network/virtualNetworks/subnets/join/action"]}}]


class AzureNetwork(ComponentConstruct[Network]):
    def build(self) -> None:
        spec = self.component
        vnet = self.add(VirtualNetwork, None, name=self.physical_name(max_length=64), address_space=[spec.cidr],
                        tags=self.tags, **placement(self.ctx))
        cidrs = subnet_cidrs(spec.cidr)
        services = self._components_inside("service")
        public_ingress = any(service.public for service in services)
        app = self._subnet(vnet, "app", cidrs[0], delegation=delegation(CONTAINER_APPS) if services else None)
        # Network policies on, so the subnet's NSG also guards the private endpoints placed in it.
        private = self._subnet(vnet, "private", cidrs[1], private_endpoint_network_policies="Enabled",
                               service_endpoint=[{"service": name} for name in PRIVATE_SUBNET_SERVICE_ENDPOINTS])
        deny_internet(self, app, "app", allow_https=public_ingress)
        deny_internet(self, private, "private")
        app_id, private_id = app.id, private.id
        if spec.nat:
            app_id, private_id = self._nat({"app": app, "private": private})
        if spec.flow_logs:
            self._flow_logs(vnet)
        self.export(component_name=self.name, vnet_id=vnet.id, vnet_name=vnet.name, cidr=spec.cidr,
                    app_subnet_id=app_id, private_subnet_id=private_id, spare_cidrs=cidrs[2:],
                    zones=[str(zone) for zone in range(1, min(spec.zones, AZURE_MAX_ZONES) + 1)],
                    public_ingress=public_ingress, nat=spec.nat)

    def _flow_logs(self, vnet: VirtualNetwork) -> None:
        """VNet flow logs (NSG flow logs can no longer be created since June 2025) into an account of their own.

        Only one Network Watcher may exist per region and subscription, and Azure creates it
        (`NetworkWatcher_<region>` in `NetworkWatcherRG`) when the subscription's first virtual network there is
        created, so the stack reads it instead of creating one. The read waits for the VNet, so on a first
        deployment it happens during apply, once Azure has created the watcher.

        The watcher writes as a trusted Azure service over the account's public endpoint (it cannot use a
        private endpoint), so the account's firewall admits only trusted services. Regulated data's flow logs
        are encrypted with the stack's customer-managed key like the data itself.
        """
        ctx = self.ctx
        region = location(ctx)
        watcher = self.add(DataAzurermNetworkWatcher, "watcher", name=f"NetworkWatcher_{region}",
                           resource_group_name=NETWORK_WATCHER_GROUP, depends_on=[vnet])
        # Flow logs arrive as blocks added to hourly blobs: versions would keep a copy of every minute's write.
        account = storage_account(self, "flow_log_storage", versioned=False, encrypted=ctx.spec.is_regulated(),
                                  trusted_services_only=True)
        # The flow log's own retention policy is being retired in favour of lifecycle rules; both say the same.
        self.add(StorageManagementPolicy, "flow_log_lifecycle", storage_account_id=account.id, rule=[{
            "name": "flow-log-retention", "enabled": True, "filters": {"blob_types": ["blockBlob"]},
            "actions": {"base_blob": {"delete_after_days_since_modification_greater_than": LOG_RETENTION_DAYS}}}])
        workspace = log_workspace(ctx)
        self.add(NetworkWatcherFlowLog, "flow_logs", name=self.physical_name("flow-logs", max_length=80),
                 network_watcher_name=watcher.name, resource_group_name=watcher.resource_group_name,
                 location=region, target_resource_id=vnet.id, storage_account_id=account.id, enabled=True,
                 version=FLOW_LOG_VERSION, retention_policy={"enabled": True, "days": LOG_RETENTION_DAYS},
                 traffic_analytics={"enabled": True, "workspace_id": workspace.workspace_id,
                                    "workspace_region": workspace.location, "workspace_resource_id": workspace.id,
                                    "interval_in_minutes": TRAFFIC_ANALYTICS_INTERVAL_MINUTES},
                 tags=self.tags)

    def _components_inside(self, component_type: str) -> list[ComponentBase]:
        ctx = self.ctx
        return [component for component in ctx.spec.components.values()
                if component.type == component_type and "azure" in ctx.spec.clouds_for(component)
                and ctx.network_for(component) == self.name]

    def _subnet(self, vnet: VirtualNetwork, tier: str, cidr: str, **settings) -> Subnet:
        # Outbound internet only through the NAT gateway (or a load balancer), never Azure's implicit default.
        return self.add(Subnet, f"{tier}_subnet", name=tier, virtual_network_name=vnet.name,
                        resource_group_name=vnet.resource_group_name, address_prefixes=[cidr],
                        default_outbound_access_enabled=False, **settings)

    def _nat(self, subnets: dict[str, Subnet]) -> list[str]:
        """A NAT gateway for the subnets; their ids are read back through the associations so that whatever
        uses a subnet is created after its outbound path exists (AKS with a NAT outbound type checks it)."""
        address = self.add(PublicIp, "nat_ip", name=self.physical_name("nat", max_length=80),
                           allocation_method="Static", sku="Standard", tags=self.tags, **placement(self.ctx))
        gateway = self.add(NatGateway, "nat", name=self.physical_name("nat", max_length=80), sku_name="Standard",
                           tags=self.tags, **placement(self.ctx))
        self.add(NatGatewayPublicIpAssociation, "nat_ip_link", nat_gateway_id=gateway.id,
                 public_ip_address_id=address.id)
        return [self.add(SubnetNatGatewayAssociation, f"{tier}_nat_link", subnet_id=subnet.id,
                         nat_gateway_id=gateway.id).subnet_id for tier, subnet in subnets.items()]


def deny_internet(construct: ComponentConstruct, subnet: Subnet, tier: str, *, allow_https: bool = False,
                  vnet_port: int | None = None) -> None:
    """An NSG on the subnet that turns away inbound internet traffic; the app tier admits HTTPS when a service is
    public, a delegated subnet admits the virtual network on its service's port."""
    group = construct.add(NetworkSecurityGroup, f"{tier}_nsg", name=construct.physical_name(tier, max_length=80),
                          tags=construct.tags, **placement(construct.ctx))
    if allow_https:
        _inbound_rule(construct, group, f"{tier}_allow_https", "allow-https-from-internet", 100, "Allow", "Tcp",
                      "443")
    if vnet_port is not None:
        _inbound_rule(construct, group, f"{tier}_allow_vnet", "allow-service-port-from-vnet", 100, "Allow", "Tcp",
                      str(vnet_port), source="VirtualNetwork")
    _inbound_rule(construct, group, f"{tier}_deny_internet", "deny-all-from-internet", 4096, "Deny", "*", "*")
    construct.add(SubnetNetworkSecurityGroupAssociation, f"{tier}_nsg_link", subnet_id=subnet.id,
                  network_security_group_id=group.id)


def _inbound_rule(construct: ComponentConstruct, group: NetworkSecurityGroup, role: str, name: str, priority: int,
                  access: str, protocol: str, port: str, source: str = "Internet") -> None:
    construct.add(NetworkSecurityRule, role, name=name, priority=priority, direction="Inbound", access=access,
                  protocol=protocol, source_address_prefix=source, source_port_range="*",
                  destination_address_prefix="*", destination_port_range=port,
                  network_security_group_name=group.name, resource_group_name=group.resource_group_name)


def network_if_any(construct: ComponentConstruct) -> dict | None:
    """The exports of the network this component would run in, or None when it names none and this cloud has
    none or several."""
    name = construct.ctx.network_for(construct.component)
    return construct.ctx.imported(name) if name else None


def private_endpoint(construct: ComponentConstruct, network: dict, target_id: str, *, subresource: str, zone: str,
                     label: str) -> PrivateEndpoint:
    """A private endpoint to one sub-resource of `target_id` in the network's private subnet, registered in the
    stack's private DNS zone for that service, so the VNet resolves the service's usual name to it."""
    dns = private_dns_zone(construct.ctx, zone, network)
    return construct.add(
        PrivateEndpoint, "endpoint", name=construct.physical_name("endpoint", max_length=64),
        subnet_id=network["private_subnet_id"],
        private_service_connection={"name": label, "is_manual_connection": False,
                                    "private_connection_resource_id": target_id, "subresource_names": [subresource]},
        private_dns_zone_group={"name": label, "private_dns_zone_ids": [dns.private_dns_zone_id]},
        tags=construct.tags, **placement(construct.ctx))


def network_of(construct: ComponentConstruct) -> dict:
    """The exports of the network this component runs in (built before it)."""
    network = network_if_any(construct)
    if network is None:
        raise SpecError([construct.ctx.loaded.source.problem(
            ("components", construct.name), "several networks run on azure: name the one this component uses "
                                            "with network:")])
    return network


def delegated_subnet(construct: ComponentConstruct, network: dict, service: str, port: int | None) -> Subnet:
    """A subnet of the component's own, delegated to an Azure service, cut from the network's next spare range,
    with an NSG that admits the virtual network on the service's port (if it listens on one) and turns the
    internet away."""
    ctx = construct.ctx
    spare = ctx.shared(f"azure.spare_cidrs.{network['component_name']}", lambda: iter(network["spare_cidrs"]))
    cidr = next(spare, None)
    if cidr is None:
        raise SpecError([ctx.loaded.source.problem(
            ("components", network["component_name"]),
            "no address range left for another delegated subnet; fewer components may need one in this network")])
    subnet = construct.add(Subnet, "subnet", name=construct.physical_name(max_length=80),
                           virtual_network_name=network["vnet_name"], resource_group_name=resource_group(ctx).name,
                           address_prefixes=[cidr], default_outbound_access_enabled=False,
                           delegation=delegation(service))
    deny_internet(construct, subnet, "subnet", vnet_port=port)
    return subnet


def private_dns_zone(ctx, zone: str, network: dict) -> PrivateDnsZoneVirtualNetworkLink:
    """The stack's private DNS zone `zone`, linked to the network (each built once); returns the link."""
    key = re.sub(r"[^a-z0-9]+", "_", zone)
    dns = ctx.shared(f"azure.dns.{zone}", lambda: ctx.add(
        STACK_SECTION, PrivateDnsZone, f"dns_{key}", name=zone, resource_group_name=resource_group(ctx).name,
        tags=ctx.tags()))
    owner = network["component_name"]
    return ctx.shared(f"azure.dns.{zone}.{owner}", lambda: ctx.add(
        owner, PrivateDnsZoneVirtualNetworkLink, f"{owner}_dns_{key}", name=f"{owner}-link",
        private_dns_zone_id=dns.id, virtual_network_id=network["vnet_id"], tags=ctx.tags(owner)))
