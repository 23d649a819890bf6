"""How much a drift matters: the controls it breaks, found by checking the refreshed state with the packs.

The refreshed state (a plan's `prior_state`; a refresh-only plan plans no values) is checked twice by
`nexus check` as a plan's planned values: once as the cloud holds it now, and once as Terraform last recorded
it (the drifted resources' `before` values put back, deleted ones included). A finding only the first has is a
control the drift broke: encryption turned off, ingress opened, logging removed. It counts against a drifted
resource it is on, or that the drifted resource references, or that references it.

A deleted setting of a resource that is still there (`aws_s3_bucket_server_side_encryption_configuration` of
a bucket) reads, as the cloud holds it now, as that setting turned off: the resource with its identity and
nothing else, so the checks on it fail as they would on a bucket whose encryption someone switched off.
Tag-only drift is low whatever it breaks; a drift with no broken control is low, or medium when a resource is
gone.
"""
from __future__ import annotations

import copy
from collections import Counter
import json
import tempfile
from pathlib import Path

from ..compliance import check
from ..compliance.checkov import CheckovWorker
from ..compliance.findings import Finding
from ..compliance.packs import severity_rank
from ..files import private_directory, write_atomically
from ..stacks.synth import SynthResult
from .changes import INSTANCE_KEY, ResourceDrift

UNBROKEN_SEVERITY = {"update": "low", "delete": "medium"}
TAG_ATTRIBUTES = {"tags", "tags_all", "labels"}
# What a deleted setting keeps when it reads as turned off: what names the resource it set.
IDENTITY = ("id", "bucket", "expected_bucket_owner", "security_group_id", "resource_arn", "arn")


def broken_findings(plan_json: dict, drifts: list[ResourceDrift], synthesized: SynthResult, stack: str,
                    worker: CheckovWorker) -> dict[str, list[Finding]]:
    """Drift address -> the findings of checks its drift made fail, most severe first. A new finding two
    drifts could explain (a bucket's tag and its encryption both drifted) is settled by checking each of
    them alone."""
    if not drifts:
        return {}
    references = referenced_addresses(plan_json)
    with tempfile.TemporaryDirectory(prefix="nexus-drift-") as scratch:
        folder = private_directory(Path(scratch) / "plans")

        def scan(name: str, plan: dict) -> list[Finding]:
            return _checked(folder / f"{name}.json", plan, synthesized, stack, worker)

        everything = {address for drift in drifts for address in drift.addresses}
        known = {_key(finding) for finding in scan("recorded", recorded_plan(plan_json))}
        new = [finding for finding in scan("refreshed", refreshed_plan(plan_json)) if _key(finding) not in known]
        related = {drift.address: [finding for finding in new if _related(drift, finding, references)]
                   for drift in drifts}
        explained_by = Counter(_key(finding) for found in related.values() for finding in found)
        ambiguous = [drift for drift in drifts if any(explained_by[_key(finding)] > 1
                                                      for finding in related[drift.address])]
        for index, drift in enumerate(ambiguous):
            alone = scan(f"alone-{index}", refreshed_plan(plan_json, everything - set(drift.addresses)))
            related[drift.address] = [finding for finding in alone if _related(drift, finding, references)
                                      and _key(finding) not in known]
    return {address: sorted(found, key=lambda finding: (-severity_rank(finding.severity), finding.check_id))
            for address, found in related.items()}


def drift_severity(drift: ResourceDrift, broken: list[Finding]) -> str:
    if drift.action == "update" and set(drift.attribute_names) <= TAG_ATTRIBUTES:
        return "low"
    if broken:
        return max((finding.severity for finding in broken), key=severity_rank)
    return UNBROKEN_SEVERITY[drift.action]


def refreshed_plan(plan_json: dict, recorded: set[str] = frozenset()) -> dict:
    """A copy of the plan whose planned values are the refreshed state, deleted settings turned off; the drifted
    resources named in RECORDED as Terraform last recorded them."""
    refreshed = _planning_state(plan_json)
    references = referenced_addresses(plan_json)
    there = {resource["address"] for resource in _resources(refreshed["planned_values"].get("root_module") or {})}
    for entry in _managed_drift(plan_json):
        before = entry["change"]["before"]
        if entry["address"] in recorded:
            _put(refreshed, entry, before)
        elif entry["change"].get("actions") == ["delete"] and _is_setting(entry, references, there):
            _put(refreshed, entry, {key: before[key] for key in IDENTITY if key in before})
    return refreshed


