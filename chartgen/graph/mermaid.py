"""A TrafficGraph as Mermaid `flowchart LR` text (GitHub renders it in a ```mermaid block)."""

from __future__ import annotations

from chartgen.graph.model import NodeKind, TrafficGraph

_STYLES = {
    NodeKind.ENTRY: "fill:#dbeafe,stroke:#1d4ed8",
    NodeKind.ROUTE: "fill:#fef9c3,stroke:#a16207",
    NodeKind.SERVICE: "fill:#dcfce7,stroke:#15803d",
    NodeKind.SUBSET: "fill:#f3e8ff,stroke:#7e22ce",
    NodeKind.WORKLOAD: "fill:#f1f5f9,stroke:#334155",
}


def _text(value: str) -> str:
    """Mermaid label text: its own entity codes for the characters that end or break a label."""
    return (value.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("|", "#124;"))


def to_mermaid(graph: TrafficGraph) -> str:
    ids = {key: f"n{i}" for i, key in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    if not graph.nodes:
        lines.append('  empty["no Service, route or workload in this rendering"]')
    for key, node in graph.nodes.items():
        label = "<br/>".join([f"<b>{_text(node.title)}</b>", *map(_text, node.details),
                              *(f"<i>{_text(p)}</i>" for p in node.policies)])
        lines.append(f'  {ids[key]}["{label}"]:::{node.kind.name.lower()}')
    for e in graph.edges:
        arrow = f'-->|"{_text(e.label)}"|' if e.label else "-->"
        lines.append(f"  {ids[e.source]} {arrow} {ids[e.target]}")
    lines.extend(f"  classDef {kind.name.lower()} {style}" for kind, style in _STYLES.items())
    return "\n".join(lines) + "\n"
