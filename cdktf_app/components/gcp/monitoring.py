"""monitoring -> an e-mail notification channel and a Cloud Monitoring alert per watched component."""
from __future__ import annotations

from cdktn_provider_google.monitoring_alert_policy import MonitoringAlertPolicy
from cdktn_provider_google.monitoring_notification_channel import MonitoringNotificationChannel

from ...spec.model import Monitoring
from ..base import ComponentConstruct, watched_components

# component type -> (metric filter, aligner, threshold, what it means)
ALERTS = {
    "service": ('metric.type="run.googleapis.com/request_count" AND resource.type="cloud_run_revision" '
                'AND metric.labels.response_code_class="5xx"', "ALIGN_RATE", 1, "5xx answers from the service"),
    "database": ('metric.type="cloudsql.googleapis.com/database/cpu/utilization" '
                 'AND resource.type="cloudsql_database"', "ALIGN_MEAN", 0.8, "database CPU above 80%"),
    "function": ('metric.type="cloudfunctions.googleapis.com/function/execution_count" '
                 'AND resource.type="cloud_function" AND metric.labels.status!="ok"', "ALIGN_RATE", 0.1,
                 "function errors"),
    "queue": ('metric.type="pubsub.googleapis.com/subscription/oldest_unacked_message_age" '
              'AND resource.type="pubsub_subscription"', "ALIGN_MAX", 900, "messages waiting over 15 minutes"),
}


class GcpMonitoring(ComponentConstruct[Monitoring]):
    def build(self) -> None:
        channel = self.add(MonitoringNotificationChannel, "email", display_name=f"{self.ctx.prefix} alerts",
                           type="email", labels={"email_address": self.component.notify},
                           user_labels=self.labels)
        for name in watched_components(self.ctx, self.component.watch, ALERTS):
            metric, aligner, threshold, meaning = ALERTS[self.ctx.component(name).type]
            self.add(MonitoringAlertPolicy, f"alert_{name}", display_name=f"{self.ctx.prefix} {name}: {meaning}",
                     combiner="OR", notification_channels=[channel.id], user_labels=self.labels,
                     conditions=[{"display_name": meaning, "condition_threshold": {
                         "filter": metric, "comparison": "COMPARISON_GT", "threshold_value": threshold,
                         "duration": "300s",
                         "aggregations": [{"alignment_period": "300s", "per_series_aligner": aligner}]}}])
        self.export(channel=lambda: channel.id)
