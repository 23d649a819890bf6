"""NEXUS_GCP_FIRESTORE_PITR: a Firestore database keeps point-in-time recovery (7 days of versions).

checkov has no Firestore checks; without PITR an accidental bulk delete or a bad migration cannot be undone,
which availability and backup controls (SOC 2 A1.2, ISO 27001 A.8.13) ask for.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute

ENABLED = "POINT_IN_TIME_RECOVERY_ENABLED"


class GcpFirestorePitr(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Firestore database has point-in-time recovery enabled", id="NEXUS_GCP_FIRESTORE_PITR",
                         categories=(CheckCategories.BACKUP_AND_RECOVERY,),
                         supported_resources=("google_firestore_database",))

    def scan_resource_conf(self, conf) -> CheckResult:
        enabled = attribute(conf, "point_in_time_recovery_enablement") == ENABLED
        return CheckResult.PASSED if enabled else CheckResult.FAILED


check = GcpFirestorePitr()
