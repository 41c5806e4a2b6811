"""Service fields the API server validates (pkg/apis/core/validation ValidateService) that the JSON schema
cannot express: names, ports, types, cluster IPs, traffic policies, session affinity, load balancer fields.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import Any

from chartgen.check.helpers import (
    as_dict,
    as_list,
    as_str,
    dns1035_label_errors,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    is_ip,
    join_errors,
    on,
    port_name_errors,
    qualified_name_errors,
    strict_int,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.core.record import MutableRecord, mutable_record

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"


SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


PROTOCOLS = ("TCP", "UDP", "SCTP")


KUBELET_PORT = 10250


@mutable_record
class _Service(MutableRecord):
    doc: Document
    spec: dict[str, Any]
    type: str  # after defaulting
    headless: bool
    ports: list[tuple[int, dict[str, Any]]]

    @property
    def externally_accessible(self) -> bool:  # apiservice.ExternallyAccessible
        return self.type in ("NodePort", "LoadBalancer") or (
            self.type == "ClusterIP" and bool(as_list(self.spec.get("externalIPs")))
        )


def _services(index: ManifestIndex) -> Iterator[_Service]:
    for doc in index.kind("Service"):
        if doc.api_version != "v1":
            continue
        spec = as_dict(doc.obj.get("spec"))
        svc_type = spec.get("type")
        svc_type = "ClusterIP" if svc_type in (None, "") else str(svc_type)
        cluster_ips = as_list(spec.get("clusterIPs"))
        headless = spec.get("clusterIP") == "None" or (bool(cluster_ips) and cluster_ips[0] == "None")
        ports = [(i, p) for i, p in enumerate(as_list(spec.get("ports"))) if isinstance(p, dict)]
        yield _Service(doc, spec, svc_type, headless, ports)


def _svc_rule(id: str, title: str, severity: Severity = E, *, why: str, fix: str, example: str):
    """Register a per-Service check: fn(svc, opts) -> findings."""

    def deco(fn):
        @rule(id, severity, title, LAYER, why=why, fix=fix, example=example)
        def run(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
            for svc in _services(index):
                yield from fn(svc, opts)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return fn

    return deco


@_svc_rule(
    "CG-SVC-001",
    "Service name is not a DNS-1035 label",
    why=(
        "Service names become DNS labels (DNS-1035: start with a letter, <= 63 characters); the API server "
        "rejects others."
    ),
    fix="start with a letter, use lower case letters, digits and '-', at most 63 characters",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: 1web}
spec:
  ports: [{port: 80}]
""",
)
def svc_name(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    name = as_dict(svc.doc.obj.get("metadata")).get("name")
    if isinstance(name, str) and name and (errs := dns1035_label_errors(name)):
        yield finding(
            "CG-SVC-001",
            svc.doc,
            on(svc.doc, f"Service name {name!r} is not a DNS-1035 label: {join_errors(errs)}"),
            hint="Service names become DNS names: start with a letter, use lower case letters, digits and '-', "
            'at most 63 characters (truncate the fullname, e.g. `trunc 63 | trimSuffix "-"`)',
            field="metadata.name",
        )


@_svc_rule(
    "CG-SVC-002",
    "Service has no ports (required unless headless or ExternalName)",
    why="A Service needs at least one port unless it is headless or ExternalName.",
    fix="add at least one port, or make the Service headless (clusterIP: None)",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: []
""",
)
def svc_ports_required(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if not as_list(svc.spec.get("ports")) and not svc.headless and svc.type != "ExternalName":
        yield finding(
            "CG-SVC-002",
            svc.doc,
            on(svc.doc, f"spec.ports is empty on a {svc.type} Service"),
            hint="add at least one port, or make the Service headless (clusterIP: None)",
            field="spec.ports",
        )


@_svc_rule(
    "CG-SVC-003",
    "Service port name missing although the Service has more than one port",
    why="With more than one port every Service port needs a name.",
    fix="name every port (http, grpc, metrics)",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}, {name: grpc, port: 9090}]
""",
)
def svc_port_name_required(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if len(as_list(svc.spec.get("ports"))) > 1:
        for i, port in svc.ports:
            if port.get("name") in (None, ""):
                yield finding(
                    "CG-SVC-003",
                    svc.doc,
                    on(svc.doc, f"spec.ports[{i}].name is required: the Service has more than one port"),
                    hint="name every port (e.g. http, grpc, metrics)",
                    field=f"spec.ports[{i}].name",
                )


@_svc_rule(
    "CG-SVC-004",
    "Service port name is not a DNS-1123 label",
    why="Service port names must be DNS-1123 labels.",
    fix="use lower case letters, digits and '-'",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: HTTP_Web, port: 80}]
""",
)
def svc_port_name_syntax(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        name = as_str(port.get("name"))
        if name and (errs := dns1123_label_errors(name)):
            yield finding(
                "CG-SVC-004",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].name {name!r} is not a DNS-1123 label: {join_errors(errs)}"),
                hint=f"use lower case letters, digits and '-' (e.g. {_suggest_label(name)!r})",
                field=f"spec.ports[{i}].name",
            )


def _suggest_label(value: str) -> str:
    out = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    return out[:63].rstrip("-") or "port"


@_svc_rule(
    "CG-SVC-005",
    "Two Service ports with the same name",
    why="Service port names must be unique.",
    fix="give each port a unique name",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}, {name: http, port: 8080}]
""",
)
def svc_port_name_unique(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    seen: dict[str, int] = {}
    for i, port in svc.ports:
        name = as_str(port.get("name"))
        if not name:
            continue
        if name in seen:
            yield finding(
                "CG-SVC-005",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].name {name!r} duplicates spec.ports[{seen[name]}].name"),
                hint="give each port a unique name",
                field=f"spec.ports[{i}].name",
            )
        else:
            seen[name] = i


