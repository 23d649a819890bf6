"""`nexus visualize`: a spec's architecture (a node per component, `build_view`'s default) or the resources of a
spec, out dir, plan, state or .tf directory (`build_graph`) as a graph, rendered as Mermaid (Markdown on GitHub),
Graphviz DOT, SVG (laid out by Graphviz) or a self-contained interactive HTML page."""
from __future__ import annotations

from .architecture import DETAILS, ComponentNode, build_architecture, build_view
from .graph import GROUPINGS, Edge, Graph, Node, build_graph
from ..inventory.resources import Inventory, Resource
from ..workspace import load_inventory

FORMATS = ("mermaid", "dot", "svg", "html")


def render(graph: Graph, fmt: str, markdown: bool = False) -> str:
    """The graph in a format; Mermaid becomes a Markdown page (a fenced block per stack) when `markdown`."""
    from .dot import render_dot
    from .html import render_html
    from .mermaid import render_markdown, render_mermaid
    from .svg import render_svg

    if fmt == "mermaid":
        return render_markdown(graph) if markdown else render_mermaid(graph)
    if fmt == "dot":
        return render_dot(graph)
    if fmt == "svg":
        return render_svg(graph)
    if fmt == "html":
        return render_html(graph)
    from ..errors import UsageError

    raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")


__all__ = ["DETAILS", "FORMATS", "GROUPINGS", "ComponentNode", "Edge", "Graph", "Inventory", "Node", "Resource",
           "build_architecture", "build_graph", "build_view", "load_inventory", "render"]
