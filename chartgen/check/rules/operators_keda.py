"""KEDA: what its admission webhook rejects of a ScaledObject or ScaledJob (apis/keda/v1alpha1:
scaledobject_webhook.go, scaledobject_types.go, scaletriggers_types.go), one scaler owner per target (not two
ScaledObjects, not a ScaledObject and an HPA), and the references a scaler makes (scale target,
TriggerAuthentications and the Secret keys they read) - CG-KEDA-*."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    AUTOSCALING,
    PodLookup,
    as_dict,
    as_list,
    containers,
    renders_kind_in,
    spec_of,
    strict_int,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity, api_group_of
from chartgen.check.operators import KEDA, missing_text, resolve, secret_keys, writers_of
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "kedacore/keda apis/keda/v1alpha1/scaledobject_webhook.go"
DEFAULT_MAX_REPLICAS = 100  # defaultHPAMaxReplicas
MAX_LABEL_VALUE = 63
HPA_OWNERSHIP = "validations.keda.sh/hpa-ownership"
TRANSFER_OWNERSHIP = "scaledobject.keda.sh/transfer-hpa-ownership"
NO_CACHED_METRICS = ("cpu", "memory", "cron")


def _scaled_objects(index: ManifestIndex) -> list[Document]:
    return index.kind("ScaledObject", KEDA)


def hpa_name(so: Document) -> str:
    """The HPA KEDA creates for a ScaledObject: advanced.horizontalPodAutoscalerConfig.name or keda-hpa-<name>."""
    name = as_dict(as_dict(spec_of(so).get("advanced")).get("horizontalPodAutoscalerConfig")).get("name")
    return name if isinstance(name, str) and name else f"keda-hpa-{so.name}"


@rule("CG-KEDA-001", E, "ScaledObject/ScaledJob rejected by KEDA's webhook (replica bounds, triggers, fallback, name)",
      "api",
      why=f"The ScaledObject webhook ({SRC}) refuses minReplicaCount above maxReplicaCount (default 100), an "
          "idleReplicaCount not below minReplicaCount, a negative fallback, a name (or its HPA's name, "
          "keda-hpa-<name>) over 63 characters; for ScaledObjects and ScaledJobs, two triggers of one name "
          "and useCachedMetrics on cpu, memory or cron triggers (ValidateTriggers).",
      fix="keep idleReplicaCount < minReplicaCount <= maxReplicaCount and give each trigger its own name",
      example="""\
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker}
spec:
  scaleTargetRef: {name: worker}
  minReplicaCount: 5
  maxReplicaCount: 2
  triggers:
  - type: cron
    metadata: {timezone: UTC, start: 0 8 * * *, end: 0 18 * * *, desiredReplicas: "3"}
