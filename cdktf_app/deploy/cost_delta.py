"""The monthly cost change of a plan: `nexus cost` prices the state before (the plan's prior_state) and the
planned values after. Both hold sensitive values, so they live in a private scratch folder for the moment of
pricing only. A plan the cost model cannot price leaves the delta unknown (None), never a guessed zero."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..errors import NexusError

EMPTY_STATE = {"format_version": "1.0", "values": {"root_module": {}}}


def _write_private(path: Path, data: dict) -> Path:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path


def plan_cost_delta(stack: str, plan: dict) -> float | None:
    from ..cost import compare

    with tempfile.TemporaryDirectory(prefix="nexus-cost-") as scratch:
        # The file name is the stack name on both sides, so the two estimates line up resource by resource.
        before = _write_private(Path(scratch) / "before" / f"{stack}.json", plan.get("prior_state") or EMPTY_STATE)
        after = _write_private(Path(scratch) / "after" / f"{stack}.json", plan)
        try:
            return compare(before, after).delta_monthly
        except NexusError:
            return None
