"""The diagram as data: one node per resource (data source, module call), one edge per real reference.

An edge `a -> b` means resource `a` refers to `b` in an expression (`${b.id}`) or lists it in `depends_on`;
addresses that are not declared in the same stack (variables, locals, iterators) make no edge. Nodes carry
what a person needs to find the resource again: a readable name, its type, and the spec component and line
it came from (through provenance), plus findings from the last `nexus check`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..sensitive import redact_attributes
from ..inventory.resources import Inventory, Resource
from ..workspace import load_inventory
from .tiers import network_tier

GROUPINGS = ("stack", "provider", "network")
ARCHITECTURE = "architecture"      # the group_by of the architecture view: cloud, environments, network boundary


@dataclass(frozen=True)
class Node:
    id: str                       # `<stack>/<address>`: unique across stacks
    stack: str
    address: str
    type: str
    name: str                     # the readable name shown first on the node
    mode: str
    provider: str
    tier: str
    component: str | None = None
    spec_path: str | None = None
    spec_line: int | None = None
    instances: int = 1
    attributes: dict = field(default_factory=dict, compare=False, hash=False)
    findings: tuple[dict, ...] = field(default=(), compare=False, hash=False)

    @property
    def label_lines(self) -> list[str]:
        lines = [self.name, self.type if self.mode != "module" else f"module {self.attributes.get('source', '')}"]
        if self.component:
            lines.append(f"spec: {self.component}" + (f" (line {self.spec_line})" if self.spec_line else ""))
        return [line.strip() for line in lines if line.strip()]


@dataclass(frozen=True)
class Edge:
    source: str                   # node id of the resource that refers
    target: str                   # node id of the resource referred to
    kind: str                     # reference | depends_on


@dataclass
class Graph:
    nodes: list[Node]
    edges: list[Edge]
    group_by: str
    source: str
    spec_file: str | None = None
    detail: str = "resources"     # resources: a node per resource; architecture: a node per spec component
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)   # group -> (column, row) on the page

    @property
    def things(self) -> tuple[str, str]:
        """What a node and an edge stand for, in words: for notes and headings."""
        return ("components", "links") if self.detail == ARCHITECTURE else ("resources", "references")

    @property
    def grouping(self) -> str:
        return "cloud, environment and network boundary" if self.detail == ARCHITECTURE else self.group_by

    @property
    def holds_deployment_values(self) -> bool:
        """Drawn from a plan or state: attribute values of a real deployment (sensitive ones redacted), so a
        file of it is written owner-only."""
        return self.source in ("plan", "state")

    def groups(self) -> dict[str, list[Node]]:
        """Nodes by group (stack, provider or network tier; in the architecture view cloud, environments and
        network boundary), in a stable order: by page cell, then name."""
        grouped: dict[str, list[Node]] = {}
        for node in self.nodes:
            grouped.setdefault(group_of(node, self.group_by), []).append(node)
        return dict(sorted(grouped.items(), key=lambda item: (self.cells.get(item[0], (0, 0)), item[0])))

    def node(self, node_id: str) -> Node:
        return self._by_id()[node_id]

    def _by_id(self) -> dict[str, Node]:
        return {node.id: node for node in self.nodes}


def group_of(node: Node, group_by: str) -> str:
    if group_by == ARCHITECTURE:
        return node.frame
    return {"stack": node.stack, "provider": node.provider, "network": node.tier}[group_by]


def build_graph(target: str | Path | Inventory, *, out_dir: str | Path | None = None,
                group_by: str = "stack") -> Graph:
    """The graph of TARGET: a spec, an out dir, a plan or state JSON, or a directory of .tf files."""
    if group_by not in GROUPINGS:
        raise UsageError(f"--group-by must be one of {', '.join(GROUPINGS)}, got '{group_by}'")
    inventory = target if isinstance(target, Inventory) else load_inventory(target, out_dir)
    nodes = sorted((_node(inventory, resource) for resource in inventory.resources), key=lambda n: n.id)
    return Graph(nodes, graph_edges(inventory.resources), group_by, inventory.source,
                 str(inventory.spec_file) if inventory.spec_file else None)


def graph_edges(resources: list[Resource]) -> list[Edge]:
    declared = {resource.key for resource in resources}
    edges: dict[tuple[str, str], Edge] = {}
    for resource in resources:
        for kind, targets in (("reference", resource.references), ("depends_on", resource.depends_on)):
            for address in sorted(targets):
                target = (resource.stack, address)
                if target in declared and address != resource.address:
                    pair = (_node_id(resource.stack, resource.address), _node_id(*target))
                    edges.setdefault(pair, Edge(*pair, kind))
    return sorted(edges.values(), key=lambda edge: (edge.source, edge.target))


def _node(inventory: Inventory, resource: Resource) -> Node:
    origin = inventory.origin(resource)
    return Node(
        id=_node_id(resource.stack, resource.address), stack=resource.stack, address=resource.address,
        type=resource.type, name=readable_name(resource), mode=resource.mode, provider=resource.provider,
        tier=network_tier(resource.type, resource.mode), component=origin.component if origin else None,
        spec_path=origin.spec_path if origin else None, spec_line=origin.line if origin else None,
        instances=len(resource.instances) if resource.mode != "module" else 1,
        attributes=redact_attributes(resource.body, inventory.secrets),
        findings=tuple(inventory.findings.get(resource.key, ())))


def readable_name(resource: Resource) -> str:
    """`module.vpc.aws_subnet.private` reads as `vpc/private`; a data source keeps a `data ` prefix."""
    parts = resource.address.split(".")
    modules = [parts[index + 1] for index in range(len(parts) - 1) if parts[index] == "module"]
    name = "/".join(modules if resource.mode == "module" else [*modules, resource.name])
    return f"data {name}" if resource.mode == "data" else name


def _node_id(stack: str, address: str) -> str:
    return f"{stack}/{address}"
