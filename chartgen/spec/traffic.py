"""Ingress and Gateway API HTTPRoute/GRPCRoute settings: the cross-field checks their schemas cannot make.

The shapes are declared in chartgen/spec/settings.py; here: an enabled Ingress needs hosts, an enabled HTTPRoute or
GRPCRoute needs parentRefs, and every backend port names a port of the Service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chartgen.spec.report import Report
from chartgen.spec.route_rules import check_http_route_rules
from chartgen.spec.service import Service
from chartgen.spec.settings import CATALOG


def _port_problem(port: Any, service: Service) -> str | None:
    numbers = [p.port for p in service.ports]
    names = [p.name for p in service.ports if p.name]
    if port is None or port in numbers or port in names:
        return None
    allowed = ", ".join(map(str, [*numbers, *names])) or "(the Service has no ports)"
    return f"{port!r} names no Service port; allowed: {allowed}"


def check_traffic(raw: Mapping[str, Any], service: Service, report: Report) -> None:
    _check_ingress(raw, service, report)
    _check_routes(raw, service, report)


def _check_ingress(raw: Mapping[str, Any], service: Service, report: Report) -> None:
    if not CATALOG.get(raw, "ingress.enabled"):
        return
    hosts = CATALOG.get(raw, "ingress.hosts")
    if not hosts:
        report("ingress.hosts", "an enabled Ingress needs at least one host, e.g. [{host: app.example.com}]")
    for i, host in enumerate(hosts):
        for j, path in enumerate(host.get("paths") or []):
            if (problem := _port_problem(path.get("port"), service)) is not None:
                report(f"ingress.hosts[{i}].paths[{j}].port", problem)
    if not service.ports:
        report("ingress.enabled", "the Service has no ports to route to")


def _check_routes(raw: Mapping[str, Any], service: Service, report: Report) -> None:
    for key, kind in (("httpRoute", "HTTPRoute"), ("grpcRoute", "GRPCRoute")):
        if not CATALOG.get(raw, f"{key}.enabled"):
            continue
        if not CATALOG.get(raw, f"{key}.parentRefs"):
            report(f"{key}.parentRefs", f"an enabled {kind} needs at least one parentRef (a Gateway), e.g. "
                                        "[{name: public, namespace: gateway-system}]")
        if (problem := _port_problem(CATALOG.get(raw, f"{key}.port"), service)) is not None:
            report(f"{key}.port", problem)
        if key == "httpRoute":
            check_http_route_rules(CATALOG.get(raw, "httpRoute.rules"), report)
