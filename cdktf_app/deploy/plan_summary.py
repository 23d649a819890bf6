"""What a `terraform show -json` plan will do: counts per action, destructive addresses, sensitive values.

The plan JSON carries sensitive values (a database password) in plain text; they are collected here only so
that anything a run stores can be redacted, and the JSON itself is never kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..sensitive import sensitive_values


@dataclass(frozen=True)
class PlanSummary:
    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    sensitive_values: frozenset[str] = field(default_factory=frozenset, repr=False)

    @property
    def destructive(self) -> tuple[str, ...]:
        return self.delete + self.replace

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy)


def summarize_plan(plan: dict) -> PlanSummary:
    """Counts as terraform reports them: a replacement is one add and one destroy."""
    add = change = destroy = 0
    replace, delete = [], []
    for resource in plan.get("resource_changes", []):
        actions = resource.get("change", {}).get("actions", [])
        address = resource.get("address", "")
        if "create" in actions and "delete" in actions:
            add, destroy = add + 1, destroy + 1
            replace.append(address)
        elif actions == ["create"]:
            add += 1
        elif actions == ["update"]:
            change += 1
        elif actions == ["delete"]:
            destroy += 1
            delete.append(address)
    return PlanSummary(add=add, change=change, destroy=destroy, replace=tuple(replace), delete=tuple(delete),
                       sensitive_values=frozenset(sensitive_values(plan)))
