"""Layer "istio": Istio traffic objects checked against each other and against the rendered Services/pods.

Modelled on ``istioctl analyze`` (the IST codes are quoted in messages so users can look them up) and on Istio's
own admission validation (pkg/config/validation), restricted to what can be decided from one chart's manifests.

How references that leave the rendered set are judged (a chart is checked without the cluster):

* Gateways: ``name`` means "a Gateway in my namespace", which is where the chart installs, so a missing one is an
  ERROR. ``ns/name`` with a namespace the chart does not render into is the usual shared-gateway pattern
  (``istio-system/ingressgateway``) and only a WARNING. ``mesh`` is the sidecar pseudo-gateway.
* Destination hosts: a short name (``reviews``) is a Service in the VirtualService's namespace: missing is an
  ERROR (IST0101). A cluster-local FQDN (``reviews.other.svc.cluster.local``) into a namespace the chart does not
  render is a WARNING; into its own namespace an ERROR. Hosts outside the cluster (any other dotted name) are
  fine when a ServiceEntry in the set declares them, and otherwise an INFO (reachable only while the mesh's
  outboundTrafficPolicy is ALLOW_ANY).
* Istio expands only short names: ``reviews.default`` and ``reviews.default.svc`` are taken literally by the
  sidecar routing, not as the Service, even though Kubernetes DNS resolves them. Such a host that names a
  rendered Service gets a WARNING pointing at the short name or the FQDN.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chartgen.check.cross import (
    PodLookup,
    _dict,
    _list,
    as_int,
    fmt_labels,
    index_cache,
    rendered_namespaces,
    service_ports,
    service_selector,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import rule

LAYER = "istio"
MESH = "mesh"
CLUSTER_SUFFIX = ".svc.cluster.local"
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Istio protocol selection by port name (`<proto>[-suffix]`), pkg/config/protocol.
ISTIO_PROTOCOLS = ("http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "mongo", "mysql", "redis", "udp",
                   "http_proxy")


def _f(doc: Document, rule_id: str, severity: Severity, message: str, hint: str, field: str | None) -> Finding:
    return Finding.at(doc, rule_id, severity, message, hint, field=field)


def is_istio(doc: Document) -> bool:
    return doc.api_version.split("/", 1)[0].endswith(".istio.io")


def _spec(doc: Document) -> dict[str, Any]:
    return _dict(doc.obj.get("spec"))


# --------------------------------------------------------------------------------------------------------------
# host names
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Host:
    raw: str
    form: str  # short | name.ns | svc | fqdn | external | wildcard | ip
    name: str | None = None  # Service name, for the service-like forms
    namespace: str | None = None  # Service namespace (None: unknown, matches any)

    @property
    def service_like(self) -> bool:
        return self.form in ("short", "name.ns", "svc", "fqdn")

    @property
    def fqdn(self) -> str | None:
        if self.service_like and self.namespace:
            return f"{self.name}.{self.namespace}{CLUSTER_SUFFIX}"
        return None

    def names(self) -> set[str]:
        out = {self.raw.lower()}
        if self.fqdn:
            out.add(self.fqdn)
        return out


def parse_host(host: str, namespace: str | None) -> Host:
    """Interpret a host as Istio does, relative to the namespace of the object that names it."""
    h = str(host).strip().lower().rstrip(".")
    if h.startswith("*"):
        return Host(h, "wildcard")
    try:
        ipaddress.ip_address(h)
        return Host(h, "ip")
    except ValueError:
        pass
    if "." not in h:
        return Host(h, "short", h, namespace)
    if h.endswith(CLUSTER_SUFFIX):
        parts = h[: -len(CLUSTER_SUFFIX)].split(".")
        return Host(h, "fqdn", parts[0], parts[1]) if len(parts) == 2 else Host(h, "external")
    parts = h.split(".")
    if len(parts) == 3 and parts[2] == "svc":
        return Host(h, "svc", parts[0], parts[1])
    if len(parts) == 2:
        return Host(h, "name.ns", parts[0], parts[1])
    return Host(h, "external")


def hosts_overlap(a: str, b: str) -> bool:
    """Istio host.Name.Matches: equal, or one wildcard (`*.example.com`, `*`) covering the other."""
    a, b = a.lower(), b.lower()
    if a == "*" or b == "*":
        return True
    if a.startswith("*") and b.startswith("*"):
        return a[1:].endswith(b[1:]) or b[1:].endswith(a[1:])
    if a.startswith("*"):
        return b.endswith(a[1:])
    if b.startswith("*"):
        return a.endswith(b[1:])
    return a == b


class Mesh:
    """Lookups over one ManifestIndex, built once."""

    def __init__(self, index: ManifestIndex) -> None:
        self.index = index
        self.namespaces = rendered_namespaces(index)
        self.services: dict[str, list[Document]] = {}
        for svc in index.kind("Service"):
            self.services.setdefault(svc.name, []).append(svc)
        self.se_hosts: list[tuple[str, Document]] = []
        for se in index.kind("ServiceEntry"):
            se_ns = index.namespace_of(se)
            for h in _list(_spec(se).get("hosts")):
                ph = parse_host(str(h), se_ns)
                for n in ph.names():
                    self.se_hosts.append((n, se))
        self.drs: list[tuple[Document, Host]] = []
        self.drs_by_name: dict[str, list[tuple[Document, Host]]] = {}
        self.drs_other: list[tuple[Document, Host]] = []  # wildcard / external hosts
        for dr in index.kind("DestinationRule"):
            host = _spec(dr).get("host")
            if host:
                entry = (dr, parse_host(str(host), index.namespace_of(dr)))
                self.drs.append(entry)
                if entry[1].service_like:
                    self.drs_by_name.setdefault(entry[1].name or "", []).append(entry)
                else:
                    self.drs_other.append(entry)

    @classmethod
    def of(cls, index: ManifestIndex) -> Mesh:
        return index_cache(index, "_cg_mesh", lambda: cls(index))

    def service(self, h: Host) -> Document | None:
        if not h.service_like:
            return None
        for svc in self.services.get(h.name or "", []):
            if ManifestIndex._same_ns(self.index.namespace_of(svc), h.namespace):
                return svc
        return None

    def service_entry(self, h: Host) -> Document | None:
        names = h.names()
        for se_host, se in self.se_hosts:
            if any(hosts_overlap(se_host, n) if se_host.startswith("*") else se_host == n for n in names):
                return se
        return None

    def destination_rules(self, h: Host) -> list[Document]:
        candidates = (self.drs_by_name.get(h.name or "", []) + self.drs_other) if h.service_like else self.drs
        return [dr for dr, dh in candidates if same_target(h, dh)]

    def local_namespace(self, ns: str | None) -> bool:
        """Is this a namespace the chart renders into (or unknown, i.e. wherever the chart is installed)?"""
        return ns is None or ns in self.namespaces


def same_target(a: Host, b: Host) -> bool:
    if a.service_like and b.service_like:
        return a.name == b.name and ManifestIndex._same_ns(a.namespace, b.namespace)
    if b.form == "wildcard":
        return any(hosts_overlap(b.raw, n) for n in a.names())
    if a.form == "wildcard":
        return any(hosts_overlap(a.raw, n) for n in b.names())
    return bool(a.names() & b.names())


# --------------------------------------------------------------------------------------------------------------
# VirtualService walking
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Dest:
    dest: dict[str, Any]
    field: str  # path of the destination object
    kind: str  # "route" | "mirror"


def destinations(vs: Document) -> Iterator[Dest]:
    spec = _spec(vs)
    for section in ("http", "tcp", "tls"):
        for ri, r in enumerate(_list(spec.get(section))):
            r = _dict(r)
            for di, d in enumerate(_list(r.get("route"))):
                d = _dict(d)
                if isinstance(d.get("destination"), dict):
                    yield Dest(d["destination"], f"spec.{section}[{ri}].route[{di}].destination", "route")
            if section == "http":
                if isinstance(r.get("mirror"), dict):
                    yield Dest(r["mirror"], f"spec.http[{ri}].mirror", "mirror")
                for mi, m in enumerate(_list(r.get("mirrors"))):
                    if isinstance(_dict(m).get("destination"), dict):
                        yield Dest(m["destination"], f"spec.http[{ri}].mirrors[{mi}].destination", "mirror")


def gateway_refs(vs: Document) -> Iterator[tuple[str, str]]:
    """(gateway reference, field) from spec.gateways and every route match's gateways."""
    spec = _spec(vs)
    for i, g in enumerate(_list(spec.get("gateways"))):
        yield str(g), f"spec.gateways[{i}]"
    for section in ("http", "tcp", "tls"):
        for ri, r in enumerate(_list(spec.get(section))):
            for mi, m in enumerate(_list(_dict(r).get("match"))):
                for gi, g in enumerate(_list(_dict(m).get("gateways"))):
                    yield str(g), f"spec.{section}[{ri}].match[{mi}].gateways[{gi}]"


