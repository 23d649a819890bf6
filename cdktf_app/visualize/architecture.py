"""The architecture view (the default of `nexus visualize`): one node per spec component instead of one per resource.

A component node holds every resource its provenance names it for (the map compliance uses to put findings on
spec lines), with their findings; the resources the spec's `providers:` and `secrets:` sections make (the stack
key, the access-log bucket, secret look-ups) form one `stack-wide` node per column. Stacks of one cloud whose
components and resources are alike (every environment of a spec, as synth builds them) share a column, so dev and
prod are drawn once, under a frame naming both. Inside a column, frames split the components by network boundary:
public (reachable from the internet), private network (runs in or refers to a network component) and cloud
services (reached through the cloud's API). An edge `a -> b` means a resource of `a` refers to one of `b` in the
synthesized JSON; two components that refer to each other (a CDN and the bucket whose policy names it) get one
edge drawn both ways, from the one nearer the internet. Edges to the stack-wide node are left out: every
component uses the stack key, and such edges would hide the ones that tell the architecture.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..compliance.packs import load_packs
from ..errors import UsageError
from ..inventory.resources import Inventory
from ..layout import read_manifest
from ..spec.loader import LoadedSpec
from ..spec.model import CLOUDS, ComponentBase
from ..workspace import load_inventory
from .graph import ARCHITECTURE, Edge, Graph, Node, build_graph

DETAILS = (ARCHITECTURE, "resources")
STACK_WIDE = "stack-wide"          # not a component name (those have no '-'), so it never meets one
BOUNDARIES = ("public", "private network", "cloud services")
TYPE_TIERS = {"network": "network", "service": "compute", "vm_group": "compute", "kubernetes": "compute",
              "function": "compute", "database": "data", "cache": "data", "bucket": "data", "document_store": "data",
              "warehouse": "data", "queue": "messaging", "cdn": "edge", "monitoring": "observability",
              "module": "modules", STACK_WIDE: "identity & keys"}
NETWORK_TYPES = ("aws_vpc", "google_compute_network", "azurerm_virtual_network")
# The order a request meets the tiers in: a pair of components referring to each other is drawn from the first.
REQUEST_ORDER = ("edge", "compute", "messaging", "data", "network", "modules", "observability", "identity & keys")


@dataclass(frozen=True)
class ComponentNode(Node):
    """A spec component in one column (a cloud and the environments built alike)."""
    environments: tuple[str, ...] = ()
    boundary: str = "cloud services"
    summary: tuple[str, ...] = ()             # label lines under the name: type and cloud, size, standards
    resources: tuple[dict, ...] = field(default=(), compare=False, hash=False)

    @property
    def label_lines(self) -> list[str]:
        return [self.name, *self.summary]

    @property
    def frame(self) -> str:
        return f"{self.provider} · {', '.join(self.environments)} · {self.boundary}"


def build_view(target: str | Path | Inventory, *, detail: str | None = None, group_by: str | None = None,
               out_dir: str | Path | None = None) -> Graph:
    """What `nexus visualize` draws: the architecture when the target has a spec behind it (provenance), else
    every resource; `detail` names one of them, a `group_by` implies the resources."""
    if detail not in (None, *DETAILS):
        raise UsageError(f"--detail must be one of {', '.join(DETAILS)}, got '{detail}'")
    if detail == ARCHITECTURE and group_by is not None:
        raise UsageError(f"--group-by {group_by} groups the resource view: add --detail resources (the "
                         "architecture is grouped by cloud, environment and network boundary)")
    inventory = target if isinstance(target, Inventory) else load_inventory(target, out_dir)
    if detail == ARCHITECTURE or (detail is None and group_by is None and inventory.provenance is not None):
        return build_architecture(inventory)
    return build_graph(inventory, group_by=group_by or "stack")


def build_architecture(target: str | Path | Inventory, *, out_dir: str | Path | None = None) -> Graph:
    """One node per spec component and column, grouped by cloud, environments and network boundary."""
    inventory = target if isinstance(target, Inventory) else load_inventory(target, out_dir)
    if inventory.provenance is None:
        raise UsageError(f"{inventory.location}: the architecture view needs the spec behind the resources (a spec "
                         "or the out dir synth wrote, with its provenance.json); draw this one with --detail "
                         "resources")
    resources = build_graph(inventory)
    manifest = _manifest_stacks(inventory)
    columns = _columns(inventory, resources.nodes, manifest)
    loaded = inventory.spec()
    owner = {node.id: _node_id(columns[node.stack], _component_key(node)) for node in resources.nodes}
    members: dict[str, list[Node]] = {}
    for node in resources.nodes:
        members.setdefault(owner[node.id], []).append(node)
    edges = _component_edges(resources.edges, owner)
    types = {node_id: _type_of(_key_of(node_id), parts, loaded) for node_id, parts in members.items()}
    in_network = {edge.source for edge in edges if types[edge.target] == "network"}
    nodes = sorted((_component_node(node_id, parts, types[node_id], columns, manifest, loaded, node_id in in_network)
                    for node_id, parts in members.items()), key=lambda node: node.id)
    tiers = {node.id: node.tier for node in nodes}
    return Graph(nodes, _one_way(edges, tiers), ARCHITECTURE, inventory.source,
                 str(inventory.spec_file) if inventory.spec_file else None, detail=ARCHITECTURE,
                 cells=_cells(nodes))


def _columns(inventory: Inventory, nodes: list[Node], manifest: dict[str, dict]) -> dict[str, tuple[str, ...]]:
    """Each stack -> the stacks drawn in its column: those of the same cloud with alike components and resources."""
    shape: dict[str, set[tuple[str, str]]] = {}
    for node in nodes:
        shape.setdefault(node.stack, set()).add((_component_key(node), node.address))
    together: dict[tuple, list[str]] = {}
    for stack in inventory.stacks:
        together.setdefault((_stack_cloud(manifest, stack, nodes), frozenset(shape.get(stack, ()))),
                            []).append(stack)
    return {stack: tuple(stacks) for stacks in together.values() for stack in stacks}


def _stack_cloud(manifest: dict[str, dict], stack: str, nodes: list[Node]) -> str:
    return manifest.get(stack, {}).get("provider") or next((node.provider for node in nodes if node.stack == stack),
                                                           "")


def _manifest_stacks(inventory: Inventory) -> dict[str, dict]:
    manifest = read_manifest(inventory.location) if inventory.location.is_dir() else None
    return {entry["name"]: entry for entry in (manifest or {}).get("stacks", []) if isinstance(entry, dict)}


def _component_key(node: Node) -> str:
    """The spec component a resource came from; the providers and secrets sections are the stack-wide part."""
    if node.spec_path and node.spec_path.startswith("components.") and node.component:
        return node.component
    return STACK_WIDE


def _node_id(stacks: tuple[str, ...], key: str) -> str:
    return f"{stacks[0]}/{key}"


def _key_of(node_id: str) -> str:
    return node_id.rsplit("/", 1)[1]


def _component_edges(edges: list[Edge], owner: dict[str, str]) -> list[Edge]:
    """Resource edges lifted to components: a reference when any is, else depends_on; none to the stack-wide node."""
    kinds: dict[tuple[str, str], set[str]] = {}
    for edge in edges:
        pair = (owner[edge.source], owner[edge.target])
        if pair[0] != pair[1] and STACK_WIDE not in (_key_of(pair[0]), _key_of(pair[1])):
            kinds.setdefault(pair, set()).add(edge.kind)
    return [Edge(*pair, "reference" if "reference" in found else "depends_on") for pair, found in sorted(kinds.items())]


def _one_way(edges: list[Edge], tiers: dict[str, str]) -> list[Edge]:
    """A pair referring to each other becomes one `mutual` edge, from the component nearer the internet."""
    pairs = {(edge.source, edge.target) for edge in edges}
    kept = []
    for edge in edges:
        if (edge.target, edge.source) not in pairs:
            kept.append(edge)
        elif _request_rank(edge.source, tiers) < _request_rank(edge.target, tiers):
            kept.append(Edge(edge.source, edge.target, "mutual"))
    return kept


def _request_rank(node_id: str, tiers: dict[str, str]) -> tuple[int, str]:
    tier = tiers[node_id]
    return (REQUEST_ORDER.index(tier) if tier in REQUEST_ORDER else len(REQUEST_ORDER), node_id)


def _type_of(key: str, parts: list[Node], loaded: LoadedSpec | None) -> str:
    """The component's type in the spec; one synth adds on its own (the network a GCP service egresses
    through) is known by its resources."""
    component = loaded.spec.components.get(key) if loaded is not None else None
    if component is not None:
        return component.type
    if key == STACK_WIDE:
        return STACK_WIDE
    return "network" if any(part.type in NETWORK_TYPES for part in parts) else "component"


def _component_node(node_id: str, parts: list[Node], type_name: str, columns: dict[str, tuple[str, ...]],
                    manifest: dict[str, dict], loaded: LoadedSpec | None, in_network: bool) -> ComponentNode:
    key, stacks = _key_of(node_id), columns[parts[0].stack]
    component = loaded.spec.components.get(key) if loaded is not None else None
    cloud = parts[0].provider if parts[0].provider in CLOUDS else _cloud_of(parts)
    first = min(parts, key=lambda part: (part.spec_line or 0, part.id))
    spec_paths = sorted({part.spec_path for part in parts if part.spec_path})
    return ComponentNode(
        id=node_id, stack=", ".join(stacks), address=", ".join(spec_paths) or key, type=type_name, name=key,
        mode="component", provider=cloud, tier=_tier(type_name, parts), component=key,
        spec_path=", ".join(spec_paths) or None, spec_line=first.spec_line if key != STACK_WIDE else None,
        attributes=_settings(component), findings=tuple(finding for part in parts for finding in part.findings),
        environments=_environments(stacks, manifest), boundary=_boundary(type_name, component, in_network),
        summary=_summary(key, type_name, cloud, component, loaded, spec_paths),
        resources=tuple({"stack": part.stack, "address": part.address, "type": part.type,
                         "findings": len(part.findings)} for part in sorted(parts, key=lambda part: part.id)))


def _tier(type_name: str, parts: list[Node]) -> str:
    """The tier of the component's type; without the spec, the one of its resources a request meets first."""
    if type_name in TYPE_TIERS:
        return TYPE_TIERS[type_name]
    return min((part.tier for part in parts), key=lambda tier: (REQUEST_ORDER + (tier,)).index(tier))


