"""A provider's schema, derived offline from the jsii assembly of its installed binding package.

Each prebuilt binding (`cdktn-provider-aws`, `-google`, `-azurerm`, `-kubernetes`) ships the assembly it was
generated from (`<package>/_jsii/*.jsii.tgz`, member `package/.jsii`). In it every resource, data source and the
provider itself is a class whose initializer takes a config struct; each struct property is one Terraform argument
and its docs link to the registry page with the real name as the anchor (`.../resources/config_map_v1#binary_data
ConfigMapV1#binary_data`). `optional` says required or not; a property typed as another struct (or a list of
structs) is a nested block; primitives and collections give the value type. Getters on the class that are not in
the config are what the provider computes (`arn`): setting one is an error.

The derived schema is a small JSON document:

    {"provider": "kubernetes", "package": "cdktn-provider-kubernetes", "version": "17.1.0",
     "terraform_provider": "hashicorp/kubernetes 3.4.0", "provider_config": BLOCK,
     "resources": {"kubernetes_config_map_v1": BLOCK, ...}, "data_sources": {...},
     "ephemeral_resources": {...}}
    BLOCK = {"attributes": {name: {"type": TYPE, "required": bool}},
             "blocks": {name: {"required": bool, "nesting": "single" | "list", "block": BLOCK}},
             "computed": [names the provider sets and the configuration may not]}
    TYPE = "string" | "number" | "bool" | "any" | ["list", TYPE] | ["map", TYPE]
"""
from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path
from typing import Any

ASSEMBLY_MEMBER = "package/.jsii"
RESOURCE_BASE = "cdktn.TerraformResource"
DATA_SOURCE_BASE = "cdktn.TerraformDataSource"
EPHEMERAL_BASE = "cdktn.TerraformEphemeralResource"
# Which section of the schema each kind of construct class goes to.
SECTIONS = {RESOURCE_BASE: "resources", DATA_SOURCE_BASE: "data_sources", EPHEMERAL_BASE: "ephemeral_resources"}
PROVIDER_BASE = "cdktn.TerraformProvider"
_RESOLVABLE = "cdktn.IResolvable"
# `{@link https://registry.terraform.io/providers/hashicorp/google/6.1.0/docs/resources/x#name X#name}`
_ANCHOR = re.compile(r"\{@link \S+#([A-Za-z0-9_]+) [^}]*\}")
# The class summary: `Represents a {@link https://registry.../docs/resources/bucket google_storage_bucket}.`
_REPRESENTS = re.compile(r"\{@link https://registry\.terraform\.io/providers/([^/\s]+)/([^/\s]+)/([^/\s]+)/docs"
                         r"\S* ([A-Za-z0-9_]+)\}")
# Getters every generated output reference has besides the block's own attributes.
_PLUMBING_GETTERS = {"internalValue"}
_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool", "any": "any", "json": "any"}


def read_assembly(archive: Path) -> dict:
    """The assembly JSON inside a binding's `.jsii.tgz`, read as a stream (it is the archive's first member)."""
    with tarfile.open(archive, mode="r|gz") as stream:
        for member in stream:
            if member.name == ASSEMBLY_MEMBER:
                return json.loads(stream.extractfile(member).read())
    raise ValueError(f"{archive} holds no {ASSEMBLY_MEMBER}")


def derive_schema(assembly: dict, package: str) -> dict:
    """The provider schema of one binding's assembly (see the module docs for its shape)."""
    types = assembly["types"]
    schema: dict[str, Any] = {"provider": None, "package": package, "version": assembly["version"],
                              "terraform_provider": None, "provider_config": None, "resources": {},
                              "data_sources": {}, "ephemeral_resources": {}}
    for fqn, entry in types.items():
        base = entry.get("base")
        if base not in (*SECTIONS, PROVIDER_BASE):
            continue
        represents = _REPRESENTS.search(entry.get("docs", {}).get("summary", ""))
        config = _config_struct(entry)
        if represents is None or config is None:
            continue
        namespace, provider, provider_version, terraform_name = represents.groups()
        block = _block(types, config, computed_from=fqn)
        if base == PROVIDER_BASE:
            schema.update(provider=terraform_name, terraform_provider=f"{namespace}/{provider} {provider_version}",
                          provider_config=block)
        else:
            schema[SECTIONS[base]][terraform_name] = block
    return schema


