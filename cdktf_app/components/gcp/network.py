"""network -> VPC with one regional private subnet (flow logs, Private Google Access), Cloud NAT, private services."""
from __future__ import annotations

from cdktn_provider_google.compute_global_address import ComputeGlobalAddress
from cdktn_provider_google.compute_network import ComputeNetwork
from cdktn_provider_google.compute_router import ComputeRouter
from cdktn_provider_google.compute_router_nat import ComputeRouterNat
from cdktn_provider_google.compute_subnetwork import ComputeSubnetwork
from cdktn_provider_google.service_networking_connection import ServiceNetworkingConnection

from ...spec.model import Network
from ..base import ComponentConstruct
from .provider import region

FLOW_LOGS = {"aggregation_interval": "INTERVAL_5_SEC", "flow_sampling": 1.0, "metadata": "INCLUDE_ALL_METADATA"}


class GcpNetwork(ComponentConstruct[Network]):
    """GCP subnets are regional and span every zone, so `zones` needs no subnet per zone here."""

    def build(self) -> None:
        spec = self.component
        network = self.add(ComputeNetwork, None, name=self.physical_name(), auto_create_subnetworks=False,
                           routing_mode="REGIONAL")
        subnet = self.add(ComputeSubnetwork, "private", name=self.physical_name("private"), network=network.id,
                          region=region(self.ctx), ip_cidr_range=spec.cidr, private_ip_google_access=True,
                          log_config=FLOW_LOGS if spec.flow_logs else None)
        if spec.nat:
            router = self.add(ComputeRouter, "router", name=self.physical_name("router"), network=network.id,
                              region=region(self.ctx))
            self.add(ComputeRouterNat, "nat", name=self.physical_name("nat"), router=router.name,
                     region=router.region, nat_ip_allocate_option="AUTO_ONLY",
                     source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                     log_config={"enable": True, "filter": "ERRORS_ONLY"})
        self.export(network_id=network.id, network_self_link=network.self_link, cidr=spec.cidr,
                    subnet_ids=[subnet.id])


def network_of(construct: ComponentConstruct) -> dict:
    """The exports of the network this component runs in (built before it)."""
    return construct.ctx.imported(construct.ctx.network_for(construct.component))


def private_services_access(construct: ComponentConstruct) -> ServiceNetworkingConnection:
    """The peering through which Cloud SQL and Memorystore get private addresses in the component's network.

    Made once per network, owned by the network in provenance.
    """
    ctx = construct.ctx
    network = ctx.network_for(construct.component)

    def build() -> ServiceNetworkingConnection:
        network_id = ctx.imported(network)["network_id"]
        add = ctx.adder(network, f"{network}_services")
        peering_range = add(ComputeGlobalAddress, "range", name=ctx.physical_name(network, "services"),
                            purpose="VPC_PEERING", address_type="INTERNAL", prefix_length=20, network=network_id,
                            labels=ctx.labels(network))
        # Cloud SQL keeps using the peering for days after an instance is deleted: deleting it would then fail.
        return add(ServiceNetworkingConnection, None, network=network_id, service="servicenetworking.googleapis.com",
                   reserved_peering_ranges=[peering_range.name], deletion_policy="ABANDON")
    return ctx.shared(f"gcp.private_services.{network}", build)
