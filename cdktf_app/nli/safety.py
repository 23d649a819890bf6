"""Model output is untrusted input: before it is validated it loses what the prompt may not switch on or off.

* `overrides` (raw attributes that bypass the spec's guarantees) are removed unless the user allowed them.
* Secret-looking environment variables are removed: secrets belong in the `secrets` section (a secret manager).
* Security switches are forced back to their secure value, suppressions are removed unless a Nexus blueprint
  makes the same one (exceptions.py), and the gate is not relaxed past `high`: compliance is not something a
  prompt can turn off.
* Standards the prompt names are declared even when the model forgot them.

Every change is returned as a note for the user and for the header of the written spec. Offline drafts come
from the repo's own blueprints (trusted, suppressions with reasons included) and get only the notes about
what the prompt asked for (`request_notes`).
"""
from __future__ import annotations

from typing import Any

from ..sensitive import SECRET_NAME
from .exceptions import is_accepted
from .intent import Intent

# (component types, field, secure value)
SECURE_SETTINGS = (
    (("database", "cache", "bucket", "queue", "document_store", "warehouse"), "encrypted", True),
    (("database", "bucket"), "public", False),
    (("database", "document_store"), "deletion_protection", True),
    (("document_store",), "point_in_time_recovery", True),
    (("network",), "flow_logs", True),
    (("bucket",), "access_logs", True),
    (("cdn",), "waf", True),
    (("kubernetes",), "public_endpoint", False),
)
GATES = ("low", "medium", "high", "critical")
WEAKEST_GATE = "high"


def harden(data: Any, intent: Intent, *, allow_overrides: bool) -> list[str]:
    """Edit `data` (a parsed spec mapping) in place; return what was changed and why."""
    if not isinstance(data, dict):
        return []
    notes: list[str] = []
    if data.get("overrides") and not allow_overrides:
        notes.append(f"removed overrides of {', '.join(map(str, data['overrides']))}: raw attributes are only "
                     "accepted with --allow-overrides")
        del data["overrides"]
    components = data.get("components")
    if isinstance(components, dict):
        for name, component in components.items():
            if isinstance(component, dict):
                notes += _secure_component(str(name), component)
    return notes + _keep_compliance(data, intent) + request_notes(intent)


def request_notes(intent: Intent) -> list[str]:
    """What the prompt asked for that no spec from Nexus will do, said back to the user."""
    notes = []
    if intent.asks_plaintext_secrets:
        notes.append("the prompt asked for secrets in plain text; Nexus keeps secrets in a secret manager "
                     "(the spec's `secrets` section) and never writes their values")
    if intent.asks_compliance_off:
        notes.append("the prompt asked to switch off compliance or a security control; the spec keeps them on "
                     "(suppress a single finding with a reason under compliance.suppressions if you must)")
    return notes


def _secure_component(name: str, component: dict) -> list[str]:
    notes = []
    kind = component.get("type")
    for types, key, secure in SECURE_SETTINGS:
        if kind in types and key in component and component[key] != secure:
            component[key] = secure
            notes.append(f"components.{name}.{key}: kept {str(secure).lower()} (secure default)")
    environment = component.get("environment")
    if isinstance(environment, dict):
        for variable in [key for key in environment if SECRET_NAME.search(str(key))]:
            del environment[variable]
            notes.append(f"components.{name}.environment.{variable}: removed; put secrets under `secrets` and "
                         "list them in the component's `secrets`")
    return notes


def _keep_compliance(data: dict, intent: Intent) -> list[str]:
    compliance = data.get("compliance")
    if compliance is None and not intent.standards:
        return []
    if not isinstance(compliance, dict):
        compliance = data["compliance"] = {}
    notes = []
    suppressions = compliance.get("suppressions")
    if suppressions:
        suppressions = suppressions if isinstance(suppressions, list) else []
        kept = [item for item in suppressions if is_accepted(item, data.get("components"))]
        removed = [item.get("check", "?") if isinstance(item, dict) else "?" for item in suppressions
                   if item not in kept]
        if kept:
            compliance["suppressions"] = kept
            notes.append("kept suppressions a Nexus blueprint also makes for the same kind of component: " +
                         ", ".join(f"{item['check']} on {item['resource']}" for item in kept))
        else:
            del compliance["suppressions"]
        if removed:
            notes.append(f"removed suppressions of {', '.join(map(str, removed))}: a generated spec only keeps "
                         "the exceptions Nexus's blueprints accept")
    gate = compliance.get("gate")
    if gate in GATES and GATES.index(gate) > GATES.index(WEAKEST_GATE):
        compliance["gate"] = WEAKEST_GATE
        notes.append(f"compliance.gate: {WEAKEST_GATE} instead of {gate}")
    standards = compliance.get("standards")
    if not isinstance(standards, list):
        standards = []
    declared = {_standard_id(item) for item in standards}
    missing = [(standard, version) for standard, version in intent.standards if standard not in declared]
    if missing:
        compliance["standards"] = [*standards, *({standard: version} for standard, version in missing)]
        notes.append(f"compliance.standards: added {', '.join(s for s, _ in missing)} (named in the prompt)")
    return notes


def _standard_id(item: Any) -> str | None:
    if isinstance(item, str):
        return item.lower()
    if isinstance(item, dict):
        if "id" in item:
            return str(item["id"]).lower()
        if len(item) == 1:
            return str(next(iter(item))).lower()
    return None
