"""`python -m cdktf_app`: the CDK app that `cdktf synth` / `cdktn synth` run (see cdktf.json, or the one
`nexus init` writes).

The spec comes from NEXUS_SPEC (default nexus.yaml); the CLI tells the app where to write with CDKTF_OUTDIR
(cdktf_app.layout's rule). It is the same entry point as `nexus synth` (cdktf_app.build): auto-remediation
included, so both write the same out dir. Unlike `nexus synth` it then runs the static gate (cdktf_app.build's
enforce_gate; NEXUS_GATE=off skips it, said on stderr) so that `cdktn deploy` cannot ship what `nexus deploy`
would refuse, and applies NEXUS_SANDBOX (cdktf_app.sandbox.environment). Progress goes to stdout; stderr, which
the cdktn CLI shows as [ERROR], carries only what is wrong.
"""
from __future__ import annotations

import os
import sys

from .build import GATE_VARIABLE, build, enforce_gate, gate_disabled
from .errors import NexusError
from .sandbox.environment import apply_sandbox_setting, sandbox_url_setting


def main() -> int:
    spec = os.environ.get("NEXUS_SPEC", "nexus.yaml")
    try:
        gate = not gate_disabled()
        built = build(spec)
        if gate:
            enforce_gate(built)
        overrides = apply_sandbox_setting(built.result, sandbox_url_setting())
    except NexusError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    if not gate:
        print(f"warning: {GATE_VARIABLE}=off: the compliance gate did not run on {built.result.out_dir}; a deploy "
              "from it can ship findings `nexus deploy` would refuse", file=sys.stderr)
    if built.remediation is not None and built.remediation.changed:
        print(f"applied {len(built.remediation.edits)} fix(es) to {spec} (compliance.auto_remediate)")
    print(f"{len(built.result.stacks)} stacks in {built.result.out_dir}"
          + (f"; sandbox override beside {len(overrides)}" if overrides else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
