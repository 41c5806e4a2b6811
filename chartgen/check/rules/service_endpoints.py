"""Does a Service reach pods: its selector against the rendered pod templates (CG-X-001) and its target ports
against the containers it selects (CG-X-003).

What the input proves: a chart render is complete for the chart's own pods, so a selector that matches none of
them in a namespace where the chart runs its own workloads is a certain bug. Pods the render cannot show are
judged by warnings: control-plane or other releases' pods in a namespace the chart renders no workload into,
pods an operator creates from a custom resource of the render, labels controllers add to the pods they create,
and pods declared in .chartgen-check.yaml (`external: [{kind: Pod, selector: {...}}]`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    BUILTIN_GROUPS,
    PodLookup,
    api_group,
    as_dict,
    as_int,
    declared_ports_text,
    fmt_labels,
    index_cache,
    is_hook,
    is_istio_group,
    owner_text,
    pod_declares_ports,
    pod_exposes,
    proto,
    runtime_label_near_miss,
    service_ports,
    service_selector,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule

LAYER = "cross"
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout")

# Labels the controllers put on the pods they create; a template never carries them.
CONTROLLER_LABELS = frozenset(
    {
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-revision-hash",
        "pod-template-hash",
        "job-name",
        "controller-uid",
        "batch.kubernetes.io/job-name",
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-completion-index",
    }
)


def _own_pods_in(index: ManifestIndex, namespace: str | None) -> bool:
    """Does the render run long-running pods of its own in exactly this namespace?"""

    def build() -> set[str | None]:
        return {
            index.namespace_of(pt.owner)
            for pt in index.pod_templates
            if pt.owner.kind in LONG_RUNNING and not is_hook(pt.owner)
        }

    return namespace in index_cache(index, "_cg_own_pod_namespaces", build)


def _custom_resource_names(index: ManifestIndex) -> dict[str, list[str | None]]:
    """Names (-> namespaces) of custom resources in the render: operators label their pods with them."""

    def build() -> dict[str, list[str | None]]:
        out: dict[str, list[str | None]] = {}
        for doc in index.documents:
            group = api_group(doc.api_version)
            if doc.kind and doc.name and not (group in BUILTIN_GROUPS or is_istio_group(group)):
                out.setdefault(doc.name, []).append(index.namespace_of(doc))
        return out

    return index_cache(index, "_cg_custom_resource_names", build)


def _operator_made(index: ManifestIndex, selector: dict[str, Any], namespace: str | None) -> str | None:
    """The custom resource whose pods the selector plausibly targets (a selector value names it), or None."""
    names = _custom_resource_names(index)
    for value in selector.values():
        for ns in names.get(str(value), ()):
            if ManifestIndex._same_ns(ns, namespace):
                return str(value)
    return None


def _externally_declared(opts: CheckOptions, selector: dict[str, Any], namespace: str | None) -> bool:
    return any(all(str(selector.get(k)) == v for k, v in ext.items()) for ext in opts.external_pod_selectors(namespace))


@rule(
    "CG-X-001",
    Severity.ERROR,
    "Service selector matches no pod",
    LAYER,
    why="A Service whose selector matches no pod has no endpoints: every connection to it is refused. An error "
    "when the render holds the chart's own workloads in the Service's namespace and none matches; a "
    "warning when the pods may come from elsewhere (another namespace, an operator, the control plane).",
    fix="make spec.selector a subset of the pod template labels of the workload it fronts (use the same "
    "selectorLabels helper in both templates); pods made elsewhere can be declared in .chartgen-check.yaml "
    "(external: [{kind: Pod, selector: {...}}])",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx:1.27, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: webb}
  ports: [{name: http, port: 80, targetPort: http}]
""",
)
def service_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for svc in index.kind("Service", ("",)):
        sel = service_selector(svc)
        if sel is None:
            continue
        ns = index.namespace_of(svc)
        template_sel = {k: v for k, v in sel.items() if k not in CONTROLLER_LABELS}
        if template_sel and pods.select(template_sel, ns):
            continue
        if _externally_declared(opts, sel, ns):
            continue
        near = runtime_label_near_miss(pods, template_sel, ns)
        if near is not None:
            yield _runtime_labels(svc, sel, near)
            continue
        yield _no_pods(index, pods, svc, sel, template_sel, ns)


def _runtime_labels(svc: Document, sel: dict[str, Any], near: tuple[PodTemplate, list[str]]) -> Finding:
    template, absent = near
    keys = ", ".join(absent)
    return finding(
        "CG-X-001",
        svc,
        f"Service {svc.name}: selector {fmt_labels(sel)} matches no pod template as rendered, but "
        f"{owner_text(template)} carries every other key; no template carries {keys}, which the application or a "
        "controller may add to a running pod (e.g. the active member of an HA pair), so endpoints may exist",
        severity=Severity.WARNING,
        field="spec.selector",
        hint=f"certain only if nothing labels the pods with {keys} at runtime; if nothing does, drop {keys} from "
        "spec.selector or add it to the pod template labels",
    )


