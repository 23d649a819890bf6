"""NEXUS_AZURE_DB_TLS: Azure Database flexible servers keep `require_secure_transport` on.

Flexible servers require TLS unless a server parameter turns it off; the check fails a
`azurerm_postgresql_flexible_server_configuration` or `azurerm_mysql_flexible_server_configuration` that sets
`require_secure_transport` to anything but ON. checkov's TLS checks cover only the retired single servers.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute


class AzureDbTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure Database flexible server requires TLS (require_secure_transport ON)",
                         id="NEXUS_AZURE_DB_TLS", categories=(CheckCategories.ENCRYPTION,),
                         supported_resources=("azurerm_postgresql_flexible_server_configuration",
                                              "azurerm_mysql_flexible_server_configuration"))

    def scan_resource_conf(self, conf) -> CheckResult:
        if str(attribute(conf, "name")).lower() != "require_secure_transport":
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if str(attribute(conf, "value")).upper() == "ON" else CheckResult.FAILED


check = AzureDbTls()
