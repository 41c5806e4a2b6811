"""Layer "cross": rules that relate one rendered object to another.

This is where the seed's "Service not accessible" class of bug is caught before a chart ships: a Service whose
selector matches no pod, a targetPort no container exposes, a probe on a port the container does not declare,
a StatefulSet pointing at a Service that is not headless, and so on.

Namespaces: rendered charts usually omit ``metadata.namespace`` (Helm fills it in at install time), so an
absent namespace matches any namespace, as in :class:`~chartgen.check.model.ManifestIndex`.

Helm hook pods (``helm.sh/hook`` annotated, e.g. the ``helm create`` test pod that carries the same labels as the
app) are transient: they are never counted as the pods that back a Service, PDB or NetworkPolicy.

The small helpers at the top (label selectors, the pod lookup, port matching) are shared with ``istio.py`` and
``posture.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.registry import rule

LAYER = "cross"
T = TypeVar("T")
HOOK_ANNOTATION = "helm.sh/hook"

# --------------------------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------------------------


def hook_of(doc: Document) -> str | None:
    """The value of the ``helm.sh/hook`` annotation, or None for ordinary release objects."""
    value = doc.annotations.get(HOOK_ANNOTATION)
    return str(value) if value else None


def is_hook(doc: Document) -> bool:
    return hook_of(doc) is not None


def is_test_hook(doc: Document) -> bool:
    hook = hook_of(doc)
    return bool(hook) and any(h.strip().startswith("test") for h in hook.split(","))


def as_int(value: Any) -> int | None:
    """An int for ints and digit strings ("8080"), None for names, bools and anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def fmt_labels(labels: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in labels.items()) + "}"


def expressions_match(expressions: list[Any], labels: dict[str, Any]) -> bool:
    """matchExpressions semantics of a metav1.LabelSelector."""
    for expr in expressions:
        if not isinstance(expr, dict):
            continue
        key = expr.get("key")
        op = str(expr.get("operator", ""))
        values = [str(v) for v in _list(expr.get("values"))]
        present = key in labels
        if op == "In" and not (present and str(labels[key]) in values):
            return False
        if op == "NotIn" and present and str(labels[key]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, Any]) -> bool:
    """A metav1.LabelSelector (matchLabels + matchExpressions) against a label set. Empty selects everything."""
    sel = _dict(selector)
    for k, v in _dict(sel.get("matchLabels")).items():
        if k not in labels or str(labels[k]) != str(v):
            return False
    return expressions_match(_list(sel.get("matchExpressions")), labels)


def index_cache(index: ManifestIndex, key: str, factory: Callable[[], T]) -> T:
    """A value derived from the index, computed once per index (stored on the instance)."""
    store = getattr(index, "__dict__", None)
    if store is None:  # no instance dict (slots): compute every time
        return factory()
    if key not in store:
        store[key] = factory()
    return store[key]


def rendered_namespaces(index: ManifestIndex) -> set[str]:
    """Namespaces the chart renders into: explicit metadata.namespace values plus the index's default."""
    def build() -> set[str]:
        out = {d.namespace for d in index.documents if d.namespace}
        if index.default_namespace:
            out.add(index.default_namespace)
        return out

    return index_cache(index, "_cg_namespaces", build)


