"""Terraform output -> a failure class, how sure we are, and the line that shows it (rules in rules.yaml)."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import yaml

from ..errors import UsageError

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


def load_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    rules = []
    for index, entry in enumerate(entries):
        try:
            if entry["kind"] not in KINDS:
                raise ValueError(f"kind must be one of {', '.join(KINDS)}")
            rules.append(Rule(id=entry["id"], failure_class=entry["class"], kind=entry["kind"],
                              confidence=float(entry["confidence"]), pattern=re.compile(entry["pattern"]),
                              context=re.compile(entry["context"]) if entry.get("context") else None,
                              source=entry.get("source", "")))
        except (KeyError, TypeError, ValueError, re.error) as error:
            raise UsageError(f"{path}: rule #{index + 1}: {error}") from None
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
