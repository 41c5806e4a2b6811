"""HorizontalPodAutoscalers: what kubernetes pkg/apis/autoscaling/validation/validation.go rejects (layer "api"),
and autoscalers that are accepted but cannot work against the rendered workload (layer "cross")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import PodLookup, as_dict, as_list, containers, path_segment_errors, spec_of, strict_int
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.quantity import parse_quantity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "kubernetes pkg/apis/autoscaling/validation/validation.go"
METRIC_SOURCES = {"Object": "object", "Pods": "pods", "Resource": "resource",
                  "ContainerResource": "containerResource", "External": "external"}
TARGET_TYPES = ("Utilization", "Value", "AverageValue")
MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_WINDOW = 3600


def _hpas(index: ManifestIndex) -> Iterator[Document]:
    for doc in index.kind("HorizontalPodAutoscaler"):
        if doc.api_version.startswith("autoscaling/"):
            yield doc


@rule("CG-HPA-001", E, "HorizontalPodAutoscaler replicas, metrics or behavior invalid", "api",
      why=f"ValidateHorizontalPodAutoscalerSpec ({SRC}): minReplicas >= 1, maxReplicas >= 1 and >= minReplicas; "
          "each metric populates exactly the source its type names; resource metrics name the resource and set "
          "averageUtilization (> 0) or averageValue, pods metrics a metric name and averageValue, object metrics a "
          "describedObject kind/name, a metric name and value or averageValue, external metrics exactly one of "
          "value and averageValue; values are positive. An object metric whose target type does not name the "
          "value it sets is accepted but never computed by the controller (warning). "
          "behavior policies are Pods/Percent with value > 0 and periodSeconds 1-1800, stabilization 0-3600.",
      fix="set minReplicas <= maxReplicas, and metrics like {type: Resource, resource: {name: cpu, target: "
          "{type: Utilization, averageUtilization: 70}}}",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 5
  maxReplicas: 3
""")
def hpa_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _hpas(index):
        spec = spec_of(doc)
        lo, hi = strict_int(spec.get("minReplicas")), strict_int(spec.get("maxReplicas"))
        if lo is not None and lo < 1:
            yield finding("CG-HPA-001", doc, f"spec.minReplicas: Invalid value: {lo}: must be greater than or equal "
                          "to 1 (0 needs the alpha HPAScaleToZero feature gate)", field="spec.minReplicas")
        if hi is not None and hi < 1:
            yield finding("CG-HPA-001", doc, f"spec.maxReplicas: Invalid value: {hi}: must be greater than 0",
                          field="spec.maxReplicas")
        elif hi is not None and hi < (lo if lo is not None else 1):
            yield finding("CG-HPA-001", doc, f"spec.maxReplicas: Invalid value: {hi}: must be greater than or equal "
                          f"to `minReplicas` ({lo if lo is not None else 1})", field="spec.maxReplicas")
        cpu = strict_int(spec.get("targetCPUUtilizationPercentage"))
        if cpu is not None and cpu < 1:
            yield finding("CG-HPA-001", doc, f"spec.targetCPUUtilizationPercentage: Invalid value: {cpu}: must be "
                          "greater than or equal to 1", field="spec.targetCPUUtilizationPercentage")
        for i, m in enumerate(as_list(spec.get("metrics"))):
            yield from _metric(doc, f"spec.metrics[{i}]", as_dict(m))
        behavior = as_dict(spec.get("behavior"))
        for direction in ("scaleUp", "scaleDown"):
            rules = behavior.get(direction)
            if isinstance(rules, dict):
                yield from _scaling_rules(doc, f"spec.behavior.{direction}", rules)


