"""NEXUS_AZURE_STORAGE_NO_CROSS_TENANT: storage accounts do not allow object replication to other tenants.

Cross-tenant replication lets a policy copy blobs into an account the organisation does not control. azurerm 3
enabled it by default, azurerm 4 disables it; an explicit `true` fails. checkov has no such check.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute


class AzureStorageNoCrossTenant(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure storage account does not allow cross-tenant replication",
                         id="NEXUS_AZURE_STORAGE_NO_CROSS_TENANT", categories=(CheckCategories.GENERAL_SECURITY,),
                         supported_resources=("azurerm_storage_account",))

    def scan_resource_conf(self, conf) -> CheckResult:
        allowed = attribute(conf, "cross_tenant_replication_enabled") in (True, "true")
        return CheckResult.FAILED if allowed else CheckResult.PASSED


check = AzureStorageNoCrossTenant()
