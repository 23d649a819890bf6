"""Where each node sits on the HTML page, computed in Python so the page needs no layout engine.

Each group is laid out on its own: every connected part with grandalf's Sugiyama (layered) layout (wide
layers wrap into rows), parts placed side by side and wrapped into rows. Groups sit in their own frames, stacked
top to bottom, or in the grid of cells the graph names (the architecture view: a column per cloud and
environments, a row per network boundary). Node boxes are sized from their labels and layers are spaced by the
tallest box, so boxes never overlap.
"""
from __future__ import annotations

from dataclasses import dataclass

from .graph import Edge, Graph, Node

CHAR_WIDTH, LINE_HEIGHT, PADDING = 7.0, 15.0, 10.0
X_SPACE, Y_SPACE = 24.0, 46.0
PART_GAP, GROUP_GAP, GROUP_TITLE = 40.0, 60.0, 34.0
ROW_WIDTH = 2400.0
ASPECT = 1.8                  # width / height a laid-out part aims for
MIN_ROW_WIDTH = 960.0         # a layer narrower than this never wraps: a few boxes read best side by side


@dataclass(frozen=True)
class Box:
    x: float                      # left
    y: float                      # top
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w and
                self.y < other.y + other.h and other.y < self.y + self.h)


@dataclass
class Layout:
    boxes: dict[str, Box]                         # node id -> box
    routes: dict[tuple[str, str], list[tuple[float, float]]]
    frames: dict[str, Box]                        # group -> frame
    width: float
    height: float


def node_size(node: Node, lines: list[str]) -> tuple[float, float]:
    return (max(len(line) for line in lines) * CHAR_WIDTH + 2 * PADDING, len(lines) * LINE_HEIGHT + 2 * PADDING)


def layout_graph(graph: Graph, labels: dict[str, list[str]]) -> Layout:
    """Each group laid out in its own frame; frames sit in the page cells `graph.cells` names (column, row),
    by default one column with a row per group."""
    groups = graph.groups()
    cells = graph.cells or {group: (0, row) for row, group in enumerate(groups)}
    placed = {group: _layout_group(graph, nodes, labels) for group, nodes in groups.items()}
    columns, rows = _spans(placed, cells, 0), _spans(placed, cells, 1)
    boxes: dict[str, Box] = {}
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    frames: dict[str, Box] = {}
    for group, part in placed.items():
        left, top = columns.starts[cells[group][0]], rows.starts[cells[group][1]]
        boxes.update({key: Box(box.x + left, box.y + top, box.w, box.h) for key, box in part.boxes.items()})
        routes.update({key: [(x + left, y + top) for x, y in points] for key, points in part.routes.items()})
        frames[group] = Box(left - PART_GAP / 2, top, part.width + PART_GAP, part.height + PART_GAP / 2)
    for edge in graph.edges:   # edges between groups (network or provider grouping): straight, centre to centre
        if (edge.source, edge.target) not in routes:
            routes[(edge.source, edge.target)] = _straight(boxes[edge.source], boxes[edge.target])
    return Layout(boxes, routes, frames, columns.total + PART_GAP, rows.total)


def _layout_group(graph: Graph, nodes: list[Node], labels: dict[str, list[str]]) -> _Part:
    """A group's connected parts side by side under its title; the part's height includes the title."""
    ids = {node.id for node in nodes}
    inner = [edge for edge in graph.edges if edge.source in ids and edge.target in ids]
    parts = [_layout_part(part_nodes, part_edges, labels) for part_nodes, part_edges in _parts(nodes, inner)]
    boxes: dict[str, Box] = {}
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}
    width, height = _place_parts(parts, GROUP_TITLE, boxes, routes)
    return _Part(boxes, routes, width, height + GROUP_TITLE)


@dataclass
class _Spans:
    starts: dict[int, float]      # column (or row) -> its left (or top)
    total: float


def _spans(placed: dict[str, _Part], cells: dict[str, tuple[int, int]], axis: int) -> _Spans:
    """Columns as wide as their widest frame (rows as tall as their tallest), GROUP_GAP apart."""
    extent: dict[int, float] = {}
    for group, part in placed.items():
        index = cells[group][axis]
        extent[index] = max(extent.get(index, 0.0), part.height if axis else part.width)
    starts, position = {}, 0.0
    for index in sorted(extent):
        starts[index] = position
        position += extent[index] + GROUP_GAP
    return _Spans(starts, max(position - GROUP_GAP, 0.0))


@dataclass
class _Part:
    boxes: dict[str, Box]
    routes: dict[tuple[str, str], list[tuple[float, float]]]
    width: float
    height: float


def _parts(nodes: list[Node], edges: list[Edge]) -> list[tuple[list[Node], list[Edge]]]:
    """Connected parts, biggest first; single nodes come last and are packed as one part in a grid."""
    parent = {node.id: node.id for node in nodes}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for edge in edges:
        parent[find(edge.source)] = find(edge.target)
    members: dict[str, list[Node]] = {}
    for node in nodes:
        members.setdefault(find(node.id), []).append(node)
    connected = sorted((group for group in members.values() if len(group) > 1), key=lambda g: (-len(g), g[0].id))
    singles = [group[0] for group in members.values() if len(group) == 1]
    parts = [(group, [edge for edge in edges if edge.source in {n.id for n in group}]) for group in connected]
    return parts + ([(sorted(singles, key=lambda n: n.id), [])] if singles else [])


