"""NEXUS_GCP_FIRESTORE_DELETE_PROTECTION: a Firestore database refuses to be deleted (`delete_protection_state`).

checkov has no Firestore checks; without delete protection one `terraform destroy` or console click removes every
document, which data-integrity and availability controls (HIPAA 164.312(c)(1), SOC 2 CC6.5) ask to prevent, as
RDS deletion protection (CKV_AWS_293) does on AWS.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute

ENABLED = "DELETE_PROTECTION_ENABLED"


class GcpFirestoreDeleteProtection(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Firestore database has delete protection enabled",
                         id="NEXUS_GCP_FIRESTORE_DELETE_PROTECTION",
                         categories=(CheckCategories.BACKUP_AND_RECOVERY,),
                         supported_resources=("google_firestore_database",))

    def scan_resource_conf(self, conf) -> CheckResult:
        enabled = attribute(conf, "delete_protection_state") == ENABLED
        return CheckResult.PASSED if enabled else CheckResult.FAILED


check = GcpFirestoreDeleteProtection()
