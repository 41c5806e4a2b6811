"""Pod reliability defaults: resources, image tags, probes. Warnings; errors under --profile prod.
Helm hook pods get no probe check (they run to completion and serve no traffic).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import (
    CORE,
    PodLookup,
    all_containers,
    as_dict,
    index_cache,
    is_hook,
    pod_spec_field,
    service_selector,
)
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule

LAYER = "posture"
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")


def _containers(pt: PodTemplate) -> Iterator[tuple[str, int, dict[str, Any], str]]:
    """(list field, position, container, field path) for containers and initContainers."""
    base = pod_spec_field(pt)
    for field, i, c in all_containers(pt):
        if field == "ephemeralContainers":
            continue
        yield field, i, c, f"{base}.{field}[{i}]"


def _who(pt: PodTemplate, c: dict[str, Any], field: str) -> str:
    kind = "init container" if field == "initContainers" else "container"
    return f"{pt.owner.kind} {pt.owner.name} {kind} {c.get('name', '?')}"


@rule(
    "CG-P-001",
    Severity.INFO,
    "Container sets no CPU/memory requests or memory limit",
    LAYER,
    why=(
        "Without requests the scheduler places the pod blind and it is evicted first; without a memory limit "
        "one pod can starve its node. Advice by default (charts leave sizing to users); required under "
        "--profile prod."
    ),
    fix="set resources.requests.cpu/memory and resources.limits.memory (values.yaml `resources`)",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
""",
)
def resources(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Required: requests.cpu, requests.memory and limits.memory (what the scheduler and the OOM killer use).
    # A CPU limit is deliberately NOT required: it throttles bursty services without protecting the node.
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            res = as_dict(c.get("resources"))
            req, lim = as_dict(res.get("requests")), as_dict(res.get("limits"))
            missing = [
                name
                for name, ok in (
                    ("requests.cpu", "cpu" in req or "cpu" in lim),
                    ("requests.memory", "memory" in req or "memory" in lim),
                    ("limits.memory", "memory" in lim),
                )
                if not ok
            ]
            if missing:
                yield finding(
                    "CG-P-001",
                    pt.owner,
                    f"{_who(pt, c, field)}: no {', '.join(missing)}; the pod is scheduled blind and can be "
                    "evicted or starve its neighbours",
                    hint="set resources.requests.cpu/memory and resources.limits.memory (values.yaml `resources`)",
                    field=f"{path}.resources",
                )


def _injected(pt: PodTemplate) -> bool:
    tpl = as_dict(as_dict(pt.owner.obj.get("spec")).get("template"))
    md = as_dict(tpl.get("metadata"))
    keys = list(as_dict(md.get("labels"))) + list(as_dict(md.get("annotations")))
    return any(k.startswith(("sidecar.istio.io/inject", "inject.istio.io/")) for k in keys)


def image_tag(image: str) -> tuple[str | None, bool]:
    """(tag, pinned by digest) of an image reference."""
    if "@" in image:
        return None, True
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1], False
    return None, False


@rule(
    "CG-P-002",
    Severity.WARNING,
    "Image uses the latest tag or no tag",
    LAYER,
    why="`latest` or no tag makes rollouts unreproducible: the same chart version runs different code over time.",
    fix="pin a version tag (default it to .Chart.AppVersion) or a digest (@sha256:...)",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx
        ports: [{name: http, containerPort: 8080}]
""",
)
def image_tags(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            image = c.get("image")
            if not isinstance(image, str) or not image:
                continue
            if image == "auto" and _injected(pt):
                continue  # Istio's injector replaces the "auto" image of a gateway/sidecar template
            tag, digest = image_tag(image)
            if digest or (tag and tag != "latest"):
                continue
            what = "the `latest` tag" if tag else "no tag (implicitly `latest`)"
            yield finding(
                "CG-P-002",
                pt.owner,
                f"{_who(pt, c, field)}: image {image!r} uses {what}; rollouts are not reproducible",
                hint="pin a version tag (default it to .Chart.AppVersion) or a digest (@sha256:...)",
                field=f"{path}.image",
            )


@rule(
    "CG-P-009",
    Severity.WARNING,
    "Long-running container without readiness/liveness probe",
    LAYER,
    why=(
        "Without a readiness probe a Service sends traffic to pods that are not ready (a warning when a "
        "Service selects them); without a liveness probe a hung process is never restarted (info)."
    ),
    fix="add readinessProbe and livenessProbe (httpGet on a named port, or tcpSocket)",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
""",
)
def probes(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        if pt.owner.kind not in LONG_RUNNING or is_hook(pt.owner):
            continue
        for i, c in enumerate(pt.containers):
            missing = [p for p in ("readinessProbe", "livenessProbe") if not isinstance(c.get(p), dict)]
            if not missing:
                continue
            # Without a readiness probe a Service sends traffic to a pod that is not ready: a warning when a
            # Service selects the pods; a missing liveness probe, or pods no Service serves, is advice (info).
            served = "readinessProbe" in missing and _served(index, pt)
            yield finding(
                "CG-P-009",
                pt.owner,
                f"{_who(pt, c, 'containers')}: no {' and no '.join(missing)}; "
                + (
                    "traffic is sent before the app is ready"
                    if "readinessProbe" in missing
                    else "a hung process is never restarted"
                ),
                hint="add readinessProbe and livenessProbe (httpGet on a named port, or tcpSocket)",
                field=f"{pod_spec_field(pt)}.containers[{i}]",
                severity=None if served else Severity.INFO,
            )


def _served(index: ManifestIndex, pt: PodTemplate) -> bool:
    """Does a rendered Service select these pods? (one selector lookup per Service, cached per index)"""

    def build() -> set[int]:
        pods = PodLookup.of(index)
        out: set[int] = set()
        seen: set[tuple[object, ...]] = set()
        for svc in index.kind("Service", CORE):
            sel = service_selector(svc)
            key = (tuple(sorted((str(k), str(v)) for k, v in (sel or {}).items())), index.namespace_of(svc))
            if sel and key not in seen:  # identical Services (copies) select the same pods: once
                seen.add(key)
                out.update(id(p.owner) for p in pods.select(sel, index.namespace_of(svc)))
        return out

    return id(pt.owner) in index_cache(index, "_cg_served_pods", build)
