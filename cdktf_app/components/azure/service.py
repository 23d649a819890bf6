"""service -> Container App with its own managed identity, in its network's Container Apps environment."""
from __future__ import annotations

import math

from cdktn_provider_azurerm.container_app import ContainerApp
from cdktn_provider_azurerm.container_app_environment import ContainerAppEnvironment
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity

from ...spec.model import Service
from ..base import ComponentConstruct
from .network import network_of
from .provider import log_workspace, placement

CONSUMPTION = "Consumption"
MAX_REPLICA_CORES = 4.0


def replica_size(cpu_units: int, memory_mib: int) -> tuple[float, str]:
    """Container Apps sizes replicas in 0.25 vCPU steps with 2 GiB per vCPU: the smallest that fits both."""
    cores = math.ceil(max(cpu_units / 1024, memory_mib / 2048) * 4) / 4
    cores = min(cores, MAX_REPLICA_CORES)
    return cores, f"{cores * 2:g}Gi"


def environment(construct: ComponentConstruct, network: dict) -> ContainerAppEnvironment:
    """The network's Container Apps environment, shared by its services; internal unless one of them is public."""
    ctx, owner = construct.ctx, network["component_name"]
    return ctx.shared(f"azure.apps.{owner}", lambda: ctx.add(
        owner, ContainerAppEnvironment, f"{owner}_apps", name=ctx.physical_name(owner, "apps", max_length=60),
        infrastructure_subnet_id=network["app_subnet_id"],
        internal_load_balancer_enabled=not network["public_ingress"],
        zone_redundancy_enabled=len(network["zones"]) > 1,
        workload_profile=[{"name": CONSUMPTION, "workload_profile_type": CONSUMPTION}],
        logs_destination="log-analytics", log_analytics_workspace_id=log_workspace(ctx).id,
        tags=ctx.tags(owner), **placement(ctx)))


class AzureService(ComponentConstruct[Service]):
    def build(self) -> None:
        spec = self.component
        apps = environment(self, network_of(self))
        identity = self.add(UserAssignedIdentity, "identity", name=self.physical_name(max_length=128),
                            tags=self.tags, **placement(self.ctx))
        app = self.add(
            ContainerApp, None, name=self.physical_name(max_length=32), container_app_environment_id=apps.id,
            resource_group_name=apps.resource_group_name, revision_mode="Single",
            workload_profile_name=CONSUMPTION,
            identity={"type": "UserAssigned", "identity_ids": [identity.id]},
            template=self._template(),
            ingress={"external_enabled": spec.public, "target_port": spec.port, "transport": "auto",
                     "allow_insecure_connections": False,
                     "traffic_weight": [{"percentage": 100, "latest_revision": True}]},
            tags=self.tags)
        self.export(fqdn=app.ingress.fqdn, url=f"https://{app.ingress.fqdn}", id=app.id,
                    health_check=spec.health_check, identity_id=identity.id,
                    identity_principal_id=identity.principal_id)

    def _template(self) -> dict:
        spec = self.component
        cores, memory = replica_size(spec.cpu, spec.memory)
        probe = {"transport": "HTTP", "port": spec.port, "path": spec.health_check}
        container = {"name": "app", "image": spec.image, "cpu": cores, "memory": memory,
                     "liveness_probe": [probe], "readiness_probe": [probe]}
        if spec.environment:
            container["env"] = [{"name": name, "value": value} for name, value in spec.environment.items()]
        return {"min_replicas": spec.min, "max_replicas": spec.max, "container": [container],
                "custom_scale_rule": [{"name": "cpu", "custom_rule_type": "cpu",
                                       "metadata": {"type": "Utilization", "value": str(spec.cpu_target)}}]}
