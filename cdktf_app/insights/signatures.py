"""Failure signatures of failed CI jobs: a class by rule (with confidence and the evidence line), and for what no
rule knows, a template mined Drain-style (numbers and ids masked, similar lines merged), so that a new kind of
failure is itself a finding.

The rules are signatures.yaml in the format of the terraform healing rules and go through the same classifier
together with them: a terraform failure in a CI log gets the class (and transient/permanent kind) the deploy
retries already use.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ..healing import Classification, classify, load_rules
from ..healing.classifier import default_rules

RULES_FILE = Path(__file__).parent / "signatures.yaml"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z\s?")
NOISE = re.compile(r"^##\[(group|endgroup)\]|Process completed with exit code|^ERROR: Job failed: exit code")
ERRORISH = re.compile(r"error|panic|fatal|fault|exception|failed|killed", re.IGNORECASE)
MASKS = ((re.compile(r"0x[0-9a-fA-F]+"), "<*>"), (re.compile(r"\b[0-9a-f]{12,64}\b"), "<*>"),
         (re.compile(r"\d+"), "<*>"))
SIMILARITY = 0.5  # Drain's threshold: a line joins a template when at least half its tokens are equal


@cache
def ci_rules():
    return load_rules(RULES_FILE) + default_rules()


def clean_log(log: str) -> str:
    """The log without CI timestamps and group markers."""
    lines = (TIMESTAMP.sub("", line) for line in log.splitlines())
    return "\n".join(line for line in lines if line.strip() and not NOISE.search(line))


def classify_log(log: str) -> Classification:
    return classify(clean_log(log), ci_rules())


def error_line(log: str) -> str:
    lines = clean_log(log).splitlines()
    return next((line for line in lines if ERRORISH.search(line)), lines[-1] if lines else "").strip()


@dataclass
class Template:
    id: str
    tokens: list[str]
    first_seen: str      # run id
    first_seen_at: float
    runs: set[str] = field(default_factory=set)
    example: str = ""

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


class TemplateMiner:
    """Drain's fixed-depth tree, one level deep: lines are grouped by token count and first token, and join the
    most similar template of their group (differing tokens become <*>) or start a new one."""

    def __init__(self, similarity: float = SIMILARITY):
        self.similarity = similarity
        self.groups: dict[tuple[int, str], list[Template]] = {}

    def add(self, line: str, run_id: str, at: float) -> tuple[Template, bool]:
        """The template of `line` and whether it is new."""
        tokens = masked(line).split() or ["<empty>"]
        group = self.groups.setdefault((len(tokens), tokens[0]), [])
        best, score = None, -1.0
        for template in group:
            equal = sum(1 for a, b in zip(template.tokens, tokens) if a == b or a == "<*>") / len(tokens)
            if equal > score:
                best, score = template, equal
        if best is not None and score >= self.similarity:
            best.tokens = [a if a == b else "<*>" for a, b in zip(best.tokens, tokens)]
            best.runs.add(run_id)
            return best, False
        template = Template(hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:10], tokens, run_id, at,
                            {run_id}, line[:300])
        group.append(template)
        return template, True

    def templates(self) -> list[Template]:
        return [template for group in self.groups.values() for template in group]


def masked(line: str) -> str:
    for pattern, replacement in MASKS:
        line = pattern.sub(replacement, line)
    return line
