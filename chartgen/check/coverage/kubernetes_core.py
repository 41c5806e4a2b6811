"""Kubernetes core/v1 (pkg/apis/core/validation/validation.go): Services, pods and everything below ValidatePodSpec."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_SVC = "kubernetes pkg/apis/core/validation: ValidateService"

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.core.service.name-dns1035", _SVC, "metadata.name is a DNS-1035 label", rules=("CG-SVC-001",)),
    Upstream("k8s.core.service.ports-required", _SVC, "spec.ports has at least one port unless headless or "
             "ExternalName", rules=("CG-SVC-002",)),
    Upstream("k8s.core.service.clusterip-allocatable", _SVC, "a requested spec.clusterIP lies inside the cluster's "
             "service CIDR and is free", offline="the service CIDR and the allocated IPs are the cluster's state, "
             "not in the render"),
    Upstream("k8s.core.pod.spread-pair-unique", "kubernetes pkg/apis/core/validation: "
             "ValidateTopologySpreadConstraints", "a {topologyKey, whenUnsatisfiable} pair appears at most once in "
             "topologySpreadConstraints (ValidateSpreadConstraintNotRepeat)", rules=("CG-POD-011",)),
)
