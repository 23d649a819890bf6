"""`plan_and_check`: one pass for a pull request. Spec diff first, then each affected stack planned (in parallel,
bounded by cores; the local sandbox with `sandbox_url`), the plans checked (findings on spec lines, new vs the
base), cost delta per stack, destructive actions, drift the plans saw; the outputs written to a report folder
and the run recorded as kind `ci`.

The plan JSONs hold sensitive values in clear: they stay in memory, and every output passes through the
redaction of all sensitive values the plans marked (cdktf_app.sensitive).
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..build import build
from ..compliance import CheckovWorker, check
from ..compliance.findings import Finding
from ..compliance.packs import SEVERITIES
from ..compliance.suppressions import expired_problems
from ..cost.compare import CostDelta, compare
from ..deploy.orchestrator import DeployFailed, DeployOptions, Reporter, StackPlan, plan_stacks
from ..deploy.stacks import dependency_order, select_stacks
from ..drift import drift_in_plan
from ..errors import NexusError, ScanError, ToolError, UsageError
from ..files import private_directory, write_atomically
from ..healing import RetryPolicy
from ..layout import stack_json
from ..review import ReviewOptions, review
from ..runs import RunRecord, RunStore
from ..sensitive import Secrets
from ..spec.loader import LoadedSpec, load_spec_text
from ..spec.source import decode_spec, read_spec_bytes
from ..stacks.app import StackInfo
from ..stacks.synth import SynthResult
from ..workspace import load
from .outputs import write_outputs
from .spec_diff import diff_specs

FAIL_ON = ("low", "medium", "high", "critical", "never")


class CiToolingFailed(NexusError):
    """terraform, checkov or the network failed: the change could not be checked, so it did not pass."""

    exit_code = 4


@dataclass
class CiOptions:
    base: Path | None = None            # the base spec file
    base_ref: str | None = None         # or a git ref whose version of the spec is the base
    environment: str | None = None
    stacks: tuple[str, ...] = ()
    sandbox_url: str | None = None
    fail_on: str | None = None          # default: the head spec's compliance.gate
    report_dir: Path = Path("nexus-ci")
    out_dir: Path | None = None
    workers: int | None = None          # stacks planned at once; default: the machine's cores
    timeout: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    allow_unsafe_overrides: tuple[str, ...] = ()
    review: ReviewOptions | None = None     # add the roles' review to the report (it never changes the outcome)


@dataclass
class CiResult:
    summary: dict
    report_markdown: str
    report_dir: Path
    exit_code: int


def plan_and_check(spec: str | Path, options: CiOptions, reporter: Reporter | None = None,
                   on_stage: Callable[[str], None] = lambda text: None) -> CiResult:
    """Run the whole pass and write report.md, nexus.sarif, junit.xml and summary.json to options.report_dir.
    Bad input raises (exit 2); a gate failure is a result with exit code 1; a tool that failed writes the outputs
    with outcome `error` and raises CiToolingFailed (exit 4)."""
    if options.fail_on is not None and options.fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, got '{options.fail_on}'")
    if options.base and options.base_ref:
        raise UsageError("give the base as --base FILE or --base-ref GIT_REF, not both")
    spec = Path(spec)
    head = load(spec)
    options = replace(options, fail_on=options.fail_on or head.spec.compliance.gate)
    with tempfile.TemporaryDirectory(prefix="nexus-ci-base-") as scratch:
        base = _base_spec(spec, options, Path(scratch))
        return _run(spec, head, base, options, reporter or Reporter(), on_stage)


def _base_spec(spec: Path, options: CiOptions, scratch: Path) -> LoadedSpec | None:
    """The base, loaded from a copy in SCRATCH: building it may apply auto_remediate's fixes, and those must
    not edit the user's file. Problems are reported against the file the user named."""
    if options.base:
        label, text = str(options.base), read_spec_text(Path(options.base))
    elif options.base_ref:
        label, text = f"{options.base_ref}:{spec.name}", spec_at_ref(spec, options.base_ref)
    else:
        return None
    copy = scratch / spec.name
    write_atomically(copy, text)
    return load_spec_text(text, label, copy)


def read_spec_text(path: Path) -> str:
    return decode_spec(read_spec_bytes(path), str(path))


def spec_at_ref(spec: Path, ref: str) -> str:
    """The spec file as it is at git REF (`git show REF:./<spec>` in the spec's folder)."""
    folder = spec.resolve().parent
    try:
        shown = subprocess.run(["git", "-C", str(folder), "show", f"{ref}:./{spec.name}"], capture_output=True,
                               text=True, timeout=60, check=False)
    except FileNotFoundError:
        raise ToolError("--base-ref needs git, which is not on PATH") from None
    if shown.returncode != 0:
        raise UsageError(f"--base-ref {ref}: git cannot show {spec.name} at that ref: "
                         f"{(shown.stderr.strip().splitlines() or ['?'])[-1]}")
    return shown.stdout


