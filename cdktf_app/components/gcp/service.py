"""service -> Cloud Run service: own identity, internal ingress unless public, direct VPC egress, Secret Manager env."""
from __future__ import annotations

from cdktn_provider_google.cloud_run_v2_service import (
    CloudRunV2Service,
    CloudRunV2ServiceTemplateContainers,
    CloudRunV2ServiceTemplateContainersEnv,
    CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces,
)
from cdktn_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktn_provider_google.secret_manager_secret_iam_member import SecretManagerSecretIamMember

from ...errors import SpecError
from ...spec.model import Service
from ..base import ComponentConstruct
from .network import network_of
from .provider import region, service_account

CLOUD_RUN_CPUS = (1, 2, 4, 8)
MIB_PER_CPU = 4096            # Cloud Run allows at most 4 GiB per vCPU
MEMORY_MIB = (512, 32768)     # and between 512 MiB (second generation) and 32 GiB in all


def cloud_run_size(cpu_units: int, memory_mib: int) -> tuple[int, int]:
    """Whole vCPUs and MiB that Cloud Run accepts, at least what the spec asks for."""
    memory = min(max(memory_mib, MEMORY_MIB[0]), MEMORY_MIB[1])
    wanted = max(cpu_units / 1024, memory / MIB_PER_CPU)
    return next((cpus for cpus in CLOUD_RUN_CPUS if cpus >= wanted), CLOUD_RUN_CPUS[-1]), memory


class GcpService(ComponentConstruct[Service]):
    def build(self) -> None:
        spec = self.component
        identity = service_account(self, "sa", f"Runs the {self.name} Cloud Run service")
        secret_env, secret_grants = self._secrets(identity.member)
        cpus, memory = cloud_run_size(spec.cpu, spec.memory)
        container = CloudRunV2ServiceTemplateContainers(
            image=spec.image, ports={"container_port": spec.port},
            resources={"limits": {"cpu": str(cpus), "memory": f"{memory}Mi"}},
            startup_probe={"http_get": {"path": spec.health_check}},
            liveness_probe={"http_get": {"path": spec.health_check}},
            env=[CloudRunV2ServiceTemplateContainersEnv(name=name, value=value)
                 for name, value in spec.environment.items()] + secret_env or None)
        network = network_of(self)
        behind_cdn = self.ctx.referenced_by(self.name, "cdn", "origin")
        service = self.add(
            CloudRunV2Service, None, name=self.physical_name(max_length=49), location=region(self.ctx),
            ingress=self._ingress(behind_cdn), labels=self.labels, depends_on=secret_grants or None,
            template={
                "service_account": identity.email, "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
                "scaling": {"min_instance_count": spec.min, "max_instance_count": spec.max},
                "containers": [container], "labels": self.labels,
                "vpc_access": {"egress": "PRIVATE_RANGES_ONLY", "network_interfaces": [
                    CloudRunV2ServiceTemplateVpcAccessNetworkInterfaces(network=network["network_id"],
                                                                        subnetwork=network["subnet_ids"][0])]},
            })
        if spec.public or behind_cdn:
            # Ingress already limits who can reach it; the load balancer of a CDN calls without credentials.
            self.add(CloudRunV2ServiceIamMember, "public_invoker", name=service.name, location=service.location,
                     role="roles/run.invoker", member="allUsers")
        self.export(name=service.name, location=service.location, uri=service.uri, service_account=identity.email)

    def _ingress(self, behind_cdn: bool) -> str:
        if self.component.public:
            return "INGRESS_TRAFFIC_ALL"
        return "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER" if behind_cdn else "INGRESS_TRAFFIC_INTERNAL_ONLY"

    def _secrets(self, member: str) -> tuple[list[CloudRunV2ServiceTemplateContainersEnv], list]:
        """One env var per secret (`db_password` -> `DB_PASSWORD`), each readable by the service's identity."""
        env, grants = [], []
        for key in self.component.secrets:
            secret = self.ctx.spec.secrets[key]
            if secret.source != "gcp-secret-manager":
                raise SpecError([self.ctx.loaded.source.problem(
                    ("components", self.name, "secrets"),
                    f"secret '{key}' is in {secret.source}; a service on gcp reads gcp-secret-manager secrets only "
                    "(pin the service with provider:)")])
            grants.append(self.add(SecretManagerSecretIamMember, f"secret_{key}", secret_id=secret.name,
                                   role="roles/secretmanager.secretAccessor", member=member))
            env.append(CloudRunV2ServiceTemplateContainersEnv(
                name=key.upper(), value_source={"secret_key_ref": {"secret": secret.name, "version": "latest"}}))
        return env, grants
