"""Gateway API cross-object semantics that break traffic with no error anywhere: a route's parentRefs against the
Gateway's listeners (sectionName, port, allowedRoutes namespaces and kinds, hostnames), cross-namespace references
against ReferenceGrants, and a GRPCRoute backend's appProtocol - CG-GW-020..025."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.gatewayapi import ParentRef, hostnames_intersect, listeners, parent_refs, route_rules, routes
from chartgen.check.helpers import (
    CORE,
    GATEWAY_API,
    as_dict,
    as_int,
    as_list,
    renders_kind_in,
    selector_matches,
    service_ports,
    spec_of,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.core.record import Record, record

LAYER = "cross"
# the route kinds a listener admits when allowedRoutes.kinds is not given (by protocol; TLS also TCPRoute, as
# implementations that terminate TLS admit it)
DEFAULT_KINDS = {"HTTP": ("HTTPRoute", "GRPCRoute"), "HTTPS": ("HTTPRoute", "GRPCRoute"),
                 "TLS": ("TLSRoute", "TCPRoute"), "TCP": ("TCPRoute",), "UDP": ("UDPRoute",)}

_ATTACH_EXAMPLE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: shop.example.com}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: edge}
spec:
"""


def _gateway(index: ManifestIndex, ref: ParentRef) -> Document | None:
    return index.get("Gateway", ref.name, ref.namespace, GATEWAY_API)


def _candidates(gw: Document, ref: ParentRef) -> list[tuple[int, dict[str, Any]]]:
    return [(i, lst) for i, lst in listeners(gw)
            if (ref.section is None or str(lst.get("name")) == ref.section)
            and (ref.port is None or as_int(lst.get("port")) == ref.port)]


@rule("CG-GW-020", Severity.ERROR, "Route parentRef names no Gateway, listener (sectionName) or port that is rendered",
      LAYER,
      why="A parentRef whose sectionName or port matches no listener of the Gateway leaves the route unattached "
          "(Accepted: False, NoMatchingParent): no request reaches its backends. A Gateway missing from the input is "
          "a warning unless the input renders Gateways in that namespace (then it is a naming bug).",
      fix="use the Gateway's rendered name and one of its listener names (sectionName) or ports",
      example=_ATTACH_EXAMPLE + """\
  parentRefs: [{name: public, sectionName: https}]
  hostnames: [shop.example.com]
  rules:
  - backendRefs: [{name: web, port: 80}]
""")
def parent_listener(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index):
        for ref in parent_refs(index, route):
            gw = _gateway(index, ref)
            if gw is None:
                if opts.is_external("Gateway", ref.name, ref.namespace):
                    continue
                certain = renders_kind_in(index, "Gateway", GATEWAY_API, ref.namespace)
                yield finding("CG-GW-020", route, f"{route.kind} {route.name}: parentRef Gateway {ref.name!r} is not "
                              "in the rendered manifests" + ("" if certain else " (fine if another release renders "
                                                                                 "it)"),
                              field=ref.field, severity=None if certain else Severity.WARNING,
                              hint="reference the Gateway by its rendered name, or declare it in .chartgen-check.yaml "
                                   "(external: [{kind: Gateway, name: ...}])")
                continue
            if not _candidates(gw, ref):
                names = ", ".join(f"{lst.get('name')}:{lst.get('port')}" for _, lst in listeners(gw)) or "none"
                what = " and ".join(x for x in (f"sectionName {ref.section!r}" if ref.section else "",
                                                f"port {ref.port}" if ref.port is not None else "") if x)
                yield finding("CG-GW-020", route, f"{route.kind} {route.name}: {what} matches no listener of Gateway "
                              f"{gw.name} (listeners: {names}); the route is not attached", field=ref.field)


@record
class Refusal(Record):
    reason: str  # why a listener does not admit the route
    certain: bool


