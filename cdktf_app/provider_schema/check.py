"""Check a Terraform configuration (JSON syntax, or HCL read into the same shape) against provider schemas.

What `terraform validate` checks of the schema, offline: the resource or data source type exists, every argument
is known (with a "did you mean"), required arguments and blocks are present, blocks are written as blocks (an
object, or a list of objects; at most one where the block is single), values have the right type, and nothing
only the provider sets (computed-only attributes) is set. An expression (`${...}`) stands for a value of any type:
its type is known only to terraform. Provider-side validators (value ranges, formats, conflicts) are not in the
schema and stay terraform's.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Resource-level keys that are Terraform's, not the provider's (JSON syntax keeps cdktn's metadata under "//").
META_ARGUMENTS = {"//", "count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
PROVIDER_META_ARGUMENTS = {"//", "alias", "version"}
# A configuration's sections of provider-defined blocks, and the schema section each is checked against.
SECTIONS = {"resource": "resources", "data": "data_sources", "ephemeral": "ephemeral_resources"}
_EXPRESSION = re.compile(r"(?<!\$)\$\{|(?<!%)%\{")
_NUMBER = re.compile(r"^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class SchemaFinding:
    """One place where a configuration disagrees with its provider's schema."""

    stack: str
    address: str                    # `aws_s3_bucket.assets`, `data.aws_iam_policy_document.x`, `provider.aws`,
                                    # `module.site.kubernetes_namespace_v1.site`
    path: tuple[str | int, ...]     # inside the resource: ("versioning", 0, "enabled"); () for the resource itself
    kind: str                       # unknown-type | unknown-argument | missing-required | nesting | type | computed
    message: str

    def where(self) -> str:
        text = self.address
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text

    def __str__(self) -> str:
        return f"{self.stack}: {self.where()}: {self.message}"


@dataclass
class ConfigurationCheck:
    """The findings of one configuration, and the providers of resources no schema could check."""

    findings: list[SchemaFinding] = field(default_factory=list)
    unchecked: dict[str, list[str]] = field(default_factory=dict)   # provider -> addresses left unchecked
    checked: int = 0


SchemaOf = Callable[[str], "dict | None"]


def check_configuration(document: dict, stack: str, schema_of: SchemaOf, *, prefix: str = "",
                        result: ConfigurationCheck | None = None) -> ConfigurationCheck:
    """Check every resource, data source and provider block of DOCUMENT (`{"resource": {type: {name: body}}}`,
    Terraform's JSON shape; HCL read with python-hcl2 has lists of such mappings). `schema_of(provider)` gives a
    provider's schema or None; `prefix` (`module.site.`) goes before addresses found inside a module."""
    result = result if result is not None else ConfigurationCheck()
    for section, kinds_key in SECTIONS.items():
        for resource_type, name, body in _entries(document.get(section)):
            address = f"{prefix}{'' if section == 'resource' else section + '.'}{resource_type}.{name}"
            if name is None:
                result.findings.append(SchemaFinding(stack, address.removesuffix(".None"), (), "nesting",
                                                     "expected an object of named blocks"))
                continue
            provider = resource_type.split("_", 1)[0]
            schema = schema_of(provider)
            if schema is None:
                result.unchecked.setdefault(provider, []).append(address)
                continue
            result.checked += 1
            kinds = schema.get(kinds_key, {})
            if resource_type not in kinds:
                result.findings.append(SchemaFinding(stack, address, (), "unknown-type", _unknown_type(
                    resource_type, section, kinds, schema)))
                continue
            _check_block(body, kinds[resource_type], _Walk(stack, address, META_ARGUMENTS, result.findings), ())
    for provider, configurations in _provider_blocks(document.get("provider")):
        schema = schema_of(provider)
        if schema is None:
            result.unchecked.setdefault(provider, []).append(f"provider.{provider}")
            continue
        for configuration in configurations:
            result.checked += 1
            _check_block(configuration, schema["provider_config"],
                         _Walk(stack, f"{prefix}provider.{provider}", PROVIDER_META_ARGUMENTS, result.findings), ())
    return result


def _entries(section: Any):
    """(type, name, body) of a `resource` or `data` section, as JSON (a mapping) or HCL (a list of mappings);
    name None where a type does not hold named blocks."""
    for group in _mappings(section):
        for resource_type, named in group.items():
            if not isinstance(named, dict):
                yield resource_type, None, named
                continue
            for name, body in named.items():
                for each in body if isinstance(body, list) else [body]:
                    yield resource_type, name, each


def _mappings(section: Any) -> list[dict]:
    groups = section if isinstance(section, list) else [section]
    return [group for group in groups if isinstance(group, dict)]


def _provider_blocks(section: Any):
    grouped: dict[str, list[dict]] = {}
    for group in _mappings(section):
        for provider, configurations in group.items():
            grouped.setdefault(provider, []).extend(
                configurations if isinstance(configurations, list) else [configurations])
    return sorted(grouped.items())


