"""`nexus plan | deploy | destroy`: the real terraform binary, stack by stack, phase by phase.

Per stack, in dependency order (reverse for destroy): `init`, then `plan -out`, `show -json` of that plan, the
gate (compliance check of the plan), confirmation, a state backup, and `apply` of the saved plan. A failed call
is classified (cdktf_app.healing); transient failures are retried with backoff — init on its own, the
plan..apply sequence as one unit, since a partly applied plan is stale and must be planned again. Every call
has a watchdog. Every run is recorded (cdktf_app.runs) from its start, with counts, phases and outcome.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..compliance.checkov import CheckovWorker
from ..errors import NexusError, ToolError, UsageError
from ..files import private_directory, write_atomically
from ..healing import Attempt, Classification, RetryPolicy, run_healed
from ..runs import PhaseRecord, RunRecord, RunStore, redact, runs_url
from .. import layout
from ..spec.loader import LoadedSpec
from ..stacks.backends import required_terraform
from ..stacks.app import StackInfo
from ..stacks.synth import SynthResult, synth
from ..workspace import load
from ..tools.terraform import (DEFAULT_STOP_TIMEOUT, TerraformResult, ensure_cli_config, run_terraform,
                               terraform_version)
from .cost_delta import plan_cost_delta
from .gate import GateBlocked, GateResult, evaluate_gate
from .plan_summary import PlanSummary, summarize_plan
from .stacks import dependency_order, select_stacks
from .state import backup_state, effective_backend, make_state_private, verify_state

COMMANDS = ("plan", "deploy", "destroy")
PLAN_FILE = "nexus.tfplan"
PLAN_JSON = ".nexus-plan.json"
PHASE_TIMEOUTS = {"init": 300.0, "plan": 900.0, "show": 120.0, "apply": 3600.0, "state": 120.0}
APPLIED = {"Creation complete after": "added", "Modifications complete after": "changed",
           "Destruction complete after": "destroyed"}


@dataclass
class DeployOptions:
    command: str = "deploy"
    out_dir: Path | None = None
    stacks: tuple[str, ...] = ()
    environment: str | None = None
    auto_approve: bool = False
    allow_destroy: bool = False
    override_gate: bool = False
    reason: str | None = None
    sandbox_url: str | None = None
    timeout: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    confirm: Callable[[str], bool] | None = None
    aws_max_retries: int | None = None
    allow_unsafe_overrides: tuple[str, ...] = ()
    stop_timeout: float = DEFAULT_STOP_TIMEOUT  # Ctrl-C/SIGTERM: seconds terraform gets to stop cleanly


class Reporter:
    """How a run tells about itself; the CLI renders these with rich, the library is silent."""

    def stacks(self, stacks: list[StackInfo], skipped: list[StackInfo]) -> None: ...
    def phase(self, stack: str, phase: str) -> None: ...
    def phase_done(self, stack: str, phase: str, ok: bool, seconds: float) -> None: ...
    def retry(self, stack: str, attempt: Attempt, wait: float) -> None: ...
    def plan(self, stack: str, summary: PlanSummary) -> None: ...
    def gate(self, stack: str, result: GateResult) -> None: ...
    def terraform_line(self, line: str) -> None: ...


@dataclass
class DeployFailed(NexusError):
    """A terraform call failed for good: the class, how sure, and the line that shows it."""

    stack: str
    phase: str
    classification: Classification
    attempts: int
    log_file: Path
    run_id: str
    exit_code = 1

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        c = self.classification
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return (f"{self.phase} of {self.stack} failed{tries}: {c.failure_class} ({c.kind}, confidence "
                f"{c.confidence:.2f})\n  {c.evidence}\nterraform's output: {self.log_file} (run {self.run_id})")


@dataclass
class _Run:
    synthesized: SynthResult
    loaded: LoadedSpec
    options: DeployOptions
    reporter: Reporter
    out_dir: Path
    state_dir: Path
    log_file: Path
    cli_config: Path | None
    record: RunRecord
    store: RunStore
    secrets: set[str] = field(default_factory=set)
    # Stacks whose plan has been counted: the first plan that succeeds is the run's intended change, even when
    # an earlier attempt failed before planning or a later one plans only what a failed apply left over.
    planned: set[str] = field(default_factory=set)
    # One checkov process gates every stack of the run; it starts only when a plan is gated.
    checkov: CheckovWorker = field(default_factory=CheckovWorker)

    def timeout(self, phase: str) -> float:
        return self.options.timeout or PHASE_TIMEOUTS[phase]

    def terraform(self, stack_dir: Path, phase: str, *arguments: str, logged: bool = True) -> TerraformResult:
        return run_terraform(stack_dir, *arguments, cli_config=self.cli_config, timeout=self.timeout(phase),
                             log_file=self.log_file if logged else None,
                             on_line=self.reporter.terraform_line if logged else None,
                             stop_timeout=self.options.stop_timeout)

    def timed(self, stack: str, phase: str, call: Callable[[], TerraformResult], attempt: int) -> TerraformResult:
        self.reporter.phase(stack, phase)
        result = call()
        self.record.phases.append(PhaseRecord(stack=stack, phase=phase, seconds=round(result.seconds, 3),
                                              ok=result.ok, attempt=attempt))
        self.reporter.phase_done(stack, phase, result.ok, result.seconds)
        return result


def project_state_dir(loaded: LoadedSpec) -> Path:
    return layout.state_dir(loaded.base_dir)


def run(spec: str | Path | LoadedSpec, options: DeployOptions, reporter: Reporter | None = None) -> RunRecord:
    """Plan, deploy or destroy a spec (a path, or the spec the caller already loaded); returns the recorded run,
    raises on a failure (also recorded)."""
    if options.command not in COMMANDS:
        raise UsageError(f"command must be one of {', '.join(COMMANDS)}")
    if options.override_gate and not (options.reason and options.reason.strip()):
        raise UsageError("--override-gate needs --reason TEXT (it is recorded in the run)")
    loaded = spec if isinstance(spec, LoadedSpec) else load(spec)
    version = terraform_version()
    needed = required_terraform(loaded.spec)
    if needed and version < needed:
        raise ToolError(f"state.use_lockfile needs terraform {'.'.join(map(str, needed))} or newer; this is "
                        f"{'.'.join(map(str, version))}")
    reporter = reporter or Reporter()
    state_dir = project_state_dir(loaded)
    out_dir = layout.default_out_dir(loaded.base_dir, options.out_dir).resolve()
    result = synth(loaded, out_dir, allow_unsafe_overrides=options.allow_unsafe_overrides)
    chosen = select_stacks(dependency_order(out_dir, result.stacks), options.stacks, options.environment)
    runnable = [s for s in chosen if not options.sandbox_url or s.provider == "aws"]
    if options.sandbox_url:
        from ..sandbox import seed_secrets

        if chosen and not runnable:
            raise UsageError(f"the sandbox is AWS only; {', '.join(f'{s.name} ({s.provider})' for s in chosen)}"
                             " cannot run in it (there is no local emulator for these clouds)")
        seed_secrets(options.sandbox_url, loaded)
    reporter.stacks(runnable, [s for s in chosen if s not in runnable])
    if options.command == "destroy":
        runnable.reverse()
    record = RunRecord(command=options.command, spec_name=loaded.spec.name,
                       spec_file=str(loaded.path) if loaded.path else "<spec>", spec_sha256=loaded.digest,
                       started_at=time.time(), stacks=[s.name for s in runnable],
                       sandbox=bool(options.sandbox_url), nexus_version=__version__,
                       override_reason=options.reason if options.override_gate else None,
                       unsafe_overrides=[override.name for override in result.unsafe_overrides])
    log_file = private_directory(private_directory(state_dir) / layout.LOGS_DIR) / f"{record.id}.log"
    log_file.touch(mode=0o600)  # terraform's output holds values from the state
    record.log_file = str(log_file)
    store = RunStore(runs_url(loaded.base_dir))
    store.save(record)
    context = _Run(synthesized=result, loaded=loaded, options=options, reporter=reporter, out_dir=out_dir,
                   state_dir=state_dir, log_file=log_file, cli_config=ensure_cli_config(state_dir), record=record,
                   store=store)
    try:
        for stack in runnable:
            _run_stack(context, stack)
        record.outcome = "planned" if options.command == "plan" else "succeeded"
    except GateBlocked as blocked:
        record.outcome, record.error_class = "blocked", "gate"
        record.gate_findings = len(blocked.result.blocking)
        raise
    except DeployFailed as failed:
        _record_failure(record, failed.classification, context.secrets)
        raise
    except NexusError as error:
        record.outcome, record.error_class = "failed", type(error).__name__
        record.error_evidence = redact(str(error).splitlines()[0], context.secrets)
        raise
    except BaseException:
        record.outcome, record.error_class = "cancelled", "interrupted"
        raise
    finally:
        context.checkov.stop()
        record.finished_at = time.time()
        store.save(record)
        store.close()
    return record


def _record_failure(record: RunRecord, classification: Classification, secrets: set[str]) -> None:
    record.outcome = "failed"
    record.error_class = classification.failure_class
    record.error_kind = classification.kind
    record.error_confidence = classification.confidence
    record.error_rule = classification.rule
    record.error_evidence = redact(classification.evidence, secrets)


def _run_stack(run_: _Run, stack: StackInfo) -> None:
    from ..sandbox import remove_provider_override, write_provider_override

    stack_dir = run_.out_dir / "stacks" / stack.name
    if run_.options.sandbox_url:
        write_provider_override(stack_dir, run_.options.sandbox_url, max_retries=run_.options.aws_max_retries)
        _refuse_a_real_backend(stack_dir, run_.options.sandbox_url)
    else:
        remove_provider_override(stack_dir)
    make_state_private(stack_dir)
    _healed(run_, stack.name, "init", lambda attempt: run_.timed(
        stack.name, "init", lambda: run_.terraform(stack_dir, "init", "init", "-input=false", "-no-color",
                                                   "-reconfigure"), attempt))
    approved: list[bool] = []
    _healed(run_, stack.name, "apply" if run_.options.command != "plan" else "plan",
            lambda attempt: _plan_and_apply(run_, stack, stack_dir, attempt, approved))


def _refuse_a_real_backend(stack_dir: Path, sandbox_url: str) -> None:
    """A sandbox run uses local state or the sandbox's S3, whatever other override files in the folder say."""
    backend = effective_backend(stack_dir)
    kind = next(iter(backend), "local")
    if kind == "local" or (kind == "s3" and backend["s3"].get("endpoints", {}).get("s3") == sandbox_url):
        return
    raise UsageError(f"{stack_dir.name}: an override file in {stack_dir} sets a {kind} backend; a sandbox run "
                     "never uses real state (remove that file)")


