"""queue -> Pub/Sub topic and pull subscription with a dead-letter topic, or a topic alone; CMEK, kept in region."""
from __future__ import annotations

from cdktn_provider_google.pubsub_subscription import PubsubSubscription
from cdktn_provider_google.pubsub_subscription_iam_member import PubsubSubscriptionIamMember
from cdktn_provider_google.pubsub_topic import PubsubTopic
from cdktn_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember

from ...spec.model import Queue
from ..base import ComponentConstruct
from .provider import encryption_key, region, service_agent

MAX_SUBSCRIPTION_RETENTION_HOURS = 7 * 24
DEAD_LETTER_RETENTION_HOURS = 14 * 24
MAX_DELIVERY_ATTEMPTS = 5


def seconds(hours: int) -> str:
    return f"{hours * 3600}s"


class GcpQueue(ComponentConstruct[Queue]):
    def build(self) -> None:
        spec = self.component
        topic = self._topic(None, spec.retention_hours)
        if spec.kind == "topic":
            self.export(topic_id=topic.id, topic_name=topic.name, kind="topic")
            return
        subscription = self._subscription(None, topic, spec.retention_hours,
                                          dead_letter=self._dead_letter() if spec.dead_letter else None)
        if spec.dead_letter:
            # Pub/Sub moves undeliverable messages itself: its agent reads here and publishes to the dead letters.
            self.add(PubsubSubscriptionIamMember, "agent_subscriber", subscription=subscription.name,
                     role="roles/pubsub.subscriber", member=service_agent(self.ctx, "pubsub"))
        self.export(topic_id=topic.id, topic_name=topic.name, subscription_id=subscription.id, kind="queue")

    def _topic(self, role: str | None, retention_hours: int) -> PubsubTopic:
        """The topic keeps messages for the full retention, so subscriptions can seek back in time."""
        return self.add(PubsubTopic, role, name=self.physical_name(role or ""), labels=self.labels,
                        kms_key_name=encryption_key(self.ctx, "pubsub") if self.component.encrypted else None,
                        message_retention_duration=seconds(retention_hours),
                        message_storage_policy={"allowed_persistence_regions": [region(self.ctx)]})

    def _subscription(self, role: str | None, topic: PubsubTopic, retention_hours: int,
                      dead_letter: PubsubTopic | None = None) -> PubsubSubscription:
        fifo = self.component.fifo
        return self.add(
            PubsubSubscription, f"{role}_sub" if role else "sub", name=self.physical_name(role or ""),
            topic=topic.id, labels=self.labels, ack_deadline_seconds=60,
            message_retention_duration=seconds(min(retention_hours, MAX_SUBSCRIPTION_RETENTION_HOURS)),
            enable_message_ordering=fifo, enable_exactly_once_delivery=fifo,
            expiration_policy={"ttl": ""}, retry_policy={"minimum_backoff": "10s", "maximum_backoff": "600s"},
            dead_letter_policy={"dead_letter_topic": dead_letter.id, "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS}
            if dead_letter else None)

    def _dead_letter(self) -> PubsubTopic:
        topic = self._topic("dlq", DEAD_LETTER_RETENTION_HOURS)
        self._subscription("dlq", topic, DEAD_LETTER_RETENTION_HOURS)
        self.add(PubsubTopicIamMember, "dlq_agent_publisher", topic=topic.name, role="roles/pubsub.publisher",
                 member=service_agent(self.ctx, "pubsub"))
        return topic
