"""Graphviz DOT: a cluster per group, one box per resource, arrows from the resource that refers."""
from __future__ import annotations

from .graph import Graph, Node
from .mermaid import TIER_STYLE

STYLE = {"reference": "style=solid", "depends_on": "style=dashed", "mutual": "style=solid, dir=both"}


def render_dot(graph: Graph) -> str:
    lines = ["digraph nexus {", '  rankdir=LR;', '  graph [fontname="Helvetica", fontsize=12, compound=true];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [color="#555555", arrowsize=0.7];']
    for index, (group, nodes) in enumerate(graph.groups().items()):
        lines += [f"  subgraph cluster_{index} {{", f"    label={_quote(group)};", '    color="#999999";']
        lines += [f"    {_quote(node.id)} [label={_quote(_label(node))}, {_colors(node)}];" for node in nodes]
        lines.append("  }")
    lines += [f"  {_quote(edge.source)} -> {_quote(edge.target)} [{STYLE[edge.kind]}];" for edge in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _label(node: Node) -> str:
    lines = node.label_lines
    if node.instances > 1:
        lines[0] += f" ×{node.instances}"
    if node.findings:
        lines.append(f"{len(node.findings)} finding(s)")
    return "\n".join(lines)


def _colors(node: Node) -> str:
    fill, stroke = (part.split(":")[1] for part in TIER_STYLE.get(node.tier, TIER_STYLE["other"]).split(","))
    return f'fillcolor="{fill}", color="{stroke}"'


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
