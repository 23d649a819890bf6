"""document_store -> DynamoDB table, on-demand, KMS-encrypted, point-in-time recovery, deletion protection."""
from __future__ import annotations

from cdktn_provider_aws.dynamodb_table import DynamodbTable
from cdktn_provider_aws.dynamodb_table_replica import DynamodbTableReplicaA

from ...dr.targets import target_for
from ...spec.model import DocumentStore
from ..base import ComponentConstruct
from .disaster_recovery import primary_arn, primary_name
from .provider import stack_key


class AwsDocumentStore(ComponentConstruct[DocumentStore]):
    def build(self) -> None:
        spec = self.component
        if self.ctx.standby:
            self._replica()
            return
        target = target_for(self.ctx.spec, self.name, "aws")
        # A global table replicates through the table's stream (new and old images); its replica is a resource of
        # the recovery-region stack, which the table's own `replica` argument must not undo.
        stream = {"stream_enabled": True, "stream_view_type": "NEW_AND_OLD_IMAGES",
                  "lifecycle": {"ignore_changes": ["replica"]}} if target and target.replicates else {}
        keys = [{"name": spec.partition_key, "type": "S"}]
        if spec.sort_key:
            keys.append({"name": spec.sort_key, "type": "S"})
        table = self.add(
            DynamodbTable, None, name=self.physical_name(max_length=255), billing_mode="PAY_PER_REQUEST",
            hash_key=spec.partition_key, range_key=spec.sort_key, attribute=keys,
            point_in_time_recovery={"enabled": spec.point_in_time_recovery},
            server_side_encryption={"enabled": True, "kms_key_arn": stack_key(self.ctx).arn} if spec.encrypted
            else None, deletion_protection_enabled=spec.deletion_protection, tags=self.tags, **stream)
        self.export(arn=lambda: table.arn, name=lambda: table.name)

    def _replica(self) -> None:
        """The table's global-table replica in the recovery region, encrypted with this region's key."""
        spec = self.component
        replica = self.add(DynamodbTableReplicaA, None,
                           global_table_arn=primary_arn(self.ctx, self.name, "document_store"),
                           point_in_time_recovery=spec.point_in_time_recovery,
                           kms_key_arn=stack_key(self.ctx).arn if spec.encrypted else None,
                           deletion_protection_enabled=spec.deletion_protection, tags=self.tags)
        # A global table has one name in every region: the primary's.
        self.export(arn=lambda: replica.arn, name=primary_name(self.ctx, self.name, max_length=255))
