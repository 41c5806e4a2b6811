"""Admission plugins whose inputs can be in a render: Pod Security Admission (a rendered Namespace's labels),
LimitRanger and ResourceQuota (objects rendered in the same namespace), Priority (PriorityClass names)."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_PSA = "kubernetes staging/src/k8s.io/pod-security-admission: "
_ADM = "kubernetes plugin/pkg/admission/"

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.admission.psa.namespace-labels", _PSA + "api.ParseLevel / ParseVersion", "the Namespace's "
             "pod-security labels name a level (privileged, baseline, restricted) and a version",
             rules=("CG-PSA-002",)),
    Upstream("k8s.admission.psa.baseline", _PSA + "policy (baseline checks)", "pods in a baseline Namespace use no "
             "host namespaces, privileged containers, hostPath, hostPorts, added capabilities, unsafe sysctls, "
             "Unconfined seccomp/AppArmor", rules=("CG-PSA-001",)),
    Upstream("k8s.admission.psa.restricted", _PSA + "policy (restricted checks)", "pods in a restricted Namespace "
             "also run as non-root, forbid privilege escalation, use a RuntimeDefault/Localhost seccomp profile, drop "
             "ALL capabilities and restricted volume types", rules=("CG-PSA-001",)),
    Upstream("k8s.admission.psa.warn-audit", _PSA + "admission (warn and audit modes)", "warn/audit levels report "
             "violations", offline="warn and audit modes never reject a pod: there is nothing to decide"),
    Upstream("k8s.admission.webhooks", "kube-apiserver admission webhooks", "validating and mutating webhooks "
             "installed in the cluster accept the object", offline="which webhooks run, and their policies, are the "
             "cluster's state (an Istio or Gateway API webhook is mapped in its own module)"),
    Upstream("k8s.admission.psa.exemptions", _PSA + "admission configuration", "a namespace, runtime class or user "
             "is exempt", offline="exemptions are the API server's admission configuration"),
    Upstream("k8s.admission.limitrange.object", "kubernetes pkg/apis/core/validation: ValidateLimitRange", "a "
             "LimitRange orders min <= defaultRequest <= default <= max (after defaulting), ratios >= 1, no defaults "
             "for type Pod, storage bounds for claims", rules=("CG-LIMIT-002",)),
    Upstream("k8s.admission.resourcequota.object", "kubernetes pkg/apis/core/validation: ValidateResourceQuota",
             "spec.hard names quota resources with non-negative quantities; scopes are known",
             rules=("CG-QUOTA-003",)),
    Upstream("k8s.admission.limitrange.container", _ADM + "limitranger", "container requests/limits are within "
             "the namespace's Container LimitRange (min, max, maxLimitRequestRatio)", rules=("CG-LIMIT-001",)),
    Upstream("k8s.admission.resourcequota.pod", _ADM + "resourcequota", "one pod's requests/limits fit the "
             "namespace's quota and set every compute resource it tracks", rules=("CG-QUOTA-001",)),
    Upstream("k8s.admission.limitrange.claim", _ADM + "limitranger", "a claim's storage request is within the "
             "namespace's PersistentVolumeClaim LimitRange", rules=("CG-LIMIT-001",)),
    Upstream("k8s.admission.resourcequota.namespace", _ADM + "resourcequota", "the replicas, claims and storage the "
             "render runs at least in a namespace fit its quota", rules=("CG-QUOTA-002",)),
    Upstream("k8s.admission.resourcequota.usage", _ADM + "resourcequota", "the namespace's current usage leaves "
             "room for the pods", offline="the usage of objects already in the namespace (outside the render) is the "
             "cluster's state; the render's own usage is decided by k8s.admission.resourcequota.namespace"),
    Upstream("k8s.admission.priority.class-object", "kubernetes pkg/apis/scheduling/validation: "
             "ValidatePriorityClass", "a PriorityClass name has no system- prefix and its value is at most "
             "1000000000", rules=("CG-PRIO-001",)),
    Upstream("k8s.admission.priority.class-name", _ADM + "priority", "a pod's priorityClassName exists and "
             "spec.priority agrees with it", rules=("CG-PRIO-002",)),
    Upstream("k8s.admission.runtimeclass.overhead", _ADM + "runtimeclass (validateOverhead)", "a pod sets "
             "spec.overhead only with a RuntimeClass that defines one (no runtimeClassName, or a rendered class "
             "without overhead: rejected)", rules=("CG-POD-016",)),
    Upstream("k8s.admission.runtimeclass.overhead-matches", _ADM + "runtimeclass (validateOverhead)", "a pod's "
             "spec.overhead equals its RuntimeClass's podFixed overhead", offline="RuntimeClasses are installed "
             "with the node runtime, outside application charts"),
)
