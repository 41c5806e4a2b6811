"""Kubernetes autoscaling/v2 (pkg/apis/autoscaling/validation/validation.go): HorizontalPodAutoscalers."""

from __future__ import annotations

from chartgen.check.coverage import Upstream

_V = "kubernetes pkg/apis/autoscaling/validation: "

ENTRIES: tuple[Upstream, ...] = (
    Upstream("k8s.autoscaling.hpa.replicas", _V + "ValidateHorizontalPodAutoscalerSpec", "minReplicas >= 1, "
             "maxReplicas >= 1 and >= minReplicas", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.metric-source", _V + "validateMetricSpec", "a metric populates exactly the "
             "source its type names", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.metric-target", _V + "validateMetricTarget", "a target type is Utilization, "
             "Value or AverageValue; values are positive, averageUtilization > 0", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.resource-metric", _V + "validateResourceSource / validateContainerResourceSource",
             "a resource metric names its resource (and container) and sets exactly one of averageUtilization and "
             "averageValue", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.pods-metric", _V + "validatePodsSource", "a pods metric names a metric (a path "
             "segment name) and sets averageValue", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.object-metric", _V + "validateObjectSource", "an object metric (custom metric "
             "of another object) names the describedObject kind and name and a metric, and sets value or "
             "averageValue", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.external-metric", _V + "validateExternalSource", "an external metric names a "
             "metric and sets exactly one of value and averageValue", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.object-target-type", "kubernetes pkg/controller/podautoscaler "
             "(computeStatusForObjectMetric)", "warning: an object metric's target type names the value it sets "
             "(Value: value, AverageValue: averageValue), or the controller never computes it",
             rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.behavior", _V + "validateScalingRules", "policies are Pods/Percent with value > "
             "0 and periodSeconds 1-1800; stabilization 0-3600; selectPolicy known", rules=("CG-HPA-001",)),
    Upstream("k8s.autoscaling.hpa.target-exists", "kubernetes pkg/controller/podautoscaler (FailedGetScale)",
             "scaleTargetRef names a rendered workload", rules=("CG-X-007",)),
    Upstream("k8s.autoscaling.hpa.scale-subresource", "kubernetes pkg/controller/podautoscaler (scale client)",
             "scaleTargetRef names a kind with a scale subresource", rules=("CG-HPA-004",)),
    Upstream("k8s.autoscaling.hpa.container-resource", "kubernetes pkg/controller/podautoscaler "
             "(FailedGetContainerResourceMetric)", "a ContainerResource metric names a container of the target",
             rules=("CG-HPA-004",)),
    Upstream("k8s.autoscaling.hpa.utilization-requests", "kubernetes pkg/controller/podautoscaler "
             "(FailedGetResourceMetric)", "utilization metrics need requests on the target's containers",
             rules=("CG-HPA-002",)),
    Upstream("k8s.autoscaling.hpa.metrics-api", "kubernetes pkg/controller/podautoscaler", "the metrics API "
             "(metrics-server, custom/external adapters) serves the metric", offline="the installed metrics "
             "adapters are the cluster's state"),
)