""")
def scaled_object_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _scaled_objects(index):
        for fld, message in _bounds_errors(doc):
            yield finding("CG-KEDA-001", doc, f"{fld}: {message}", field=fld)
    for doc in [*_scaled_objects(index), *index.kind("ScaledJob", KEDA)]:
        for fld, message in _trigger_errors(spec_of(doc)):
            yield finding("CG-KEDA-001", doc, f"{fld}: {message}", field=fld)


def _bounds_errors(doc: Document) -> Iterator[tuple[str, str]]:
    spec = spec_of(doc)
    lo, hi = strict_int(spec.get("minReplicaCount")), strict_int(spec.get("maxReplicaCount"))
    idle = strict_int(spec.get("idleReplicaCount"))
    low = lo if lo is not None else 0
    high = hi if hi is not None else DEFAULT_MAX_REPLICAS
    if low > high:
        yield "spec.minReplicaCount", f"Invalid value: MinReplicaCount={low} must be less than MaxReplicaCount={high}"
    elif idle is not None and idle >= low:
        yield "spec.idleReplicaCount", f"Invalid value: IdleReplicaCount={idle} must be less than MinReplicaCount={low}"
    fallback = spec.get("fallback")
    if isinstance(fallback, dict):
        for key in ("failureThreshold", "replicas"):
            value = strict_int(fallback.get(key))
            if value is not None and value < 0:
                yield f"spec.fallback.{key}", f"Invalid value: {value}: must not be negative"
    if len(doc.name) > MAX_LABEL_VALUE:
        yield "metadata.name", (f"Too long: scaledobject name is {len(doc.name)} characters; must be no more than "
                                f"{MAX_LABEL_VALUE} (it is the scaledobject.keda.sh/name label value)")
    elif len(hpa_name(doc)) > MAX_LABEL_VALUE:
        yield "metadata.name", (f"Too long: HPA name {hpa_name(doc)!r} derived from the scaledobject is over "
                                f"{MAX_LABEL_VALUE} characters; set spec.advanced.horizontalPodAutoscalerConfig.name")


def _trigger_errors(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    seen: set[str] = set()
    for i, t in enumerate(as_list(spec.get("triggers"))):
        t = as_dict(t)
        if t.get("useCachedMetrics") is True and t.get("type") in NO_CACHED_METRICS:
            yield f"spec.triggers[{i}].useCachedMetrics", (f"Invalid value: property \"useCachedMetrics\" is not "
                                                           f"supported for {t.get('type')!r} scaler")
        name = t.get("name")
        if isinstance(name, str) and name:
            if name in seen:
                yield f"spec.triggers[{i}].name", (f"Duplicate value: triggerName {name!r} is defined multiple "
                                                   "times, but it must be unique")
            seen.add(name)


def _target(doc: Document) -> tuple[str, str, str] | None:
    """(API group, kind, name) of a ScaledObject's or HPA's scaleTargetRef (KEDA defaults to apps/v1 Deployment)."""
    ref = as_dict(spec_of(doc).get("scaleTargetRef"))
    if not isinstance(ref.get("name"), str) or not ref["name"]:
        return None
    api_version = str(ref.get("apiVersion") or ("apps/v1" if doc.kind == "ScaledObject" else ""))
    return api_group_of(api_version), str(ref.get("kind") or "Deployment"), ref["name"]


@rule("CG-KEDA-002", E, "Two scalers own one target: two ScaledObjects, or a ScaledObject and an HPA", "cross",
      why=f"verifyScaledObjects and verifyHpas ({SRC}) refuse a ScaledObject whose target is already scaled by "
          "another ScaledObject (`the workload ... is already managed by the ScaledObject`) or by an HPA KEDA "
          "does not own (`already managed by the hpa`), unless the HPA is annotated "
          f"{HPA_OWNERSHIP}: \"false\" or its ownership is transferred ({TRANSFER_OWNERSHIP}: \"true\" with "
          "advanced.horizontalPodAutoscalerConfig.name naming it). Two ScaledObjects may not share an HPA name "
          "either. Even where the webhook is off, two HPAs fight over the replica count.",
      fix="scale each workload with one ScaledObject (put every trigger in it) and drop the chart's own HPA when "
          "KEDA scales it",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: busybox:1.36}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker}
spec:
  scaleTargetRef: {name: worker}
  triggers:
  - type: cron
    metadata: {timezone: UTC, start: 0 8 * * *, end: 0 18 * * *, desiredReplicas: "3"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  maxReplicas: 5
""")
def one_scaler_per_target(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    owners: dict[tuple[str | None, tuple[str, str, str]], Document] = {}
    hpa_names: dict[tuple[str | None, str], Document] = {}
    for so in _scaled_objects(index):
        target, ns = _target(so), index.namespace_of(so)
        if target is None:
            continue
        first = owners.setdefault((ns, target), so)
        if first is not so:
            yield finding("CG-KEDA-002", so, f"spec.scaleTargetRef: the {target[1]} {target[2]!r} is already managed "
                          f"by ScaledObject {first.name}", field="spec.scaleTargetRef")
        first = hpa_names.setdefault((ns, hpa_name(so)), so)
        if first is not so:
            yield finding("CG-KEDA-002", so, f"spec.advanced.horizontalPodAutoscalerConfig.name: the HPA "
                          f"{hpa_name(so)!r} is already managed by ScaledObject {first.name}",
                          field="spec.advanced.horizontalPodAutoscalerConfig.name")
    for hpa in index.kind("HorizontalPodAutoscaler", AUTOSCALING):
        target, ns = _target(hpa), index.namespace_of(hpa)
        if target is None or hpa.annotations.get(HPA_OWNERSHIP) == "false":
            continue
        owner = next((d for (n, t), d in owners.items() if t == target and index._same_ns(n, ns)), None)
        if owner is None:
            continue
        so = owner
        if so.annotations.get(TRANSFER_OWNERSHIP) == "true" and hpa_name(so) == hpa.name:
            continue
        yield finding("CG-KEDA-002", so, f"spec.scaleTargetRef: the {target[1]} {target[2]!r} is already managed by "
                      f"HorizontalPodAutoscaler {hpa.name}", field="spec.scaleTargetRef")


@rule("CG-KEDA-003", E, "ScaledObject scales a workload that is not there", "cross",
      why="KEDA resolves scaleTargetRef (default apps/v1 Deployment) in the ScaledObject's namespace; a missing "
          "target leaves the ScaledObject not Ready (`ScaledObjectCheckFailed`) and nothing is scaled. Certain "
          "(error) when the render holds objects of that kind in that namespace; otherwise a warning (the target "
          "may be deployed separately).",
      fix="point scaleTargetRef at the rendered workload (same name helper), with its kind and apiVersion",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: worker, image: busybox:1.36}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: worker}
