"""The `service:` and `containerPorts:` settings: typed values, and the checks a schema cannot express.

The JSON Schema (generated from chartgen/spec/settings.py) has checked types, enums and ranges; the parsers here check
what depends on other settings (the Service type, the node port range, the blueprint) and report through a
:class:`~chartgen.spec.report.Report`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from chartgen.core import k8snames
from chartgen.core.lazy_pattern import lazy_pattern
from chartgen.core.record import Record, record
from chartgen.spec.blueprints import Blueprint
from chartgen.spec.report import Report
from chartgen.spec.settings import CATALOG

DNS1123_LABEL = k8snames.DNS1123_LABEL
DNS1123_SUBDOMAIN = lazy_pattern(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$")
IANA_SVC_NAME = lazy_pattern(r"^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$")
QUALIFIED_NAME = lazy_pattern(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                            r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
DEFAULT_NODE_PORT_RANGE = (30000, 32767)
NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


@record
class ServicePort(Record):
    """One port of the Service."""

    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None
    app_protocol: str | None = None
    node_port: int | None = None


@record
class ContainerPort(Record):
    """One port of the container."""

    container_port: int
    protocol: str = "TCP"
    name: str | None = None


@record
class LoadBalancer(Record):
    """LoadBalancer settings: a cloud preset and what it turns into annotations."""

    preset: str = "none"
    scheme: str | None = None
    certificate_arn: str | None = None
    ssl_ports: str | None = None
    backend_protocol: str | None = None
    class_name: str | None = None
    source_ranges: tuple[str, ...] = ()
    allocate_node_ports: bool | None = None
    health_check_node_port: int | None = None


@record
class Service(Record):
    """The typed `service:` section of one layer."""

    type: str
    ports: tuple[ServicePort, ...]
    annotations: Mapping[str, str]
    session_affinity: str
    session_affinity_timeout: int
    internal_traffic_policy: str | None
    external_traffic_policy: str | None
    external_name: str | None
    node_port_range: tuple[int, int]
    client_service: bool
    publish_not_ready_addresses: bool
    load_balancer: LoadBalancer
    headless: bool = False  # clusterIP: None (the blueprint's `headless: true`)


def parse_service(raw: Mapping[str, Any], bp: Blueprint, report: Report) -> Service:
    """The typed Service of one merged settings layer."""
    svc = raw.get("service") or {}
    svc_type = _service_type(svc, bp, report)
    npr = _node_port_range(svc.get("nodePortRange"), report)
    lb = _load_balancer(raw, report)
    etp = _traffic_policy(svc, svc_type, lb, npr, report)
    return Service(
        type=svc_type,
        ports=_service_ports(svc.get("ports") or [], svc_type, bp, npr, report),
        annotations=_annotations(svc, report),
        session_affinity=CATALOG.get(raw, "service.sessionAffinity"),
        session_affinity_timeout=int(CATALOG.get(raw, "service.sessionAffinityTimeoutSeconds")),
        internal_traffic_policy=svc.get("internalTrafficPolicy"),
        external_traffic_policy=etp,
        external_name=_external_name(svc, svc_type, report),
        node_port_range=npr,
        client_service=bool(CATALOG.get(raw, "service.clientService")),
        publish_not_ready_addresses=bool(CATALOG.get(raw, "service.publishNotReadyAddresses")),
        load_balancer=lb,
        headless=bp.headless,
    )


def _service_type(svc: Mapping[str, Any], bp: Blueprint, report: Report) -> str:
    svc_type = str(svc.get("type") or bp.service_type)
    if svc_type not in bp.allowed_service_types:
        report("service.type", f"{svc_type!r} is not allowed for blueprint {bp.name!r}; "
                               f"allowed: {', '.join(bp.allowed_service_types)}")
    return svc_type


def _node_port_range(text: str | None, report: Report) -> tuple[int, int]:
    if not text:
        return DEFAULT_NODE_PORT_RANGE
    lo, hi = (int(x) for x in text.split("-"))
    if not 1 <= lo <= hi <= 65535:
        report("service.nodePortRange", f"{text!r} is not a valid range; expected LOW-HIGH within 1-65535")
        return DEFAULT_NODE_PORT_RANGE
    return lo, hi


def _load_balancer(raw: Mapping[str, Any], report: Report) -> LoadBalancer:
    lb_raw = (raw.get("service") or {}).get("loadBalancer") or {}
    lb = LoadBalancer(
        preset=CATALOG.get(raw, "service.loadBalancer.preset"),
        scheme=lb_raw.get("scheme"),
        certificate_arn=lb_raw.get("certificateArn"),
        ssl_ports=lb_raw.get("sslPorts"),
        backend_protocol=lb_raw.get("backendProtocol"),
        class_name=lb_raw.get("class"),
        source_ranges=tuple(lb_raw.get("sourceRanges") or ()),
        allocate_node_ports=lb_raw.get("allocateNodePorts"),
        health_check_node_port=lb_raw.get("healthCheckNodePort"),
    )
    for i, cidr in enumerate(lb.source_ranges):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            report(f"service.loadBalancer.sourceRanges[{i}]", f"{cidr!r} is not a valid CIDR (e.g. 10.0.0.0/8)")
    if lb.class_name and not QUALIFIED_NAME.match(lb.class_name):
        report("service.loadBalancer.class", f"{lb.class_name!r} is not a qualified name (e.g. service.k8s.aws/nlb)")
    return lb


def _traffic_policy(svc: Mapping[str, Any], svc_type: str, lb: LoadBalancer, npr: tuple[int, int],
                    report: Report) -> str | None:
    """externalTrafficPolicy, and the health check node port that depends on it."""
    etp = svc.get("externalTrafficPolicy")
    if etp and svc_type not in NODE_PORT_TYPES:
        report("service.externalTrafficPolicy", f"only allowed with type NodePort or LoadBalancer, not {svc_type}")
    hc = lb.health_check_node_port
    if hc is not None:
        if svc_type != "LoadBalancer" or etp != "Local":
            report("service.loadBalancer.healthCheckNodePort",
                   "only allowed with type LoadBalancer and externalTrafficPolicy Local")
        elif not npr[0] <= hc <= npr[1]:
            report("service.loadBalancer.healthCheckNodePort", f"{hc} is out of range; allowed: {npr[0]}-{npr[1]}")
    return etp


def _external_name(svc: Mapping[str, Any], svc_type: str, report: Report) -> str | None:
    ext_name = svc.get("externalName")
    if svc_type == "ExternalName":
        if not ext_name:
            report("service.externalName", "required for type ExternalName (a DNS name such as db.example.com)",
                   always=True)
        elif not DNS1123_SUBDOMAIN.match(ext_name) or len(ext_name.rstrip(".")) > 253:
            report("service.externalName", f"{ext_name!r} is not a DNS-1123 subdomain: lowercase labels of "
                                           "[a-z0-9-] separated by single dots")
    elif ext_name:
        report("service.externalName", f"only allowed with type ExternalName, not {svc_type}")
    return ext_name


def _annotations(svc: Mapping[str, Any], report: Report) -> dict[str, str]:
    annotations = dict(svc.get("annotations") or {})
    for key in annotations:
        if not QUALIFIED_NAME.match(str(key)):
            report(f"service.annotations.{key}", "annotation key is not a qualified name")
    return annotations


# ---------------------------------------------------------------------------------------------- ports


class _PortChecks:
    """Duplicate names, protocol/port pairs and node ports across a Service's ports."""

    def __init__(self, svc_type: str, npr: tuple[int, int], report: Report, count: int):
        self.svc_type, self.npr, self.report, self.count = svc_type, npr, report, count
        self.names: set[str] = set()
        self.pairs: set[tuple[str, int]] = set()
        self.node_ports: dict[tuple[str, int], int] = {}

    def name(self, at: str, name: str | None) -> None:
        if name is None:
            if self.count > 1:
                self.report(f"{at}.name", "required when the Service has more than one port (a DNS-1123 label such "
                                          "as http)")
            return
        if not DNS1123_LABEL.match(name) or len(name) > 63:
            self.report(f"{at}.name", f"{name!r} is not a DNS-1123 label: lowercase letters, digits and '-'")
        if name in self.names:
            self.report(f"{at}.name", f"duplicate port name {name!r}")
        self.names.add(name)

    def port(self, at: str, protocol: str, port: int) -> None:
        if (protocol, port) in self.pairs:
            self.report(f"{at}.port", f"duplicate {protocol} port {port}")
        self.pairs.add((protocol, port))

    def node_port(self, at: str, i: int, protocol: str, node_port: int | None) -> None:
        if node_port is None:
            return
        lo, hi = self.npr
        if self.svc_type not in NODE_PORT_TYPES:
            self.report(f"{at}.nodePort", f"only allowed with type NodePort or LoadBalancer, not {self.svc_type}")
        elif not lo <= node_port <= hi:
            self.report(f"{at}.nodePort", f"{node_port} is out of range; allowed: {lo}-{hi} "
                                          "(set service.nodePortRange for a custom --service-node-port-range)")
        elif (protocol, node_port) in self.node_ports:
            self.report(f"{at}.nodePort", f"duplicate nodePort {node_port} (also used by "
                                          f"service.ports[{self.node_ports[(protocol, node_port)]}])")
        self.node_ports.setdefault((protocol, node_port), i)