def _no_pods(
    index: ManifestIndex,
    pods: PodLookup,
    svc: Document,
    sel: dict[str, Any],
    template_sel: dict[str, Any],
    ns: str | None,
) -> Finding:
    hooks_only = bool(template_sel) and pods.select(template_sel, ns, include_hooks=True)
    extra = " (only Helm hook pods match, and they are not long-running)" if hooks_only else ""
    operator = _operator_made(index, sel, ns)
    base = f"Service {svc.name}: selector {fmt_labels(sel)} matches no pod template in the rendered manifests"
    if operator is not None:
        return finding(
            "CG-X-001",
            svc,
            f"{base}; its pods are presumably made by an operator from custom "
            f"resource {operator!r}, which the render cannot show",
            severity=Severity.WARNING,
            field="spec.selector",
            hint="if no operator makes these pods, fix spec.selector; otherwise declare them in "
            ".chartgen-check.yaml (external: [{kind: Pod, selector: {...}}])",
        )
    if not hooks_only and not _own_pods_in(index, ns):
        where = f"namespace {ns}" if ns else "the release namespace"
        return finding(
            "CG-X-001",
            svc,
            f"{base}, and the render runs no workload of its own in {where}; the "
            "Service has no endpoints unless pods made elsewhere carry these labels",
            severity=Severity.WARNING,
            field="spec.selector",
            hint="declare the pods in .chartgen-check.yaml (external: [{kind: Pod, namespace: ..., "
            "selector: {...}}]) or check them together with the manifests that create them",
        )
    return finding(
        "CG-X-001", svc, f"{base}{extra}; the Service has no endpoints and is not accessible", field="spec.selector"
    )


@rule(
    "CG-X-003",
    Severity.ERROR,
    "Service targetPort is not exposed by the selected containers",
    LAYER,
    why=(
        "A named targetPort is resolved in every selected pod against its containers' port names: no such name "
        "means no endpoint for that port. A numeric targetPort is forwarded whether or not a container declares "
        "it (processes often listen on undeclared ports): a warning when the containers declare ports and the "
        "number is not among them, info when an admission webhook completes the pod (an injected gateway), "
        "nothing when they declare none."
    ),
    fix="set targetPort to a containerPort name the selected containers declare (or declare that name)",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx:1.27, ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: web}]
""",
)
def service_target_port(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    verdicts: dict[tuple[Any, ...], tuple[str, Severity, str] | None] = {}
    for svc in index.kind("Service", ("",)):
        sel = service_selector(svc)
        if sel is None:
            continue
        selected = pods.select(sel, index.namespace_of(svc))
        if not selected:
            continue  # CG-X-001
        sel_key = (tuple(sorted((str(k), str(v)) for k, v in sel.items())), index.namespace_of(svc))
        for i, port in enumerate(service_ports(svc)):
            target = port.get("targetPort", port.get("port"))
            if target is None:
                continue
            protocol = proto(port.get("protocol"))
            key = (sel_key, str(target), protocol)
            if key not in verdicts:  # identical Services over the same pods are judged once
                verdicts[key] = _target_verdict(selected, target, protocol)
            verdict = verdicts[key]
            if verdict is None:
                continue
            text, severity, hint = verdict
            field = f"spec.ports[{i}].targetPort" if "targetPort" in port else f"spec.ports[{i}].port"
            label = f"port {port.get('name') or port.get('port')}"
            yield finding(
                "CG-X-003", svc, f"Service {svc.name} {label}: {text}", hint=hint, field=field, severity=severity
            )


def _target_verdict(selected: list[PodTemplate], target: Any, protocol: str) -> tuple[str, Severity, str] | None:
    exposing = [pt for pt in selected if pod_exposes(pt, target, protocol)]
    num = as_int(target)
    if exposing:
        ids = {id(pt) for pt in exposing}
        missing = [pt for pt in selected if id(pt) not in ids]
        if not missing or num is not None:
            return None  # a number is forwarded to every pod whether declared or not
        return (
            f"targetPort {target!r} is exposed by some selected pods but not by "
            f"{', '.join(owner_text(pt) for pt in missing)}; traffic sent to those pods fails",
            Severity.WARNING,
            "narrow spec.selector to the pods that serve this port, or declare the port on every selected container",
        )
    declared = declared_ports_text(selected)
    owners = ", ".join(owner_text(pt) for pt in selected)
    if num is None:
        return (
            f"targetPort {target!r} names no {protocol} containerPort of the selected pods ({owners}; "
            f"declared: {declared}); the Service has no endpoints for it",
            Severity.ERROR,
            "set targetPort to a containerPort name the container declares (or add "
            f"`ports: [{{name: {target}, containerPort: <n>}}]` to the container)",
        )
    if not any(pod_declares_ports(pt) for pt in selected):
        return None  # nothing declared: nothing to compare with (a number is forwarded whether declared or not)
    if any(_completed_at_admission(pt) for pt in selected):
        # an injected proxy (Istio gateway: image "auto") gets its real ports from the injector, not the render
        return (
            f"targetPort {num} is not among the declared {protocol} containerPorts of the selected pods "
            f"({owners}; declared: {declared}); the pod spec is completed at admission (injection), so it "
            "cannot be judged here",
            Severity.INFO,
            "declare the port (name it) and use the name as targetPort",
        )
    return (
        f"targetPort {num} is not a {protocol} containerPort of the selected pods ({owners}; declared: "
        f"{declared}); traffic reaches nothing unless the process also listens on {num} (an undeclared port "
        "works, so this is not certain)",
        Severity.WARNING,
        "point targetPort at the containerPort (prefer the port's name), or declare the port the process listens on",
    )


def _completed_at_admission(pt: PodTemplate) -> bool:
    """A template an admission webhook completes (Istio's injection templates, image: auto)."""
    if any(c.get("image") == "auto" for c in pt.containers):
        return True
    tpl_md = as_dict(as_dict(as_dict(pt.owner.obj.get("spec")).get("template")).get("metadata"))
    return any(str(k).startswith("inject.istio.io/") for k in as_dict(tpl_md.get("annotations")))
