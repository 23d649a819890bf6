"""The gate between plan and apply: the compliance check of the plan JSON, at the spec's gate severity."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..compliance.checkov import CheckovWorker
from ..errors import NexusError, ScanError
from ..stacks.synth import SynthResult


@dataclass(frozen=True)
class GateResult:
    threshold: str
    blocking: tuple[dict, ...] = ()
    checked: int = 0
    overridden: bool = False
    error: str | None = None

    @property
    def passed(self) -> bool:
        # --override-gate accepts known findings; a plan that could not be scanned has unknown ones
        return self.error is None and (self.overridden or not self.blocking)


@dataclass
class GateBlocked(NexusError):
    """Findings at or above the gate severity; apply was not run."""

    stack: str
    result: GateResult
    message: str = field(init=False, default="")

    @property
    def exit_code(self) -> int:
        return ScanError.exit_code if self.result.error else 3

    def __post_init__(self) -> None:
        if self.result.error:
            lines = [f"the gate stopped {self.stack}: the compliance check could not run, so nothing is applied "
                     f"(--override-gate does not cover this): {self.result.error}"]
        else:
            lines = [f"the gate stopped {self.stack}: {len(self.result.blocking)} finding(s) at or above "
                     f"'{self.result.threshold}'"]
        lines += [f"  {f['severity']:<8} {f['check_id']} {f['address']}"
                  + (f" ({f['file']}:{f['line']} {f['spec_path']})" if f.get("line") else "")
                  for f in self.result.blocking]
        if not self.result.error:
            lines.append("fix them (`nexus check --fix`), or pass --override-gate --reason TEXT (recorded in the run)")
        self.message = "\n".join(lines)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def evaluate_gate(plan_json: Path, spec: Path | SynthResult, threshold: str, overridden: bool,
                  worker: CheckovWorker | None = None) -> GateResult:
    """`spec`: what the plan maps back to, the run's SynthResult (or an out dir). Fails closed: a check that cannot run blocks the apply (exit 4), and --override-gate does not lift that.
    A run passes its own worker so every stack is scanned by one checkov process."""
    from ..compliance import check

    try:
        report = check(plan_json, spec=spec, worker=worker)
    except NexusError as error:
        return GateResult(threshold=threshold, error="\n".join(str(error).splitlines()[:4]))
    blocking = tuple(finding.to_dict() for finding in report.blocking(threshold))
    return GateResult(threshold=threshold, blocking=blocking, checked=report.passed_count + report.failed_count,
                      overridden=overridden and bool(blocking))