@_svc_rule(
    "CG-SVC-006",
    "Service port number outside 1-65535",
    why="Service port numbers must be 1-65535.",
    fix="use a port number between 1 and 65535",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80000}]
""",
)
def svc_port_range(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        number = strict_int(port.get("port"))
        if number is not None and not 1 <= number <= 65535:
            yield finding(
                "CG-SVC-006",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].port {number} is outside 1-65535"),
                hint="use a port number between 1 and 65535",
                field=f"spec.ports[{i}].port",
            )


def _protocol(port: dict[str, Any]) -> str:
    value = port.get("protocol")
    return "TCP" if value in (None, "") else str(value)


@_svc_rule(
    "CG-SVC-007",
    "Two Service ports with the same protocol and port number",
    why="The same port number may appear once per protocol.",
    fix="remove the duplicate or change its port",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}, {name: web, port: 80}]
""",
)
def svc_port_unique(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    seen: dict[tuple[str, int], int] = {}
    for i, port in svc.ports:
        number = strict_int(port.get("port"))
        if number is None:
            continue
        key = (_protocol(port), number)
        if key in seen:
            yield finding(
                "CG-SVC-007",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}] duplicates {key[0]} port {number} of spec.ports[{seen[key]}]"),
                hint="remove the duplicate or change its port; the same number is allowed once per protocol",
                field=f"spec.ports[{i}].port",
            )
        else:
            seen[key] = i


@_svc_rule(
    "CG-SVC-008",
    "Service port protocol is not TCP, UDP or SCTP",
    why="protocol is the transport: TCP, UDP or SCTP (upper case).",
    fix="write TCP, UDP or SCTP; put application protocols in appProtocol",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, protocol: HTTP}]
""",
)
def svc_protocol(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        value = port.get("protocol")
        if value not in (None, "") and value not in PROTOCOLS:
            upper = str(value).upper()
            hint = (
                f"write {upper} (protocols are upper case)"
                if upper in PROTOCOLS
                else "protocol is the transport (TCP, UDP or SCTP); put application protocols such as http or grpc "
                "in appProtocol or the port name"
            )
            yield finding(
                "CG-SVC-008",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].protocol {value!r} is not one of TCP, UDP, SCTP"),
                hint=hint,
                field=f"spec.ports[{i}].protocol",
            )


@_svc_rule(
    "CG-SVC-009",
    "Service port appProtocol is not a qualified name",
    why="appProtocol must be a qualified name (IANA name or prefixed name).",
    fix="use http, https, grpc, h2c or a prefixed name such as kubernetes.io/h2c",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, appProtocol: 'HTTP 1.1'}]
""",
)
def svc_app_protocol(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        value = as_str(port.get("appProtocol"))
        if value is not None and (errs := qualified_name_errors(value)):
            yield finding(
                "CG-SVC-009",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].appProtocol {value!r} is not a qualified name: {join_errors(errs)}"),
                hint="use an IANA service name (http, https, grpc, h2c) or a prefixed name such as kubernetes.io/h2c",
                field=f"spec.ports[{i}].appProtocol",
            )


