"""Fan-out for large specs: `matrix` lists the stacks to plan as a GitHub Actions matrix (one job each runs
`plan-and-check --stack NAME`), `merge` joins the jobs' report folders into one report."""
from __future__ import annotations

from pathlib import Path

from ..build import build
from ..deploy.stacks import dependency_order, select_stacks
from ..errors import UsageError
from ..sensitive import Secrets
from ..workspace import load
from .outputs import read_summary, write_outputs

OUTCOME_RANK = ("passed", "failed", "error")


def matrix(spec: str | Path, environment: str | None = None, out_dir: Path | None = None) -> dict:
    """`{"include": [{"stack", "environment", "provider"}, ...]}`, in dependency order: `strategy.matrix` of a
    workflow (fromJSON of this output)."""
    built = build(load(spec), out_dir).result
    stacks = select_stacks(dependency_order(built.out_dir, built.stacks), (), environment)
    return {"include": [{"stack": stack.name, "environment": stack.environment, "provider": stack.provider}
                        for stack in stacks]}


def merge(folders: list[Path], into: Path) -> dict:
    """One summary (and report, SARIF, JUnit) from the report folders of several plan-and-check jobs of the same
    change: stacks and findings joined, totals added up, the worst outcome kept."""
    if not folders:
        raise UsageError("nexus ci merge needs at least one report folder")
    summaries = [read_summary(folder) for folder in folders]
    merged = dict(summaries[0])
    merged.pop("review", None)      # a job's review saw its own stacks only: `nexus review` the merged folder
    stacks = {row["name"]: row for summary in summaries for row in summary["stacks"]}
    findings = {(row["check_id"], row["resource"]): row for summary in summaries for row in summary["findings"]}
    merged["stacks"] = sorted(stacks.values(), key=lambda row: (-(len(row["deleted"]) + len(row["replaced"])),
                                                                row["status"] == "unchanged", row["name"]))
    merged["findings"] = [row for summary in summaries for row in summary["findings"]
                          if findings.pop((row["check_id"], row["resource"]), None) is not None]
    merged["outcome"] = max((summary["outcome"] for summary in summaries), key=OUTCOME_RANK.index)
    merged["error"] = "\n".join(summary["error"] for summary in summaries if summary["error"]) or None
    merged["changed"] = any(summary["changed"] for summary in summaries)
    merged["run_id"] = ",".join(summary["run_id"] for summary in summaries)
    merged["expired_suppressions"] = sorted({text for summary in summaries for text in summary["expired_suppressions"]})
    rows = merged["stacks"]
    merged["cost"] = {"delta_monthly": round(sum(row["cost_delta_monthly"] or 0.0 for row in rows), 2),
                      "partial": any(summary["cost"]["partial"] for summary in summaries)}
    merged["totals"] = {"add": sum(row["add"] for row in rows), "change": sum(row["change"] for row in rows),
                        "destroy": sum(row["destroy"] for row in rows),
                        "new_findings_at_gate": sum(row["new_findings"] for row in rows),
                        "findings": sum(row["findings"] for row in rows)}
    write_outputs(merged, into, Secrets(()))
    return merged