def _layout_part(nodes: list[Node], edges: list[Edge], labels: dict[str, list[str]]) -> _Part:
    """Layers and their order from grandalf's Sugiyama layout (which minimises crossings); the coordinates are
    ours: a layer wider than the part's target width wraps into several rows, so a layer of fifty roots does
    not stretch the page to fifty boxes wide."""
    sizes = {node.id: node_size(node, labels[node.id]) for node in nodes}
    if not edges:
        return _grid(nodes, sizes)
    from grandalf.graphs import Edge as GEdge, Graph as GGraph, Vertex
    from grandalf.layouts import SugiyamaLayout

    vertices = {node.id: Vertex(node.id) for node in nodes}
    for vertex in vertices.values():
        vertex.view = _View(*sizes[vertex.data])
    component = GGraph(list(vertices.values()),
                       [GEdge(vertices[edge.source], vertices[edge.target]) for edge in edges]).C[0]
    sugiyama = SugiyamaLayout(component)
    sugiyama.xspace, sugiyama.yspace = X_SPACE, Y_SPACE
    sugiyama.init_all()
    sugiyama.draw(3)
    layers = [[vertex.data for vertex in sorted(layer, key=lambda v: v.view.xy[0]) if isinstance(vertex, Vertex)]
              for layer in sugiyama.layers]
    area = sum((w + X_SPACE) * (h + Y_SPACE) for w, h in sizes.values())
    row_width = max(max(w for w, _ in sizes.values()), (area * ASPECT) ** 0.5, MIN_ROW_WIDTH)
    boxes, y = {}, 0.0
    for layer in layers:
        for row in _wrapped(layer, sizes, row_width):
            row_height = max(sizes[node_id][1] for node_id in row)
            x = (row_width - (sum(sizes[node_id][0] for node_id in row) + X_SPACE * (len(row) - 1))) / 2
            for node_id in row:
                w, h = sizes[node_id]
                boxes[node_id] = Box(x, y, w, h)
                x += w + X_SPACE
            y += row_height + X_SPACE
        y += Y_SPACE - X_SPACE
    routes = {(edge.source, edge.target): _straight(boxes[edge.source], boxes[edge.target]) for edge in edges}
    return _normalized(boxes, routes)


def _wrapped(layer: list[str], sizes: dict[str, tuple[float, float]], row_width: float) -> list[list[str]]:
    rows: list[list[str]] = [[]]
    used = 0.0
    for node_id in layer:
        width = sizes[node_id][0]
        if rows[-1] and used + width > row_width:
            rows.append([])
            used = 0.0
        rows[-1].append(node_id)
        used += width + X_SPACE
    return [row for row in rows if row]


def _straight(source: Box, target: Box) -> list[tuple[float, float]]:
    """From the source's edge facing the target to the target's facing edge (bottom/top, or the sides)."""
    (sx, sy), (tx, ty) = _centre(source), _centre(target)
    if target.y >= source.y + source.h:
        return [(sx, source.y + source.h), (tx, target.y)]
    if target.y + target.h <= source.y:
        return [(sx, source.y), (tx, target.y + target.h)]
    if tx >= sx:
        return [(source.x + source.w, sy), (target.x, ty)]
    return [(source.x, sy), (target.x + target.w, ty)]


def _grid(nodes: list[Node], sizes: dict[str, tuple[float, float]]) -> _Part:
    boxes, x, y, row_height = {}, 0.0, 0.0, 0.0
    for node in nodes:
        w, h = sizes[node.id]
        if x > 0 and x + w > ROW_WIDTH / 2:
            x, y, row_height = 0.0, y + row_height + X_SPACE, 0.0
        boxes[node.id] = Box(x, y, w, h)
        x, row_height = x + w + X_SPACE, max(row_height, h)
    return _normalized(boxes, {})


def _normalized(boxes: dict[str, Box], routes: dict) -> _Part:
    left = min(box.x for box in boxes.values())
    top = min(box.y for box in boxes.values())
    moved = {key: Box(box.x - left, box.y - top, box.w, box.h) for key, box in boxes.items()}
    moved_routes = {key: [(x - left, y - top) for x, y in points] for key, points in routes.items()}
    return _Part(moved, moved_routes, max(b.x + b.w for b in moved.values()), max(b.y + b.h for b in moved.values()))


def _place_parts(parts: list[_Part], top: float, boxes: dict, routes: dict) -> tuple[float, float]:
    """Parts left to right, wrapping into a new row past ROW_WIDTH; returns the group's width and height."""
    x, y, row_height, width = 0.0, top, 0.0, 0.0
    for part in parts:
        if x > 0 and x + part.width > ROW_WIDTH:
            x, y, row_height = 0.0, y + row_height + PART_GAP, 0.0
        for key, box in part.boxes.items():
            boxes[key] = Box(box.x + x, box.y + y, box.w, box.h)
        for key, points in part.routes.items():
            routes[key] = [(px + x, py + y) for px, py in points]
        x += part.width + PART_GAP
        row_height = max(row_height, part.height)
        width = max(width, x - PART_GAP)
    return width, y + row_height - top


def _centre(box: Box) -> tuple[float, float]:
    return (box.x + box.w / 2, box.y + box.h / 2)


class _View:
    """What grandalf reads (w, h) and writes (xy) for a vertex."""

    def __init__(self, w: float, h: float):
        self.w, self.h, self.xy = w, h, (0.0, 0.0)
