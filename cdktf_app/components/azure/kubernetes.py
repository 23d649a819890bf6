"""kubernetes -> AKS: private API server, Entra ID + Azure RBAC only, Azure Policy, Cilium network policy,
autoscaled nodes in the private subnet, container insights and audit logs to the stack's workspace."""
from __future__ import annotations

import ipaddress

from cdktn_provider_azurerm.kubernetes_cluster import KubernetesCluster
from cdktn_provider_azurerm.role_assignment import RoleAssignment
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity

from ...spec.model import Kubernetes
from ..base import ComponentConstruct
from .network import network_of
from .provider import client, diagnostics, log_workspace, placement

NODE_SIZE = {"small": "Standard_D2ds_v5", "medium": "Standard_D4ds_v5", "large": "Standard_D8ds_v5",
             "xlarge": "Standard_D16ds_v5"}
# Pod and service ranges live outside the virtual network and must not overlap it: the first free candidate wins.
POD_CIDRS = ("10.244.0.0/16", "192.168.0.0/16")
SERVICE_CIDRS = ("172.16.0.0/16", "10.245.0.0/16")


def outside(network_cidr: str, candidates: tuple[str, ...]) -> ipaddress.IPv4Network:
    network = ipaddress.ip_network(network_cidr, strict=False)
    return next(ipaddress.ip_network(candidate) for candidate in candidates
                if not ipaddress.ip_network(candidate).overlaps(network))


class AzureKubernetes(ComponentConstruct[Kubernetes]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        identity, network_role = self._control_plane_identity(network)
        cluster = self.add(
            KubernetesCluster, None, name=self.physical_name(max_length=63),
            dns_prefix=self.physical_name(max_length=54), kubernetes_version=spec.version,
            identity={"type": "UserAssigned", "identity_ids": [identity.id]},
            private_cluster_enabled=not spec.public_endpoint, role_based_access_control_enabled=True,
            local_account_disabled=True,
            azure_active_directory_role_based_access_control={"azure_rbac_enabled": True,
                                                              "tenant_id": client(self.ctx).tenant_id},
            azure_policy_enabled=True, oidc_issuer_enabled=True, workload_identity_enabled=True,
            automatic_upgrade_channel="patch", node_os_upgrade_channel="NodeImage",
            node_provisioning_profile={"mode": "Manual"},
            default_node_pool={
                "name": "system", "vm_size": NODE_SIZE[spec.node_size], "auto_scaling_enabled": True,
                "min_count": spec.min, "max_count": spec.max, "vnet_subnet_id": network["private_subnet_id"],
                "zones": network["zones"], "host_encryption_enabled": True,
                "temporary_name_for_rotation": "systemtmp"},
            network_profile=self._network_profile(network),
            oms_agent={"log_analytics_workspace_id": log_workspace(self.ctx).id,
                       "msi_auth_for_monitoring_enabled": True},
            depends_on=[network_role], tags=self.tags, **placement(self.ctx))
        diagnostics(self, "diagnostics", cluster.id, logs="audit")
        self.export(id=cluster.id, name=cluster.name, oidc_issuer_url=cluster.oidc_issuer_url,
                    private_fqdn=cluster.private_fqdn, kubelet_object_id=cluster.kubelet_identity.object_id)

    def _control_plane_identity(self, network: dict) -> tuple[UserAssignedIdentity, RoleAssignment]:
        """An identity granted the subnet before the cluster exists: AKS checks, while it creates the cluster,
        that it may manage load balancers and NAT egress in a subnet it does not own."""
        identity = self.add(UserAssignedIdentity, "identity", name=self.physical_name(max_length=128),
                            tags=self.tags, **placement(self.ctx))
        role = self.add(RoleAssignment, "network_role", scope=network["private_subnet_id"],
                        role_definition_name="Network Contributor", principal_id=identity.principal_id,
                        principal_type="ServicePrincipal")
        return identity, role

    @staticmethod
    def _network_profile(network: dict) -> dict:
        services = outside(network["cidr"], SERVICE_CIDRS)
        return {"network_plugin": "azure", "network_plugin_mode": "overlay", "network_data_plane": "cilium",
                "network_policy": "cilium", "load_balancer_sku": "standard",
                "outbound_type": "userAssignedNATGateway" if network["nat"] else "loadBalancer",
                "pod_cidr": str(outside(network["cidr"], POD_CIDRS)), "service_cidr": str(services),
                "dns_service_ip": str(services[10])}
