"""What every role is shown of a change, taken from a plan-and-check summary (summary.json, nexus.ci/v1), and
the anchors a concern may name: the resources and spec lines in those inputs, nothing else."""
from __future__ import annotations

from dataclasses import dataclass

# Resource types whose deletion loses data (the reliability rules treat them apart).
STATEFUL = ("aws_db_instance", "aws_rds_cluster", "aws_s3_bucket", "aws_dynamodb_table", "aws_elasticache_",
            "aws_efs_file_system", "aws_ebs_volume", "aws_kms_key", "aws_secretsmanager_secret",
            "google_sql_database_instance", "google_storage_bucket", "google_redis_instance", "google_kms_",
            "azurerm_postgresql", "azurerm_mysql", "azurerm_mssql", "azurerm_storage_account", "azurerm_redis_cache",
            "azurerm_key_vault")


@dataclass(frozen=True)
class ReviewInputs:
    summary: dict

    def payload(self) -> dict:
        """The inputs as the roles see them: plan summary, findings, cost delta, spec diff (no plan values:
        the summary never holds them)."""
        summary = self.summary
        return {
            "spec": summary["spec"], "gate": summary["fail_on"], "outcome": summary["outcome"],
            "plan": [{key: row[key] for key in ("name", "environment", "status", "add", "change", "destroy",
                                                "deleted", "replaced", "cost_delta_monthly", "note")}
                     | {"drift": [f"{row['name']}/{drift['address']}" for drift in row["drift"]]}
                     for row in summary["stacks"]],
            "findings": [{"resource": row["resource"], "spec_line": _line(row), "spec_path": row["spec_path"],
                          "check": f"{row['check_id']} {row['check_name']}", "severity": row["severity"],
                          "new": row["new"]} for row in summary["findings"] if not row["suppressed"]],
            "cost": summary["cost"],
            "spec_changes": [{"kind": change["kind"], "path": change["path"], "spec_line": _line(change),
                              "detail": change["detail"]} for change in summary["spec_changes"]],
            "remediated": summary.get("remediated") or [],
            "expired_suppressions": summary["expired_suppressions"],
        }

    def resources(self) -> set[str]:
        """Every resource a concern may name: stacks, what the plans delete, replace or saw drift on, findings."""
        known = set()
        for row in self.summary["stacks"]:
            known.add(row["name"])
            known |= {f"{row['name']}/{address}" for address in [*row["deleted"], *row["replaced"]]}
            known |= {f"{row['name']}/{drift['address']}" for drift in row["drift"]}
        return known | {row["resource"] for row in self.summary["findings"]}

    def spec_lines(self) -> set[str]:
        """Every `file:line` a concern may name: the spec changes' and the findings'."""
        rows = [*self.summary["spec_changes"], *self.summary["findings"]]
        return {_line(row) for row in rows if _line(row)}

    def counts(self) -> dict:
        totals = self.summary["totals"]
        return {"spec": self.summary["spec"], "outcome": self.summary["outcome"], "add": totals["add"],
                "change": totals["change"], "destroy": totals["destroy"], "findings": totals["findings"],
                "spec_changes": len(self.summary["spec_changes"]),
                "cost_delta_monthly": self.summary["cost"]["delta_monthly"]}


def _line(row: dict) -> str | None:
    return f"{row['file']}:{row['line']}" if row.get("file") and row.get("line") else None


def is_stateful(address: str) -> bool:
    return any(part.startswith(STATEFUL) for part in address.rsplit("/", 1)[-1].split("."))