def split_gateway(ref: str, vs_ns: str | None) -> tuple[str, str | None, bool]:
    """(name, namespace, explicit namespace?) of a VirtualService gateway reference."""
    if "/" in ref:
        ns, name = ref.split("/", 1)
        return name, ns, True
    return ref, vs_ns, False


def bound_to_mesh(vs: Document) -> bool:
    gws = [str(g) for g in _list(_spec(vs).get("gateways"))]
    return not gws or MESH in gws


def _port_number(dest: dict[str, Any]) -> int | None:
    return as_int(_dict(dest.get("port")).get("number"))


def _ports_text(ports: list[dict[str, Any]], key: str = "port") -> str:
    return ", ".join(str(p.get(key)) for p in ports) or "none"


# --------------------------------------------------------------------------------------------------------------
# VirtualService rules
# --------------------------------------------------------------------------------------------------------------


@rule("CG-ISTIO-001", Severity.ERROR, "VirtualService references a Gateway that is not rendered (IST0101)", LAYER)
def vs_gateway_missing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService"):
        vs_ns = index.namespace_of(vs)
        seen: set[str] = set()
        for ref, field in gateway_refs(vs):
            if ref == MESH or ref in seen:
                continue
            seen.add(ref)
            name, ns, explicit = split_gateway(ref, vs_ns)
            if index.get("Gateway", name, ns) is not None:
                continue
            if explicit and not mesh.local_namespace(ns):
                yield _f(vs, "CG-ISTIO-001", Severity.WARNING,
                         f"VirtualService {vs.name}: gateway {ref!r} is not in the rendered manifests "
                         f"(IST0101 ReferencedResourceNotFound unless it exists in namespace {ns})",
                         f"make sure Gateway {name} exists in namespace {ns} (a shared ingress gateway), or render it",
                         field)
            else:
                yield _f(vs, "CG-ISTIO-001", Severity.ERROR,
                         f"VirtualService {vs.name}: gateway {ref!r} is not rendered (IST0101 "
                         "ReferencedResourceNotFound); the routes are never attached to a gateway",
                         "use the rendered Gateway's name (same fullname helper), `<namespace>/<name>` for a shared "
                         "gateway in another namespace, or `mesh` for sidecars", field)


