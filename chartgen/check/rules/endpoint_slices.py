"""EndpointSlices (discovery.k8s.io/v1): what kubernetes pkg/apis/discovery/validation/validation.go rejects
(CG-EPS-001), and hand-written slices whose ports do not serve their Service's ports (CG-EPS-002).

Certainty: 001 is the API server's own check (error). 002 is an error only for a rendered Service without a
selector (nobody else writes its slices, kube-proxy matches Service and slice ports by name); a Service with a
selector also gets the controller's slices, and a Service that is not rendered may exist elsewhere: warnings.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    as_dict,
    as_list,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    qualified_name_errors,
    service_ports,
    service_selector,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.rules.service_spec import special_ip_error

E, W = Severity.ERROR, Severity.WARNING
SRC = "kubernetes pkg/apis/discovery/validation/validation.go"
DISCOVERY = ("discovery.k8s.io",)
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
ADDRESS_TYPES = ("IPv4", "IPv6", "FQDN")
PROTOCOLS = ("TCP", "UDP", "SCTP")
MAX_ENDPOINTS, MAX_ADDRESSES, MAX_PORTS = 1000, 100, 100


def _address_error(address: Any, address_type: str) -> str | None:
    if not isinstance(address, str):
        return None
    if address_type == "FQDN":
        errs = dns1123_subdomain_errors(address)
        return errs[0] if errs else None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"must be a valid {address_type} address"
    if ip.version != (4 if address_type == "IPv4" else 6):
        return f"must be a valid {address_type} address"
    return special_ip_error(address)


def _endpoint_errors(ep: dict[str, Any], address_type: str) -> Iterator[tuple[str, str]]:
    addresses = as_list(ep.get("addresses"))
    if not addresses:
        yield "addresses", "Required value: must contain at least 1 address"
    elif len(addresses) > MAX_ADDRESSES:
        yield "addresses", f"Too many: {len(addresses)}: must have at most {MAX_ADDRESSES} items"
    for j, address in enumerate(addresses):
        if address_type in ADDRESS_TYPES and (err := _address_error(address, address_type)):
            yield f"addresses[{j}]", f"Invalid value: {address!r}: {err}"
    hostname = ep.get("hostname")
    if isinstance(hostname, str) and (errs := dns1123_label_errors(hostname)):
        yield "hostname", f"Invalid value: {hostname!r}: {errs[0]}"


def _port_errors(ports: list[Any]) -> Iterator[tuple[str, str]]:
    if len(ports) > MAX_PORTS:
        yield "ports", f"Too many: {len(ports)}: must have at most {MAX_PORTS} items"
        return
    names: set[str] = set()
    for i, p in enumerate(ports):
        p = as_dict(p)
        name = p.get("name") or ""
        if isinstance(name, str) and name and (errs := dns1123_label_errors(name)):
            yield f"ports[{i}].name", f"Invalid value: {name!r}: {errs[0]}"
        if str(name) in names:
            yield f"ports[{i}].name", f"Duplicate value: {name!r}"
        names.add(str(name))
        proto = p.get("protocol")
        if proto is not None and proto not in PROTOCOLS:
            yield f"ports[{i}].protocol", f"Unsupported value: {proto!r}: supported values: \"SCTP\", \"TCP\", \"UDP\""
        app = p.get("appProtocol")
        if isinstance(app, str) and (errs := qualified_name_errors(app)):
            yield f"ports[{i}].appProtocol", f"Invalid value: {app!r}: {errs[0]}"


@rule("CG-EPS-001", E, "EndpointSlice addressType, addresses, hostname or ports invalid", "api",
      why=f"ValidateEndpointSlice ({SRC}): addressType is IPv4, IPv6 or FQDN; each endpoint has 1-100 addresses of "
          "that type (no loopback, link-local or unspecified IPs); hostname is a DNS-1123 label; port names are "
          "unique DNS-1123 labels, protocols TCP/UDP/SCTP, appProtocol a qualified name; at most 1000 endpoints "
          "and 100 ports.",
      fix="write addresses of the slice's addressType and unique lowercase port names",
      example="""\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
