"""NEXUS_AZURE_FRONTDOOR_WAF: Front Door (Standard/Premium) WAF policies are enabled and block.

A policy in Detection mode, or disabled, only logs attacks. checkov's CKV_AZURE_121/123 cover the classic
`azurerm_frontdoor*` resources, not the `azurerm_cdn_frontdoor_firewall_policy` that replaced them.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute


class AzureFrontdoorWaf(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure Front Door WAF policy is enabled in Prevention mode",
                         id="NEXUS_AZURE_FRONTDOOR_WAF", categories=(CheckCategories.NETWORKING,),
                         supported_resources=("azurerm_cdn_frontdoor_firewall_policy",))

    def scan_resource_conf(self, conf) -> CheckResult:
        enabled = attribute(conf, "enabled") not in (False, "false")
        return CheckResult.PASSED if enabled and attribute(conf, "mode") == "Prevention" else CheckResult.FAILED


check = AzureFrontdoorWaf()
