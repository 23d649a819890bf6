"""Drive a release: each step is a deploy of the service's stacks (cdktf_app.deploy, one recorded run a step)
with the release variables laid over them (image, traffic weight); after a step's bake the rollback alarms are
read, and a breach moves all traffic back to the stable version, recorded as a rollback run."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import layout
from ..deploy import DeployFailed, DeployOptions, Reporter, project_state_dir, run
from ..errors import NexusError, UsageError
from ..runs import PhaseRecord, RunRecord, RunStore, runs_url
from ..spec.loader import LoadedSpec
from ..spec.model import CLOUDS, Service
from ..spec.release import ReleaseStep
from ..stacks.app import stack_name
from ..workspace import load
from .alarms import AlarmsUnreadable, CloudWatchAlarms
from .state import ReleaseState, read_state, write_state

ACTIONS = ("start", "promote", "abort")
RUN_COMMAND = "release"  # how a step's run is listed in the run history


@dataclass(frozen=True)
class StepRecord:
    action: str          # step, promote, abort or rollback
    percent: int         # the released version's share of the traffic after it
    image: str
    run_id: str
    bake_seconds: float = 0

    @property
    def label(self) -> str:
        return f"{self.action} {self.percent}% {self.image}"


@dataclass
class ReleaseResult:
    component: str
    image: str
    stacks: list[str]
    steps: list[StepRecord] = field(default_factory=list)
    outcome: str = "running"          # promoted, in progress, aborted, rolled back
    breached: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"component": self.component, "image": self.image, "stacks": self.stacks, "outcome": self.outcome,
                "breached": self.breached,
                "steps": [{"action": s.action, "percent": s.percent, "image": s.image, "run_id": s.run_id,
                           "bake_seconds": s.bake_seconds} for s in self.steps]}


class ReleaseRolledBack(NexusError):
    """A rollback alarm fired between steps; all traffic is back on the stable version."""

    exit_code = 1

    def __init__(self, result: ReleaseResult):
        self.result = result
        super().__init__(f"{result.component}: rollback alarm(s) {', '.join(result.breached)} in ALARM after "
                         f"{result.steps[-2].percent}% of the traffic; rolled back to the stable version "
                         f"(run {result.steps[-1].run_id})")


@dataclass
class ReleaseOptions:
    component: str
    image: str | None = None        # the image to release (action start)
    action: str = "start"            # start: the steps to 100% and promote; promote or abort a release under way
    # the deploy settings every step runs with (environment, sandbox, out dir, retries, approval); command,
    # stacks and run_overrides are the release's own
    deploy: DeployOptions = field(default_factory=DeployOptions)
    # what happens during a step's bake (default: wait its bake time); called with the step just applied
    bake: Callable[[StepRecord], None] | None = None


def release(spec: str | Path | LoadedSpec, options: ReleaseOptions,
            reporter: Reporter | None = None) -> ReleaseResult:
    """Start, promote or abort a release of one service; raises ReleaseRolledBack after a rollback."""
    if options.action not in ACTIONS:
        raise UsageError(f"action must be one of {', '.join(ACTIONS)}")
    loaded = spec if isinstance(spec, LoadedSpec) else load(spec)
    service = _released_service(loaded, options.component)
    environment = _environment(loaded, options.deploy.environment)
    stacks = _stacks(loaded, service, environment, options.deploy.sandbox_url)
    release_ = _Release(loaded, options, reporter or Reporter(), stacks)
    states = {stack: read_state(release_.state_dir, stack, options.component, service.image) for stack in stacks}
    current = next(iter(states.values()))
    if options.action == "start":
        if not options.image:
            raise UsageError("--image TAG is needed to start a release (or --promote / --abort one under way)")
        if current.in_progress and current.next_image != options.image:
            raise UsageError(f"{options.component}: a release of {current.next_image} is under way at "
                             f"{current.next_weight}%; --promote or --abort it first")
        return release_.steps(current.stable_image, options.image, service.release.traffic_steps)
    if not current.in_progress:
        raise UsageError(f"{options.component}: no release is under way in {', '.join(stacks)}; start one with "
                         "--image TAG")
    result = ReleaseResult(options.component, current.next_image, stacks)
    if options.action == "promote":
        release_.apply(result, "promote", ReleaseState(current.next_image, current.next_image, 0))
        result.outcome = "promoted"
    else:
        release_.apply(result, "abort", ReleaseState(current.stable_image, current.stable_image, 0))
        result.outcome = "aborted"
    return result


def _released_service(loaded: LoadedSpec, component: str) -> Service:
    found = loaded.spec.components.get(component)
    if found is None:
        raise UsageError(f"--component {component}: the spec has no such component; services: "
                         f"{', '.join(n for n, c in loaded.spec.components.items() if c.type == 'service') or 'none'}")
    if found.type != "service" or found.release is None or not found.release.shifts_traffic:
        raise UsageError(f"--component {component}: only a service with release.strategy canary or blue_green is "
                         "released in steps (a rolling release is a deploy of the new image: set "
                         f"components.{component}.image and run nexus deploy)")
    return found


def _environment(loaded: LoadedSpec, given: str | None) -> str:
    environments = loaded.spec.environments
    if given is None and len(environments) == 1:
        return environments[0]
    if given not in environments:
        raise UsageError(f"--env: one of {', '.join(environments)} is needed" if given is None else
                         f"--env {given}: not an environment of the spec ({', '.join(environments)})")
    return given


def _stacks(loaded: LoadedSpec, service: Service, environment: str, sandbox_url: str | None) -> list[str]:
    clouds = [service.provider] if service.provider else [c for c in CLOUDS if c in loaded.spec.providers.enabled()]
    if sandbox_url:
        clouds = [cloud for cloud in clouds if cloud == "aws"]
        if not clouds:
            raise UsageError("the sandbox is AWS only; this service runs on no AWS stack")
    if service.release.rollback_on and any(cloud != "aws" for cloud in clouds):
        raise AlarmsUnreadable(f"rollback_on on {', '.join(c for c in clouds if c != 'aws')}: nexus release reads "
                               "CloudWatch alarms only; Cloud Monitoring and Azure Monitor alerts are created but "
                               "cannot judge a step here (pin the service with provider: aws, or release it "
                               "without rollback_on)")
    return [stack_name(loaded.spec, environment, cloud) for cloud in clouds]


class _Release:
    def __init__(self, loaded: LoadedSpec, options: ReleaseOptions, reporter: Reporter, stacks: list[str]):
        self.loaded, self.options, self.reporter, self.stack_names = loaded, options, reporter, stacks
        self.state_dir = project_state_dir(loaded)
        self.out_dir = layout.default_out_dir(loaded.base_dir, options.deploy.out_dir).resolve()

    def steps(self, stable: str, image: str, steps: tuple[ReleaseStep, ...]) -> ReleaseResult:
        result = ReleaseResult(self.options.component, image, self.stack_names)
        for step in steps:
            applied = self.apply(result, "step", ReleaseState(stable, image, step.percent), step.bake)
            (self.options.bake or _wait)(applied)
            breached = self._alarms().breached(self._alarm_names())
            if breached:
                result.breached = breached
                self.reporter.note(f"{self.options.component}: {', '.join(breached)} in ALARM at {step.percent}%: "
                                   "rolling back")
                self.apply(result, "rollback", ReleaseState(stable, stable, 0))
                result.outcome = "rolled back"
                raise ReleaseRolledBack(result)
        self.apply(result, "promote", ReleaseState(image, image, 0))
        result.outcome = "promoted"
        self.reporter.note(f"{self.options.component}: {image} promoted; set components.{self.options.component}"
                           ".image to it in the spec so that the next deploy keeps it")
        return result

    def apply(self, result: ReleaseResult, action: str, state: ReleaseState, bake: float = 0) -> StepRecord:
        """One deploy of the stacks with the release variables set to STATE, recorded as a release run."""
        component = self.options.component
        deploy = replace(self.options.deploy, command="deploy", stacks=tuple(self.stack_names),
                         run_overrides={stack: state.terraform_override(component) for stack in self.stack_names},
                         replaceable=frozenset(f"aws_ecs_task_definition.{component}_{role}"
                                               for role in ("task", "task_next")))
        self.reporter.note(f"{component}: {action} to {state.next_weight}% on {state.next_image}")
        shown = state.next_weight if action == "step" else (100 if action == "promote" else 0)
        try:
            record = run(self.loaded, deploy, self.reporter)
        except DeployFailed as failed:
            self._label(failed.run_id, f"{action} {shown}% {state.next_image}", ok=False)
            raise
        for stack in self.stack_names:
            write_state(self.state_dir, stack, component, state)
        step = StepRecord(action, shown, state.next_image, record.id, bake)
        self._label(record.id, step.label, ok=True, record=record)
        result.steps.append(step)
        return step

    def _label(self, run_id: str, label: str, ok: bool, record: RunRecord | None = None) -> None:
        """The step's run listed as a release, with the step as a phase of it."""
        with RunStore(runs_url(self.loaded.base_dir)) as store:
            record = record or store.get(run_id)
            record.command = RUN_COMMAND
            record.phases.append(PhaseRecord(stack=",".join(self.stack_names), phase=label, seconds=0.0, ok=ok))
            store.save(record)

    def _alarm_names(self) -> list[str]:
        """The rollback alarms of the service in its AWS stacks, as synthesized."""
        prefix = f"{self.options.component}_rollback_"
        names = []
        for stack in self.stack_names:
            document = json.loads(layout.stack_json(self.out_dir, stack).read_text(encoding="utf-8"))
            alarms = document.get("resource", {}).get("aws_cloudwatch_metric_alarm", {})
            names += [alarm["alarm_name"] for key, alarm in sorted(alarms.items()) if key.startswith(prefix)]
        return names

    def _alarms(self) -> CloudWatchAlarms:
        aws = self.loaded.spec.providers.aws
        return CloudWatchAlarms(region=aws.region if aws else "us-east-1", endpoint=self.options.deploy.sandbox_url)


def _wait(step: StepRecord) -> None:
    time.sleep(step.bake_seconds)
