"""service -> Cloud Run service: own identity, internal ingress unless public, direct VPC egress, Secret Manager env."""
from __future__ import annotations

import cdktn
from cdktn_provider_google.cloud_run_v2_service import (
    CloudRunV2Service,
    CloudRunV2ServiceTemplateContainers,
    CloudRunV2ServiceTemplateContainersEnv,
    CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces,
)
from cdktn_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktn_provider_google.monitoring_alert_policy import MonitoringAlertPolicy

from ...spec.model import Service
from ..base import ComponentConstruct
from ..release import ReleaseVariables
from .network import network_of
from .provider import region, service_account
from .secrets import secret_references

CLOUD_RUN_CPUS = (1, 2, 4, 8)
MIB_PER_CPU = 4096            # Cloud Run allows at most 4 GiB per vCPU
MEMORY_MIB = (512, 32768)     # and between 512 MiB (second generation) and 32 GiB in all


def cloud_run_size(cpu_units: int, memory_mib: int) -> tuple[int, int]:
    """Whole vCPUs and MiB that Cloud Run accepts, at least what the spec asks for."""
    memory = min(max(memory_mib, MEMORY_MIB[0]), MEMORY_MIB[1])
    wanted = max(cpu_units / 1024, memory / MIB_PER_CPU)
    return next((cpus for cpus in CLOUD_RUN_CPUS if cpus >= wanted), CLOUD_RUN_CPUS[-1]), memory


def revision_name(service: str, image_variable: str) -> str:
    """A revision named after the image it runs, so the stable image's revision can be addressed by traffic."""
    return f"{service}-${{substr(sha1(var.{image_variable}), 0, 8)}}"


class GcpService(ComponentConstruct[Service]):
    def build(self) -> None:
        spec = self.component
        identity = service_account(self, "sa", f"Runs the {self.name} Cloud Run service")
        secret_env, secret_grants = self._secrets(identity)
        cpus, memory = cloud_run_size(spec.cpu, spec.memory)
        release = spec.release if spec.release and spec.release.shifts_traffic else None
        variables = ReleaseVariables.of(self.name)
        name = self.physical_name(max_length=49)
        if release:
            variables.declare(self.ctx.stack, self.name, spec.image)
        container = CloudRunV2ServiceTemplateContainers(
            image=variables.reference(variables.next_image) if release else spec.image,
            ports={"container_port": spec.port},
            resources={"limits": {"cpu": str(cpus), "memory": f"{memory}Mi"}},
            startup_probe={"http_get": {"path": spec.health_check}},
            liveness_probe={"http_get": {"path": spec.health_check}},
            env=[CloudRunV2ServiceTemplateContainersEnv(name=name, value=value)
                 for name, value in spec.environment.items()] + secret_env or None)
        network = network_of(self)
        behind_cdn = self.ctx.referenced_by(self.name, "cdn", "origin")
        service = self.add(
            CloudRunV2Service, None, name=name, location=region(self.ctx),
            ingress=self._ingress(behind_cdn), labels=self.labels, depends_on=secret_grants or None,
            **(self._traffic(name, variables) if release else {}),
            template={
                "service_account": identity.email, "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
                "scaling": {"min_instance_count": spec.min, "max_instance_count": spec.max},
                "containers": [container], "labels": self.labels,
                "vpc_access": {"egress": "PRIVATE_RANGES_ONLY", "network_interfaces": [
                    CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces(network=network["network_id"],
                                                                        subnetwork=network["subnet_ids"][0])]},
                **({"revision": revision_name(name, variables.next_image)} if release else {}),
            })
        if spec.public or behind_cdn:
            # Ingress already limits who can reach it; the load balancer of a CDN calls without credentials.
            self.add(CloudRunV2ServiceIamMember, "public_invoker", name=service.name, location=service.location,
                     role="roles/run.invoker", member="allUsers")
        if spec.release and spec.release.rollback_on:
            self._rollback_alerts(name, variables.next_image if release else None)
        self.export(name=service.name, location=service.location, uri=service.uri, service_account=identity.email)

    def _traffic(self, name: str, variables: ReleaseVariables) -> dict:
        """The stable image's revision keeps what the released one (the latest) does not receive."""
        return {"traffic": [
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", "revision": revision_name(name, variables.stable_image),
             "percent": cdktn.Token.as_number(variables.stable_weight_expression)},
            {"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST",
             "percent": cdktn.Token.as_number(variables.reference(variables.next_weight))}]}

    def _rollback_alerts(self, name: str, next_image: str | None) -> None:
        """rollback_on as Cloud Monitoring alert policies on the released revision (on the service's revisions
        with a rolling release)."""
        limits = self.component.release.rollback_on
        scope = f'resource.type="cloud_run_revision" AND resource.labels.service_name="{name}"'
        if next_image:
            scope += f' AND resource.labels.revision_name="{revision_name(name, next_image)}"'
        requests = f'metric.type="run.googleapis.com/request_count" AND {scope}'
        window = {"alignment_period": "60s", "per_series_aligner": "ALIGN_RATE", "cross_series_reducer": "REDUCE_SUM"}
        if limits.error_rate is not None:
            self.add(MonitoringAlertPolicy, "rollback_error_rate", display_name=f"{self.ctx.prefix} {self.name}: "
                     f"more than {limits.error_rate:g}% of requests fail", combiner="OR", user_labels=self.labels,
                     conditions=[{"display_name": "5xx share of requests", "condition_threshold": {
                         "filter": f'{requests} AND metric.labels.response_code_class="5xx"',
                         "denominator_filter": requests, "comparison": "COMPARISON_GT",
                         "threshold_value": limits.error_rate / 100, "duration": "60s",
                         "aggregations": [window], "denominator_aggregations": [window]}}])
        if limits.p99_latency is not None:
            self.add(MonitoringAlertPolicy, "rollback_p99_latency", display_name=f"{self.ctx.prefix} {self.name}: "
                     f"p99 latency above {limits.p99_latency:g} ms", combiner="OR", user_labels=self.labels,
                     conditions=[{"display_name": "p99 request latency", "condition_threshold": {
                         "filter": f'metric.type="run.googleapis.com/request_latencies" AND {scope}',
                         "comparison": "COMPARISON_GT", "threshold_value": limits.p99_latency, "duration": "60s",
                         "aggregations": [{"alignment_period": "60s", "per_series_aligner": "ALIGN_PERCENTILE_99",
                                           "cross_series_reducer": "REDUCE_MAX"}]}}])

    def _ingress(self, behind_cdn: bool) -> str:
        if self.component.public:
            return "INGRESS_TRAFFIC_ALL"
        return "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" if behind_cdn else "INGRESS_TRAFFIC_INTERNAL_ONLY"

    def _secrets(self, identity) -> tuple[list[CloudRunV2ServiceTemplateContainersEnv], list]:
        """One env var per secret the service lists, a reference and never a value (see secrets.py)."""
        found = secret_references(self, identity)
        env = [CloudRunV2ServiceTemplateContainersEnv(name=name, value=value) for name, value in found.plain.items()]
        env += [CloudRunV2ServiceTemplateContainersEnv(
            name=name, value_source={"secret_key_ref": {"secret": secret, "version": "latest"}})
            for name, secret in found.stored.items()]
        return env, found.grants