@_svc_rule(
    "CG-SVC-010",
    "Service targetPort is neither a port number 1-65535 nor a valid port name",
    why=(
        "targetPort must be 1-65535 or a valid port name (<= 15 characters of [-a-z0-9] with a letter); a "
        "quoted number is read as a name."
    ),
    fix="use the container port number or the container port's name",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: '8080'}]
""",
)
def svc_target_port(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        value = port.get("targetPort")
        fld = f"spec.ports[{i}].targetPort"
        if (number := strict_int(value)) is not None:
            if number != 0 and not 1 <= number <= 65535:  # 0 is defaulted to port
                yield finding(
                    "CG-SVC-010",
                    svc.doc,
                    on(svc.doc, f"{fld} {number} is outside 1-65535"),
                    hint="use the container port number (1-65535) or the container port's name",
                    field=fld,
                )
        elif isinstance(value, str) and value and (errs := port_name_errors(value)):
            if value.isdigit():
                hint = f"{value!r} is a quoted number, which Kubernetes reads as a port name: write {value} unquoted"
            else:
                hint = (
                    "a named targetPort must equal a containerPort name: <= 15 characters of [-a-z0-9] with at "
                    "least one letter"
                )
            yield finding(
                "CG-SVC-010",
                svc.doc,
                on(svc.doc, f"{fld} {value!r} is not a valid port name: {join_errors(errs)}"),
                hint=hint,
                field=fld,
            )


def _node_port(port: dict[str, Any]) -> int | None:
    number = strict_int(port.get("nodePort"))
    return number if number else None  # 0 / absent = allocate


@_svc_rule(
    "CG-SVC-011",
    "nodePort set on a ClusterIP Service",
    why="nodePort is forbidden on ClusterIP Services.",
    fix="remove nodePort, or set type: NodePort",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, nodePort: 30080}]
""",
)
def svc_node_port_on_cluster_ip(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "ClusterIP":
        return
    for i, port in svc.ports:
        if (number := _node_port(port)) is not None:
            yield finding(
                "CG-SVC-011",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].nodePort {number} is forbidden when type is ClusterIP"),
                hint="remove nodePort, or set type: NodePort (or LoadBalancer); charts usually guard it with "
                '`if eq .Values.service.type "NodePort"`',
                field=f"spec.ports[{i}].nodePort",
            )


@_svc_rule(
    "CG-SVC-012",
    "Two Service ports with the same protocol and nodePort",
    why="A nodePort may be used once per protocol.",
    fix="use distinct nodePorts (or leave them to allocation)",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, nodePort: 30080}, {name: web, port: 8080, nodePort: 30080}]
