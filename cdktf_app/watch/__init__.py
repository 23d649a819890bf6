"""`nexus watch SPEC`: on every save, synthesize (through the project's warm synth worker), check (one warm
checkov pool for the whole watch: stacks scanned at once, an unchanged stack not scanned again) and, with
`validate`, run `terraform validate`; report only what changed.

The spec file is polled (a stat each poll, its bytes read only when the stat changed): no file-watching
dependency, and an editor that saves by renaming a new file over the old one is seen like any other save. A save
is handled once the file has stayed the same for the debounce interval, so an editor's truncate-then-write is one
save. Synthesis here never edits the spec (no `compliance.auto_remediate`: the file is the one being typed in);
`nexus check --fix` does.
A spec that does not load or synthesize is reported, with its located problems, and watching goes on; a check
that cannot run stops the watch (ScanError, exit 4): silence would read as "no findings".
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..compliance import CheckovPool, check
from ..errors import NexusError, UsageError
from ..layout import default_out_dir, stack_json, state_dir
from ..stacks.synth import synth
from ..tools.terraform import ensure_cli_config, validate_stack
from ..workspace import load

POLL_SECONDS = 0.05      # a stat per poll; the file is read only when its status changed
DEBOUNCE_SECONDS = 0.1


@dataclass(frozen=True)
class Outcome:
    """One round: what the spec synthesizes to and what the check says, or why it could not."""
    problem: str | None = None                                   # the spec's error, when it has one
    resources: dict[str, int] = field(default_factory=dict)      # stack -> resources planned
    findings: dict[tuple[str, str, str], str] = field(default_factory=dict)   # (stack, check, address) -> line
    validation: dict[str, str | None] = field(default_factory=dict)           # stack -> first error, or None
    seconds: float = 0.0


@dataclass(frozen=True)
class Change:
    kind: str       # problem, fixed-problem, stack, resources, finding, resolved, invalid, valid
    text: str

    def __str__(self) -> str:
        return self.text


def observe(spec: Path, out_dir: Path, worker: CheckovPool, *, environment: str | None = None,
            validate: bool = False, cli_config: Path | None = None) -> Outcome:
    """Synthesize and check SPEC once (the stacks of ENVIRONMENT only, when given)."""
    started = time.perf_counter()
    try:
        result = synth(load(spec), out_dir)
    except NexusError as error:
        if error.exit_code == 4:
            raise
        return Outcome(problem=str(error), seconds=time.perf_counter() - started)
    stacks = [stack for stack in result.stacks if environment in (None, stack.environment)]
    if environment is not None and not stacks:
        raise UsageError(f"{spec}: no stack of environment '{environment}'; the spec's environments: "
                         f"{', '.join(result.loaded.spec.environments)}")
    resources = {stack.name: _resource_count(stack_json(out_dir, stack.name)) for stack in stacks}
    report = check(out_dir, spec=result, worker=worker)
    findings = {(finding.stack or "", finding.check_id, finding.address): _finding_line(finding)
                for finding in report.active if finding.stack in resources}
    validation = {name: _validation_error(out_dir, name, cli_config) for name in resources} if validate else {}
    return Outcome(resources=resources, findings=findings, validation=validation,
                   seconds=time.perf_counter() - started)


def changes(previous: Outcome | None, last_good: Outcome | None, after: Outcome) -> list[Change]:
    """What differs from the last round: a new or changed spec problem, or (against the last round that
    synthesized; everything on the first) stacks, resource counts, findings and validation."""
    if after.problem is not None:
        return [] if previous is not None and previous.problem == after.problem else [Change("problem", after.problem)]
    said: list[Change] = []
    if previous is not None and previous.problem is not None:
        said.append(Change("fixed-problem", "the spec synthesizes again"))
    old = last_good.resources if last_good else {}
    for name in sorted(old.keys() | after.resources.keys()):
        if name not in after.resources:
            said.append(Change("stack", f"- stack {name}"))
        elif name not in old:
            said.append(Change("stack", f"+ stack {name}: {after.resources[name]} resources"))
        elif old[name] != after.resources[name]:
            said.append(Change("resources", f"~ {name}: {old[name]} -> {after.resources[name]} resources"))
    old_findings = last_good.findings if last_good else {}
    said += [Change("resolved", f"- {old_findings[key]}") for key in sorted(old_findings.keys() - after.findings.keys())]
    said += [Change("finding", f"+ {after.findings[key]}") for key in sorted(after.findings.keys() - old_findings.keys())]
    old_validation = last_good.validation if last_good else {}
    for name, error in sorted(after.validation.items()):
        if error and old_validation.get(name) != error:
            said.append(Change("invalid", f"! terraform validate {name}: {error}"))
        elif not error and old_validation.get(name):
            said.append(Change("valid", f"  terraform validate {name} passes again"))
    return said


def summary(outcome: Outcome) -> str:
    if outcome.problem is not None:
        return f"does not synthesize ({outcome.seconds:.2f}s)"
    invalid = sum(1 for error in outcome.validation.values() if error)
    return (f"{len(outcome.resources)} stack(s), {sum(outcome.resources.values())} resources, "
            f"{len(outcome.findings)} finding(s)" + (f", {invalid} invalid stack(s)" if invalid else "")
            + f" ({outcome.seconds:.2f}s)")


def watch(spec: str | Path, *, environment: str | None = None, validate: bool = False,
          out_dir: str | Path | None = None, report: Callable[[str, Outcome, list[Change]], None],
          poll_seconds: float = POLL_SECONDS, debounce_seconds: float = DEBOUNCE_SECONDS) -> None:
    """Run until interrupted (KeyboardInterrupt ends it): REPORT(moment, outcome, changes) after the first
    round and after each save. The checkov workers stop with the watch."""
    spec = Path(spec)
    if not spec.is_file():
        raise UsageError(f"{spec}: no such spec file")
    out_dir = default_out_dir(spec.parent, out_dir)
    cli_config = ensure_cli_config(state_dir(spec.parent)) if validate else None
    with CheckovPool() as worker:
        previous: Outcome | None = None
        last_good: Outcome | None = None
        for moment in _saves(spec, poll_seconds, debounce_seconds):
            outcome = observe(spec, out_dir, worker, environment=environment, validate=validate,
                              cli_config=cli_config)
            report(moment, outcome, changes(previous, last_good, outcome))
            previous = outcome
            last_good = outcome if outcome.problem is None else last_good


def _saves(spec: Path, poll_seconds: float, debounce_seconds: float,
           sleep: Callable[[float], None] = time.sleep) -> Iterator[str]:
    """'start', then 'saved' each time the file's content changed and then held still for the debounce (an
    editor's truncate-then-write, or its delete or rename before the new file is there, is one save)."""
    seen = _look(spec, None)
    yield "start"
    while True:
        sleep(poll_seconds)
        current = _look(spec, seen)
        if current == seen:
            continue
        while True:  # debounce: wait until it holds still
            sleep(debounce_seconds)
            settled = _look(spec, current)
            if settled == current:
                break
            current = settled
        if current.digest != seen.digest:  # touched but not changed: nothing to say
            yield "saved"
        seen = current


