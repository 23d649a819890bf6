"""Normalized findings: checkov's raw results + our packs (severity, controls) + provenance (spec file:line)."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace

from .spec_edit import SpecEdit
from .packs import SEVERITIES, controls_for, severity_for, severity_rank
from ..workspace import Target

UNMAPPED_SEVERITY = "low"


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    address: str                    # `<type>.<name>`
    stack: str | None
    severity: str
    controls: tuple[str, ...]
    artifact: str                   # the scanned file
    artifact_lines: tuple[int, int]
    file: str | None = None         # the spec file the resource came from
    line: int | None = None
    spec_path: str | None = None    # `components.db`
    component: str | None = None
    fix: SpecEdit | None = None     # the spec edit that resolves it, when one would change the spec
    suppressed: bool = False
    suppression_reason: str | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    @property
    def fix_safety(self) -> str | None:
        return self.fix.safety if self.fix else None

    def at_least(self, threshold: str) -> bool:
        return severity_rank(self.severity) >= severity_rank(threshold)

    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return f"{self.artifact}:{self.artifact_lines[0]}"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["controls"] = list(self.controls)
        data["artifact_lines"] = list(self.artifact_lines)
        data["fixable"] = self.fixable
        data["fix"] = {"safety": self.fix.safety, "edit": self.fix.describe()} if self.fix else None
        return data


@dataclass
class CheckReport:
    findings: list[Finding]
    passed_count: int
    standards: tuple[str, ...]
    stacks: tuple[str, ...]
    scan_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    gate: str | None = None       # compliance.gate of the spec the user named (TARGET or --spec), if any

    @property
    def failed_count(self) -> int:
        return sum(1 for finding in self.findings if not finding.suppressed)

    @property
    def active(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.suppressed]

    def blocking(self, threshold: str) -> list[Finding]:
        return [finding for finding in self.active if finding.at_least(threshold)]

    def fixable(self, *, unsafe: bool = False) -> list[Finding]:
        allowed = ("safe", "unsafe") if unsafe else ("safe",)
        return [finding for finding in self.active if finding.fix_safety in allowed]

    def counts_by_severity(self) -> dict[str, int]:
        counts = {severity: 0 for severity in SEVERITIES}
        for finding in self.active:
            counts[finding.severity] += 1
        return counts

    def to_dict(self) -> dict:
        return {"standards": list(self.standards), "stacks": list(self.stacks), "passed": self.passed_count,
                "failed": self.failed_count, "by_severity": self.counts_by_severity(), "notes": self.notes,
                "findings": [finding.to_dict() for finding in self.findings]}


def normalize(results: list[dict], target: Target, stack_of: dict[str, str | None],
              standards: list[str] | None) -> tuple[list[Finding], int]:
    """checkov's records of failed checks -> findings; returns them with the number of passed checks."""
    findings, passed = [], 0
    seen = set()
    for result in results:
        if result["result"] == "passed":
            passed += 1
            continue
        stack = stack_of.get(result["file"])
        key = (result["check_id"], stack, result["address"])
        if key in seen:  # checkov reports some graph checks twice
            continue
        seen.add(key)
        findings.append(_finding(result, stack, target, standards))
    findings.sort(key=lambda f: (-severity_rank(f.severity), f.stack or "", f.address, f.check_id))
    return findings, passed


def _finding(result: dict, stack: str | None, target: Target, standards: list[str] | None) -> Finding:
    lines = tuple(result["lines"][:2]) if len(result["lines"]) >= 2 else (0, 0)
    finding = Finding(
        check_id=result["check_id"], check_name=result["check_name"], address=result["address"], stack=stack,
        severity=severity_for(result["check_id"], standards) or UNMAPPED_SEVERITY,
        controls=tuple(controls_for(result["check_id"], standards)), artifact=result["file"],
        artifact_lines=lines)
    origin = target.provenance.lookup(finding.address, stack) if target.provenance else None
    if origin is None:
        return finding
    return replace(finding, file=_spec_file(target), line=origin.line, spec_path=origin.spec_path,
                   component=origin.component)


def _spec_file(target: Target) -> str:
    if target.loaded and target.loaded.path:
        return target.loaded.path.as_posix()
    return os.path.normpath(target.out_dir / target.provenance.spec_file)
