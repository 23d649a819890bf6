"""Read what a diagram or a cost estimate is made of: an out dir (`OUT/stacks/<stack>/cdk.tf.json`), a Terraform
plan or state as JSON (`terraform show -json`, or a raw `terraform.tfstate`), a Terraform JSON file, or plain
`.tf` files written by anyone. Each becomes the same `Inventory`: resources with their attributes, instances
and the addresses they refer to, plus provenance and findings when Nexus made them. Which of these a user
pointed at (and synthesizing a spec first) is cdktf_app.workspace's `resolve`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..sensitive import Secrets, sensitive_values
from ..spec.loader import LoadedSpec
from ..kit.provenance import Origin, Provenance
from ..layout import FINDINGS_FILE, PROVENANCE_FILE, current_stack_files
from .references import TRAVERSAL, addresses_in, locals_in

INDEX = re.compile(r"\[[^\]]*\]")
# Terraform's prefixes for the clouds Nexus speaks of; other providers keep their own name.
CLOUD_OF_PREFIX = {"aws": "aws", "google": "gcp", "azurerm": "azure", "azuread": "azure", "azapi": "azure"}


@dataclass
class Resource:
    stack: str
    address: str                  # `aws_vpc.main`, `data.aws_ami.ubuntu`, `module.vpc`, `module.vpc.aws_subnet.a`
    mode: str                     # managed | data | module
    type: str                     # `aws_vpc`; `module` for a module call
    name: str
    body: dict                    # configuration (or the first instance's values)
    instances: list[dict] = field(default_factory=list)   # attribute values per instance (count/for_each)
    references: set[str] = field(default_factory=set)     # addresses this one refers to (expressions)
    depends_on: set[str] = field(default_factory=set)     # explicit depends_on

    @property
    def provider(self) -> str:
        if self.mode == "module":
            return "module"
        prefix = self.type.split("_", 1)[0]
        return CLOUD_OF_PREFIX.get(prefix, prefix)

    @property
    def key(self) -> tuple[str, str]:
        return (self.stack, self.address)


@dataclass
class Inventory:
    source: str                   # spec | out_dir | plan | state | terraform_json | hcl
    location: Path
    resources: list[Resource]
    provenance: Provenance | None = None
    findings: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    spec_file: Path | None = None
    regions: dict[str, dict[str, str]] = field(default_factory=dict)   # stack -> cloud -> provider region
    secrets: Secrets = field(default_factory=lambda: Secrets(()), repr=False)   # what a plan or state marks sensitive
    spec: Callable[[], LoadedSpec | None] = field(default=lambda: None, repr=False)  # the spec behind it, on use

    @property
    def stacks(self) -> list[str]:
        return sorted({resource.stack for resource in self.resources})

    def origin(self, resource: Resource) -> Origin | None:
        return self.provenance.lookup(resource.address, resource.stack) if self.provenance else None


def read_out_dir(out_dir: Path, provenance: Provenance | None = None, spec_file: Path | None = None) -> Inventory:
    """The stacks the last synth wrote (per OUT/nexus.json): a folder left by an older spec is not one of them.
    `provenance` and `spec_file`: what the caller already has in memory (a synth it just ran), else read here."""
    stack_files = current_stack_files(out_dir)
    resources, regions = [], {}
    for stack_json in stack_files:
        document = read_json(stack_json)
        resources += terraform_json_resources(stack_json.parent.name, document)
        regions[stack_json.parent.name] = provider_regions(document.get("provider"))
    if provenance is None and (out_dir / PROVENANCE_FILE).is_file():
        provenance = Provenance.read(out_dir)
    if spec_file is None and provenance and provenance.spec_file not in ("", "<spec>"):
        candidate = (out_dir / provenance.spec_file).resolve()
        spec_file = candidate if candidate.is_file() else None
    return Inventory("out_dir", out_dir, resources, provenance, read_findings(out_dir), spec_file, regions)


def read_findings(out_dir: Path) -> dict[tuple[str, str], list[dict]]:
    """OUT/findings.json from the last `nexus check`, keyed by (stack, address); empty when there is none."""
    path = out_dir / FINDINGS_FILE
    if not path.is_file():
        return {}
    findings: dict[tuple[str, str], list[dict]] = {}
    for finding in read_json(path).get("findings", []):
        if isinstance(finding, dict) and finding.get("address"):
            findings.setdefault((finding.get("stack") or "", finding["address"]), []).append(finding)
    return findings


def json_inventory(data, stack: str, path: Path) -> Inventory:
    """A plan, a state or a Terraform JSON configuration already in memory, as the resources of `stack`."""
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a JSON object (a plan, a state or a Terraform JSON configuration)")
    inventory = _json_inventory(data, stack, path)
    inventory.secrets = Secrets(sensitive_values(data))
    return inventory


def _json_inventory(data: dict, stack: str, path: Path) -> Inventory:
    if "planned_values" in data or "resource_changes" in data or "configuration" in data:
        providers = _mapping(_mapping(data.get("configuration")).get("provider_config"))
        regions = {stack: provider_regions({entry.get("name", key): _constants(entry.get("expressions"))
                                            for key, entry in providers.items() if isinstance(entry, dict)})}
        return Inventory("plan", path, plan_resources(stack, data), regions=regions)
    if "values" in data and isinstance(data["values"], dict):
        return Inventory("state", path, shown_state_resources(stack, data))
    if isinstance(data.get("resources"), list):
        return Inventory("state", path, raw_state_resources(stack, data))
    if any(key in data for key in ("resource", "data", "module")):
        return Inventory("terraform_json", path, terraform_json_resources(stack, data),
                         regions={stack: provider_regions(data.get("provider"))})
    raise UsageError(f"{path}: not a Terraform plan, state or configuration (no planned_values, values, "
                     "resources or resource block)")


def read_json(path: Path):
    """A JSON file as Terraform writes it (no NaN or Infinity); a clear usage error when it is not one."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_a_json_number)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read: {error}") from None
    except ValueError as error:
        raise UsageError(f"{path}: not valid JSON: {error}") from None
    except RecursionError:
        raise UsageError(f"{path}: not a Terraform file: nested too deeply to read") from None


