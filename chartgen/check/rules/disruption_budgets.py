"""PodDisruptionBudgets: what kubernetes pkg/apis/policy/validation/validation.go rejects (layer "api"), and
budgets that block every node drain (layer "cross")."""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import (
    CopyKey,
    as_dict,
    as_int,
    copy_key,
    distinct_copies,
    index_cache,
    int_or_percent,
    pods_for_selector,
    spec_of,
    strict_int,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
SRC = "kubernetes pkg/apis/policy/validation/validation.go"
SCALED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "Rollout")


def _pdbs(index: ManifestIndex) -> Iterator[Document]:
    for doc in index.kind("PodDisruptionBudget"):
        if doc.api_version.startswith("policy/"):
            yield doc


@rule("CG-AVAIL-001", E, "PodDisruptionBudget sets both minAvailable and maxUnavailable, or an invalid value",
      "api",
      why=f"ValidatePodDisruptionBudgetSpec ({SRC}): minAvailable and maxUnavailable cannot be both set; each is a "
          "non-negative integer or a percentage 0-100%; unhealthyPodEvictionPolicy is IfHealthyBudget or AlwaysAllow.",
      fix="keep exactly one of minAvailable / maxUnavailable (maxUnavailable: 1 is the usual choice)",
      example="""\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
""")
def pdb_spec(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _pdbs(index):
        spec = spec_of(doc)
        if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
            yield finding("CG-AVAIL-001", doc, "spec: Invalid value: minAvailable and maxUnavailable cannot be both "
                          "set", field="spec")
        for key in ("minAvailable", "maxUnavailable"):
            raw = spec.get(key)
            if raw is None:
                continue
            val = int_or_percent(raw)
            if val is None:
                yield finding("CG-AVAIL-001", doc, f"spec.{key}: Invalid value: {raw!r}: a valid percent string must "
                              "be a numeric string followed by an ending '%' (or use an integer)", field=f"spec.{key}")
            elif val[0] < 0:
                yield finding("CG-AVAIL-001", doc, f"spec.{key}: Invalid value: {raw!r}: must be greater than or "
                              "equal to 0", field=f"spec.{key}")
            elif val[1] and val[0] > 100:
                yield finding("CG-AVAIL-001", doc, f"spec.{key}: Invalid value: {raw!r}: must not be greater than "
                              "100%", field=f"spec.{key}")
        policy = spec.get("unhealthyPodEvictionPolicy")
        if policy is not None and policy not in ("IfHealthyBudget", "AlwaysAllow"):
            yield finding("CG-AVAIL-001", doc, f"spec.unhealthyPodEvictionPolicy: Unsupported value: {policy!r}: "
                          "supported values: \"AlwaysAllow\", \"IfHealthyBudget\"",
                          field="spec.unhealthyPodEvictionPolicy")


def _hpa_minimums(index: ManifestIndex) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for hpa in index.kind("HorizontalPodAutoscaler"):
        spec = spec_of(hpa)
        ref = as_dict(spec.get("scaleTargetRef"))
        out[(str(ref.get("kind")), str(ref.get("name")))] = as_int(spec.get("minReplicas")) or 1
    return out


def expected_replicas(index: ManifestIndex, pts: list[PodTemplate]) -> int | None:
    """How many pods the selected workloads run at least (HPA minReplicas wins); None when unknown (DaemonSet)."""
    hpa_min = index_cache(index, "_cg_recall_hpa_min", lambda: _hpa_minimums(index))
    total = 0
    for pt in pts:
        owner = pt.owner
        if owner.kind not in SCALED_KINDS:
            return None
        replicas = hpa_min.get((owner.kind, owner.name))
        if replicas is None:
            raw = spec_of(owner).get("replicas")
            replicas = 1 if raw is None else strict_int(raw)
        if replicas is None:
            return None
        total += replicas
    return total


@rule("CG-AVAIL-002", W, "PodDisruptionBudget allows no voluntary disruption (every node drain blocks)", "cross",
      why="With maxUnavailable 0 (or 0%), minAvailable 100%, or minAvailable at least the number of pods the "
          "workloads run, the eviction API refuses every eviction: `kubectl drain`, node upgrades and the "
          "cluster autoscaler hang on these pods until someone deletes the budget.",
      fix="use maxUnavailable: 1 (or minAvailable below the replica count) and run at least 2 replicas",
      example="""\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 0
  selector: {matchLabels: {app: web}}
""")
def pdb_blocks_drains(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in _pdbs(index):
        spec = spec_of(doc)
        mu, ma = int_or_percent(spec.get("maxUnavailable")), int_or_percent(spec.get("minAvailable"))
        if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
            continue  # CG-AVAIL-001
        if mu is not None and mu[0] == 0:
            yield finding("CG-AVAIL-002", doc, f"spec.maxUnavailable is {spec.get('maxUnavailable')!r}: no pod may "
                          "ever be evicted, so node drains block", field="spec.maxUnavailable")
            continue
        if ma is None:
            continue
        if ma[1]:
            if ma[0] >= 100:
                yield finding("CG-AVAIL-002", doc, f"spec.minAvailable is {spec.get('minAvailable')!r}: no pod may "
                              "ever be evicted, so node drains block", field="spec.minAvailable")
            continue
        pts = pods_for_selector(index, spec.get("selector"), index.namespace_of(doc)) \
            if spec.get("selector") is not None else []
        replicas = expected_replicas(index, pts) if pts else None
        if replicas is not None and replicas > 0 and ma[0] >= replicas:
            owners = ", ".join(f"{pt.owner.kind} {pt.owner.name}" for pt in pts)
            yield finding("CG-AVAIL-002", doc, f"spec.minAvailable is {ma[0]} but the selected pods ({owners}) run "
                          f"{replicas} replica(s): no pod may ever be evicted, so node drains block",
                          field="spec.minAvailable")


@rule("CG-AVAIL-003", W, "Pods covered by more than one PodDisruptionBudget (evictions fail)", "cross",
      why="The eviction subresource refuses pods matched by several budgets (`This pod has more than one "
          "PodDisruptionBudget, which the eviction subresource does not support`), so drains block on them.",
      fix="give each workload exactly one PodDisruptionBudget with a selector that matches only its pods",
      example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: frontend}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: frontend}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {tier: frontend}}
""")
def overlapping_pdbs(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Copies of a workload (equal owners) are selected by the same budgets: their budget list and message are
    # built once, so N budgets over N copies cost N + N steps, not N x N.
    covered: dict[CopyKey, list[Document]] = {}
    owners: list[PodTemplate] = []  # every covered pod template, in the order first covered
    for doc in _pdbs(index):
        sel = spec_of(doc).get("selector")
        if sel is None:
            continue
        pts = pods_for_selector(index, sel, index.namespace_of(doc))
        fresh = set()
        for pt in distinct_copies(index, pts):
            key = copy_key(pt)
            if key not in covered:
                covered[key] = []
                fresh.add(key)
            covered[key].append(doc)
        if fresh:
            owners.extend(pt for pt in pts if copy_key(pt) in fresh)
    messages: dict[CopyKey, str] = {}
    for pt in owners:
        key = copy_key(pt)
        pdbs = covered[key]
        if len(pdbs) < 2:
            continue
        if key not in messages:
            messages[key] = (f"{pt.owner.kind} {pt.owner.name}'s pods are selected by PodDisruptionBudgets "
                             f"{', '.join(p.name for p in pdbs)}; the eviction API refuses pods with more than one "
                             "budget")
        yield finding("CG-AVAIL-003", pdbs[-1], messages[key], field="spec.selector")
