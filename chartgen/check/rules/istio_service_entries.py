"""Istio ServiceEntries: what ValidateServiceEntry (istio pkg/config/validation) and the ServiceEntry CRD's CEL rules
reject - CG-MESH-018."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import ISTIO_NETWORKING, as_dict, as_int, as_list, spec_of
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "istio"
# istio pkg/config/protocol Parse (case-insensitive); anything else is Unsupported
PROTOCOLS = frozenset({"tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo",
                       "redis", "mysql", "hbone"})
HTTP_OR_TLS = frozenset({"grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls"})
RESOLUTIONS = ("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", re.I)
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def fqdn_ok(host: str) -> bool:
    """ValidateFQDN: DNS-1123 labels, at most 255 characters (no wildcard)."""
    host = host.rstrip(".")
    return 0 < len(host) <= 255 and all(_LABEL.match(label) and len(label) <= 63 for label in host.split("."))


def wildcard_domain_ok(host: str) -> bool:
    """ValidateWildcardDomain: an FQDN, optionally starting with `*.` (or `*` followed by a label suffix)."""
    if host.startswith("*."):
        return fqdn_ok(host[2:])
    if host.startswith("*"):
        return len(host) == 1 or fqdn_ok(host[1:])
    return fqdn_ok(host)


def _ip_or_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False) if "/" in text else ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@rule("CG-MESH-018", Severity.ERROR, "ServiceEntry fails Istio validation (hosts, addresses, ports, resolution and "
      "endpoints)", LAYER,
      why="ValidateServiceEntry rejects a ServiceEntry without hosts or with `*`, addresses that are not IPs/CIDRs, "
          "CIDRs with DNS resolution, repeated port names or numbers, invalid port names/protocols, endpoints with "
          "resolution NONE or together with workloadSelector, non-IP endpoints with STATIC, wildcard hosts with DNS "
          "resolution and no endpoints, several hosts on plain TCP ports (unless resolution NONE), and (CEL) more "
          "than one endpoint with DNS_ROUND_ROBIN.",
      fix="fix the field the finding names (see Istio's ServiceEntry reference)",
      example="""\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments}
spec:
  hosts: ['*.payments.example.com']
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: https, protocol: TLS}]
""")
def service_entry(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for se in index.kind("ServiceEntry", ISTIO_NETWORKING):
        for field, message in _problems(spec_of(se)):
            yield finding("CG-MESH-018", se, f"ServiceEntry {se.name}: {message} (ValidateServiceEntry)", field=field)


def _problems(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    hosts = [str(h) for h in as_list(spec.get("hosts"))]
    resolution = str(spec.get("resolution") or "NONE")
    endpoints = [as_dict(e) for e in as_list(spec.get("endpoints"))]
    if not hosts:
        yield "spec.hosts", "must have at least one host"
    for i, h in enumerate(hosts):
        if h == "*" or not wildcard_domain_ok(h):
            yield f"spec.hosts[{i}]", f"invalid host {h!r}"
    cidr = False
    for i, a in enumerate(as_list(spec.get("addresses"))):
        cidr = cidr or "/" in str(a)
        if not _ip_or_cidr(str(a)):
            yield f"spec.addresses[{i}]", f"address {a!r} is not an IP address or CIDR"
    if cidr and resolution not in ("NONE", "STATIC"):
        yield "spec.addresses", f"CIDR addresses are allowed only for NONE/STATIC resolution (resolution: {resolution})"
    if spec.get("workloadSelector") is not None and spec.get("endpoints") is not None:
        yield "spec.endpoints", "only one of workloadSelector or endpoints is allowed"
    yield from _ports(spec, hosts, resolution)
    if resolution not in RESOLUTIONS:
        yield "spec.resolution", f"unsupported resolution {resolution!r} (one of {', '.join(RESOLUTIONS)})"
    elif resolution == "NONE" and endpoints:
        yield "spec.endpoints", "no endpoints should be provided for resolution NONE"
    elif resolution == "STATIC":
        for i, e in enumerate(endpoints):
            addr = str(e.get("address", ""))
            if not addr.startswith("unix://") and not _is_ip(addr):
                yield f"spec.endpoints[{i}].address", f"endpoint address {addr!r} must be an IP address with " \
                                                      "resolution STATIC"
    elif resolution in ("DNS", "DNS_ROUND_ROBIN"):
        if not endpoints:
            for i, h in enumerate(hosts):
                if h != "*" and wildcard_domain_ok(h) and not fqdn_ok(h):
                    yield f"spec.hosts[{i}]", f"host {h!r} must be an FQDN when resolution is {resolution} and no " \
                                              "endpoints are given"
        for i, e in enumerate(endpoints):
            addr = str(e.get("address", ""))
            if not _is_ip(addr) and not fqdn_ok(addr):
                yield f"spec.endpoints[{i}].address", f"endpoint address {addr!r} is not a valid FQDN or IP address"
        if resolution == "DNS_ROUND_ROBIN" and len(endpoints) > 1:
            yield "spec.endpoints", "DNS_ROUND_ROBIN takes at most one endpoint (CEL)"


def _ports(spec: dict[str, Any], hosts: list[str], resolution: str) -> Iterator[tuple[str, str]]:
    ports = [as_dict(p) for p in as_list(spec.get("ports"))]
    names: set[str] = set()
    numbers: set[int] = set()
    for i, p in enumerate(ports):
        name, number, proto = str(p.get("name", "")), as_int(p.get("number")), str(p.get("protocol") or "")
        if name in names:
            yield f"spec.ports[{i}].name", f"port name {name!r} already defined"
        if number is not None and number in numbers:
            yield f"spec.ports[{i}].number", f"port {number} already defined"
        names.add(name)
        if number is not None:
            numbers.add(number)
        if not _PORT_NAME.match(name) or len(name) > 63:
            yield f"spec.ports[{i}].name", f"invalid port name {name!r} (a DNS-1123 label)"
        if number is None or not 1 <= number <= 65535:
            yield f"spec.ports[{i}].number", f"port number {p.get('number')!r} is not in 1-65535"
        if proto and proto.lower() not in PROTOCOLS:
            yield f"spec.ports[{i}].protocol", f"unsupported protocol {proto!r}"
    endpoint_ports = [(i, str(k)) for i, e in enumerate(as_list(spec.get("endpoints")))
                      for k in as_dict(as_dict(e).get("ports"))]
    for i, k in endpoint_ports:
        if k not in names:
            yield f"spec.endpoints[{i}].ports", f"endpoint port {k!r} is not defined by the service entry"
    if resolution != "NONE" and len(hosts) > 1 and any(str(p.get("protocol") or "").lower() not in HTTP_OR_TLS
                                                       for p in ports):
        yield "spec.hosts", "multiple hosts provided with non-HTTP, non-TLS ports"