def _target_port(at: str, target: int | str, report: Report) -> None:
    if isinstance(target, int) and not 1 <= target <= 65535:
        report(f"{at}.targetPort", f"{target} is out of range; allowed: 1-65535")
    if isinstance(target, str) and (not IANA_SVC_NAME.match(target) or len(target) > 15):
        report(f"{at}.targetPort", f"{target!r} is not a valid port name: at most 15 of [-a-z0-9] with a letter")


def _service_ports(raw_ports: list[dict[str, Any]], svc_type: str, bp: Blueprint, npr: tuple[int, int],
                   report: Report) -> tuple[ServicePort, ...]:
    if not raw_ports and bp.requires_ports:
        report("service.ports", f"at least one port is required for blueprint {bp.name!r}", always=True)
    checks = _PortChecks(svc_type, npr, report, len(raw_ports))
    ports = []
    for i, p in enumerate(raw_ports):
        at = f"service.ports[{i}]"
        protocol = p.get("protocol", "TCP")
        checks.name(at, p.get("name"))
        checks.port(at, protocol, p["port"])
        target = p.get("targetPort", p["port"])
        _target_port(at, target, report)
        app = p.get("appProtocol")
        if app is not None and not QUALIFIED_NAME.match(app):
            report(f"{at}.appProtocol", f"{app!r} is not a qualified name (e.g. http, kubernetes.io/h2c)")
        checks.node_port(at, i, protocol, p.get("nodePort"))
        ports.append(ServicePort(p["port"], target, protocol, p.get("name"), app, p.get("nodePort")))
    return tuple(ports)


