"""`nexus drift`: per stack `terraform plan -refresh-only -detailed-exitcode -lock=false -out` and `show -json`
(the deploy runner: its init, sandbox redirection, healing and watchdogs), the drift in each plan mapped to
the spec line it came from and scored with the packs, and the run recorded (kind `drift`)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from .. import __version__
from ..compliance.checkov import CheckovWorker
from ..deploy import DeployFailed, DeployOptions, Reporter
from ..deploy.orchestrator import REFRESH_ONLY, StackPlan, plan_stacks
from ..deploy.stacks import dependency_order, select_stacks
from ..errors import NexusError, UsageError
from ..layout import default_out_dir
from ..runs import RunRecord, RunStore
from ..spec.loader import LoadedSpec
from ..stacks.synth import SynthResult, synth
from ..workspace import load
from .changes import INSTANCE_KEY, drift_in_plan
from .report import DriftItem, DriftReport, sorted_items
from .scoring import broken_findings, drift_severity


@dataclass(frozen=True)
class Detected:
    """A drift check: the report, the synth it mapped to, and each stack's refresh-only plan (sensitive values in
    clear: kept in memory for a fix, never written)."""

    report: DriftReport
    synthesized: SynthResult
    plans: tuple[StackPlan, ...]


def detect(spec, options: DeployOptions | None = None, reporter: Reporter | None = None) -> Detected:
    """Check every chosen stack of SPEC (a path or a loaded spec) for drift; the run is recorded."""
    options = options or DeployOptions(command="drift")
    loaded = spec if isinstance(spec, LoadedSpec) else load(spec)
    out_dir = default_out_dir(loaded.base_dir, options.out_dir).resolve()
    synthesized = synth(loaded, out_dir, allow_unsafe_overrides=options.allow_unsafe_overrides)
    stacks = select_stacks(dependency_order(out_dir, synthesized.stacks), options.stacks, options.environment)
    if options.sandbox_url:
        skipped = [stack for stack in stacks if stack.provider != "aws"]
        if skipped and len(skipped) == len(stacks):
            raise UsageError(f"the sandbox is AWS only; {', '.join(stack.name for stack in skipped)} cannot run in it")
        stacks = [stack for stack in stacks if stack.provider == "aws"]
    record = RunRecord(command="drift", spec_name=loaded.spec.name,
                       spec_file=str(loaded.path) if loaded.path else "<spec>", spec_sha256=loaded.digest,
                       started_at=time.time(), stacks=[stack.name for stack in stacks],
                       sandbox=bool(options.sandbox_url), nexus_version=__version__)
    with RunStore.of_project(loaded.base_dir, loaded.spec) as store:
        store.save(record)
        try:
            plans = _refresh_only_plans(synthesized, stacks, options, record, store, reporter or Reporter())
            report = _report(loaded, synthesized, plans)
            report.run_id = record.id
            record.drifted, record.drift_severities = report.drifted, report.severities()
            record.outcome = "drifted" if report.drifted else "in-sync"
        except DeployFailed as failed:
            record.outcome, record.error_class = "failed", failed.classification.failure_class
            record.error_evidence = failed.classification.evidence
            raise
        except NexusError as error:
            record.outcome, record.error_class = "failed", type(error).__name__
            record.error_evidence = str(error).splitlines()[0]
            raise
        except BaseException:
            record.outcome, record.error_class = "cancelled", "interrupted"
            raise
        finally:
            record.finished_at = time.time()
            store.save(record)
    return Detected(report=report, synthesized=synthesized, plans=tuple(plans))


def _refresh_only_plans(synthesized, stacks, options, record, store, reporter: Reporter) -> list[StackPlan]:
    """The stacks' refresh-only plans; their counts (always +0 ~0 -0: nothing is planned) are not reported."""
    reporter.plan = lambda stack, summary: None
    try:
        return plan_stacks(synthesized, stacks, options, record, store, reporter, plan_options=REFRESH_ONLY)
    finally:
        del reporter.plan


def _report(loaded: LoadedSpec, synthesized: SynthResult, plans: list[StackPlan]) -> DriftReport:
    items: list[DriftItem] = []
    worker = CheckovWorker()
    try:
        for stack_plan in plans:
            drifts = drift_in_plan(stack_plan.plan)
            broken = broken_findings(stack_plan.plan, drifts, synthesized, stack_plan.stack, worker)
            for drift in drifts:
                origin = synthesized.provenance.lookup(INSTANCE_KEY.sub("", drift.address), stack_plan.stack)
                items.append(DriftItem(
                    stack=stack_plan.stack, drift=drift, severity=drift_severity(drift, broken[drift.address]),
                    broken=tuple(broken[drift.address]),
                    file=str(loaded.path) if origin and loaded.path else None,
                    line=origin.line if origin else None, spec_path=origin.spec_path if origin else None,
                    component=origin.component if origin else drift.component))
    finally:
        worker.stop()
    return DriftReport(spec_name=loaded.spec.name, stacks=tuple(plan.stack for plan in plans),
                       items=sorted_items(items))