spec:
  scaleTargetRef: {name: worker-v2}
  triggers:
  - type: cron
    metadata: {timezone: UTC, start: 0 8 * * *, end: 0 18 * * *, desiredReplicas: "3"}
""")
def scale_target_exists(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for so in _scaled_objects(index):
        target, ns = _target(so), index.namespace_of(so)
        if target is None:
            continue
        group, kind, name = target
        _, severity = resolve(index, opts, kind, name, (group,), ns)
        if severity is not None:
            yield finding("CG-KEDA-003", so, f"spec.scaleTargetRef.name: {missing_text(kind, name, severity)}; the "
                          "ScaledObject scales nothing", field="spec.scaleTargetRef.name", severity=severity)


def _auth_refs(doc: Document) -> Iterator[tuple[str, str, str]]:
    for i, t in enumerate(as_list(spec_of(doc).get("triggers"))):
        ref = as_dict(as_dict(t).get("authenticationRef"))
        if ref.get("name"):
            yield str(ref.get("kind") or "TriggerAuthentication"), str(ref["name"]), \
                f"spec.triggers[{i}].authenticationRef.name"


@rule("CG-KEDA-004", E, "Trigger names a TriggerAuthentication that is not there", "cross",
      why="A trigger's authenticationRef is resolved when the scaler is built (a TriggerAuthentication in the "
          "scaler's namespace, a ClusterTriggerAuthentication cluster-wide); a missing one fails the scaler "
          "(`error getting triggerAuth`) and the ScaledObject never becomes Ready. Certain (error) for a "
          "TriggerAuthentication when the render holds some in that namespace; otherwise a warning.",
      fix="name the rendered TriggerAuthentication (and its kind when it is a ClusterTriggerAuthentication)",
      example="""\
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: rabbitmq}
spec:
  secretTargetRef: [{parameter: host, name: rabbitmq, key: host}]
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: consumer}
spec:
  jobTargetRef:
    template:
      spec:
        restartPolicy: Never
        containers: [{name: consumer, image: busybox:1.36}]
  triggers:
  - type: rabbitmq
    metadata: {queueName: jobs, mode: QueueLength, value: "5"}
    authenticationRef: {name: rabbitmq-auth}
""")
def trigger_authentication_exists(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in [*_scaled_objects(index), *index.kind("ScaledJob", KEDA)]:
        ns = index.namespace_of(doc)
        for kind, name, fld in _auth_refs(doc):
            _, severity = resolve(index, opts, kind, name, KEDA, ns, namespaced=kind == "TriggerAuthentication")
            if severity is not None:
                yield finding("CG-KEDA-004", doc, f"{fld}: {missing_text(kind, name, severity)}; the scaler cannot "
                              "authenticate", field=fld, severity=severity)


@rule("CG-KEDA-005", E, "TriggerAuthentication reads a Secret key that its Secret does not have", "cross",
      why="secretTargetRef entries are read from a Secret in the TriggerAuthentication's namespace when the "
          "scaler is built; a key the Secret lacks fails the scaler, so the workload is never scaled. Certain "
          "(error) when the render writes that Secret with known keys (a rendered Secret, an ExternalSecret "
          "without dataFrom); a Secret the render does not write is a warning (it may be created by hand).",
      fix="read a key the Secret holds, or add it to the Secret (or to the ExternalSecret that writes it)",
      example="""\
