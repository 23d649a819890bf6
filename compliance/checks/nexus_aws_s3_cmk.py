"""NEXUS_AWS_S3_CMK: S3 bucket default encryption uses a customer-managed KMS key.

AWS-managed keys (`alias/aws/...`, SSE-S3) cannot be restricted, audited or revoked by the data owner. Applies
when the scan context says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, aws_customer_key


def _kms_default(default: dict) -> bool:
    return (default.get("sse_algorithm") in ("aws:kms", "aws:kms:dsse")
            and aws_customer_key(default.get("kms_master_key_id")))


class AwsS3CustomerKey(CustomerKeyCheck):
    rules = {"aws_s3_bucket_server_side_encryption_configuration": lambda conf: _kms_default(
        attribute(conf, "rule", "apply_server_side_encryption_by_default") or {})}

    def __init__(self) -> None:
        super().__init__(name="S3 bucket default encryption uses a customer-managed KMS key", id="NEXUS_AWS_S3_CMK")


check = AwsS3CustomerKey()
