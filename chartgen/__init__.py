"""chartgen: generate, and prove correct, Helm charts for Kubernetes Services and Istio traffic management."""

__version__ = "0.1.0"
