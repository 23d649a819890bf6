"""`compare(a, b)`: the cost impact of going from one target to another (two specs, plans or out dirs)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .estimate import Estimate, estimate


@dataclass(frozen=True)
class LineDelta:
    stack: str
    address: str
    type: str
    before: float | None          # None: not there (or unpriced) before
    after: float | None

    @property
    def delta(self) -> float:
        return round((self.after or 0.0) - (self.before or 0.0), 2)


@dataclass
class CostDelta:
    before: Estimate
    after: Estimate
    lines: list[LineDelta]

    @property
    def total_before(self) -> float:
        return self.before.total_monthly

    @property
    def total_after(self) -> float:
        return self.after.total_monthly

    @property
    def delta_monthly(self) -> float:
        return round(self.total_after - self.total_before, 2)

    @property
    def by_stack(self) -> dict[str, float]:
        stacks = sorted(set(self.before.by_stack) | set(self.after.by_stack))
        return {stack: round(self.after.by_stack.get(stack, 0.0) - self.before.by_stack.get(stack, 0.0), 2)
                for stack in stacks}

    def as_dict(self) -> dict:
        return {"currency": self.after.currency, "before": self.total_before, "after": self.total_after,
                "delta_monthly": self.delta_monthly, "stacks": self.by_stack,
                "lines": [{"stack": line.stack, "address": line.address, "type": line.type, "before": line.before,
                           "after": line.after, "delta": line.delta} for line in self.lines],
                "unpriced_before": len(self.before.unpriced), "unpriced_after": len(self.after.unpriced)}


def compare(before: str | Path | Estimate, after: str | Path | Estimate, **options) -> CostDelta:
    """Estimates of both sides (targets or ready estimates) and the resources whose monthly cost changed."""
    before = before if isinstance(before, Estimate) else estimate(before, **options)
    after = after if isinstance(after, Estimate) else estimate(after, **options)
    old = {(line.stack, line.address): line for line in before.lines}
    new = {(line.stack, line.address): line for line in after.lines}
    changed = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        if (was.monthly if was else None) != (now.monthly if now else None):
            line = now or was
            changed.append(LineDelta(key[0], key[1], line.type, was.monthly if was else None,
                                     now.monthly if now else None))
    return CostDelta(before, after, changed)
