"""The consensus of the roles, by a rule stated in the result (RULE), computed here and never by a model."""
from __future__ import annotations

from dataclasses import dataclass, field

from .answers import VERDICTS, RoleAnswer

RULE = ("the most severe verdict of any role (block > comment > approve) is the overall verdict, because each "
        "role guards what the others do not look at; its confidence is the sum of the confidences of the roles "
        "that gave it divided by the number of roles")


@dataclass(frozen=True)
class Consensus:
    verdict: str
    confidence: float
    agreements: list[dict] = field(default_factory=list)      # {anchor, roles}: named by two roles or more
    disagreements: list[dict] = field(default_factory=list)   # {verdict, roles}: when the roles differ

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "confidence": self.confidence, "rule": RULE,
                "agreements": self.agreements, "disagreements": self.disagreements}


def merge(answers: list[RoleAnswer]) -> Consensus:
    verdict = max((answer.verdict for answer in answers), key=VERDICTS.index, default="approve")
    agreeing = [answer.confidence for answer in answers if answer.verdict == verdict]
    confidence = round(sum(agreeing) / len(answers), 2) if answers else 0.0
    return Consensus(verdict, confidence, _agreements(answers), _disagreements(answers))


def _agreements(answers: list[RoleAnswer]) -> list[dict]:
    named: dict[str, list[str]] = {}
    for answer in answers:
        for anchor in sorted({anchor for concern in answer.concerns
                              for anchor in (concern.resource, concern.spec_line) if anchor}):
            named.setdefault(anchor, []).append(answer.role)
    return [{"anchor": anchor, "roles": roles} for anchor, roles in sorted(named.items()) if len(roles) > 1]


def _disagreements(answers: list[RoleAnswer]) -> list[dict]:
    verdicts = sorted({answer.verdict for answer in answers}, key=VERDICTS.index, reverse=True)
    if len(verdicts) < 2:
        return []
    return [{"verdict": verdict, "roles": [answer.role for answer in answers if answer.verdict == verdict]}
            for verdict in verdicts]
