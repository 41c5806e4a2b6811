"""Istio objects that agree with Istio's validation but cut traffic: a Sidecar whose egress hosts leave out the hosts
the namespace's routes send to, and a DestinationRule whose TLS mode does not fit its destination (ISTIO_MUTUAL
towards a server outside the mesh) - CG-MESH-023..024."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import ISTIO_NETWORKING, as_dict, as_list, spec_of
from chartgen.check.mesh import bound_to_mesh, destinations, hosts_overlap, parse_host
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"


def _egress_hosts(sidecar: Document) -> list[str]:
    return [str(h) for e in as_list(spec_of(sidecar).get("egress")) for h in as_list(as_dict(e).get("hosts"))]


def _covers(entry: str, sidecar_ns: str, host_ns: str, names: set[str]) -> bool:
    """Does the egress host `ns/dnsName` admit a host of namespace host_ns known by these names?"""
    if "/" not in entry:
        return True  # not the namespace/dnsName form: CG-MESH-016 reports it
    ns, dns = entry.split("/", 1)
    if ns == "~":
        return False
    if ns not in ("*", host_ns) and not (ns == "." and host_ns == sidecar_ns):
        return False
    return dns == "*" or any(hosts_overlap(dns, n) for n in names)


def _namespace_wide_sidecars(index: ManifestIndex) -> dict[str, Document]:
    out: dict[str, Document] = {}
    for sc in index.kind("Sidecar", ISTIO_NETWORKING):
        ns = index.namespace_of(sc)
        if ns is not None and not spec_of(sc).get("workloadSelector"):
            out.setdefault(ns, sc)
    return out


def _service_entry_namespace(index: ManifestIndex, host: str) -> str | None:
    for se in index.kind("ServiceEntry", ISTIO_NETWORKING):
        if any(hosts_overlap(str(h), host) for h in as_list(spec_of(se).get("hosts"))):
            return index.namespace_of(se)
    return None


@rule("CG-MESH-023", Severity.WARNING, "Sidecar egress leaves out a host the namespace's VirtualService routes to",
      LAYER,
      why="A namespace-wide Sidecar limits what the namespace's proxies know to its egress hosts (namespace/dnsName). "
          "A mesh VirtualService in that namespace routing to a host outside them sends the namespace's own callers "
          "to a destination their proxy has no cluster for: requests fail (404/503, or leave the mesh unrouted).",
      fix="add the destination's namespace to the Sidecar's egress hosts (e.g. payments/* or "
          "payments/api.payments.svc.cluster.local)",
      example="""\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  egress: [{hosts: [./*, istio-system/*]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: payments, namespace: shop}
spec:
  hosts: [payments.payments.svc.cluster.local]
  http: [{route: [{destination: {host: payments.payments.svc.cluster.local}}]}]
""")
def sidecar_egress(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    sidecars = _namespace_wide_sidecars(index)
    for vs in index.kind("VirtualService", ISTIO_NETWORKING):
        ns = index.namespace_of(vs)
        sc = sidecars.get(ns) if ns is not None else None
        if sc is None or ns is None or not bound_to_mesh(vs):
            continue
        entries = _egress_hosts(sc)
        for d in destinations(vs):
            host = parse_host(str(d.dest.get("host", "")), ns)
            host_ns = host.namespace if host.service_like else _service_entry_namespace(index, host.raw)
            if host_ns is None or any(_covers(e, ns, host_ns, host.names()) for e in entries):
                continue
            yield finding("CG-MESH-023", vs, f"VirtualService {vs.name}: destination {host.raw} (namespace {host_ns}) "
                          f"is not in the egress hosts of Sidecar {sc.name} ({', '.join(entries) or 'none'}); the "
                          f"proxies of namespace {ns} cannot reach it", field=f"{d.field}.host")


def _tls_modes(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    def of(policy: Any, where: str) -> Iterator[tuple[str, str]]:
        p = as_dict(policy)
        mode = as_dict(p.get("tls")).get("mode")
        if mode:
            yield f"{where}.tls.mode", str(mode)
        for i, pl in enumerate(as_list(p.get("portLevelSettings"))):
            m = as_dict(as_dict(pl).get("tls")).get("mode")
            if m:
                yield f"{where}.portLevelSettings[{i}].tls.mode", str(m)

    yield from of(spec.get("trafficPolicy"), "spec.trafficPolicy")
    for i, s in enumerate(as_list(spec.get("subsets"))):
        yield from of(as_dict(s).get("trafficPolicy"), f"spec.subsets[{i}].trafficPolicy")


def _external_entry(index: ManifestIndex, host: str) -> Document | None:
    for se in index.kind("ServiceEntry", ISTIO_NETWORKING):
        spec = spec_of(se)
        if str(spec.get("location") or "MESH_EXTERNAL") != "MESH_EXTERNAL":
            continue
        if any(hosts_overlap(str(h), host) for h in as_list(spec.get("hosts"))):
            return se
    return None


@rule("CG-MESH-024", Severity.ERROR, "DestinationRule uses ISTIO_MUTUAL towards a host outside the mesh", LAYER,
      why="ISTIO_MUTUAL presents the mesh's workload certificate and expects one back; a MESH_EXTERNAL ServiceEntry "
          "host has no sidecar and no mesh certificate, so every TLS handshake fails (503 upstream connect error).",
      fix="use tls.mode SIMPLE (with caCertificates or credentialName) for an external server, or DISABLE for plain "
          "text",
      example="""\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments}
spec:
  hosts: [api.payments.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: payments}
spec:
  host: api.payments.example.com
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
""")
def istio_mutual_external(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for dr in index.kind("DestinationRule", ISTIO_NETWORKING):
        spec = spec_of(dr)
        host = str(spec.get("host", ""))
        se = _external_entry(index, host) if host and not host.startswith("*") else None
        if se is None:
            continue
        for field, mode in _tls_modes(spec):
            if mode == "ISTIO_MUTUAL":
                yield finding("CG-MESH-024", dr, f"DestinationRule {dr.name}: {field} is ISTIO_MUTUAL but {host} is "
                              f"outside the mesh (ServiceEntry {se.name}, location MESH_EXTERNAL); the TLS handshake "
                              "fails", field=field)
