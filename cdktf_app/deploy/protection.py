"""Deletion protection and destroy: found before anything is deleted, refused or lifted on exactly those resources.

Terraform deletes in dependency order and stops at the first protected resource, so a destroy that meets one
leaves a half-destroyed stack (the database and the network it stands in). A destroy therefore reads every
stack's state first: protected resources refuse the whole run up front (`ProtectedResources`, exit 2), or with
`--force-protected` their flags are set off by an override file beside cdk.tf.json and a plan targeted at exactly
those resources, checked to change nothing else, then applied; the destroy follows.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

UNPROTECT_FILE = "nexus_unprotect_override.tf.json"

# type -> {attribute: (values that protect, the value that lifts)}. Only top-level arguments: an override file
# replaces nested blocks whole. Azure has no flag of this kind: its delete locks (azurerm_management_lock) are
# resources of the stack, deleted before what they lock.
PROTECTION: dict[str, dict[str, tuple[tuple, object]]] = {
    "aws_db_instance": {"deletion_protection": ((True,), False)},
    "aws_rds_cluster": {"deletion_protection": ((True,), False)},
    "aws_docdb_cluster": {"deletion_protection": ((True,), False)},
    "aws_neptune_cluster": {"deletion_protection": ((True,), False)},
    "aws_dynamodb_table": {"deletion_protection_enabled": ((True,), False)},
    "aws_lb": {"enable_deletion_protection": ((True,), False)},
    "aws_alb": {"enable_deletion_protection": ((True,), False)},
    "aws_instance": {"disable_api_termination": ((True,), False)},
    "aws_cognito_user_pool": {"deletion_protection": (("ACTIVE",), "INACTIVE")},
    "google_sql_database_instance": {"deletion_protection": ((True,), False)},
    "google_container_cluster": {"deletion_protection": ((True,), False)},
    "google_compute_instance": {"deletion_protection": ((True,), False)},
    "google_bigquery_table": {"deletion_protection": ((True,), False)},
    "google_spanner_database": {"deletion_protection": ((True,), False)},
    # ABANDON is no error: destroy "succeeds" and the database stays, outside Terraform
    "google_firestore_database": {"delete_protection_state": (("DELETE_PROTECTION_ENABLED",),
                                                              "DELETE_PROTECTION_DISABLED"),
                                  "deletion_policy": (("ABANDON",), "DELETE")},
}


@dataclass(frozen=True)
class Protected:
    stack: str
    address: str
    type: str
    name: str
    in_module: bool
    flags: tuple[tuple[str, object], ...]     # (attribute, its protecting value)

    def describe(self) -> str:
        return ", ".join(f"{key} = {json.dumps(value)}" for key, value in self.flags)


def protection_flags(resource_type: str, values: dict | None) -> tuple[tuple[str, object], ...]:
    flags = PROTECTION.get(resource_type, {})
    return tuple((key, (values or {}).get(key)) for key, (protecting, _) in flags.items()
                 if (values or {}).get(key) in protecting)


def protected_in_state(stack: str, shown: dict) -> list[Protected]:
    """The protected resources of `terraform show -json` (state, no plan): root module and child modules."""
    found = []
    modules = [shown.get("values", {}).get("root_module", {})]
    while modules:
        module = modules.pop(0)
        modules += module.get("child_modules", [])
        for resource in module.get("resources", []):
            flags = protection_flags(resource.get("type", ""), resource.get("values"))
            if resource.get("mode") == "managed" and flags:
                found.append(Protected(stack, resource["address"], resource["type"], resource["name"],
                                       bool(module.get("address")), flags))
    return found


def protected_deletions(stack: str, plan: dict) -> list[Protected]:
    """What a (destroy) plan would delete although it is protected, from the refreshed `before` values."""
    found = []
    for change in plan.get("resource_changes", []):
        flags = protection_flags(change.get("type", ""), change.get("change", {}).get("before"))
        if "delete" in change.get("change", {}).get("actions", []) and flags:
            found.append(Protected(stack, change["address"], change["type"], change["name"],
                                   bool(change.get("module_address")), flags))
    return found


def managed_instances(shown: dict) -> int:
    """How many managed resource instances a `terraform show -json` of the state holds."""
    count, modules = 0, [shown.get("values", {}).get("root_module", {})]
    while modules:
        module = modules.pop(0)
        modules += module.get("child_modules", [])
        count += sum(1 for resource in module.get("resources", []) if resource.get("mode") == "managed")
    return count


class ProtectedResources(UsageError):
    """A destroy would stop at deletion protection: nothing was deleted; say which, and how to go on."""

    def __init__(self, found: list[Protected], *, forced: bool = False, stale_state: bool = False):
        self.found = found
        lines = [f"destroy refused before deleting anything: {len(found)} resource(s) have deletion protection on, "
                 "and terraform would stop at them halfway, leaving the rest of the stack behind"]
        if stale_state:
            lines[0] = (f"destroy stopped: the refreshed plan shows protection the state did not ({len(found)} "
                        "resource(s): turned on outside Terraform); nothing of this stack was deleted")
        lines += [f"  {p.stack}  {p.address}  ({p.describe()})" for p in found]
        in_modules = [p.address for p in found if p.in_module]
        if in_modules:
            lines.append(f"inside modules, so Nexus cannot lift them: {', '.join(in_modules)}; turn the flag off in "
                         "the module's inputs, deploy, then destroy")
        elif stale_state:
            lines.append("run `nexus deploy` (or `terraform apply -refresh-only` in the stack folder) so the state "
                         "knows, then destroy again with --force-protected")
        elif not forced:
            lines.append("to proceed: pass --force-protected (Nexus turns exactly these flags off with a targeted "
                         "apply, records it in the run, then destroys), or set the protection off in the spec "
                         "(e.g. deletion_protection: false), deploy, then destroy")
        super().__init__("\n".join(lines))


def write_unprotect_override(stack_dir: Path, found: list[Protected]) -> Path:
    """An override file turning exactly these resources' protection off (terraform merges it into cdk.tf.json)."""
    resources: dict = {}
    for protected in found:
        lifted = {key: PROTECTION[protected.type][key][1] for key, _ in protected.flags}
        resources.setdefault(protected.type, {}).setdefault(protected.name, {}).update(lifted)
    target = stack_dir / UNPROTECT_FILE
    target.write_text(json.dumps({"resource": resources}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target


def unexpected_changes(plan: dict, found: list[Protected]) -> list[str]:
    """What the targeted lift plan would do beyond updating the protected resources in place."""
    allowed = {protected.address for protected in found}
    return [f"{change['address']} ({'/'.join(change['change']['actions'])})"
            for change in plan.get("resource_changes", [])
            if change["change"]["actions"] not in (["no-op"], ["read"])
            and (change["address"] not in allowed or change["change"]["actions"] != ["update"])]
