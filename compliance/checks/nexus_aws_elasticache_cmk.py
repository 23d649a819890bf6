"""NEXUS_AWS_ELASTICACHE_CMK: ElastiCache replication group is encrypted at rest with a customer-managed KMS key.

AWS-managed keys (`alias/aws/...`, SSE-S3) cannot be restricted, audited or revoked by the data owner. Applies
when the scan context says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, aws_customer_key


class AwsElasticacheCustomerKey(CustomerKeyCheck):
    rules = {"aws_elasticache_replication_group": lambda conf: (
        attribute(conf, "at_rest_encryption_enabled") in (True, "true")
        and aws_customer_key(attribute(conf, "kms_key_id")))}

    def __init__(self) -> None:
        super().__init__(name="ElastiCache replication group is encrypted at rest with a customer-managed KMS key",
                         id="NEXUS_AWS_ELASTICACHE_CMK")


check = AwsElasticacheCustomerKey()
