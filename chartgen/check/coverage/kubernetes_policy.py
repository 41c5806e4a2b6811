"""Kubernetes policy/v1 (pkg/apis/policy/validation/validation.go): PodDisruptionBudgets."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_V = "kubernetes pkg/apis/policy/validation: ValidatePodDisruptionBudgetSpec"

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.policy.pdb.min-max-exclusive", _V, "minAvailable and maxUnavailable are not both set",
             rules=("CG-AVAIL-001",)),
    Upstream("k8s.policy.pdb.values", _V, "minAvailable/maxUnavailable are non-negative ints or percentages up to "
             "100%", rules=("CG-AVAIL-001",)),
    Upstream("k8s.policy.pdb.eviction-policy", _V, "unhealthyPodEvictionPolicy is IfHealthyBudget or AlwaysAllow",
             rules=("CG-AVAIL-001",)),
    Upstream("k8s.policy.pdb.selects-pods", "kubernetes pkg/controller/disruption", "the selector matches pods of "
             "the render (accepted either way: a warning)", rules=("CG-X-008",)),
    Upstream("k8s.policy.pdb.blocks-drains", "kubernetes pkg/registry/core/pod/storage: eviction", "a budget "
             "allows at least one disruption (otherwise every eviction, and so every node drain, is refused)",
             rules=("CG-AVAIL-002",)),
    Upstream("k8s.policy.pdb.overlap", "kubernetes pkg/registry/core/pod/storage: eviction", "a pod is covered by "
             "at most one budget (evictions fail otherwise)", rules=("CG-AVAIL-003",)),
)
