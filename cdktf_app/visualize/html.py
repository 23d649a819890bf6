"""A self-contained HTML page: the graph as inline SVG (laid out in Python), inline CSS and a small script for
pan, zoom, search and click-to-details. Nothing is fetched: the page works offline and from a file."""
from __future__ import annotations

import html
import json
from pathlib import Path

from .architecture import ComponentNode
from .graph import Graph, Node
from .layout import LINE_HEIGHT, PADDING, Box, layout_graph
from .mermaid import TIER_STYLE

ASSETS = Path(__file__).parent / "assets"
MARGIN = 40.0
TYPE_CLASS = ' class="type"'


def render_html(graph: Graph, title: str = "Nexus architecture") -> str:
    labels = {node.id: _label_lines(node) for node in graph.nodes}
    layout = layout_graph(graph, labels)
    svg_parts = [_frame(group, box) for group, box in layout.frames.items()]
    svg_parts += [_edge(edge.kind, layout.routes[(edge.source, edge.target)]) for edge in graph.edges]
    svg_parts += [_node(node, layout.boxes[node.id], labels[node.id]) for node in graph.nodes]
    payload = {
        "width": layout.width + 2 * MARGIN, "height": layout.height + 2 * MARGIN,
        "margin": MARGIN, "spec_file": graph.spec_file, "findings_known": any(node.findings for node in graph.nodes),
        "nodes": {node.id: _details(node) for node in graph.nodes},
        "boxes": {node_id: [round(box.x, 1), round(box.y, 1), round(box.w, 1), round(box.h, 1)]
                  for node_id, box in layout.boxes.items()},
    }
    nodes, edges = graph.things
    meta = f"{len(graph.nodes)} {nodes} · {len(graph.edges)} {edges} · grouped by {graph.grouping}"
    return TEMPLATE.format(
        title=html.escape(title), meta=html.escape(meta), css=(ASSETS / "viewer.css").read_text(encoding="utf-8"),
        js=(ASSETS / "viewer.js").read_text(encoding="utf-8"), svg="\n".join(svg_parts),
        origin=f"{-MARGIN} {-MARGIN}", data=_script_json(payload))


def _script_json(payload: dict) -> str:
    """JSON that no text can end early inside a <script>: not `</script>`, nor `<!--<script>` (which would make
    the browser swallow the rest of the page); `<` only occurs inside JSON strings, where \\u003c reads the same."""
    return json.dumps(payload, sort_keys=True, default=str).replace("<", "\\u003c")


def _label_lines(node: Node) -> list[str]:
    lines = node.label_lines
    if node.instances > 1:
        lines[0] += f" ×{node.instances}"
    return lines


def _details(node: Node) -> dict:
    searchable = " ".join(filter(None, [node.address, node.name, node.type, node.component, node.stack]))
    details = {"address": node.address, "type": node.type, "stack": node.stack, "provider": node.provider,
               "tier": node.tier, "instances": node.instances, "component": node.component,
               "spec_path": node.spec_path, "spec_line": node.spec_line, "attributes": node.attributes,
               "findings": list(node.findings), "search": searchable.lower()}
    if isinstance(node, ComponentNode):
        details.update(kind="component", environments=list(node.environments), boundary=node.boundary,
                       summary=list(node.summary), resources=list(node.resources))
    return details


def _frame(group: str, box: Box) -> str:
    return (f'<g class="frame"><rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            f'rx="10"/><text x="{box.x + 12:.1f}" y="{box.y + 22:.1f}">{html.escape(group)}</text></g>')


def _edge(kind: str, points: list[tuple[float, float]]) -> str:
    path = " ".join(f"{'M' if index == 0 else 'L'}{x:.1f},{y:.1f}" for index, (x, y) in enumerate(points))
    start = ' marker-start="url(#arrow)"' if kind == "mutual" else ""
    return f'<path class="edge {kind}" d="{path}"{start} marker-end="url(#arrow)"/>'


def _node(node: Node, box: Box, lines: list[str]) -> str:
    fill, stroke = (part.split(":")[1] for part in TIER_STYLE.get(node.tier, TIER_STYLE["other"]).split(","))
    spans = "".join(
        f'<tspan x="{box.x + PADDING:.1f}" y="{box.y + PADDING + LINE_HEIGHT * (index + 1) - 3:.1f}"'
        f'{TYPE_CLASS if index else ""}>{html.escape(line)}</tspan>' for index, line in enumerate(lines))
    badge = (f'<circle class="badge" cx="{box.x + box.w:.1f}" cy="{box.y:.1f}" r="8"><title>{len(node.findings)} '
             f'finding(s)</title></circle>') if node.findings else ""
    return (f'<g class="node" data-id="{html.escape(node.id)}"><rect x="{box.x:.1f}" y="{box.y:.1f}" '
            f'width="{box.w:.1f}" height="{box.h:.1f}" fill="{fill}" stroke="{stroke}"/>'
            f'<text>{spans}</text>{badge}<title>{html.escape(node.address)}</title></g>')


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>
{css}
</style>
</head>
<body>
<header>
  <h1>{title}</h1><span class="meta">{meta}</span>
  <input id="search" type="search" placeholder="Search name, type, component…" aria-label="Search">
  <span id="count" class="meta"></span>
  <button id="fit" type="button">Fit</button>
</header>
<main>
  <svg id="canvas" xmlns="http://www.w3.org/2000/svg" viewBox="{origin} 100 100">
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"
      orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a8a8a"/></marker></defs>
{svg}
  </svg>
  <aside id="details"><p class="hint">Click a box to see its spec line, its findings and (a component) its
  resources or (a resource) its attributes.
  Drag to pan, scroll to zoom, type to search.</p></aside>
</main>
<script type="application/json" id="nexus-graph">{data}</script>
<script>
{js}
</script>
</body>
</html>
"""
