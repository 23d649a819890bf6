"""NEXUS_AWS_LOGS_CMK: CloudWatch log group is encrypted with a customer-managed KMS key.

AWS-managed keys (`alias/aws/...`, SSE-S3) cannot be restricted, audited or revoked by the data owner. Applies
when the scan context says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, aws_customer_key


class AwsLogsCustomerKey(CustomerKeyCheck):
    rules = {"aws_cloudwatch_log_group": lambda conf: aws_customer_key(attribute(conf, "kms_key_id"))}

    def __init__(self) -> None:
        super().__init__(name="CloudWatch log group is encrypted with a customer-managed KMS key",
                         id="NEXUS_AWS_LOGS_CMK")


check = AwsLogsCustomerKey()