@rule("CG-ISTIO-002", Severity.ERROR, "VirtualService destination host not found (IST0101)", LAYER)
def vs_destination_host(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService"):
        vs_ns = index.namespace_of(vs)
        for d in destinations(vs):
            raw = d.dest.get("host")
            if not raw:
                continue
            h = parse_host(str(raw), vs_ns)
            if h.form in ("wildcard", "ip"):
                continue  # `*` is a validation error (CG-ISTIO-020); IPs are not looked up
            field = f"{d.field}.host"
            what = "mirror host" if d.kind == "mirror" else "destination host"
            svc = mesh.service(h)
            se = mesh.service_entry(h)
            if svc is not None or se is not None:
                if svc is not None and se is None and h.form in ("name.ns", "svc"):
                    yield _f(vs, "CG-ISTIO-002", Severity.WARNING,
                             f"VirtualService {vs.name}: {what} {raw!r} looks like Service {svc.name} but Istio "
                             "expands only short names; this form is taken literally and matches no service",
                             f"use {h.name!r} (same namespace) or {h.name}.{h.namespace}{CLUSTER_SUFFIX}", field)
                continue
            if h.form == "short" or h.form in ("fqdn", "svc", "name.ns") and h.namespace in mesh.namespaces:
                sev = Severity.ERROR
            elif h.form in ("fqdn", "svc"):
                sev = Severity.WARNING
            else:
                sev = Severity.INFO  # outside the cluster (incl. two-label names like httpbin.org)
            if sev == Severity.INFO:
                yield _f(vs, "CG-ISTIO-002", sev,
                         f"VirtualService {vs.name}: {what} {raw!r} is outside the cluster and no ServiceEntry in "
                         "the rendered manifests declares it",
                         "render a ServiceEntry for it (required when outboundTrafficPolicy is REGISTRY_ONLY)",
                         field)
            elif sev == Severity.WARNING:
                yield _f(vs, "CG-ISTIO-002", sev,
                         f"VirtualService {vs.name}: {what} {raw!r} is a Service in namespace {h.namespace}, which "
                         "is not in the rendered manifests (IST0101 unless it exists there)",
                         "make sure the Service exists in that namespace", field)
            else:
                yield _f(vs, "CG-ISTIO-002", sev,
                         f"VirtualService {vs.name}: {what} {raw!r} matches no rendered Service or ServiceEntry "
                         "(IST0101 ReferencedResourceNotFound); requests fail with 503 (no healthy upstream)",
                         "use the rendered Service's name (short name = same namespace), or render a ServiceEntry",
                         field)


def _host_is_local(mesh: Mesh, h: Host) -> bool:
    return mesh.service(h) is not None or h.form == "short" or (h.service_like and h.namespace in mesh.namespaces)


@rule("CG-ISTIO-003", Severity.ERROR, "VirtualService subset not defined by a DestinationRule (IST0101)", LAYER)
def vs_subset(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService"):
        vs_ns = index.namespace_of(vs)
        for d in destinations(vs):
            subset, raw = d.dest.get("subset"), d.dest.get("host")
            if not subset or not raw:
                continue
            h = parse_host(str(raw), vs_ns)
            if h.form in ("wildcard", "ip"):
                continue
            drs = mesh.destination_rules(h)
            if not drs:
                local = _host_is_local(mesh, h)
                yield _f(vs, "CG-ISTIO-003", Severity.ERROR if local else Severity.WARNING,
                         f"VirtualService {vs.name}: subset {subset!r} of host {raw!r}, but no rendered "
                         "DestinationRule is for that host (IST0101 ReferencedResourceNotFound)"
                         + ("" if local else "; it may exist where the host lives"),
                         f"render a DestinationRule with host {raw} and a subset named {subset}", f"{d.field}.subset")
                continue
            names = [str(_dict(s).get("name")) for dr in drs for s in _list(_spec(dr).get("subsets"))]
            if str(subset) not in names:
                yield _f(vs, "CG-ISTIO-003", Severity.ERROR,
                         f"VirtualService {vs.name}: subset {subset!r} is not defined by DestinationRule "
                         f"{', '.join(dr.name for dr in drs)} for host {raw!r} (subsets: {', '.join(names) or 'none'}; "
                         "IST0101); requests fail with 503",
                         "add the subset to the DestinationRule or fix the subset name", f"{d.field}.subset")


def _dest_ports(mesh: Mesh, h: Host) -> tuple[Document | None, list[dict[str, Any]], str]:
    svc = mesh.service(h)
    if svc is not None:
        return svc, service_ports(svc), "port"
    se = mesh.service_entry(h)
    if se is not None:
        return se, [p for p in _list(_spec(se).get("ports")) if isinstance(p, dict)], "number"
    return None, [], "port"


@rule("CG-ISTIO-004", Severity.ERROR, "Destination Service has several ports and the route sets none (IST0112)",
      LAYER)
def vs_port_required(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService"):
        for d in destinations(vs):
            raw = d.dest.get("host")
            if not raw or d.dest.get("port") is not None:
                continue
            target, ports, key = _dest_ports(mesh, parse_host(str(raw), index.namespace_of(vs)))
            if target is not None and len(ports) > 1:
                yield _f(vs, "CG-ISTIO-004", Severity.ERROR,
                         f"VirtualService {vs.name}: destination {raw!r} is {target.kind} {target.name} with "
                         f"{len(ports)} ports ({_ports_text(ports, key)}) and no destination.port "
                         "(IST0112 VirtualServiceDestinationPortSelectorRequired)",
                         "set destination.port.number to the Service port to route to", d.field)


@rule("CG-ISTIO-005", Severity.ERROR, "Destination port is not a port of the destination Service", LAYER)
def vs_port_exists(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    for vs in index.kind("VirtualService"):
        for d in destinations(vs):
            raw, num = d.dest.get("host"), _port_number(d.dest)
            if not raw or num is None:
                continue
            target, ports, key = _dest_ports(mesh, parse_host(str(raw), index.namespace_of(vs)))
            if target is None or not ports:
                continue
            if any(as_int(p.get(key)) == num for p in ports):
                continue
            extra = ""
            if target.kind == "Service" and any(as_int(p.get("targetPort")) == num for p in ports):
                extra = " (it is a targetPort: Istio routes to the Service port)"
            yield _f(vs, "CG-ISTIO-005", Severity.ERROR,
                     f"VirtualService {vs.name}: destination {raw}:{num} is not a port of {target.kind} "
                     f"{target.name} (ports: {_ports_text(ports, key)}){extra} (IST0101 host:port)",
                     "set destination.port.number to one of the Service's `port` values", f"{d.field}.port.number")


def gateway_hosts(gw: Document, gw_ns: str | None, vs_ns: str | None) -> list[str]:
    """Hosts a Gateway exposes to VirtualServices of vs_ns (`ns/host`, `./host`, `*/host` handled)."""
    out = []
    for s in _list(_spec(gw).get("servers")):
        for h in _list(_dict(s).get("hosts")):
            h = str(h)
            if "/" in h:
                ns, host = h.split("/", 1)
                if ns == ".":
                    ns = gw_ns or "*"
                if ns != "*" and vs_ns is not None and ns != vs_ns:
                    continue
                h = host
            out.append(h)
    return out


@rule("CG-ISTIO-006", Severity.ERROR, "VirtualService host not served by its Gateway (IST0132)", LAYER)
def vs_host_in_gateway(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # ERROR (istioctl reports IST0132 as a warning): both objects are in the chart, and a VirtualService whose
    # hosts the Gateway does not serve is never used for that gateway's traffic (404 at the edge).
    for vs in index.kind("VirtualService"):
        vs_ns = index.namespace_of(vs)
        hosts = [str(h) for h in _list(_spec(vs).get("hosts"))]
        if not hosts:
            continue
        for i, ref in enumerate(_list(_spec(vs).get("gateways"))):
            ref = str(ref)
            if ref == MESH:
                continue
            name, ns, _ = split_gateway(ref, vs_ns)
            gw = index.get("Gateway", name, ns)
            if gw is None:
                continue
            ghosts = gateway_hosts(gw, index.namespace_of(gw), vs_ns)
            if any(hosts_overlap(g, h) for g in ghosts for h in hosts):
                continue
            yield _f(vs, "CG-ISTIO-006", Severity.ERROR,
                     f"VirtualService {vs.name}: none of its hosts ({', '.join(hosts)}) is served by Gateway "
                     f"{gw.name} (hosts: {', '.join(ghosts) or 'none'}) (IST0132 VirtualServiceHostNotFoundInGateway)",
                     "make the VirtualService hosts match a Gateway server host (wildcards like *.example.com "
                     "allowed), or add the host to the Gateway", f"spec.gateways[{i}]")


def _routes(vs: Document) -> Iterator[tuple[str, list[Any]]]:
    spec = _spec(vs)
    for section in ("http", "tcp", "tls"):
        for ri, r in enumerate(_list(spec.get(section))):
            route = _list(_dict(r).get("route"))
            if route:
                yield f"spec.{section}[{ri}].route", route


@rule("CG-ISTIO-007", Severity.ERROR, "Invalid route weights (negative, or all zero with several destinations)",
      LAYER)
def vs_weights(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService"):
        for field, route in _routes(vs):
            total = 0
            for di, d in enumerate(route):
                w = _dict(d).get("weight", 0)
                w_int = as_int(w)
                if w_int is None:
                    continue  # wrong type: schema layer
                if w_int < 0:
                    yield _f(vs, "CG-ISTIO-007", Severity.ERROR,
                             f"VirtualService {vs.name}: {field}[{di}].weight is {w_int}; weights must be >= 0 "
                             "(IST0106)", "use a weight >= 0", f"{field}[{di}].weight")
                total += w_int
            if len(route) > 1 and total == 0:
                yield _f(vs, "CG-ISTIO-007", Severity.ERROR,
                         f"VirtualService {vs.name}: {field} has {len(route)} destinations and a total weight of 0 "
                         "(IST0106: total destination weight = 0); Istio rejects it",
                         "give at least one destination a positive weight (e.g. 100 and 0)", field)


@rule("CG-ISTIO-008", Severity.INFO, "Route weights do not add up to 100 (Istio treats them as relative)", LAYER)
def vs_weights_sum(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService"):
        for field, route in _routes(vs):
            if len(route) < 2:
                continue
            ws = [as_int(_dict(d).get("weight", 0)) for d in route]
            if any(w is None or w < 0 for w in ws):
                continue
            total = sum(w for w in ws if w is not None)
            if total not in (0, 100):
                yield _f(vs, "CG-ISTIO-008", Severity.INFO,
                         f"VirtualService {vs.name}: {field} weights add up to {total}, not 100; Istio treats "
                         "weights as relative, so this works, but reads like a mistake",
                         "make the weights add up to 100 (Argo Rollouts and most tooling expect percentages)",
                         field)


@rule("CG-ISTIO-009", Severity.ERROR, "HTTP route needs exactly one of route, redirect, directResponse, delegate",
      LAYER)
def vs_http_action(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService"):
        for ri, r in enumerate(_list(_spec(vs).get("http"))):
            r = _dict(r)
            present = [k for k in ("route", "redirect", "directResponse", "delegate")
                       if (_list(r.get(k)) if k == "route" else r.get(k) is not None)]
            if len(present) == 1:
                continue
            name = f" {r['name']!r}" if r.get("name") else ""
            if not present:
                msg = "has none of route, redirect, directResponse, delegate (IST0106: http route or redirect or " \
                      "direct response is required)"
            else:
                msg = f"sets {' and '.join(present)}; they are mutually exclusive (IST0106)"
            yield _f(vs, "CG-ISTIO-009", Severity.ERROR, f"VirtualService {vs.name}: http[{ri}]{name} {msg}",
                     "give each http route exactly one of route / redirect / directResponse / delegate",
                     f"spec.http[{ri}]")


@rule("CG-ISTIO-015", Severity.ERROR, "Two mesh VirtualServices claim the same host (IST0109)", LAYER)
def vs_mesh_conflict(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    claims: dict[str, list[tuple[Document, Host]]] = {}
    for vs in index.kind("VirtualService"):
        if not bound_to_mesh(vs):
            continue
        vs_ns = index.namespace_of(vs)
        for h in {str(x) for x in _list(_spec(vs).get("hosts"))}:
            ph = parse_host(h, vs_ns)
            key = ph.name if ph.service_like else ph.raw
            claims.setdefault(key or "", []).append((vs, ph))
    for key, entries in claims.items():
        for j in range(1, len(entries)):
            vs_b, hb = entries[j]
            for vs_a, ha in entries[:j]:
                if vs_a is vs_b:
                    continue
                if ha.service_like and not ManifestIndex._same_ns(ha.namespace, hb.namespace):
                    continue
                yield _f(vs_b, "CG-ISTIO-015", Severity.ERROR,
                         f"VirtualService {vs_b.name} and VirtualService {vs_a.name} both bind host {hb.raw!r} to the "
                         "mesh (IST0109 ConflictingMeshGatewayVirtualServiceHosts); only one of them takes effect",
                         "merge the routes into one VirtualService per host (or bind one of them to a gateway only)",
                         "spec.hosts")
                break


@rule("CG-ISTIO-020", Severity.ERROR, "VirtualService fails Istio validation (IST0106)", LAYER)
def vs_validation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for vs in index.kind("VirtualService"):
        spec = _spec(vs)
        hosts = [str(h) for h in _list(spec.get("hosts"))]

        def err(msg: str, field: str, hint: str) -> Finding:
            return _f(vs, "CG-ISTIO-020", Severity.ERROR, f"VirtualService {vs.name}: {msg} (IST0106)", hint, field)

        if not any(_list(spec.get(k)) for k in ("http", "tcp", "tls")):
            yield err("has none of http, tcp, tls", "spec", "add at least one http (or tcp/tls) route")
        if not hosts and _list(spec.get("gateways")):
            yield err("has gateways but no hosts (a delegate VirtualService must not set gateways)", "spec.hosts",
                      "add hosts, or drop gateways if this is a delegate")
        seen: set[str] = set()
        for i, h in enumerate(hosts):
            if h in seen:
                yield err(f"host {h!r} is listed twice", f"spec.hosts[{i}]", "remove the duplicate host")
            seen.add(h)
            if h == "*" and bound_to_mesh(vs):
                yield err("wildcard host `*` is not allowed for a VirtualService bound to the mesh",
                          f"spec.hosts[{i}]", "bind it to a gateway, or name the hosts")
        for d in destinations(vs):
            if str(d.dest.get("host", "")) == "*":
                yield err("destination host `*` is not allowed", f"{d.field}.host", "name the destination Service")
            num = _port_number(d.dest)
            if num is not None and not 1 <= num <= 65535:
                yield err(f"destination port {num} is outside 1-65535", f"{d.field}.port.number",
                          "use the Service port number")
            sub = d.dest.get("subset")
            if sub is not None and not DNS1123_LABEL.match(str(sub)):
                yield err(f"subset {sub!r} is not a DNS-1123 label", f"{d.field}.subset",
                          "use lowercase letters, digits and '-'")
        for ri, r in enumerate(_list(spec.get("http"))):
            mp = _dict(_dict(r).get("mirrorPercentage")).get("value")
            if isinstance(mp, (int, float)) and not isinstance(mp, bool) and not 0 <= mp <= 100:
                yield err(f"http[{ri}].mirrorPercentage {mp} is outside 0-100", f"spec.http[{ri}].mirrorPercentage",
                          "use a percentage between 0 and 100")
        for section in ("tcp", "tls"):
            for ri, r in enumerate(_list(spec.get(section))):
                if not _list(_dict(r).get("route")):
                    yield err(f"{section}[{ri}] has no route destinations", f"spec.{section}[{ri}].route",
                              "add at least one route destination")


# --------------------------------------------------------------------------------------------------------------
# DestinationRule rules
# --------------------------------------------------------------------------------------------------------------


def _near_miss_service(mesh: Mesh, h: Host) -> str | None:
    """The rendered Service (same namespace) whose name is a near-miss of h's name, e.g. `reveiws` for `reviews`."""
    if not h.service_like or not h.name:
        return None
    names = sorted({svc.name for svcs in mesh.services.values() for svc in svcs
                    if ManifestIndex._same_ns(mesh.index.namespace_of(svc), h.namespace)})
    close = difflib.get_close_matches(h.name, names, n=1, cutoff=0.8)
    return close[0] if close else None


@rule("CG-ISTIO-010", Severity.WARNING, "DestinationRule host matches no Service or ServiceEntry (IST0174)", LAYER)
def dr_host(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # WARNING as in istioctl: the Service may belong to another release. ERROR when the host is a near-miss of a
    # Service the chart renders in that namespace: a typo, and the traffic policy (mTLS, subsets) silently applies
    # to nothing.
    mesh = Mesh.of(index)
    for dr, h in mesh.drs:
        if h.form in ("wildcard", "ip"):
            continue
        if mesh.service(h) is not None or mesh.service_entry(h) is not None:
            continue
        if h.form in ("fqdn", "svc") and not mesh.local_namespace(h.namespace):
            continue  # a Service of another namespace: cannot be judged from this chart
        near = _near_miss_service(mesh, h)
        yield _f(dr, "CG-ISTIO-010", Severity.ERROR if near else Severity.WARNING,
                 f"DestinationRule {dr.name}: host {h.raw!r} matches no rendered Service or ServiceEntry "
                 "(IST0174 UnknownDestinationRuleHost); the policy applies to nothing"
                 + (f"; did you mean Service {near!r}?" if near else ""),
                 "set spec.host to the rendered Service's name, or render a ServiceEntry for an external host",
                 "spec.host")


@rule("CG-ISTIO-011", Severity.WARNING, "DestinationRule subset selects no pods (IST0173)", LAYER)
def dr_subset_pods(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    mesh = Mesh.of(index)
    pods = PodLookup.of(index)
    for dr, h in mesh.drs:
        svc = mesh.service(h)
        if svc is None:
            continue
        sel = service_selector(svc)
        if sel is None:
            continue
        for si, s in enumerate(_list(_spec(dr).get("subsets"))):
            labels = _dict(_dict(s).get("labels"))
            if not labels:
                continue
            combined = {k: str(v) for k, v in sel.items()}
            if any(k in combined and combined[k] != str(v) for k, v in labels.items()):
                found = []
            else:
                combined.update({k: str(v) for k, v in labels.items()})
                found = pods.select(combined, index.namespace_of(svc))
            if found:
                continue
            yield _f(dr, "CG-ISTIO-011", Severity.WARNING,
                     f"DestinationRule {dr.name}: subset {_dict(s).get('name')!r} labels {fmt_labels(labels)} select "
                     f"no pod behind Service {svc.name} in the rendered manifests "
                     "(IST0173 DestinationRuleSubsetNotSelectPods); routes to it fail with 503",
                     "make the subset labels match the pod template labels of a workload the Service selects "
                     "(e.g. version: v1)", f"spec.subsets[{si}].labels")


@rule("CG-ISTIO-012", Severity.ERROR, "DestinationRule defines a subset name twice", LAYER)
def dr_duplicate_subsets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in index.kind("DestinationRule"):
        seen: set[str] = set()
        for si, s in enumerate(_list(_spec(dr).get("subsets"))):
            name = _dict(s).get("name")
            if name is None:
                continue
            if name in seen:
                yield _f(dr, "CG-ISTIO-012", Severity.ERROR,
                         f"DestinationRule {dr.name}: subset name {name!r} is defined twice (IST0106: duplicate "
                         "subset names)", "give every subset a unique name", f"spec.subsets[{si}].name")
            seen.add(str(name))


# --------------------------------------------------------------------------------------------------------------
# Service port naming
# --------------------------------------------------------------------------------------------------------------


def istio_port_name_ok(name: str) -> bool:
    n = name.lower()
    return any(n == p or n.startswith(p + "-") for p in ISTIO_PROTOCOLS)


@rule("CG-ISTIO-013", Severity.INFO, "Service port name does not follow Istio protocol naming (IST0118)", LAYER)
def service_port_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Only for charts that use Istio: elsewhere the naming convention is irrelevant. INFO, as in istioctl:
    # Istio falls back to protocol sniffing, which works but loses explicit protocol selection.
    if not any(is_istio(d) for d in index.documents):
        return
    for svc in index.kind("Service"):
        external = _spec(svc).get("type") == "ExternalName"
        for i, p in enumerate(service_ports(svc)):
            if p.get("appProtocol"):
                continue
            name = str(p.get("name") or "")
            if istio_port_name_ok(name):
                continue
            code = "IST0150" if external else "IST0118"
            yield _f(svc, "CG-ISTIO-013", Severity.INFO,
                     f"Service {svc.name}: port {name or p.get('port')!r} does not follow Istio's "
                     "`<protocol>[-suffix]` "
                     f"naming and sets no appProtocol ({code} PortNameIsNotUnderNamingConvention); Istio sniffs the "
                     "protocol", "name the port http, http2, grpc, tcp, tls, ... (e.g. `http-web`) or set appProtocol",
                     f"spec.ports[{i}].name")


# --------------------------------------------------------------------------------------------------------------
# Gateway rules
# --------------------------------------------------------------------------------------------------------------


def _servers(gw: Document) -> list[dict[str, Any]]:
    return [s for s in _list(_spec(gw).get("servers")) if isinstance(s, dict)]


def _strip_ns(host: str) -> str:
    return host.split("/", 1)[1] if "/" in host else host


@rule("CG-ISTIO-014", Severity.ERROR, "Two Gateways with the same selector claim the same host and port (IST0145)",
      LAYER)
def gateway_conflicts(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    groups: dict[frozenset[tuple[str, str]], list[Document]] = {}
    for gw in index.kind("Gateway"):
        sel = frozenset((str(k), str(v)) for k, v in _dict(_spec(gw).get("selector")).items())
        groups.setdefault(sel, []).append(gw)
    for sel, gws in groups.items():
        for j in range(1, len(gws)):
            b = gws[j]
            for a in gws[:j]:
                clash = _gateway_clash(a, b)
                if clash:
                    port, host = clash
                    yield _f(b, "CG-ISTIO-014", Severity.ERROR,
                             f"Gateway {b.name} and Gateway {a.name} select the same gateway pods "
                             f"({fmt_labels(dict(sel))}) and both claim host {host!r} on port {port} "
                             "(IST0145 ConflictingGateways); one of them is ignored",
                             "merge the servers into one Gateway, or use distinct hosts or ports", "spec.servers")
                    break


def _gateway_clash(a: Document, b: Document) -> tuple[int, str] | None:
    for sa in _servers(a):
        pa = as_int(_dict(sa.get("port")).get("number"))
        for sb in _servers(b):
            if pa is None or pa != as_int(_dict(sb.get("port")).get("number")):
                continue
            for ha in _list(sa.get("hosts")):
                for hb in _list(sb.get("hosts")):
                    if hosts_overlap(_strip_ns(str(ha)), _strip_ns(str(hb))):
                        return pa, _strip_ns(str(hb))
    return None


TLS_PROTOCOLS = ("HTTPS", "TLS")


@rule("CG-ISTIO-016", Severity.ERROR, "Gateway server TLS settings are inconsistent with its protocol", LAYER)
def gateway_tls(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in index.kind("Gateway"):
        for si, s in enumerate(_list(_spec(gw).get("servers"))):
            s = _dict(s)
            proto = str(_dict(s.get("port")).get("protocol", "")).upper()
            tls = s.get("tls")
            field = f"spec.servers[{si}]"

            def err(msg: str, hint: str, where: str = field) -> Finding:
                return _f(gw, "CG-ISTIO-016", Severity.ERROR, f"Gateway {gw.name}: server {si} ({proto}): {msg} "
                          "(IST0106)", hint, where)

            if proto in TLS_PROTOCOLS and not isinstance(tls, dict):
                yield err("has no tls block; HTTPS/TLS servers must configure TLS",
                          "add tls: {mode: SIMPLE, credentialName: <secret>} (or PASSTHROUGH for TLS)")
                continue
            if not isinstance(tls, dict):
                continue
            if proto not in TLS_PROTOCOLS:
                if not tls.get("httpsRedirect"):
                    yield err("plain-text server has TLS settings (only httpsRedirect is allowed)",
                              "remove tls, or change the protocol to HTTPS", f"{field}.tls")
                continue
            mode = str(tls.get("mode", "PASSTHROUGH")).upper()
            has_cred = bool(tls.get("credentialName") or tls.get("credentialNames") or tls.get("tlsCertificates")
                            or (tls.get("serverCertificate") and tls.get("privateKey")))
            if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") and not has_cred:
                yield err(f"tls.mode {mode} without credentialName (or serverCertificate/privateKey)",
                          "set tls.credentialName to the TLS Secret in the gateway's namespace", f"{field}.tls")
            elif mode in ("MUTUAL", "OPTIONAL_MUTUAL") and not (
                    tls.get("credentialName") or tls.get("credentialNames") or tls.get("caCertificates")
                    or tls.get("caCertCredentialName")):
                yield err(f"tls.mode {mode} without a CA to verify clients (caCertificates or a credentialName "
                          "whose Secret holds ca.crt)", "set credentialName (Secret with ca.crt) or caCertificates",
                          f"{field}.tls")
            if mode == "ISTIO_MUTUAL" and tls.get("credentialName"):
                yield err("tls.mode ISTIO_MUTUAL must not set credentialName", "drop credentialName, or use MUTUAL",
                          f"{field}.tls.credentialName")


@rule("CG-ISTIO-017", Severity.ERROR, "Gateway fails Istio validation (servers, hosts, ports, port names)", LAYER)
def gateway_validation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in index.kind("Gateway"):
        servers = _list(_spec(gw).get("servers"))
        if not servers:
            yield _f(gw, "CG-ISTIO-017", Severity.ERROR, f"Gateway {gw.name}: has no servers (IST0106)",
                     "add at least one server", "spec.servers")
            continue
        names: dict[str, int] = {}
        for si, s in enumerate(servers):
            s = _dict(s)
            port = _dict(s.get("port"))
            if not _list(s.get("hosts")):
                yield _f(gw, "CG-ISTIO-017", Severity.ERROR,
                         f"Gateway {gw.name}: server {si} has no hosts (IST0106)", "add hosts (e.g. \"*\" or a domain)",
                         f"spec.servers[{si}].hosts")
            num = as_int(port.get("number"))
            if num is not None and not 1 <= num <= 65535:
                yield _f(gw, "CG-ISTIO-017", Severity.ERROR,
                         f"Gateway {gw.name}: server {si} port {num} is outside 1-65535 (IST0106)",
                         "use a valid port number", f"spec.servers[{si}].port.number")
            name = port.get("name")
            if name is None:
                continue
            if str(name) in names:
                yield _f(gw, "CG-ISTIO-017", Severity.ERROR,
                         f"Gateway {gw.name}: port name {name!r} is used by servers {names[str(name)]} and {si}; "
                         "port names must be unique within a Gateway (IST0106)",
                         "give every server port a unique name (e.g. http, https)", f"spec.servers[{si}].port.name")
            else:
                names[str(name)] = si


# --------------------------------------------------------------------------------------------------------------
# security.istio.io
# --------------------------------------------------------------------------------------------------------------


@rule("CG-ISTIO-018", Severity.ERROR, "AuthorizationPolicy action/rules/provider are inconsistent", LAYER)
def authz_policy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ap in index.kind("AuthorizationPolicy"):
        spec = _spec(ap)
        action = str(spec.get("action") or "ALLOW").upper()
        rules = _list(spec.get("rules"))
        if action in ("DENY", "CUSTOM") and not rules:
            yield _f(ap, "CG-ISTIO-018", Severity.ERROR,
                     f"AuthorizationPolicy {ap.name}: action {action} without rules (IST0106); a {action} policy "
                     "needs rules to say what it applies to", "add rules, or use ALLOW with no rules to deny all",
                     "spec.rules")
        if spec.get("provider") is not None and action != "CUSTOM":
            yield _f(ap, "CG-ISTIO-018", Severity.ERROR,
                     f"AuthorizationPolicy {ap.name}: provider is set but action is {action} (IST0106); provider is "
                     "only allowed with CUSTOM", "set action: CUSTOM or drop provider", "spec.provider")
        if action == "CUSTOM" and not _dict(spec.get("provider")).get("name"):
            yield _f(ap, "CG-ISTIO-018", Severity.ERROR,
                     f"AuthorizationPolicy {ap.name}: action CUSTOM needs provider.name (IST0106)",
                     "set provider.name to an extension provider from the mesh config", "spec.provider")


@rule("CG-ISTIO-019", Severity.ERROR, "PeerAuthentication portLevelMtls without a workload selector", LAYER)
def peer_authn(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pa in index.kind("PeerAuthentication"):
        spec = _spec(pa)
        if _dict(spec.get("portLevelMtls")) and not _dict(_dict(spec.get("selector")).get("matchLabels")):
            yield _f(pa, "CG-ISTIO-019", Severity.ERROR,
                     f"PeerAuthentication {pa.name}: portLevelMtls requires a selector with matchLabels (IST0106); "
                     "namespace- or mesh-wide policies cannot set port-level mTLS",
                     "add spec.selector.matchLabels for the workload, or move the port settings to a "
                     "workload-specific PeerAuthentication", "spec.portLevelMtls")