def _healed(run_: _Run, stack: str, phase: str, step: Callable[[int], TerraformResult]) -> TerraformResult:
    attempts = [0]

    def call() -> TerraformResult:
        attempts[0] += 1
        return step(attempts[0])

    def on_retry(attempt: Attempt, wait: float) -> None:
        run_.record.retries += 1
        run_.store.save(run_.record)
        run_.reporter.retry(stack, attempt, wait)

    healed = run_healed(call, run_.options.retry, on_retry=on_retry)
    if not healed.outcome.ok:
        raise DeployFailed(stack=stack, phase=phase, classification=healed.classification,
                           attempts=len(healed.attempts), log_file=run_.log_file, run_id=run_.record.id)
    return healed.outcome


def _plan_and_apply(run_: _Run, stack: StackInfo, stack_dir: Path, attempt: int,
                    approved: list[bool]) -> TerraformResult:
    options = run_.options
    destroying = options.command == "destroy"
    plan = run_.timed(stack.name, "plan", lambda: run_.terraform(
        stack_dir, "plan", "plan", "-input=false", "-no-color", "-lock-timeout=0s", f"-out={PLAN_FILE}",
        *(["-destroy"] if destroying else [])), attempt)
    if not plan.ok:
        return plan
    try:
        with open(run_.log_file, "a", encoding="utf-8") as log:
            log.write(f"$ terraform show -json {PLAN_FILE} (output not kept: it holds sensitive values)\n")
        shown = run_.timed(stack.name, "show", lambda: run_.terraform(
            stack_dir, "show", "show", "-json", "-no-color", PLAN_FILE, logged=False), attempt)
        if not shown.ok:
            return shown
        plan_json = json.loads(shown.output[shown.output.index("{"):])
        summary = summarize_plan(plan_json)
        run_.secrets |= summary.sensitive_values
        run_.reporter.plan(stack.name, summary)
        first_plan = stack.name not in run_.planned
        run_.planned.add(stack.name)
        if first_plan:
            _add_cost_delta(run_.record, plan_cost_delta(stack.name, plan_json, run_.loaded.spec.cost))
        if not destroying and summary.has_changes:
            _gate(run_, stack, stack_dir, plan_json)
        if options.command == "plan":
            if first_plan:
                _count_planned(run_.record, summary)
            return plan
        if not summary.has_changes:
            return plan
        _approve(run_, stack, summary, approved)
        backup_state(stack_dir, run_.state_dir, stack.name, run_.cli_config, run_.log_file, run_.timeout("state"))
        apply = run_.timed(stack.name, "apply", lambda: run_.terraform(
            stack_dir, "apply", "apply", "-input=false", "-no-color", "-lock-timeout=0s", PLAN_FILE), attempt)
        _count_applied(run_.record, apply.output)
        if not apply.ok:
            check = verify_state(stack_dir, run_.state_dir, stack.name, run_.cli_config, run_.log_file,
                                 run_.timeout("state"))
            with open(run_.log_file, "a", encoding="utf-8") as log:
                log.write(f"nexus: state after the failed apply: readable={check.readable} serial={check.serial}"
                          f" resources={check.resources} restored_from={check.restored_from}\n")
        return apply
    finally:
        (stack_dir / PLAN_FILE).unlink(missing_ok=True)


