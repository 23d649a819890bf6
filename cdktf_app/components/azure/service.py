"""service -> Container App with its own managed identity, in its network's Container Apps environment."""
from __future__ import annotations

import math

import cdktn
from cdktn_provider_azurerm.container_app import ContainerApp
from cdktn_provider_azurerm.container_app_environment import ContainerAppEnvironment
from cdktn_provider_azurerm.monitor_metric_alert import MonitorMetricAlert
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity

from ...spec.model import Service
from ..base import ComponentConstruct
from ..release import ReleaseVariables
from .network import network_of
from .provider import log_workspace, placement
from .secrets import container_app_secrets

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


def revision_suffix(image_variable: str) -> str:
    """A revision suffix made from the image it runs, so the stable image's revision can be addressed by traffic."""
    return f"${{substr(sha1(var.{image_variable}), 0, 8)}}"


class AzureService(ComponentConstruct[Service]):
    def build(self) -> None:
        spec = self.component
        release = spec.release if spec.release and spec.release.shifts_traffic else None
        variables = ReleaseVariables.of(self.name)
        if release:
            variables.declare(self.ctx.stack, self.name, spec.image)
        apps = environment(self, network_of(self))
        identity = self.add(UserAssignedIdentity, "identity", name=self.physical_name(max_length=128),
                            tags=self.tags, **placement(self.ctx))
        app_secrets, secret_env, secret_grants = container_app_secrets(self.ctx, self.name, spec.secrets, identity)
        app = self.add(
            ContainerApp, None, name=self.physical_name(max_length=32), container_app_environment_id=apps.id,
            resource_group_name=apps.resource_group_name, revision_mode="Multiple" if release else "Single",
            workload_profile_name=CONSUMPTION,
            identity={"type": "UserAssigned", "identity_ids": [identity.id]},
            template=self._template(variables if release else None, secret_env),
            secret=app_secrets or None, depends_on=secret_grants or None,
            ingress={"external_enabled": spec.public, "target_port": spec.port, "transport": "auto",
                     "allow_insecure_connections": False,
                     "traffic_weight": self._traffic(variables) if release else [
                         {"percentage": 100, "latest_revision": True}]},
            tags=self.tags)
        if spec.release and spec.release.rollback_on:
            self._rollback_alerts(app)
        self.export(fqdn=app.ingress.fqdn, url=f"https://{app.ingress.fqdn}", id=app.id,
                    health_check=spec.health_check, identity_id=identity.id,
                    identity_principal_id=identity.principal_id)

    def _traffic(self, variables: ReleaseVariables) -> list[dict]:
        """The stable image's revision keeps what the released one (the latest) does not receive."""
        return [{"revision_suffix": revision_suffix(variables.stable_image),
                 "percentage": cdktn.Token.as_number(variables.stable_weight_expression)},
                {"latest_revision": True,
                 "percentage": cdktn.Token.as_number(variables.reference(variables.next_weight))}]

    def _rollback_alerts(self, app: ContainerApp) -> None:
        """rollback_on as Azure Monitor metric alerts on the Container App. Its metrics have no per-revision 5xx
        share: error_rate alerts when 5xx answers exceed that per cent of the app's requests per minute at its
        floor of one request a second (60 a minute), p99_latency on the app's response time."""
        limits = self.component.release.rollback_on
        common = {"resource_group_name": app.resource_group_name, "scopes": [app.id], "frequency": "PT1M",
                  "window_size": "PT5M", "severity": 2, "tags": self.tags}
        alerts = []   # (what it watches, its description, its criterion)
        if limits.error_rate is not None:
            alerts.append(("error_rate", f"5xx answers above {limits.error_rate:g}%",
                           {"metric_name": "Requests", "aggregation": "Total",
                            "threshold": limits.error_rate * 60 / 100,
                            "dimension": [{"name": "statusCodeCategory", "operator": "Include", "values": ["5xx"]}]}))
        if limits.p99_latency is not None:
            alerts.append(("p99_latency", f"response time above {limits.p99_latency:g} ms",
                           {"metric_name": "ResponseTime", "aggregation": "Maximum",
                            "threshold": limits.p99_latency}))
        for watched, description, criterion in alerts:
            self.add(MonitorMetricAlert, f"rollback_{watched}",
                     name=self.physical_name(watched.replace("_", "-"), max_length=128),
                     description=f"{self.name}: {description} (nexus release)",
                     criteria=[{"metric_namespace": "Microsoft.App/containerApps", "operator": "GreaterThan",
                                **criterion}], **common)

    def _template(self, variables: ReleaseVariables | None, secret_env: list[dict]) -> dict:
        spec = self.component
        cores, memory = replica_size(spec.cpu, spec.memory)
        probe = {"transport": "HTTP", "port": spec.port, "path": spec.health_check}
        image = variables.reference(variables.next_image) if variables else spec.image
        container = {"name": "app", "image": image, "cpu": cores, "memory": memory,
                     "liveness_probe": [probe], "readiness_probe": [probe]}
        env = [{"name": name, "value": value} for name, value in spec.environment.items()] + secret_env
        if env:
            container["env"] = env
        revision = {"revision_suffix": revision_suffix(variables.next_image)} if variables else {}
        return {"min_replicas": spec.min, "max_replicas": spec.max, "container": [container], **revision,
                "custom_scale_rule": [{"name": "cpu", "custom_rule_type": "cpu",
                                       "metadata": {"type": "Utilization", "value": str(spec.cpu_target)}}]}
