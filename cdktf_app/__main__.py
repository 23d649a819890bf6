"""`python -m cdktf_app`: the CDK app that `cdktf synth` / `cdktn synth` run (see cdktf.json).

The CLI tells the app where to write with CDKTF_OUTDIR; the spec comes from NEXUS_SPEC (default nexus.yaml).
"""
from __future__ import annotations

import os
import sys

from .errors import NexusError
from .stacks.synth import synth


def main() -> int:
    spec = os.environ.get("NEXUS_SPEC", "nexus.yaml")
    out_dir = os.environ.get("CDKTF_OUTDIR", "cdktf.out")
    try:
        result = synth(spec, out_dir)
    except NexusError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    print(f"{len(result.stacks)} stacks in {out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
