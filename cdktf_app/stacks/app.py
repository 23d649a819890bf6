"""Building the CDK app: one TerraformStack per (environment x cloud) and one per edge location."""
from __future__ import annotations

import difflib
import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any

from ..dr.standby import STANDBY_SUFFIX, Standby, standby_site
from ..errors import SpecError
from ..spec.loader import LoadedSpec
from ..spec.model import CLOUDS, REFERENCE_FIELDS, Network, Spec
from .backends import add_backend
from ..kit.context import StackContext
from ..kit.provenance import Provenance
from .preload import guard_node_exit, wait_for_bindings
from .runtime import prepare_jsii_environment
from ..kit.text import escape_model, escape_value

# Component types that must run inside a network on every cloud.
NEEDS_NETWORK = ("service", "vm_group", "kubernetes", "database", "cache")
IMPLICIT_NETWORK = "network"


@dataclass(frozen=True)
class StackInfo:
    name: str
    environment: str
    provider: str
    location: str | None = None
    update_strategy: str | None = None
    components: tuple[str, ...] = ()


@dataclass
class BuiltApp:
    app: Any
    stacks: list[StackInfo]
    provenance: Provenance
    contexts: list[StackContext] = field(default_factory=list)


def stack_name(spec: Spec, environment: str, provider: str, location: str | None = None) -> str:
    suffix = f"{provider}-{location.replace('_', '-')}" if location else provider
    return f"{spec.name}-{environment}-{suffix}"


def build_app(loaded: LoadedSpec, outdir: str, spec_file_label: str) -> BuiltApp:
    """Create the cdktn App for a spec. Nothing is written until `app.synth()`."""
    spec = _with_implicit_networks(escape_model(loaded.spec))   # plain Python: while an early bindings load runs
    on_cloud = {cloud: _components_on(spec, cloud) for cloud in CLOUDS}
    prepare_jsii_environment()
    wait_for_bindings()
    import cdktn

    guard_node_exit()
    app = cdktn.App(outdir=outdir, stack_traces=False)
    provenance = Provenance(spec_file=spec_file_label)
    built = BuiltApp(app=app, stacks=[], provenance=provenance)
    for environment in spec.environments:
        for cloud in CLOUDS:
            names = on_cloud[cloud]
            if names:
                primary = _build_cloud_stack(built, loaded, spec, environment, cloud, names)
                _build_standby_stack(built, loaded, spec, environment, cloud, primary)
        if spec.providers.edge:
            for location in spec.providers.edge.locations:
                _build_edge_stack(built, loaded, spec, environment, location)
    _apply_overrides(built, loaded, spec)
    return built


def _components_on(spec: Spec, cloud: str) -> list[str]:
    if getattr(spec.providers, cloud) is None:
        return []
    return _reference_order(spec, [name for name, component in spec.components.items()
                                   if cloud in spec.clouds_for(component)])


def _reference_order(spec: Spec, names: list[str]) -> list[str]:
    """Components after the ones they name (network, origin, trigger, a secret's database); otherwise in spec
    order."""
    ordered: list[str] = []
    visited, wanted = set(), set(names)  # sets: a list's `in` made this quadratic in the component count
    networks = [name for name in names if spec.components[name].type == "network"]

    def visit(name: str) -> None:
        if name in visited or name not in wanted:
            return
        visited.add(name)
        component = spec.components[name]
        for field_name in REFERENCE_FIELDS:
            target = getattr(component, field_name, None)
            if target:
                visit(target)
        for secret in getattr(component, "secrets", []):
            database = spec.secrets[secret].database  # a managed secret is its database's master secret
            if database:
                visit(database)
        for watched in getattr(component, "watch", None) or ([] if component.type != "monitoring" else names):
            if watched != name:
                visit(watched)
        if component.type in NEEDS_NETWORK and not getattr(component, "network", None):
            for network in networks:
                visit(network)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _with_implicit_networks(spec: Spec) -> Spec:
    """Give a cloud a default network when a component there needs one and the spec declares none there."""
    components = dict(spec.components)
    clouds = [cloud for cloud in CLOUDS if getattr(spec.providers, cloud) is not None]
    for cloud in clouds:
        on_cloud = [c for c in spec.components.values() if cloud in spec.clouds_for(c)]
        if any(c.type in NEEDS_NETWORK for c in on_cloud) and not any(c.type == "network" for c in on_cloud):
            name = IMPLICIT_NETWORK if len(clouds) == 1 else f"{cloud}_{IMPLICIT_NETWORK}"
            if name not in components:
                components[name] = Network(type="network", provider=cloud)
    if len(components) == len(spec.components):
        return spec
    return spec.model_copy(update={"components": components})


