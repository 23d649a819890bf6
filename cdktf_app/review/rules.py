"""The roles as deterministic rule sets over the same inputs a model is shown (offline: no key, no model).

Each rule set returns an answer in the one schema. Its confidence is fixed by its verdict (CONFIDENCE): a rule
set is sure of what it measured, less of what it cannot see. Explanations come from roles.yaml's templates."""
from __future__ import annotations

from collections.abc import Callable

from ..compliance.packs import SEVERITIES
from .answers import Concern, RoleAnswer, explain
from .inputs import ReviewInputs, is_stateful

CONFIDENCE = {"block": 0.9, "comment": 0.75, "approve": 0.8}
LARGE_COST_RISE = 1000.0        # $/month: a rise beyond this blocks until someone says why
LARGE_CHANGE = 50               # resources added, changed and destroyed at once
LOWERED_SETTINGS = ("high_availability", "deletion_protection", "backup_retention_days", "replicas", "min")


def _concern(role: str, kind: str, severity: str, message: str, resource: str | None = None,
             spec_line: str | None = None, **values) -> Concern:
    return Concern(resource=resource, spec_line=spec_line, severity=severity, message=message,
                   explanation=explain(role, kind, resource=resource, spec_line=spec_line, **values))


def _answer(role: str, concerns: list[Concern], blocking: bool, nothing: str) -> RoleAnswer:
    verdict = "block" if blocking else "comment" if concerns else "approve"
    summary = nothing if not concerns else f"{len(concerns)} concern(s)" + (", at least one blocking" if blocking
                                                                             else "")
    return RoleAnswer(role=role, source="rules", verdict=verdict, confidence=CONFIDENCE[verdict], summary=summary,
                      concerns=concerns)


def security(inputs: ReviewInputs) -> RoleAnswer:
    payload = inputs.payload()
    gate = payload["gate"]
    concerns, blocking = [], False
    for row in payload["findings"]:
        if not row["new"]:
            continue
        at_gate = gate != "never" and SEVERITIES.index(row["severity"]) >= SEVERITIES.index(gate)
        blocking |= at_gate
        detail = f"{row['check']}, {row['severity']}"
        concerns.append(_concern("security", "new-finding-at-gate" if at_gate else "new-finding",
                                 "high" if at_gate else "medium", f"new finding {detail}", row["resource"],
                                 row["spec_line"], detail=detail))
    for change in payload["spec_changes"]:
        kind = {"suppression_added": "suppression-added", "override_added": "override-added"}.get(change["kind"])
        if kind:
            concerns.append(_concern("security", kind, "medium", f"{change['path']}: {change['detail']}",
                                     spec_line=change["spec_line"], detail=change["detail"]))
    return _answer("security", concerns, blocking, "no new finding, suppression or override")


def cost(inputs: ReviewInputs) -> RoleAnswer:
    payload = inputs.payload()
    delta = payload["cost"]["delta_monthly"]
    concerns = [_concern("cost", "cost-rise", "low", f"{row['name']} costs {_money(row['cost_delta_monthly'])} "
                         "more per month", row["name"], amount=_money(row["cost_delta_monthly"]))
                for row in payload["plan"] if (row["cost_delta_monthly"] or 0) > 0]
    blocking = delta > LARGE_COST_RISE
    if blocking:
        concerns.insert(0, _concern("cost", "cost-rise-large", "high", f"the bill rises {_money(delta)} per month",
                                    amount=_money(delta), limit=_money(LARGE_COST_RISE)))
    if payload["cost"]["partial"]:
        concerns.append(_concern("cost", "cost-partial", "low", "some resources are not priced"))
    return _answer("cost", concerns, blocking, f"the bill changes by {_money(delta)} per month")


def reliability(inputs: ReviewInputs) -> RoleAnswer:
    payload = inputs.payload()
    concerns, blocking = [], False
    for row in payload["plan"]:
        for action, addresses in (("deleted", row["deleted"]), ("replaced", row["replaced"])):
            for address in addresses:
                resource = f"{row['name']}/{address}"
                stateful = is_stateful(resource)
                blocking |= stateful
                concerns.append(_concern("reliability", "stateful-destroyed" if stateful else "destroyed",
                                         "high" if stateful else "medium", f"{resource} is {action}", resource,
                                         detail=action))
    for change in payload["spec_changes"]:
        if change["kind"] == "setting_changed" and change["path"].rsplit(".", 1)[-1] in LOWERED_SETTINGS \
                and _lowered(change["detail"]):
            concerns.append(_concern("reliability", "resilience-lowered", "medium",
                                     f"{change['path']}: {change['detail']}", spec_line=change["spec_line"],
                                     detail=change["detail"]))
    return _answer("reliability", concerns, blocking, "nothing deleted or replaced, no safety margin lowered")


def release(inputs: ReviewInputs) -> RoleAnswer:
    payload = inputs.payload()
    concerns, blocking = [], False
    for change in payload["spec_changes"]:
        kind = {"component_removed": "component-removed",
                "environments_changed": "environments-changed"}.get(change["kind"])
        if kind:
            concerns.append(_concern("release", kind, "medium", f"{change['path']}: {change['detail']}",
                                     spec_line=change["spec_line"], detail=change["detail"]))
    for row in payload["plan"]:
        if row["status"] in ("not-planned", "removed"):
            blocking |= row["status"] == "removed"
            concerns.append(_concern("release", "not-planned", "high" if row["status"] == "removed" else "medium",
                                     f"{row['name']} is {row['status']}", row["name"], detail=row["note"] or
                                     row["status"]))
    count = sum(row["add"] + row["change"] + row["destroy"] for row in payload["plan"])
    if count > LARGE_CHANGE:
        concerns.append(_concern("release", "large-change", "low", f"{count} resources change at once", count=count))
    return _answer("release", concerns, blocking, "a small change, every stack planned")


def operations(inputs: ReviewInputs) -> RoleAnswer:
    payload = inputs.payload()
    concerns = [_concern("operations", "drift", "medium", f"{resource} changed outside Terraform", resource,
                         detail="the plan saw it")
                for row in payload["plan"] for resource in row["drift"]]
    concerns += [_concern("operations", "expired-suppression", "high", text, detail=text)
                 for text in payload["expired_suppressions"]]
    concerns += [_concern("operations", "remediated", "low", f"fixed before planning: {text}", detail=text)
                 for text in payload["remediated"]]
    return _answer("operations", concerns, bool(payload["expired_suppressions"]),
                   "no drift, no expired suppression, nothing fixed behind the spec's back")


RULE_SETS: dict[str, Callable[[ReviewInputs], RoleAnswer]] = {
    "security": security, "cost": cost, "reliability": reliability, "release": release, "operations": operations}


def _money(value: float | None) -> str:
    return "?" if value is None else f"${value:,.2f}"


def _lowered(detail: str) -> bool:
    """Whether a `key: OLD -> NEW` change lowers a number or switches True off."""
    _, _, change = detail.partition(": ")
    old, _, new = change.partition(" -> ")
    if old == "True" and new in ("False", "(default)"):
        return True
    try:
        return float(new) < float(old)
    except ValueError:
        return False
