"""A TrafficGraph as a self-contained HTML page holding an SVG drawn here (no script, no network: it opens in
any browser, offline, and in CI artifact viewers).

Layout: one column per NodeKind present (entry, route, Service, subset, workload), left to right; within a column
nodes are ordered by the mean position of the nodes that lead to them (fewer crossing edges), then by the order
they were found."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from chartgen.graph.model import Node, NodeKind, TrafficGraph

WIDTH = 320  # node box width
GAP_X = 110  # between columns (edge labels live here)
GAP_Y = 18
LINE = 16  # text line height
PAD = 10
MAX_CHARS = 48  # longer lines are cut with an ellipsis (the Mermaid text keeps them whole)
FILL = {
    NodeKind.ENTRY: ("#dbeafe", "#1d4ed8"),
    NodeKind.ROUTE: ("#fef9c3", "#a16207"),
    NodeKind.SERVICE: ("#dcfce7", "#15803d"),
    NodeKind.SUBSET: ("#f3e8ff", "#7e22ce"),
    NodeKind.WORKLOAD: ("#f1f5f9", "#334155"),
}


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    height: int

    @property
    def middle(self) -> int:
        return self.y + self.height // 2


def _lines(node: Node) -> list[tuple[str, str]]:
    """(css class, text) per line of a node's box."""
    def cut(text: str) -> str:
        return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"

    return [("title", cut(node.title)), *(("detail", cut(d)) for d in node.details),
            *(("policy", cut(p)) for p in node.policies)]


def _barycentre(key: str, incoming: dict[str, list[str]], rank: dict[str, float],
                order: dict[str, int]) -> tuple[float, int]:
    """Mean position of the nodes leading to `key` (none placed yet: last), then the order it was found in."""
    seen = [rank[s] for s in incoming.get(key, []) if s in rank]
    return (sum(seen) / len(seen) if seen else float("inf"), order[key])


def layout(graph: TrafficGraph) -> dict[str, Box]:
    columns = sorted({n.kind.column for n in graph.nodes.values()})
    incoming: dict[str, list[str]] = {}
    for e in graph.edges:
        incoming.setdefault(e.target, []).append(e.source)
    rank: dict[str, float] = {}
    boxes: dict[str, Box] = {}
    for ci, column in enumerate(columns):
        members = [k for k, n in graph.nodes.items() if n.kind.column == column]
        order = {k: i for i, k in enumerate(members)}

        y = PAD
        for pos, key in enumerate(sorted(members, key=lambda k: _barycentre(k, incoming, rank, order))):
            rank[key] = pos
            height = PAD * 2 + LINE * len(_lines(graph.nodes[key]))
            boxes[key] = Box(PAD + ci * (WIDTH + GAP_X), y, height)
            y += height + GAP_Y
    return boxes


def _node_svg(node: Node, box: Box) -> str:
    fill, stroke = FILL[node.kind]
    parts = [f'<g class="node {node.kind.name.lower()}"><title>{escape(node.key)}</title>',
             f'<rect x="{box.x}" y="{box.y}" width="{WIDTH}" height="{box.height}" rx="6" '
             f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>']
    for i, (cls, text) in enumerate(_lines(node)):
        parts.append(f'<text class="{cls}" x="{box.x + PAD}" y="{box.y + PAD + LINE * (i + 1) - 4}">'
                     f"{escape(text)}</text>")
    parts.append("</g>")
    return "".join(parts)


def _edge_svg(source: Box, target: Box, label: str, slot: int) -> str:
    """A curve from the source's right side to the target's left; the label (the `slot`-th one leaving that source,
    stacked so that the labels of a split never overlap) just after the source."""
    x1, y1 = source.x + WIDTH, source.middle
    x2, y2 = target.x, target.middle
    bend = max(40, (x2 - x1) // 2)
    path = (f'<path class="edge" d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" '
            'marker-end="url(#arrow)"/>')
    if not label:
        return path
    lx, ly = x1 + 8, y1 - 6 + LINE * slot
    return path + f'<text class="label" x="{lx}" y="{ly}">{escape(label)}</text>'


def to_svg(graph: TrafficGraph) -> str:
    boxes = layout(graph)
    width = max((b.x + WIDTH for b in boxes.values()), default=WIDTH) + PAD
    height = max((b.y + b.height for b in boxes.values()), default=LINE * 3) + PAD
    slots: dict[str, int] = {}
    body = []
    for e in graph.edges:
        slot = slots.get(e.source, 0)
        slots[e.source] = slot + bool(e.label)
        body.append(_edge_svg(boxes[e.source], boxes[e.target], e.label, slot))
    body += [_node_svg(n, boxes[k]) for k, n in graph.nodes.items()]
    if not graph.nodes:
        body.append(f'<text class="title" x="{PAD}" y="{LINE * 2}">no Service, route or workload in this rendering'
                    "</text>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>'
            + "".join(body) + "</svg>")


STYLE = """
body { font-family: system-ui, sans-serif; margin: 16px; color: #0f172a; }
h1 { font-size: 18px; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 12px; font-family: system-ui, sans-serif; }
svg text.title { font-weight: bold; }
svg text.policy { font-style: italic; fill: #b91c1c; }
svg text.label { fill: #1e293b; font-weight: bold; }
svg path.edge { fill: none; stroke: #475569; stroke-width: 1.5; }
"""


def to_html(graph: TrafficGraph, title: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body><h1>{escape(title)}</h1>\n{to_svg(graph)}\n</body></html>\n")
