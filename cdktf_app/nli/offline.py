"""Offline generation: intent -> a blueprint and its parameters -> rendered spec -> the few edits the blueprint's
parameters cannot express (other clouds, standards, components added or left out, engines).

A blueprint is used only when the prompt names its industry or a standard it is built for; otherwise the spec is
built from an empty base with just the components asked for (and the network they run in). A prompt that names
neither is an error listing what was understood: it never turns into some blueprint's app.

Everything here is deterministic: the same prompt gives the same spec, byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..blueprints.catalog import get_blueprint, render_blueprint, resolve_values
from ..compliance.packs import check_cloud
from ..errors import BlueprintError, UsageError
from ..spec.document import (add_last_entry, append_item, delete_entry, delete_top_level, dump_document,
                             load_document)
from ..spec.model import AVAILABILITY, CLOUDS, DATABASE_VERSIONS, REFERENCE_FIELDS
from .exceptions import exceptions_for
from .intent import Intent

INDUSTRY_BLUEPRINTS = {"fintech": "fintech", "ecommerce": "ecommerce", "healthcare": "healthcare",
                       "gamedev": "gamedev", "devops": "devops-platform"}

SECRET_MANAGERS = {"aws": "aws-secrets-manager", "gcp": "gcp-secret-manager", "azure": "azure-key-vault"}
DEFAULT_REGIONS = {"aws": ("region", "us-east-1"), "gcp": ("region", "us-central1"), "azure": ("location", "eastus")}
PLACEHOLDER_IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine"
SCALED_TYPES = ("service", "kubernetes", "vm_group")
# Component kinds that run inside a network; a spec built from components gets one when it has any of them.
NETWORKED = ("service", "api", "database", "cache", "kubernetes", "vm_group")
DEFAULT_SPEC_NAME = "app"


@dataclass
class OfflineDraft:
    blueprint: str | None                   # None: built from the components asked for
    parameters: dict[str, Any]
    text: str
    adjustments: list[str] = field(default_factory=list)


def choose_blueprint(intent: Intent, forced: str | None = None) -> str | None:
    """The blueprint whose industry or standard the prompt names; None when it names neither (clouds, regions
    or components alone do not make a payments app)."""
    if forced:
        get_blueprint(forced)  # unknown names fail here with the list of blueprints
        return forced
    if intent.industry:
        return INDUSTRY_BLUEPRINTS[intent.industry]
    standards = {standard for standard, _ in intent.standards}
    if "hipaa" in standards:
        return "healthcare"
    if "pci-dss" in standards:
        return "fintech"
    return None


def offline_draft(intent: Intent, forced_blueprint: str | None = None) -> OfflineDraft:
    """The offline spec for `intent`; UsageError (exit 2) when the prompt names nothing Nexus can build."""
    if intent.air_gapped and not intent.edge_locations:
        raise UsageError("air-gapped edge sites need names: say e.g. 'air-gapped edge sites at factory_floor and "
                         "retail_store'" + _understood_suffix(intent))
    name = choose_blueprint(intent, forced_blueprint)
    adjustments: list[str] = []
    if name is None:
        if not intent.components and not intent.edge_locations:
            raise nothing_to_build(intent)
        parameters: dict[str, Any] = {}
        data = empty_spec(intent)
        scaled = None
        covered = f"no blueprint covers {intent.uncovered_domain}" if intent.uncovered_domain else \
            "the prompt names no industry or standard a blueprint is built for"
        adjustments.append(f"{covered}: built from the components asked for")
    else:
        parameters = blueprint_parameters(name, intent)
        data = load_document(render_blueprint(name, parameters))
        scaled = get_blueprint(name).knobs.scaled
    tailor(data, intent, scaled, adjustments)
    return OfflineDraft(blueprint=name, parameters=parameters, text=dump_document(data), adjustments=adjustments)


def empty_spec(intent: Intent) -> CommentedMap:
    """The base a spec without a blueprint starts from: name, the clouds asked for (AWS when none), dev unless
    environments are named, the high gate; tailor() adds the components. A network comes first when something
    asked for runs in one."""
    data = CommentedMap(apiVersion="nexus/v1", name=intent.name or DEFAULT_SPEC_NAME)
    providers = CommentedMap()
    for cloud in intent.clouds or ["aws"]:
        block = CommentedMap()
        if cloud == "gcp":
            block["project"] = _gcp_project(str(data["name"]))
        key, region = DEFAULT_REGIONS[cloud]
        block[key] = region
        providers[cloud] = block
    data["providers"] = providers
    data["environments"] = _block_list(intent.environments or ["dev"])
    data["compliance"] = CommentedMap(gate="high")
    data["components"] = CommentedMap()
    if set(intent.components) & set(NETWORKED):
        data["components"]["network"] = CommentedMap(type="network")
    return data


def nothing_to_build(intent: Intent) -> UsageError:
    if intent.uncovered_domain:
        reason = (f"no blueprint covers {intent.uncovered_domain}; name the parts to build, e.g. "
                  f"'{intent.uncovered_domain} ingest with a queue, a function and a bucket'")
    else:
        reason = ("the prompt names no industry or standard a blueprint is built for (payments/PCI, healthcare/"
                  "HIPAA, shop/ecommerce, game, CI/devops) and no component to build (a service, database, "
                  "queue, bucket, function, ...)")
    return UsageError(f"cannot build a spec offline: {reason}" + _understood_suffix(intent))


def _understood_suffix(intent: Intent) -> str:
    understood = understood_summary(intent)
    lines = [f"understood: {'; '.join(understood) if understood else 'nothing'}"]
    if intent.not_understood:
        lines.append(f"not understood: {', '.join(intent.not_understood)}")
    return "".join(f"\n  {line}" for line in lines)


def understood_summary(intent: Intent) -> list[str]:
    """What the parser took from a prompt, in words (for errors that must say what was understood)."""
    parts = [f"{label} {', '.join(values)}" for label, values in (
        ("clouds", intent.clouds), ("standards", [standard for standard, _ in intent.standards]),
        ("components", intent.components), ("without", intent.without),
        ("regions", list(intent.regions.values())), ("environments", intent.environments),
        ("edge sites", intent.edge_locations)) if values]
    if intent.scale_min is not None or intent.scale_max is not None:
        parts.append(f"scaling {intent.scale_min if intent.scale_min is not None else '?'}.."
                     f"{intent.scale_max if intent.scale_max is not None else '?'}")
    parts += [f"{label} {value}" for label, value in (("database", intent.db_engine), ("cache", intent.cache_engine),
                                                      ("runtime", intent.runtime), ("name", intent.name),
                                                      ("domain", intent.uncovered_domain)) if value]
    return parts


def blueprint_parameters(name: str, intent: Intent) -> dict[str, Any]:
    """The intent's values for the blueprint's own parameters; a value the parameter rejects is left to tailor()."""
    blueprint = get_blueprint(name)
    knobs = blueprint.knobs
    wanted: dict[str, Any] = {}
    if intent.name:
        wanted["name"] = intent.name
    if intent.environments:
        wanted["environments"] = intent.environments
    low_name, high_name = knobs.scale or (None, None)
    if intent.scale_min is not None and low_name:
        wanted[low_name] = intent.scale_min
    if intent.scale_max is not None and high_name:
        wanted[high_name] = intent.scale_max
    for cloud, parameter in knobs.region.items():
        if cloud in intent.regions:
            wanted[parameter] = intent.regions[cloud]
    if intent.db_engine and knobs.db_engine:
        wanted[knobs.db_engine] = intent.db_engine
    if intent.runtime and knobs.runtime:
        wanted[knobs.runtime] = intent.runtime
    if intent.edge_locations and knobs.edge:
        wanted[knobs.edge] = intent.edge_locations
    accepted = {}
    for key, value in wanted.items():
        parameter = blueprint.parameter(key)
        if parameter is None:
            continue
        try:
            resolve_values(blueprint, {key: value})
        except BlueprintError:
            continue
        accepted[key] = value
    if low_name in accepted and high_name in accepted and accepted[low_name] > accepted[high_name]:
        del accepted[low_name], accepted[high_name]
    try:
        resolve_values(blueprint, accepted)
    except BlueprintError:  # values fine alone but not together (min > the default max): tailor() sets them
        for key in (low_name, high_name):
            accepted.pop(key, None)
    return accepted


# ---------------------------------------------------------------- tailoring the rendered spec
def tailor(data: CommentedMap, intent: Intent, scaled: str | None, notes: list[str]) -> None:
    """`scaled`: the blueprint's component that carries the prompt's scale (its `knobs.scaled`)."""
    before = {name: dict(component) for name, component in _components(data).items()}
    clouds_before = _clouds_of(data)
    if intent.clouds:
        _retarget_clouds(data, intent, notes)
    _set_regions(data, intent)
    if intent.standards:
        _set_standards(data, intent, notes)
    _remove_components(data, intent.without, notes)
    _add_components(data, intent, notes)
    if intent.only_asked:
        _keep_only_asked(data, intent, notes)
    if intent.edge_locations:
        _set_edge(data, intent, notes)
    _fit_availability(data, notes)
    _set_engines(data, intent, notes)
    _set_scaling(data, intent, scaled, notes)
    if intent.runtime:
        for component in _components(data).values():
            if component.get("type") == "function":
                component["runtime"] = intent.runtime
    _pin_cdn_with_origin(data, notes)
    followers = _pin_to_references(_components(data))
    if followers:
        notes.append(f"pinned to the cloud of the component they use: {', '.join(followers)}")
    clouds_changed = clouds_before != _clouds_of(data)
    if clouds_changed:
        _drop_foreign_suppressions(data, notes)
    _accept_blueprint_exceptions(data, [name for name, component in _components(data).items()
                                        if clouds_changed or before.get(name) != dict(component)], notes)


def _accept_blueprint_exceptions(data: CommentedMap, changed: list[str], notes: list[str]) -> None:
    """Components added or changed get the suppressions Nexus's blueprints give their kind (with the reason)."""
    compliance = data.setdefault("compliance", CommentedMap())
    present = {(item.get("check"), item.get("resource")) for item in compliance.get("suppressions") or []}
    accepted = []
    for name in changed:
        component = _components(data)[name]
        accepted += [CommentedMap(suppression)
                     for suppression in exceptions_for(name, component, _component_clouds(data, component))
                     if (suppression["check"], name) not in present]
    if not accepted:
        return
    if compliance.get("suppressions") is None:
        add_last_entry(compliance, "suppressions", _block_list(accepted))
    else:
        for suppression in accepted:
            append_item(compliance["suppressions"], suppression)
    described = [f"{item['check']} on {item['resource']}" for item in accepted]
    notes.append(f"accepted the exceptions Nexus's blueprints make for the same kind of component: "
                 f"{', '.join(described)}")