def _build_cloud_stack(built: BuiltApp, loaded: LoadedSpec, spec: Spec, environment: str, cloud: str,
                       names: list[str], standby: Standby | None = None):
    import cdktn

    from ..components.registry import cloud_setup, construct_class

    name = stack_name(spec, environment, cloud) + (STANDBY_SUFFIX if standby else "")
    stack = cdktn.TerraformStack(built.app, name)
    add_backend(stack, spec, name)
    ctx = StackContext(stack=stack, stack_name=name, loaded=loaded, spec=spec, cloud=cloud,
                       environment=environment + (STANDBY_SUFFIX if standby else ""), provenance=built.provenance,
                       standby=standby)
    cloud_setup(cloud)(ctx)
    if standby:
        _standby_setup(ctx)
    for component_name in names:
        component = spec.components[component_name]
        construct_class(cloud, component.type)(ctx, component_name, component).build()
    ctx.finish()
    built.contexts.append(ctx)
    built.stacks.append(StackInfo(name=name, environment=environment, provider=cloud, components=tuple(names)))
    return stack


def _build_standby_stack(built: BuiltApp, loaded: LoadedSpec, spec: Spec, environment: str, cloud: str,
                         primary) -> None:
    """The recovery-region copy of a stack (`<stack>-dr`), deployed after the primary it replicates from."""
    site = standby_site(spec, cloud, environment, NEEDS_NETWORK)
    if site is None:
        return
    standby, standby_spec, names = site
    stack = _build_cloud_stack(built, loaded, standby_spec, environment, cloud,
                               _reference_order(standby_spec, names), standby)
    stack.add_dependency(primary)


def _standby_setup(ctx: StackContext) -> None:
    """What a cloud's recovery-region stack holds besides components (AWS: the cross-region backup), from
    components/<cloud>/disaster_recovery.py when the cloud has one."""
    module = f"{__package__.rpartition('.')[0]}.components.{ctx.cloud}.disaster_recovery"
    if importlib.util.find_spec(module):
        importlib.import_module(module).prepare_standby(ctx)


def _build_edge_stack(built: BuiltApp, loaded: LoadedSpec, spec: Spec, environment: str, location: str) -> None:
    import cdktn

    from ..components.edge.site import build_edge_site

    edge = spec.providers.edge
    name = stack_name(spec, environment, "edge", location)
    stack = cdktn.TerraformStack(built.app, name)
    add_backend(stack, spec, name)
    ctx = StackContext(stack=stack, stack_name=name, loaded=loaded, spec=spec, environment=environment,
                       cloud="edge", provenance=built.provenance, location=location)
    build_edge_site(ctx, location)
    ctx.finish()
    built.contexts.append(ctx)
    built.stacks.append(StackInfo(name=name, environment=environment, provider="edge", location=location,
                                  update_strategy=edge.update_strategy))


def _apply_overrides(built: BuiltApp, loaded: LoadedSpec, spec: Spec) -> None:
    """`overrides: {aws_s3_bucket.assets: {force_destroy: false}}`: raw attributes, recorded in provenance."""
    known = sorted({address for ctx in built.contexts for address in ctx.resources})
    problems = []
    for address, attributes in loaded.spec.overrides.items():
        matched = [ctx for ctx in built.contexts if address in ctx.resources]
        if not matched:
            close = difflib.get_close_matches(address, known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(loaded.source.problem(("overrides", address),
                                                  f"no synthesized resource '{address}'{hint}"))
            continue
        for ctx in matched:
            for key, value in attributes.items():
                ctx.resources[address].add_override(key, escape_value(value))
            built.provenance.mark_overridden(ctx.stack_name, address, tuple(sorted(attributes)))
    if problems:
        raise SpecError(problems)
