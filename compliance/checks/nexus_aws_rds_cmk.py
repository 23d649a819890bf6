"""NEXUS_AWS_RDS_CMK: RDS storage is encrypted with a customer-managed KMS key.

AWS-managed keys (`alias/aws/...`, SSE-S3) cannot be restricted, audited or revoked by the data owner. Applies
when the scan context says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, aws_customer_key


def _encrypted_with_customer_key(conf: dict) -> bool:
    return attribute(conf, "storage_encrypted") in (True, "true") and aws_customer_key(attribute(conf, "kms_key_id"))


class AwsRdsCustomerKey(CustomerKeyCheck):
    rules = {"aws_db_instance": lambda conf: _encrypted_with_customer_key(conf),
             "aws_rds_cluster": lambda conf: _encrypted_with_customer_key(conf)}

    def __init__(self) -> None:
        super().__init__(name="RDS storage is encrypted with a customer-managed KMS key", id="NEXUS_AWS_RDS_CMK")


check = AwsRdsCustomerKey()