def _namespace_refusal(index: ManifestIndex, gw: Document, lst: dict[str, Any], route: Document) -> Refusal | None:
    namespaces = as_dict(as_dict(lst.get("allowedRoutes")).get("namespaces"))
    source = str(namespaces.get("from") or "Same")
    route_ns, gw_ns = index.namespace_of(route), index.namespace_of(gw)
    if source == "Same" and route_ns != gw_ns:
        certain = route_ns is not None and gw_ns is not None
        return Refusal(f"admits routes of its own namespace only (allowedRoutes.namespaces.from: Same), the route is "
                       f"in {route_ns or 'the release namespace'}, the Gateway in {gw_ns or 'the release namespace'}",
                       certain)
    if source == "Selector" and route_ns is not None:
        ns_doc = index.get("Namespace", route_ns, None, CORE)
        if ns_doc is not None:
            labels = dict(as_dict(as_dict(ns_doc.obj.get("metadata")).get("labels")))
            labels.setdefault("kubernetes.io/metadata.name", route_ns)
            if not selector_matches(as_dict(namespaces.get("selector")), labels):
                return Refusal(f"admits namespaces matching its allowedRoutes selector, and Namespace {route_ns} "
                               "does not match it", True)
    return None


def _kinds_refusal(lst: dict[str, Any], route: Document) -> Refusal | None:
    kinds = as_list(as_dict(lst.get("allowedRoutes")).get("kinds"))
    if kinds:
        allowed = [str(as_dict(k).get("kind")) for k in kinds
                   if str(as_dict(k).get("group", GATEWAY_API[0])) == GATEWAY_API[0]]
        if route.kind not in allowed:
            return Refusal(f"admits route kinds {', '.join(allowed) or 'none'} (allowedRoutes.kinds)", True)
        return None
    defaults = DEFAULT_KINDS.get(str(lst.get("protocol")))
    if defaults is not None and route.kind not in defaults:
        return Refusal(f"is {lst.get('protocol')} and admits {', '.join(defaults)}", True)
    return None


@rule("CG-GW-021", Severity.ERROR, "No listener of the parent Gateway admits the route (allowedRoutes namespaces or "
      "kinds)", LAYER,
      why="A listener admits routes from its own namespace unless allowedRoutes.namespaces says otherwise, and only "
          "the route kinds of its protocol (or allowedRoutes.kinds); a route no listener admits is not attached "
          "(NotAllowedByListeners) and its traffic never arrives. A namespace that is not rendered makes it a "
          "warning.",
      fix="set allowedRoutes.namespaces.from: All (or a Selector matching the route's namespace) on the listener, "
          "or use a route kind the listener's protocol carries",
      example=_ATTACH_EXAMPLE.replace("{name: web, namespace: edge}", "{name: web, namespace: shop}") + """\
  parentRefs: [{name: public, namespace: edge}]
  hostnames: [shop.example.com]
  rules:
  - backendRefs: [{name: web, port: 80}]
""")
def listener_admits(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index):
        for ref in parent_refs(index, route):
            gw = _gateway(index, ref)
            cands = _candidates(gw, ref) if gw is not None else []
            if gw is None or not cands:
                continue
            refusals = []
            for _, lst in cands:
                r = _kinds_refusal(lst, route) or _namespace_refusal(index, gw, lst, route)
                if r is None:
                    break
                refusals.append((lst, r))
            else:
                certain = all(r.certain for _, r in refusals)
                why = "; ".join(f"listener {lst.get('name')!r} {r.reason}" for lst, r in refusals)
                yield finding("CG-GW-021", route, f"{route.kind} {route.name}: no listener of Gateway {gw.name} admits "
                              f"it ({why}); the route is not attached", field=ref.field,
                              severity=None if certain else Severity.WARNING)


