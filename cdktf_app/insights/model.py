"""CI runs and jobs as the insights read them, whichever CI they came from."""
from __future__ import annotations

import json
from dataclasses import dataclass, field


class _Timed:
    """A run or a job: its seconds from start to finish, None while either is unknown."""

    started_at: float | None
    finished_at: float | None

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass
class CIJob(_Timed):
    provider: str          # github | gitlab
    repo: str              # OWNER/REPO, or the GitLab project path or id
    job_id: str
    run_id: str
    attempt: int           # GitHub run_attempt; GitLab: 1 + the number of earlier tries of this job name
    name: str
    conclusion: str        # success | failure | cancelled | skipped | ...
    started_at: float | None
    finished_at: float | None
    failure_reason: str | None = None  # GitLab's failure_reason
    steps: list[dict] = field(default_factory=list)  # name, conclusion, seconds
    log: str | None = None
    steps_text: str | None = None  # read back: the steps as stored JSON, parsed only when a finding needs them

    def step_list(self) -> list[dict]:
        return json.loads(self.steps_text) if self.steps_text else self.steps


@dataclass
class CIRun(_Timed):
    provider: str
    repo: str
    run_id: str
    workflow: str
    branch: str
    commit: str
    event: str
    conclusion: str
    attempt: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    url: str = ""
    jobs: list[CIJob] = field(default_factory=list)


@dataclass
class TestResult:
    suite: str
    name: str
    outcome: str           # passed | failed | error | skipped
    seconds: float
    run_id: str
    message: str | None = None
