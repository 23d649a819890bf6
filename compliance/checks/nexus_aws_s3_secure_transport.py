"""NEXUS_AWS_S3_SECURE_TRANSPORT: an S3 bucket policy denies requests that do not use TLS.

The statement looked for: Effect Deny, Condition Bool aws:SecureTransport = false, on all S3 actions (or a
wildcard). checkov's only related check (CKV_AWS_379) reads `aws_s3_bucket_acl` and logs a traceback there.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import as_list, policy_document, statements


def _denies_plain_http(statement: dict) -> bool:
    condition = statement.get("Condition") or {}
    secure = {str(key).lower(): value for key, value in (condition.get("Bool") or {}).items()}
    actions = {str(action) for action in as_list(statement.get("Action", []))}
    return (statement.get("Effect") == "Deny" and str(secure.get("aws:securetransport")).lower() == "false"
            and bool(actions & {"s3:*", "*"}))


class AwsS3SecureTransport(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="S3 bucket policy denies requests without TLS", id="NEXUS_AWS_S3_SECURE_TRANSPORT",
                         categories=(CheckCategories.ENCRYPTION,), supported_resources=("aws_s3_bucket_policy",))

    def scan_resource_conf(self, conf) -> CheckResult:
        document = policy_document(conf.get("policy"))
        if document is None:
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if any(map(_denies_plain_http, statements(document))) else CheckResult.FAILED


check = AwsS3SecureTransport()
