"""`nexus plan | deploy | destroy`: the real terraform binary, stack by stack, phase by phase.

Per stack, in dependency order (reverse for destroy): `init`, then `plan -out`, `show -json` of that plan, the
gate (compliance check of the plan), confirmation, a state backup, and `apply` of the saved plan. A failed call
is classified (cdktf_app.healing); transient failures are retried with backoff — init on its own, the
plan..apply sequence as one unit, since a partly applied plan is stale and must be planned again. Every call
has a watchdog. Every run is recorded (cdktf_app.runs) from its start, with counts, phases and outcome.

The spec is built as `nexus synth` builds it (cdktf_app.build: `compliance.auto_remediate` applies the safe
fixes first). A destroy reads every stack's state before deleting anything, for deletion protection
(cdktf_app.deploy.protection) and to tell resources it deletes from ones already gone.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import __version__
from ..compliance.checkov import CheckovWorker
from ..crypto.envelope import recipients_kind
from ..crypto.keys import Identity, generate_identity, parse_recipient
from ..build import build
from ..errors import NexusError, ToolError, UsageError
from ..files import private_directory, write_atomically
from ..healing import Attempt, Classification, RetryPolicy, run_healed
from ..runs import PhaseRecord, RunRecord, RunStore, redact
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
from .plan_files import clear_private_plans, keep_sealed_plan, opened_plan, private_plan_folder, seal_plan
from .plan_summary import PlanSummary, summarize_plan
from .protection import (UNPROTECT_FILE, Protected, ProtectedResources, managed_instances, protected_deletions,
                         protected_in_state, unexpected_changes, write_unprotect_override)
from .stacks import dependency_order, select_stacks
from .state import backup_state, effective_backend, make_state_private, verify_state

COMMANDS = ("plan", "deploy", "destroy")
PLAN_FILE = "nexus.tfplan"
PLAN_JSON = ".nexus-plan.json"
# What `nexus drift` plans: what changed outside Terraform only, without taking the lock (nothing is written).
REFRESH_ONLY = ("-refresh-only", "-detailed-exitcode", "-lock=false")
UNPROTECT_PLAN = "nexus-unprotect.tfplan"
RUN_OVERRIDE_FILE = "nexus_run_override.tf.json"
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
    plan_dir: Path | None = None  # plan: keep each stack's saved plan and its JSON here (0600 files, 0700 folder)
    force_protected: bool = False  # destroy: turn deletion protection off on the protected resources first
    # stack -> Terraform JSON laid over that stack for this run only (`nexus drift --fix revert`: a security
    # group's rules without those added outside Terraform); removed after the stack, and before it if a killed
    # run left it
    run_overrides: Mapping[str, dict] = field(default_factory=dict)
    # addresses this run may replace without --allow-destroy (`nexus release`: the released service's task
    # definitions, which a new image replaces); any other deletion still needs it
    replaceable: frozenset[str] = frozenset()


class Reporter:
    """How a run tells about itself; the CLI renders these with rich, the library is silent."""

    def stacks(self, stacks: list[StackInfo], skipped: list[StackInfo]) -> None: ...
    def phase(self, stack: str, phase: str) -> None: ...
    def phase_done(self, stack: str, phase: str, ok: bool, seconds: float) -> None: ...
    def retry(self, stack: str, attempt: Attempt, wait: float) -> None: ...
    def plan(self, stack: str, summary: PlanSummary) -> None: ...
    def gate(self, stack: str, result: GateResult) -> None: ...
    def terraform_line(self, line: str) -> None: ...
    def note(self, text: str) -> None: ...


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
    initialized: set[str] = field(default_factory=set)
    # destroy: managed instances in each stack's state before the run, and the protected ones to lift
    state_resources: dict[str, int] = field(default_factory=dict)
    lift: dict[str, list[Protected]] = field(default_factory=dict)
    gone: dict[str, int] = field(default_factory=dict)
    # with `encryption`: the key this run's plans wait for apply sealed to, in memory only (plan_files.py)
    plan_key: Identity | None = field(default=None, repr=False)

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


def _backup_recipients(run_: _Run) -> list[str]:
    """Whom state backups are encrypted to: the spec's `encryption.recipients`, none when it has no `encryption`."""
    encryption = run_.loaded.spec.encryption
    return encryption.recipients if encryption else []