class PodLookup:
    """Label index over the pod templates of one ManifestIndex, so selector lookups are set intersections."""

    def __init__(self, index: ManifestIndex) -> None:
        self.index = index
        self.templates: list[PodTemplate] = list(index.pod_templates)
        self.hook = [is_hook(pt.owner) for pt in self.templates]
        self.ns = [index.namespace_of(pt.owner) for pt in self.templates]
        self.by_label: dict[tuple[str, str], set[int]] = {}
        self.by_owner: dict[int, PodTemplate] = {}
        for i, pt in enumerate(self.templates):
            self.by_owner[id(pt.owner)] = pt
            for k, v in pt.labels.items():
                self.by_label.setdefault((k, str(v)), set()).add(i)

    @classmethod
    def of(cls, index: ManifestIndex) -> PodLookup:
        return index_cache(index, "_cg_pod_lookup", lambda: cls(index))

    def template_of(self, doc: Document) -> PodTemplate | None:
        return self.by_owner.get(id(doc))

    def select(self, match_labels: dict[str, Any] | None, namespace: str | None, *,
               expressions: list[Any] | None = None, include_hooks: bool = False) -> list[PodTemplate]:
        """Pod templates whose labels satisfy matchLabels (+ matchExpressions) in a compatible namespace.

        An empty selector selects every pod template of the namespace (PDB / NetworkPolicy semantics); callers
        for which an empty selector means "nothing" (a Service) must check that themselves.
        """
        ml = {str(k): str(v) for k, v in _dict(match_labels).items()}
        if ml:
            sets = []
            for pair in ml.items():
                s = self.by_label.get(pair)
                if not s:
                    return []
                sets.append(s)
            sets.sort(key=len)
            candidates: Iterable[int] = sorted(set.intersection(*sets)) if len(sets) > 1 else sorted(sets[0])
        else:
            candidates = range(len(self.templates))
        out = []
        for i in candidates:
            if self.hook[i] and not include_hooks:
                continue
            if not ManifestIndex._same_ns(self.ns[i], namespace):
                continue
            if expressions and not expressions_match(expressions, self.templates[i].labels):
                continue
            out.append(self.templates[i])
        return out

    def select_label_selector(self, selector: dict[str, Any] | None, namespace: str | None, *,
                              include_hooks: bool = False) -> list[PodTemplate]:
        sel = _dict(selector)
        return self.select(_dict(sel.get("matchLabels")), namespace,
                           expressions=_list(sel.get("matchExpressions")), include_hooks=include_hooks)


def serving_containers(pt: PodTemplate) -> list[dict[str, Any]]:
    """Containers that can serve traffic: regular containers plus native sidecars (restartPolicy Always)."""
    out = list(pt.containers)
    for c in _list(pt.spec.get("initContainers")):
        if isinstance(c, dict) and c.get("restartPolicy") == "Always":
            out.append(c)
    return out


def all_containers(pt: PodTemplate) -> list[tuple[str, int, dict[str, Any]]]:
    """(list field, position, container) for containers, initContainers and ephemeralContainers."""
    out = []
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for i, c in enumerate(_list(pt.spec.get(field))):
            if isinstance(c, dict):
                out.append((field, i, c))
    return out


def container_ports(container: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in _list(container.get("ports")) if isinstance(p, dict)]


def _proto(value: Any) -> str:
    return str(value or "TCP").upper()


def container_exposes(container: dict[str, Any], port: Any, protocol: str | None = "TCP") -> bool:
    """Does the container declare this port, by number or by name (and protocol, unless None)?"""
    num = as_int(port)
    for p in container_ports(container):
        if protocol is not None and _proto(p.get("protocol")) != _proto(protocol):
            continue
        if num is not None and as_int(p.get("containerPort")) == num:
            return True
        if num is None and p.get("name") is not None and str(p.get("name")) == str(port):
            return True
    return False


def pod_exposes(pt: PodTemplate, port: Any, protocol: str = "TCP") -> bool:
    return any(container_exposes(c, port, protocol) for c in serving_containers(pt))


def pod_declares_ports(pt: PodTemplate) -> bool:
    return any(container_ports(c) for c in serving_containers(pt))


def declared_ports_text(pts: Iterable[PodTemplate]) -> str:
    seen: list[str] = []
    for pt in pts:
        for c in serving_containers(pt):
            for p in container_ports(c):
                text = f"{p.get('name')}={p.get('containerPort')}" if p.get("name") else str(p.get("containerPort"))
                if text not in seen:
                    seen.append(text)
    return ", ".join(seen) or "none"


