"""report.md: the headline table first (stack x add/change/destroy x $/month x new findings at the gate), then
what goes away, the spec changes with their lines, the new findings, drift, and the details of each stack folded.
Never over GitHub's 65,536-character comment limit: sections that do not fit are left out with a pointer to the
artifacts that hold everything (summary.json, nexus.sarif)."""
from __future__ import annotations

from ..review.render import review_markdown
from ..sensitive import Secrets

LIMIT = 65_536
# Lists are cut long before the limit: a PR comment is read, not searched.
MAX_ITEMS = 50
OUTCOME = {"passed": "✅ passed", "failed": "❌ failed", "error": "⚠️ error"}
CHANGE_LABEL = {"component_removed": "removed", "component_added": "added", "setting_changed": "changed",
                "suppression_added": "suppression added", "suppression_removed": "suppression removed",
                "override_added": "override added", "override_removed": "override removed",
                "standards_changed": "standards", "gate_changed": "gate",
                "auto_remediate_changed": "auto_remediate", "environments_changed": "environments",
                "secrets_changed": "secrets"}


def render_report(summary: dict, secrets: Secrets | None = None, limit: int = LIMIT) -> str:
    """The markdown of SUMMARY (the summary.json dict), redacted with SECRETS, at most LIMIT characters."""
    secrets = secrets or Secrets(())
    sections = [_headline(summary), _destructive(summary), _spec_changes(summary), _remediated(summary),
                _expired(summary), _new_findings(summary), _drift(summary), _review(summary),
                *(_stack_details(summary, row) for row in summary["stacks"])]
    sections = [section for section in sections if section]
    footer = _footer(summary)
    kept: list[str] = []
    size = len(footer)
    for index, section in enumerate(sections):
        text = secrets.cut_from(section)
        if size + len(text) + len(_truncated(len(sections))) > limit:
            kept.append(_truncated(len(sections) - index))
            break
        kept.append(text)
        size += len(text)
    return "".join(kept) + footer


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def money(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


def _headline(summary: dict) -> str:
    totals, gate = summary["totals"], summary["fail_on"]
    lines = [f"## Nexus plan-and-check: {OUTCOME[summary['outcome']]}", ""]
    if summary["outcome"] == "error":
        lines += ["The change could not be checked, so it did not pass:", "", "```",
                  *summary["error"].splitlines()[:20], "```", ""]
    lines += [f"{totals['add']} to add, {totals['change']} to change, {totals['destroy']} to destroy · "
              f"{money(summary['cost']['delta_monthly'])}/month{' (partial)' if summary['cost']['partial'] else ''}"
              f" · {totals['new_findings_at_gate']} new finding(s) at or above `{gate}`"
              f" · {len(summary['spec_changes'])} spec change(s)", ""]
    if summary["stacks"]:
        lines += [f"| Stack | Status | Add | Change | Destroy | $Δ/month | New ≥ {gate} |",
                  "|---|---|--:|--:|--:|--:|--:|"]
        for row in summary["stacks"][:MAX_ITEMS * 4]:
            status = row["status"] + (" ⚠️ destroys" if row["deleted"] or row["replaced"] else "")
            lines.append("| " + " | ".join(_cell(cell) for cell in (
                f"`{row['name']}`", status, row["add"], row["change"], row["destroy"],
                money(row["cost_delta_monthly"]), row["new_findings"])) + " |")
        if len(summary["stacks"]) > MAX_ITEMS * 4:
            lines.append(f"| … {len(summary['stacks']) - MAX_ITEMS * 4} more stacks in summary.json | | | | | | |")
    return "\n".join(lines) + "\n\n"


def _destructive(summary: dict) -> str:
    items = [(row["name"], "delete", address) for row in summary["stacks"] for address in row["deleted"]]
    items += [(row["name"], "replace", address) for row in summary["stacks"] for address in row["replaced"]]
    if not items:
        return ""
    lines = [f"### ⚠️ Deletes and replacements ({len(items)})", ""]
    lines += [f"- **{action}** `{stack}/{address}`" for stack, action, address in items[:MAX_ITEMS]]
    return "\n".join(lines + _more(len(items), "summary.json")) + "\n\n"


def _spec_changes(summary: dict) -> str:
    changes = summary["spec_changes"]
    if not changes:
        return ""
    lines = [f"### What changed in the spec ({len(changes)})", ""]
    lines += [f"- {CHANGE_LABEL[change['kind']]}: `{change['path']}` — {_cell(change['detail'])} "
              f"(`{change['file']}:{change['line'] or '?'}`)" for change in changes[:MAX_ITEMS]]
    return "\n".join(lines + _more(len(changes), "summary.json")) + "\n\n"


def _remediated(summary: dict) -> str:
    edits = summary.get("remediated") or []
    if not edits:
        return ""
    lines = [f"### Fixed by compliance.auto_remediate before planning ({len(edits)})", "",
             "The head spec was edited as `nexus deploy` would edit it; commit these fixes:", ""]
    lines += [f"- `{_cell(edit)}`" for edit in edits[:MAX_ITEMS]]
    return "\n".join(lines + _more(len(edits), "summary.json")) + "\n\n"


def _expired(summary: dict) -> str:
    if not summary["expired_suppressions"]:
        return ""
    lines = ["### Expired suppressions (the gate fails until they are renewed or fixed)", ""]
    lines += [f"- {_cell(text)}" for text in summary["expired_suppressions"][:MAX_ITEMS]]
    return "\n".join(lines) + "\n\n"


def _new_findings(summary: dict) -> str:
    new = [row for row in summary["findings"] if row["new"] and not row["suppressed"]]
    if not new:
        return ""
    lines = [f"### Introduced by this change ({len(new)})", "", "| Severity | Check | Resource | Spec |",
             "|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(cell) for cell in (
        row["severity"], f"{row['check_id']} {row['check_name']}", f"`{row['resource']}`",
        f"`{row['file']}:{row['line']}`" + (f" `{row['spec_path']}`" if row["spec_path"] else ""))) + " |"
              for row in new[:MAX_ITEMS]]
    return "\n".join(lines + _more(len(new), "nexus.sarif")) + "\n\n"