NOUNS = {"resource": "resource type", "data": "data source", "ephemeral": "ephemeral resource"}


def _unknown_type(resource_type: str, section: str, kinds: dict, schema: dict) -> str:
    noun = NOUNS[section]
    return (f"{schema['terraform_provider']} has no {noun} '{resource_type}'"
            f"{did_you_mean(resource_type, kinds)}")


def did_you_mean(given: str, options) -> str:
    close = difflib.get_close_matches(given, sorted(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True)
class _Walk:
    stack: str
    address: str
    meta: set[str]
    findings: list[SchemaFinding]

    def report(self, path: tuple, kind: str, message: str) -> None:
        self.findings.append(SchemaFinding(self.stack, self.address, path, kind, message))


def _check_block(body: Any, block: dict, walk: _Walk, path: tuple) -> None:
    if not isinstance(body, dict):
        walk.report(path, "nesting", f"expected a block (an object), got {_kind_of(body)}")
        return
    attributes, blocks = block["attributes"], block["blocks"]
    computed = {_loose(name) for name in block["computed"]}
    dynamic = _dynamic_block_names(body.get("dynamic"))
    for key, value in body.items():
        if (not path and key in walk.meta) or key == "dynamic":
            continue
        if key in attributes:
            _check_value(value, attributes[key]["type"], walk, (*path, key))
        elif key in blocks:
            _check_nested(value, blocks[key], walk, (*path, key))
        elif _loose(key) in computed:
            walk.report((*path, key), "computed", f"'{key}' is set by the provider (computed only) and cannot be "
                                                  "configured")
        else:
            walk.report((*path, key), "unknown-argument", f"unknown argument '{key}'"
                                                          f"{did_you_mean(key, [*attributes, *blocks])}")
    for name, attribute in attributes.items():
        if attribute["required"] and body.get(name) is None:
            walk.report((*path, name), "missing-required", f"the argument '{name}' is required")
    for name, nested in blocks.items():
        if nested["required"] and body.get(name) in (None, []) and name not in dynamic:
            walk.report((*path, name), "missing-required", f"a '{name}' block is required")


def _dynamic_block_names(dynamic: Any) -> set[str]:
    """The blocks `dynamic` generates: `{"name": {...}}` in JSON, a list of such mappings from HCL."""
    groups = dynamic if isinstance(dynamic, list) else [dynamic]
    return {name for group in groups if isinstance(group, dict) for name in group}


def _check_nested(value: Any, nested: dict, walk: _Walk, path: tuple) -> None:
    if value is None or _is_expression(value):
        return
    if isinstance(value, dict):
        _check_block(value, nested["block"], walk, path)
        return
    if not isinstance(value, list):
        walk.report(path, "nesting", f"'{path[-1]}' is a block: expected an object (or a list of objects), got "
                                     f"{_kind_of(value)}")
        return
    if nested["nesting"] == "single" and len(value) > 1:
        walk.report(path, "nesting", f"at most one '{path[-1]}' block is allowed, got {len(value)}")
    for index, item in enumerate(value):
        _check_block(item, nested["block"], walk, (*path, index))


def _check_value(value: Any, expected: Any, walk: _Walk, path: tuple) -> None:
    if value is None or expected == "any" or _is_expression(value):
        return
    if isinstance(expected, list):
        container, element = expected
        wanted = list if container == "list" else dict
        if not isinstance(value, wanted):
            walk.report(path, "type", f"expected {_type_name(expected)}, got {_kind_of(value)}")
            return
        items = enumerate(value) if container == "list" else value.items()
        for key, item in items:
            _check_value(item, element, walk, (*path, key))
        return
    if not _converts(value, expected):
        walk.report(path, "type", f"expected {_type_name(expected)}, got {_kind_of(value)} {_short(value)}")


def _converts(value: Any, expected: str) -> bool:
    """Terraform's own conversions: numbers and bools become strings, "5" a number, "true" a bool."""
    if isinstance(value, (dict, list)):
        return False
    if expected == "string":
        return True
    if expected == "number":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and bool(_NUMBER.match(value)))
    if expected == "bool":
        return isinstance(value, bool) or value in ("true", "false")
    return True


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and bool(_EXPRESSION.search(value))


def _loose(name: str) -> str:
    """Computed names come from camelCase getters (`ipv6CidrBlock`): compared without underscores or case."""
    return name.replace("_", "").lower()


def _type_name(expected: Any, plural: bool = False) -> str:
    """`a number`, `a map of strings`, `a list of lists of numbers`."""
    if isinstance(expected, list):
        return f"{expected[0]}s of {_type_name(expected[1], True)}" if plural else \
            f"a {expected[0]} of {_type_name(expected[1], True)}"
    if plural:
        return {"bool": "bools", "number": "numbers", "string": "strings"}.get(expected, "values")
    return {"bool": "a bool", "number": "a number", "string": "a string"}.get(expected, "a value")


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