def _container_ports_text(container: dict[str, Any]) -> str:
    return ", ".join(f"{p.get('name')}={p.get('containerPort')}" if p.get("name") else str(p.get("containerPort"))
                     for p in container_ports(container)) or "none"


def owner_text(pt: PodTemplate) -> str:
    return f"{pt.owner.kind} {pt.owner.name}"


def service_selector(svc: Document) -> dict[str, Any] | None:
    """The selector of a Service that routes to pods, or None (ExternalName, no selector: manual endpoints)."""
    spec = _dict(svc.obj.get("spec"))
    if spec.get("type") == "ExternalName":
        return None
    sel = spec.get("selector")
    if not isinstance(sel, dict) or not sel:
        return None
    return sel


def is_headless(svc: Document) -> bool:
    return str(_dict(svc.obj.get("spec")).get("clusterIP", "")) == "None"


def service_ports(svc: Document) -> list[dict[str, Any]]:
    return [p for p in _list(_dict(svc.obj.get("spec")).get("ports")) if isinstance(p, dict)]


def pod_spec_field(pt: PodTemplate) -> str:
    """Field path prefix of a pod spec inside its owner document."""
    kind = pt.owner.kind
    if kind == "Pod":
        return "spec"
    if kind == "CronJob":
        return "spec.jobTemplate.spec.template.spec"
    return "spec.template.spec"


def _f(doc: Document, rule_id: str, severity: Severity, message: str, hint: str, field: str | None) -> Finding:
    return Finding.at(doc, rule_id, severity, message, hint, field=field)


# --------------------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------------------


@rule("CG-X-001", Severity.ERROR, "Service selector matches no pod template", LAYER)
def service_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for svc in index.kind("Service"):
        sel = service_selector(svc)
        if sel is None:
            continue
        if pods.select(sel, index.namespace_of(svc)):
            continue
        hooks_only = pods.select(sel, index.namespace_of(svc), include_hooks=True)
        extra = " (only Helm hook pods match, and they are not long-running)" if hooks_only else ""
        yield _f(svc, "CG-X-001", Severity.ERROR,
                 f"Service {svc.name}: selector {fmt_labels(sel)} matches no pod template in the rendered "
                 f"manifests{extra}; the Service has no endpoints and is not accessible",
                 "make spec.selector a subset of the pod template labels of the workload it fronts "
                 "(use the same selectorLabels helper in both templates)",
                 "spec.selector")


