"""Build the TrafficGraph of one rendering from the check loader's ManifestIndex (never from YAML directly).

A request's path: entry (Istio Gateway, Gateway API Gateway, Ingress, or the mesh's sidecars) -> route rule
(matches, weight, retries, timeout) -> Service (port) -> subset/version -> workload pods; the policies met on the
way (mTLS mode, AuthorizationPolicy, NetworkPolicy, DestinationRule traffic policy) annotate the nodes.
"""

from __future__ import annotations

from typing import Any

from chartgen.check.helpers import (
    CORE,
    GATEWAY_API,
    INGRESS_GROUPS,
    ISTIO_NETWORKING,
    ISTIO_SECURITY,
    NETWORKING,
    as_dict,
    as_list,
    is_hook,
    pods_for_selector,
    pods_of_service,
    selector_matches,
    service_ports,
    spec_of,
)
from chartgen.check.mesh import MESH, Mesh, parse_host, split_gateway
from chartgen.check.model import Document, ManifestIndex, PodTemplate
from chartgen.graph.describe import (
    gateway_api_rule_details,
    ingress_rule_title,
    istio_rule_details,
    percent,
    workload_details,
)
from chartgen.graph.model import Node, NodeKind, TrafficGraph

ROUTE_KINDS = ("HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute")


def build_graph(index: ManifestIndex) -> TrafficGraph:
    return _Builder(index).build()


def _key(doc: Document, index: ManifestIndex) -> str:
    return f"{doc.kind}/{index.namespace_of(doc) or ''}/{doc.name}"