def _cloud_of(parts: list[Node]) -> str:
    clouds = sorted({part.provider for part in parts if part.provider in CLOUDS})
    return clouds[0] if clouds else parts[0].provider


def _environments(stacks: tuple[str, ...], manifest: dict[str, dict]) -> tuple[str, ...]:
    """Each stack's environment as synth recorded it in OUT/nexus.json, else the stack's name."""
    return tuple(manifest.get(stack, {}).get("environment") or stack for stack in stacks)


def _boundary(type_name: str, component: ComponentBase | None, in_network: bool) -> str:
    if type_name == "cdn" or getattr(component, "public", False) is True or \
            getattr(component, "public_endpoint", False) is True:
        return "public"
    if in_network or type_name == "network":
        return "private network"
    return "cloud services"


def _summary(key: str, type_name: str, cloud: str, component: ComponentBase | None, loaded: LoadedSpec | None,
             spec_paths: list[str]) -> tuple[str, ...]:
    if key == STACK_WIDE:
        return (f"stack-wide · {cloud}", *spec_paths)
    lines = [f"{type_name} · {cloud}"]
    size = SIZES.get(type_name)
    if component is not None and size is not None:
        lines.append(size(component))
    standards = _standards(cloud, loaded)
    if standards:
        lines.append(standards)
    return tuple(lines)


