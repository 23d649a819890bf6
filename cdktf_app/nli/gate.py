"""Synthesize a draft and run the compliance gate with safe fixes, in a child process bounded by the deadline.

Synth (node/jsii) and the check (a checkov worker) are subprocesses that cannot be interrupted from inside;
running both in one child process group lets `--max-time` stop them all at once. The child is
`python -m cdktf_app.nli.gate WORK_DIR`: it reads WORK_DIR/nexus.yaml, applies the safe fixes to it and writes
its outcome to WORK_DIR/gate.json.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import NexusError
from .deadline import Deadline, run_within

SPEC_FILE = "nexus.yaml"
RESULT_FILE = "gate.json"


class GenerateError(NexusError):
    """No spec could be produced that loads, synthesizes and passes the compliance gate; nothing was written."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


@dataclass(frozen=True)
class GateResult:
    compliance: str            # one line: "passed the high gate (N checks passed)"
    fixes: int                 # safe fixes applied to WORK_DIR/nexus.yaml


def run_gate(work: Path, deadline: Deadline) -> GateResult:
    """Synthesize and check WORK_DIR/nexus.yaml within the deadline; GenerateError (with the exit code of the
    error in the child: 4 for a check that could not run) when it does not pass."""
    result_file = work / RESULT_FILE
    result_file.unlink(missing_ok=True)
    finished = run_within([sys.executable, "-m", __name__, str(work)], deadline,
                          "synthesizing and checking the generated spec")
    try:
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise RuntimeError(f"the synth and check process exited {finished.returncode} without a result:\n"
                           f"{finished.stderr[-4000:]}") from None
    if "error" in outcome:
        raise GenerateError(outcome["error"], outcome["exit_code"])
    return GateResult(compliance=outcome["compliance"], fixes=outcome["fixes"])


def gate(work: Path) -> GateResult:
    """What the child does: synth, then the compliance check with safe fixes; GenerateError if it fails."""
    from ..compliance import fix
    from ..spec.loader import load_spec
    from ..stacks.synth import synth

    spec_path = work / SPEC_FILE
    try:
        synth(spec_path, work / "cdktf.out")
    except NexusError as error:
        raise GenerateError(f"the generated spec does not synthesize; nothing was written:\n{error}") from None
    result = fix(spec_path, unsafe=False)
    gate_level = load_spec(spec_path).spec.compliance.gate
    blocking = result.report.blocking(gate_level)
    if blocking:
        # One line per check and spec path, however many stacks (environments x clouds) repeat it.
        lines = {f"  {finding.severity:8} {finding.check_id} {finding.spec_path or finding.address}: "
                 f"{finding.check_name}": None for finding in blocking}
        raise GenerateError(f"the generated spec fails the compliance gate ({gate_level}) with {len(blocking)} "
                            f"finding{'s' if len(blocking) != 1 else ''}; nothing was written:\n" + "\n".join(lines))
    return GateResult(compliance=f"passed the {gate_level} gate ({result.report.passed_count} checks passed)",
                      fixes=len(result.edits))


def main(work: Path) -> None:
    try:
        result = gate(work)
        outcome = {"compliance": result.compliance, "fixes": result.fixes}
    except NexusError as error:
        outcome = {"error": str(error), "exit_code": error.exit_code}
    (work / RESULT_FILE).write_text(json.dumps(outcome), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