class _Builder:
    def __init__(self, index: ManifestIndex) -> None:
        self.index = index
        self.mesh = Mesh.of(index)
        self.graph = TrafficGraph()
        self.subset_routed: set[str] = set()  # Service keys reached through subsets
        self.plain_routed: set[str] = set()  # Service keys some route reaches without a subset (all its pods)

    def build(self) -> TrafficGraph:
        for vs in self.index.kind("VirtualService", ISTIO_NETWORKING):
            self._virtual_service(vs)
        for kind in ROUTE_KINDS:
            for route in self.index.kind(kind, GATEWAY_API):
                self._gateway_api_route(route)
        for ing in self.index.kind("Ingress", INGRESS_GROUPS):
            self._ingress(ing)
        for svc in self.index.kind("Service", CORE):
            if not is_hook(svc):
                key = self._service(svc)
                if key not in self.subset_routed or key in self.plain_routed:
                    for pt in pods_of_service(self.index, svc):
                        self.graph.link(key, self._workload(pt))
        return self.graph

    # -- entries ----------------------------------------------------------------------------------------------
    def _istio_gateway(self, ref: str, vs: Document) -> str:
        if ref == MESH:
            return self.graph.add(Node("mesh", NodeKind.ENTRY, "mesh (sidecars)", ("callers inside the mesh",)))
        name, ns, _ = split_gateway(ref, self.index.namespace_of(vs))
        gw = self.index.get("Gateway", name, ns, ISTIO_NETWORKING)
        if gw is None:
            return self.graph.add(Node(f"Gateway/{ns or ''}/{name}", NodeKind.ENTRY, f"Gateway {ref}",
                                       ("not in this rendering",)))
        details = []
        for s in as_list(spec_of(gw).get("servers")):
            s = as_dict(s)
            port, tls = as_dict(s.get("port")), as_dict(s.get("tls"))
            hosts = " ".join(map(str, as_list(s.get("hosts"))))
            line = f"{port.get('protocol', '?')} :{port.get('number', '?')} {hosts}"
            if tls.get("mode"):
                minimum = f", min {tls['minProtocolVersion']}" if tls.get("minProtocolVersion") else ""
                line += f" (TLS {tls['mode']}{minimum})"
            details.append(line)
        return self.graph.add(Node(_key(gw, self.index), NodeKind.ENTRY, f"Gateway {gw.name}", tuple(details)))

    def _api_gateway(self, ref: dict[str, Any], route: Document) -> str:
        name = str(ref.get("name", ""))
        ns = str(ref.get("namespace") or self.index.namespace_of(route) or "")
        gw = self.index.get("Gateway", name, ns or None, GATEWAY_API)
        if gw is not None:
            listeners = [f"{as_dict(li).get('protocol', '?')} :{as_dict(li).get('port', '?')} "
                         f"{as_dict(li).get('name', '')}" for li in as_list(spec_of(gw).get("listeners"))]
            return self.graph.add(Node(_key(gw, self.index), NodeKind.ENTRY, f"Gateway {gw.name}",
                                       (f"class {spec_of(gw).get('gatewayClassName', '?')}", *listeners)))
        shown = f"{ref['namespace']}/{name}" if ref.get("namespace") else name
        return self.graph.add(Node(f"Gateway/{ns}/{name}", NodeKind.ENTRY, f"Gateway {shown}",
                                   ("Gateway API", "not in this rendering")))

    # -- Istio --------------------------------------------------------------------------------------------------
    def _virtual_service(self, vs: Document) -> None:
        spec = spec_of(vs)
        refs = [str(g) for g in as_list(spec.get("gateways"))] or [MESH]
        entries = [self._istio_gateway(ref, vs) for ref in refs]
        hosts = " ".join(map(str, as_list(spec.get("hosts"))))
        for section in ("http", "tls", "tcp"):
            for i, rule in enumerate(as_list(spec.get(section))):
                rule = as_dict(rule)
                name = f"{vs.name} {section}[{i}]" + (f" {rule['name']}" if rule.get("name") else "")
                key = self.graph.add(Node(f"{_key(vs, self.index)}/{section}/{i}", NodeKind.ROUTE, name,
                                          (f"hosts: {hosts}", *istio_rule_details(rule))))
                for entry in entries:
                    self.graph.link(entry, key)
                self._istio_destinations(vs, rule, key)

    def _istio_destinations(self, vs: Document, rule: dict[str, Any], rule_key: str) -> None:
        routes = [as_dict(d) for d in as_list(rule.get("route"))]
        single = len(routes) == 1
        for d in routes:
            weight = "100%" if single and d.get("weight") is None else f"{d.get('weight', 0)}%"
            self._istio_destination(vs, as_dict(d.get("destination")), rule_key, weight)
        mirror = as_dict(rule.get("mirror"))
        if mirror:
            self._istio_destination(vs, mirror, rule_key, "mirror")

    def _istio_destination(self, vs: Document, dest: dict[str, Any], rule_key: str, weight: str) -> None:
        host = parse_host(str(dest.get("host", "")), self.index.namespace_of(vs))
        port = as_dict(dest.get("port")).get("number")
        subset = dest.get("subset")
        label = " ".join(p for p in (weight, f"subset {subset}" if subset else "", f":{port}" if port else "") if p)
        svc = self.mesh.service(host)
        if svc is None:
            se = self.mesh.service_entry(host)
            details = (f"ServiceEntry {se.name}",) if se is not None else ("not in this rendering",)
            target = self.graph.add(Node(f"Host/{host.raw}", NodeKind.SERVICE, f"host {host.raw}", details))
            self.graph.link(rule_key, target, label)
            return
        svc_key = self._service(svc)
        self.graph.link(rule_key, svc_key, label)
        if subset:
            self.subset_routed.add(svc_key)
            self.graph.link(svc_key, self._subset(svc, host, str(subset)))
        else:
            self.plain_routed.add(svc_key)

    def _subset(self, svc: Document, host: Any, name: str) -> str:
        key = f"Subset/{_key(svc, self.index)}/{name}"
        if key in self.graph.nodes:
            return key
        labels: dict[str, Any] = {}
        details: list[str] = []
        for dr in self.mesh.destination_rules(host):
            for s in as_list(spec_of(dr).get("subsets")):
                s = as_dict(s)
                if s.get("name") == name:
                    labels = as_dict(s.get("labels"))
                    details.append("labels " + ", ".join(f"{k}={v}" for k, v in labels.items()))
                    details.extend(_traffic_policy(as_dict(s.get("trafficPolicy"))))
        self.graph.add(Node(key, NodeKind.SUBSET, f"subset {name} of {svc.name}",
                            tuple(details) or ("no DestinationRule defines it",)))
        selector = {**as_dict(as_dict(svc.obj.get("spec")).get("selector")), **labels}
        if labels:
            for pt in pods_for_selector(self.index, selector, self.index.namespace_of(svc), plain_map=True):
                self.graph.link(key, self._workload(pt))
        return key

    # -- Gateway API --------------------------------------------------------------------------------------------
    def _gateway_api_route(self, route: Document) -> None:
        spec = spec_of(route)
        entries = []
        for ref in as_list(spec.get("parentRefs")):
            ref = as_dict(ref)
            entry = self._api_gateway(ref, route)
            where = " ".join(str(x) for x in (ref.get("sectionName"), ref.get("port")) if x)
            entries.append((entry, where))
        hosts = " ".join(map(str, as_list(spec.get("hostnames"))))
        for i, rule in enumerate(as_list(spec.get("rules"))):
            rule = as_dict(rule)
            name = f"{route.kind} {route.name} rule[{i}]" + (f" {rule['name']}" if rule.get("name") else "")
            details = ((f"hosts: {hosts}",) if hosts else ()) + gateway_api_rule_details(rule)
            key = self.graph.add(Node(f"{_key(route, self.index)}/{i}", NodeKind.ROUTE, name, details))
            for entry, where in entries:
                self.graph.link(entry, key, where)
            backends = [as_dict(b) for b in as_list(rule.get("backendRefs"))]
            total = sum(int(as_dict(b).get("weight", 1)) for b in backends) if backends else 0
            for b in backends:
                label = " ".join(p for p in (percent(int(b.get("weight", 1)), total),
                                             f":{b['port']}" if b.get("port") else "") if p)
                self._backend(route, b, key, label)

    def _backend(self, route: Document, ref: dict[str, Any], rule_key: str, label: str) -> None:
        kind = str(ref.get("kind", "Service"))
        ns = str(ref.get("namespace") or self.index.namespace_of(route) or "") or None
        svc = self.index.get("Service", str(ref.get("name", "")), ns, CORE) if kind == "Service" else None
        if svc is None:
            target = self.graph.add(Node(f"{kind}/{ns or ''}/{ref.get('name')}", NodeKind.SERVICE,
                                         f"{kind} {ref.get('name')}", ("not in this rendering",)))
        else:
            target = self._service(svc)
            self.plain_routed.add(target)
        self.graph.link(rule_key, target, label)

    # -- Ingress ------------------------------------------------------------------------------------------------
    def _ingress(self, ing: Document) -> None:
        spec = spec_of(ing)
        tls = [h for t in as_list(spec.get("tls")) for h in as_list(as_dict(t).get("hosts"))]
        entry = self.graph.add(Node(_key(ing, self.index), NodeKind.ENTRY, f"Ingress {ing.name}",
                                    (f"class {spec.get('ingressClassName', '(default)')}",
                                     *([f"TLS {' '.join(map(str, tls))}"] if tls else []))))
        default = as_dict(spec.get("defaultBackend"))
        if default:
            self._ingress_path(ing, entry, f"Ingress {ing.name} default backend", default)
        for rule in as_list(spec.get("rules")):
            rule = as_dict(rule)
            for p in as_list(as_dict(rule.get("http")).get("paths")):
                p = as_dict(p)
                self._ingress_path(ing, entry, ingress_rule_title(ing.name, rule.get("host"), p),
                                   as_dict(p.get("backend")))

    def _ingress_path(self, ing: Document, entry: str, title: str, backend: dict[str, Any]) -> None:
        key = self.graph.add(Node(f"{_key(ing, self.index)}/{title}", NodeKind.ROUTE, title))
        self.graph.link(entry, key)
        service = as_dict(backend.get("service"))
        port = as_dict(service.get("port"))
        shown = port.get("name") or port.get("number")
        self._backend(ing, {"name": service.get("name"), "port": shown}, key, f":{shown}" if shown else "")

    # -- Services and workloads ---------------------------------------------------------------------------------
    def _service(self, svc: Document) -> str:
        key = _key(svc, self.index)
        if key in self.graph.nodes:
            return key
        spec = as_dict(svc.obj.get("spec"))
        ports = [f"{p.get('name', '')} {p.get('port')}→{p.get('targetPort', p.get('port'))}".strip()
                 for p in service_ports(svc)]
        details = [f"type {spec.get('type', 'ClusterIP')}", *ports]
        rules = self.mesh.destination_rules(parse_host(svc.name, self.index.namespace_of(svc)))
        policies = [line for dr in rules for line in
                    _traffic_policy(as_dict(spec_of(dr).get("trafficPolicy")), f"DestinationRule {dr.name}: ")]
        return self.graph.add(Node(key, NodeKind.SERVICE, f"Service {svc.name}", tuple(details), tuple(policies)))

    def _workload(self, pt: PodTemplate) -> str:
        key = _key(pt.owner, self.index)
        if key not in self.graph.nodes:
            self.graph.add(Node(key, NodeKind.WORKLOAD, f"{pt.owner.kind} {pt.owner.name}",
                                workload_details(pt), tuple(self._policies(pt))))
        return key

    def _policies(self, pt: PodTemplate) -> list[str]:
        ns = self.index.namespace_of(pt.owner)
        out = []
        for pa in self._applying(pt, "PeerAuthentication", ISTIO_SECURITY, ns):
            mode = as_dict(spec_of(pa).get("mtls")).get("mode")
            out.append(f"mTLS {mode or 'inherited'} (PeerAuthentication {pa.name})")
        for ap in self._applying(pt, "AuthorizationPolicy", ISTIO_SECURITY, ns):
            spec = spec_of(ap)
            out.append(f"AuthorizationPolicy {ap.name}: {spec.get('action', 'ALLOW')}, "
                       f"{len(as_list(spec.get('rules')))} rule(s)")
        for np in self.index.kind("NetworkPolicy", NETWORKING):
            spec = spec_of(np)
            if self._same_ns(np, ns) and selector_matches(as_dict(spec.get("podSelector")), pt.labels):
                types = as_list(spec.get("policyTypes")) or ["Ingress"]
                out.append(f"NetworkPolicy {np.name}: {'/'.join(map(str, types))}, "
                           f"{len(as_list(spec.get('ingress')))} ingress rule(s), "
                           f"{len(as_list(spec.get('egress')))} egress rule(s)")
        return out

    def _applying(self, pt: PodTemplate, kind: str, groups: tuple[str, ...], ns: str | None) -> list[Document]:
        """Istio security objects whose selector picks the pods (no selector: the whole namespace)."""
        out = []
        for doc in self.index.kind(kind, groups):
            sel = spec_of(doc).get("selector")
            if self._same_ns(doc, ns) and (sel is None or selector_matches(as_dict(sel), pt.labels)):
                out.append(doc)
        return out

    def _same_ns(self, doc: Document, ns: str | None) -> bool:
        return ManifestIndex._same_ns(self.index.namespace_of(doc), ns)


def _traffic_policy(tp: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    tls = as_dict(tp.get("tls")).get("mode")
    if tls:
        out.append(f"{prefix}TLS {tls}")
    lb = as_dict(tp.get("loadBalancer"))
    if lb:
        hashed = as_dict(lb.get("consistentHash"))
        out.append(f"{prefix}load balancing " + (f"consistentHash {', '.join(hashed)}" if hashed
                                                  else str(lb.get("simple", ""))))
    if tp.get("outlierDetection"):
        out.append(f"{prefix}outlier detection")
    if tp.get("connectionPool"):
        out.append(f"{prefix}connection pool limits")
    for pl in as_list(tp.get("portLevelSettings")):
        out.append(f"{prefix}port {as_dict(as_dict(pl).get('port')).get('number')} settings")
    return out
