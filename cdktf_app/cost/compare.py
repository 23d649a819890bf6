"""`compare(a, b)`: the cost impact of going from one target to another (two specs, plans or out dirs).

A side with unpriced resources makes the delta partial: its total is a lower bound and the change of the
unpriced resources is unknown, so the delta says so (`partial`, the unpriced resources of each side with their
reasons) rather than passing for the whole cost impact."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .estimate import Estimate, UnpricedLine, estimate


@dataclass(frozen=True)
class LineDelta:
    stack: str
    address: str
    type: str
    before: float | None          # None: not there, or unpriced (then unpriced_before says why)
    after: float | None
    unpriced_before: str | None = None
    unpriced_after: str | None = None

    @property
    def delta(self) -> float:
        return round((self.after or 0.0) - (self.before or 0.0), 2)

    @property
    def partial(self) -> bool:
        return self.unpriced_before is not None or self.unpriced_after is not None


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
        """The change of the resources priced on both sides (or added or removed priced): the whole change only
        when `partial` is false. A resource priced on one side and unpriced on the other is left out, rather
        than read as appearing or vanishing (a false saving when a region lacks prices)."""
        one_sided = sum((line.after or 0.0) if line.unpriced_before else -(line.before or 0.0)
                        for line in self.lines if line.partial)
        return round(self.total_after - self.total_before - one_sided, 2)

    @property
    def partial(self) -> bool:
        return bool(self.before.unpriced or self.after.unpriced)

    @property
    def by_stack(self) -> dict[str, float]:
        stacks = sorted(set(self.before.by_stack) | set(self.after.by_stack))
        return {stack: round(self.after.by_stack.get(stack, 0.0) - self.before.by_stack.get(stack, 0.0), 2)
                for stack in stacks}

    def headline(self) -> str:
        """One line a person reads first: the delta, and when partial, that it is and why."""
        delta = f"{'+' if self.delta_monthly >= 0 else '-'}${abs(self.delta_monthly):,.2f} / month"
        if not self.partial:
            return delta
        return (f"{delta} on the resources priced on both sides (partial: {len(self.before.unpriced)} unpriced before, "
                f"{len(self.after.unpriced)} unpriced after; their change is unknown)")

    def as_dict(self) -> dict:
        return {"currency": self.after.currency, "before": self.total_before, "after": self.total_after,
                "delta_monthly": self.delta_monthly, "partial": self.partial, "headline": self.headline(),
                "stacks": self.by_stack,
                "lines": [{"stack": line.stack, "address": line.address, "type": line.type, "before": line.before,
                           "after": line.after, "delta": line.delta, "partial": line.partial,
                           **({"unpriced_before": line.unpriced_before} if line.unpriced_before else {}),
                           **({"unpriced_after": line.unpriced_after} if line.unpriced_after else {})}
                          for line in self.lines],
                "unpriced_before": _unpriced(self.before.unpriced), "unpriced_after": _unpriced(self.after.unpriced)}


def _unpriced(items: list[UnpricedLine]) -> list[dict]:
    return [{"stack": item.stack, "address": item.address, "type": item.type, "reason": item.reason}
            for item in items]


def compare(before: str | Path | Estimate, after: str | Path | Estimate, **options) -> CostDelta:
    """Estimates of both sides (targets or ready estimates) and the resources whose monthly cost changed,
    including those priced on one side and unpriced on the other."""
    before = before if isinstance(before, Estimate) else estimate(before, **options)
    after = after if isinstance(after, Estimate) else estimate(after, **options)
    old = {(line.stack, line.address): line for line in before.lines}
    new = {(line.stack, line.address): line for line in after.lines}
    old_unpriced = {(item.stack, item.address): item for item in before.unpriced}
    new_unpriced = {(item.stack, item.address): item for item in after.unpriced}
    changed = []
    for key in sorted(set(old) | set(new) | set(old_unpriced) | set(new_unpriced)):
        was, now = old.get(key), new.get(key)
        was_unpriced, now_unpriced = old_unpriced.get(key), new_unpriced.get(key)
        if was_unpriced and now_unpriced:
            continue                  # listed with the unpriced of both sides; nothing to compare
        if (was.monthly if was else None) == (now.monthly if now else None) and not (was_unpriced or now_unpriced):
            continue
        kind = (now or was or now_unpriced or was_unpriced).type
        changed.append(LineDelta(key[0], key[1], kind, was.monthly if was else None, now.monthly if now else None,
                                 was_unpriced.reason if was_unpriced else None,
                                 now_unpriced.reason if now_unpriced else None))
    return CostDelta(before, after, changed)