WORKLOAD_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@rule("CG-X-002", Severity.ERROR, "Workload selector does not match its own pod template labels", LAYER)
def workload_selector_mismatch(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    kinds = list(WORKLOAD_SELECTOR_KINDS) + ["Job"]
    pods = PodLookup.of(index)
    for kind in kinds:
        for doc in index.kind(kind):
            spec = _dict(doc.obj.get("spec"))
            sel = spec.get("selector")
            if kind == "Job" and not spec.get("manualSelector"):
                continue  # the Job controller generates the selector
            if not isinstance(sel, dict):
                continue  # a missing selector is a schema error, reported by the schema layer
            pt = pods.template_of(doc)
            if pt is None:
                continue
            if not _dict(sel.get("matchLabels")) and not _list(sel.get("matchExpressions")):
                yield _f(doc, "CG-X-002", Severity.ERROR,
                         f"{kind} {doc.name}: spec.selector is empty; the API server rejects an empty selector",
                         "set spec.selector.matchLabels to the chart's selector labels", "spec.selector")
                continue
            if not selector_matches(sel, pt.labels):
                yield _f(doc, "CG-X-002", Severity.ERROR,
                         f"{kind} {doc.name}: spec.selector {fmt_labels(_dict(sel.get('matchLabels')))} does not "
                         f"match the pod template labels {fmt_labels(pt.labels)}; the API server rejects it "
                         "(`selector` does not match template `labels`)",
                         "render spec.selector.matchLabels and spec.template.metadata.labels from the same "
                         "selectorLabels helper; every selector label must appear on the pod template",
                         "spec.selector")


@rule("CG-X-003", Severity.ERROR, "Service targetPort is not exposed by any selected container", LAYER)
def service_target_port(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Named targetPorts are resolved per pod against containerPort names: no match means no endpoint (ERROR).
    # A numeric targetPort is forwarded even if undeclared (containerPort is informational), so it is an ERROR
    # only when the selected containers declare ports and none of them is that number (a mismatch the chart
    # states itself); when they declare no ports at all we cannot tell and say so as a WARNING.
    pods = PodLookup.of(index)
    for svc in index.kind("Service"):
        sel = service_selector(svc)
        if sel is None:
            continue
        selected = pods.select(sel, index.namespace_of(svc))
        if not selected:
            continue  # CG-X-001
        for i, port in enumerate(service_ports(svc)):
            target = port.get("targetPort", port.get("port"))
            if target is None:
                continue
            proto = _proto(port.get("protocol"))
            num = as_int(target)
            field = f"spec.ports[{i}].targetPort" if "targetPort" in port else f"spec.ports[{i}].port"
            label = f"port {port.get('name') or port.get('port')}"
            exposing = [pt for pt in selected if pod_exposes(pt, target, proto)]
            if exposing:
                missing = [pt for pt in selected if pt not in exposing]
                if missing:
                    names = ", ".join(owner_text(pt) for pt in missing)
                    yield _f(svc, "CG-X-003", Severity.WARNING,
                             f"Service {svc.name} {label}: targetPort {target!r} is exposed by some selected pods "
                             f"but not by {names}; traffic sent to those pods fails",
                             "narrow spec.selector to the pods that serve this port, or declare the port on "
                             "every selected container", field)
                continue
            declared = declared_ports_text(selected)
            owners = ", ".join(owner_text(pt) for pt in selected)
            if num is None:
                yield _f(svc, "CG-X-003", Severity.ERROR,
                         f"Service {svc.name} {label}: targetPort {target!r} names no {proto} containerPort of the "
                         f"selected pods ({owners}; declared: {declared}); the Service has no endpoints for it",
                         "set targetPort to a containerPort name the container declares (or add "
                         f"`ports: [{{name: {target}, containerPort: <n>}}]` to the container)", field)
            elif any(pod_declares_ports(pt) for pt in selected):
                yield _f(svc, "CG-X-003", Severity.ERROR,
                         f"Service {svc.name} {label}: targetPort {num} is not a {proto} containerPort of the "
                         f"selected pods ({owners}; declared: {declared}); traffic goes to a port nothing "
                         "listens on",
                         "point targetPort at the containerPort (prefer the port's name), or fix containerPort",
                         field)
            else:
                yield _f(svc, "CG-X-003", Severity.WARNING,
                         f"Service {svc.name} {label}: targetPort {num} cannot be verified: the selected pods "
                         f"({owners}) declare no container ports",
                         "declare the container port (name it) and use the name as targetPort", field)


PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


@rule("CG-X-004", Severity.ERROR, "Probe targets a port the container does not declare", LAYER)
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
                            yield _f(pt.owner, "CG-X-004", Severity.ERROR,
                                     f"{pt.owner.kind} {pt.owner.name} container {cname}: {probe_name}.{handler} "
                                     f"uses port name {port!r}, which the container does not declare "
                                     f"(named ports: {', '.join(names) or 'none'}); the probe can never succeed",
                                     "use a name from the container's ports, or the port number", fpath)
                    elif container_ports(c) and not container_exposes(c, port, None):
                        yield _f(pt.owner, "CG-X-004", Severity.WARNING,
                                 f"{pt.owner.kind} {pt.owner.name} container {cname}: {probe_name}.{handler} "
                                 f"probes port {port}, which is not among the declared container ports "
                                 f"({_container_ports_text(c)})",
                                 "probe a declared port (preferably by name); if the health endpoint really is on "
                                 "a separate management port, declare that port too", fpath)


@rule("CG-X-005", Severity.ERROR, "StatefulSet serviceName is not a headless Service selecting its pods", LAYER)
def statefulset_service(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for sts in index.kind("StatefulSet"):
        name = _dict(sts.obj.get("spec")).get("serviceName")
        if not name:
            continue
        ns = index.namespace_of(sts)
        svc = index.get("Service", str(name), ns)
        if svc is None:
            yield _f(sts, "CG-X-005", Severity.ERROR,
                     f"StatefulSet {sts.name}: spec.serviceName {name!r} names no rendered Service; pods get no "
                     "stable DNS names (<pod>.<service>)",
                     f"render a headless Service {name!r} (clusterIP: None) selecting the StatefulSet's pods, or "
                     "fix serviceName", "spec.serviceName")
            continue
        if not is_headless(svc):
            yield _f(sts, "CG-X-005", Severity.ERROR,
                     f"StatefulSet {sts.name}: spec.serviceName {name!r} is not headless (clusterIP is not None); "
                     "per-pod DNS records are only published by a headless Service",
                     f"set clusterIP: None on Service {name} (add a separate ClusterIP Service for clients)",
                     "spec.serviceName")
            continue
        pt = pods.template_of(sts)
        sel = service_selector(svc)
        if pt is not None and (sel is None or not all(k in pt.labels and str(pt.labels[k]) == str(v)
                                                     for k, v in sel.items())):
            yield _f(sts, "CG-X-005", Severity.ERROR,
                     f"StatefulSet {sts.name}: headless Service {name!r} does not select its pods (selector "
                     f"{fmt_labels(sel or {})}, pod labels {fmt_labels(pt.labels)}); no per-pod DNS records",
                     f"make Service {name} select the StatefulSet's pod labels", "spec.serviceName")


@rule("CG-X-006", Severity.WARNING, "Pod uses a ServiceAccount that is not rendered", LAYER)
def service_account(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    names = {(d.name, index.namespace_of(d)) for d in index.kind("ServiceAccount")}
    for pt in index.pod_templates:
        spec = pt.spec
        field = "serviceAccountName" if spec.get("serviceAccountName") else "serviceAccount"
        sa = spec.get("serviceAccountName") or spec.get("serviceAccount")
        if not sa or sa == "default":
            continue
        ns = index.namespace_of(pt.owner)
        if any(n == sa and ManifestIndex._same_ns(sns, ns) for n, sns in names):
            continue
        yield _f(pt.owner, "CG-X-006", Severity.WARNING,
                 f"{pt.owner.kind} {pt.owner.name}: ServiceAccount {sa!r} is not in the rendered manifests; pods "
                 "are not created until it exists",
                 "render the ServiceAccount (serviceAccount.create=true) or make sure it already exists in the "
                 "target namespace (it may be created outside the chart; then this warning can be suppressed)",
                 f"{pod_spec_field(pt)}.{field}")


SCALABLE_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


@rule("CG-X-007", Severity.ERROR, "HorizontalPodAutoscaler scaleTargetRef names no rendered workload", LAYER)
def hpa_target(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # Built-in scalable kinds are rendered by the chart itself, so a miss is a naming bug (ERROR). Other kinds
    # (Argo Rollout, custom resources with a scale subresource) may be created by an operator: WARNING.
    for hpa in index.kind("HorizontalPodAutoscaler"):
        ref = _dict(_dict(hpa.obj.get("spec")).get("scaleTargetRef"))
        kind, name = ref.get("kind"), ref.get("name")
        if not kind or not name:
            continue
        if index.get(str(kind), str(name), index.namespace_of(hpa)) is not None:
            continue
        builtin = kind in SCALABLE_KINDS
        yield _f(hpa, "CG-X-007", Severity.ERROR if builtin else Severity.WARNING,
                 f"HorizontalPodAutoscaler {hpa.name}: scaleTargetRef {kind}/{name} is not in the rendered "
                 "manifests; the autoscaler scales nothing (FailedGetScale)",
                 "make scaleTargetRef.name the workload's rendered name (same fullname helper)"
                 + ("" if builtin else "; if the target is created by an operator, suppress this warning"),
                 "spec.scaleTargetRef")


def renders_custom_resources(index: ManifestIndex) -> bool:
    """Does the set hold a custom resource (not a built-in or Istio kind), e.g. one an operator turns into pods?"""
    from chartgen.check.api_rules import BUILTIN_GROUPS, api_group, is_istio_group

    def build() -> bool:
        return any(not (g in BUILTIN_GROUPS or is_istio_group(g))
                   for g in (api_group(d.api_version) for d in index.documents if d.kind))

    return index_cache(index, "_cg_custom_resources", build)


@rule("CG-X-008", Severity.ERROR, "PodDisruptionBudget selects no pods", LAYER)
def pdb_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # ERROR when the set renders its own pods in the PDB's namespace and no custom resource: nothing else in the
    # release can create the pods it was meant for, so it is a label bug and drains take the workload down.
    # WARNING otherwise: charts legitimately ship PDBs for pods an operator creates from a custom resource (not
    # visible in the rendered set), or for pods of another release.
    pods = PodLookup.of(index)
    for pdb in index.kind("PodDisruptionBudget"):
        spec = _dict(pdb.obj.get("spec"))
        sel = spec.get("selector")
        if sel is None:
            yield _f(pdb, "CG-X-008", Severity.WARNING,
                     f"PodDisruptionBudget {pdb.name}: no spec.selector, so it selects no pods",
                     "set spec.selector.matchLabels to the workload's selector labels", "spec.selector")
            continue
        ns = index.namespace_of(pdb)
        if pods.select_label_selector(sel, ns):
            continue
        own = [pt for pt in pods.select({}, ns) if pt.owner.kind in WORKLOAD_SELECTOR_KINDS]
        certain = bool(own) and not renders_custom_resources(index)
        yield _f(pdb, "CG-X-008", Severity.ERROR if certain else Severity.WARNING,
                 f"PodDisruptionBudget {pdb.name}: selector {fmt_labels(_dict(_dict(sel).get('matchLabels')))} "
                 "matches no pod template in the rendered manifests; it protects nothing"
                 + (f" (the chart's pods: {', '.join(owner_text(pt) for pt in own)} carry "
                    f"{fmt_labels(own[0].labels)})" if certain else ""),
                 "use the workload's selector labels in spec.selector (if the pods come from an operator or another "
                 "release, suppress this finding)", "spec.selector")


@rule("CG-X-009", Severity.WARNING, "NetworkPolicy podSelector selects no pods", LAYER)
def netpol_selects_nothing(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    pods = PodLookup.of(index)
    for np in index.kind("NetworkPolicy"):
        sel = _dict(np.obj.get("spec")).get("podSelector")
        sel = _dict(sel)
        if not _dict(sel.get("matchLabels")) and not _list(sel.get("matchExpressions")):
            continue  # {} applies to every pod of the namespace: intentional
        if pods.select_label_selector(sel, index.namespace_of(np)):
            continue
        yield _f(np, "CG-X-009", Severity.WARNING,
                 f"NetworkPolicy {np.name}: podSelector {fmt_labels(_dict(sel.get('matchLabels')))} matches no "
                 "pod template in the rendered manifests; the policy has no effect on this chart's pods",
                 "use the workload's selector labels in spec.podSelector", "spec.podSelector")


def _service_has_port(svc: Document, port: Any) -> bool:
    num = as_int(port)
    for p in service_ports(svc):
        if num is not None and as_int(p.get("port")) == num:
            return True
        if num is None and p.get("name") is not None and str(p.get("name")) == str(port):
            return True
    return False


def _ports_text(svc: Document) -> str:
    return ", ".join(f"{p.get('name')}={p.get('port')}" if p.get("name") else str(p.get("port"))
                     for p in service_ports(svc)) or "none"


def _ingress_backends(doc: Document) -> Iterator[tuple[str, Any, str]]:
    """(service name, port number-or-name, field path) of every Service backend of an Ingress."""
    spec = _dict(doc.obj.get("spec"))

    def one(backend: Any, path: str) -> Iterator[tuple[str, Any, str]]:
        b = _dict(backend)
        svc = _dict(b.get("service"))
        if svc.get("name"):  # networking.k8s.io/v1
            port = _dict(svc.get("port"))
            yield str(svc["name"]), port.get("number", port.get("name")), f"{path}.service"
        elif b.get("serviceName"):  # extensions/v1beta1, networking.k8s.io/v1beta1
            yield str(b["serviceName"]), b.get("servicePort"), path

    for key in ("defaultBackend", "backend"):
        if key in spec:
            yield from one(spec[key], f"spec.{key}")
    for ri, r in enumerate(_list(spec.get("rules"))):
        for pi, p in enumerate(_list(_dict(_dict(r).get("http")).get("paths"))):
            yield from one(_dict(p).get("backend"), f"spec.rules[{ri}].http.paths[{pi}].backend")


def _httproute_backends(doc: Document, index: ManifestIndex) -> Iterator[tuple[str, Any, str, str | None]]:
    spec = _dict(doc.obj.get("spec"))
    for ri, r in enumerate(_list(spec.get("rules"))):
        for bi, b in enumerate(_list(_dict(r).get("backendRefs"))):
            b = _dict(b)
            if b.get("kind", "Service") != "Service" or b.get("group", "") not in ("", "core"):
                continue
            if not b.get("name"):
                continue
            yield (str(b["name"]), b.get("port"), f"spec.rules[{ri}].backendRefs[{bi}]",
                   b.get("namespace") or index.namespace_of(doc))


@rule("CG-X-010", Severity.ERROR, "Ingress/HTTPRoute backend Service or port not found", LAYER)
def route_backends(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    # The backend Service missing from the render is only a WARNING (another release in the namespace may own
    # it); a rendered Service without the referenced port is a certain 503 -> ERROR.
    refs: list[tuple[Document, str, Any, str, str | None]] = []
    for ing in index.kind("Ingress"):
        for name, port, field in _ingress_backends(ing):
            refs.append((ing, name, port, field, index.namespace_of(ing)))
    for hr in index.kind("HTTPRoute"):
        for name, port, field, ns in _httproute_backends(hr, index):
            refs.append((hr, name, port, field, ns))
    for doc, name, port, field, ns in refs:
        svc = index.get("Service", name, ns)
        if svc is None:
            yield _f(doc, "CG-X-010", Severity.WARNING,
                     f"{doc.kind} {doc.name}: backend Service {name!r} is not in the rendered manifests",
                     "reference the chart's Service by its rendered name (fullname helper); if it belongs to "
                     "another release, suppress this warning", field)
            continue
        if port is None:
            if doc.kind == "HTTPRoute":
                yield _f(doc, "CG-X-010", Severity.ERROR,
                         f"HTTPRoute {doc.name}: backendRef to Service {name!r} has no port (required for "
                         "Service backends)", f"set port to one of the Service ports ({_ports_text(svc)})", field)
            continue
        if not _service_has_port(svc, port):
            yield _f(doc, "CG-X-010", Severity.ERROR,
                     f"{doc.kind} {doc.name}: backend port {port!r} is not a port of Service {name} "
                     f"(ports: {_ports_text(svc)}); requests fail with 503",
                     "use the Service's port number or name (not the containerPort)", field)
