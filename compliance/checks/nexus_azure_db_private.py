"""NEXUS_AZURE_DB_PRIVATE: Azure Database flexible servers are not reachable from the public internet.

A server is private when it is injected into a subnet (`delegated_subnet_id`) or public network access is off.
checkov's CKV_AZURE_53 reads `public_network_access_enabled`, which azurerm 4 renamed to `public_network_access`
for MySQL, and has no such check for PostgreSQL flexible servers.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute, is_set


class AzureDbPrivate(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure Database flexible server has no public network access",
                         id="NEXUS_AZURE_DB_PRIVATE", categories=(CheckCategories.NETWORKING,),
                         supported_resources=("azurerm_postgresql_flexible_server", "azurerm_mysql_flexible_server"))

    def scan_resource_conf(self, conf) -> CheckResult:
        private = (is_set(attribute(conf, "delegated_subnet_id"))
                   or attribute(conf, "public_network_access_enabled") in (False, "false")
                   or attribute(conf, "public_network_access") == "Disabled")
        return CheckResult.PASSED if private else CheckResult.FAILED


check = AzureDbPrivate()
