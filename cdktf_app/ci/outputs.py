"""The report folder: report.md, nexus.sarif, junit.xml and summary.json, each redacted before it is written."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UsageError
from ..files import write_atomically
from ..sensitive import Secrets
from .junit import ci_junit
from .report import render_report
from .sarif import ci_sarif

REPORT, SARIF, JUNIT, SUMMARY = "report.md", "nexus.sarif", "junit.xml", "summary.json"


def write_outputs(summary: dict, folder: Path, secrets: Secrets | None = None) -> str:
    """Write the four files into FOLDER; returns the report's markdown."""
    secrets = secrets or Secrets(())
    folder.mkdir(parents=True, exist_ok=True)
    markdown = render_report(summary, secrets)
    write_atomically(folder / REPORT, markdown)
    write_atomically(folder / SARIF, secrets.cut_from(ci_sarif(summary)))
    write_atomically(folder / JUNIT, secrets.cut_from(ci_junit(summary)))
    write_atomically(folder / SUMMARY, secrets.cut_from(json.dumps(summary, indent=2, sort_keys=True)) + "\n")
    return markdown


def read_summary(folder: Path) -> dict:
    path = Path(folder) / SUMMARY
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (a folder `nexus ci plan-and-check --report-dir` wrote)") from None
    except ValueError as error:
        raise UsageError(f"{path}:{getattr(error, 'lineno', 1)}: not JSON ({error})") from None
    if not isinstance(summary, dict) or summary.get("schema") != "nexus.ci/v1":
        raise UsageError(f"{path}: not a nexus ci summary (expected schema nexus.ci/v1)")
    return summary