def _drop_foreign_suppressions(data: CommentedMap, notes: list[str]) -> None:
    """Suppressions of checks for a cloud the spec no longer uses suppress nothing: they go, with their comments."""
    compliance = data.get("compliance") or {}
    suppressions = compliance.get("suppressions")
    if not suppressions:
        return
    clouds = _clouds_of(data)
    foreign = [index for index, item in enumerate(suppressions)
               if check_cloud(str(item.get("check", ""))) not in (*clouds, None)]
    if not foreign:
        return
    notes.append(f"dropped {len(foreign)} suppression(s) of checks for clouds the spec no longer uses")
    if len(foreign) == len(suppressions):
        delete_entry(data, "compliance", "suppressions")
        return
    for index in reversed(foreign):
        delete_entry(compliance, "suppressions", index)


def _component_clouds(data: CommentedMap, component: dict) -> list[str]:
    return [component["provider"]] if component.get("provider") else _clouds_of(data)


def _components(data: CommentedMap) -> CommentedMap:
    return data.setdefault("components", CommentedMap())


def _clouds_of(data: CommentedMap) -> list[str]:
    return [cloud for cloud in CLOUDS if cloud in data["providers"]]


def _retarget_clouds(data: CommentedMap, intent: Intent, notes: list[str]) -> None:
    current = _clouds_of(data)
    if set(current) == set(intent.clouds):
        return
    providers = data["providers"]
    spec_name = str(data.get("name", "app"))
    for cloud in current:
        if cloud not in intent.clouds:
            del providers[cloud]
    for cloud in intent.clouds:
        if cloud not in providers:
            block = CommentedMap()
            if cloud == "gcp":
                block["project"] = _gcp_project(spec_name)
            key, region = DEFAULT_REGIONS[cloud]
            block[key] = region
            providers[cloud] = block
    notes.append(f"clouds: {', '.join(intent.clouds)} instead of the blueprint's {', '.join(current)}")
    for component in _components(data).values():
        if component.get("provider") and component["provider"] not in intent.clouds:
            component["provider"] = intent.clouds[0]
    _retarget_secrets(data, intent.clouds[0], notes)
    if len(intent.clouds) > 1:
        # A secret lives in one cloud's secret manager; what reads it runs in that cloud.
        readers = [name for name, component in _components(data).items()
                   if component.get("secrets") and not component.get("provider")]
        for name in readers:
            _components(data)[name]["provider"] = intent.clouds[0]
        if readers:
            notes.append(f"pinned to {intent.clouds[0]} (they read its secret manager): {', '.join(readers)}")


