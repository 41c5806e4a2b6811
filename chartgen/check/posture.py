"""Layer "posture": security and reliability defaults of every pod template.

Findings are WARNINGs by default (the runner turns them into ERRORs under ``--profile prod``), except the few
that are dangerous on any cluster (privileged containers, host namespaces), which are always ERRORs.

Helm hook pods (``helm.sh/hook``, e.g. the ``helm create`` test pod) get the security checks but not the probe
and replica checks: they run to completion and are not served traffic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.cross import (
    PodLookup,
    _dict,
    _list,
    all_containers,
    as_int,
    is_hook,
    pod_spec_field,
    selector_matches,
)
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import rule

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


def _sc(c: dict[str, Any]) -> dict[str, Any]:
    return _dict(c.get("securityContext"))


def _pod_sc(pt: PodTemplate) -> dict[str, Any]:
    return _dict(pt.spec.get("securityContext"))


def _f(doc: Document, rule_id: str, severity: Severity, message: str, hint: str, field: str) -> Finding:
    return Finding.at(doc, rule_id, severity, message, hint, field=field)


@rule("CG-P-001", Severity.WARNING, "Container sets no CPU/memory requests or memory limit", LAYER)
def resources(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Required: requests.cpu, requests.memory and limits.memory (what the scheduler and the OOM killer use).
    # A CPU limit is deliberately NOT required: it throttles bursty services without protecting the node.
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            res = _dict(c.get("resources"))
            req, lim = _dict(res.get("requests")), _dict(res.get("limits"))
            missing = [name for name, ok in (("requests.cpu", "cpu" in req or "cpu" in lim),
                                             ("requests.memory", "memory" in req or "memory" in lim),
                                             ("limits.memory", "memory" in lim)) if not ok]
            if missing:
                yield _f(pt.owner, "CG-P-001", Severity.WARNING,
                         f"{_who(pt, c, field)}: no {', '.join(missing)}; the pod is scheduled blind and can be "
                         "evicted or starve its neighbours",
                         "set resources.requests.cpu/memory and resources.limits.memory (values.yaml `resources`)",
                         f"{path}.resources")


def image_tag(image: str) -> tuple[str | None, bool]:
    """(tag, pinned by digest) of an image reference."""
    if "@" in image:
        return None, True
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1], False
    return None, False


@rule("CG-P-002", Severity.WARNING, "Image uses the latest tag or no tag", LAYER)
def image_tags(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            image = c.get("image")
            if not isinstance(image, str) or not image:
                continue
            tag, digest = image_tag(image)
            if digest or (tag and tag != "latest"):
                continue
            what = "the `latest` tag" if tag else "no tag (implicitly `latest`)"
            yield _f(pt.owner, "CG-P-002", Severity.WARNING,
                     f"{_who(pt, c, field)}: image {image!r} uses {what}; rollouts are not reproducible",
                     "pin a version tag (default it to .Chart.AppVersion) or a digest (@sha256:...)",
                     f"{path}.image")


@rule("CG-P-003", Severity.WARNING, "Container may run as root (runAsNonRoot not true)", LAYER)
def run_as_non_root(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        pod = _pod_sc(pt)
        for field, _, c, path in _containers(pt):
            sc = _sc(c)
            non_root = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))
            user = as_int(sc.get("runAsUser", pod.get("runAsUser")))
            if non_root is True and user != 0:
                continue
            if non_root is None and user is not None and user > 0:
                continue  # an explicit non-zero UID is as good (kube-linter accepts it too)
            if user == 0:
                why = "runAsUser is 0"
            elif non_root is False:
                why = "runAsNonRoot is false"
            else:
                why = "neither runAsNonRoot nor a non-zero runAsUser is set"
            yield _f(pt.owner, "CG-P-003", Severity.WARNING,
                     f"{_who(pt, c, field)}: may run as root ({why})",
                     "set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser if the "
                     "image has no USER", f"{path}.securityContext.runAsNonRoot")


@rule("CG-P-004", Severity.WARNING, "Root filesystem is writable (readOnlyRootFilesystem not true)", LAYER)
def read_only_root(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            if _sc(c).get("readOnlyRootFilesystem") is True:
                continue
            yield _f(pt.owner, "CG-P-004", Severity.WARNING,
                     f"{_who(pt, c, field)}: readOnlyRootFilesystem is not true",
                     "set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the "
                     "application writes (e.g. /tmp)", f"{path}.securityContext.readOnlyRootFilesystem")


@rule("CG-P-005", Severity.WARNING, "Privilege escalation allowed (allowPrivilegeEscalation not false)", LAYER)
def privilege_escalation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            if _sc(c).get("allowPrivilegeEscalation") is False:
                continue
            yield _f(pt.owner, "CG-P-005", Severity.WARNING,
                     f"{_who(pt, c, field)}: allowPrivilegeEscalation is not false",
                     "set securityContext.allowPrivilegeEscalation: false",
                     f"{path}.securityContext.allowPrivilegeEscalation")


@rule("CG-P-006", Severity.WARNING, "Capabilities do not drop ALL", LAYER)
def drop_all(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            drop = _list(_dict(_sc(c).get("capabilities")).get("drop"))
            if any(str(x).upper() == "ALL" for x in drop):
                continue
            yield _f(pt.owner, "CG-P-006", Severity.WARNING,
                     f"{_who(pt, c, field)}: capabilities.drop does not contain ALL",
                     "set securityContext.capabilities.drop: [ALL] and add back only what is needed "
                     "(e.g. NET_BIND_SERVICE)", f"{path}.securityContext.capabilities.drop")


@rule("CG-P-007", Severity.ERROR, "Privileged container", LAYER)
def privileged(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            if _sc(c).get("privileged") is True:
                yield _f(pt.owner, "CG-P-007", Severity.ERROR,
                         f"{_who(pt, c, field)}: privileged: true gives the container full access to the node",
                         "remove privileged: true; grant the specific capability the workload needs instead",
                         f"{path}.securityContext.privileged")


@rule("CG-P-008", Severity.ERROR, "Pod shares a host namespace (hostNetwork/hostPID/hostIPC)", LAYER)
def host_namespaces(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pt.spec.get(key) is True:
                yield _f(pt.owner, "CG-P-008", Severity.ERROR,
                         f"{pt.owner.kind} {pt.owner.name}: {key}: true shares the node's namespace with the pod",
                         f"remove {key}: true (use a Service / hostPort-free design)",
                         f"{pod_spec_field(pt)}.{key}")


@rule("CG-P-009", Severity.WARNING, "Long-running container without readiness/liveness probe", LAYER)
def probes(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        if pt.owner.kind not in LONG_RUNNING or is_hook(pt.owner):
            continue
        for i, c in enumerate(pt.containers):
            missing = [p for p in ("readinessProbe", "livenessProbe") if not isinstance(c.get(p), dict)]
            if not missing:
                continue
            yield _f(pt.owner, "CG-P-009", Severity.WARNING,
                     f"{_who(pt, c, 'containers')}: no {' and no '.join(missing)}; "
                     + ("traffic is sent before the app is ready" if "readinessProbe" in missing
                        else "a hung process is never restarted"),
                     "add readinessProbe and livenessProbe (httpGet on a named port, or tcpSocket)",
                     f"{pod_spec_field(pt)}.containers[{i}]")


@rule("CG-P-010", Severity.WARNING, "Single-replica workload without a PodDisruptionBudget (profile prod)", LAYER)
def single_replica(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    if opts.profile != "prod":
        return
    pods = PodLookup.of(index)
    hpa_min: dict[tuple[str, str], int] = {}
    for hpa in index.kind("HorizontalPodAutoscaler"):
        spec = _dict(hpa.obj.get("spec"))
        ref = _dict(spec.get("scaleTargetRef"))
        hpa_min[(str(ref.get("kind")), str(ref.get("name")))] = as_int(spec.get("minReplicas")) or 1
    pdbs = [(p, index.namespace_of(p)) for p in index.kind("PodDisruptionBudget")]
    for kind in ("Deployment", "StatefulSet"):
        for doc in index.kind(kind):
            if is_hook(doc):
                continue
            spec = _dict(doc.obj.get("spec"))
            replicas = hpa_min.get((kind, doc.name))
            if replicas is None:
                replicas = as_int(spec.get("replicas"))
                replicas = 1 if replicas is None else replicas
            if replicas != 1:
                continue  # 0 is a deliberate scale-down
            pt = pods.template_of(doc)
            if pt is None:
                continue
            ns = index.namespace_of(doc)
            covered = any(ManifestIndex._same_ns(pns, ns) and _dict(p.obj.get("spec")).get("selector") is not None
                          and selector_matches(_dict(p.obj.get("spec")).get("selector"), pt.labels)
                          for p, pns in pdbs)
            if covered:
                continue
            yield _f(doc, "CG-P-010", Severity.WARNING,
                     f"{kind} {doc.name}: a single replica and no PodDisruptionBudget; every node drain or "
                     "eviction is an outage",
                     "in the prod profile run >= 2 replicas (or an HPA with minReplicas >= 2) and render a "
                     "PodDisruptionBudget (maxUnavailable: 1)", "spec.replicas")