def _run(spec: Path, head: LoadedSpec, base: LoadedSpec | None, options: CiOptions, reporter: Reporter,
         on_stage: Callable[[str], None]) -> CiResult:
    record = RunRecord(command="ci", spec_name=head.spec.name, spec_file=str(spec), spec_sha256=head.digest,
                       started_at=time.time(), sandbox=bool(options.sandbox_url), nexus_version=__version__)
    store = RunStore.of_project(head.base_dir, head.spec)
    store.save(record)
    secrets: set[str] = set()  # filled by the plans as they come in, so even a failure's text is redacted
    try:
        summary = _assess(spec, head, base, options, record, store, reporter, on_stage, secrets)
        record.outcome = "succeeded" if summary["outcome"] == "passed" else "blocked"
    except (DeployFailed, ScanError, ToolError) as failed:
        message = Secrets(secrets).cut_from(str(failed))
        record.outcome, record.error_class, record.error_evidence = "failed", type(failed).__name__, \
            message.splitlines()[0]
        summary = _error_summary(spec, options, record, message)
        _finish(record, store, summary)
        write_outputs(summary, options.report_dir, Secrets(secrets))
        raise CiToolingFailed(message) from None
    except NexusError as error:
        record.outcome, record.error_class = "failed", type(error).__name__
        record.error_evidence = Secrets(secrets).cut_from(str(error).splitlines()[0])
        _finish(record, store, None)
        raise
    except BaseException:
        record.outcome, record.error_class = "cancelled", "interrupted"
        _finish(record, store, None)
        raise
    _finish(record, store, summary)
    if options.review is not None:
        on_stage("review")
        # the roles see the summary as the report shows it: redacted
        summary["review"] = review(json.loads(Secrets(secrets).cut_from(json.dumps(summary))),
                                   options.review).as_dict()
    markdown = write_outputs(summary, options.report_dir, Secrets(secrets))
    return CiResult(summary=summary, report_markdown=markdown, report_dir=options.report_dir,
                    exit_code=0 if summary["outcome"] == "passed" else 1)


def _assess(spec: Path, head: LoadedSpec, base: LoadedSpec | None, options: CiOptions, record: RunRecord,
            store: RunStore, reporter: Reporter, on_stage: Callable[[str], None], secrets: set[str]) -> dict:
    """Spec diff, builds, plans, checks and cost: the summary (summary.json's dict)."""
    changes = diff_specs(base, head)
    expired = [str(problem) for problem in expired_problems(head, datetime.date.today())]
    on_stage("synth")
    head_build = build(head, options.out_dir, allow_unsafe_overrides=options.allow_unsafe_overrides)
    built, remediation = head_build.result, head_build.remediation
    remediated = [edit.describe() for edit in remediation.edits] if remediation and remediation.changed else []
    with tempfile.TemporaryDirectory(prefix="nexus-ci-base-out-") as base_out:
        base_built = (build(base, Path(base_out), allow_unsafe_overrides=options.allow_unsafe_overrides).result
                      if base else None)
        stacks = _stacks(built, base_built, options)
        record.stacks = [entry.info.name for entry in stacks if entry.status == "changed"]
        store.save(record)
        plannable = [entry.info for entry in stacks if entry.status == "changed" and entry.plannable]
        on_stage(f"plan {len(plannable)} stack(s)")
        plans = {plan.stack: plan for plan in _plans(built, plannable, options, record, store, reporter)}
        for plan in plans.values():
            secrets |= plan.summary.sensitive_values
        base_keys, findings = None, {}
        if plans or any(entry.status == "changed" and not entry.plannable for entry in stacks):
            on_stage("check")
            with CheckovWorker() as worker:
                base_keys = _base_findings(base_built, worker) if base_built else None
                findings = _findings(built, stacks, plans, worker)
        costs = _cost_change(base_built, built) if base_built else None
    return _summary(spec, options, changes, remediated, expired, stacks, plans, findings, base_keys, costs, record)


def _finish(record: RunRecord, store: RunStore, summary: dict | None) -> None:
    if summary is not None:
        totals = summary["totals"]
        record.added, record.changed, record.destroyed = totals["add"], totals["change"], totals["destroy"]
        record.gate_findings = totals["new_findings_at_gate"]
        record.cost_delta = summary["cost"]["delta_monthly"]
    record.finished_at = time.time()
    store.save(record)
    store.close()


@dataclass(frozen=True)
class StackEntry:
    info: StackInfo
    status: str                 # changed | unchanged | added (no base stack) | removed (only in the base)
    plannable: bool = True
    note: str | None = None


