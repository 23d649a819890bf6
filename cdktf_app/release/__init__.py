"""`nexus release`: a service's new image through the steps of its `release:` (canary, blue_green), the traffic
moved by Terraform variables through the deploy orchestrator, the rollback alarms read between steps."""
from .alarms import AlarmsUnreadable, CloudWatchAlarms
from .driver import ReleaseOptions, ReleaseResult, ReleaseRolledBack, StepRecord, release
from .state import ReleaseState

__all__ = ["AlarmsUnreadable", "CloudWatchAlarms", "ReleaseOptions", "ReleaseResult", "ReleaseRolledBack",
           "ReleaseState", "StepRecord", "release"]
