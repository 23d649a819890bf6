"""vm_group -> regional managed instance group of Shielded VMs: no public IP, CMEK disks, OS Login, autoscaled."""
from __future__ import annotations

from cdktn_provider_google.compute_instance_template import (
    ComputeInstanceTemplate,
    ComputeInstanceTemplateDisk,
    ComputeInstanceTemplateNetworkInterface,
)
from cdktn_provider_google.compute_region_autoscaler import ComputeRegionAutoscaler
from cdktn_provider_google.compute_region_instance_group_manager import (
    ComputeRegionInstanceGroupManager,
    ComputeRegionInstanceGroupManagerVersion,
)

from ...spec.model import VmGroup
from ..base import ComponentConstruct
from .network import network_of
from .provider import encryption_key, region, service_account

MACHINE_TYPE = {"small": "e2-standard-2", "medium": "e2-standard-4", "large": "n2-standard-8",
                "xlarge": "n2-standard-16"}
DEFAULT_IMAGE = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64"
VM_ROLES = ("roles/logging.logWriter", "roles/monitoring.metricWriter")


class GcpVmGroup(ComponentConstruct[VmGroup]):
    def build(self) -> None:
        spec = self.component
        identity = service_account(self, "sa", f"Runs the {self.name} VMs", project_roles=VM_ROLES)
        # Templates cannot change in place: a new one (unique name) is made before the old one goes.
        template = self.add(
            ComputeInstanceTemplate, "template", name_prefix=f"{self.physical_name(max_length=36)}-",
            machine_type=MACHINE_TYPE[spec.size], region=region(self.ctx), labels=self.labels,
            disk=[ComputeInstanceTemplateDisk(
                boot=True, auto_delete=True, source_image=spec.image or DEFAULT_IMAGE, disk_size_gb=spec.disk_gb,
                disk_type="pd-balanced", labels=self.labels,
                disk_encryption_key={"kms_key_self_link": encryption_key(self.ctx, "compute")})],
            network_interface=[ComputeInstanceTemplateNetworkInterface(subnetwork=network_of(self)["subnet_ids"][0])],
            service_account={"email": identity.email, "scopes": ["cloud-platform"]},
            shielded_instance_config={"enable_secure_boot": True, "enable_vtpm": True,
                                      "enable_integrity_monitoring": True},
            metadata={"enable-oslogin": "TRUE", "block-project-ssh-keys": "TRUE"},
            lifecycle={"create_before_destroy": True})
        group = self.add(ComputeRegionInstanceGroupManager, None, name=self.physical_name(),
                         base_instance_name=self.physical_name(max_length=58), region=region(self.ctx),
                         version=[ComputeRegionInstanceGroupManagerVersion(
                             name="primary", instance_template=template.self_link_unique)])
        self.add(ComputeRegionAutoscaler, "autoscaler", name=self.physical_name("autoscaler"),
                 region=region(self.ctx), target=group.id,
                 autoscaling_policy={"min_replicas": spec.min, "max_replicas": spec.max, "cooldown_period": 60,
                                     "cpu_utilization": {"target": 0.6}})
        self.export(instance_group=group.instance_group, service_account=identity.email)