def _gate(run_: _Run, stack: StackInfo, stack_dir: Path, plan_json: dict) -> GateResult:
    started = time.monotonic()
    path = stack_dir / PLAN_JSON
    try:
        write_atomically(path, json.dumps(plan_json), private=True)
        result = evaluate_gate(path, run_.synthesized, run_.loaded.spec.compliance.gate, run_.options.override_gate,
                               run_.checkov)
    finally:
        path.unlink(missing_ok=True)
    run_.record.phases.append(PhaseRecord(stack=stack.name, phase="gate", seconds=round(time.monotonic() - started, 3),
                                          ok=result.passed))
    run_.record.gate_findings = max(run_.record.gate_findings, len(result.blocking))
    run_.record.gate_overridden = run_.record.gate_overridden or result.overridden
    run_.reporter.gate(stack.name, result)
    if not result.passed:
        raise GateBlocked(stack=stack.name, result=result)
    return result


def _approve(run_: _Run, stack: StackInfo, summary: PlanSummary, approved: list[bool]) -> None:
    """Destructive changes need --allow-destroy (deploy) unless a person confirms them; any apply needs
    --auto-approve or a person's yes. Asked once per stack, even when a retry plans again."""
    options = run_.options
    if approved:
        return
    destructive = summary.destructive and options.command == "deploy" and not options.allow_destroy
    counts = f"{summary.add} to add, {summary.change} to change, {summary.destroy} to destroy"
    if options.auto_approve and not destructive:
        approved.append(True)
        return
    if options.confirm is None:
        if destructive:
            raise UsageError(f"{stack.name}: the plan deletes or replaces {len(summary.destructive)} resource(s) "
                             f"({', '.join(summary.destructive[:5])}); pass --allow-destroy to apply it")
        raise UsageError(f"{stack.name}: {counts}; pass --auto-approve to apply without a prompt")
    question = f"{options.command} {stack.name}: {counts}"
    if destructive:
        question += f"; DELETES or REPLACES {', '.join(summary.destructive[:5])}"
    if not options.confirm(question + ". Apply?"):
        raise UsageError(f"{stack.name}: not applied (declined)")
    approved.append(True)


def _add_cost_delta(record: RunRecord, delta: float | None) -> None:
    if delta is not None:
        record.cost_delta = round((record.cost_delta or 0.0) + delta, 2)


def _count_planned(record: RunRecord, summary: PlanSummary) -> None:
    record.added += summary.add
    record.changed += summary.change
    record.destroyed += summary.destroy


def _count_applied(record: RunRecord, output: str) -> None:
    """What an apply did, from terraform's per-resource lines (a failed attempt's partial work counts too)."""
    for line in output.splitlines():
        for marker, counter in APPLIED.items():
            if marker in line:
                setattr(record, counter, getattr(record, counter) + 1)
