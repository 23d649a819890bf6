"""What a run records: counts, phases with durations, outcome and failure class — never a secret.

A plan's sensitive values (passwords, keys) are known from the plan JSON; every text a run stores (the
failure evidence) passes through `redact` with them, and no plan value other than counts is kept at all.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field


@dataclass
class PhaseRecord:
    stack: str
    phase: str
    seconds: float
    ok: bool
    attempt: int = 1


@dataclass
class RunRecord:
    command: str
    spec_name: str
    spec_file: str
    spec_sha256: str
    started_at: float
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    stacks: list[str] = field(default_factory=list)
    phases: list[PhaseRecord] = field(default_factory=list)
    outcome: str = "running"
    finished_at: float | None = None
    added: int = 0
    changed: int = 0
    destroyed: int = 0
    error_class: str | None = None
    error_kind: str | None = None
    error_confidence: float | None = None
    error_evidence: str | None = None
    error_rule: str | None = None
    retries: int = 0
    gate_findings: int = 0
    gate_overridden: bool = False
    override_reason: str | None = None
    unsafe_overrides: list[str] = field(default_factory=list)  # named with --allow-unsafe-overrides
    cost_delta: float | None = None
    sandbox: bool = False
    log_file: str | None = None
    nexus_version: str = ""

    @property
    def duration_seconds(self) -> float | None:
        return None if self.finished_at is None else round(self.finished_at - self.started_at, 3)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["duration_seconds"] = self.duration_seconds
        return data

    @classmethod
    def from_dict(cls, data: dict) -> RunRecord:
        fields = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        fields["phases"] = [PhaseRecord(**phase) for phase in data.get("phases") or []]
        fields["unsafe_overrides"] = list(data.get("unsafe_overrides") or [])  # NULL in rows from before the column
        return cls(**fields)
