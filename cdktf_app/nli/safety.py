"""Model output is untrusted input: before it is validated it loses what the prompt may not switch on or off.

* `overrides` (raw attributes that bypass the spec's guarantees) are removed unless the user allowed them.
* What points outside the spec is the user's to name, not the model's: a remote `state` backend (removed: state
  stays local), a function's `source` (removed: the stub), `monitoring.notify` (the placeholder address) and
  images (the blueprints' placeholder image; a VM group's image is dropped for the cloud's LTS Linux) are kept
  only when the prompt names them (the bucket, path, address or image, word for word) or `--allow` lets them
  through. `backup_retention_days: 0` is put back to 7 unless the prompt asks for no backups or `--allow
  no-backups`.
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

import re
from functools import lru_cache
from typing import Any

from ..blueprints.catalog import list_blueprints
from ..sensitive import SECRET_NAME
from ..spec.model import COMPONENT_TYPES, secure_settings
from ..spec.overrides import unsafe_reason
from .exceptions import is_accepted
from .intent import Intent
from .offline import PLACEHOLDER_IMAGE



def secure_switches() -> list[tuple[str, str, bool]]:
    """(component type, field, secure value) of every on/off security setting the spec model declares, except
    those a prompt may choose (a public service); numeric floors (backup days) are handled by the rules for what
    the prompt may ask."""
    return [(kind, field, marker.value) for kind in COMPONENT_TYPES
            for field, marker in secure_settings(kind).items()
            if isinstance(marker.value, bool) and not marker.prompt_may_choose]


# The values in a state backend that say where state goes and who can read it.
STATE_DESTINATION = ("bucket", "kms_key_id", "dynamodb_table", "resource_group_name", "storage_account_name",
                     "container_name")
PLACEHOLDER_EMAIL = "alerts@example.com"
DEFAULT_BACKUP_DAYS = 7
NO_BACKUPS = re.compile(r"(?i)\b(?:no|without|disable[ds]?|turn(?:ed)? off|skip)(?:\s+\w+){0,2}\s+backups?\b|"
                        r"\bbackups?\s+(?:off|disabled)\b")
GATES = ("low", "medium", "high", "critical")
WEAKEST_GATE = "high"


def harden(data: Any, intent: Intent, prompt: str = "", *, allow_overrides: bool = False,
           allow: frozenset[str] | tuple[str, ...] = ()) -> list[str]:
    """Edit `data` (a parsed spec mapping) in place; return what was changed and why. `prompt` is the user's
    own words: a value it names is the user's choice, not the model's."""
    if not isinstance(data, dict):
        return []
    notes: list[str] = []
    if data.get("overrides") and not allow_overrides:
        notes.append(f"removed overrides of {', '.join(map(str, data['overrides']))}: raw attributes are only "
                     "accepted with --allow-overrides")
        del data["overrides"]
    elif isinstance(data.get("overrides"), dict):
        notes += _drop_unsafe_overrides(data["overrides"])
    if "state" in data and "state" not in allow:
        notes += _trusted_state(data, prompt)
    components = data.get("components")
    if isinstance(components, dict):
        for name, component in components.items():
            if isinstance(component, dict):
                notes += _secure_component(str(name), component)
                notes += _trusted_destinations(str(name), component, prompt, allow)
    return notes + _keep_compliance(data, intent) + request_notes(intent)


def _drop_unsafe_overrides(overrides: dict) -> list[str]:
    """Even allowed, a model's overrides only set attributes: no provisioners, meta-arguments or module sources
    (those need the user's own --allow-unsafe-overrides on the commands that build the spec)."""
    notes = []
    for address, attributes in overrides.items():
        if not isinstance(attributes, dict):
            continue
        for key in [key for key in attributes if unsafe_reason(str(address), str(key))]:
            del attributes[key]
            notes.append(f"overrides.{address}.{key}: removed ({unsafe_reason(str(address), str(key))})")
    return notes


def names_in_prompt(value: Any, prompt: str) -> bool:
    """Whether the prompt names `value` word for word (case aside), not as part of a longer name."""
    if not isinstance(value, str) or not value.strip():
        return False
    return re.search(rf"(?<![\w.@/:~-]){re.escape(value)}(?![\w@/:~-]|\.\w)", prompt, re.IGNORECASE) is not None


def _trusted_state(data: dict, prompt: str) -> list[str]:
    state = data["state"]
    if isinstance(state, dict) and state.get("backend", "local") == "local":
        return []
    named = {key: value for key, value in state.items() if key in STATE_DESTINATION} if isinstance(state, dict) else {}
    unnamed = [f"{key} {value}" for key, value in named.items() if not names_in_prompt(value, prompt)]
    if named and not unnamed:
        return []
    del data["state"]
    backend = state.get("backend") if isinstance(state, dict) else state
    return [f"state: removed the model's {backend} backend ({', '.join(unnamed) or 'nothing named'}: not in the "
            "prompt); state stays local. Name the bucket and key in the prompt or pass --allow state"]


def _trusted_destinations(name: str, component: dict, prompt: str, allow) -> list[str]:
    """A component's values that send code, data or alerts somewhere: kept if the prompt names them."""
    kind, notes = component.get("type"), []
    if kind == "function" and "source" in component and "sources" not in allow \
            and not names_in_prompt(component["source"], prompt):
        notes.append(f"components.{name}.source: removed ({component.pop('source')!r} is not in the prompt); the "
                     "function is a stub until you set its source, or pass --allow sources")
    if kind == "monitoring" and "notify" in component and "notify" not in allow \
            and not _trusted(component["notify"], prompt):
        notes.append(f"components.{name}.notify: {PLACEHOLDER_EMAIL} instead of {component['notify']!r} (not in "
                     "the prompt); put your address there, or pass --allow notify")
        component["notify"] = PLACEHOLDER_EMAIL
    if kind in ("service", "vm_group") and "image" in component and "images" not in allow \
            and not _trusted(component["image"], prompt):
        untrusted = component.pop("image")
        if kind == "service":
            component["image"] = PLACEHOLDER_IMAGE
        instead = PLACEHOLDER_IMAGE if kind == "service" else "the cloud's LTS Linux image"
        notes.append(f"components.{name}.image: {instead} instead of {untrusted!r} (not in the prompt); set your "
                     "image, or pass --allow images")
    if kind == "database" and component.get("backup_retention_days") == 0 and "no-backups" not in allow \
            and not NO_BACKUPS.search(prompt):
        component["backup_retention_days"] = DEFAULT_BACKUP_DAYS
        notes.append(f"components.{name}.backup_retention_days: {DEFAULT_BACKUP_DAYS} instead of 0 (the prompt did "
                     "not ask for no backups); pass --allow no-backups to keep 0")
    return notes


def _trusted(value: Any, prompt: str) -> bool:
    """Named in the prompt, or a placeholder a Nexus blueprint itself writes."""
    return names_in_prompt(value, prompt) or value in _blueprint_defaults()


@lru_cache(maxsize=1)
def _blueprint_defaults() -> frozenset[str]:
    return frozenset(str(parameter.default) for blueprint in list_blueprints() for parameter in blueprint.parameters
                     if parameter.name.endswith(("_image", "_email")))


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
    for switch_kind, key, secure in secure_switches():
        if kind == switch_kind and key in component and component[key] != secure:
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