def _stacks(built: SynthResult, base_built: SynthResult | None, options: CiOptions) -> list[StackEntry]:
    chosen = select_stacks(dependency_order(built.out_dir, built.stacks), options.stacks, options.environment)
    base_names = {stack.name for stack in base_built.stacks} if base_built else set()
    entries = []
    for stack in chosen:
        status = "changed"
        if base_built and stack.name in base_names and _same_json(built, base_built, stack.name):
            status = "unchanged"
        plannable = not options.sandbox_url or stack.provider == "aws"
        note = None if plannable else f"not planned: the sandbox is AWS only ({stack.provider}); checked as synthesized"
        entries.append(StackEntry(stack, status, plannable, note))
    if base_built and not options.stacks:
        head_names = {stack.name for stack in built.stacks}
        entries += [StackEntry(stack, "removed", False, "in the base only: its resources are destroyed when the "
                                                        "head is deployed (plan the base to list them)")
                    for stack in base_built.stacks if stack.name not in head_names
                    and (not options.environment or stack.environment == options.environment)]
    return entries


def _same_json(built: SynthResult, base_built: SynthResult, name: str) -> bool:
    return stack_json(built.out_dir, name).read_bytes() == stack_json(base_built.out_dir, name).read_bytes()


def _plans(built: SynthResult, stacks: list[StackInfo], options: CiOptions, record: RunRecord, store: RunStore,
           reporter: Reporter) -> list[StackPlan]:
    if not stacks:
        return []
    deploy_options = DeployOptions(command="plan", sandbox_url=options.sandbox_url, timeout=options.timeout,
                                   retry=options.retry, allow_unsafe_overrides=options.allow_unsafe_overrides)
    workers = min(len(stacks), options.workers or os.cpu_count() or 1)
    return plan_stacks(built, stacks, deploy_options, record, store, reporter, workers=workers)


def _base_findings(base_built: SynthResult, worker: CheckovWorker) -> set[tuple]:
    """What the base already has, as (check, stack, address): a head finding not in it is new."""
    loaded = _without_expired(base_built.loaded)
    report = check(base_built.out_dir, spec=replace(base_built, loaded=loaded), worker=worker)
    return {_key(finding) for finding in report.findings}


def _cost_change(base_built: SynthResult, built: SynthResult) -> CostDelta | None:
    """`nexus cost --compare BASE HEAD`: what the change adds per month, per stack (a plan against an empty
    sandbox would price the whole stack instead). None when the cost model cannot price it."""
    try:
        return compare(base_built.out_dir, built.out_dir)
    except NexusError:
        return None


def _without_expired(loaded: LoadedSpec) -> LoadedSpec:
    """The spec with expired suppressions left out: their findings count again (and the run reports them)
    instead of the check refusing to run."""
    today = datetime.date.today()
    kept = [s for s in loaded.spec.compliance.suppressions
            if not (s.expires and datetime.date.fromisoformat(s.expires) < today)]
    if len(kept) == len(loaded.spec.compliance.suppressions):
        return loaded
    compliance = loaded.spec.compliance.model_copy(update={"suppressions": kept})
    return replace(loaded, spec=loaded.spec.model_copy(update={"compliance": compliance}))


def _key(finding: Finding) -> tuple:
    return finding.check_id, finding.stack, finding.address


def _findings(built: SynthResult, stacks: list[StackEntry], plans: dict[str, StackPlan],
              worker: CheckovWorker) -> dict[str, list[Finding]]:
    """Per stack: the plan's findings, or the synthesized JSON's for a changed stack that could not be planned."""
    mapped = replace(built, loaded=_without_expired(built.loaded))
    found: dict[str, list[Finding]] = {}
    with tempfile.TemporaryDirectory(prefix="nexus-ci-plans-") as scratch:
        folder = private_directory(Path(scratch) / "plans")
        for entry in stacks:
            name = entry.info.name
            if name in plans:
                path = folder / f"{name}.json"
                write_atomically(path, json.dumps(plans[name].plan), private=True)
                try:
                    found[name] = check(path, spec=mapped, stack=name, worker=worker).findings
                finally:
                    path.unlink(missing_ok=True)
            elif entry.status in ("changed", "added") and not entry.plannable:
                found[name] = check(built.out_dir, spec=mapped, stack=name, worker=worker).findings
    return found


