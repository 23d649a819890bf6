"""What changed outside Terraform, read from a plan's `resource_drift` (`terraform show -json` of a plan, a
refresh-only one or any other).

Only drift a person would act on is kept: data-source reads are not drift (Digger's known false positive), and
an attribute the configuration does not set is computed churn (`tags_all` follows `tags`, `etag`, timestamps)
unless it is one of the few computed attributes that carry a real change (WATCHED_COMPUTED: a rule added to
a security group whose rules are separate resources shows only in the group's `ingress`). For those, the rules
the state manages as rule resources are not drift, and the change reads as the rules removed (`before`) and
added (`after`) outside Terraform, one source each. A resource deleted outside Terraform is drift too.
Instances with the same transition (`count`/`for_each`) are one entry. Values Terraform marks sensitive, and
values of secret-named attributes, read `(sensitive)`.
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
RULE_RESOURCES = {"aws_vpc_security_group_ingress_rule": "ingress", "aws_vpc_security_group_egress_rule": "egress"}
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
    managed = managed_rules(plan_json)
    found = [drift for entry in plan_json.get("resource_drift") or []
             if (drift := _resource_drift(entry, configured, managed, secrets)) is not None]
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


def managed_rules(plan_json: dict) -> set[tuple]:
    """(group id, `ingress`/`egress`, rule) of every rule the refreshed state holds as a resource of its own."""
    found = set()
    state = ((plan_json.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    for resource in _state_resources(state):
        values = resource.get("values") or {}
        direction = RULE_RESOURCES.get(resource.get("type"))
        if direction is None and resource.get("type") == "aws_security_group_rule":
            direction = values.get("type")
            sources = [*(values.get("cidr_blocks") or []), *(values.get("ipv6_cidr_blocks") or []),
                       *(values.get("prefix_list_ids") or []), values.get("source_security_group_id")]
            if values.get("self"):
                sources.append(values.get("security_group_id"))
            protocol = values.get("protocol")
        elif direction is not None:
            sources = [values.get(key) for key in ("cidr_ipv4", "cidr_ipv6", "prefix_list_id",
                                                   "referenced_security_group_id")]
            protocol = values.get("ip_protocol")
        else:
            continue
        found |= {(values.get("security_group_id"), direction,
                   _rule(protocol, values.get("from_port"), values.get("to_port"), source))
                  for source in sources if source}
    return found


def group_rules(entries) -> set[tuple]:
    """A security group's `ingress` or `egress` list as rules of one source each."""
    found = set()
    for entry in entries if isinstance(entries, list) else []:
        sources = [*(entry.get("cidr_blocks") or []), *(entry.get("ipv6_cidr_blocks") or []),
                   *(entry.get("prefix_list_ids") or []), *(entry.get("security_groups") or [])]
        if entry.get("self"):
            sources.append("self")
        found |= {_rule(entry.get("protocol"), entry.get("from_port"), entry.get("to_port"), source)
                  for source in sources}
    return found


def without_rules(entries, rules: list[dict]) -> list[dict]:
    """A security group's `ingress` or `egress` list without RULES (as AttributeDrift lists them): each entry
    keeps its other sources; an entry left with none is dropped."""
    unwanted = {_rule(rule["protocol"], rule["from_port"], rule["to_port"], rule["source"]) for rule in rules}
    kept = []
    for entry in entries if isinstance(entries, list) else []:
        def wanted(source: str) -> bool:
            return _rule(entry.get("protocol"), entry.get("from_port"), entry.get("to_port"), source) not in unwanted

        trimmed = {**entry, **{key: [source for source in entry.get(key) or [] if wanted(source)]
                               for key in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups")}}
        trimmed["self"] = bool(entry.get("self")) and wanted("self")
        if any(trimmed[key] for key in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups",
                                        "self")):
            kept.append(trimmed)
    return kept


def rule_as_dict(rule: tuple) -> dict:
    protocol, from_port, to_port, source = rule
    return {"protocol": protocol, "from_port": from_port, "to_port": to_port, "source": source}


def _rule(protocol, from_port, to_port, source: str) -> tuple:
    protocol = {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1"}.get(str(protocol).lower(), str(protocol).lower())
    ports = (None, None) if protocol == "-1" else (from_port, to_port)
    # `123456789012/sg-...`: a group named with its owner, the same group as `sg-...`
    return (protocol, *ports, source.rpartition("/")[2] if "/sg-" in source else source)


def _state_resources(module: dict) -> list[dict]:
    return [*(module.get("resources") or []),
            *(resource for child in module.get("child_modules") or [] for resource in _state_resources(child))]


def _rule_drift(name: str, before: dict, after: dict, managed: set[tuple]) -> AttributeDrift | None:
    group = after.get("id") or before.get("id")
    own = {rule for group_id, direction, rule in managed if group_id == group and direction == name}
    was, now = group_rules(before.get(name)), group_rules(after.get(name))
    removed, added = sorted(was - now - own, key=str), sorted(now - was - own, key=str)
    if not removed and not added:
        return None
    return AttributeDrift(name, [rule_as_dict(rule) for rule in removed], [rule_as_dict(rule) for rule in added])


def _resource_drift(entry: dict, configured: dict[str, set[str]], managed: set[tuple],
                    secrets: Secrets) -> ResourceDrift | None:
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
    changed = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        if (entry["type"], name) in WATCHED_COMPUTED and (set_by_config is None or name not in set_by_config):
            rules = _rule_drift(name, before, after, managed)
            changed += [rules] if rules else []
        elif set_by_config is None or name in set_by_config:
            changed.append(AttributeDrift(name, _redacted(before.get(name), name, secrets),
                                          _redacted(after.get(name), name, secrets)))
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