def _standards(cloud: str, loaded: LoadedSpec | None) -> str:
    """The spec's standards whose packs judge this cloud, as `pci-dss 4.0 · soc2 type2`."""
    if loaded is None:
        return ""
    packs = load_packs()
    return " · ".join(f"{standard.id} {standard.version}" for standard in loaded.spec.compliance.standards
                      if standard.id in packs and cloud in packs[standard.id].clouds)


def _scale(component) -> str:
    return f"{component.min}–{component.max}" if component.min != component.max else str(component.min)


SIZES = {
    "service": lambda c: f"{c.cpu / 1024:g} vCPU · {c.memory / 1024:g} GiB · ×{_scale(c)}",
    "vm_group": lambda c: f"{c.size} · {_scale(c)} VMs",
    "kubernetes": lambda c: f"{c.node_size} nodes · ×{_scale(c)}",
    "database": lambda c: f"{' '.join(filter(None, (c.engine, c.version)))} · {c.size} · {c.storage_gb} GB"
                          + (" · HA" if c.high_availability else ""),
    "cache": lambda c: f"{c.engine} · {c.size} · {c.replicas} replica{'s' if c.replicas != 1 else ''}",
    "function": lambda c: f"{c.runtime} · {c.memory} MiB",
    "network": lambda c: f"{c.cidr} · {c.zones} zone{'s' if c.zones != 1 else ''}",
    "queue": lambda c: c.kind + (" · fifo" if c.fifo else ""),
}


def _settings(component: ComponentBase | None) -> dict:
    """The component as written in the spec (explicit settings only): what the click panel shows."""
    return component.model_dump(mode="json", exclude_unset=True, by_alias=True) if component is not None else {}


def _cells(nodes: list[ComponentNode]) -> dict[str, tuple[int, int]]:
    """Columns per cloud (in CLOUDS order) and environments, rows per boundary (public on top)."""
    order = sorted({(_cloud_rank(node.provider), node.stack) for node in nodes})
    column_of = {stack: index for index, (_, stack) in enumerate(order)}
    return {node.frame: (column_of[node.stack], BOUNDARIES.index(node.boundary)) for node in nodes}


def _cloud_rank(cloud: str) -> int:
    return CLOUDS.index(cloud) if cloud in CLOUDS else len(CLOUDS)


__all__ = ["BOUNDARIES", "DETAILS", "ComponentNode", "build_architecture", "build_view"]