def _run_plan_key(run_: _Run) -> Identity:
    """The key this run's saved plans are sealed to while they wait for apply: made once per run, of the kind of
    the spec's recipients (classical where ML-KEM is not available), never written anywhere."""
    if run_.plan_key is None:
        kind = recipients_kind([parse_recipient(text) for text in _backup_recipients(run_)])
        run_.plan_key = generate_identity(kind)
    return run_.plan_key


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
    result, loaded = _synthesize(loaded, out_dir, options, reporter)
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
    log_file = _run_log(state_dir, record)
    store = RunStore.of_project(loaded.base_dir, loaded.spec)
    store.save(record)
    context = _Run(synthesized=result, loaded=loaded, options=options, reporter=reporter, out_dir=out_dir,
                   state_dir=state_dir, log_file=log_file, cli_config=ensure_cli_config(state_dir), record=record,
                   store=store)
    try:
        if options.command == "destroy":
            _survey_state(context, runnable)
        for stack in runnable:
            _run_stack(context, stack)
        record.outcome = "planned" if options.command == "plan" else "succeeded"
    except GateBlocked as blocked:
        record.outcome, record.error_class = "blocked", "gate"
        record.gate_findings = len(blocked.result.blocking)
        raise
    except ProtectedResources as refused:
        record.outcome, record.error_class = "blocked", "deletion-protection"
        record.error_evidence = "; ".join(f"{p.stack}:{p.address}" for p in refused.found)
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


def _run_log(state_dir: Path, record: RunRecord) -> Path:
    log_file = private_directory(private_directory(state_dir) / layout.LOGS_DIR) / f"{record.id}.log"
    log_file.touch(mode=0o600)  # terraform's output holds values from the state
    record.log_file = str(log_file)
    return log_file


@dataclass(frozen=True)
class StackPlan:
    """One stack's saved plan as `terraform show -json` reads it. `plan` holds sensitive values in clear: it stays
    in memory, and anything made from it is redacted with `summary.sensitive_values`."""

    stack: str
    plan: dict = field(repr=False)
    summary: PlanSummary = field(default_factory=PlanSummary)
    cost_delta: float | None = None


def plan_stacks(synthesized: SynthResult, stacks: list[StackInfo], options: DeployOptions, record: RunRecord,
                store: RunStore, reporter: Reporter | None = None, workers: int = 1,
                plan_options: tuple[str, ...] = ()) -> list[StackPlan]:
    """`init`, `plan -out` and `show -json` of each of STACKS, as `nexus plan` runs them but without the gate (the
    caller checks the plans) and up to WORKERS stacks at once: each plans against its own state. Phases and
    retries go to RECORD; a call that fails for good raises DeployFailed. PLAN_OPTIONS are added to the plan
    (REFRESH_ONLY: what `nexus drift` plans)."""
    loaded = synthesized.loaded
    state_dir = project_state_dir(loaded)
    context = _Run(synthesized=synthesized, loaded=loaded, options=options, reporter=reporter or Reporter(),
                   out_dir=synthesized.out_dir, state_dir=state_dir, log_file=_run_log(state_dir, record),
                   cli_config=ensure_cli_config(state_dir), record=record, store=store)
    if options.sandbox_url:
        from ..sandbox import seed_secrets

        seed_secrets(options.sandbox_url, loaded)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="plan") as pool:
        return list(pool.map(lambda stack: _plan_for_review(context, stack, plan_options), stacks))


def _plan_for_review(run_: _Run, stack: StackInfo, plan_options: tuple[str, ...]) -> StackPlan:
    stack_dir = _prepare(run_, stack)
    try:
        _healed(run_, stack.name, "plan", lambda attempt: _saved_plan(run_, stack, stack_dir, attempt, "plan",
                                                                      PLAN_FILE, *plan_options))
        shown = _healed(run_, stack.name, "show", lambda attempt: _show_json(run_, stack, stack_dir, attempt,
                                                                             PLAN_FILE))
    finally:
        (stack_dir / PLAN_FILE).unlink(missing_ok=True)
    plan_json = _parsed(shown)
    summary = summarize_plan(plan_json)
    run_.reporter.plan(stack.name, summary)
    return StackPlan(stack=stack.name, plan=plan_json, summary=summary,
                     cost_delta=plan_cost_delta(stack.name, plan_json, run_.loaded.spec.cost))