def _not_a_json_number(word: str):
    """Python reads NaN and Infinity, which JSON (and a browser reading the HTML page) does not."""
    raise ValueError(f"{word} is not a JSON value")


# ---------------------------------------------------------------- Terraform JSON (cdk.tf.json and *.tf.json)
def terraform_json_resources(stack: str, document: dict, module: str = "") -> list[Resource]:
    resources = []
    for mode, section in (("managed", "resource"), ("data", "data")):
        for type_name, block in _mapping(document.get(section)).items():
            for name, body in _mapping(block).items():
                resources.append(_configured(stack, module, mode, type_name, name, _first(body)))
    for name, body in _mapping(document.get("module")).items():
        resources.append(_configured(stack, module, "module", "module", name, _first(body)))
    through_locals = _local_addresses(_locals(document))
    if through_locals:  # synthesized stacks have no locals: skip a second walk of every body
        for resource in resources:
            for local in locals_in(resource.body):
                resource.references |= {_in_module(module, ref) for ref in through_locals.get(local, ())}
    return resources


def _locals(document: dict) -> dict:
    """`locals` as one mapping: JSON gives an object or a list of objects, python-hcl2 a list of blocks."""
    merged: dict = {}
    for block in document.get("locals") if isinstance(document.get("locals"), list) else [document.get("locals")]:
        merged.update({key: value for key, value in _mapping(block).items() if key != "__is_block__"})
    return merged


def _local_addresses(values: dict) -> dict[str, set[str]]:
    """The addresses each local value leads to, through other locals too (a reference through a local is a
    real reference: `vpc_id = local.vpc_id` where `local.vpc_id = aws_vpc.this[0].id`)."""
    direct = {name: addresses_in(value) for name, value in values.items()}
    uses = {name: locals_in(value) for name, value in values.items()}
    resolved: dict[str, set[str]] = {}

    def resolve(name: str, seen: frozenset) -> set[str]:
        if name in resolved:
            return resolved[name]
        found = set(direct.get(name, ()))
        for other in uses.get(name, ()):
            if other not in seen:
                found |= resolve(other, seen | {other})
        resolved[name] = found
        return found

    return {name: resolve(name, frozenset({name})) for name in values}


def _configured(stack: str, module: str, mode: str, type_name: str, name: str, body) -> Resource:
    body = body if isinstance(body, dict) else {}
    local = {"managed": f"{type_name}.{name}", "data": f"data.{type_name}.{name}", "module": f"module.{name}"}[mode]
    settings = {key: value for key, value in body.items() if key not in ("//", "depends_on")}
    depends = {address for entry in _list(body.get("depends_on")) for address in _dependency(entry)}
    return Resource(stack, _in_module(module, local), mode, type_name, name, settings,
                    instances=[settings] * _literal_count(settings),
                    references={_in_module(module, ref) for ref in addresses_in(settings)},
                    depends_on={_in_module(module, ref) for ref in depends})


