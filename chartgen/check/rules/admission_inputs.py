"""Admission plugins whose inputs can be in the render: LimitRanger (CG-LIMIT-001) and ResourceQuota (CG-QUOTA-001)
against the pods of the same namespace, Priority against PriorityClass names (CG-PRIO-002), and the PriorityClass
object itself (pkg/apis/scheduling/validation, CG-PRIO-001).

Certainty: only values the pod template writes itself are judged against the rendered LimitRange/ResourceQuota
(other LimitRanges and quotas in the cluster only add constraints, so an explicit violation is certain; a value
defaulted by a LimitRange the render may not show is not judged). A missing request under a quota may be filled
by a LimitRange outside the render (warning). A priorityClassName is an error only when no such class can exist
(the reserved system- prefix); a name missing from a render that defines other classes is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from chartgen.check.helpers import as_dict, as_list, containers, pod_spec_field, strict_int
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.quantity import parse_quantity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
HIGHEST_USER_PRIORITY = 1000000000
COMPUTE = ("cpu", "memory", "ephemeral-storage")


def _q(value: Any) -> Decimal | None:
    return parse_quantity(value) if value is not None else None


def _in_namespace(index: ManifestIndex, kind: str) -> dict[str, list[Document]]:
    out: dict[str, list[Document]] = {}
    for doc in index.kind(kind, ("",)):
        ns = index.namespace_of(doc)
        if ns:
            out.setdefault(ns, []).append(doc)
    return out


def _limit_items(limit_ranges: list[Document]) -> Iterator[tuple[Document, int, dict[str, Any]]]:
    for lr in limit_ranges:
        for i, item in enumerate(as_list(as_dict(lr.obj.get("spec")).get("limits"))):
            if as_dict(item).get("type") == "Container":
                yield lr, i, as_dict(item)


def _limit_violations(res: dict[str, Any], item: dict[str, Any]) -> Iterator[str]:
    requests, limits = as_dict(res.get("requests")), as_dict(res.get("limits"))
    for name, bound in as_dict(item.get("min")).items():
        raw = requests.get(name, limits.get(name))  # a request defaults to its limit
        req, lo = _q(raw), _q(bound)
        if req is not None and lo is not None and req < lo:
            yield f"minimum {name} usage per Container is {bound}, but request is {raw}"
    for name, bound in as_dict(item.get("max")).items():
        lim, hi = _q(limits.get(name)), _q(bound)
        if lim is not None and hi is not None and lim > hi:
            yield f"maximum {name} usage per Container is {bound}, but limit is {limits.get(name)}"
    for name, ratio in as_dict(item.get("maxLimitRequestRatio")).items():
        lim, req, r = _q(limits.get(name)), _q(requests.get(name)), _q(ratio)
        if lim is not None and req and r is not None and lim / req > r:
            yield f"{name} max limit to request ratio per Container is {ratio}, but provided ratio is {lim / req:.6g}"


@rule("CG-LIMIT-001", E, "Container resources outside the rendered LimitRange of its namespace (min, max, ratio)",
      "cross",
      why="The LimitRanger admission plugin (plugin/pkg/admission/limitranger) rejects a pod whose container "
          "request is below a Container LimitRange's min, whose limit is above its max, or whose limit/request "
          "ratio exceeds maxLimitRequestRatio (`maximum cpu usage per Container is 1, but limit is 2`). Only values "
          "the template writes itself are judged; a workload is accepted but its pods are forbidden.",
      fix="keep the container's requests and limits within the LimitRange, or change the LimitRange",
      example="""\
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: shop}
spec:
  limits:
  - type: Container
    max: {cpu: '1'}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources: {limits: {cpu: '2'}}
""")
def limit_ranges(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    by_ns = _in_namespace(index, "LimitRange")
    if not by_ns:
        return
    for pt in index.pod_templates:
        ns = index.namespace_of(pt.owner)
        if not ns or ns not in by_ns:
            continue
        for c in containers(pt, ("initContainers", "containers")):
            res = as_dict(c.obj.get("resources"))
            for lr, _, item in _limit_items(by_ns[ns]):
                for why in _limit_violations(res, item):
                    yield finding("CG-LIMIT-001", pt.owner, f"{c.what}: {why} (LimitRange {lr.name}); pods are "
                                  "forbidden", field=f"{c.path}.resources")


def _quota_resources(quota: Document) -> dict[str, Any]:
    return {str(k): v for k, v in as_dict(as_dict(quota.obj.get("spec")).get("hard")).items()}


def _pod_totals(pt: PodTemplate) -> dict[str, Decimal]:
    """requests.<r> and limits.<r> of the pod as the quota counts them (regular containers summed)."""
    totals: dict[str, Decimal] = {}
    for c in containers(pt, ("containers",)):
        res = as_dict(c.obj.get("resources"))
        # a request defaults to its limit
        requests = {**as_dict(res.get("limits")), **as_dict(res.get("requests"))}
        for section, values in (("requests", requests), ("limits", as_dict(res.get("limits")))):
            for name, value in values.items():
                q = _q(value)
                if q is not None:
                    totals[f"{section}.{name}"] = totals.get(f"{section}.{name}", Decimal(0)) + q
    return totals


def _missing_for_quota(pt: PodTemplate, hard: dict[str, Any]) -> list[str]:
    missing = []
    for key in hard:
        section, _, name = key.rpartition(".")
        if name not in COMPUTE or section not in ("requests", "limits", ""):
            continue
        section = section or "requests"
        for c in containers(pt, ("containers",)):
            res = as_dict(c.obj.get("resources"))
            values = as_dict(res.get(section))
            if name not in values and not (section == "requests" and name in as_dict(res.get("limits"))):
                missing.append(f"{section}.{name} ({c.what})")
    return missing


@rule("CG-QUOTA-001", E, "Pod exceeds, or sets no value for, a ResourceQuota rendered in its namespace", "cross",
      why="The ResourceQuota admission plugin rejects a pod whose requests or limits alone exceed a quota's "
          "spec.hard (`exceeded quota`: certain, other pods only add usage), and a pod that does not set a "
          "compute resource the quota tracks (`must specify requests.cpu`) unless a LimitRange fills it in; the "
          "render may not show every LimitRange, so the second is a warning.",
      fix="set requests/limits for every resource the quota tracks and keep one pod within spec.hard",
      example="""\
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: shop}
spec:
  hard: {requests.memory: 1Gi}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources: {requests: {memory: 2Gi}}
