"""queue -> SQS queue with a dead-letter queue, or an SNS topic; KMS-encrypted."""
from __future__ import annotations

from cdktn import Fn
from cdktn_provider_aws.sns_topic import SnsTopic
from cdktn_provider_aws.sqs_queue import SqsQueue

from ...spec.model import Queue
from ..base import ComponentConstruct
from .provider import stack_key


class AwsQueue(ComponentConstruct[Queue]):
    def build(self) -> None:
        spec = self.component
        key = stack_key(self.ctx).arn if spec.encrypted else None
        if spec.kind == "topic":
            topic = self.add(SnsTopic, None, name=self._name(), fifo_topic=spec.fifo or None,
                             kms_master_key_id=key, tags=self.tags)
            self.export(arn=lambda: topic.arn, kind="topic", metric_dimensions=lambda: {"TopicName": topic.name})
            return
        encryption = {"kms_master_key_id": key, "kms_data_key_reuse_period_seconds": 300} if key else {
            "sqs_managed_sse_enabled": True}
        attributes = {"fifo_queue": spec.fifo or None, "message_retention_seconds": spec.retention_hours * 3600,
                      "tags": self.tags, **encryption}
        if spec.dead_letter:
            dead = self.add(SqsQueue, "dlq", name=self._name("dlq"), **{**attributes,
                                                                      "message_retention_seconds": 1209600})
            attributes["redrive_policy"] = Fn.jsonencode({"deadLetterTargetArn": dead.arn, "maxReceiveCount": 5})
        queue = self.add(SqsQueue, None, name=self._name(), visibility_timeout_seconds=60, **attributes)
        self.export(arn=lambda: queue.arn, url=lambda: queue.url, kind="queue",
                    metric_dimensions=lambda: {"QueueName": queue.name})

    def _name(self, suffix: str = "") -> str:
        ending = ".fifo" if self.component.fifo else ""
        return self.physical_name(suffix, max_length=80 - len(ending)) + ending
