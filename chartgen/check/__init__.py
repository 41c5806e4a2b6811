"""Checks for rendered Kubernetes/Istio manifests from any chart."""
