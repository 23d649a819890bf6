"""What changed outside Terraform, read from a plan's `resource_drift` (`terraform show -json` of a plan, a
refresh-only one or any other).

Only drift a person would act on is kept: data-source reads are not drift (Digger's known false positive), and
an attribute the configuration does not set is computed churn (`tags_all` follows `tags`, `etag`, timestamps)
unless it is one of the few computed attributes that carry a real change (WATCHED_COMPUTED: a rule added to
a security group whose rules are separate resources shows only in the group's `ingress`). A resource deleted
outside Terraform is drift too. Instances with the same transition (`count`/`for_each`) are one entry.
Values Terraform marks sensitive, and values of secret-named attributes, read `(sensitive)`.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..sensitive import Secrets, redact_attributes, sensitive_values

# Computed attributes whose change outside Terraform is a change of what the resource allows, not churn.
WATCHED_COMPUTED = {
    ("aws_security_group", "ingress"), ("aws_security_group", "egress"),
    ("aws_default_security_group", "ingress"), ("aws_default_security_group", "egress"),
}
COMPONENT_TAG = "nexus:component"
INSTANCE_KEY = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class AttributeDrift:
    attribute: str          # top-level attribute name (`tags`, `ingress`)
    before: Any             # what Terraform last recorded (redacted)
    after: Any              # what the cloud holds now (redacted)

    def to_dict(self) -> dict:
        return {"attribute": self.attribute, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class ResourceDrift:
    address: str                                  # the first instance with this transition
    resource_type: str
    action: str                                   # `update` (changed outside) or `delete` (gone outside)
    attributes: tuple[AttributeDrift, ...] = ()   # empty for `delete`
    component: str | None = None                  # spec component, from the `nexus:component` tag when known
    addresses: tuple[str, ...] = field(default=())  # every instance with this same transition, address first

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(change.attribute for change in self.attributes)

    def to_dict(self) -> dict:
        return {"address": self.address, "resource_type": self.resource_type, "action": self.action,
                "component": self.component, "addresses": list(self.addresses),
                "attributes": [change.to_dict() for change in self.attributes]}


def drift_in_plan(plan_json: dict) -> list[ResourceDrift]:
    """The drift a plan saw, sorted by address; [] when it saw none."""
    secrets = Secrets(sensitive_values(plan_json))
    configured = configured_attributes(plan_json)
    found = [drift for entry in plan_json.get("resource_drift") or []
             if (drift := _resource_drift(entry, configured, secrets)) is not None]
    return _grouped(sorted(found, key=lambda drift: drift.address))


def configured_attributes(plan_json: dict) -> dict[str, set[str]]:
    """Address without instance key (`module.x.aws_s3_bucket.files`) -> the attributes its configuration sets."""
    found: dict[str, set[str]] = {}

    def walk(module: dict, prefix: str) -> None:
        for resource in module.get("resources") or []:
            found[prefix + resource["address"]] = set(resource.get("expressions") or {})
        for name, call in (module.get("module_calls") or {}).items():
            walk(call.get("module") or {}, f"{prefix}module.{name}.")

    walk((plan_json.get("configuration") or {}).get("root_module") or {}, "")
    return found


def _resource_drift(entry: dict, configured: dict[str, set[str]], secrets: Secrets) -> ResourceDrift | None:
    if entry.get("mode") != "managed":
        return None
    change = entry.get("change") or {}
    actions = change.get("actions") or []
    before, after = change.get("before") or {}, change.get("after")
    component = _component(before) or _component(after)
    if actions == ["delete"]:
        return ResourceDrift(address=entry["address"], resource_type=entry["type"], action="delete",
                             component=component, addresses=(entry["address"],))
    if actions != ["update"]:
        return None
    set_by_config = configured.get(_without_instance_key(entry["address"]))
    after = after or {}
    changed = [AttributeDrift(name, _redacted(before.get(name), name, secrets), _redacted(after.get(name), name,
                                                                                          secrets))
               for name in sorted(set(before) | set(after))
               if before.get(name) != after.get(name)
               and (set_by_config is None or name in set_by_config or (entry["type"], name) in WATCHED_COMPUTED)]
    if not changed:
        return None
    return ResourceDrift(address=entry["address"], resource_type=entry["type"], action="update",
                         attributes=tuple(changed), component=component, addresses=(entry["address"],))


def _grouped(drifts: list[ResourceDrift]) -> list[ResourceDrift]:
    """One entry per identical transition of instances of the same resource."""
    groups: dict[str, ResourceDrift] = {}
    for drift in drifts:
        key = json.dumps([_without_instance_key(drift.address), drift.action, drift.component,
                          [change.to_dict() for change in drift.attributes]], sort_keys=True, default=str)
        if key in groups:
            first = groups[key]
            groups[key] = ResourceDrift(first.address, first.resource_type, first.action, first.attributes,
                                        first.component, first.addresses + drift.addresses)
        else:
            groups[key] = drift
    return list(groups.values())


def _component(values: dict | None) -> str | None:
    for name in ("tags", "tags_all", "labels"):
        tags = (values or {}).get(name)
        if isinstance(tags, dict) and tags.get(COMPONENT_TAG):
            return tags[COMPONENT_TAG]
    return None


def _redacted(value, name: str, secrets: Secrets):
    return redact_attributes(value, secrets, name)


def _without_instance_key(address: str) -> str:
    return INSTANCE_KEY.sub("", address)
