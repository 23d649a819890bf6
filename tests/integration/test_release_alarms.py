"""The rollback alarms as `nexus release` reads them from CloudWatch (moto server): the ones in ALARM, and never a
pass when they cannot be read (a missing alarm, an endpoint that does not answer: exit 4)."""
from __future__ import annotations

import socket

import pytest

from cdktf_app.release import AlarmsUnreadable, CloudWatchAlarms
from tests.helpers import sandbox_aws


def put_alarm(url: str, name: str) -> None:
    sandbox_aws("cloudwatch", url, "us-east-1").put_metric_alarm(
        AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count", Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=5, ComparisonOperator="GreaterThanThreshold")


def test_the_alarms_in_alarm_are_the_breached_ones(sandbox):
    put_alarm(sandbox.url, "calm")
    put_alarm(sandbox.url, "firing")
    sandbox_aws("cloudwatch", sandbox.url, "us-east-1").set_alarm_state(AlarmName="firing", StateValue="ALARM",
                                                                         StateReason="test")
    alarms = CloudWatchAlarms(region="us-east-1", endpoint=sandbox.url)
    assert alarms.breached(["calm", "firing"]) == ["firing"]
    assert alarms.breached([]) == []


def test_a_missing_alarm_cannot_judge_the_step(sandbox):
    put_alarm(sandbox.url, "calm")
    with pytest.raises(AlarmsUnreadable, match="rollback alarm\\(s\\) gone not found") as raised:
        CloudWatchAlarms(region="us-east-1", endpoint=sandbox.url).breached(["calm", "gone"])
    assert raised.value.exit_code == 4


def test_cloudwatch_not_answering_is_exit_4_not_a_pass():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(AlarmsUnreadable, match="cannot read the rollback alarms"):
        CloudWatchAlarms(region="us-east-1", endpoint=f"http://127.0.0.1:{port}").breached(["calm"])
