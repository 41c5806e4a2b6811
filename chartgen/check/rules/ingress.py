"""Ingress and Gateway API HTTPRoute/GRPCRoute backends against the rendered Services and their ports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import CORE, GATEWAY_API, INGRESS_GROUPS, as_dict, as_int, as_list, service_ports
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "cross"


def _service_has_port(svc: Document, port: Any) -> bool:
    num = as_int(port)
    for p in service_ports(svc):
        if num is not None and as_int(p.get("port")) == num:
            return True
        if num is None and p.get("name") is not None and str(p.get("name")) == str(port):
            return True
    return False


def _ports_text(svc: Document) -> str:
    return (
        ", ".join(
            f"{p.get('name')}={p.get('port')}" if p.get("name") else str(p.get("port")) for p in service_ports(svc)
        )
        or "none"
    )


def _ingress_backends(doc: Document) -> Iterator[tuple[str, Any, str]]:
    """(service name, port number-or-name, field path) of every Service backend of an Ingress."""
    spec = as_dict(doc.obj.get("spec"))

    def one(backend: Any, path: str) -> Iterator[tuple[str, Any, str]]:
        b = as_dict(backend)
        svc = as_dict(b.get("service"))
        if svc.get("name"):  # networking.k8s.io/v1
            port = as_dict(svc.get("port"))
            yield str(svc["name"]), port.get("number", port.get("name")), f"{path}.service"
        elif b.get("serviceName"):  # extensions/v1beta1, networking.k8s.io/v1beta1
            yield str(b["serviceName"]), b.get("servicePort"), path

    for key in ("defaultBackend", "backend"):
        if key in spec:
            yield from one(spec[key], f"spec.{key}")
    for ri, r in enumerate(as_list(spec.get("rules"))):
        for pi, p in enumerate(as_list(as_dict(as_dict(r).get("http")).get("paths"))):
            yield from one(as_dict(p).get("backend"), f"spec.rules[{ri}].http.paths[{pi}].backend")


def _httproute_backends(doc: Document, index: ManifestIndex) -> Iterator[tuple[str, Any, str, str | None]]:
    spec = as_dict(doc.obj.get("spec"))
    for ri, r in enumerate(as_list(spec.get("rules"))):
        for bi, b in enumerate(as_list(as_dict(r).get("backendRefs"))):
            b = as_dict(b)
            if b.get("kind", "Service") != "Service" or b.get("group", "") not in ("", "core"):
                continue
            if not b.get("name"):
                continue
            yield (
                str(b["name"]),
                b.get("port"),
                f"spec.rules[{ri}].backendRefs[{bi}]",
                b.get("namespace") or index.namespace_of(doc),
            )


def _flagger_services(index: ManifestIndex) -> set[tuple[str | None, str]]:
    """(namespace, name) of the Services a Flagger Canary in the input creates: <service.name or targetRef.name>,
    and its -primary and -canary copies (Flagger's service router); their ports are Flagger's to set."""
    out: set[tuple[str | None, str]] = set()
    for canary in index.kind("Canary", ["flagger.app"]):
        spec = as_dict(canary.obj.get("spec"))
        base = as_dict(spec.get("service")).get("name") or as_dict(spec.get("targetRef")).get("name")
        if base:
            out |= {(index.namespace_of(canary), f"{base}{suffix}") for suffix in ("", "-primary", "-canary")}
    return out


@rule(
    "CG-X-010",
    Severity.ERROR,
    "Ingress/HTTPRoute backend Service or port not found",
    LAYER,
    why=(
        "An Ingress or HTTPRoute backend port that the Service does not have fails every request with 503; a "
        "backend Service missing from the input is a warning (another release may own it), and none when a "
        "Flagger Canary in the input creates it (<name>, <name>-primary, <name>-canary)."
    ),
    fix=(
        "use the Service's port number or name (not the containerPort); reference the chart's Service by its "
        "rendered name"
    ),
    example="""\
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.example.com
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]
""",
)
def route_backends(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # The backend Service missing from the render is only a WARNING (another release in the namespace may own
    # it); a rendered Service without the referenced port is a certain 503 -> ERROR.
    refs: list[tuple[Document, str, Any, str, str | None]] = []
    for ing in index.kind("Ingress", INGRESS_GROUPS):
        for name, port, field in _ingress_backends(ing):
            refs.append((ing, name, port, field, index.namespace_of(ing)))
    for hr in [*index.kind("HTTPRoute", GATEWAY_API), *index.kind("GRPCRoute", GATEWAY_API)]:
        for name, port, field, ns in _httproute_backends(hr, index):
            refs.append((hr, name, port, field, ns))
    made = _flagger_services(index)
    for doc, name, port, field, ns in refs:
        svc = index.get("Service", name, ns, CORE)
        if svc is None and (opts.is_external("Service", name, ns) or (ns, name) in made):
            continue
        if svc is None:
            yield finding(
                "CG-X-010",
                doc,
                f"{doc.kind} {doc.name}: backend Service {name!r} is not in the rendered manifests",
                hint="reference the chart's Service by its rendered name (fullname helper); if it belongs to "
                "another release, suppress this warning",
                field=field,
                severity=Severity.WARNING,
            )
            continue
        if port is None:
            if doc.kind in ("HTTPRoute", "GRPCRoute"):
                yield finding(
                    "CG-X-010",
                    doc,
                    f"{doc.kind} {doc.name}: backendRef to Service {name!r} has no port (required for Service "
                    "backends)",
                    hint=f"set port to one of the Service ports ({_ports_text(svc)})",
                    field=field,
                )
            continue
        if not _service_has_port(svc, port):
            yield finding(
                "CG-X-010",
                doc,
                f"{doc.kind} {doc.name}: backend port {port!r} is not a port of Service {name} "
                f"(ports: {_ports_text(svc)}); requests fail with 503",
                hint="use the Service's port number or name (not the containerPort)",
                field=field,
            )
