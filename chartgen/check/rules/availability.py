"""Availability: HorizontalPodAutoscaler targets, PodDisruptionBudget selectors, single-replica workloads
without a budget (profile prod).
"""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import (
    AUTOSCALING,
    POLICY,
    WORKLOAD_SELECTOR_KINDS,
    PodLookup,
    as_dict,
    as_int,
    fmt_labels,
    is_hook,
    owner_text,
    renders_custom_resources,
    runtime_label_near_miss,
    selector_matches,
)
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

LAYER = "cross"


SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


@rule(
    "CG-X-007",
    Severity.ERROR,
    "HorizontalPodAutoscaler scaleTargetRef names no rendered workload",
    LAYER,
    why="An autoscaler whose scaleTargetRef names no workload scales nothing (FailedGetScale).",
    fix="make scaleTargetRef.name the workload's rendered name (same fullname helper)",
    example="""\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-app}
  minReplicas: 2
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
""",
)
def hpa_target(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Built-in scalable kinds are rendered by the chart itself, so a miss is a naming bug (ERROR). Other kinds
    # (Argo Rollout, custom resources with a scale subresource) may be created by an operator: WARNING.
    for hpa in index.kind("HorizontalPodAutoscaler", AUTOSCALING):
        ref = as_dict(as_dict(hpa.obj.get("spec")).get("scaleTargetRef"))
        kind, name = ref.get("kind"), ref.get("name")
        if not kind or not name:
            continue
        if index.get(str(kind), str(name), index.namespace_of(hpa)) is not None:
            continue
        builtin = kind in SCALABLE_KINDS
        yield finding(
            "CG-X-007",
            hpa,
            f"HorizontalPodAutoscaler {hpa.name}: scaleTargetRef {kind}/{name} is not in the rendered "
            "manifests; the autoscaler scales nothing (FailedGetScale)",
            hint="make scaleTargetRef.name the workload's rendered name (same fullname helper)"
            + ("" if builtin else "; if the target is created by an operator, suppress this warning"),
            field="spec.scaleTargetRef",
            severity=Severity.ERROR if builtin else Severity.WARNING,
        )


@rule(
    "CG-X-008",
    Severity.WARNING,
    "PodDisruptionBudget selects no pods",
    LAYER,
    why=(
        "A PodDisruptionBudget that selects none of the chart's pods protects nothing: drains take the "
        "workload down. The API server accepts it and it breaks no traffic (a budget left behind when its "
        "workload is scaled out of the render is harmless), so it is a warning, never an error."
    ),
    fix="use the workload's selector labels in spec.selector",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: webb}}
""",
)
def pdb_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Always a WARNING: the API server accepts a budget that selects nothing and it blocks nothing. The message
    # says when it is most likely a label bug (the chart's own pods are in the namespace and no custom resource
    # could make the intended ones); charts legitimately ship PDBs for pods an operator creates, for pods of
    # another release, or for a workload the values scaled out of the render.
    pods = PodLookup.of(index)
    for pdb in index.kind("PodDisruptionBudget", POLICY):
        spec = as_dict(pdb.obj.get("spec"))
        sel = spec.get("selector")
        if sel is None:
            yield finding(
                "CG-X-008",
                pdb,
                f"PodDisruptionBudget {pdb.name}: no spec.selector, so it selects no pods",
                hint="set spec.selector.matchLabels to the workload's selector labels",
                field="spec.selector",
                severity=Severity.WARNING,
            )
            continue
        ns = index.namespace_of(pdb)
        if pods.select_label_selector(sel, ns):
            continue
        own = [pt for pt in pods.select({}, ns) if pt.owner.kind in WORKLOAD_SELECTOR_KINDS]
        certain = bool(own) and not renders_custom_resources(index)
        near = runtime_label_near_miss(pods, as_dict(as_dict(sel).get("matchLabels")), ns)
        yield finding(
            "CG-X-008",
            pdb,
            f"PodDisruptionBudget {pdb.name}: selector {fmt_labels(as_dict(as_dict(sel).get('matchLabels')))} "
            "matches no pod template in the rendered manifests; it protects nothing"
            + (
                f" unless something labels {owner_text(near[0])}'s pods with {', '.join(near[1])} at runtime"
                if near is not None
                else ""
            )
            + (
                f" (the chart's pods: {', '.join(owner_text(pt) for pt in own)} carry {fmt_labels(own[0].labels)})"
                if certain
                else ""
            ),
            hint="use the workload's selector labels in spec.selector (if the pods come from an operator or another "
            "release, suppress this finding)",
            field="spec.selector",
        )


@rule(
    "CG-P-010",
    Severity.WARNING,
    "Single-replica workload without a PodDisruptionBudget (profile prod)",
    "posture",  # promoted to an error under --profile prod like the other posture rules
    why="Under --profile prod a single replica without a PodDisruptionBudget means every node drain is an outage.",
    fix="run >= 2 replicas (or an HPA with minReplicas >= 2) and render a PodDisruptionBudget (maxUnavailable: 1)",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
""",
)
def single_replica(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    if opts.profile != "prod":
        return
    pods = PodLookup.of(index)
    hpa_min: dict[tuple[str, str], int] = {}
    for hpa in index.kind("HorizontalPodAutoscaler", AUTOSCALING):
        spec = as_dict(hpa.obj.get("spec"))
        ref = as_dict(spec.get("scaleTargetRef"))
        hpa_min[(str(ref.get("kind")), str(ref.get("name")))] = as_int(spec.get("minReplicas")) or 1
    pdbs = [(p, index.namespace_of(p)) for p in index.kind("PodDisruptionBudget", POLICY)]
    for kind in ("Deployment", "StatefulSet"):
        for doc in index.kind(kind):
            if is_hook(doc):
                continue
            spec = as_dict(doc.obj.get("spec"))
            replicas = hpa_min.get((kind, doc.name))
            if replicas is None:
                replicas = as_int(spec.get("replicas"))
                replicas = 1 if replicas is None else replicas
            if replicas != 1:
                continue  # 0 is a deliberate scale-down
            pt = pods.template_of(doc)
            if pt is None:
                continue
            ns = index.namespace_of(doc)
            covered = any(
                ManifestIndex._same_ns(pns, ns)
                and as_dict(p.obj.get("spec")).get("selector") is not None
                and selector_matches(as_dict(p.obj.get("spec")).get("selector"), pt.labels)
                for p, pns in pdbs
            )
            if covered:
                continue
            yield finding(
                "CG-P-010",
                doc,
                f"{kind} {doc.name}: a single replica and no PodDisruptionBudget; every node drain or "
                "eviction is an outage",
                hint="in the prod profile run >= 2 replicas (or an HPA with minReplicas >= 2) and render a "
                "PodDisruptionBudget (maxUnavailable: 1)",
                field="spec.replicas",
            )
