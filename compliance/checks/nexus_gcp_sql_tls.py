"""NEXUS_GCP_SQL_TLS: Cloud SQL accepts only encrypted connections.

checkov's CKV_GCP_6 passes only `TRUSTED_CLIENT_CERTIFICATE_REQUIRED` (client certificates) for PostgreSQL and
MySQL; encryption in transit, which CIS GCP and PCI ask for, is also met by `ENCRYPTED_ONLY` (the mode IAM
database authentication uses) or the older `require_ssl = true`.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import attribute

ENCRYPTED_MODES = {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}


class GcpSqlTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Cloud SQL instance accepts only encrypted (TLS) connections", id="NEXUS_GCP_SQL_TLS",
                         categories=(CheckCategories.ENCRYPTION,),
                         supported_resources=("google_sql_database_instance",))

    def scan_resource_conf(self, conf) -> CheckResult:
        mode = attribute(conf, "settings", "ip_configuration", "ssl_mode")
        required = attribute(conf, "settings", "ip_configuration", "require_ssl")
        return CheckResult.PASSED if mode in ENCRYPTED_MODES or required in (True, "true") else CheckResult.FAILED


check = GcpSqlTls()
