"""kubernetes -> private regional GKE cluster (Workload Identity, Shielded nodes, CMEK secrets) and a node pool."""
from __future__ import annotations

from cdktn_provider_google.container_cluster import (
    ContainerCluster,
    ContainerClusterMasterAuthorizedNetworksConfigCidrBlocks,
)
from cdktn_provider_google.container_node_pool import ContainerNodePool

from ...spec.model import Kubernetes
from ..base import ComponentConstruct
from .network import network_of
from .provider import encryption_key, project, region, service_account
from .vm_group import MACHINE_TYPE

NODE_ROLES = ("roles/container.defaultNodeServiceAccount",)


class GcpKubernetes(ComponentConstruct[Kubernetes]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        cluster = self.add(
            ContainerCluster, None, name=self.physical_name(max_length=40), location=region(self.ctx),
            network=network["network_id"], subnetwork=network["subnet_ids"][0], networking_mode="VPC_NATIVE",
            # GKE picks free pod and service ranges of these sizes and adds them to the subnet.
            ip_allocation_policy={"cluster_ipv4_cidr_block": "/17", "services_ipv4_cidr_block": "/22"},
            remove_default_node_pool=True, initial_node_count=1, min_master_version=spec.version,
            release_channel={"channel": "REGULAR"},
            private_cluster_config={"enable_private_nodes": True,
                                    "enable_private_endpoint": not spec.public_endpoint,
                                    "master_global_access_config": {"enabled": True}},
            master_authorized_networks_config=None if spec.public_endpoint else {
                "gcp_public_cidrs_access_enabled": False,
                "cidr_blocks": [ContainerClusterMasterAuthorizedNetworksConfigCidrBlocks(
                    cidr_block=network["cidr"], display_name="cluster network")]},
            workload_identity_config={"workload_pool": f"{project(self.ctx)}.svc.id.goog"},
            enable_shielded_nodes=True,
            # Dataplane V2 enforces Kubernetes NetworkPolicy itself (no Calico add-on).
            datapath_provider="ADVANCED_DATAPATH",
            database_encryption={"state": "ENCRYPTED", "key_name": encryption_key(self.ctx, "gke")},
            resource_labels=self.labels)
        nodes = service_account(self, "node_sa", f"Nodes of the {self.name} cluster", project_roles=NODE_ROLES)
        self.add(ContainerNodePool, "nodes", name=self.physical_name("nodes", max_length=40), cluster=cluster.id,
                 location=region(self.ctx),
                 autoscaling={"total_min_node_count": spec.min, "total_max_node_count": spec.max,
                              "location_policy": "BALANCED"},
                 management={"auto_repair": True, "auto_upgrade": True},
                 node_config={
                     "machine_type": MACHINE_TYPE[spec.node_size], "image_type": "COS_CONTAINERD",
                     "disk_type": "pd-balanced", "boot_disk_kms_key": encryption_key(self.ctx, "compute"),
                     "service_account": nodes.email,
                     "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
                     "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
                     "workload_metadata_config": {"mode": "GKE_METADATA"},
                     "metadata": {"disable-legacy-endpoints": "true"}, "resource_labels": self.labels})
        self.export(name=cluster.name, endpoint=cluster.endpoint, location=cluster.location,
                    workload_pool=f"{project(self.ctx)}.svc.id.goog")