endpoints:
- addresses: [2001:db8::1]
ports:
- {name: pg, port: 5432, protocol: TCP}
""")
def endpoint_slice_fields(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("EndpointSlice", DISCOVERY):
        address_type = doc.obj.get("addressType")
        if isinstance(address_type, str) and address_type not in ADDRESS_TYPES:
            yield finding("CG-EPS-001", doc, f"addressType: Unsupported value: {address_type!r}: supported values: "
                          "\"FQDN\", \"IPv4\", \"IPv6\"", field="addressType")
        endpoints = as_list(doc.obj.get("endpoints"))
        if len(endpoints) > MAX_ENDPOINTS:
            yield finding("CG-EPS-001", doc, f"endpoints: Too many: {len(endpoints)}: must have at most "
                          f"{MAX_ENDPOINTS} items", field="endpoints")
        else:
            for i, ep in enumerate(endpoints):
                for suffix, msg in _endpoint_errors(as_dict(ep), str(address_type)):
                    yield finding("CG-EPS-001", doc, f"endpoints[{i}].{suffix}: {msg}",
                                  field=f"endpoints[{i}].{suffix}")
        for fld, msg in _port_errors(as_list(doc.obj.get("ports"))):
            yield finding("CG-EPS-001", doc, f"{fld}: {msg}", field=fld)


def _slice_port_keys(slices: list[Document]) -> set[tuple[str, str]]:
    return {(str(as_dict(p).get("name") or ""), str(as_dict(p).get("protocol") or "TCP"))
            for s in slices for p in as_list(s.obj.get("ports"))}


@rule("CG-EPS-002", E, "EndpointSlice ports do not serve their Service's ports (names or protocols differ)", "cross",
      why="kube-proxy programs a Service port from the EndpointSlice ports with the same name and protocol (an "
          "unnamed Service port matches the unnamed slice port). For a Service without a selector the rendered "
          "slices are its only endpoints, so a Service port no slice port matches has no endpoints: every "
          "connection to it fails (error). A slice whose Service is not rendered, or a Service with a selector "
          "(the controller writes slices too), is a warning.",
      fix="name each EndpointSlice port exactly like the Service port (same protocol), and label the slice "
          "kubernetes.io/service-name: <service>",
      example="""\
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{name: pg, port: 5432}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
endpoints:
- addresses: [10.0.0.5]
ports:
- {name: postgres, port: 5432, protocol: TCP}
""")
def endpoint_slice_service(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    by_service: dict[tuple[str, str | None], list[Document]] = {}
    for doc in index.kind("EndpointSlice", DISCOVERY):
        svc_name = as_dict(as_dict(doc.obj.get("metadata")).get("labels")).get(SERVICE_NAME_LABEL)
        if isinstance(svc_name, str) and svc_name:
            by_service.setdefault((svc_name, index.namespace_of(doc)), []).append(doc)
    for (svc_name, ns), slices in by_service.items():
        svc = index.get("Service", svc_name, ns, ("",))
        if svc is None:
            yield finding("CG-EPS-002", slices[0], f"metadata.labels[{SERVICE_NAME_LABEL}]: Service {svc_name!r} is "
                          "not in the rendered manifests; the slice serves no Service unless it exists elsewhere",
                          field="metadata.labels", severity=W)
            continue
        have = _slice_port_keys(slices)
        certain = service_selector(svc) is None
        for p in service_ports(svc):
            key = (str(as_dict(p).get("name") or ""), str(as_dict(p).get("protocol") or "TCP"))
            if key in have:
                continue
            shown = ", ".join(f"{n or '(unnamed)'}/{pr}" for n, pr in sorted(have)) or "none"
            yield finding("CG-EPS-002", slices[0], f"ports: no port named {key[0] or '(unnamed)'!r} with protocol "
                          f"{key[1]} for Service {svc_name} port {as_dict(p).get('port')} (slice ports: {shown}); "
                          "that Service port has no endpoints", field="ports",
                          severity=E if certain else W)
