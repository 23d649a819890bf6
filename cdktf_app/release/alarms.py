"""The rollback alarms of a release, read from CloudWatch (DescribeAlarms) between steps. An alarm that cannot
be read is not a pass: the release stops (exit 4)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import NexusError

SANDBOX_CREDENTIAL = "test"


class AlarmsUnreadable(NexusError):
    """The rollback alarms could not be read, so the step cannot be judged."""

    exit_code = 4


@dataclass(frozen=True)
class CloudWatchAlarms:
    """CloudWatch in REGION; at ENDPOINT (the sandbox's moto) with its test credentials when given, else the
    AWS SDK's usual credentials."""

    region: str
    endpoint: str | None = None

    def breached(self, names: list[str]) -> list[str]:
        """The NAMES whose state is ALARM; every name must exist."""
        if not names:
            return []
        found = self._states(names)
        missing = sorted(set(names) - set(found))
        if missing:
            raise AlarmsUnreadable(f"rollback alarm(s) {', '.join(missing)} not found in CloudWatch "
                                   f"({self.region}); the step cannot be judged")
        return [name for name in names if found[name] == "ALARM"]

    def _states(self, names: list[str]) -> dict[str, str]:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        settings = {"region_name": self.region, "config": Config(retries={"max_attempts": 3, "mode": "standard"})}
        if self.endpoint:
            settings |= {"endpoint_url": self.endpoint, "aws_access_key_id": SANDBOX_CREDENTIAL,
                         "aws_secret_access_key": SANDBOX_CREDENTIAL}
        try:
            client = boto3.client("cloudwatch", **settings)
            pages = client.get_paginator("describe_alarms").paginate(AlarmNames=names,
                                                                    AlarmTypes=["MetricAlarm"])
            return {alarm["AlarmName"]: alarm["StateValue"] for page in pages for alarm in page["MetricAlarms"]}
        except (BotoCoreError, ClientError) as error:
            raise AlarmsUnreadable(f"cannot read the rollback alarms from CloudWatch ({self.region}): "
                                   f"{error}") from None