@rule("CG-GW-022", Severity.ERROR, "Route hostnames match no hostname of the listeners it attaches to", LAYER,
      why="A route attaches to a listener only where its hostnames intersect the listener's hostname; with no "
          "intersection it is not attached (NoMatchingListenerHostname) and requests for its hosts get 404.",
      fix="make the route's hostnames match the listener hostname (or a wildcard listener), or drop the listener "
          "hostname",
      example=_ATTACH_EXAMPLE + """\
  parentRefs: [{name: public}]
  hostnames: [api.example.com]
  rules:
  - backendRefs: [{name: web, port: 80}]
""")
def listener_hostnames(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, ("HTTPRoute", "GRPCRoute", "TLSRoute")):
        hostnames = [str(h) for h in as_list(spec_of(route).get("hostnames"))]
        if not hostnames:
            continue
        for ref in parent_refs(index, route):
            gw = _gateway(index, ref)
            if gw is None:
                continue
            admitting = [lst for _, lst in _candidates(gw, ref)
                         if _kinds_refusal(lst, route) is None and _namespace_refusal(index, gw, lst, route) is None]
            if not admitting:
                continue
            listener_hosts = [lst.get("hostname") for lst in admitting]
            if any(h is None or any(hostnames_intersect(str(h), rh) for rh in hostnames) for h in listener_hosts):
                continue
            yield finding("CG-GW-022", route, f"{route.kind} {route.name}: hostnames {', '.join(hostnames)} match no "
                          f"listener hostname of Gateway {gw.name} ({', '.join(str(h) for h in listener_hosts)}); the "
                          "route is not attached", field="spec.hostnames")


@record
class CrossRef(Record):
    source: Document
    target_kind: str  # Service, Secret
    target_group: str
    name: str
    namespace: str
    field: str


def _cross_refs(index: ManifestIndex) -> Iterator[CrossRef]:
    for route in routes(index):
        route_ns = index.namespace_of(route)
        for ri, r in route_rules(route):
            for bi, b in enumerate(as_list(r.get("backendRefs"))):
                b = as_dict(b)
                ns = b.get("namespace")
                if ns and route_ns and str(ns) != route_ns and b.get("name"):
                    yield CrossRef(route, str(b.get("kind", "Service")), str(b.get("group", "")), str(b["name"]),
                                   str(ns), f"spec.rules[{ri}].backendRefs[{bi}]")
    for gw in index.kind("Gateway", GATEWAY_API):
        gw_ns = index.namespace_of(gw)
        for i, lst in listeners(gw):
            for ci, c in enumerate(as_list(as_dict(lst.get("tls")).get("certificateRefs"))):
                c = as_dict(c)
                ns = c.get("namespace")
                if ns and gw_ns and str(ns) != gw_ns and c.get("name"):
                    yield CrossRef(gw, str(c.get("kind", "Secret")), str(c.get("group", "")), str(c["name"]),
                                   str(ns), f"spec.listeners[{i}].tls.certificateRefs[{ci}]")


def _granted(index: ManifestIndex, ref: CrossRef) -> bool:
    src_ns = index.namespace_of(ref.source)
    for grant in index.kind("ReferenceGrant", GATEWAY_API):
        if index.namespace_of(grant) != ref.namespace:
            continue
        spec = spec_of(grant)
        froms = any(str(f.get("group", "")) == GATEWAY_API[0] and str(f.get("kind")) == ref.source.kind
                    and str(f.get("namespace")) == src_ns for f in map(as_dict, as_list(spec.get("from"))))
        tos = any(str(t.get("group", "")) == ref.target_group and str(t.get("kind")) == ref.target_kind
                  and (not t.get("name") or str(t.get("name")) == ref.name)
                  for t in map(as_dict, as_list(spec.get("to"))))
        if froms and tos:
            return True
    return False


