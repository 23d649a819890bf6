"""The monthly cost change of a plan: `nexus cost` prices the state before (the plan's prior_state) and the
planned values after, in memory (both hold sensitive values, so nothing is written). A plan the cost model
cannot price leaves the delta unknown (None), never a guessed zero."""
from __future__ import annotations

from pathlib import Path

from ..errors import NexusError
from ..spec.model import CostAssumptions

EMPTY_STATE = {"format_version": "1.0", "values": {"root_module": {}}}


def plan_cost_delta(stack: str, plan: dict, usage: CostAssumptions | None = None) -> float | None:
    """`usage`: the spec's `cost:` assumptions (the defaults when it has none), as `nexus cost` uses them."""
    from ..cost import compare, estimate
    from ..inventory.resources import json_inventory

    usage = usage or CostAssumptions()
    # Both sides carry the stack's name, so the two estimates line up resource by resource.
    try:
        before = estimate(json_inventory(plan.get("prior_state") or EMPTY_STATE, stack, Path(stack)), usage=usage)
        after = estimate(json_inventory(plan, stack, Path(stack)), usage=usage)
        return compare(before, after).delta_monthly
    except NexusError:
        return None