def recorded_plan(plan_json: dict) -> dict:
    """A copy of the plan whose planned values are the refreshed state with what Terraform last recorded for
    every drifted resource."""
    return refreshed_plan(plan_json, {entry["address"] for entry in _managed_drift(plan_json)})


def _planning_state(plan_json: dict) -> dict:
    planned = copy.deepcopy(plan_json)
    planned["planned_values"] = copy.deepcopy((plan_json.get("prior_state") or {}).get("values") or {})
    planned["planned_values"].setdefault("root_module", {})
    planned.pop("resource_changes", None)
    return planned


def _managed_drift(plan_json: dict) -> list[dict]:
    return [entry for entry in plan_json.get("resource_drift") or []
            if entry.get("mode") == "managed" and (entry.get("change") or {}).get("before")]


def _is_setting(entry: dict, references: dict[str, set[str]], there: set[str]) -> bool:
    """A resource that sets something on another one still there (its type extends the other's type)."""
    return any(address in there and entry["type"].startswith(address.split(".")[0] + "_")
               for address in references.get(INSTANCE_KEY.sub("", entry["address"]), set()))


def _put(plan: dict, entry: dict, values: dict) -> None:
    """Planned values of the plan's resource ENTRY (in its module) replaced by VALUES, or added."""
    module = _module(plan["planned_values"]["root_module"], entry.get("module_address"))
    kept = [resource for resource in module.get("resources") or [] if resource.get("address") != entry["address"]]
    kept.append({"address": entry["address"], "mode": "managed", "type": entry["type"], "name": entry["name"],
                 **({"index": entry["index"]} if "index" in entry else {}),
                 "provider_name": entry.get("provider_name"), "schema_version": 0, "values": values,
                 "sensitive_values": {}})
    module["resources"] = sorted(kept, key=lambda resource: resource["address"])


def _resources(module: dict) -> list[dict]:
    return [*(module.get("resources") or []),
            *(resource for child in module.get("child_modules") or [] for resource in _resources(child))]


def referenced_addresses(plan_json: dict) -> dict[str, set[str]]:
    """Root-module resource address -> the resource addresses its configuration references."""
    found: dict[str, set[str]] = {}
    for resource in ((plan_json.get("configuration") or {}).get("root_module") or {}).get("resources") or []:
        found[resource["address"]] = {".".join(reference.split(".")[:2])
                                      for reference in _references(resource.get("expressions"))
                                      if not reference.startswith(("var.", "local.", "data.", "module."))}
    return found


def _key(finding: Finding) -> tuple[str, str]:
    return finding.check_id, finding.address


def _related(drift: ResourceDrift, finding: Finding, references: dict[str, set[str]]) -> bool:
    address = INSTANCE_KEY.sub("", drift.address)
    return finding.address in (address, drift.address) or finding.address in references.get(address, set()) \
        or address in references.get(finding.address, set())


def _references(expressions) -> list[str]:
    if isinstance(expressions, dict):
        own = expressions.get("references") if isinstance(expressions.get("references"), list) else []
        return own + [reference for key, value in expressions.items() if key != "references"
                      for reference in _references(value)]
    if isinstance(expressions, list):
        return [reference for item in expressions for reference in _references(item)]
    return []


def _module(root: dict, module_address: str | None) -> dict:
    module = root
    for depth in range(len(module_address.split(".")) // 2 if module_address else 0):
        wanted = ".".join(module_address.split(".")[:2 * (depth + 1)])
        children = module.setdefault("child_modules", [])
        module = next((child for child in children if child.get("address") == wanted), None) or \
            children.append({"address": wanted, "resources": []}) or children[-1]
    return module


def _checked(path: Path, plan_json: dict, synthesized: SynthResult, stack: str,
             worker: CheckovWorker) -> list[Finding]:
    write_atomically(path, json.dumps(plan_json), private=True)  # it holds sensitive values in clear
    try:
        return check(path, spec=synthesized, stack=stack, worker=worker).active
    finally:
        path.unlink(missing_ok=True)
