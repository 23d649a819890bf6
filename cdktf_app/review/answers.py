"""A role's answer (answer.schema.json) as data, and the explanation templates of roles.yaml."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).parent
ANSWER_SCHEMA = HERE / "answer.schema.json"
ROLES_FILE = HERE / "roles.yaml"
VERDICTS = ("approve", "comment", "block")     # in rising severity


@dataclass(frozen=True)
class Concern:
    resource: str | None
    spec_line: str | None
    severity: str
    message: str
    explanation: str

    def as_dict(self) -> dict:
        return {"resource": self.resource, "spec_line": self.spec_line, "severity": self.severity,
                "message": self.message, "explanation": self.explanation}


@dataclass(frozen=True)
class Dropped:
    resource: str | None
    spec_line: str | None
    message: str
    reason: str

    def as_dict(self) -> dict:
        return {"resource": self.resource, "spec_line": self.spec_line, "message": self.message,
                "reason": self.reason}


@dataclass
class RoleAnswer:
    role: str
    source: str                 # model | rules
    verdict: str
    confidence: float
    summary: str
    concerns: list[Concern] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    note: str | None = None     # why a model's answer was not used, or what was flagged in it

    def as_dict(self) -> dict:
        return {"role": self.role, "source": self.source, "verdict": self.verdict, "confidence": self.confidence,
                "summary": self.summary, "concerns": [item.as_dict() for item in self.concerns],
                "dropped": [item.as_dict() for item in self.dropped], "note": self.note}


@functools.lru_cache(maxsize=1)
def answer_schema() -> dict:
    return json.loads(ANSWER_SCHEMA.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def roles_data() -> dict:
    return yaml.safe_load(ROLES_FILE.read_text(encoding="utf-8"))


def explain(role: str, kind: str, **values) -> str:
    """The plain-words template of roles.yaml for this kind of concern, filled in."""
    return " ".join(roles_data()[role]["explanations"][kind].format(**values).split())