def _summary(spec: Path, options: CiOptions, changes, remediated: list[str], expired: list[str],
             stacks: list[StackEntry], plans: dict[str, StackPlan], findings: dict[str, list[Finding]],
             base_keys: set[tuple] | None, costs: CostDelta | None, record: RunRecord) -> dict:
    gate = options.fail_on
    finding_rows, stack_rows = [], []
    for entry in stacks:
        name = entry.info.name
        plan = plans.get(name)
        rows = [_finding_row(finding, base_keys is None or _key(finding) not in base_keys)
                for finding in findings.get(name, [])]
        finding_rows += rows
        new_at_gate = sum(1 for row in rows if row["new"] and not row["suppressed"] and _at_gate(row, gate))
        counts = plan.summary if plan else None
        stack_rows.append({
            "name": name, "environment": entry.info.environment, "provider": entry.info.provider,
            "status": entry.status if plan or entry.status != "changed" else "not-planned",
            "planned": plan is not None, "note": entry.note,
            "add": counts.add if counts else 0, "change": counts.change if counts else 0,
            "destroy": counts.destroy if counts else 0,
            "deleted": list(counts.delete) if counts else [], "replaced": list(counts.replace) if counts else [],
            "cost_delta_monthly": _stack_cost(entry, plan, costs),
            "new_findings": new_at_gate, "findings": len([row for row in rows if not row["suppressed"]]),
            "drift": _drift(plan.plan) if plan else [],
        })
    # Destructive first: stacks that delete or replace, by how much, then the rest as planned.
    stack_rows.sort(key=lambda row: (-(len(row["deleted"]) + len(row["replaced"])), row["status"] == "unchanged"))
    new_at_gate = sum(row["new_findings"] for row in stack_rows)
    deltas = [row["cost_delta_monthly"] for row in stack_rows if row["cost_delta_monthly"] is not None]
    failed = bool(new_at_gate or expired)
    return {
        "schema": "nexus.ci/v1", "nexus_version": __version__, "run_id": record.id,
        "outcome": "failed" if failed else "passed", "error": None,
        "changed": bool(changes) or any(row["status"] != "unchanged" for row in stack_rows),
        "spec": str(spec), "base": str(options.base) if options.base else options.base_ref,
        "fail_on": gate, "sandbox": bool(options.sandbox_url),
        "spec_changes": [change.to_dict() for change in changes],
        # compliance.auto_remediate edited the head spec before it was planned, as `nexus deploy` would
        "remediated": remediated,
        "expired_suppressions": expired,
        "stacks": stack_rows,
        "findings": sorted(finding_rows, key=lambda row: (not row["new"], -SEVERITIES.index(row["severity"]),
                                                          row["resource"], row["check_id"])),
        "cost": {"delta_monthly": round(sum(deltas), 2),
                 "partial": (costs.partial if costs else False) or any(
                     row["cost_delta_monthly"] is None and row["status"] != "removed" for row in stack_rows)},
        "totals": {"add": sum(row["add"] for row in stack_rows), "change": sum(row["change"] for row in stack_rows),
                   "destroy": sum(row["destroy"] for row in stack_rows), "new_findings_at_gate": new_at_gate,
                   "findings": sum(row["findings"] for row in stack_rows)},
    }


def _stack_cost(entry: StackEntry, plan: StackPlan | None, costs: CostDelta | None) -> float | None:
    if entry.status == "unchanged":
        return 0.0
    if costs is not None:
        return costs.by_stack.get(entry.info.name, 0.0)
    return plan.cost_delta if plan else None


def _drift(plan: dict) -> list[dict]:
    """What the plan saw changed outside Terraform: addresses and attribute names, never their values."""
    return [{"address": drift.address, "type": drift.resource_type, "action": drift.action,
             "component": drift.component, "attributes": [item.attribute for item in drift.attributes],
             "instances": len(drift.addresses) or 1}
            for drift in drift_in_plan(plan)]


def _at_gate(row: dict, gate: str) -> bool:
    return gate != "never" and SEVERITIES.index(row["severity"]) >= SEVERITIES.index(gate)


def _finding_row(finding: Finding, new: bool) -> dict:
    return {"check_id": finding.check_id, "check_name": finding.check_name, "severity": finding.severity,
            "resource": f"{finding.stack}/{finding.address}", "stack": finding.stack, "address": finding.address,
            "file": finding.file or finding.artifact, "line": finding.line or finding.artifact_lines[0],
            "spec_path": finding.spec_path, "controls": list(finding.controls), "suppressed": finding.suppressed,
            "suppression_reason": finding.suppression_reason,
            "message": finding.check_name + (f" ({finding.spec_path})" if finding.spec_path else ""), "new": new}


def _error_summary(spec: Path, options: CiOptions, record: RunRecord, message: str) -> dict:
    return {"schema": "nexus.ci/v1", "nexus_version": __version__, "run_id": record.id, "outcome": "error",
            "error": message, "changed": True, "spec": str(spec),
            "base": str(options.base) if options.base else options.base_ref, "fail_on": options.fail_on,
            "sandbox": bool(options.sandbox_url), "spec_changes": [], "remediated": [], "expired_suppressions": [],
            "stacks": [],
            "findings": [], "cost": {"delta_monthly": 0.0, "partial": True},
            "totals": {"add": 0, "change": 0, "destroy": 0, "new_findings_at_gate": 0, "findings": 0}}