def _dependency(entry) -> list[str]:
    """`depends_on` holds bare addresses in JSON (`"aws_lb.x"`) and expressions in HCL (`"${aws_lb.x}"`)."""
    if not isinstance(entry, str):
        return []
    text = entry[2:-1] if entry.startswith("${") and entry.endswith("}") else entry
    match = TRAVERSAL.match(text.strip())
    return [match.group(1)] if match else []


def _literal_count(settings: dict) -> int:
    """Instances the configuration asks for when that is a literal; one otherwise (unknown until plan)."""
    count = settings.get("count")
    if isinstance(count, bool):
        return 1
    if isinstance(count, int) and count >= 0:
        return count
    for_each = settings.get("for_each")
    if isinstance(for_each, (dict, list)) and not isinstance(for_each, str):
        return len(for_each)
    return 1


# ---------------------------------------------------------------- HCL (.tf) via python-hcl2
def read_terraform_dir(directory: Path) -> Inventory:
    stack = directory.resolve().name
    resources, regions = _hcl_resources(stack, sorted(directory.glob("*.tf")))
    for json_file in sorted(directory.glob("*.tf.json")):
        document = read_json(json_file)
        if isinstance(document, dict):
            resources += terraform_json_resources(stack, document)
            regions.update(provider_regions(document.get("provider")))
    return Inventory("hcl", directory, resources, regions={stack: regions})


def read_terraform_file(tf_file: Path) -> Inventory:
    resources, regions = _hcl_resources(tf_file.stem, [tf_file])
    return Inventory("hcl", tf_file, resources, regions={tf_file.stem: regions})


def provider_regions(providers) -> dict[str, str]:
    """The literal region of each cloud's (first) provider block: aws/google `region`, azurerm has none."""
    regions = {}
    for name, blocks in _mapping(providers).items():
        block = _first(blocks)
        region = block.get("region") if isinstance(block, dict) else None
        if isinstance(region, str) and "${" not in region:
            regions[CLOUD_OF_PREFIX.get(name.split("-")[0], name)] = region
    return regions


def _hcl_resources(stack: str, files: list[Path]) -> tuple[list[Resource], dict[str, str]]:
    import hcl2

    resources, regions = [], {}
    for tf_file in files:
        try:
            with tf_file.open(encoding="utf-8") as handle:
                document = hcl2.load(handle)
        except Exception as error:  # python-hcl2 raises lark errors of several kinds for bad syntax
            raise UsageError(f"{tf_file}: not valid HCL: {str(error).splitlines()[0] if str(error) else error}") \
                from None
        folded = _hcl_as_terraform_json(document)
        resources += terraform_json_resources(stack, folded)
        regions.update(provider_regions(folded["provider"]))
    return resources, regions


def _hcl_as_terraform_json(document: dict) -> dict:
    """python-hcl2 gives lists of one-key blocks with quoted labels; fold them into Terraform's JSON shape."""
    folded: dict = {"resource": {}, "data": {}, "module": {}, "provider": {},
                    "locals": [_hcl_value(block) for block in _list(document.get("locals"))]}
    for section in ("resource", "data"):
        for block in _list(document.get(section)):
            for type_name, named in _mapping(block).items():
                for name, body in _mapping(named).items():
                    folded[section].setdefault(_unquote(type_name), {})[_unquote(name)] = _hcl_value(body)
    for section in ("module", "provider"):
        for block in _list(document.get(section)):
            for name, body in _mapping(block).items():
                folded[section].setdefault(_unquote(name), _hcl_value(body))
    return folded


def _hcl_value(value):
    if isinstance(value, dict):
        return {_unquote(key): _hcl_value(item) for key, item in value.items() if key != "__is_block__"}
    if isinstance(value, list):
        return [_hcl_value(item) for item in value]
    if isinstance(value, str):
        return _unquote(value)
    return value


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


# ---------------------------------------------------------------- plan and state JSON
def plan_resources(stack: str, plan: dict) -> list[Resource]:
    """Nodes from the configuration (with its reference lists), values from planned_values per instance."""
    found: dict[str, Resource] = {}
    configuration = _mapping(plan.get("configuration"))
    _configuration_module(stack, _mapping(configuration.get("root_module")), "", found)
    planned = _mapping(_mapping(plan.get("planned_values")).get("root_module"))
    _values_module(stack, planned, found, replace_configured=True)
    return list(found.values())


