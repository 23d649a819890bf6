"""What a `terraform show -json` plan will do: counts per action, destructive addresses, sensitive values.

The plan JSON carries sensitive values (a database password) in plain text; they are collected here only so
that anything a run stores can be redacted, and the JSON itself is never kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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
    sensitive: set[str] = set()
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
        change_body = resource.get("change", {})
        for side in ("before", "after"):
            sensitive |= masked_values(change_body.get(side), change_body.get(f"{side}_sensitive"))
    declared = plan.get("configuration", {}).get("root_module", {}).get("variables", {}) or {}
    for name, variable in (plan.get("variables") or {}).items():
        if declared.get(name, {}).get("sensitive"):
            sensitive |= _scalars(variable.get("value"))
    return PlanSummary(add=add, change=change, destroy=destroy, replace=tuple(replace), delete=tuple(delete),
                       sensitive_values=frozenset(sensitive))


def masked_values(value, mask) -> set[str]:
    """Scalar values under the parts of `value` that the sensitivity mask marks True."""
    if mask is True:
        return _scalars(value)
    found: set[str] = set()
    if isinstance(mask, dict) and isinstance(value, dict):
        for key, sub_mask in mask.items():
            found |= masked_values(value.get(key), sub_mask)
    elif isinstance(mask, list) and isinstance(value, list):
        for item, sub_mask in zip(value, mask):
            found |= masked_values(item, sub_mask)
    return found


def _scalars(value) -> set[str]:
    if isinstance(value, dict):
        return {text for item in value.values() for text in _scalars(item)}
    if isinstance(value, list):
        return {text for item in value for text in _scalars(item)}
    if value is None or isinstance(value, bool):
        return set()
    return {str(value)}
