"""The Istio model the istio_* rule modules share: host names as Istio reads them, the mesh lookups (Services,
ServiceEntries, DestinationRules) and VirtualService/Gateway walking.

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

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    CORE,
    ISTIO_NETWORKING,
    as_dict,
    as_int,
    as_list,
    index_cache,
    rendered_namespaces,
    service_ports,
    spec_of,
)
from chartgen.check.model import Document, ManifestIndex
from chartgen.core.record import MutableRecord, Record, mutable_record, record

MESH = "mesh"


CLUSTER_SUFFIX = ".svc.cluster.local"


DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# Istio protocol selection by port name (`<proto>[-suffix]`), pkg/config/protocol.
ISTIO_PROTOCOLS = (
    "http",
    "http2",
    "https",
    "grpc",
    "grpc-web",
    "tcp",
    "tls",
    "mongo",
    "mysql",
    "redis",
    "udp",
    "http_proxy",
)


def is_istio(doc: Document) -> bool:
    return doc.api_version.split("/", 1)[0].endswith(".istio.io")


@record
class Host(Record):
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
        self._dr_cache: dict[Host, list[Document]] = {}
        self._subset_cache: dict[Host, list[str]] = {}
        self._se_cache: dict[Host, Document | None] = {}
        self.namespaces = rendered_namespaces(index)
        self.services: dict[str, list[Document]] = {}
        for svc in index.kind("Service", CORE):
            self.services.setdefault(svc.name, []).append(svc)
        self.se_hosts: list[tuple[str, Document]] = []
        for se in index.kind("ServiceEntry", ISTIO_NETWORKING):
            se_ns = index.namespace_of(se)
            for h in as_list(spec_of(se).get("hosts")):
                ph = parse_host(str(h), se_ns)
                for n in ph.names():
                    self.se_hosts.append((n, se))
        self.drs: list[tuple[Document, Host]] = []
        self.drs_by_name: dict[str, list[tuple[Document, Host]]] = {}
        self.drs_other: list[tuple[Document, Host]] = []  # wildcard / external hosts
        for dr in index.kind("DestinationRule", ISTIO_NETWORKING):
            host = spec_of(dr).get("host")
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
        if h not in self._se_cache:
            self._se_cache[h] = self._service_entry(h)
        return self._se_cache[h]

    def _service_entry(self, h: Host) -> Document | None:
        names = h.names()
        for se_host, se in self.se_hosts:
            if any(hosts_overlap(se_host, n) if se_host.startswith("*") else se_host == n for n in names):
                return se
        return None

    def destination_rules(self, h: Host) -> list[Document]:
        """DestinationRules for a host; answered once per host (copies of a chart repeat the same hosts)."""
        cached = self._dr_cache.get(h)
        if cached is None:
            candidates = (self.drs_by_name.get(h.name or "", []) + self.drs_other) if h.service_like else self.drs
            cached = self._dr_cache[h] = [dr for dr, dh in candidates if same_target(h, dh)]
        return cached

    def subset_names(self, h: Host) -> list[str]:
        cached = self._subset_cache.get(h)
        if cached is None:
            cached = self._subset_cache[h] = [str(as_dict(s).get("name")) for dr in self.destination_rules(h)
                                              for s in as_list(spec_of(dr).get("subsets"))]
        return cached

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


@mutable_record
class Dest(MutableRecord):
    dest: dict[str, Any]
    field: str  # path of the destination object
    kind: str  # "route" | "mirror"


def destinations(vs: Document) -> Iterator[Dest]:
    spec = spec_of(vs)
    for section in ("http", "tcp", "tls"):
        for ri, r in enumerate(as_list(spec.get(section))):
            r = as_dict(r)
            for di, d in enumerate(as_list(r.get("route"))):
                d = as_dict(d)
                if isinstance(d.get("destination"), dict):
                    yield Dest(d["destination"], f"spec.{section}[{ri}].route[{di}].destination", "route")
            if section == "http":
                if isinstance(r.get("mirror"), dict):
                    yield Dest(r["mirror"], f"spec.http[{ri}].mirror", "mirror")
                for mi, m in enumerate(as_list(r.get("mirrors"))):
                    if isinstance(as_dict(m).get("destination"), dict):
                        yield Dest(m["destination"], f"spec.http[{ri}].mirrors[{mi}].destination", "mirror")


def gateway_refs(vs: Document) -> Iterator[tuple[str, str]]:
    """(gateway reference, field) from spec.gateways and every route match's gateways."""
    spec = spec_of(vs)
    for i, g in enumerate(as_list(spec.get("gateways"))):
        yield str(g), f"spec.gateways[{i}]"
    for section in ("http", "tcp", "tls"):
        for ri, r in enumerate(as_list(spec.get(section))):
            for mi, m in enumerate(as_list(as_dict(r).get("match"))):
                for gi, g in enumerate(as_list(as_dict(m).get("gateways"))):
                    yield str(g), f"spec.{section}[{ri}].match[{mi}].gateways[{gi}]"


def split_gateway(ref: str, vs_ns: str | None) -> tuple[str, str | None, bool]:
    """(name, namespace, explicit namespace?) of a VirtualService gateway reference."""
    if "/" in ref:
        ns, name = ref.split("/", 1)
        return name, ns, True
    return ref, vs_ns, False


def bound_to_mesh(vs: Document) -> bool:
    gws = [str(g) for g in as_list(spec_of(vs).get("gateways"))]
    return not gws or MESH in gws


def port_number(dest: dict[str, Any]) -> int | None:
    return as_int(as_dict(dest.get("port")).get("number"))


def ports_list_text(ports: list[dict[str, Any]], key: str = "port") -> str:
    return ", ".join(str(p.get(key)) for p in ports) or "none"


def host_is_local(mesh: Mesh, h: Host) -> bool:
    return mesh.service(h) is not None or h.form == "short" or (h.service_like and h.namespace in mesh.namespaces)


def dest_ports(mesh: Mesh, h: Host) -> tuple[Document | None, list[dict[str, Any]], str]:
    svc = mesh.service(h)
    if svc is not None:
        return svc, service_ports(svc), "port"
    se = mesh.service_entry(h)
    if se is not None:
        return se, [p for p in as_list(spec_of(se).get("ports")) if isinstance(p, dict)], "number"
    return None, [], "port"


def gateway_hosts(gw: Document, gw_ns: str | None, vs_ns: str | None) -> list[str]:
    """Hosts a Gateway exposes to VirtualServices of vs_ns (`ns/host`, `./host`, `*/host` handled)."""
    out = []
    for s in as_list(spec_of(gw).get("servers")):
        for h in as_list(as_dict(s).get("hosts")):
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


def routes_of(vs: Document) -> Iterator[tuple[str, list[Any]]]:
    spec = spec_of(vs)
    for section in ("http", "tcp", "tls"):
        for ri, r in enumerate(as_list(spec.get(section))):
            route = as_list(as_dict(r).get("route"))
            if route:
                yield f"spec.{section}[{ri}].route", route


def istio_port_name_ok(name: str) -> bool:
    n = name.lower()
    return any(n == p or n.startswith(p + "-") for p in ISTIO_PROTOCOLS)


def servers_of(gw: Document) -> list[dict[str, Any]]:
    return [s for s in as_list(spec_of(gw).get("servers")) if isinstance(s, dict)]


def strip_ns(host: str) -> str:
    return host.split("/", 1)[1] if "/" in host else host


TLS_PROTOCOLS = ("HTTPS", "TLS")
