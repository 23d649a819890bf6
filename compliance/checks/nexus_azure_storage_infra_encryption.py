"""NEXUS_AZURE_STORAGE_INFRA_ENCRYPTION: storage accounts encrypt data twice (infrastructure encryption).

A second layer with a different key and algorithm protects data if one layer's key or implementation is
compromised. It can only be chosen when the account is created. checkov has no such check for storage accounts.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute


class AzureStorageInfraEncryption(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure storage account has infrastructure (double) encryption enabled",
                         id="NEXUS_AZURE_STORAGE_INFRA_ENCRYPTION", categories=(CheckCategories.ENCRYPTION,),
                         supported_resources=("azurerm_storage_account",))

    def scan_resource_conf(self, conf) -> CheckResult:
        enabled = attribute(conf, "infrastructure_encryption_enabled") in (True, "true")
        return CheckResult.PASSED if enabled else CheckResult.FAILED


check = AzureStorageInfraEncryption()