def _retarget_secrets(data: CommentedMap, cloud: str, notes: list[str]) -> None:
    """Secrets follow the spec to CLOUD: an external or generated one to its secret manager; a managed one (the
    database's own password) stays with its database, except on Azure, whose databases take Entra ID sign-in
    only: there it is dropped with its readers' references."""
    secrets = data.get("secrets") or {}
    for name, secret in list(secrets.items()):
        if secret.get("kind") != "managed":
            secret["from"] = SECRET_MANAGERS[cloud]
        elif cloud == "azure":
            _drop_secret(data, name)
            notes.append(f"secret {name} dropped: Azure databases take Entra ID sign-in only (no password to read)")


def _drop_secret(data: CommentedMap, name: str) -> None:
    """Delete secret NAME (with its comment; `secrets:` too once empty) and every component's reference to it."""
    delete_entry(data, "secrets", name)
    if not data["secrets"]:
        delete_top_level(data, "secrets")
    for component in _components(data).values():
        if name in (component.get("secrets") or []):
            component["secrets"].remove(name)
            if not component["secrets"]:
                del component["secrets"]


def _pin_cdn_with_origin(data: CommentedMap, notes: list[str]) -> None:
    """In a spec spanning clouds, an unpinned CDN and its origin go to the first cloud together: one edge in
    front of one origin. Elsewhere the origin would be built in every cloud, and Front Door reaches a storage
    account only over its public endpoint, which the gate refuses under PCI-DSS (CKV_AZURE_59)."""
    clouds = _clouds_of(data)
    if len(clouds) < 2:
        return
    components = _components(data)
    pinned = []
    for name, component in components.items():
        origin = components.get(component.get("origin"))
        if component.get("type") != "cdn" or component.get("provider") or origin is None:
            continue
        component["provider"] = origin.get("provider") or clouds[0]
        pinned.append(name)
        if not origin.get("provider"):
            origin["provider"] = component["provider"]
            pinned.append(str(component["origin"]))
    if pinned:
        notes.append(f"a CDN and its origin live in one cloud: {', '.join(pinned)} pinned to "
                     f"{components[pinned[0]]['provider']}")


