"""Workloads and their pod templates: container port names, the workload selector versus its own template,
probe ports, StatefulSet serviceName, ServiceAccounts.
"""

from __future__ import annotations

from collections.abc import Iterator

from chartgen.check.helpers import (
    APPS,
    CORE,
    WORKLOAD_SELECTOR_KINDS,
    PodLookup,
    all_containers,
    as_dict,
    as_int,
    as_list,
    container_exposes,
    container_ports,
    container_ports_text,
    fmt_labels,
    is_headless,
    join_errors,
    on,
    pod_spec_field,
    port_name_errors,
    selector_matches,
    service_selector,
)
from chartgen.check.model import CheckOptions, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
LAYER = "cross"


@rule(
    "CG-API-006",
    E,
    "Container port name is not a valid port name, or repeats within the pod",
    LAYER,
    why=(
        "Container port names must be IANA service names (<= 15 characters of [-a-z0-9] with a letter) and "
        "unique in the pod, or the pod is rejected."
    ),
    fix=(
        "use at most 15 lowercase letters, digits and '-' with at least one letter (http, metrics, grpc-web),"
        " once per pod"
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
        ports: [{name: http-metrics-endpoint, containerPort: 8080}]
""",
)
def invalid_container_port_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    """The API server rejects the pod (IsValidPortName): <= 15 chars of [-a-z0-9] with a letter, unique per pod."""
    for pt in index.pod_templates:
        doc = pt.owner
        base = (
            "spec"
            if doc.kind == "Pod"
            else ("spec.jobTemplate.spec.template.spec" if doc.kind == "CronJob" else "spec.template.spec")
        )
        seen: dict[str, str] = {}
        for group in ("initContainers", "containers"):
            for ci, container in enumerate(as_list(pt.spec.get(group))):
                if not isinstance(container, dict):
                    continue
                for pi, port in enumerate(as_list(container.get("ports"))):
                    name = port.get("name") if isinstance(port, dict) else None
                    if not isinstance(name, str):
                        continue
                    fld = f"{base}.{group}[{ci}].ports[{pi}].name"
                    if errs := port_name_errors(name):
                        yield finding(
                            "CG-API-006",
                            doc,
                            on(doc, f"{fld} {name!r} {join_errors(errs)}"),
                            hint="use at most 15 lowercase letters, digits and '-' with at least one letter "
                            "(e.g. http, metrics, grpc-web)",
                            field=fld,
                        )
                    elif name in seen:
                        yield finding(
                            "CG-API-006",
                            doc,
                            on(doc, f"{fld} {name!r} is already used by {seen[name]}"),
                            hint="give every container port in the pod its own name",
                            field=fld,
                        )
                    else:
                        seen[name] = fld


@rule(
    "CG-X-002",
    Severity.ERROR,
    "Workload selector does not match its own pod template labels",
    LAYER,
    why=(
        "The API server rejects a Deployment/StatefulSet/DaemonSet/ReplicaSet whose selector does not match "
        "its own template labels, or whose selector is empty."
    ),
    fix="render spec.selector.matchLabels and spec.template.metadata.labels from the same selectorLabels helper",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web-app}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
""",
)
def workload_selector_mismatch(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    kinds = list(WORKLOAD_SELECTOR_KINDS) + ["Job"]
    pods = PodLookup.of(index)
    for kind in kinds:
        for doc in index.kind(kind):
            spec = as_dict(doc.obj.get("spec"))
            sel = spec.get("selector")
            if kind == "Job" and not spec.get("manualSelector"):
                continue  # the Job controller generates the selector
            if not isinstance(sel, dict):
                continue  # a missing selector is a schema error, reported by the schema layer
            pt = pods.template_of(doc)
            if pt is None:
                continue
            if not as_dict(sel.get("matchLabels")) and not as_list(sel.get("matchExpressions")):
                yield finding(
                    "CG-X-002",
                    doc,
                    f"{kind} {doc.name}: spec.selector is empty; the API server rejects an empty selector",
                    hint="set spec.selector.matchLabels to the chart's selector labels",
                    field="spec.selector",
                )
                continue
            if not selector_matches(sel, pt.labels):
                yield finding(
                    "CG-X-002",
                    doc,
                    f"{kind} {doc.name}: spec.selector {fmt_labels(as_dict(sel.get('matchLabels')))} does not "
                    f"match the pod template labels {fmt_labels(pt.labels)}; the API server rejects it "
                    "(`selector` does not match template `labels`)",
                    hint="render spec.selector.matchLabels and spec.template.metadata.labels from the same "
                    "selectorLabels helper; every selector label must appear on the pod template",
                    field="spec.selector",
                )


PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


@rule(
    "CG-X-004",
    Severity.ERROR,
    "Probe targets a port the container does not declare",
    LAYER,
    why=(
        "The kubelet resolves a named probe port in the container's own ports: an unknown name fails the "
        "probe forever (never Ready, or restarted in a loop). A number is probed whether declared or not "
        "(info)."
    ),
    fix="use a name from the container's ports, or the port number",
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
        readinessProbe: {httpGet: {path: /ready, port: admin}}
""",
)
def probe_ports(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # A named probe port is resolved by the kubelet against the same container's ports: an unknown name makes
    # the probe fail forever (never Ready, or restarted in a loop) -> ERROR. A numeric probe port is probed
    # whether declared or not and health endpoints often live on an undeclared management port, so it is only
    # a WARNING, and only when the container declares ports and this number is not among them (likely a typo).
    for pt in index.pod_templates:
        base = pod_spec_field(pt)
        for field, ci, c in all_containers(pt):
            if field == "ephemeralContainers":
                continue
            for probe_name in PROBES:
                probe = c.get(probe_name)
                if not isinstance(probe, dict):
                    continue
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    h = probe.get(handler)
                    if not isinstance(h, dict) or "port" not in h:
                        continue
                    port = h.get("port")
                    fpath = f"{base}.{field}[{ci}].{probe_name}.{handler}.port"
                    cname = c.get("name", ci)
                    if as_int(port) is None:
                        if not container_exposes(c, port, None):  # the kubelet matches the name only
                            names = [str(p.get("name")) for p in container_ports(c) if p.get("name")]
                            yield finding(
                                "CG-X-004",
                                pt.owner,
                                f"{pt.owner.kind} {pt.owner.name} container {cname}: {probe_name}.{handler} "
                                f"uses port name {port!r}, which the container does not declare "
                                f"(named ports: {', '.join(names) or 'none'}); the probe can never succeed",
                                hint="use a name from the container's ports, or the port number",
                                field=fpath,
                            )
                    elif container_ports(c) and not container_exposes(c, port, None):
                        yield finding(
                            "CG-X-004",
                            pt.owner,
                            f"{pt.owner.kind} {pt.owner.name} container {cname}: {probe_name}.{handler} "
                            f"probes port {port}, which is not among the declared container ports "
                            f"({container_ports_text(c)})",
                            hint="the kubelet probes any port, declared or not; declaring it (by name) documents it",
                            field=fpath,
                            severity=Severity.INFO,
                        )


@rule(
    "CG-X-005",
    Severity.WARNING,
    "StatefulSet serviceName is not a headless Service selecting its pods",
    LAYER,
    why=(
        "A StatefulSet's pods get stable DNS names (<pod>.<service>) only from the headless Service named by "
        "serviceName and selecting them; the StatefulSet runs without it, so this is a warning."
    ),
    fix=(
        "render a headless Service (clusterIP: None) with that name selecting the StatefulSet's pods, or "
        "declare it external in .chartgen-check.yaml"
    ),
    example="""\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web-headless
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
def statefulset_service(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for sts in index.kind("StatefulSet", APPS):
        name = as_dict(sts.obj.get("spec")).get("serviceName")
        if not name:
            continue
        ns = index.namespace_of(sts)
        svc = index.get("Service", str(name), ns, CORE)
        if svc is None and opts.is_external("Service", str(name), ns):
            continue
        if svc is None:
            yield finding(
                "CG-X-005",
                sts,
                f"StatefulSet {sts.name}: spec.serviceName {name!r} names no rendered Service; pods get no "
                "stable DNS names (<pod>.<service>)",
                hint=f"render a headless Service {name!r} (clusterIP: None) selecting the StatefulSet's pods, or "
                "fix serviceName",
                field="spec.serviceName",
            )
            continue
        if not is_headless(svc):
            yield finding(
                "CG-X-005",
                sts,
                f"StatefulSet {sts.name}: spec.serviceName {name!r} is not headless (clusterIP is not None); "
                "per-pod DNS records are only published by a headless Service",
                hint=f"set clusterIP: None on Service {name} (add a separate ClusterIP Service for clients)",
                field="spec.serviceName",
            )
            continue
        pt = pods.template_of(sts)
        sel = service_selector(svc)
        if pt is not None and (
            sel is None or not all(k in pt.labels and str(pt.labels[k]) == str(v) for k, v in sel.items())
        ):
            yield finding(
                "CG-X-005",
                sts,
                f"StatefulSet {sts.name}: headless Service {name!r} does not select its pods (selector "
                f"{fmt_labels(sel or {})}, pod labels {fmt_labels(pt.labels)}); no per-pod DNS records",
                hint=f"make Service {name} select the StatefulSet's pod labels",
                field="spec.serviceName",
            )


@rule(
    "CG-X-006",
    Severity.WARNING,
    "Pod uses a ServiceAccount that is not rendered",
    LAYER,
    why=(
        "Pods are not created until their ServiceAccount exists; it may be created outside the chart, so this"
        " is a warning."
    ),
    fix="render the ServiceAccount (serviceAccount.create=true) or declare it external in .chartgen-check.yaml",
    example="""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web-sa
      containers:
      - name: app
        image: nginx:1.27
        ports: [{name: http, containerPort: 8080}]
""",
)
def service_account(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    names: dict[str, list[str | None]] = {}
    for d in index.kind("ServiceAccount", CORE):
        names.setdefault(d.name, []).append(index.namespace_of(d))
    for pt in index.pod_templates:
        spec = pt.spec
        field = "serviceAccountName" if spec.get("serviceAccountName") else "serviceAccount"
        sa = spec.get("serviceAccountName") or spec.get("serviceAccount")
        if not sa or sa == "default":
            continue
        ns = index.namespace_of(pt.owner)
        if any(ManifestIndex._same_ns(sns, ns) for sns in names.get(str(sa), ())):
            continue
        if opts.is_external("ServiceAccount", str(sa), ns):
            continue
        yield finding(
            "CG-X-006",
            pt.owner,
            f"{pt.owner.kind} {pt.owner.name}: ServiceAccount {sa!r} is not in the rendered manifests; pods "
            "are not created until it exists",
            hint="render the ServiceAccount (serviceAccount.create=true) or make sure it already exists in the "
            "target namespace (it may be created outside the chart; then this warning can be suppressed)",
            field=f"{pod_spec_field(pt)}.{field}",
        )
