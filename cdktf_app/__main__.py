"""`python -m cdktf_app`: the CDK app that `cdktf synth` / `cdktn synth` run (see cdktf.json).

The spec comes from NEXUS_SPEC (default nexus.yaml); the CLI tells the app where to write with CDKTF_OUTDIR
(cdktf_app.layout's rule). It is the same entry point as `nexus synth` (cdktf_app.build): auto-remediation
included, so both write the same out dir.
"""
from __future__ import annotations

import os
import sys

from .build import build
from .errors import NexusError


def main() -> int:
    spec = os.environ.get("NEXUS_SPEC", "nexus.yaml")
    try:
        built = build(spec)
    except NexusError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    if built.remediation is not None and built.remediation.changed:
        print(f"applied {len(built.remediation.edits)} fix(es) to {spec} (compliance.auto_remediate)",
              file=sys.stderr)
    print(f"{len(built.result.stacks)} stacks in {built.result.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
