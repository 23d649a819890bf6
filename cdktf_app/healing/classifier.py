"""Terraform output -> a failure class, how sure we are, and the line that shows it (rules in rules.yaml)."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..data_files import expected, read_data_file, validated
from ..errors import DataFileError

RULES_FILE = Path(__file__).parent / "rules.yaml"
KINDS = ("transient", "permanent", "stalled")
# Terraform frames diagnostics with box-drawing characters; the evidence line is shown without them.
FRAME = re.compile(r"^[\s│╷╵]+")


@dataclass(frozen=True)
class Rule:
    id: str
    failure_class: str
    kind: str
    confidence: float
    pattern: re.Pattern
    context: re.Pattern | None
    source: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class Classification:
    failure_class: str
    kind: str
    confidence: float
    evidence: str
    rule: str | None

    @property
    def transient(self) -> bool:
        return self.kind == "transient"

    def to_dict(self) -> dict:
        return asdict(self)


UNKNOWN_KIND = "permanent"  # an unrecognized failure is never retried


class _RuleEntry(BaseModel):
    """One entry of rules.yaml as written."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    failure_class: str = Field(alias="class")
    kind: Literal[KINDS]  # type: ignore[valid-type]
    confidence: float = Field(ge=0, le=1)
    pattern: str
    context: str | None = None
    source: str = ""
    samples: list[str] = Field(min_length=1)  # real texts the rule exists for (the tests classify each)


def load_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    document = read_data_file(path)
    entries = document.data or []
    if not isinstance(entries, list):
        raise DataFileError(problems=[expected(document.source, (), "a list of rules", type(entries).__name__)])
    rules = []
    for index, data in enumerate(entries):
        entry = validated(_RuleEntry, data, document.source, (index,))
        patterns = {}
        for field in ("pattern", "context"):
            try:
                patterns[field] = re.compile(getattr(entry, field), re.IGNORECASE) if getattr(entry, field) else None
            except re.error as error:
                raise DataFileError(problems=[expected(document.source, (index, field), f"a regular expression "
                                                       f"({error})", getattr(entry, field))]) from None
        rules.append(Rule(id=entry.id, failure_class=entry.failure_class, kind=entry.kind,
                          confidence=entry.confidence, pattern=patterns["pattern"], context=patterns["context"],
                          source=entry.source, samples=tuple(entry.samples)))
    return tuple(rules)


@cache
def default_rules() -> tuple[Rule, ...]:
    return load_rules()


def classify(output: str, rules: tuple[Rule, ...] | None = None) -> Classification:
    """The best-matching rule for a failed call's output; ties go to permanent (never retry what is not
    known to be transient). No match: class `unknown`, permanent, with terraform's first error line."""
    rules = default_rules() if rules is None else rules
    lines = [FRAME.sub("", line).strip() for line in output.splitlines()]
    best: tuple[tuple[float, bool], Classification] | None = None
    for rule in rules:
        if rule.context and not rule.context.search(output):
            continue
        evidence = next((line for line in lines if rule.pattern.search(line)), None)
        if evidence is None:
            continue
        rank = (rule.confidence, rule.kind != "transient")
        if best is None or rank > best[0]:
            best = (rank, Classification(rule.failure_class, rule.kind, rule.confidence, evidence, rule.id))
    if best:
        return best[1]
    first_error = next((line for line in lines if line.startswith("Error")), None)
    return Classification("unknown", UNKNOWN_KIND, 0.0, first_error or (lines[-1] if lines else ""), None)
