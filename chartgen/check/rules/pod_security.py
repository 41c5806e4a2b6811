"""Pod security posture: root, read-only root filesystem, privilege escalation, capabilities, privileged
containers, host namespaces. Warnings; errors under --profile prod.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartgen.check.helpers import all_containers, as_dict, as_int, as_list, pod_spec_field
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import finding, rule

LAYER = "posture"


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
    return as_dict(c.get("securityContext"))


def _pod_sc(pt: PodTemplate) -> dict[str, Any]:
    return as_dict(pt.spec.get("securityContext"))


@rule(
    "CG-P-003",
    Severity.INFO,
    "Container may run as root (runAsNonRoot not true)",
    LAYER,
    why=(
        "A container that may run as root turns an application compromise into root in the container. Advice "
        "by default; required under --profile prod."
    ),
    fix="set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser if the image has no USER",
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
            yield finding(
                "CG-P-003",
                pt.owner,
                f"{_who(pt, c, field)}: may run as root ({why})",
                hint="set securityContext.runAsNonRoot: true (pod or container) and a non-zero runAsUser if the "
                "image has no USER",
                field=f"{path}.securityContext.runAsNonRoot",
            )


@rule(
    "CG-P-004",
    Severity.INFO,
    "Root filesystem is writable (readOnlyRootFilesystem not true)",
    LAYER,
    why=(
        "A writable root filesystem lets an attacker or a bug modify the image's files. Advice by default; "
        "required under --profile prod."
    ),
    fix=(
        "set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the application "
        "writes (e.g. /tmp)"
    ),
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
def read_only_root(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            if _sc(c).get("readOnlyRootFilesystem") is True:
                continue
            yield finding(
                "CG-P-004",
                pt.owner,
                f"{_who(pt, c, field)}: readOnlyRootFilesystem is not true",
                hint="set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the "
                "application writes (e.g. /tmp)",
                field=f"{path}.securityContext.readOnlyRootFilesystem",
            )


@rule(
    "CG-P-005",
    Severity.INFO,
    "Privilege escalation allowed (allowPrivilegeEscalation not false)",
    LAYER,
    why=(
        "allowPrivilegeEscalation lets a process gain more privileges than its parent (setuid binaries). "
        "Advice by default; required under --profile prod."
    ),
    fix="set securityContext.allowPrivilegeEscalation: false",
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
def privilege_escalation(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            if _sc(c).get("allowPrivilegeEscalation") is False:
                continue
            yield finding(
                "CG-P-005",
                pt.owner,
                f"{_who(pt, c, field)}: allowPrivilegeEscalation is not false",
                hint="set securityContext.allowPrivilegeEscalation: false",
                field=f"{path}.securityContext.allowPrivilegeEscalation",
            )


@rule(
    "CG-P-006",
    Severity.INFO,
    "Capabilities do not drop ALL",
    LAYER,
    why=(
        "Default capabilities (NET_RAW, ...) are rarely needed and widen what a compromise can do. Advice by "
        "default; required under --profile prod."
    ),
    fix="set securityContext.capabilities.drop: [ALL] and add back only what is needed (e.g. NET_BIND_SERVICE)",
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
def drop_all(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            drop = as_list(as_dict(_sc(c).get("capabilities")).get("drop"))
            if any(str(x).upper() == "ALL" for x in drop):
                continue
            yield finding(
                "CG-P-006",
                pt.owner,
                f"{_who(pt, c, field)}: capabilities.drop does not contain ALL",
                hint="set securityContext.capabilities.drop: [ALL] and add back only what is needed "
                "(e.g. NET_BIND_SERVICE)",
                field=f"{path}.securityContext.capabilities.drop",
            )


@rule(
    "CG-P-007",
    Severity.WARNING,
    "Privileged container",
    LAYER,
    why="A privileged container has full access to the node. A warning (an error under --profile prod).",
    fix="remove privileged: true; grant the specific capability the workload needs instead",
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
        securityContext: {privileged: true}
""",
)
def privileged(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for field, _, c, path in _containers(pt):
            if _sc(c).get("privileged") is True:
                yield finding(
                    "CG-P-007",
                    pt.owner,
                    f"{_who(pt, c, field)}: privileged: true gives the container full access to the node",
                    hint="remove privileged: true; grant the specific capability the workload needs instead",
                    field=f"{path}.securityContext.privileged",
                )


@rule(
    "CG-P-008",
    Severity.WARNING,
    "Pod shares a host namespace (hostNetwork/hostPID/hostIPC)",
    LAYER,
    why=(
        "hostNetwork/hostPID/hostIPC share the node's namespaces with the pod. A warning for ordinary "
        "workloads (an error under --profile prod); info for DaemonSets, node agents whose job needs it."
    ),
    fix="remove hostNetwork/hostPID/hostIPC (use a Service, no hostPort)",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
""",
)
def host_namespaces(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for pt in index.pod_templates:
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if pt.spec.get(key) is True:
                yield finding(
                    "CG-P-008",
                    pt.owner,
                    f"{pt.owner.kind} {pt.owner.name}: {key}: true shares the node's namespace with the pod",
                    hint=f"remove {key}: true (use a Service / hostPort-free design)",
                    field=f"{pod_spec_field(pt)}.{key}",
                    # a DaemonSet is a node agent (exporters, CNI, log shippers): host access is its job
                    severity=Severity.INFO if pt.owner.kind == "DaemonSet" else None,
                )
