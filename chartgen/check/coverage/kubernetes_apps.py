"""Kubernetes apps/v1 (pkg/apis/apps/validation/validation.go): Deployments, StatefulSets, DaemonSets, ReplicaSets."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_V = "kubernetes pkg/apis/apps/validation: "

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.apps.selector-matches-template", _V + "ValidateDeploymentSpec / ValidateStatefulSetSpec / "
             "ValidateDaemonSetSpec", "the selector is non-empty and matches the template's labels",
             rules=("CG-X-002",)),
    Upstream("k8s.apps.counts-non-negative", _V + "ValidateDeploymentSpec", "replicas, revisionHistoryLimit and "
             "minReadySeconds are >= 0", rules=("CG-APPS-001",)),
    Upstream("k8s.apps.progress-deadline", _V + "ValidateDeploymentSpec", "progressDeadlineSeconds is greater than "
             "minReadySeconds", rules=("CG-APPS-001",)),
    Upstream("k8s.apps.strategy-type", _V + "ValidateDeploymentStrategy / ValidateDaemonSetUpdateStrategy",
             "strategy type is RollingUpdate or Recreate (OnDelete for StatefulSets/DaemonSets)",
             rules=("CG-APPS-002",)),
    Upstream("k8s.apps.rolling-update-with-recreate", _V + "ValidateDeploymentStrategy", "rollingUpdate is not set "
             "with type Recreate/OnDelete", rules=("CG-APPS-002",)),
    Upstream("k8s.apps.rolling-update-progress", _V + "ValidateRollingUpdateDeployment", "maxSurge and "
             "maxUnavailable are not both 0, are ints or percentages, maxUnavailable at most 100%",
             rules=("CG-APPS-002",)),
    Upstream("k8s.apps.statefulset-partition", _V + "ValidateStatefulSetUpdateStrategy", "rollingUpdate.partition "
             ">= 0 and maxUnavailable > 0", rules=("CG-APPS-002",)),
    Upstream("k8s.apps.statefulset-pod-management", _V + "ValidateStatefulSetSpec", "podManagementPolicy is "
             "OrderedReady or Parallel", rules=("CG-APPS-003",)),
    Upstream("k8s.apps.statefulset-claim-template", _V + "ValidateStatefulSetSpec / "
             "ValidatePersistentVolumeClaimSpec", "every volumeClaimTemplate has a unique name, a valid access mode "
             "and a storage request", rules=("CG-APPS-003",)),
    Upstream("k8s.apps.statefulset-retention", _V + "ValidatePersistentVolumeClaimRetentionPolicy",
             "whenDeleted/whenScaled are Retain or Delete", rules=("CG-APPS-003",)),
    Upstream("k8s.apps.statefulset-ordinals", _V + "ValidateStatefulSetSpec", "ordinals.start >= 0",
             rules=("CG-APPS-003",)),
    Upstream("k8s.apps.statefulset-pod-names", "kubernetes pkg/controller/statefulset: newStatefulSetPod", "the "
             "StatefulSet name leaves room for the pods' hostname and revision label", rules=("CG-APPS-004",)),
    Upstream("k8s.apps.template-restart-policy", _V + "ValidatePodTemplateSpecForReplicaSet", "a controller's "
             "template has restartPolicy Always", rules=("CG-POD-010",)),
    Upstream("k8s.apps.statefulset-service", "kubernetes pkg/controller/statefulset (stable network identity)",
             "serviceName names a headless Service selecting the pods", rules=("CG-X-005",)),
    Upstream("k8s.apps.rollout-progress", "kubernetes pkg/controller/deployment (ProgressDeadlineExceeded)",
             "a rollout becomes available within progressDeadlineSeconds", offline="depends on the image, the "
             "nodes and the running application"),
    Upstream("k8s.apps.storage-class-exists", "kubernetes pkg/controller/volume", "the claim templates' "
             "StorageClass exists", offline="StorageClasses are cluster-wide and installed by the platform"),
)
