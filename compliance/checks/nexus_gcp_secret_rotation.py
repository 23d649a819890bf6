"""NEXUS_GCP_SECRET_ROTATION: a Secret Manager secret Nexus creates is rotated within 90 days.

GCP's counterpart of CKV_AWS_304, which checkov lacks: Secret Manager rotates nothing itself, it publishes a
SECRET_ROTATE message on the secret's Pub/Sub topics when `rotation.rotation_period` elapses, and the API refuses a
rotation without topics. A secret passes with a rotation period of 1 to 90 days and at least one topic. Secrets
read by reference (`external`) are not created in the stack and are not judged. The fix adds `rotation: {days: 90}`
to the spec's secret.
"""
from typing import Any

from _nexus_support import attribute, is_reference, is_set
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DAY_SECONDS = 86400
MAX_DAYS = 90


def period_days(value: Any) -> float | None:
    """`"7776000s"` -> 90.0; None when the period is not a literal number of seconds."""
    if not isinstance(value, str) or is_reference(value) or not value.endswith("s"):
        return None
    try:
        return float(value[:-1]) / DAY_SECONDS
    except ValueError:
        return None


class GcpSecretRotation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Secret Manager secret is rotated within 90 days (rotation period and a topic)",
                         id="NEXUS_GCP_SECRET_ROTATION", categories=(CheckCategories.SECRETS,),
                         supported_resources=("google_secret_manager_secret",))

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        period = attribute(conf, "rotation", "rotation_period")
        if is_reference(period):
            return CheckResult.UNKNOWN
        days = period_days(period)
        rotates = days is not None and 1 <= days <= MAX_DAYS
        return CheckResult.PASSED if rotates and is_set(attribute(conf, "topics")) else CheckResult.FAILED


check = GcpSecretRotation()
