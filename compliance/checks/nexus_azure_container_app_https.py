"""NEXUS_AZURE_CONTAINER_APP_HTTPS: Container Apps ingress refuses plain HTTP.

With `allow_insecure_connections = true` the app answers HTTP without redirecting, so credentials and
cardholder or health data can cross the network in clear text. checkov has no Container Apps checks.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute


class AzureContainerAppHttps(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure Container App ingress does not allow insecure (HTTP) connections",
                         id="NEXUS_AZURE_CONTAINER_APP_HTTPS", categories=(CheckCategories.ENCRYPTION,),
                         supported_resources=("azurerm_container_app",))

    def scan_resource_conf(self, conf) -> CheckResult:
        if attribute(conf, "ingress") is None:
            return CheckResult.UNKNOWN
        insecure = attribute(conf, "ingress", "allow_insecure_connections")
        return CheckResult.FAILED if insecure in (True, "true") else CheckResult.PASSED


check = AzureContainerAppHttps()
