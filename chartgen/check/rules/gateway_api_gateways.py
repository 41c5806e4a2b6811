"""Gateway API Gateways: listener fields per protocol, unique listeners, addresses and required fields, as the
standard channel's CRD (CEL and schema) and apis/v1/validation/gateway.go reject them, without the CRDs -
CG-GW-010..014."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from chartgen.check.gatewayapi import HOSTNAME, ROUTE_KINDS, listeners, routes
from chartgen.check.helpers import GATEWAY_API, as_dict, as_int, as_list, spec_of
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "api"
TLS_FORBIDDEN = ("HTTP", "TCP", "UDP")
TLS_REQUIRED = ("HTTPS", "TLS")
HOSTNAME_FORBIDDEN = ("TCP", "UDP")
CORE_PROTOCOLS = ("HTTP", "HTTPS", "TLS", "TCP", "UDP")
# ProtocolType: a core name, or a domain-prefixed implementation-specific one (example.com/foo)
_PROTOCOL = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                       r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9]+$")
_SECTION_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

_GW_HEAD = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public}
spec:
  gatewayClassName: istio
  listeners:
"""


def _gateways(index: ManifestIndex) -> list[Document]:
    return index.kind("Gateway", GATEWAY_API)


@rule("CG-GW-010", Severity.ERROR, "Gateway listener TLS settings do not fit its protocol", LAYER,
      why="The Gateway CRD's CEL rules reject tls on HTTP, TCP and UDP listeners, a tls mode other than Terminate on "
          "HTTPS (and the schema any mode but Terminate and Passthrough), and mode Terminate without certificateRefs "
          "(or options); an HTTPS or TLS listener without tls has no certificate to serve or mode to pass through "
          "(Gateway API validation: tls must be set), so it is never "
          "programmed.",
      fix="HTTPS: tls {mode: Terminate, certificateRefs: [{name: <secret>}]}; TLS: Terminate or Passthrough; HTTP, "
          "TCP, UDP: no tls",
      example=_GW_HEAD + """\
  - {name: https, port: 443, protocol: HTTPS}
""")
def listener_tls(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in _gateways(index):
        for i, lst in listeners(gw):
            yield from _tls_of(gw, i, lst)


def _tls_of(gw: Document, i: int, lst: dict[str, Any]) -> Iterator[Finding]:
    proto, where = str(lst.get("protocol", "")), f"spec.listeners[{i}]"
    label = f"Gateway {gw.name}: listener {lst.get('name', i)!r} ({proto})"
    tls = lst.get("tls")
    if tls is not None and proto in TLS_FORBIDDEN:
        yield finding("CG-GW-010", gw, f"{label} sets tls (CEL: tls must not be specified for protocols "
                      "['HTTP', 'TCP', 'UDP'])", field=f"{where}.tls")
        return
    if tls is None:
        if proto in TLS_REQUIRED:
            yield finding("CG-GW-010", gw, f"{label} has no tls (Gateway API validation: must be set for protocol "
                          f"{proto}); the listener is never programmed", field=where)
        return
    tls = as_dict(tls)
    mode = str(tls.get("mode") or "Terminate")
    if mode not in ("Terminate", "Passthrough"):
        yield finding("CG-GW-010", gw, f"{label}: tls.mode {mode!r} is not Terminate or Passthrough",
                      field=f"{where}.tls.mode")
        return
    if proto == "HTTPS" and mode != "Terminate":
        yield finding("CG-GW-010", gw, f"{label} has tls.mode {mode} (CEL: tls mode must be Terminate for protocol "
                      "HTTPS); use protocol TLS for Passthrough", field=f"{where}.tls.mode")
    if mode == "Terminate" and not as_list(tls.get("certificateRefs")) and not as_dict(tls.get("options")):
        yield finding("CG-GW-010", gw, f"{label} terminates TLS without certificateRefs (CEL: certificateRefs or "
                      "options must be specified when mode is Terminate)", field=f"{where}.tls")


@rule("CG-GW-011", Severity.ERROR, "Gateway listener field rejected (hostname on TCP/UDP, hostname or name syntax, "
      "port, protocol)", LAYER,
      why="The Gateway CRD rejects a hostname on TCP and UDP listeners (CEL), a hostname that is not a lowercase DNS "
          "name or '*.'-wildcard, a listener name that is not a DNS subdomain, a port outside 1-65535, an "
          "allowedRoutes.namespaces.from other than All/Same/Selector and a protocol that is neither a core protocol "
          "nor domain-prefixed; a lowercase core protocol (http) passes the pattern "
          "but no implementation supports it (a warning).",
      fix="drop hostname from TCP/UDP listeners; use a DNS hostname, a lowercase name, port 1-65535 and HTTP, HTTPS, "
          "TLS, TCP or UDP",
      example=_GW_HEAD + """\
  - {name: db, port: 5432, protocol: TCP, hostname: db.example.com}
""")
def listener_fields(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in _gateways(index):
        for i, lst in listeners(gw):
            yield from _fields_of(gw, i, lst)


def _fields_of(gw: Document, i: int, lst: dict[str, Any]) -> Iterator[Finding]:
    proto, where = str(lst.get("protocol", "")), f"spec.listeners[{i}]"
    label = f"Gateway {gw.name}: listener {lst.get('name', i)!r}"
    host = lst.get("hostname")
    if host is not None and proto in HOSTNAME_FORBIDDEN:
        yield finding("CG-GW-011", gw, f"{label} sets hostname on a {proto} listener (CEL: hostname must not be "
                      "specified for protocols ['TCP', 'UDP'])", field=f"{where}.hostname")
    elif host is not None and (not HOSTNAME.match(str(host)) or len(str(host)) > 253):
        yield finding("CG-GW-011", gw, f"{label}: hostname {host!r} is not a lowercase DNS name or '*.'-wildcard",
                      field=f"{where}.hostname")
    name = lst.get("name")
    if name is not None and (not _SECTION_NAME.match(str(name)) or len(str(name)) > 253):
        yield finding("CG-GW-011", gw, f"{label}: name {name!r} is not a lowercase DNS subdomain",
                      field=f"{where}.name")
    source = as_dict(as_dict(lst.get("allowedRoutes")).get("namespaces")).get("from")
    if source is not None and source not in ("All", "Same", "Selector", "None"):
        yield finding("CG-GW-011", gw, f"{label}: allowedRoutes.namespaces.from {source!r} is not All, Same or "
                      "Selector", field=f"{where}.allowedRoutes.namespaces.from")
    port = as_int(lst.get("port"))
    if "port" in lst and (port is None or not 1 <= port <= 65535):
        yield finding("CG-GW-011", gw, f"{label}: port {lst.get('port')!r} is not in 1-65535", field=f"{where}.port")
    if "protocol" in lst and not _PROTOCOL.match(proto):
        yield finding("CG-GW-011", gw, f"{label}: protocol {proto!r} is neither a core protocol nor a "
                      "domain-prefixed one (example.com/proto)", field=f"{where}.protocol")
    elif proto.upper() in CORE_PROTOCOLS and proto not in CORE_PROTOCOLS:
        yield finding("CG-GW-011", gw, f"{label}: protocol {proto!r} is not the core protocol {proto.upper()} "
                      "(protocols are case-sensitive; the listener reports UnsupportedProtocol)",
                      field=f"{where}.protocol", severity=Severity.WARNING, hint=f"write protocol: {proto.upper()}")


@rule("CG-GW-012", Severity.ERROR, "Gateway listeners repeat a name, or a port/protocol/hostname combination",
      LAYER,
      why="The Gateway CRD's CEL rules: listener names must be unique within the Gateway, and so must the "
          "combination of port, protocol and hostname; the API server rejects the Gateway.",
      fix="give each listener its own name, and a distinct hostname when two share port and protocol",
      example=_GW_HEAD + """\
  - {name: web, port: 80, protocol: HTTP}
  - {name: web, port: 8080, protocol: HTTP}
""")
def unique_listeners(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in _gateways(index):
        names: set[str] = set()
        combos: set[tuple[str, str, str]] = set()
        for i, lst in listeners(gw):
            name = str(lst.get("name", ""))
            if name in names:
                yield finding("CG-GW-012", gw, f"Gateway {gw.name}: listener name {name!r} is used twice (CEL: "
                              "Listener name must be unique within the Gateway)", field=f"spec.listeners[{i}].name")
            names.add(name)
            combo = (str(lst.get("port", "")), str(lst.get("protocol", "")), str(lst.get("hostname") or ""))
            if combo in combos:
                yield finding("CG-GW-012", gw, f"Gateway {gw.name}: listener {name!r} repeats port {combo[0]}, "
                              f"protocol {combo[1]} and hostname {combo[2] or '(none)'!r} of an earlier listener "
                              "(CEL: Combination of port, protocol and hostname must be unique for each listener)",
                              field=f"spec.listeners[{i}]")
            combos.add(combo)


@rule("CG-GW-013", Severity.ERROR, "Gateway address is not an IP address or hostname, or is given twice", LAYER,
      why="The Gateway CRD's CEL rules reject an IPAddress value that is not an IP address, a Hostname value that "
          "is not a DNS name, and the same IPAddress or Hostname value twice.",
      fix="give each address once, as an IP (type IPAddress, the default) or a DNS name (type Hostname)",
      example=_GW_HEAD + """\
  - {name: http, port: 80, protocol: HTTP}
  addresses: [{value: 10.0.0.300}]
""")
def gateway_addresses(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in _gateways(index):
        seen: set[tuple[str, str]] = set()
        for i, a in enumerate(as_list(spec_of(gw).get("addresses"))):
            a = as_dict(a)
            atype, value, where = str(a.get("type") or "IPAddress"), str(a.get("value", "")), f"spec.addresses[{i}]"
            if atype == "IPAddress" and not _is_ip(value):
                yield finding("CG-GW-013", gw, f"Gateway {gw.name}: address {value!r} is not an IP address",
                              field=f"{where}.value")
            elif atype == "Hostname" and not HOSTNAME.match(value):
                yield finding("CG-GW-013", gw, f"Gateway {gw.name}: address {value!r} is not a DNS hostname",
                              field=f"{where}.value")
            if (atype, value) in seen:
                yield finding("CG-GW-013", gw, f"Gateway {gw.name}: {atype} address {value!r} is given twice",
                              field=where)
            seen.add((atype, value))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _missing(doc: Document, obj: dict[str, Any], keys: tuple[str, ...], where: str) -> Iterator[Finding]:
    for key in keys:
        if obj.get(key) in (None, "", []):
            yield finding("CG-GW-014", doc, f"{doc.kind} {doc.name}: {where}.{key} is required", field=f"{where}.{key}")


@rule("CG-GW-014", Severity.ERROR, "Gateway API object misses a required field", LAYER,
      why="The Gateway API CRDs require a Gateway's gatewayClassName and at least one listener with name, port and "
          "protocol, a name on every parentRef and backendRef, a type on every filter, a name on every header match "
          "and ReferenceGrant from/to entries with group, kind (and namespace for from); the API server rejects an "
          "object without them.",
      fix="set the field the finding names",
      example="""\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public}
spec:
  listeners:
  - {name: http, port: 80, protocol: HTTP}
""")
def required_fields(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for gw in _gateways(index):
        spec = spec_of(gw)
        yield from _missing(gw, spec, ("gatewayClassName", "listeners"), "spec")
        for i, lst in listeners(gw):
            yield from _missing(gw, lst, ("name", "port", "protocol"), f"spec.listeners[{i}]")
    for route in routes(index, ROUTE_KINDS):
        spec = spec_of(route)
        for i, p in enumerate(as_list(spec.get("parentRefs"))):
            yield from _missing(route, as_dict(p), ("name",), f"spec.parentRefs[{i}]")
        for ri, r in enumerate(as_list(spec.get("rules"))):
            r = as_dict(r)
            for bi, b in enumerate(as_list(r.get("backendRefs"))):
                yield from _missing(route, as_dict(b), ("name",), f"spec.rules[{ri}].backendRefs[{bi}]")
            for fi, f in enumerate(as_list(r.get("filters"))):
                yield from _missing(route, as_dict(f), ("type",), f"spec.rules[{ri}].filters[{fi}]")
            for mi, m in enumerate(as_list(r.get("matches"))):
                for key in ("headers", "queryParams"):
                    for hi, h in enumerate(as_list(as_dict(m).get(key))):
                        yield from _missing(route, as_dict(h), ("name", "value"),
                                            f"spec.rules[{ri}].matches[{mi}].{key}[{hi}]")
    for grant in index.kind("ReferenceGrant", GATEWAY_API):
        spec = spec_of(grant)
        yield from _missing(grant, spec, ("from", "to"), "spec")
        for i, f in enumerate(as_list(spec.get("from"))):
            yield from _missing(grant, as_dict(f), ("kind", "namespace"), f"spec.from[{i}]")
        for i, t in enumerate(as_list(spec.get("to"))):
            yield from _missing(grant, as_dict(t), ("kind",), f"spec.to[{i}]")