apiVersion: v1
kind: Secret
metadata: {name: rabbitmq}
stringData: {host: amqp://user:pass@rabbitmq:5672/}
---
apiVersion: keda.sh/v1alpha1
kind: TriggerAuthentication
metadata: {name: rabbitmq}
spec:
  secretTargetRef: [{parameter: host, name: rabbitmq, key: connection-string}]
""")
def trigger_authentication_secrets(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index.kind("TriggerAuthentication", KEDA):
        ns = index.namespace_of(doc)
        for i, ref in enumerate(as_list(spec_of(doc).get("secretTargetRef"))):
            ref = as_dict(ref)
            name, key, fld = ref.get("name"), ref.get("key"), f"spec.secretTargetRef[{i}]"
            if not isinstance(name, str) or not isinstance(key, str) or opts.is_external("Secret", name, ns):
                continue
            writers = writers_of(index, name, ns)
            if not writers:
                yield finding("CG-KEDA-005", doc, f"{fld}.name: Secret {name!r} is not written by the render (no "
                              "Secret, Certificate or ExternalSecret of that name); declare it under `external:` if "
                              "it is made by hand", field=f"{fld}.name", severity=W)
                continue
            keys = secret_keys(writers)
            if keys is not None and key not in keys:
                yield finding("CG-KEDA-005", doc, f"{fld}.key: Secret {name} has no key {key!r} (keys: "
                              f"{', '.join(sorted(keys)) or 'none'}); the scaler fails", field=f"{fld}.key")


RESOURCE_TRIGGERS = ("cpu", "memory")
CHECKED_TARGETS = (("apps", "Deployment"), ("apps", "StatefulSet"))  # the kinds verifyCPUMemoryScalers reads


@rule("CG-KEDA-006", E, "ScaledObject with cpu/memory triggers: no scale to zero, and the containers need requests",
      "api",
      why=f"verifyCPUMemoryScalers ({SRC}) reads the target Deployment/StatefulSet of a ScaledObject with cpu or "
          "memory triggers: it refuses one whose triggers are only cpu/memory while minReplicaCount is 0 or unset "
          "(`scale to zero doesn't work in this case`), and one where a container (or the trigger's "
          "containerName) has no request or limit for that resource (`doesn't have the cpu request defined`). "
          "The first is certain; the second is a warning, since a LimitRange default outside the render "
          "satisfies it.",
      fix="set minReplicaCount: 1 (or add an event trigger), and resources.requests.<cpu|memory> on the containers",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ghcr.io/acme/api:1.0.0
        resources: {requests: {cpu: 100m}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: api}
spec:
  scaleTargetRef: {name: api}
  maxReplicaCount: 10
  triggers:
  - type: cpu
    metricType: Utilization
    metadata: {value: "60"}
""")
def resource_triggers(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for so in _scaled_objects(index):
        spec, target = spec_of(so), _target(so)
        triggers = [as_dict(t) for t in as_list(spec.get("triggers"))]
        resource = [(i, t) for i, t in enumerate(triggers) if t.get("type") in RESOURCE_TRIGGERS]
        if not resource or target is None or target[:2] not in CHECKED_TARGETS:
            continue
        workload = index.get(target[1], target[2], index.namespace_of(so), (target[0],))
        if workload is None:
            continue  # KEDA refuses a missing target too: CG-KEDA-003's
        if len(resource) == len(triggers) and not strict_int(spec.get("minReplicaCount")):
            yield finding("CG-KEDA-006", so, "spec.minReplicaCount: Invalid value: the scaledobject has only "
                          "cpu/memory triggers AND minReplicaCount is 0 (scale to zero doesn't work in this case)",
                          field="spec.minReplicaCount")
        if renders_kind_in(index, "LimitRange", ("",), index.namespace_of(so)):
            continue
        yield from _missing_requests(index, so, workload, resource)


def _missing_requests(index: ManifestIndex, so: Document, workload: Document,
                      triggers: list[tuple[int, dict[str, Any]]]) -> Iterator[Finding]:
    pt = PodLookup.of(index).template_of(workload)
    if pt is None:
        return
    for i, trigger in triggers:
        name, only = str(trigger["type"]), as_dict(trigger.get("metadata")).get("containerName")
        for c in containers(pt, ("containers",)):
            if only and c.name != only:
                continue
            res = as_dict(c.obj.get("resources"))
            if name not in as_dict(res.get("requests")) and name not in as_dict(res.get("limits")):
                yield finding("CG-KEDA-006", so, f"spec.triggers[{i}]: the scaledobject has a {name} trigger but "
                              f"container {c.name} of {workload.kind} {workload.name} has no {name} request (unless "
                              "a LimitRange defaults it)", field=f"spec.triggers[{i}]", severity=W)