def _changes_are_success(plan: TerraformResult, plan_options: tuple[str, ...]) -> TerraformResult:
    """Under -detailed-exitcode terraform exits 2 for a plan with changes: a plan made, not a failure."""
    made = "-detailed-exitcode" in plan_options and plan.returncode == 2 and not plan.timed_out
    return replace(plan, returncode=0) if made else plan


def _synthesize(loaded: LoadedSpec, out_dir: Path, options: DeployOptions,
                reporter: Reporter) -> tuple[SynthResult, LoadedSpec]:
    """The stacks `nexus synth` and `cdktf synth` write (cdktf_app.build): with `compliance.auto_remediate` the
    safe fixes are applied to the spec file first, and the run plans the remediated spec."""
    if loaded.path is None:  # a spec given in memory has no file to remediate
        return synth(loaded, out_dir, allow_unsafe_overrides=options.allow_unsafe_overrides), loaded
    built = build(loaded, out_dir, allow_unsafe_overrides=options.allow_unsafe_overrides)
    remediation = built.remediation
    if remediation is None or remediation.loaded is None:
        return built.result, loaded
    if remediation.changed:
        reporter.note(f"auto_remediate: {len(remediation.edits)} safe fix(es) applied to {loaded.path}")
    return built.result, remediation.loaded


def _record_failure(record: RunRecord, classification: Classification, secrets: set[str]) -> None:
    record.outcome = "failed"
    record.error_class = classification.failure_class
    record.error_kind = classification.kind
    record.error_confidence = classification.confidence
    record.error_rule = classification.rule
    record.error_evidence = redact(classification.evidence, secrets)


def _run_stack(run_: _Run, stack: StackInfo) -> None:
    stack_dir = _prepare(run_, stack)
    try:
        if stack.name in run_.options.run_overrides:
            write_atomically(stack_dir / RUN_OVERRIDE_FILE,
                             json.dumps(run_.options.run_overrides[stack.name], indent=2, sort_keys=True) + "\n")
        if stack.name in run_.lift:
            _healed(run_, stack.name, "unprotect", lambda attempt: _lift_protection(run_, stack, stack_dir, attempt))
        approved: list[bool] = []
        _healed(run_, stack.name, "apply" if run_.options.command != "plan" else "plan",
                lambda attempt: _plan_and_apply(run_, stack, stack_dir, attempt, approved))
    finally:
        (stack_dir / UNPROTECT_FILE).unlink(missing_ok=True)  # protection is off only for this destroy
        (stack_dir / RUN_OVERRIDE_FILE).unlink(missing_ok=True)


def _prepare(run_: _Run, stack: StackInfo) -> Path:
    """The stack folder pointed at the sandbox (or not), its state private, `terraform init` done once a run."""
    from ..sandbox import remove_provider_override, sandbox_gaps, write_provider_override

    stack_dir = run_.out_dir / "stacks" / stack.name
    if stack.name in run_.initialized:
        return stack_dir
    # left by a run that was killed: a later deploy must never run with the protection turned off, nor with
    # another run's overrides
    (stack_dir / UNPROTECT_FILE).unlink(missing_ok=True)
    (stack_dir / RUN_OVERRIDE_FILE).unlink(missing_ok=True)
    (stack_dir / PLAN_JSON).unlink(missing_ok=True)  # plans hold secrets in clear: none outlives its run
    clear_private_plans(run_.state_dir, stack.name)
    if run_.options.sandbox_url:
        write_provider_override(stack_dir, run_.options.sandbox_url, max_retries=run_.options.aws_max_retries)
        _refuse_a_real_backend(stack_dir, run_.options.sandbox_url)
        for address, why in sandbox_gaps(json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))):
            run_.reporter.note(f"{stack.name}: {address} is not deployed in the sandbox: {why}")
    else:
        remove_provider_override(stack_dir)
    make_state_private(stack_dir)
    _healed(run_, stack.name, "init", lambda attempt: run_.timed(
        stack.name, "init", lambda: run_.terraform(stack_dir, "init", "init", "-input=false", "-no-color",
                                                   "-reconfigure"), attempt))
    run_.initialized.add(stack.name)
    return stack_dir


def _show_json(run_: _Run, stack: StackInfo, stack_dir: Path, attempt: int, *plan: str) -> TerraformResult:
    """`terraform show -json` of a saved plan, or of the state when none is named: never logged, it holds
    sensitive values in clear."""
    with open(run_.log_file, "a", encoding="utf-8") as log:
        log.write(f"$ terraform show -json {' '.join(plan)} (output not kept: it holds sensitive values)\n")
    return run_.timed(stack.name, "show", lambda: run_.terraform(
        stack_dir, "show", "show", "-json", "-no-color", *plan, logged=False), attempt)