def _drift(summary: dict) -> str:
    items = [(row["name"], drift) for row in summary["stacks"] for drift in row["drift"]]
    if not items:
        return ""
    lines = [f"### Changed outside Terraform ({len(items)})", ""]
    lines += [f"- `{stack}/{drift['address']}` {drift['action']}"
              + (f": {', '.join(drift['attributes'])}" if drift["attributes"] else "")
              + (f" (component {drift['component']})" if drift["component"] else "") for stack, drift in items[:MAX_ITEMS]]
    return "\n".join(lines + _more(len(items), "summary.json")) + "\n\n"


def _review(summary: dict) -> str:
    """The roles' review (plan-and-check --review): advice beside the gate's outcome, never part of it."""
    return review_markdown(summary["review"], level=3) + "\n" if summary.get("review") else ""


def _stack_details(summary: dict, row: dict) -> str:
    if row["status"] == "unchanged":
        return ""
    findings = [finding for finding in summary["findings"] if finding["stack"] == row["name"]
                and not finding["suppressed"]]
    lines = [f"<details><summary><code>{row['name']}</code>: {row['add']} to add, {row['change']} to change, "
             f"{row['destroy']} to destroy, {len(findings)} finding(s)</summary>", ""]
    if row["note"]:
        lines += [f"_{row['note']}_", ""]
    if findings:
        lines += ["| Severity | New | Check | Resource | Spec |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(_cell(cell) for cell in (
            finding["severity"], "yes" if finding["new"] else "", finding["check_id"], f"`{finding['address']}`",
            f"`{finding['file']}:{finding['line']}`")) + " |" for finding in findings[:MAX_ITEMS]]
        lines += _more(len(findings), "nexus.sarif")
    return "\n".join(lines) + "\n\n</details>\n\n"


def _more(count: int, where: str) -> list[str]:
    return [f"- … {count - MAX_ITEMS} more in {where}"] if count > MAX_ITEMS else []


def _truncated(sections_left: int) -> str:
    return (f"\n> Report shortened to fit a comment: {sections_left} more section(s) are in the CI artifacts "
            "(report folder: summary.json, nexus.sarif, junit.xml).\n\n")


def _footer(summary: dict) -> str:
    return (f"<sub>nexus {summary['nexus_version']} · run `{summary['run_id']}` · exit codes: 0 passed, 1 gate "
            "failed, 2 usage or spec error, 4 tooling failure</sub>\n")