""",
)
def svc_node_port_unique(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    seen: dict[tuple[str, int], int] = {}
    for i, port in svc.ports:
        if (number := _node_port(port)) is None:
            continue
        key = (_protocol(port), number)
        if key in seen:
            yield finding(
                "CG-SVC-012",
                svc.doc,
                on(
                    svc.doc, f"spec.ports[{i}].nodePort {number} duplicates spec.ports[{seen[key]}].nodePort ({key[0]})"
                ),
                hint="give each port its own nodePort, or leave nodePort unset to have one allocated",
                field=f"spec.ports[{i}].nodePort",
            )
        else:
            seen[key] = i


@_svc_rule(
    "CG-SVC-013",
    "nodePort outside the cluster's node port range (default 30000-32767)",
    why="nodePorts outside the API server's --service-node-port-range are rejected.",
    fix="use a nodePort in the cluster's range (default 30000-32767) or leave it empty",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, nodePort: 8080}]
""",
)
def svc_node_port_range(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type not in ("NodePort", "LoadBalancer"):
        return
    low, high = opts.node_port_range
    for i, port in svc.ports:
        number = _node_port(port)
        if number is not None and not low <= number <= high:
            yield finding(
                "CG-SVC-013",
                svc.doc,
                on(svc.doc, f"spec.ports[{i}].nodePort {number} is outside the node port range {low}-{high}"),
                hint=f"pick a nodePort in {low}-{high} (the API server's --service-node-port-range), "
                "or leave it unset to have one allocated",
                field=f"spec.ports[{i}].nodePort",
            )


@_svc_rule(
    "CG-SVC-014",
    "Service type is not ClusterIP, NodePort, LoadBalancer or ExternalName",
    why="type must be ClusterIP, NodePort, LoadBalancer or ExternalName (case-sensitive).",
    fix="use one of ClusterIP, NodePort, LoadBalancer, ExternalName",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: Loadbalancer
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_type(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type not in SERVICE_TYPES:
        match = next((t for t in SERVICE_TYPES if t.lower() == svc.type.lower()), None)
        hint = f"write {match} (types are case-sensitive)" if match else f"use one of {', '.join(SERVICE_TYPES)}"
        yield finding(
            "CG-SVC-014",
            svc.doc,
            on(svc.doc, f"spec.type {svc.type!r} is not one of {', '.join(SERVICE_TYPES)}"),
            hint=hint,
            field="spec.type",
        )


@_svc_rule(
    "CG-SVC-015",
    "ExternalName Service without a valid spec.externalName (DNS-1123 subdomain)",
    why="An ExternalName Service needs externalName, a DNS-1123 subdomain (an IP is not resolved).",
    fix="set spec.externalName to a DNS name",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: ExternalName
  externalName: db_host
""",
)
def svc_external_name(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "ExternalName":
        return
    value = svc.spec.get("externalName")
    cname = value[:-1] if isinstance(value, str) and value.endswith(".") else value
    if cname in (None, ""):
        yield finding(
            "CG-SVC-015",
            svc.doc,
            on(svc.doc, "spec.externalName is required when type is ExternalName"),
            hint="set spec.externalName to the DNS name to alias (e.g. db.example.com)",
            field="spec.externalName",
        )
    elif isinstance(cname, str):
        if errs := dns1123_subdomain_errors(cname):
            yield finding(
                "CG-SVC-015",
                svc.doc,
                on(svc.doc, f"spec.externalName {value!r} is not a DNS-1123 subdomain: {join_errors(errs)}"),
                hint="use a lower case DNS name without scheme, port or path (a trailing dot is allowed)",
                field="spec.externalName",
            )
        elif is_ip(cname):
            yield finding(
                "CG-SVC-015",
                svc.doc,
                on(
                    svc.doc,
                    f"spec.externalName {value!r} is an IP address; ExternalName creates a "
                    "DNS CNAME, which cannot point at an IP",
                ),
                hint="use a DNS name, or a Service without selector plus an EndpointSlice for a fixed IP",
                field="spec.externalName",
                severity=W,
            )


@_svc_rule(
    "CG-SVC-016",
    "ExternalName Service sets clusterIP, clusterIPs, ipFamilies or ipFamilyPolicy",
    why="ExternalName Services have no cluster IPs: clusterIP(s), ipFamilies and ipFamilyPolicy are forbidden.",
    fix="remove clusterIP/clusterIPs/ipFamilies/ipFamilyPolicy",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: ExternalName
  externalName: db.example.com
  clusterIP: 10.0.0.10
""",
)
def svc_external_name_forbidden(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "ExternalName":
        return
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        value = svc.spec.get(key)
        if value not in (None, "", []):
            yield finding(
                "CG-SVC-016",
                svc.doc,
                on(svc.doc, f"spec.{key} is forbidden when type is ExternalName (has {value!r})"),
                hint=f"remove spec.{key}: an ExternalName Service is only a DNS alias",
                field=f"spec.{key}",
            )


@_svc_rule(
    "CG-SVC-017",
    "Headless Service (clusterIP: None) with type NodePort or LoadBalancer",
    why="A headless Service (clusterIP: None) cannot be NodePort or LoadBalancer.",
    fix="use type ClusterIP for headless Services",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_headless_type(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.headless and svc.type in ("NodePort", "LoadBalancer"):
        fld = "spec.clusterIP" if svc.spec.get("clusterIP") == "None" else "spec.clusterIPs[0]"
        yield finding(
            "CG-SVC-017",
            svc.doc,
            on(svc.doc, f"{fld} may not be None when type is {svc.type}"),
            hint="use type ClusterIP for a headless Service, or drop clusterIP: None",
            field=fld,
        )


@_svc_rule(
    "CG-SVC-018",
    "Invalid clusterIP/clusterIPs (bad IP, None not alone, mismatch, more than two)",
    why="clusterIP/clusterIPs must be valid IPs (or None alone), agree with each other, at most two.",
    fix="fix the IPs (or leave clusterIP empty for allocation)",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: 10.0.0.300
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_cluster_ips(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type == "ExternalName":
        return  # CG-SVC-016
    hint = "use clusterIP: None (headless), one valid IP inside the service CIDR, or leave it unset"
    cluster_ip = as_str(svc.spec.get("clusterIP"))
    if cluster_ip and cluster_ip != "None" and not is_ip(cluster_ip):
        yield finding(
            "CG-SVC-018",
            svc.doc,
            on(svc.doc, f"spec.clusterIP {cluster_ip!r} is not a valid IP address or None"),
            hint=hint,
            field="spec.clusterIP",
        )
    ips = [ip for ip in as_list(svc.spec.get("clusterIPs"))]
    if not ips:
        return
    if len(ips) > 2:
        yield finding(
            "CG-SVC-018",
            svc.doc,
            on(svc.doc, f"spec.clusterIPs has {len(ips)} entries; at most two (one per IP family)"),
            hint="list at most one IPv4 and one IPv6 address",
            field="spec.clusterIPs",
        )
    if "None" in ips and len(ips) > 1:
        yield finding(
            "CG-SVC-018",
            svc.doc,
            on(svc.doc, "spec.clusterIPs: None must be the only entry of a headless Service"),
            hint="use clusterIPs: [None] (or just clusterIP: None)",
            field="spec.clusterIPs",
        )
    if cluster_ip and ips[0] != cluster_ip:
        yield finding(
            "CG-SVC-018",
            svc.doc,
            on(svc.doc, f"spec.clusterIPs[0] {ips[0]!r} must equal spec.clusterIP {cluster_ip!r}"),
            hint="set one of them, or make them agree",
            field="spec.clusterIPs[0]",
        )
    for i, ip in enumerate(ips):
        if isinstance(ip, str) and ip not in ("None", "") and not is_ip(ip):
            yield finding(
                "CG-SVC-018",
                svc.doc,
                on(svc.doc, f"spec.clusterIPs[{i}] {ip!r} is not a valid IP address"),
                hint=hint,
                field=f"spec.clusterIPs[{i}]",
            )
    families = [ipaddress.ip_address(ip).version for ip in ips if isinstance(ip, str) and is_ip(ip)]
    if len(families) == 2 and families[0] == families[1]:
        yield finding(
            "CG-SVC-018",
            svc.doc,
            on(svc.doc, "spec.clusterIPs lists two addresses of the same IP family"),
            hint="a dual-stack Service has one IPv4 and one IPv6 address",
            field="spec.clusterIPs[1]",
        )


LB_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


def _cidr_error(text: str) -> str | None:
    if "/" not in text:
        return "is not a CIDR (missing /prefix length)"
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as err:
        return f"is not a valid CIDR ({err})"
    return None


@_svc_rule(
    "CG-SVC-019",
    "loadBalancerSourceRanges entry is not a valid CIDR",
    why="loadBalancerSourceRanges entries must be CIDRs.",
    fix="write each range as a CIDR, e.g. 203.0.113.0/24",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0]
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_source_ranges(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    hint = "use CIDR notation such as 203.0.113.0/24 or 10.0.0.0/8"
    ranges = as_list(svc.spec.get("loadBalancerSourceRanges"))
    for i, value in enumerate(ranges):
        if isinstance(value, str) and (err := _cidr_error(value.strip())):
            yield finding(
                "CG-SVC-019",
                svc.doc,
                on(svc.doc, f"spec.loadBalancerSourceRanges[{i}] {value!r} {err}"),
                hint=hint,
                field=f"spec.loadBalancerSourceRanges[{i}]",
            )
    annotation = svc.doc.annotations.get(LB_SOURCE_RANGES_ANNOTATION)
    if not ranges and isinstance(annotation, str) and annotation.strip():
        for value in annotation.split(","):
            if err := _cidr_error(value.strip()):
                yield finding(
                    "CG-SVC-019",
                    svc.doc,
                    on(svc.doc, f"annotation {LB_SOURCE_RANGES_ANNOTATION} entry {value.strip()!r} {err}"),
                    hint=hint + "; separate entries with commas",
                    field=f"metadata.annotations[{LB_SOURCE_RANGES_ANNOTATION}]",
                )


@_svc_rule(
    "CG-SVC-020",
    "LoadBalancer-only field on a Service that is not type LoadBalancer",
    why=(
        "LoadBalancer-only fields (loadBalancerSourceRanges, loadBalancerClass, "
        "allocateLoadBalancerNodePorts) are rejected on other types."
    ),
    fix="remove the field or set type: LoadBalancer",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  loadBalancerClass: example.com/lb
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_lb_only_fields(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type == "LoadBalancer":
        return
    for key in ("loadBalancerSourceRanges", "allocateLoadBalancerNodePorts", "loadBalancerClass"):
        value = svc.spec.get(key)
        if value is not None and value != []:
            yield finding(
                "CG-SVC-020",
                svc.doc,
                on(svc.doc, f"spec.{key} may only be used when type is LoadBalancer (type is {svc.type})"),
                hint=f"remove spec.{key} or set type: LoadBalancer; guard it in the template with the type",
                field=f"spec.{key}",
            )
    if not as_list(svc.spec.get("loadBalancerSourceRanges")) and LB_SOURCE_RANGES_ANNOTATION in svc.doc.annotations:
        yield finding(
            "CG-SVC-020",
            svc.doc,
            on(
                svc.doc,
                f"annotation {LB_SOURCE_RANGES_ANNOTATION} may only be used when type is "
                f"LoadBalancer (type is {svc.type})",
            ),
            hint="remove the annotation or set type: LoadBalancer",
            field=f"metadata.annotations[{LB_SOURCE_RANGES_ANNOTATION}]",
        )


@_svc_rule(
    "CG-SVC-021",
    "loadBalancerClass is not a qualified name",
    why="loadBalancerClass must be a qualified name.",
    fix="use a prefixed name such as example.com/internal-lb",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  loadBalancerClass: 'internal lb'
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_lb_class(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = as_str(svc.spec.get("loadBalancerClass"))
    if svc.type == "LoadBalancer" and value is not None and (errs := qualified_name_errors(value)):
        yield finding(
            "CG-SVC-021",
            svc.doc,
            on(svc.doc, f"spec.loadBalancerClass {value!r} is not a qualified name: {join_errors(errs)}"),
            hint="use a prefixed name such as example.com/internal-vip",
            field="spec.loadBalancerClass",
        )


@_svc_rule(
    "CG-SVC-022",
    "sessionAffinity is not None or ClientIP",
    why="sessionAffinity is None or ClientIP.",
    fix="use None or ClientIP",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  sessionAffinity: Cookie
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_session_affinity(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("sessionAffinity")
    if value not in (None, "", "None", "ClientIP"):
        yield finding(
            "CG-SVC-022",
            svc.doc,
            on(svc.doc, f"spec.sessionAffinity {value!r} is not one of None, ClientIP"),
            hint="use None (default) or ClientIP",
            field="spec.sessionAffinity",
        )


@_svc_rule(
    "CG-SVC-023",
    "ClientIP session affinity timeoutSeconds outside 1-86400",
    why="ClientIP affinity timeoutSeconds must be 1-86400.",
    fix="use a timeout between 1 and 86400 seconds",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_session_timeout(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.spec.get("sessionAffinity") != "ClientIP":
        return
    client_ip = as_dict(as_dict(svc.spec.get("sessionAffinityConfig")).get("clientIP"))
    timeout = strict_int(client_ip.get("timeoutSeconds"))
    if timeout is not None and not 0 < timeout <= 86400:
        yield finding(
            "CG-SVC-023",
            svc.doc,
            on(svc.doc, f"spec.sessionAffinityConfig.clientIP.timeoutSeconds {timeout} is outside 1-86400"),
            hint="use 1-86400 seconds (default 10800)",
            field="spec.sessionAffinityConfig.clientIP.timeoutSeconds",
        )


@_svc_rule(
    "CG-SVC-024",
    "sessionAffinityConfig set while sessionAffinity is None",
    why="sessionAffinityConfig is forbidden when sessionAffinity is None.",
    fix="set sessionAffinity: ClientIP or remove sessionAffinityConfig",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_session_config_forbidden(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.spec.get("sessionAffinity") in (None, "", "None") and svc.spec.get("sessionAffinityConfig") is not None:
        yield finding(
            "CG-SVC-024",
            svc.doc,
            on(svc.doc, "spec.sessionAffinityConfig must not be set when sessionAffinity is None"),
            hint="remove sessionAffinityConfig, or set sessionAffinity: ClientIP",
            field="spec.sessionAffinityConfig",
        )


@_svc_rule(
    "CG-SVC-025",
    "externalTrafficPolicy set on a Service that is not externally accessible",
    why=(
        "externalTrafficPolicy is only allowed on externally accessible Services (NodePort, LoadBalancer, externalIPs)."
    ),
    fix="remove externalTrafficPolicy or set type: LoadBalancer/NodePort",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_etp_allowed(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("externalTrafficPolicy")
    if value not in (None, "") and not svc.externally_accessible:
        yield finding(
            "CG-SVC-025",
            svc.doc,
            on(
                svc.doc,
                f"spec.externalTrafficPolicy may only be set for NodePort or LoadBalancer "
                f"Services (or ClusterIP with externalIPs); type is {svc.type}",
            ),
            hint="remove externalTrafficPolicy or guard it in the template with the Service type",
            field="spec.externalTrafficPolicy",
        )


@_svc_rule(
    "CG-SVC-026",
    "externalTrafficPolicy is not Cluster or Local",
    why="externalTrafficPolicy is Cluster or Local.",
    fix="use Cluster or Local",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Global
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_etp_value(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("externalTrafficPolicy")
    if value not in (None, "", "Cluster", "Local") and svc.externally_accessible:
        yield finding(
            "CG-SVC-026",
            svc.doc,
            on(svc.doc, f"spec.externalTrafficPolicy {value!r} is not one of Cluster, Local"),
            hint="use Cluster (default) or Local (keeps the client source IP)",
            field="spec.externalTrafficPolicy",
        )


@_svc_rule(
    "CG-SVC-027",
    "healthCheckNodePort set without type LoadBalancer and externalTrafficPolicy Local",
    why="healthCheckNodePort needs type LoadBalancer with externalTrafficPolicy Local.",
    fix="remove healthCheckNodePort or set type LoadBalancer and externalTrafficPolicy Local",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  healthCheckNodePort: 30100
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_health_check_node_port(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = strict_int(svc.spec.get("healthCheckNodePort"))
    if not value:
        return
    if svc.type != "LoadBalancer" or svc.spec.get("externalTrafficPolicy") != "Local":
        yield finding(
            "CG-SVC-027",
            svc.doc,
            on(
                svc.doc,
                "spec.healthCheckNodePort may only be set when type is LoadBalancer and externalTrafficPolicy is Local",
            ),
            hint="remove healthCheckNodePort (or set type LoadBalancer and externalTrafficPolicy Local)",
            field="spec.healthCheckNodePort",
        )
        return
    low, high = opts.node_port_range
    if not low <= value <= high:
        yield finding(
            "CG-SVC-027",
            svc.doc,
            on(svc.doc, f"spec.healthCheckNodePort {value} is outside the node port range {low}-{high}"),
            hint=f"pick a port in {low}-{high} or leave it unset to have one allocated",
            field="spec.healthCheckNodePort",
        )


@_svc_rule(
    "CG-SVC-028",
    "internalTrafficPolicy is not Cluster or Local",
    why="internalTrafficPolicy is Cluster or Local.",
    fix="use Cluster or Local",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  internalTrafficPolicy: Node
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_itp_value(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("internalTrafficPolicy")
    if value not in (None, "", "Cluster", "Local"):
        yield finding(
            "CG-SVC-028",
            svc.doc,
            on(svc.doc, f"spec.internalTrafficPolicy {value!r} is not one of Cluster, Local"),
            hint="use Cluster (default) or Local",
            field="spec.internalTrafficPolicy",
        )


def special_ip_error(text: str) -> str | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return "is not a valid IP address"
    if ip.is_unspecified:
        return "may not be unspecified (0.0.0.0 or ::)"
    if ip.is_loopback:
        return "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    if ip.is_link_local:
        return "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
    link_local_multicast = ipaddress.ip_network("224.0.0.0/24" if ip.version == 4 else "ff02::/16")
    if ip in link_local_multicast:
        return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/16)"
    return None


@_svc_rule(
    "CG-SVC-029",
    "externalIPs entry is not a valid, non-loopback, non-link-local IP",
    why="externalIPs must be valid IPs that are not loopback, link-local or unspecified.",
    fix="use routable IPs in externalIPs",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  externalIPs: [127.0.0.1]
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_external_ips(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, value in enumerate(as_list(svc.spec.get("externalIPs"))):
        if isinstance(value, str) and (err := special_ip_error(value)):
            yield finding(
                "CG-SVC-029",
                svc.doc,
                on(svc.doc, f"spec.externalIPs[{i}] {value!r} {err}"),
                hint="list routable node-reachable addresses only (no CIDR, no loopback or link-local)",
                field=f"spec.externalIPs[{i}]",
            )


@_svc_rule(
    "CG-SVC-030",
    "LoadBalancer Service exposes the kubelet port 10250",
    why="A LoadBalancer exposing port 10250 (the kubelet's) is rejected.",
    fix="use another port",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: https, port: 10250}]
""",
)
def svc_kubelet_port(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "LoadBalancer":
        return
    for i, port in svc.ports:
        if strict_int(port.get("port")) == KUBELET_PORT:
            yield finding(
                "CG-SVC-030",
                svc.doc,
                on(
                    svc.doc,
                    f"spec.ports[{i}].port {KUBELET_PORT} may not be exposed externally: it is the kubelet's port",
                ),
                hint="use another Service port (targetPort can stay 10250)",
                field=f"spec.ports[{i}].port",
            )


@_svc_rule(
    "CG-SVC-031",
    "loadBalancerIP is deprecated (and ignored unless type is LoadBalancer)",
    W,
    why=(
        "loadBalancerIP is deprecated and ignored unless type is LoadBalancer (implementations use "
        "annotations now); a warning."
    ),
    fix="remove loadBalancerIP or use the implementation's annotation",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  loadBalancerIP: 203.0.113.5
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_lb_ip(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("loadBalancerIP")
    if value in (None, ""):
        return
    if svc.type != "LoadBalancer":
        yield finding(
            "CG-SVC-031",
            svc.doc,
            on(svc.doc, f"spec.loadBalancerIP is ignored when type is {svc.type}"),
            hint="remove loadBalancerIP or guard it with the Service type",
            field="spec.loadBalancerIP",
            severity=W,
        )
    else:
        yield finding(
            "CG-SVC-031",
            svc.doc,
            on(
                svc.doc,
                "spec.loadBalancerIP is deprecated since Kubernetes 1.24 and its meaning depends on the cloud provider",
            ),
            hint="use your load balancer implementation's annotation "
            "(e.g. metallb.universe.tf/loadBalancerIPs) instead",
            field="spec.loadBalancerIP",
            severity=W,
        )


IP_FAMILIES = ("IPv4", "IPv6")


IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")


@_svc_rule(
    "CG-SVC-032",
    "Invalid ipFamilies or ipFamilyPolicy",
    why=(
        "ipFamilies are IPv4/IPv6 (at most two, distinct) and ipFamilyPolicy "
        "SingleStack/PreferDualStack/RequireDualStack."
    ),
    fix="fix ipFamilies/ipFamilyPolicy",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ipFamilies: [IPv5]
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_ip_families(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type == "ExternalName":
        return  # CG-SVC-016
    families = as_list(svc.spec.get("ipFamilies"))
    policy = svc.spec.get("ipFamilyPolicy")
    for i, family in enumerate(families):
        if family not in IP_FAMILIES:
            yield finding(
                "CG-SVC-032",
                svc.doc,
                on(svc.doc, f"spec.ipFamilies[{i}] {family!r} is not one of IPv4, IPv6"),
                hint="use IPv4 or IPv6",
                field=f"spec.ipFamilies[{i}]",
            )
    if len(families) > 2 or len(set(map(str, families))) != len(families):
        yield finding(
            "CG-SVC-032",
            svc.doc,
            on(svc.doc, f"spec.ipFamilies {families!r} must list each family at most once"),
            hint="use [IPv4], [IPv6], [IPv4, IPv6] or [IPv6, IPv4]",
            field="spec.ipFamilies",
        )
    if policy not in (None, "") and policy not in IP_FAMILY_POLICIES:
        yield finding(
            "CG-SVC-032",
            svc.doc,
            on(svc.doc, f"spec.ipFamilyPolicy {policy!r} is not one of {', '.join(IP_FAMILY_POLICIES)}"),
            hint=f"use one of {', '.join(IP_FAMILY_POLICIES)}",
            field="spec.ipFamilyPolicy",
        )
    elif policy == "SingleStack" and len(families) == 2:
        yield finding(
            "CG-SVC-032",
            svc.doc,
            on(svc.doc, "spec.ipFamilies lists two families but ipFamilyPolicy is SingleStack"),
            hint="list one family, or use PreferDualStack / RequireDualStack",
            field="spec.ipFamilies",
        )


def _kube_minor(opts: CheckOptions) -> int:
    m = re.match(r"^v?(\d+)\.(\d+)", opts.kube_version)
    return int(m.group(2)) if m and m.group(1) == "1" else 99


@_svc_rule(
    "CG-SVC-033",
    "trafficDistribution has a value this Kubernetes version does not accept",
    why="trafficDistribution accepts PreferClose (and more values from newer Kubernetes versions only).",
    fix="use PreferClose, or a value the target --kube-version accepts",
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  trafficDistribution: Nearest
  selector: {app: web}
  ports: [{name: http, port: 80}]
""",
)
def svc_traffic_distribution(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("trafficDistribution")
    if value in (None, ""):
        return
    allowed = ("PreferClose",) if _kube_minor(opts) < 33 else ("PreferClose", "PreferSameZone", "PreferSameNode")
    if value not in allowed:
        yield finding(
            "CG-SVC-033",
            svc.doc,
            on(
                svc.doc,
                f"spec.trafficDistribution {value!r} is not accepted by Kubernetes "
                f"{opts.kube_version} (allowed: {', '.join(allowed)})",
            ),
            hint=f"use {' or '.join(allowed)}, or remove it",
            field="spec.trafficDistribution",
        )
