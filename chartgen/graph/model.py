"""The traffic picture of one rendering as data: typed nodes (entry points, route rules, Services, subsets,
workloads, hosts outside the render) and the edges a request takes between them. Renderers (Mermaid, SVG) read
only this."""

from __future__ import annotations

from dataclasses import field
from enum import Enum

from chartgen.core.record import MutableRecord, Record, mutable_record, record


class NodeKind(Enum):
    """What a node is; its column in the drawing (a request goes left to right)."""

    ENTRY = 0  # Istio Gateway, Gateway API Gateway, Ingress, the mesh's sidecars
    ROUTE = 1  # one rule of a VirtualService / HTTPRoute / GRPCRoute, one Ingress path
    SERVICE = 2  # a Service (its ports), or a host outside the render
    SUBSET = 3  # a DestinationRule subset (a version)
    WORKLOAD = 4  # the Deployment / StatefulSet / Rollout whose pods serve

    @property
    def column(self) -> int:
        return self.value


@record
class Node(Record):
    key: str  # stable identity, e.g. "Service/checkout/checkout"
    kind: NodeKind
    title: str  # e.g. "Service checkout"
    details: tuple[str, ...] = ()  # what the object says: hosts, matches, retries, ports
    policies: tuple[str, ...] = ()  # what applies to it on the way: mTLS, AuthorizationPolicy, NetworkPolicy


@record
class Edge(Record):
    source: str  # Node.key
    target: str  # Node.key
    label: str = ""  # weight, port, subset


@mutable_record
class TrafficGraph(MutableRecord):
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def add(self, node: Node) -> str:
        """Add a node (the first one added under a key wins); its key."""
        self.nodes.setdefault(node.key, node)
        return node.key

    def link(self, source: str, target: str, label: str = "") -> None:
        edge = Edge(source, target, label)
        if edge not in self.edges:
            self.edges.append(edge)

    def titled_edges(self) -> set[tuple[str, str, str]]:
        """(source title, target title, label) of every edge: what a reader of the drawing sees."""
        return {(self.nodes[e.source].title, self.nodes[e.target].title, e.label) for e in self.edges}

    def node(self, title: str) -> Node:
        """The node with this title (KeyError if none)."""
        for n in self.nodes.values():
            if n.title == title:
                return n
        raise KeyError(title)