def _pin_to_references(components: CommentedMap) -> list[str]:
    """Pin each unpinned component that names a pinned one (a CDN's origin, a function's trigger) to its cloud."""
    pinned = []
    changed = True
    while changed:
        changed = False
        for name, component in components.items():
            if component.get("provider"):
                continue
            for field in REFERENCE_FIELDS:
                target = components.get(component.get(field))
                if target is not None and target.get("provider"):
                    component["provider"] = target["provider"]
                    pinned.append(name)
                    changed = True
                    break
    return pinned


def _gcp_project(spec_name: str) -> str:
    project = f"{spec_name}-project"[:30].rstrip("-")
    return project if len(project) >= 6 else f"{project}-prj1"


def _set_regions(data: CommentedMap, intent: Intent) -> None:
    for cloud, region in intent.regions.items():
        block = data["providers"].get(cloud)
        if block is None:
            continue
        key = DEFAULT_REGIONS[cloud][0]
        block[key] = region
        if cloud == "aws" and "allowed_regions" in block and region not in block["allowed_regions"]:
            block["allowed_regions"] = _block_list([region])


def _set_standards(data: CommentedMap, intent: Intent, notes: list[str]) -> None:
    compliance = data.setdefault("compliance", CommentedMap())
    declared = [next(iter(item)) if isinstance(item, dict) else str(item)
                for item in compliance.get("standards") or []]
    wanted = list(dict.fromkeys(intent.standards))
    compliance["standards"] = _block_list([CommentedMap([(standard, version)]) for standard, version in wanted])
    dropped = [standard for standard in declared if standard not in {s for s, _ in wanted}]
    if dropped:
        notes.append(f"standards: declared {', '.join(s for s, _ in wanted)} as asked; the blueprint also "
                     f"declared {', '.join(dropped)}")