def _saved_plan(run_: _Run, stack: StackInfo, stack_dir: Path, attempt: int, phase: str, plan_file: str,
                *plan_options: str) -> TerraformResult:
    """`terraform plan` saved to PLAN_FILE, timed as PHASE."""
    return run_.timed(stack.name, phase, lambda: _changes_are_success(run_.terraform(
        stack_dir, "plan", "plan", "-input=false", "-no-color", "-lock-timeout=0s", f"-out={plan_file}",
        *plan_options), plan_options), attempt)


def _applied_plan(run_: _Run, stack: StackInfo, stack_dir: Path, attempt: int, phase: str,
                  plan_file: str) -> TerraformResult:
    """`terraform apply` of the plan saved in PLAN_FILE, timed as PHASE."""
    return run_.timed(stack.name, phase, lambda: run_.terraform(
        stack_dir, "apply", "apply", "-input=false", "-no-color", "-lock-timeout=0s", plan_file), attempt)


def _parsed(shown: TerraformResult) -> dict:
    return json.loads(shown.output[shown.output.index("{"):])


def _survey_state(run_: _Run, stacks: list[StackInfo]) -> None:
    """Before a destroy deletes anything: every stack's state, for deletion protection (refused here, or lifted
    per stack with --force-protected) and for how many resources it holds."""
    found: list[Protected] = []
    for stack in stacks:
        stack_dir = _prepare(run_, stack)
        state = _parsed(_healed(run_, stack.name, "show",
                                lambda attempt: _show_json(run_, stack, stack_dir, attempt)))
        run_.state_resources[stack.name] = managed_instances(state)
        found += protected_in_state(stack.name, state)
    options, held = run_.options, sum(run_.state_resources.values())
    if held and not options.allow_destroy and options.confirm is None:  # refused before protection is touched
        raise UsageError(f"destroy deletes the {held} resource(s) the state holds; pass --allow-destroy with "
                         "--auto-approve to destroy without a prompt")
    if not found:
        return
    if not options.force_protected or any(p.in_module for p in found):
        raise ProtectedResources(found)
    names = ", ".join(f"{p.stack}:{p.address}" for p in found)
    if options.confirm is not None and not options.allow_destroy and not options.confirm(
            f"turn deletion protection off on {names}, then destroy?"):
        raise UsageError("deletion protection not lifted, nothing destroyed (declined)")
    for protected in found:
        run_.lift.setdefault(protected.stack, []).append(protected)
    run_.reporter.note(f"deletion protection to lift first (--force-protected): {names}")


