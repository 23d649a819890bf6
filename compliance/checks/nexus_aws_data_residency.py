"""NEXUS_AWS_DATA_RESIDENCY: every AWS provider block targets a region the spec allows.

AWS resources take their region from the provider block, so this is a provider check. The allowed regions come
from the scan context (`allowed_regions.aws`, the spec's `providers.aws.allowed_regions`); without them nothing
is reported. An aliased provider in us-east-1 is exempt: AWS requires CloudFront's certificates and WAF web ACLs
to be created there (Nexus adds that alias only for them) and they hold no customer data.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck

from _nexus_support import attribute, is_reference, scan_context

GLOBAL_SERVICES_REGION = "us-east-1"


class AwsDataResidency(BaseProviderCheck):
    def __init__(self) -> None:
        super().__init__(name="AWS provider region is one of the spec's allowed regions",
                         id="NEXUS_AWS_DATA_RESIDENCY", categories=(CheckCategories.GENERAL_SECURITY,),
                         supported_provider=("aws",))

    def scan_provider_conf(self, conf: dict) -> CheckResult:
        allowed = ((scan_context() or {}).get("allowed_regions") or {}).get("aws")
        region = attribute(conf, "region")
        if not allowed or not isinstance(region, str) or is_reference(region):
            return CheckResult.UNKNOWN
        if attribute(conf, "alias") and region == GLOBAL_SERVICES_REGION:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if region in allowed else CheckResult.FAILED


check = AwsDataResidency()