""")
def resource_quotas(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    by_ns = _in_namespace(index, "ResourceQuota")
    if not by_ns:
        return
    defaulted = set(_in_namespace(index, "LimitRange"))
    for pt in index.pod_templates:
        ns = index.namespace_of(pt.owner)
        if not ns or ns not in by_ns:
            continue
        totals = _pod_totals(pt)
        for quota in by_ns[ns]:
            if as_dict(quota.obj.get("spec")).get("scopes") or as_dict(quota.obj.get("spec")).get("scopeSelector"):
                continue  # scoped quotas apply to some pods only
            hard = _quota_resources(quota)
            for key, bound in hard.items():
                used = totals.get(key if "." in key else f"requests.{key}")
                limit = _q(bound)
                if used is not None and limit is not None and used > limit:
                    yield finding("CG-QUOTA-001", pt.owner, f"exceeded quota: {quota.name}, requested: {key}={used}, "
                                  f"limited: {key}={bound}; the pod alone exceeds it and is forbidden",
                                  field=f"{pod_spec_field(pt)}.containers")
            missing = _missing_for_quota(pt, hard)
            if missing and ns not in defaulted:
                yield finding("CG-QUOTA-001", pt.owner, f"failed quota: {quota.name}: must specify "
                              f"{', '.join(missing[:4])}; forbidden unless a LimitRange outside the render sets "
                              "defaults", field=f"{pod_spec_field(pt)}.containers", severity=W)


@rule("CG-PRIO-001", E, "PriorityClass uses the reserved system- prefix or a value above 1000000000", "api",
      why="ValidatePriorityClass (kubernetes pkg/apis/scheduling/validation): names starting with system- are "
          "reserved for the built-in classes, and a user-defined class's value may not exceed 1000000000.",
      fix="drop the system- prefix and keep value at or below 1000000000",
      example="""\
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: critical-web}
value: 2000000000
""")
def priority_classes(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("PriorityClass", ("scheduling.k8s.io",)):
        if doc.name.startswith("system-"):
            yield finding("CG-PRIO-001", doc, f"metadata.name: Invalid value: {doc.name!r}: priority class names "
                          "with 'system-' prefix are reserved", field="metadata.name")
            continue
        value = strict_int(doc.obj.get("value"))
        if value is not None and value > HIGHEST_USER_PRIORITY:
            yield finding("CG-PRIO-001", doc, f"value: Forbidden: maximum allowed value of a user defined priority "
                          f"is {HIGHEST_USER_PRIORITY}", field="value")


@rule("CG-PRIO-002", E, "Pod priorityClassName names no PriorityClass that can exist, or spec.priority disagrees",
      "cross",
      why="The Priority admission plugin rejects a pod whose priorityClassName is not found (`no PriorityClass "
          "with name X was found`) and a pod whose spec.priority differs from its class's value. Certain only when "
          "the class cannot exist (a system- name other than the two built-ins) or is rendered with another "
          "value; a name missing from a render that defines other classes is a warning (it may be cluster-wide).",
      fix="use a rendered PriorityClass (same name helper), system-cluster-critical or system-node-critical, and "
          "leave spec.priority unset",
      example="""\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  priorityClassName: system-critical
  containers: [{name: web, image: nginx:1.27}]
""")
def priority_class_refs(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    classes = {d.name: d for d in index.kind("PriorityClass", ("scheduling.k8s.io",))}
    for pt in index.pod_templates:
        spec = as_dict(pt.spec)
        name = spec.get("priorityClassName")
        if not isinstance(name, str) or not name:
            continue
        fld = f"{pod_spec_field(pt)}.priorityClassName"
        if name in SYSTEM_PRIORITY_CLASSES:
            value: int | None = SYSTEM_PRIORITY_CLASSES[name]
        elif name.startswith("system-"):
            yield finding("CG-PRIO-002", pt.owner, f"{fld}: no PriorityClass with name {name} can exist (the system- "
                          "prefix is reserved for system-cluster-critical and system-node-critical); pods are "
                          "forbidden", field=fld)
            continue
        elif name in classes:
            value = strict_int(classes[name].obj.get("value"))
        else:
            if classes:
                yield finding("CG-PRIO-002", pt.owner, f"{fld}: PriorityClass {name!r} is not in the rendered "
                              f"manifests (they define {', '.join(sorted(classes))}); pods are forbidden unless it "
                              "exists in the cluster", field=fld, severity=W)
            continue
        priority = strict_int(spec.get("priority"))
        if priority is not None and value is not None and priority != value:
            yield finding("CG-PRIO-002", pt.owner, f"{pod_spec_field(pt)}.priority: the integer value of priority "
                          f"({priority}) must not be provided in pod spec; the PriorityClass {name} gives {value}",
                          field=f"{pod_spec_field(pt)}.priority")