def _remove_components(data: CommentedMap, types: list[str], notes: list[str]) -> None:
    components = _components(data)
    removed = [name for name, component in components.items() if component.get("type") in types]
    while removed:
        notes.append(f"left out: {', '.join(removed)}")
        removed = _delete_components(data, removed)


def _keep_only_asked(data: CommentedMap, intent: Intent, notes: list[str]) -> None:
    """"Nothing else": every component whose type was not asked for goes, except what a kept one names (its
    network, origin or trigger)."""
    components = _components(data)
    asked = {"service" if kind == "api" else kind for kind in intent.components}
    keep = {name for name, component in components.items() if component.get("type") in asked}
    pending = list(keep)
    while pending:
        component = components[pending.pop()]
        for field in REFERENCE_FIELDS:
            target = component.get(field)
            if target in components and target not in keep:
                keep.add(target)
                pending.append(target)
    gone = [name for name in components if name not in keep]
    if gone:
        notes.append(f"left out (nothing else was asked for): {', '.join(gone)}")
    _delete_components(data, gone)


def _set_edge(data: CommentedMap, intent: Intent, notes: list[str]) -> None:
    providers = data["providers"]
    edge = providers.get("edge")
    if edge is None:
        edge = providers["edge"] = CommentedMap()
        notes.append(f"added: edge sites {', '.join(intent.edge_locations)}")
    edge["locations"] = _block_list(list(intent.edge_locations))
    if intent.air_gapped:
        edge["update_strategy"] = "air_gapped"


def _delete_components(data: CommentedMap, names: list[str]) -> list[str]:
    """Delete NAMES and unhook what pointed at them; returns the CDNs left without their origin."""
    for name in names:
        delete_component(data, name)
    for secret, settings in list((data.get("secrets") or {}).items()):
        if settings.get("kind") == "managed" and settings.get("database") in names:
            _drop_secret(data, secret)   # a database's own password goes with the database
    return _drop_references(_components(data), set(names)) if names else []


def _drop_references(components: CommentedMap, gone: set[str]) -> list[str]:
    """Unhook what pointed at removed components; a CDN whose origin is gone goes too."""
    orphans = []
    for name, component in components.items():
        if component.get("origin") in gone:
            orphans.append(name)
        if component.get("trigger") in gone:
            del component["trigger"]
        if component.get("network") in gone:
            del component["network"]
        if "watch" in component:
            component["watch"] = _block_list([item for item in component["watch"] if item not in gone])
    return orphans


def _add_components(data: CommentedMap, intent: Intent, notes: list[str]) -> None:
    components = _components(data)
    present = {component.get("type") for component in components.values()}
    wanted = [component for component in intent.components if component not in present]
    services = [name for name, c in components.items() if c.get("type") == "service"]
    if intent.tiers == 3 and len(services) + wanted.count("service") < 2:
        wanted.append("api")
    for kind in wanted:
        block = _new_component(kind, data, intent)
        if block is None:
            notes.append(f"not added: {kind} (needs a cloud this spec does not use)")
            continue
        name = _free_name(components, kind)
        components[name] = block
        notes.append(f"added: {name} ({block['type']})")