def _metric(doc: Document, fld: str, m: dict[str, Any]) -> Iterator[Finding]:
    mtype = m.get("type")
    if not isinstance(mtype, str) or mtype not in METRIC_SOURCES:
        yield finding("CG-HPA-001", doc, f"{fld}.type: Unsupported value: {mtype!r}: supported values: "
                      + ", ".join(f'"{t}"' for t in METRIC_SOURCES), field=f"{fld}.type")
        return
    key = METRIC_SOURCES[str(mtype)]
    others = [k for k in METRIC_SOURCES.values() if k != key and m.get(k) is not None]
    if m.get(key) is None:
        yield finding("CG-HPA-001", doc, f"{fld}.{key}: Required value: must populate information for the given "
                      f"metric source (type {mtype})", field=f"{fld}.{key}")
        return
    if others:
        yield finding("CG-HPA-001", doc, f"{fld}.{others[0]}: Forbidden: must populate the given metric source only "
                      f"(type {mtype})", field=f"{fld}.{others[0]}")
    source = as_dict(m.get(key))
    if source.get("target") is None:
        return  # autoscaling/v2beta1-style fields or a schema error
    sfld = f"{fld}.{key}"
    for suffix, msg in _source_errors(key, source):
        yield finding("CG-HPA-001", doc, f"{sfld}.{suffix}: {msg}", field=f"{sfld}.{suffix}")
    yield from _target_reads(doc, sfld, key, as_dict(source.get("target")))


