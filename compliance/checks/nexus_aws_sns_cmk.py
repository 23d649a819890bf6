"""NEXUS_AWS_SNS_CMK: SNS topic is encrypted with a customer-managed KMS key.

AWS-managed keys (`alias/aws/...`, SSE-S3) cannot be restricted, audited or revoked by the data owner. Applies
when the scan context says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, aws_customer_key


class AwsSnsCustomerKey(CustomerKeyCheck):
    rules = {"aws_sns_topic": lambda conf: aws_customer_key(attribute(conf, "kms_master_key_id"))}

    def __init__(self) -> None:
        super().__init__(name="SNS topic is encrypted with a customer-managed KMS key", id="NEXUS_AWS_SNS_CMK")


check = AwsSnsCustomerKey()