def _new_component(kind: str, data: CommentedMap, intent: Intent) -> CommentedMap | None:
    components = _components(data)
    network = next((name for name, c in components.items() if c.get("type") == "network"), None)
    clouds = _clouds_of(data)
    offered = AVAILABILITY.get(kind)
    if offered and not set(offered) & set(clouds):
        return None
    block = CommentedMap(type="service" if kind == "api" else kind)
    if kind in ("service", "api"):
        block.update(image=PLACEHOLDER_IMAGE, port=8080, public=kind == "service", health_check="/")
    elif kind == "database":
        block.update(engine=intent.db_engine or "postgres")
    elif kind == "cache":
        block.update(engine=intent.cache_engine or "redis")
    elif kind == "function" and intent.runtime:
        block.update(runtime=intent.runtime)
    elif kind == "monitoring":
        block.update(notify="alerts@example.com")
    elif kind == "cdn":
        origin = next((name for name, c in components.items()
                       if c.get("type") == "bucket" or (c.get("type") == "service" and c.get("public"))), None)
        if origin is None:
            origin = "assets"
            components[origin] = CommentedMap(type="bucket")
        block.update(origin=origin)
    if network and kind in ("service", "api", "database", "cache", "kubernetes", "vm_group"):
        block["network"] = network
    return block


def _free_name(components: CommentedMap, kind: str) -> str:
    base = {"database": "db", "kubernetes": "cluster", "vm_group": "vms", "service": "web"}.get(kind, kind)
    name, index = base, 2
    while name in components:
        name, index = f"{base}{index}", index + 1
    return name


def _fit_availability(data: CommentedMap, notes: list[str]) -> None:
    """Pin a component to a cloud that offers it, or leave it out when none of the spec's clouds does."""
    clouds = _clouds_of(data)
    components = _components(data)
    missing = []
    for name, component in components.items():
        offered = AVAILABILITY.get(component.get("type"))
        if not offered:
            continue
        if set(_component_clouds(data, component)) <= set(offered):
            continue
        usable = [cloud for cloud in clouds if cloud in offered]
        if usable:
            component["provider"] = usable[0]
        else:
            missing.append(name)
    if missing:
        notes.append(f"left out: {', '.join(missing)} (not offered on {', '.join(clouds)})")
    _delete_components(data, missing)


def _set_engines(data: CommentedMap, intent: Intent, notes: list[str]) -> None:
    for name, component in _components(data).items():
        if component.get("type") == "database" and intent.db_engine:
            versions = DATABASE_VERSIONS[intent.db_engine]
            version = intent.db_version if intent.db_version in versions else versions[-1]
            if component.get("engine") != intent.db_engine or str(component.get("version", version)) != version:
                component["engine"] = intent.db_engine
                if "version" in component or intent.db_version:
                    component["version"] = version
            if intent.db_version and intent.db_version not in versions:
                notes.append(f"{name}: {intent.db_engine} {intent.db_version} is not offered; using {version}")
        if component.get("type") == "cache" and intent.cache_engine:
            component["engine"] = intent.cache_engine


def _set_scaling(data: CommentedMap, intent: Intent, preferred: str | None, notes: list[str]) -> None:
    if intent.scale_min is None and intent.scale_max is None:
        return
    components = _components(data)
    target = _scaled_component(components, intent, preferred)
    if target is None:
        notes.append("scaling bounds ignored: the spec has nothing that scales")
        return
    component = components[target]
    low = intent.scale_min if intent.scale_min is not None else min(int(component.get("min", 1)), intent.scale_max)
    high = intent.scale_max if intent.scale_max is not None else max(int(component.get("max", 2)), low)
    component["min"], component["max"] = low, high


def _scaled_component(components: CommentedMap, intent: Intent, preferred: str | None) -> str | None:
    if intent.scale_target:
        for name, component in components.items():
            if component.get("type") == intent.scale_target:
                return name
    if preferred in components and components[preferred].get("type") in SCALED_TYPES:
        return preferred
    ranked = sorted((name for name, c in components.items() if c.get("type") in SCALED_TYPES),
                    key=lambda name: not components[name].get("public"))
    return ranked[0] if ranked else None


# ---------------------------------------------------------------- editing the document
def delete_component(data: CommentedMap, name: str) -> None:
    delete_entry(data, "components", name)


def _block_list(items: list) -> CommentedSeq:
    sequence = CommentedSeq(items)
    sequence.fa.set_block_style()
    return sequence
