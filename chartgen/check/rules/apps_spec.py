"""Layer "api", apps/v1 workloads: what kubernetes pkg/apis/apps/validation/validation.go rejects beyond the
schema: negative counts, rollout strategies that can never progress, StatefulSet claim templates and policies.
(Selector vs template labels is CG-X-002; the pod template itself is rules/pod_spec.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import as_dict, as_list, int_or_percent, spec_of, strict_int
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule
from chartgen.check.volume_claims import claim_spec_errors

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"
SRC = "kubernetes pkg/apis/apps/validation/validation.go"


def _workloads(index: ManifestIndex, *kinds: str) -> Iterator[Document]:
    for kind in kinds:
        for doc in index.kind(kind):
            if doc.api_version.startswith("apps/"):
                yield doc


@rule("CG-APPS-001", E, "Workload count field negative, or progressDeadlineSeconds not above minReadySeconds", LAYER,
      why=f"ValidateDeploymentSpec / ValidateStatefulSetSpec / ValidateDaemonSetSpec ({SRC}): replicas, "
          "revisionHistoryLimit and minReadySeconds must be >= 0 and progressDeadlineSeconds must be greater than "
          "minReadySeconds.",
      fix="use non-negative counts and a progressDeadlineSeconds larger than minReadySeconds",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  minReadySeconds: 600
  progressDeadlineSeconds: 300
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
""")
def counts(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _workloads(index, "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        spec = spec_of(doc)
        for key in ("replicas", "revisionHistoryLimit", "minReadySeconds"):
            val = strict_int(spec.get(key))
            if val is not None and val < 0:
                yield finding("CG-APPS-001", doc, f"spec.{key}: Invalid value: {val}: must be greater than or equal "
                              "to 0", field=f"spec.{key}")
        pds, mrs = strict_int(spec.get("progressDeadlineSeconds")), strict_int(spec.get("minReadySeconds"))
        if doc.kind == "Deployment" and pds is not None and pds <= (mrs or 0):
            yield finding("CG-APPS-001", doc, f"spec.progressDeadlineSeconds: Invalid value: {pds}: must be greater "
                          f"than minReadySeconds ({mrs or 0})", field="spec.progressDeadlineSeconds")


def _rolling_params(doc: Document, fld: str, ru: dict[str, Any], kind: str) -> Iterator[Finding]:
    parsed: dict[str, tuple[int, bool]] = {}
    for key in ("maxSurge", "maxUnavailable"):
        if key not in ru or ru[key] is None:
            continue
        val = int_or_percent(ru[key])
        if val is None:
            yield finding("CG-APPS-002", doc, f"{fld}.{key}: Invalid value: {ru[key]!r}: must be an integer or "
                          "percentage (e.g. '5%')", field=f"{fld}.{key}")
            continue
        if val[0] < 0:
            yield finding("CG-APPS-002", doc, f"{fld}.{key}: Invalid value: {ru[key]!r}: must be greater than or "
                          "equal to 0", field=f"{fld}.{key}")
        if key == "maxUnavailable" and val[1] and val[0] > 100:
            yield finding("CG-APPS-002", doc, f"{fld}.{key}: Invalid value: {ru[key]!r}: must not be greater than "
                          "100%", field=f"{fld}.{key}")
        parsed[key] = val
    default_surge = (25, True) if kind == "Deployment" else (0, False)
    default_unavail = (25, True) if kind == "Deployment" else (1, False)
    surge = parsed.get("maxSurge", default_surge)
    unavailable = parsed.get("maxUnavailable", default_unavail)
    if surge[0] == 0 and unavailable[0] == 0 and ("maxSurge" in parsed or "maxUnavailable" in parsed):
        yield finding("CG-APPS-002", doc, f"{fld}.maxUnavailable: Invalid value: {ru.get('maxUnavailable', 0)!r}: may "
                      "not be 0 when `maxSurge` is 0 (the rollout could never replace a pod)",
                      field=f"{fld}.maxUnavailable")


@rule("CG-APPS-002", E, "Rollout strategy invalid: unknown type, rollingUpdate with Recreate/OnDelete, or "
      "maxSurge and maxUnavailable both 0", LAYER,
      why=f"ValidateDeploymentStrategy / ValidateRollingUpdateDeployment / ValidateRollingUpdateDaemonSet ({SRC}): "
          "maxUnavailable may not be 0 when maxSurge is 0 (no pod could ever be replaced), values are integers or "
          "percentages, maxUnavailable at most 100%, and rollingUpdate is forbidden with type Recreate/OnDelete.",
      fix="keep maxUnavailable 0 with maxSurge >= 1 (or 25%), or allow maxUnavailable 1 with maxSurge 0",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
""")
def strategy(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _workloads(index, "Deployment", "DaemonSet", "StatefulSet"):
        key = "strategy" if doc.kind == "Deployment" else "updateStrategy"
        strat = spec_of(doc).get(key)
        if not isinstance(strat, dict):
            continue
        types = ("RollingUpdate", "Recreate") if doc.kind == "Deployment" else ("RollingUpdate", "OnDelete")
        stype = strat.get("type", "RollingUpdate")
        fld = f"spec.{key}"
        if stype not in types:
            yield finding("CG-APPS-002", doc, f"{fld}.type: Unsupported value: {stype!r}: supported values: "
                          + ", ".join(f'"{t}"' for t in types), field=f"{fld}.type")
            continue
        ru = strat.get("rollingUpdate")
        if ru is None:
            continue
        if stype != "RollingUpdate":
            yield finding("CG-APPS-002", doc, f"{fld}.rollingUpdate: Forbidden: may not be specified when strategy "
                          f"`type` is '{stype}'", field=f"{fld}.rollingUpdate")
            continue
        ru = as_dict(ru)
        if doc.kind == "StatefulSet":
            part = strict_int(ru.get("partition"))
            if part is not None and part < 0:
                yield finding("CG-APPS-002", doc, f"{fld}.rollingUpdate.partition: Invalid value: {part}: must be "
                              "greater than or equal to 0", field=f"{fld}.rollingUpdate.partition")
            mu = ru.get("maxUnavailable")
            parsed = int_or_percent(mu) if mu is not None else None
            if mu is not None and (parsed is None or parsed[0] <= 0):
                yield finding("CG-APPS-002", doc, f"{fld}.rollingUpdate.maxUnavailable: Invalid value: {mu!r}: must "
                              "be greater than 0 (an integer or a percentage)",
                              field=f"{fld}.rollingUpdate.maxUnavailable")
            continue
        yield from _rolling_params(doc, f"{fld}.rollingUpdate", ru, doc.kind)


@rule("CG-APPS-003", E, "StatefulSet policy or volumeClaimTemplate invalid", LAYER,
      why=f"ValidateStatefulSetSpec ({SRC}) and ValidatePersistentVolumeClaimSpec: podManagementPolicy is OrderedReady "
          "or Parallel; every volumeClaimTemplate needs a DNS-1123 name, at least one valid access mode and "
          "resources.requests.storage; retention policies are Retain or Delete; ordinals.start >= 0.",
      fix="give each claim template a name, accessModes: [ReadWriteOnce] and resources.requests.storage",
      example="""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: postgres:16
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
""")
def statefulset(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _workloads(index, "StatefulSet"):
        spec = spec_of(doc)
        pmp = spec.get("podManagementPolicy")
        if pmp is not None and pmp not in ("OrderedReady", "Parallel"):
            yield finding("CG-APPS-003", doc, f"spec.podManagementPolicy: Unsupported value: {pmp!r}: supported "
                          "values: \"OrderedReady\", \"Parallel\"", field="spec.podManagementPolicy")
        retention = as_dict(spec.get("persistentVolumeClaimRetentionPolicy"))
        for key in ("whenDeleted", "whenScaled"):
            val = retention.get(key)
            if val is not None and val not in ("Retain", "Delete"):
                yield finding("CG-APPS-003", doc, f"spec.persistentVolumeClaimRetentionPolicy.{key}: Unsupported "
                              f"value: {val!r}: supported values: \"Retain\", \"Delete\"",
                              field=f"spec.persistentVolumeClaimRetentionPolicy.{key}")
        start = strict_int(as_dict(spec.get("ordinals")).get("start"))
        if start is not None and start < 0:
            yield finding("CG-APPS-003", doc, f"spec.ordinals.start: Invalid value: {start}: must be greater than or "
                          "equal to 0", field="spec.ordinals.start")
        seen: set[str] = set()
        for i, vct in enumerate(as_list(spec.get("volumeClaimTemplates"))):
            yield from _claim_template(doc, f"spec.volumeClaimTemplates[{i}]", as_dict(vct), seen)


def _claim_template(doc: Document, fld: str, vct: dict[str, Any], seen: set[str]) -> Iterator[Finding]:
    name = as_dict(vct.get("metadata")).get("name")
    if not name:
        yield finding("CG-APPS-003", doc, f"{fld}.metadata.name: Required value", field=f"{fld}.metadata.name")
    elif str(name) in seen:
        yield finding("CG-APPS-003", doc, f"{fld}.metadata.name: Duplicate value: {name!r}",
                      field=f"{fld}.metadata.name")
    else:
        seen.add(str(name))
    for suffix, msg in claim_spec_errors(as_dict(vct.get("spec"))):
        yield finding("CG-APPS-003", doc, f"{fld}.spec.{suffix}: {msg}", field=f"{fld}.spec.{suffix}")


@rule("CG-APPS-004", W, "StatefulSet name unusable for its pods (too long, or a dot)", LAYER,
      why="The StatefulSet controller labels each pod with statefulset.kubernetes.io/pod-name=<name>-<ordinal> "
          "and controller-revision-hash=<name>-<hash>; label values are limited to 63 characters, so above 52 "
          "characters pod creation fails with `must be no more than 63 characters` (certain above 61). Pods also "
          "get the hostname <name>-<ordinal>, a DNS label: a name with a dot is accepted for the StatefulSet but "
          "every pod is rejected (error).",
      fix="use a StatefulSet name of at most 52 lowercase letters, digits and '-' (truncate the fullname helper)",
      example="""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: my-release-postgresql.primary}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
""")
def statefulset_name(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _workloads(index, "StatefulSet"):
        name = doc.name
        if "." in name:
            yield finding("CG-APPS-004", doc, f"metadata.name {name!r} contains '.': the pods' hostname {name}-0 is "
                          "not a DNS label, so the controller cannot create them", field="metadata.name", severity=E)
        if len(name) > 52:
            certain = len(name) > 61
            yield finding("CG-APPS-004", doc, f"metadata.name {name!r} has {len(name)} characters; the pods' "
                          f"controller-revision-hash label ({name}-<hash>) exceeds 63 characters, so the controller "
                          "cannot create pods", field="metadata.name", severity=E if certain else W)