def container_ports(raw: Mapping[str, Any], service: Service, bp: Blueprint,
                    report: Report) -> tuple[ContainerPort, ...]:
    """The container's ports: each numeric targetPort of the Service (named after its port), then containerPorts."""
    if not bp.has_workload:
        return ()
    extra = tuple(ContainerPort(int(p["containerPort"]), p.get("protocol", "TCP"), p["name"])
                  for p in raw.get("containerPorts") or [])
    extra_names = {c.name for c in extra}
    out: list[ContainerPort] = []
    seen: set[tuple[int, str]] = set()
    for i, p in enumerate(service.ports):
        if isinstance(p.target_port, str):
            if p.target_port not in extra_names:
                report(f"service.ports[{i}].targetPort",
                       f"{p.target_port!r} names no container port; declare it under containerPorts or use a number")
            continue
        if (p.target_port, p.protocol) not in seen:
            seen.add((p.target_port, p.protocol))
            out.append(ContainerPort(p.target_port, p.protocol, _container_port_name(p.name)))
    for c in extra:
        if (c.container_port, c.protocol) not in seen:
            seen.add((c.container_port, c.protocol))
            out.append(c)
    return tuple(out)


def _container_port_name(name: str | None) -> str | None:
    return name if name and IANA_SVC_NAME.match(name) and len(name) <= 15 else None
