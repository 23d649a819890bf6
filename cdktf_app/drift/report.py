"""A drift report: each drifted resource with the spec line it came from, its severity and the checks it broke;
as JSON, Markdown or SARIF (the table is the CLI's)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .. import __version__
from ..compliance.findings import Finding
from ..compliance.formats import SARIF_LEVELS, SARIF_SCHEMA, SECURITY_SEVERITY
from ..compliance.packs import SEVERITIES, severity_rank
from .changes import ResourceDrift



@dataclass(frozen=True)
class DriftItem:
    stack: str
    drift: ResourceDrift
    severity: str
    broken: tuple[Finding, ...] = ()     # checks that pass as recorded and fail as the cloud is now
    file: str | None = None              # the spec file and line the resource came from
    line: int | None = None
    spec_path: str | None = None         # `components.files`
    component: str | None = None

    @property
    def address(self) -> str:
        return self.drift.address

    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else "-"

    def summary(self) -> str:
        """`deleted outside Terraform`, or the attributes that changed."""
        if self.drift.action == "delete":
            return "deleted outside Terraform"
        return "changed: " + ", ".join(self.drift.attribute_names)

    def to_dict(self) -> dict:
        return {"stack": self.stack, **self.drift.to_dict(), "severity": self.severity, "file": self.file,
                "line": self.line, "spec_path": self.spec_path, "component": self.component,
                "broken_checks": [{"check_id": finding.check_id, "check_name": finding.check_name,
                                   "address": finding.address, "severity": finding.severity,
                                   "controls": list(finding.controls)} for finding in self.broken]}


@dataclass
class DriftReport:
    spec_name: str
    stacks: tuple[str, ...]
    items: list[DriftItem] = field(default_factory=list)
    run_id: str | None = None

    @property
    def drifted(self) -> int:
        return len(self.items)

    def counts_by_severity(self) -> dict[str, int]:
        counts = {severity: 0 for severity in SEVERITIES}
        for item in self.items:
            counts[item.severity] += 1
        return counts

    def severities(self) -> list[str]:
        return sorted((item.severity for item in self.items), key=severity_rank, reverse=True)

    def to_dict(self) -> dict:
        return {"spec": self.spec_name, "stacks": list(self.stacks), "run": self.run_id, "drifted": self.drifted,
                "by_severity": self.counts_by_severity(), "items": [item.to_dict() for item in self.items]}


def sorted_items(items: list[DriftItem]) -> list[DriftItem]:
    return sorted(items, key=lambda item: (-severity_rank(item.severity), item.stack, item.address))


def to_json(report: DriftReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def broken_text(item: DriftItem) -> str:
    return ", ".join(f"{finding.check_id} ({finding.severity})" for finding in item.broken) or "-"


def to_markdown(report: DriftReport) -> str:
    counts = report.counts_by_severity()
    lines = [f"## nexus drift: {report.drifted} resource(s) changed outside Terraform", "",
             f"Stacks: {', '.join(report.stacks) or '-'} · "
             + " · ".join(f"{severity}: {count}" for severity, count in reversed(counts.items())), ""]
    if report.items:
        lines += ["| Severity | Resource | Drift | Spec | Broken checks |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_cell(cell) for cell in (
            item.severity, f"`{item.stack}/{item.address}`", item.summary(), f"`{item.location()}`",
            broken_text(item))) + " |" for item in report.items]
    return "\n".join(lines) + "\n"


def to_sarif(report: DriftReport) -> str:
    """One result per drifted resource, rule `drift/<action>`, located at its spec line."""
    results = []
    for item in report.items:
        location = {"logicalLocations": [{"fullyQualifiedName": f"{item.stack}/{item.address}",
                                          "kind": "resource"}]}
        if item.file and item.line:
            location["physicalLocation"] = {"artifactLocation": {"uri": item.file},
                                            "region": {"startLine": item.line}}
        text = f"{item.stack}/{item.address} {item.summary()}"
        if item.broken:
            text += f"; it breaks {broken_text(item)}"
        results.append({"ruleId": f"drift/{item.drift.action}", "level": SARIF_LEVELS[item.severity],
                        "message": {"text": text}, "locations": [location],
                        "properties": {"severity": item.severity, "security-severity": SECURITY_SEVERITY[
                            item.severity], "stack": item.stack, "address": item.address,
                            "specPath": item.spec_path, "attributes": list(item.drift.attribute_names),
                            "brokenChecks": [finding.check_id for finding in item.broken]}})
    rules = [{"id": f"drift/{action}", "name": f"drift-{action}",
              "shortDescription": {"text": description}}
             for action, description in (("update", "Changed outside Terraform"),
                                         ("delete", "Deleted outside Terraform"))]
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "nexus drift", "version": __version__, "rules": rules}},
        "results": results}]}, indent=2) + "\n"


FORMATS = {"json": to_json, "markdown": to_markdown, "sarif": to_sarif}
