"""document_store -> DynamoDB table, on-demand, KMS-encrypted, point-in-time recovery, deletion protection."""
from __future__ import annotations

from cdktn_provider_aws.dynamodb_table import DynamodbTable

from ...spec.model import DocumentStore
from ..base import ComponentConstruct
from .provider import stack_key


class AwsDocumentStore(ComponentConstruct[DocumentStore]):
    def build(self) -> None:
        spec = self.component
        keys = [{"name": spec.partition_key, "type": "S"}]
        if spec.sort_key:
            keys.append({"name": spec.sort_key, "type": "S"})
        table = self.add(
            DynamodbTable, None, name=self.physical_name(max_length=255), billing_mode="PAY_PER_REQUEST",
            hash_key=spec.partition_key, range_key=spec.sort_key, attribute=keys,
            point_in_time_recovery={"enabled": spec.point_in_time_recovery},
            server_side_encryption={"enabled": True, "kms_key_arn": stack_key(self.ctx).arn} if spec.encrypted
            else None, deletion_protection_enabled=spec.deletion_protection, tags=self.tags)
        self.export(arn=lambda: table.arn, name=lambda: table.name)
