"""What a run records: counts, phases with durations, outcome and failure class — never a secret.

A plan's sensitive values (passwords, keys) are known from the plan JSON; every text a run stores (the
failure evidence) passes through `redact` with them, and no plan value other than counts is kept at all.
"""
from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass, field, fields


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
    protection_lifted: list[str] = field(default_factory=list)  # "stack:address", by destroy --force-protected
    already_gone: int = 0  # destroy: resources the state held that no longer existed (dropped from the state)
    drifted: int = 0  # drift: resources changed or deleted outside Terraform
    drift_severities: list[str] = field(default_factory=list)  # drift: the severity of each, most severe first
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
        for name in ("unsafe_overrides", "protection_lifted", "drift_severities"):
            if data.get(name) is None:      # NULL in rows from before the column
                fields[name] = []
        for name in ("already_gone", "drifted"):
            if data.get(name) is None:
                fields[name] = 0
        return cls(**fields)


@dataclass(frozen=True)
class DamagedRun:
    """A stored row that does not read back as a run (edited by hand, cut short by a full disk): listed with
    what is wrong instead of hiding the runs around it."""

    id: str
    reason: str

    def to_dict(self) -> dict:
        return {"id": self.id, "damaged": True, "reason": f"unreadable: {self.reason}"}


# Epoch seconds a run can have started or finished at: 1970 to the end of year 9999 (what gmtime can show).
LAST_TIMESTAMP = 253402300799.0
KINDS = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def problem(record: RunRecord | PhaseRecord) -> str | None:
    """What in a record read back from a database is not of its declared type (None when all of it is)."""
    for item in fields(record):
        value = getattr(record, item.name)
        kind, optional = str(item.type).removesuffix(" | None"), str(item.type).endswith("| None")
        if value is None:
            if optional:
                continue
            return f"{item.name} is empty"
        if kind.startswith("list["):
            if not isinstance(value, list) or (kind == "list[str]" and not all(isinstance(v, str) for v in value)):
                return f"{item.name} is not a {kind}"
            continue
        expected = KINDS[kind]
        if not isinstance(value, expected) or (bool not in expected and isinstance(value, bool)):
            return f"{item.name} is not {'an' if kind == 'int' else 'a'} {kind}: {value!r:.40}"
        if kind == "float" and not math.isfinite(value):
            return f"{item.name} is not a finite number: {value!r}"
        if item.name in ("started_at", "finished_at") and not 0 <= value <= LAST_TIMESTAMP:
            return f"{item.name} is not a timestamp: {value!r}"
    return None