@dataclass(frozen=True)
class _Look:
    """The spec file as one poll saw it: its status, and the hash of its bytes."""
    status: tuple[int, int, int, int] | None     # inode, size, mtime, ctime; None while the file is missing
    digest: str
    # A file changed within a timestamp's granularity of being read can change again with the same status, so
    # until then each poll hashes it (git's "racily clean" index entries).
    racy: bool = field(compare=False, default=False)


RACY_NANOSECONDS = 1_000_000_000


def _look(spec: Path, before: _Look | None) -> _Look:
    """A stat per poll; the bytes are read and hashed only when the status changed (or is racy)."""
    status = _status(spec)
    if before is not None and status == before.status and not before.racy:
        return before
    now = time.time_ns()
    try:
        digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    except OSError:  # between an editor's delete and its write
        return _Look(None, "")
    racy = status is not None and now - max(status[2], status[3]) < RACY_NANOSECONDS
    return _Look(status, digest, racy)


def _status(spec: Path) -> tuple[int, int, int, int] | None:
    try:
        status = spec.stat()
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def _resource_count(path: Path) -> int:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    return sum(len(block) for block in data.get("resource", {}).values()) + len(data.get("module", {}))


def _finding_line(finding) -> str:
    where = f" ({finding.location()}{' ' + finding.spec_path if finding.spec_path else ''})"
    return f"{finding.severity.upper():<8} {finding.check_id} {finding.stack}/{finding.address}{where}: " \
           f"{finding.check_name}"


def _validation_error(out_dir: Path, stack: str, cli_config: Path | None) -> str | None:
    result = validate_stack(stack_json(out_dir, stack).parent, cli_config)
    if result.ok:
        return None
    lines = [line.strip(" │") for line in result.output.splitlines() if line.strip(" │")]
    return next((line for line in lines if line.startswith("Error")), lines[0] if lines else "failed")