def _configuration_module(stack: str, module: dict, prefix: str, found: dict[str, Resource]) -> None:
    for entry in _list(module.get("resources")):
        if not isinstance(entry, dict) or "type" not in entry or "name" not in entry:
            continue
        mode = "data" if entry.get("mode") == "data" else "managed"
        local = f"data.{entry['type']}.{entry['name']}" if mode == "data" else f"{entry['type']}.{entry['name']}"
        address = _in_module(prefix, local)
        found[address] = Resource(
            stack, address, mode, entry["type"], entry["name"], _constants(entry.get("expressions")),
            references={_in_module(prefix, ref) for ref in _reference_lists(entry)},
            depends_on={_in_module(prefix, ref) for item in _list(entry.get("depends_on"))
                        for ref in _dependency(item)})
    for name, call in _mapping(module.get("module_calls")).items():
        address = _in_module(prefix, f"module.{name}")
        call = _mapping(call)
        found[address] = Resource(stack, address, "module", "module", name,
                                  {"source": call.get("source"), **_constants(call.get("expressions"))},
                                  instances=[{}], references={_in_module(prefix, ref) for ref in _reference_lists(call)})
        _configuration_module(stack, _mapping(call.get("module")), address, found)


def _reference_lists(entry: dict) -> set[str]:
    """Addresses from every `references` list in a configuration entry (expressions, count, for_each)."""
    addresses = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "references" and isinstance(item, list):
                    addresses.update(match.group(1) for ref in item if isinstance(ref, str)
                                     for match in [TRAVERSAL.match(ref)] if match)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({key: value for key, value in entry.items() if key != "depends_on"})
    return addresses


def _constants(expressions) -> dict:
    if isinstance(expressions, list):
        return {"blocks": [_constants(item) for item in expressions]} if expressions else {}
    if not isinstance(expressions, dict):
        return {}
    values = {}
    for key, item in expressions.items():
        if isinstance(item, dict) and "constant_value" in item:
            values[key] = item["constant_value"]
        elif isinstance(item, list) and item and isinstance(item[0], dict):
            values[key] = [_constants(block) for block in item]
    return values


def _values_module(stack: str, module: dict, found: dict[str, Resource], replace_configured: bool) -> None:
    for entry in _list(module.get("resources")):
        if not isinstance(entry, dict) or not isinstance(entry.get("address"), str):
            continue
        address = INDEX.sub("", entry["address"])
        values = _mapping(entry.get("values"))
        resource = found.get(address)
        if resource is None:
            mode = "data" if entry.get("mode") == "data" else "managed"
            resource = found[address] = Resource(stack, address, mode, str(entry.get("type", "")),
                                                 str(entry.get("name", "")), values)
        elif replace_configured and not resource.instances:
            resource.body = {**resource.body, **values}
        resource.instances.append(values)
        resource.depends_on |= {INDEX.sub("", ref) for ref in _list(entry.get("depends_on")) if isinstance(ref, str)}
    for child in _list(module.get("child_modules")):
        _values_module(stack, _mapping(child), found, replace_configured)


def shown_state_resources(stack: str, state: dict) -> list[Resource]:
    found: dict[str, Resource] = {}
    _values_module(stack, _mapping(_mapping(state["values"]).get("root_module")), found, replace_configured=False)
    return list(found.values())


def raw_state_resources(stack: str, state: dict) -> list[Resource]:
    found: dict[str, Resource] = {}
    for entry in state["resources"]:
        if not isinstance(entry, dict) or "type" not in entry or "name" not in entry:
            continue
        mode = "data" if entry.get("mode") == "data" else "managed"
        local = f"data.{entry['type']}.{entry['name']}" if mode == "data" else f"{entry['type']}.{entry['name']}"
        address = _in_module(INDEX.sub("", str(entry.get("module") or "")), local)
        instances = [_mapping(instance.get("attributes")) for instance in _list(entry.get("instances"))
                     if isinstance(instance, dict)]
        resource = found.setdefault(address, Resource(stack, address, mode, entry["type"], entry["name"],
                                                      instances[0] if instances else {}))
        resource.instances += instances
        for instance in _list(entry.get("instances")):
            if isinstance(instance, dict):
                resource.depends_on |= {INDEX.sub("", ref) for ref in _list(instance.get("dependencies"))
                                        if isinstance(ref, str)}
    return list(found.values())


# ---------------------------------------------------------------- small helpers
def _in_module(module: str, address: str) -> str:
    return f"{module}.{address}" if module else address


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _first(body):
    """Terraform JSON allows a block as an object or as a list of objects."""
    return body[0] if isinstance(body, list) and body else body