def _config_struct(entry: dict) -> str | None:
    for parameter in (entry.get("initializer") or {}).get("parameters", []):
        if parameter["name"] == "config" and "fqn" in parameter["type"]:
            return parameter["type"]["fqn"]
    return None


def _block(types: dict, struct: str, computed_from: str | None, seen: tuple[str, ...] = ()) -> dict:
    """The block a config struct describes; `computed_from` is the class whose getters hold the computed names."""
    attributes: dict[str, dict] = {}
    blocks: dict[str, dict] = {}
    camel_names = set()
    for prop in _struct_properties(types, struct):
        name = terraform_name(prop)
        camel_names.add(prop["name"])
        required = not prop.get("optional", False)
        nested = _nested_struct(types, prop["type"])
        if nested is not None and nested[0] not in seen:
            struct_fqn, nesting = nested
            blocks[name] = {"required": required, "nesting": nesting,
                            "block": _block(types, struct_fqn, f"{struct_fqn}OutputReference", (*seen, struct))}
        else:
            attributes[name] = {"type": _value_type(types, prop["type"]), "required": required}
    return {"attributes": attributes, "blocks": blocks,
            "computed": _computed_names(types, computed_from, camel_names)}


def _struct_properties(types: dict, struct: str) -> list[dict]:
    entry = types.get(struct, {})
    inherited = [prop for parent in entry.get("interfaces", []) if parent in types
                 for prop in _struct_properties(types, parent)]
    return inherited + entry.get("properties", [])


def terraform_name(prop: dict) -> str:
    """The Terraform name of a config property: the registry link's anchor, else its camelCase name in snake_case."""
    docs = prop.get("docs", {})
    found = _ANCHOR.search(docs.get("remarks", "")) or _ANCHOR.search(docs.get("summary", ""))
    return found.group(1) if found else snake_case(prop["name"])


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _without_resolvable(type_ref: dict) -> dict:
    if "union" in type_ref:
        members = [t for t in type_ref["union"]["types"] if t.get("fqn") != _RESOLVABLE]
        if len(members) == 1:
            return _without_resolvable(members[0])
    return type_ref


def _nested_struct(types: dict, type_ref: dict) -> tuple[str, str] | None:
    """(struct, nesting) when the property is a nested block: one struct (`single`) or a list of them (`list`)."""
    type_ref = _without_resolvable(type_ref)
    if _is_struct(types, type_ref):
        return type_ref["fqn"], "single"
    collection = type_ref.get("collection")
    if collection and collection["kind"] == "array" and _is_struct(types, collection["elementtype"]):
        return collection["elementtype"]["fqn"], "list"
    return None


def _is_struct(types: dict, type_ref: dict) -> bool:
    return "fqn" in type_ref and bool(types.get(type_ref["fqn"], {}).get("datatype"))


def _value_type(types: dict, type_ref: dict) -> Any:
    type_ref = _without_resolvable(type_ref)
    if "primitive" in type_ref:
        return _PRIMITIVES.get(type_ref["primitive"], "any")
    collection = type_ref.get("collection")
    if collection:
        return ["list" if collection["kind"] == "array" else "map", _value_type(types, collection["elementtype"])]
    return "any"   # a union of several types, or IResolvable alone: any value


def _computed_names(types: dict, class_fqn: str | None, config_names: set[str]) -> list[str]:
    """Getters of the class (or output reference) that are no config property: what only the provider sets."""
    getters = (types.get(class_fqn, {}) if class_fqn else {}).get("properties", [])
    return sorted({snake_case(prop["name"]) for prop in getters
                   if not prop.get("static") and not prop["name"].endswith("Input")
                   and prop["name"] not in config_names | _PLUMBING_GETTERS})
