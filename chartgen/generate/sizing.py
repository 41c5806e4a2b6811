"""The effective size of each workload per environment (what `chartgen values` prints and NOTES render): each
version's own replicas or HPA, else the chart's."""

from __future__ import annotations

from collections.abc import Mapping

from chartgen.spec.loader import Settings, Spec


def _size(replicas: int, hpa: Mapping[str, object]) -> str:
    return f"HPA {hpa['minReplicas']}-{hpa['maxReplicas']}" if hpa["enabled"] else f"{replicas} replica(s)"


def layer_sizes(name: str, st: Settings) -> str:
    chart = {"enabled": st.autoscaling.enabled, "minReplicas": st.autoscaling.min_replicas,
             "maxReplicas": st.autoscaling.max_replicas}
    if not st.istio.versions:
        return _size(st.replicas, chart)
    parts = []
    for v in st.istio.versions:
        size = _size(st.replicas if v.replicas is None else v.replicas, chart | dict(v.autoscaling or {}))
        parts.append(f"{name}-{v.name} {size} weight {v.weight}%")
    return ", ".join(parts)


def effective_sizes(spec: Spec, envs: list[str] | None = None) -> list[str]:
    """One line per environment, e.g. `prod: checkout-v1 HPA 3-10 weight 90%, checkout-v2 1 replica(s) weight 10%`."""
    if not spec.blueprint.has_workload:
        return []
    return [f"{e.name}: {layer_sizes(spec.name, e.settings)}" for e in spec.environments
            if not envs or e.name in envs]
