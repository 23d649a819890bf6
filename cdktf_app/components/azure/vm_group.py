"""vm_group -> Linux scale set in the private subnet: SSH keys only, host encryption, Trusted Launch, autoscale."""
from __future__ import annotations

import cdktn
from cdktn_provider_azurerm.linux_virtual_machine_scale_set import LinuxVirtualMachineScaleSet
from cdktn_provider_azurerm.monitor_autoscale_setting import MonitorAutoscaleSetting

from ...spec.model import VmGroup
from ..base import ComponentConstruct
from .network import network_of
from .provider import placement

VM_SIZE = {"small": "Standard_D2s_v5", "medium": "Standard_D4s_v5", "large": "Standard_D8s_v5",
           "xlarge": "Standard_D16s_v5"}
UBUNTU_LTS = {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"}
ADMIN_USER = "nexus"
SCALE_OUT_ABOVE_CPU, SCALE_IN_BELOW_CPU = 70, 30


class AzureVmGroup(ComponentConstruct[VmGroup]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        ssh_key = cdktn.TerraformVariable(
            self.ctx.stack, f"{self.name}_ssh_public_key", type="string", nullable=False,
            description=f"SSH public key of the '{ADMIN_USER}' admin user on the {self.name} VMs")
        image = {"source_image_id": spec.image} if spec.image else {"source_image_reference": UBUNTU_LTS}
        group = self.add(
            LinuxVirtualMachineScaleSet, None, name=self.physical_name(max_length=64),
            computer_name_prefix=self.physical_name(max_length=58), sku=VM_SIZE[spec.size], instances=spec.min,
            zones=network["zones"], admin_username=ADMIN_USER, disable_password_authentication=True,
            admin_ssh_key=[{"username": ADMIN_USER, "public_key": ssh_key.string_value}],
            encryption_at_host_enabled=True, secure_boot_enabled=True, vtpm_enabled=True,
            os_disk={"caching": "ReadWrite", "storage_account_type": "Premium_LRS", "disk_size_gb": spec.disk_gb},
            network_interface=[{"name": "primary", "primary": True, "ip_configuration": [
                {"name": "private", "primary": True, "subnet_id": network["private_subnet_id"]}]}],
            identity={"type": "SystemAssigned"}, boot_diagnostics={}, tags=self.tags,
            lifecycle={"ignore_changes": ["instances"]},  # the autoscale setting owns the instance count
            **image, **placement(self.ctx))
        self._autoscale(group)
        self.export(id=group.id, name=group.name, identity_principal_id=group.identity.principal_id)

    def _autoscale(self, group: LinuxVirtualMachineScaleSet) -> None:
        spec = self.component
        rules = [self._cpu_rule(group, "GreaterThan", SCALE_OUT_ABOVE_CPU, "Increase"),
                 self._cpu_rule(group, "LessThan", SCALE_IN_BELOW_CPU, "Decrease")]
        self.add(MonitorAutoscaleSetting, "autoscale", name=self.physical_name("autoscale"),
                 target_resource_id=group.id, tags=self.tags, profile=[{
                     "name": "cpu", "rule": rules,
                     "capacity": {"default": spec.min, "minimum": spec.min, "maximum": spec.max}}],
                 **placement(self.ctx))

    @staticmethod
    def _cpu_rule(group: LinuxVirtualMachineScaleSet, operator: str, threshold: int, direction: str) -> dict:
        return {"metric_trigger": {"metric_name": "Percentage CPU", "metric_resource_id": group.id,
                                   "operator": operator, "threshold": threshold, "statistic": "Average",
                                   "time_aggregation": "Average", "time_grain": "PT1M", "time_window": "PT5M"},
                "scale_action": {"direction": direction, "type": "ChangeCount", "value": 1, "cooldown": "PT5M"}}
