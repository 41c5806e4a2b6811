"""Does a Service reach pods: its selector against the rendered pod templates (CG-X-001) and its target ports
against the containers it selects (CG-X-003).
"""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import (
    PodLookup,
    as_int,
    declared_ports_text,
    fmt_labels,
    owner_text,
    pod_declares_ports,
    pod_exposes,
    proto,
    service_ports,
    service_selector,
)
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "cross"


@rule("CG-X-001", Severity.ERROR, "Service selector matches no pod template", LAYER)
def service_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for svc in index.kind("Service"):
        sel = service_selector(svc)
        if sel is None:
            continue
        if pods.select(sel, index.namespace_of(svc)):
            continue
        hooks_only = pods.select(sel, index.namespace_of(svc), include_hooks=True)
        extra = " (only Helm hook pods match, and they are not long-running)" if hooks_only else ""
        yield finding(
            "CG-X-001",
            svc,
            f"Service {svc.name}: selector {fmt_labels(sel)} matches no pod template in the rendered "
            f"manifests{extra}; the Service has no endpoints and is not accessible",
            hint="make spec.selector a subset of the pod template labels of the workload it fronts "
            "(use the same selectorLabels helper in both templates)",
            field="spec.selector",
        )


@rule("CG-X-003", Severity.ERROR, "Service targetPort is not exposed by any selected container", LAYER)
def service_target_port(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Named targetPorts are resolved per pod against containerPort names: no match means no endpoint (ERROR).
    # A numeric targetPort is forwarded even if undeclared (containerPort is informational), so it is an ERROR
    # only when the selected containers declare ports and none of them is that number (a mismatch the chart
    # states itself); when they declare no ports at all we cannot tell and say so as a WARNING.
    pods = PodLookup.of(index)
    for svc in index.kind("Service"):
        sel = service_selector(svc)
        if sel is None:
            continue
        selected = pods.select(sel, index.namespace_of(svc))
        if not selected:
            continue  # CG-X-001
        for i, port in enumerate(service_ports(svc)):
            target = port.get("targetPort", port.get("port"))
            if target is None:
                continue
            protocol = proto(port.get("protocol"))
            num = as_int(target)
            field = f"spec.ports[{i}].targetPort" if "targetPort" in port else f"spec.ports[{i}].port"
            label = f"port {port.get('name') or port.get('port')}"
            exposing = [pt for pt in selected if pod_exposes(pt, target, protocol)]
            if exposing:
                missing = [pt for pt in selected if pt not in exposing]
                if missing:
                    names = ", ".join(owner_text(pt) for pt in missing)
                    yield finding(
                        "CG-X-003",
                        svc,
                        f"Service {svc.name} {label}: targetPort {target!r} is exposed by some selected pods "
                        f"but not by {names}; traffic sent to those pods fails",
                        hint="narrow spec.selector to the pods that serve this port, or declare the port on "
                        "every selected container",
                        field=field,
                        severity=Severity.WARNING,
                    )
                continue
            declared = declared_ports_text(selected)
            owners = ", ".join(owner_text(pt) for pt in selected)
            if num is None:
                yield finding(
                    "CG-X-003",
                    svc,
                    f"Service {svc.name} {label}: targetPort {target!r} names no {protocol} containerPort of the "
                    f"selected pods ({owners}; declared: {declared}); the Service has no endpoints for it",
                    hint="set targetPort to a containerPort name the container declares (or add "
                    f"`ports: [{{name: {target}, containerPort: <n>}}]` to the container)",
                    field=field,
                )
            elif any(pod_declares_ports(pt) for pt in selected):
                yield finding(
                    "CG-X-003",
                    svc,
                    f"Service {svc.name} {label}: targetPort {num} is not a {protocol} containerPort of the "
                    f"selected pods ({owners}; declared: {declared}); traffic goes to a port nothing "
                    "listens on",
                    hint="point targetPort at the containerPort (prefer the port's name), or fix containerPort",
                    field=field,
                )
            else:
                yield finding(
                    "CG-X-003",
                    svc,
                    f"Service {svc.name} {label}: targetPort {num} cannot be verified: the selected pods "
                    f"({owners}) declare no container ports",
                    hint="declare the container port (name it) and use the name as targetPort",
                    field=field,
                    severity=Severity.WARNING,
                )
