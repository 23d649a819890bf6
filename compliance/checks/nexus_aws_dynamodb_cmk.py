"""NEXUS_AWS_DYNAMODB_CMK: DynamoDB table is encrypted with a customer-managed KMS key.

AWS-managed keys (`alias/aws/...`, SSE-S3) cannot be restricted, audited or revoked by the data owner. Applies
when the scan context says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, aws_customer_key


class AwsDynamodbCustomerKey(CustomerKeyCheck):
    rules = {"aws_dynamodb_table": lambda conf: (
        attribute(conf, "server_side_encryption", "enabled") in (True, "true")
        and aws_customer_key(attribute(conf, "server_side_encryption", "kms_key_arn")))}

    def __init__(self) -> None:
        super().__init__(name="DynamoDB table is encrypted with a customer-managed KMS key",
                         id="NEXUS_AWS_DYNAMODB_CMK")


check = AwsDynamodbCustomerKey()
