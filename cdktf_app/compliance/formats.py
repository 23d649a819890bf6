"""Machine formats of a CheckReport: JSON, SARIF 2.1.0 (code scanning), JUnit XML (CI test reports), Markdown."""
from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ElementTree

from .. import __version__
from .findings import CheckReport, Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning orders alerts by this 0.0-10.0 score.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}
SARIF_MAX_RESULTS = 25_000  # GitHub code scanning's limit per run


def to_json(report: CheckReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"


def _message(finding: Finding) -> str:
    text = f"{finding.check_name} ({finding.stack}/{finding.address})" if finding.stack else finding.check_name
    if finding.controls:
        text += f". Controls: {', '.join(finding.controls)}"
    if finding.fix:
        text += f". Fix ({finding.fix.safety}): {finding.fix.describe()}"
    return text


def _sarif_location(finding: Finding) -> dict:
    if finding.file and finding.line:
        uri, region = finding.file, {"startLine": finding.line}
    else:
        uri, region = finding.artifact, {"startLine": max(finding.artifact_lines[0], 1)}
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region},
            "logicalLocations": [{"fullyQualifiedName": f"{finding.stack or '-'}/{finding.address}",
                                  "kind": "resource"}]}


def fingerprint(finding: Finding) -> str:
    """What identifies a finding across pushes: check, stack and resource, not the line (lines move)."""
    return hashlib.sha256(f"{finding.check_id}|{finding.stack or '-'}|{finding.address}".encode()).hexdigest()[:32]


def to_sarif(report: CheckReport, max_results: int = SARIF_MAX_RESULTS, properties: dict | None = None) -> str:
    """SARIF 2.1.0, one run; findings as the report orders them (most severe first), at most MAX_RESULTS of them
    (the run's properties say how many were left out). PROPERTIES: extra per-finding properties, by fingerprint."""
    rules: dict[str, dict] = {}
    results = []
    for finding in report.findings[:max_results]:
        rules.setdefault(finding.check_id, {
            "id": finding.check_id, "name": finding.check_id,
            "shortDescription": {"text": finding.check_name},
            "defaultConfiguration": {"level": SARIF_LEVELS[finding.severity]},
            "properties": {"security-severity": SECURITY_SEVERITY[finding.severity],
                           "tags": ["security", "compliance", *finding.controls]}})
        result = {"ruleId": finding.check_id, "level": SARIF_LEVELS[finding.severity],
                  "message": {"text": _message(finding)}, "locations": [_sarif_location(finding)],
                  "properties": {"severity": finding.severity, "stack": finding.stack, "address": finding.address,
                                 "specPath": finding.spec_path, "fixable": finding.fixable,
                                 **(properties or {}).get(fingerprint(finding), {})},
                  "partialFingerprints": {"nexusFinding/v1": fingerprint(finding)}}
        if finding.suppressed:
            result["suppressions"] = [{"kind": "inSource", "justification": finding.suppression_reason}]
        results.append(result)
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "nexus check", "version": __version__,
                            "rules": [rules[key] for key in sorted(rules)]}},
        "results": results,
        "properties": {"resultsLeftOut": max(0, len(report.findings) - max_results)}}]}
    return json.dumps(sarif, indent=2) + "\n"


def to_junit(report: CheckReport) -> str:
    """One test suite per stack, one failed test case per active finding (suppressed ones are skipped)."""
    suites = ElementTree.Element("testsuites", name="nexus check", tests=str(len(report.findings)),
                                 failures=str(report.failed_count))
    by_stack: dict[str, list[Finding]] = {}
    for finding in report.findings:
        by_stack.setdefault(finding.stack or "-", []).append(finding)
    for stack, findings in sorted(by_stack.items()):
        active = [finding for finding in findings if not finding.suppressed]
        suite = ElementTree.SubElement(suites, "testsuite", name=stack, tests=str(len(findings)),
                                       failures=str(len(active)), skipped=str(len(findings) - len(active)))
        for finding in findings:
            case = ElementTree.SubElement(suite, "testcase", classname=f"{stack}.{finding.address}",
                                          name=f"{finding.check_id} {finding.check_name}",
                                          file=finding.file or finding.artifact, line=str(finding.line or 0))
            if finding.suppressed:
                ElementTree.SubElement(case, "skipped", message=f"suppressed: {finding.suppression_reason}")
            else:
                failure = ElementTree.SubElement(case, "failure", type=finding.severity,
                                                 message=f"[{finding.severity}] {finding.check_name}")
                failure.text = f"{finding.location()}\n{_message(finding)}"
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: CheckReport) -> str:
    counts = report.counts_by_severity()
    lines = [f"## nexus check: {report.failed_count} finding(s), {report.passed_count} passed",
             "",
             f"Standards: {', '.join(report.standards)} · stacks: {', '.join(report.stacks) or '-'} · "
             + " · ".join(f"{severity}: {count}" for severity, count in reversed(counts.items())),
             ""]
    if report.findings:
        lines += ["| Severity | Check | Resource | Spec | Controls | Fix |", "|---|---|---|---|---|---|"]
        for finding in report.findings:
            severity = f"~~{finding.severity}~~ (suppressed)" if finding.suppressed else finding.severity
            lines.append("| " + " | ".join(_cell(cell) for cell in (
                severity, f"{finding.check_id} {finding.check_name}", f"`{finding.stack}/{finding.address}`",
                f"`{finding.location()}`", ", ".join(finding.controls) or "-",
                finding.fix.safety if finding.fix else "-")) + " |")
    return "\n".join(lines) + "\n"


FORMATS = {"json": to_json, "sarif": to_sarif, "junit": to_junit, "markdown": to_markdown}
