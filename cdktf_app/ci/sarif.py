"""nexus.sarif for code scanning: the compliance SARIF writer (cdktf_app.compliance.formats) on the run's
findings, most severe first, each marked new or not, within GitHub's limits (one run, at most 25,000 results,
at most 10 MB: the least severe results are left out first, and the run says how many)."""
from __future__ import annotations

from ..compliance.findings import CheckReport, Finding
from ..compliance.formats import SARIF_MAX_RESULTS, fingerprint, to_sarif
from ..compliance.packs import SEVERITIES

GITHUB_MAX_BYTES = 10 * 1024 * 1024


def ci_sarif(summary: dict) -> str:
    rows = sorted(summary["findings"], key=lambda row: (-SEVERITIES.index(row["severity"]), not row["new"],
                                                        row["resource"], row["check_id"]))
    findings = [_finding(row) for row in rows]
    report = CheckReport(findings=findings, passed_count=0, standards=(),
                         stacks=tuple(sorted({row["stack"] for row in rows if row["stack"]})))
    properties = {fingerprint(finding): {"new": row["new"]} for finding, row in zip(findings, rows)}
    limit = SARIF_MAX_RESULTS
    while True:
        text = to_sarif(report, limit, properties)
        size = len(text.encode())
        if size <= GITHUB_MAX_BYTES or limit == 0:
            return text
        # results are of similar size: cut in proportion, a little more than needed, so one more pass fits
        limit = min(limit - 1, int(limit * GITHUB_MAX_BYTES / size * 0.97))


def _finding(row: dict) -> Finding:
    return Finding(check_id=row["check_id"], check_name=row["check_name"], address=row["address"],
                   stack=row["stack"], severity=row["severity"], controls=tuple(row["controls"]),
                   artifact=row["file"], artifact_lines=(row["line"], row["line"]), file=row["file"],
                   line=row["line"], spec_path=row["spec_path"], suppressed=row["suppressed"],
                   suppression_reason=row.get("suppression_reason"))