def _source_errors(key: str, source: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """validateResourceSource / validateContainerResourceSource / validatePodsSource / validateObjectSource /
    validateExternalSource and validateMetricTarget: what the API server rejects, per metric source."""
    target = as_dict(source.get("target"))
    ttype = target.get("type")
    if ttype not in TARGET_TYPES:
        yield "target.type", f"Invalid value: {ttype!r}: must be either Utilization, Value, or AverageValue"
    for name in ("value", "averageValue"):
        q = parse_quantity(target[name]) if target.get(name) is not None else None
        if q is not None and q <= 0:
            yield f"target.{name}", f"Invalid value: {target[name]!r}: must be positive"
    util = strict_int(target.get("averageUtilization"))
    if util is not None and util < 1:
        yield "target.averageUtilization", f"Invalid value: {util}: must be greater than 0"
    has = {k for k in ("value", "averageValue", "averageUtilization") if target.get(k) is not None}
    if key in ("resource", "containerResource"):
        if not source.get("name"):
            yield "name", "Required value: must specify a resource name"
        if key == "containerResource" and not source.get("container"):
            yield "container", "Required value: must specify a container"
        if not has & {"averageUtilization", "averageValue"}:
            yield "target.averageUtilization", "Required value: must set either a target raw value or a target " \
                "utilization"
        elif {"averageUtilization", "averageValue"} <= has:
            yield "target.averageValue", "Forbidden: may not set both a target raw value and a target utilization"
        return
    yield from _metric_identifier(as_dict(source.get("metric")))
    if key == "pods" and "averageValue" not in has:
        yield "target.averageValue", "Required value: must specify a positive target averageValue"
    if key == "object":
        ref = as_dict(source.get("describedObject"))
        for part in ("kind", "name"):
            if not ref.get(part):
                yield f"describedObject.{part}", "Required value"
            elif errs := path_segment_errors(str(ref[part])):
                yield f"describedObject.{part}", f"Invalid value: {ref[part]!r}: {errs[0]}"
    if key in ("object", "external") and not has & {"value", "averageValue"}:
        yield "target.averageValue", "Required value: must set either a target value or averageValue"
    if key == "external" and {"value", "averageValue"} <= has:
        yield "target.value", "Forbidden: may not set both a target value for metric and a per-pod target"


def _metric_identifier(metric: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """validateMetricIdentifier: a metric name is required and a valid path segment name."""
    name = metric.get("name")
    if not name:
        yield "metric.name", "Required value: must specify a metric name"
    elif errs := path_segment_errors(str(name)):
        yield "metric.name", f"Invalid value: {name!r}: {errs[0]}"


def _target_reads(doc: Document, sfld: str, key: str, target: dict[str, Any]) -> Iterator[Finding]:
    """Accepted by the API server, but the HPA controller (computeStatusForObjectMetric) reads an object metric's
    value for type Value and averageValue for type AverageValue, and fails the metric otherwise."""
    ttype = target.get("type")
    value_key = {"Value": "value", "AverageValue": "averageValue"}.get(str(ttype))
    accepted = target.get("value") is not None or target.get("averageValue") is not None
    reads_its_value = value_key is not None and target.get(value_key) is not None
    if key != "object" or ttype not in TARGET_TYPES or not accepted or reads_its_value:
        return
    what = f"{value_key} is not set" if value_key else "object metrics take only Value or AverageValue targets"
    yield finding("CG-HPA-001", doc, f"{sfld}.target.type: {ttype}: {what}; the HPA controller reports `invalid "
                  "object metric source` and never computes this metric (the API server accepts it)",
                  field=f"{sfld}.target.type", severity=W)


def _scaling_rules(doc: Document, fld: str, rules: dict[str, Any]) -> Iterator[Finding]:
    window = strict_int(rules.get("stabilizationWindowSeconds"))
    if window is not None and not 0 <= window <= MAX_STABILIZATION_WINDOW:
        yield finding("CG-HPA-001", doc, f"{fld}.stabilizationWindowSeconds: Invalid value: {window}: must be between "
                      f"0 and {MAX_STABILIZATION_WINDOW}", field=f"{fld}.stabilizationWindowSeconds")
    select = rules.get("selectPolicy")
    if select is not None and select not in ("Max", "Min", "Disabled"):
        yield finding("CG-HPA-001", doc, f"{fld}.selectPolicy: Unsupported value: {select!r}: supported values: "
                      "\"Disabled\", \"Max\", \"Min\"", field=f"{fld}.selectPolicy")
    policies = rules.get("policies")
    if policies is not None and not as_list(policies) and select != "Disabled":
        yield finding("CG-HPA-001", doc, f"{fld}.policies: Required value: must specify at least one Policy",
                      field=f"{fld}.policies")
    for i, p in enumerate(as_list(policies)):
        p = as_dict(p)
        pfld = f"{fld}.policies[{i}]"
        if p.get("type") not in ("Pods", "Percent"):
            yield finding("CG-HPA-001", doc, f"{pfld}.type: Unsupported value: {p.get('type')!r}: supported values: "
                          "\"Percent\", \"Pods\"", field=f"{pfld}.type")
        value = strict_int(p.get("value"))
        if value is not None and value <= 0:
            yield finding("CG-HPA-001", doc, f"{pfld}.value: Invalid value: {value}: must be greater than zero",
                          field=f"{pfld}.value")
        period = strict_int(p.get("periodSeconds"))
        if period is not None and not 0 < period <= MAX_PERIOD_SECONDS:
            yield finding("CG-HPA-001", doc, f"{pfld}.periodSeconds: Invalid value: {period}: must be between 1 and "
                          f"{MAX_PERIOD_SECONDS}", field=f"{pfld}.periodSeconds")


def hpa_target(index: ManifestIndex, hpa: Document) -> Document | None:
    ref = as_dict(spec_of(hpa).get("scaleTargetRef"))
    kind, name = ref.get("kind"), ref.get("name")
    if not kind or not name:
        return None
    return index.get(str(kind), str(name), index.namespace_of(hpa))


def _template(index: ManifestIndex, owner: Document) -> PodTemplate | None:
    return PodLookup.of(index).template_of(owner)


def _target_template(index: ManifestIndex, hpa: Document) -> tuple[Document, PodTemplate] | None:
    """The rendered workload an autoscaler scales and its pod template, when both are in the render."""
    workload = hpa_target(index, hpa)
    pt = _template(index, workload) if workload is not None else None
    return (workload, pt) if workload is not None and pt is not None else None


def _utilization_resources(hpa: Document) -> list[tuple[str, str, str | None]]:
    """(resource name, field, container or None) of every Utilization target of the HPA."""
    spec = spec_of(hpa)
    out: list[tuple[str, str, str | None]] = []
    if strict_int(spec.get("targetCPUUtilizationPercentage")) is not None:
        out.append(("cpu", "spec.targetCPUUtilizationPercentage", None))
    for i, m in enumerate(as_list(spec.get("metrics"))):
        m = as_dict(m)
        for key in ("resource", "containerResource"):
            src = as_dict(m.get(key))
            if as_dict(src.get("target")).get("type") == "Utilization" or src.get("targetAverageUtilization"):
                out.append((str(src.get("name")), f"spec.metrics[{i}].{key}",
                            str(src.get("container")) if key == "containerResource" else None))
    return out


@rule("CG-HPA-002", W, "Autoscaler on CPU/memory utilisation while target containers request none", "cross",
      why="Utilisation is usage divided by the request: the HPA controller cannot compute it when a container of "
          "the target pods has no request for that resource (FailedGetResourceMetric / `missing request for cpu`), "
          "so the autoscaler never scales. Certain unless a LimitRange in the namespace defaults the request.",
      fix="set resources.requests.<cpu|memory> on every container of the scaled workload, or scale on "
          "AverageValue instead",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
""")
def utilization_without_requests(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for hpa in _hpas(index):
        targets = _utilization_resources(hpa)
        if not targets:
            continue
        found = _target_template(index, hpa)
        if found is None:
            continue
        workload, pt = found
        for resource, fld, only in targets:
            missing = []
            for c in containers(pt, ("containers",)):
                if only is not None and c.name != only:
                    continue
                res = as_dict(c.obj.get("resources"))
                # the API server defaults a missing request to the limit
                if resource not in as_dict(res.get("requests")) and resource not in as_dict(res.get("limits")):
                    missing.append(c.name)
            if missing:
                yield finding("CG-HPA-002", hpa, f"{fld} scales on {resource} utilisation, but container(s) "
                              f"{', '.join(missing)} of {workload.kind} {workload.name} request no {resource}; the "
                              "HPA cannot compute utilisation and never scales", field=fld)


@rule("CG-HPA-003", W, "Workload sets spec.replicas while an autoscaler scales it", "cross",
      why="Every `helm upgrade` (or kubectl apply) resets spec.replicas to the rendered value, undoing the "
          "autoscaler's decision until it scales again: replicas jump on each deploy.",
      fix="omit spec.replicas from the workload when the HPA is enabled (`{{- if not .Values.autoscaling.enabled }}`)",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources: {requests: {cpu: 100m}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
""")
def replicas_and_hpa(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for hpa in _hpas(index):
        workload = hpa_target(index, hpa)
        if workload is None or "replicas" not in spec_of(workload):
            continue
        yield finding("CG-HPA-003", workload, f"spec.replicas is {spec_of(workload).get('replicas')!r} but "
                      f"HorizontalPodAutoscaler {hpa.name} scales this {workload.kind}; each upgrade resets the "
                      "replica count", field="spec.replicas")


# Built-in kinds with a scale subresource; any other built-in kind can never be scaled by an HPA.
SCALABLE_BUILTIN = frozenset({("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "ReplicaSet"),
                              ("", "ReplicationController")})
BUILTIN_TARGET_GROUPS = frozenset({"", "apps", "batch", "policy", "networking.k8s.io", "autoscaling"})


@rule("CG-HPA-004", E, "Autoscaler targets a kind without a scale subresource, or a container its target lacks",
      "cross",
      why="The HPA controller reads and writes the target's scale subresource: a DaemonSet, Job, CronJob or Pod "
          "has none (`the server could not find the requested resource`), so the autoscaler never acts. A "
          "ContainerResource metric names a container of the target's pods: when the rendered target has no such "
          "container the metric can never be computed (FailedGetContainerResourceMetric).",
      fix="point scaleTargetRef at a Deployment, StatefulSet or ReplicaSet, and name an existing container in "
          "containerResource.container",
      example="""\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox:1.36, resources: {requests: {cpu: 100m}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: agent}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: DaemonSet, name: agent}
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
""")
def unscalable_targets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for hpa in _hpas(index):
        ref = as_dict(spec_of(hpa).get("scaleTargetRef"))
        kind, api_version = str(ref.get("kind", "")), str(ref.get("apiVersion", ""))
        group = api_version.split("/")[0] if "/" in api_version else ""
        if kind and group in BUILTIN_TARGET_GROUPS and (group, kind) not in SCALABLE_BUILTIN:
            yield finding("CG-HPA-004", hpa, f"spec.scaleTargetRef: {kind} ({api_version or 'v1'}) has no scale "
                          "subresource; the autoscaler can never scale it", field="spec.scaleTargetRef.kind")
            continue
        found = _target_template(index, hpa)
        if found is None:
            continue
        workload, pt = found
        names = {c.name for c in containers(pt, ("containers",))}
        for i, m in enumerate(as_list(spec_of(hpa).get("metrics"))):
            container = as_dict(as_dict(m).get("containerResource")).get("container")
            if isinstance(container, str) and container and container not in names:
                fld = f"spec.metrics[{i}].containerResource.container"
                yield finding("CG-HPA-004", hpa, f"{fld}: {workload.kind} {workload.name} has no container "
                              f"{container!r} (containers: {', '.join(sorted(names))}); the metric can never be "
                              "computed", field=fld)
