"""monitoring -> an encrypted SNS topic mailing the team, and a CloudWatch alarm per watched component."""
from __future__ import annotations

from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktn_provider_aws.sns_topic import SnsTopic
from cdktn_provider_aws.sns_topic_subscription import SnsTopicSubscription

from ...spec.model import Monitoring
from ..base import ComponentConstruct, watched_components
from .provider import stack_key

# component type -> (namespace, metric, statistic, threshold, what it means)
ALARMS = {
    "service": ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", 10, "5xx answers from the service"),
    "database": ("AWS/RDS", "CPUUtilization", "Average", 80, "database CPU above 80%"),
    "cache": ("AWS/ElastiCache", "EngineCPUUtilization", "Average", 80, "cache engine CPU above 80%"),
    "queue": ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", 900, "messages waiting over 15 minutes"),
    "function": ("AWS/Lambda", "Errors", "Sum", 1, "function errors"),
}


class AwsMonitoring(ComponentConstruct[Monitoring]):
    def build(self) -> None:
        topic = self.add(SnsTopic, "alerts", name=self.physical_name("alerts", max_length=256),
                         kms_master_key_id=stack_key(self.ctx).arn, tags=self.tags)
        self.add(SnsTopicSubscription, "email", topic_arn=topic.arn, protocol="email",
                 endpoint=self.component.notify)
        for name in watched_components(self.ctx, self.component.watch, ALARMS):
            kind = self.ctx.component(name).type
            if kind == "queue" and self.ctx.imported(name)["kind"] == "topic":
                continue
            namespace, metric, statistic, threshold, meaning = ALARMS[kind]
            self.add(CloudwatchMetricAlarm, f"alarm_{name}", alarm_name=self.physical_name(name, max_length=255),
                     alarm_description=f"{name}: {meaning}", namespace=namespace, metric_name=metric,
                     statistic=statistic, period=300, evaluation_periods=2, threshold=threshold,
                     comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                     dimensions=self.ctx.imported(name)["metric_dimensions"], alarm_actions=[topic.arn],
                     ok_actions=[topic.arn], tags=self.tags)
        self.export(topic_arn=lambda: topic.arn)
