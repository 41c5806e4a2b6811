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

from chartgen.check.helpers import (
    as_dict,
    as_list,
    containers,
    is_hook,
    pod_spec_field,
    qualified_name_errors,
    strict_int,
)
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


def _limit_items(limit_ranges: list[Document], kind: str = "Container") -> Iterator[tuple[Document, int,
                                                                                         dict[str, Any]]]:
    for lr in limit_ranges:
        for i, item in enumerate(as_list(as_dict(lr.obj.get("spec")).get("limits"))):
            if as_dict(item).get("type") == kind:
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


@rule("CG-LIMIT-001", E, "Container resources or claim storage outside the rendered LimitRange of its namespace",
      "cross",
      why="The LimitRanger admission plugin (plugin/pkg/admission/limitranger) rejects a pod whose container "
          "request is below a Container LimitRange's min, whose limit is above its max, or whose limit/request "
          "ratio exceeds maxLimitRequestRatio (`maximum cpu usage per Container is 1, but limit is 2`), and a "
          "PersistentVolumeClaim whose storage request lies outside a PersistentVolumeClaim LimitRange. Only values "
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
    for pvc in index.kind("PersistentVolumeClaim", ("",)):
        ns = index.namespace_of(pvc)
        res = as_dict(as_dict(pvc.obj.get("spec")).get("resources"))
        for lr, _, item in _limit_items(by_ns.get(ns or "", []), "PersistentVolumeClaim"):
            raw = as_dict(res.get("requests")).get("storage")
            request = _q(raw)
            lo, hi = _q(as_dict(item.get("min")).get("storage")), _q(as_dict(item.get("max")).get("storage"))
            if request is not None and ((lo is not None and request < lo) or (hi is not None and request > hi)):
                bound = "minimum" if lo is not None and request < lo else "maximum"
                limit = as_dict(item.get("min" if bound == "minimum" else "max")).get("storage")
                yield finding("CG-LIMIT-001", pvc, f"{bound} storage usage per PersistentVolumeClaim is {limit}, but "
                              f"request is {raw} (LimitRange {lr.name}); the claim is forbidden",
                              field="spec.resources.requests.storage")


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


def _hpa_floor(index: ManifestIndex) -> dict[tuple[str, str, str | None], int]:
    """(kind, name, namespace) of each autoscaled workload -> its minReplicas (the steady-state floor)."""
    out = {}
    for hpa in index.kind("HorizontalPodAutoscaler", ("autoscaling",)):
        spec = as_dict(hpa.obj.get("spec"))
        ref = as_dict(spec.get("scaleTargetRef"))
        floor = strict_int(spec.get("minReplicas"))
        out[(str(ref.get("kind")), str(ref.get("name")), index.namespace_of(hpa))] = 1 if floor is None else floor
    return out


def _replica_floor(index: ManifestIndex, pt: PodTemplate, floors: dict[tuple[str, str, str | None], int]) -> int:
    """How many pods of this template run at least, in steady state (0 when it cannot be known: DaemonSets depend
    on the nodes, Jobs finish, hooks are transient)."""
    owner = pt.owner
    if is_hook(owner) or owner.kind not in ("Pod", "Deployment", "StatefulSet", "ReplicaSet"):
        return 0
    if owner.kind == "Pod":
        return 1
    floor = floors.get((owner.kind, owner.name, index.namespace_of(owner)))
    if floor is not None:
        return floor
    replicas = strict_int(as_dict(owner.obj.get("spec")).get("replicas"))
    return 1 if replicas is None else max(replicas, 0)


def _namespace_usage(index: ManifestIndex, ns: str) -> dict[str, Decimal]:
    """The least quota usage the rendered objects of a namespace make: pods, compute, claims and their storage."""
    floors = _hpa_floor(index)
    usage: dict[str, Decimal] = {}

    def count(key: str, amount: Decimal) -> None:
        usage[key] = usage.get(key, Decimal(0)) + amount

    for pt in index.pod_templates:
        if index.namespace_of(pt.owner) != ns or not (n := _replica_floor(index, pt, floors)):
            continue
        count("pods", Decimal(n))
        for key, value in _pod_totals(pt).items():
            count(key, value * n)
        for vct in as_list(as_dict(pt.owner.obj.get("spec")).get("volumeClaimTemplates")):
            count("persistentvolumeclaims", Decimal(n))
            requests = as_dict(as_dict(as_dict(as_dict(vct).get("spec")).get("resources")).get("requests"))
            count("requests.storage", (_q(requests.get("storage")) or Decimal(0)) * n)
    for pvc in index.kind("PersistentVolumeClaim", ("",)):
        if index.namespace_of(pvc) == ns:
            count("persistentvolumeclaims", Decimal(1))
            storage = as_dict(as_dict(as_dict(pvc.obj.get("spec")).get("resources")).get("requests")).get("storage")
            count("requests.storage", _q(storage) or Decimal(0))
    return usage


def _one_pod_exceeds(index: ManifestIndex, ns: str, key: str, limit: Decimal) -> bool:
    """Does a single pod exceed the quota already (CG-QUOTA-001 reports that one)?"""
    name = key if "." in key else f"requests.{key}"
    return any((_pod_totals(pt).get(name) or Decimal(0)) > limit
               for pt in index.pod_templates if index.namespace_of(pt.owner) == ns)


@rule("CG-QUOTA-002", E, "The rendered workloads of a namespace together exceed a ResourceQuota rendered there",
      "cross",
      why="ResourceQuota admission counts every pod and claim of the namespace: when the replicas the render "
          "runs at least (spec.replicas, or an autoscaler's minReplicas) need more pods, requests, limits, claims "
          "or storage than spec.hard allows, the pods and claims beyond it are forbidden (`exceeded quota`). "
          "Other objects of the namespace only add usage, so this is certain; DaemonSets, Jobs and hooks are not "
          "counted.",
      fix="raise spec.hard or lower replicas/requests so the namespace's workloads fit the quota",
      example="""apiVersion: v1
kind: ResourceQuota
metadata: {name: pods, namespace: shop}
spec:
  hard: {pods: '2'}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
""")
def namespace_quotas(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for ns, quotas in _in_namespace(index, "ResourceQuota").items():
        usage = None
        for quota in quotas:
            spec = as_dict(quota.obj.get("spec"))
            if spec.get("scopes") or spec.get("scopeSelector"):
                continue  # scoped quotas apply to some pods only
            usage = _namespace_usage(index, ns) if usage is None else usage
            for key, bound in _quota_resources(quota).items():
                name = key.removeprefix("count/") if key in ("count/pods", "count/persistentvolumeclaims") else key
                used = usage.get(name if "." in name or name in ("pods", "persistentvolumeclaims")
                                 else f"requests.{name}")
                limit = _q(bound)
                if used is not None and limit is not None and used > limit and not _one_pod_exceeds(index, ns, key,
                                                                                                      limit):
                    yield finding("CG-QUOTA-002", quota, f"spec.hard.{key}: the rendered workloads of namespace "
                                  f"{ns} need at least {used:f} ({key}) but the quota allows {bound}; the pods or "
                                  "claims beyond it are forbidden", field=f"spec.hard.{key}")


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


def _container_item_defaults(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """SetDefaults_LimitRangeItem for type Container: default from max, defaultRequest from default, then min."""
    sections = {key: dict(as_dict(item.get(key))) for key in ("min", "max", "default", "defaultRequest")}
    if item.get("type") == "Container":
        for name, value in sections["max"].items():
            sections["default"].setdefault(name, value)
        for name, value in sections["default"].items():
            sections["defaultRequest"].setdefault(name, value)
        for name, value in sections["min"].items():
            sections["defaultRequest"].setdefault(name, value)
    return sections


# (lower section, higher section): the lower may not exceed the higher (ValidateLimitRange).
LIMIT_ORDER = (("min", "max"), ("min", "defaultRequest"), ("defaultRequest", "max"), ("defaultRequest", "default"),
               ("min", "default"), ("default", "max"))


def _limit_item_errors(item: dict[str, Any]) -> Iterator[tuple[str, str]]:
    kind = item.get("type")
    if kind == "Pod":
        for key in ("default", "defaultRequest"):
            if as_dict(item.get(key)):
                yield key, "Forbidden: may not be specified when `type` is 'Pod'"
    if kind == "PersistentVolumeClaim" and "storage" not in as_dict(item.get("min")) and \
            "storage" not in as_dict(item.get("max")):
        yield "min", "Required value: either minimum or maximum storage value is required, but neither was provided"
    sections = _container_item_defaults(item)
    for low, high in LIMIT_ORDER:
        for name, raw in sections[low].items():
            lo, hi = _q(raw), _q(sections[high].get(name))
            if lo is not None and hi is not None and lo > hi:
                yield low, f"Invalid value: {name}: {low} value {raw} is greater than {high} value " \
                           f"{sections[high][name]}"
    for name, raw in as_dict(item.get("maxLimitRequestRatio")).items():
        ratio = _q(raw)
        if ratio is not None and ratio < 1:
            yield "maxLimitRequestRatio", f"Invalid value: {name}: ratio {raw} is less than 1"


@rule("CG-LIMIT-002", E, "LimitRange bounds contradict each other (min above max or default, ratio below 1, ...)",
      "api",
      why="ValidateLimitRange (kubernetes pkg/apis/core/validation/validation.go), after the defaults the API server "
          "fills in (a Container item's default from max, defaultRequest from default or min): min <= "
          "defaultRequest <= default <= max per resource, maxLimitRequestRatio >= 1, a Pod item has no defaults, a "
          "PersistentVolumeClaim item bounds storage, and each type appears once.",
      fix="order the bounds min <= defaultRequest <= default <= max for each resource",
      example="""\
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - type: Container
    min: {memory: 1Gi}
    max: {memory: 512Mi}
""")
def limit_range_objects(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("LimitRange", ("",)):
        types: set[str] = set()
        for i, item in enumerate(as_list(as_dict(doc.obj.get("spec")).get("limits"))):
            item, fld = as_dict(item), f"spec.limits[{i}]"
            if str(item.get("type")) in types:
                yield finding("CG-LIMIT-002", doc, f"{fld}.type: Duplicate value: {item.get('type')!r}",
                              field=f"{fld}.type")
            types.add(str(item.get("type")))
            for key, msg in _limit_item_errors(item):
                yield finding("CG-LIMIT-002", doc, f"{fld}.{key}: {msg}", field=f"{fld}.{key}")


STANDARD_QUOTA = frozenset({
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
    "persistentvolumeclaims", "services.nodeports", "services.loadbalancers", "cpu", "memory", "ephemeral-storage",
    "storage", "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage", "limits.cpu",
    "limits.memory", "limits.ephemeral-storage",
})
QUOTA_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                "CrossNamespacePodAffinity", "VolumeAttributesClass")


def _quota_name_error(name: str) -> str | None:
    """ValidateResourceQuotaResourceName: a standard quota resource, huge pages, or a qualified name."""
    if "/" in name:
        errs = qualified_name_errors(name.removeprefix("requests.").removeprefix("limits."))
        return f"must be a qualified name ({errs[0]})" if errs and not name.startswith("count/") else None
    if name in STANDARD_QUOTA or name.startswith(("hugepages-", "requests.hugepages-")):
        return None
    return "must be a standard resource for quota (pods, requests.cpu, limits.memory, count/<resource>, ...)"


@rule("CG-QUOTA-003", E, "ResourceQuota names an unknown resource or scope, or a negative or invalid quantity",
      "api",
      why="ValidateResourceQuota (kubernetes pkg/apis/core/validation/validation.go): spec.hard keys are standard "
          "quota resources (pods, requests.cpu, limits.memory, ...) or qualified names (count/deployments.apps, "
          "requests.nvidia.com/gpu), values non-negative quantities; scopes are Terminating, NotTerminating, "
          "BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity or VolumeAttributesClass.",
      fix="use the documented quota resource names (requests.cpu, not cpu-requests) and quantities like 4 or 8Gi",
      example="""\
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {cpu-requests: '4'}
""")
def resource_quota_objects(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("ResourceQuota", ("",)):
        spec = as_dict(doc.obj.get("spec"))
        for name, raw in as_dict(spec.get("hard")).items():
            fld = f"spec.hard[{name}]"
            if err := _quota_name_error(str(name)):
                yield finding("CG-QUOTA-003", doc, f"{fld}: Invalid value: {name!r}: {err}", field="spec.hard")
            q = _q(raw)
            if q is None or q < 0:
                yield finding("CG-QUOTA-003", doc, f"{fld}: Invalid value: {raw!r}: must be a non-negative quantity",
                              field="spec.hard")
        for i, scope in enumerate(as_list(spec.get("scopes"))):
            if scope not in QUOTA_SCOPES:
                yield finding("CG-QUOTA-003", doc, f"spec.scopes[{i}]: Unsupported value: {scope!r}: supported values: "
                              + ", ".join(f'"{s}"' for s in QUOTA_SCOPES), field=f"spec.scopes[{i}]")