@rule("CG-GW-023", Severity.ERROR, "Cross-namespace reference without a ReferenceGrant in the target namespace",
      LAYER,
      why="A backendRef or certificateRef to another namespace is honoured only when a ReferenceGrant in the "
          "target namespace allows that kind from the source namespace; without it the reference is refused "
          "(RefNotPermitted) and requests fail (500) or the listener has no certificate. When the input renders no "
          "ReferenceGrant in the target namespace another release may, so it is a warning.",
      fix="add a ReferenceGrant in the target namespace: from {group: gateway.networking.k8s.io, kind: <route or "
          "Gateway>, namespace: <source>}, to {group: '', kind: Service or Secret}",
      example="""\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: edge}
spec:
  rules:
  - backendRefs: [{name: web, namespace: shop, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: from-edge, namespace: shop}
spec:
  from: [{group: gateway.networking.k8s.io, kind: GRPCRoute, namespace: edge}]
  to: [{group: '', kind: Service}]
""")
def reference_grants(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ref in _cross_refs(index):
        if _granted(index, ref):
            continue
        certain = renders_kind_in(index, "ReferenceGrant", GATEWAY_API, ref.namespace)
        yield finding("CG-GW-023", ref.source, f"{ref.source.kind} {ref.source.name}: {ref.target_kind} "
                      f"{ref.namespace}/{ref.name} is in another namespace and no ReferenceGrant in {ref.namespace} "
                      f"allows {ref.source.kind} from {index.namespace_of(ref.source)}"
                      + ("" if certain else " in the rendered manifests (fine if another release renders it)"),
                      field=ref.field, severity=None if certain else Severity.WARNING)


@rule("CG-GW-024", Severity.WARNING, "ReferenceGrant allows references from its own namespace (grants nothing)",
      LAYER,
      why="A ReferenceGrant must live in the namespace of the referenced objects (the 'to' side); references within "
          "one namespace need no grant, so a from entry naming the grant's own namespace grants nothing. It is "
          "usually placed in the route's namespace instead of the backend's.",
      fix="move the ReferenceGrant to the namespace of the Services/Secrets it grants access to, with from naming "
          "the route's (Gateway's) namespace",
      example="""\
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: to-shop, namespace: edge}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: edge}]
  to: [{group: '', kind: Service}]
""")
def grant_placement(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for grant in index.kind("ReferenceGrant", GATEWAY_API):
        ns = index.namespace_of(grant)
        for i, f in enumerate(as_list(spec_of(grant).get("from"))):
            if ns is not None and str(as_dict(f).get("namespace")) == ns:
                yield finding("CG-GW-024", grant, f"ReferenceGrant {grant.name}: from[{i}] names its own namespace "
                              f"{ns}; same-namespace references need no grant, so it grants nothing (place it in the "
                              "namespace of the referenced objects)", field=f"spec.from[{i}].namespace")


HTTP1_APP_PROTOCOLS = ("http", "kubernetes.io/ws", "kubernetes.io/wss")


def _http1_only(port: dict[str, Any]) -> str | None:
    app = port.get("appProtocol")
    if app is not None:
        return f"appProtocol {app}" if str(app).lower() in HTTP1_APP_PROTOCOLS else None
    name = str(port.get("name") or "")
    return f"name {name} (Istio: HTTP/1.1)" if name == "http" or name.startswith("http-") else None


@rule("CG-GW-025", Severity.WARNING, "GRPCRoute backend port declares an HTTP/1.1 protocol", LAYER,
      why="gRPC needs HTTP/2 to the backend. A Service port whose appProtocol is http or kubernetes.io/ws (or, for "
          "Istio, whose name is http/http-*) tells the gateway to speak HTTP/1.1 to it, and every gRPC call fails; "
          "certain unless the mesh upgrades upstream connections to HTTP/2 (h2UpgradePolicy).",
      fix="declare the port as appProtocol: kubernetes.io/h2c (or grpc, or name it grpc-*)",
      example="""\
apiVersion: v1
kind: Service
metadata: {name: greeter}
spec:
  selector: {app: greeter}
  ports: [{name: api, port: 50051, appProtocol: http}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: greeter}
spec:
  rules:
  - backendRefs: [{name: greeter, port: 50051}]
""")
def grpc_backend_protocol(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for route in routes(index, ("GRPCRoute",)):
        for ri, r in route_rules(route):
            for bi, b in enumerate(as_list(r.get("backendRefs"))):
                b = as_dict(b)
                if str(b.get("kind", "Service")) != "Service" or str(b.get("group", "")) not in ("", "core"):
                    continue
                svc = index.get("Service", str(b.get("name", "")), str(b.get("namespace") or "") or
                                index.namespace_of(route), CORE)
                port = as_int(b.get("port"))
                if svc is None or port is None:
                    continue
                for p in service_ports(svc):
                    why = _http1_only(p) if as_int(p.get("port")) == port else None
                    if why:
                        yield finding("CG-GW-025", route, f"GRPCRoute {route.name}: backend Service {svc.name} port "
                                      f"{port} declares {why}; the gateway speaks HTTP/1.1 to it and gRPC calls fail",
                                      field=f"spec.rules[{ri}].backendRefs[{bi}]")