def _lift_protection(run_: _Run, stack: StackInfo, stack_dir: Path, attempt: int) -> TerraformResult:
    """Turn the protection off on exactly the resources the survey found: an override file, a plan targeted at
    them that must change nothing else, and its apply."""
    found = run_.lift[stack.name]
    write_unprotect_override(stack_dir, found)
    plan = _saved_plan(run_, stack, stack_dir, attempt, "unprotect-plan", UNPROTECT_PLAN,
                       *(f"-target={p.address}" for p in found))
    if not plan.ok:
        return plan
    try:
        shown = _show_json(run_, stack, stack_dir, attempt, UNPROTECT_PLAN)
        if not shown.ok:
            return shown
        extra = unexpected_changes(_parsed(shown), found)
        if extra:
            raise UsageError(f"{stack.name}: turning deletion protection off would also change "
                             f"{', '.join(extra)}; nothing was applied or deleted. Deploy the spec as it is "
                             "first, so that only the protection differs, then destroy --force-protected")
        backup_state(stack_dir, run_.state_dir, stack.name, run_.cli_config, run_.log_file, run_.timeout("state"),
                     _backup_recipients(run_))
        apply = _applied_plan(run_, stack, stack_dir, attempt, "unprotect-apply", UNPROTECT_PLAN)
        if apply.ok:
            run_.record.protection_lifted += [f"{stack.name}:{p.address}" for p in found]
            run_.store.save(run_.record)
        return apply
    finally:
        (stack_dir / UNPROTECT_PLAN).unlink(missing_ok=True)


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
    plan_file = _plan_file(run_, stack)
    sealed: Path | None = None
    plan = _saved_plan(run_, stack, stack_dir, attempt, "plan", plan_file, *(["-destroy"] if destroying else []))
    if not plan.ok:
        return plan
    try:
        shown = _show_json(run_, stack, stack_dir, attempt, plan_file)
        if not shown.ok:
            return shown
        if _backup_recipients(run_):
            sealed = _seal_saved_plan(run_, stack, Path(plan_file), shown)
        plan_json = _parsed(shown)
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
            if options.plan_dir and sealed is None:
                write_atomically(Path(plan_file).with_suffix(".tfplan.json"), shown.output[shown.output.index("{"):],
                                 private=True)
            return plan
        if destroying:
            protected = protected_deletions(stack.name, plan_json)
            if protected:  # on in the cloud, not in the state the survey read
                raise ProtectedResources(protected, stale_state=True)
            # What the state holds beyond what the plan deletes no longer exists. On a retry that includes a
            # delete the failed attempt made whose answer was lost (the resource is gone, the state still lists it).
            run_.gone[stack.name] = max(0, run_.state_resources.get(stack.name, 0) - summary.destroy)
        if not summary.has_changes and not run_.gone.get(stack.name):
            return plan
        if summary.has_changes:
            _approve(run_, stack, summary, approved)
        # A destroy plan with nothing left to delete is applied too: that writes the refreshed state, without
        # the resources that were already gone (as `terraform destroy` does), instead of leaving them in it.
        backup_state(stack_dir, run_.state_dir, stack.name, run_.cli_config, run_.log_file, run_.timeout("state"),
                     _backup_recipients(run_))
        if sealed is None:
            apply = _applied_plan(run_, stack, stack_dir, attempt, "apply", plan_file)
        else:
            with opened_plan(sealed, _run_plan_key(run_)) as plain:
                apply = _applied_plan(run_, stack, stack_dir, attempt, "apply", str(plain))
        _count_applied(run_.record, apply.output)
        if apply.ok and destroying:
            run_.record.already_gone += run_.gone.pop(stack.name, 0)
        if not apply.ok:
            check = verify_state(stack_dir, run_.state_dir, stack.name, run_.cli_config, run_.log_file,
                                 run_.timeout("state"))
            with open(run_.log_file, "a", encoding="utf-8") as log:
                log.write(f"nexus: state after the failed apply: readable={check.readable} serial={check.serial}"
                          f" resources={check.resources} restored_from={check.restored_from}\n")
            if destroying and check.readable:
                run_.state_resources[stack.name] = check.managed   # what the retry's plan is measured against
            elif destroying:
                run_.state_resources.pop(stack.name, None)   # not known: the retry counts nothing as gone
        return apply
    finally:
        (stack_dir / PLAN_FILE).unlink(missing_ok=True)
        if _backup_recipients(run_):
            clear_private_plans(run_.state_dir, stack.name)


def _plan_file(run_: _Run, stack: StackInfo) -> str:
    """Where terraform saves the plan: beside cdk.tf.json (removed after the run), or `plan --plan-dir`'s folder
    (kept; terraform writes it 0600 under Nexus' umask); with `encryption`, the stack's private plan folder (it
    is sealed as soon as it is shown, see plan_files.py)."""
    if _backup_recipients(run_):
        return str(private_plan_folder(run_.state_dir, stack.name) / PLAN_FILE)
    if run_.options.command != "plan" or run_.options.plan_dir is None:
        return PLAN_FILE
    return str(private_directory(run_.options.plan_dir.resolve()) / f"{stack.name}.tfplan")


def _seal_saved_plan(run_: _Run, stack: StackInfo, plan_file: Path, shown: TerraformResult) -> Path:
    """The shown plan sealed to this run's key (its plaintext removed); `plan --plan-dir` keeps it and its JSON
    sealed to the spec's recipients first."""
    if run_.options.command == "plan" and run_.options.plan_dir:
        keep_sealed_plan(plan_file, shown.output[shown.output.index("{"):], run_.options.plan_dir, stack.name,
                         [parse_recipient(text) for text in _backup_recipients(run_)])
    return seal_plan(plan_file, [_run_plan_key(run_).recipient], stack.name)


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
    """One rule for deploy and destroy: deleting or replacing without a person's yes needs --allow-destroy, any
    other apply without a prompt needs --auto-approve. Asked once per stack, even when a retry plans again."""
    options = run_.options
    if approved:
        return
    destructive = [address for address in summary.destructive if address not in options.replaceable] \
        and not options.allow_destroy
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
