"""Helpers shared by the rule modules (chartgen/check/rules/*): value coercion, API groups, name and label
syntax (k8s.io/apimachinery/pkg/util/validation), label selectors, the pod lookup and container/Service ports.

Namespaces: rendered charts usually omit ``metadata.namespace`` (Helm fills it in at install time), so an absent
namespace matches any namespace, as in :class:`~chartgen.check.model.ManifestIndex`.

Helm hook pods (``helm.sh/hook`` annotated, e.g. the ``helm create`` test pod that carries the same labels as the
app) are transient: they are never counted as the pods that back a Service, PDB or NetworkPolicy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from chartgen.check.model import Document, Finding, ManifestIndex, PodTemplate, Severity
from chartgen.check.model import api_group_of as api_group
from chartgen.core import k8snames
from chartgen.core.record import Record, record

T = TypeVar("T")


HOOK_ANNOTATION = "helm.sh/hook"


def hook_of(doc: Document) -> str | None:
    """The value of the ``helm.sh/hook`` annotation, or None for ordinary release objects."""
    value = doc.annotations.get(HOOK_ANNOTATION)
    return str(value) if value else None


def is_hook(doc: Document) -> bool:
    return hook_of(doc) is not None


def is_test_hook(doc: Document) -> bool:
    hook = hook_of(doc)
    return hook is not None and any(h.strip().startswith("test") for h in hook.split(","))


def as_int(value: Any) -> int | None:
    """An int for ints and digit strings ("8080"), None for names, bools and anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


_PERCENT = re.compile(r"^(\d+)%$")


def int_or_percent(value: Any) -> tuple[int, bool] | None:
    """(number, is percent) of an IntOrString such as 1 or "25%"; None otherwise (a digit string like "1" is not an
    int for the API server: "must be an integer or percentage")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, False
    if isinstance(value, str) and (m := _PERCENT.match(value)):
        return int(m.group(1)), True
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def fmt_labels(labels: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in labels.items()) + "}"


def expressions_match(expressions: list[Any], labels: dict[str, Any]) -> bool:
    """matchExpressions semantics of a metav1.LabelSelector."""
    for expr in expressions:
        if not isinstance(expr, dict):
            continue
        key = str(expr.get("key"))
        op = str(expr.get("operator", ""))
        values = [str(v) for v in as_list(expr.get("values"))]
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
    sel = as_dict(selector)
    for k, v in as_dict(sel.get("matchLabels")).items():
        if k not in labels or str(labels[k]) != str(v):
            return False
    return expressions_match(as_list(sel.get("matchExpressions")), labels)


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


RUN_TO_COMPLETION_KINDS = ("Job", "CronJob")


def same_namespace(a: str | None, b: str | None) -> bool:
    """Rendered charts often omit metadata.namespace: an absent namespace matches any."""
    return ManifestIndex._same_ns(a, b)


def map_selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A plain map selector (Service spec.selector, Istio workloadSelector / selector.matchLabels)."""
    return all(k in labels and str(labels[k]) == str(v) for k, v in selector.items())


class PodLookup:
    """Label index over the pod templates of one ManifestIndex, so selector lookups are set intersections."""

    def __init__(self, index: ManifestIndex) -> None:
        self.index = index
        self.templates: list[PodTemplate] = list(index.pod_templates)
        self.hook = [is_hook(pt.owner) for pt in self.templates]
        self.job = [pt.owner.kind in RUN_TO_COMPLETION_KINDS for pt in self.templates]
        self.ns = [index.namespace_of(pt.owner) for pt in self.templates]
        self.by_label: dict[tuple[str, str], set[int]] = {}
        self.by_owner: dict[int, PodTemplate] = {}
        self._cache: dict[tuple[Any, ...], list[PodTemplate]] = {}
        for i, pt in enumerate(self.templates):
            self.by_owner[id(pt.owner)] = pt
            for k, v in pt.labels.items():
                self.by_label.setdefault((str(k), str(v)), set()).add(i)

    @classmethod
    def of(cls, index: ManifestIndex) -> PodLookup:
        return index_cache(index, "_cg_pod_lookup", lambda: cls(index))

    def template_of(self, doc: Document) -> PodTemplate | None:
        return self.by_owner.get(id(doc))

    def select(
        self,
        match_labels: dict[str, Any] | None,
        namespace: str | None,
        *,
        expressions: list[Any] | None = None,
        include_hooks: bool = False,
        include_jobs: bool = True,
    ) -> list[PodTemplate]:
        """Pod templates whose labels satisfy matchLabels (+ matchExpressions) in a compatible namespace.

        An empty selector selects every pod template of the namespace (PDB / NetworkPolicy semantics); callers
        for which an empty selector means "nothing" (a Service) must check that themselves. Helm hooks are left
        out unless include_hooks, Jobs and CronJobs when not include_jobs (long-running pods only).
        """
        ml = {str(k): str(v) for k, v in as_dict(match_labels).items()}
        # Repeated selectors (copies of one chart, many Services over one workload) are answered once: a set
        # of N identical Services costs N lookups, not N intersections of N-element sets.
        key = (tuple(sorted(ml.items())), namespace, repr(expressions) if expressions else "", include_hooks,
               include_jobs)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._select(ml, namespace, expressions, include_hooks, include_jobs)
        return cached

    def _select(self, ml: dict[str, str], namespace: str | None, expressions: list[Any] | None,
                include_hooks: bool, include_jobs: bool) -> list[PodTemplate]:
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
            if (self.hook[i] and not include_hooks) or (self.job[i] and not include_jobs):
                continue
            if not ManifestIndex._same_ns(self.ns[i], namespace):
                continue
            if expressions and not expressions_match(expressions, self.templates[i].labels):
                continue
            out.append(self.templates[i])
        return out

    def select_label_selector(
        self, selector: dict[str, Any] | None, namespace: str | None, *, include_hooks: bool = False
    ) -> list[PodTemplate]:
        sel = as_dict(selector)
        return self.select(
            as_dict(sel.get("matchLabels")),
            namespace,
            expressions=as_list(sel.get("matchExpressions")),
            include_hooks=include_hooks,
        )


CopyKey = tuple[tuple[str, int], ...]


def runtime_label_near_miss(
    pods: PodLookup, selector: dict[str, Any], namespace: str | None
) -> tuple[PodTemplate, list[str]] | None:
    """A long-running pod template that matches every key of a map selector except keys that no template of the
    namespace carries (the application or a controller may add those at runtime), with those keys; None when no
    template does (at least one key must match, and no template may carry a missing key with any value)."""
    ns_templates = pods.select({}, namespace)
    carried = {str(k) for pt in ns_templates for k in pt.labels}
    absent = sorted(str(k) for k in selector if str(k) not in carried)
    present = {str(k): v for k, v in selector.items() if str(k) in carried}
    if not absent or not present:
        return None
    matching = pods.select(present, namespace)
    return (matching[0], absent) if matching else None


def copy_key(pt: PodTemplate) -> CopyKey:
    """Equal for pod templates whose owners are copies: the very same value objects under the same keys. The loader
    shares equal top-level values (`metadata`, `spec`, `kind`...), so plain repeated copies of a workload have equal
    keys; objects built otherwise just never are copies. The objects are kept alive by the documents, so their ids
    are stable while the index lives."""
    return tuple((k, id(v)) for k, v in pt.owner.obj.items())


def distinct_copies(index: ManifestIndex, pods: list[PodTemplate]) -> list[PodTemplate]:
    """`pods` without the copies of an earlier one (order kept). A copy gets every verdict and every message text of
    the template it copies, except its file and document position, so a rule that reports on the selecting object
    (a Service, a DestinationRule, a policy) and not per pod may judge the first of each set only. Computed once per
    list object (PodLookup keeps its answers): N copies of a Service selecting N copies of a workload cost N + N,
    not N x N."""
    memo: dict[int, tuple[list[PodTemplate], list[PodTemplate]]] = index_cache(index, "_cg_distinct_copies", dict)
    hit = memo.get(id(pods))
    if hit is not None and hit[0] is pods:
        return hit[1]
    seen: set[CopyKey] = set()
    out = []
    for pt in pods:
        key = copy_key(pt)
        if key not in seen:
            seen.add(key)
            out.append(pt)
    memo[id(pods)] = (pods, out)  # the list is kept with its answer, so its id is not reused while cached
    return out


def serving_containers(pt: PodTemplate) -> list[dict[str, Any]]:
    """Containers that can serve traffic: regular containers plus native sidecars (restartPolicy Always)."""
    out = list(pt.containers)
    for c in as_list(pt.spec.get("initContainers")):
        if isinstance(c, dict) and c.get("restartPolicy") == "Always":
            out.append(c)
    return out


def all_containers(pt: PodTemplate) -> list[tuple[str, int, dict[str, Any]]]:
    """(list field, position, container) for containers, initContainers and ephemeralContainers."""
    out = []
    for field in ("containers", "initContainers", "ephemeralContainers"):
        for i, c in enumerate(as_list(pt.spec.get(field))):
            if isinstance(c, dict):
                out.append((field, i, c))
    return out


def container_ports(container: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in as_list(container.get("ports")) if isinstance(p, dict)]


def proto(value: Any) -> str:
    return str(value or "TCP").upper()


def container_exposes(container: dict[str, Any], port: Any, protocol: str | None = "TCP") -> bool:
    """Does the container declare this port, by number or by name (and protocol, unless None)?"""
    num = as_int(port)
    for p in container_ports(container):
        if protocol is not None and proto(p.get("protocol")) != proto(protocol):
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


def container_ports_text(container: dict[str, Any]) -> str:
    return (
        ", ".join(
            f"{p.get('name')}={p.get('containerPort')}" if p.get("name") else str(p.get("containerPort"))
            for p in container_ports(container)
        )
        or "none"
    )


def owner_text(pt: PodTemplate) -> str:
    return f"{pt.owner.kind} {pt.owner.name}"


def service_selector(svc: Document) -> dict[str, Any] | None:
    """The selector of a Service that routes to pods, or None (ExternalName, no selector: manual endpoints)."""
    spec = as_dict(svc.obj.get("spec"))
    if spec.get("type") == "ExternalName":
        return None
    sel = spec.get("selector")
    if not isinstance(sel, dict) or not sel:
        return None
    return sel


def is_headless(svc: Document) -> bool:
    return str(as_dict(svc.obj.get("spec")).get("clusterIP", "")) == "None"


def service_ports(svc: Document) -> list[dict[str, Any]]:
    return [p for p in as_list(as_dict(svc.obj.get("spec")).get("ports")) if isinstance(p, dict)]


def pod_spec_field(pt: PodTemplate) -> str:
    """Field path prefix of a pod spec inside its owner document."""
    kind = pt.owner.kind
    if kind == "Pod":
        return "spec"
    if kind == "CronJob":
        return "spec.jobTemplate.spec.template.spec"
    return "spec.template.spec"


def spec_of(doc: Document) -> dict[str, Any]:
    return as_dict(doc.obj.get("spec"))


@record
class Container(Record):
    """One container of a pod template, with its list, position and field path."""

    group: str  # containers | initContainers | ephemeralContainers
    position: int
    obj: dict[str, Any]
    path: str  # e.g. spec.template.spec.containers[0]

    @property
    def name(self) -> str:
        return str(self.obj.get("name", self.position))

    @property
    def native_sidecar(self) -> bool:
        return self.group == "initContainers" and self.obj.get("restartPolicy") == "Always"

    @property
    def what(self) -> str:
        kind = {"containers": "container", "initContainers": "init container",
                "ephemeralContainers": "ephemeral container"}[self.group]
        return f"{kind} {self.name}"


def containers(pt: PodTemplate, groups: tuple[str, ...] = ("initContainers", "containers")) -> Iterator[Container]:
    base = pod_spec_field(pt)
    for group in groups:
        for i, c in enumerate(as_list(as_dict(pt.spec).get(group))):
            if isinstance(c, dict):
                yield Container(group, i, c, f"{base}.{group}[{i}]")


SIDECAR_INJECT = "sidecar.istio.io/inject"


def template_annotations(pt: PodTemplate) -> dict[str, Any]:
    if pt.owner.kind == "Pod":
        return pt.owner.annotations
    spec = spec_of(pt.owner)
    if pt.owner.kind == "CronJob":
        spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    return as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("annotations"))


def injection_disabled(pt: PodTemplate) -> bool:
    """Does the pod template opt out of Istio sidecar injection (label or annotation sidecar.istio.io/inject)?"""
    return any(str(source.get(SIDECAR_INJECT, "")).lower() == "false"
               for source in (pt.labels, template_annotations(pt)))


def pods_for_selector(index: ManifestIndex, selector: Any, namespace: str | None, *,
                      plain_map: bool = False) -> list[PodTemplate]:
    """Long-running pod templates (no Jobs, CronJobs or hooks) a selector picks: a metav1.LabelSelector, or a
    plain map when plain_map."""
    pods = PodLookup.of(index)
    if plain_map:
        return pods.select(as_dict(selector), namespace, include_jobs=False)
    sel = as_dict(selector)
    return pods.select(as_dict(sel.get("matchLabels")), namespace, expressions=as_list(sel.get("matchExpressions")),
                       include_jobs=False)


def pods_of_service(index: ManifestIndex, svc: Document) -> list[PodTemplate]:
    sel = service_selector(svc)
    if sel is None:
        return []
    return pods_for_selector(index, sel, index.namespace_of(svc), plain_map=True)


def services_of_pods(index: ManifestIndex) -> dict[int, list[Document]]:
    """id(pod template owner) -> the Services selecting its pods, built once."""
    def build() -> dict[int, list[Document]]:
        out: dict[int, list[Document]] = {}
        for svc in index.kind("Service"):
            for pt in pods_of_service(index, svc):
                out.setdefault(id(pt.owner), []).append(svc)
        return out

    return index_cache(index, "_cg_services_of_pods", build)


def resolve_port(pt: PodTemplate, port: Any, protocol: str = "TCP") -> int | None:
    """The container port number a Service targetPort / NetworkPolicy port means for this pod (None: unresolved)."""
    num = as_int(port)
    if num is not None:
        return num
    for c in serving_containers(pt):
        for p in container_ports(c):
            if str(p.get("name", "")) == str(port) and proto(p.get("protocol")) == protocol:
                return as_int(p.get("containerPort"))
    return None


def service_target_ports(svc: Document) -> list[tuple[int, dict[str, Any], Any]]:
    """(position, Service port, targetPort after defaulting to port) for every Service port."""
    out = []
    for i, p in enumerate(as_list(spec_of(svc).get("ports"))):
        if isinstance(p, dict):
            out.append((i, p, p.get("targetPort", p.get("port"))))
    return out


WORKLOAD_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


# Groups served by kube-apiserver itself (current and removed ones): no CRD can live in them.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "admission.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "auditregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "extensions",
        "flowcontrol.apiserver.k8s.io",
        "imagepolicy.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "settings.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)


CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersion",
        "StorageVersionMigration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})


def is_istio_group(group: str) -> bool:
    return group == "istio.io" or group.endswith(".istio.io")


def is_object(doc: Document) -> bool:
    """A mapping with a non-empty string apiVersion and kind (otherwise CG-API-001 reports it)."""
    obj = doc.obj
    av, kind = obj.get("apiVersion"), obj.get("kind")
    return isinstance(av, str) and bool(av) and isinstance(kind, str) and bool(kind)


_DNS1123_LABEL = k8snames.DNS1123_LABEL


_DNS1123_SUBDOMAIN = k8snames.DNS1123_SUBDOMAIN


_DNS1035_LABEL = k8snames.DNS1035_LABEL


_QUALIFIED_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")


def dns1123_label_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(f"must be no more than 63 characters (has {len(value)})")
    if not _DNS1123_LABEL.match(value):
        errs.append(
            "must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def dns1123_subdomain_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(f"must be no more than 253 characters (has {len(value)})")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            "must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def dns1035_label_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(f"must be no more than 63 characters (has {len(value)})")
    if not _DNS1035_LABEL.match(value):
        errs.append(
            "must consist of lower case alphanumeric characters or '-', start with an alphabetic "
            "character, and end with an alphanumeric character"
        )
    return errs


def qualified_name_errors(value: str) -> list[str]:
    """A label key / annotation key / appProtocol: `[prefix/]name`."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return ["prefix part must be non-empty"]
        errs = [f"prefix part {e}" for e in dns1123_subdomain_errors(prefix)]
        if errs:
            return errs
    else:
        return ["must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        return ["name part must be non-empty"]
    errs = []
    if len(name) > 63:
        errs.append(f"name part must be no more than 63 characters (has {len(name)})")
    if not _QUALIFIED_NAME_PART.match(name):
        errs.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def label_value_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(f"must be no more than 63 characters (has {len(value)})")
    if not _LABEL_VALUE.match(value):
        errs.append(
            "must be empty or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return errs


def port_name_errors(value: str) -> list[str]:
    """IsValidPortName (IANA_SVC_NAME): <= 15 chars of [-a-z0-9], a letter, no leading/trailing/double '-'."""
    errs = []
    if not 1 <= len(value) <= 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(value):
        errs.append("must contain only lower case alphanumeric characters or '-'")
    if not re.search(r"[a-z]", value):
        errs.append("must contain at least one letter")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def path_segment_errors(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    bad = [c for c in ("/", "%") if c in value]
    return [f"may not contain '{c}'" for c in bad]


def is_ip(text: str) -> bool:
    """Does the text parse as an IPv4 or IPv6 address?"""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def strict_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def join_errors(errs: list[str]) -> str:
    return "; ".join(errs)


def subject(doc: Document) -> str:
    """How a message names its resource: `Service demo/web`, `Deployment (document 3)`, `document 3`."""
    if not doc.kind:
        return f"document {doc.index}"
    if not doc.name:
        return f"{doc.kind} (document {doc.index})"
    return str(doc.ref)


def renders_custom_resources(index: ManifestIndex) -> bool:
    """Does the set hold a custom resource (not a built-in or Istio kind), e.g. one an operator turns into pods?"""
    def build() -> bool:
        return any(
            not (g in BUILTIN_GROUPS or is_istio_group(g))
            for g in (api_group(d.api_version) for d in index.documents if d.kind)
        )

    return index_cache(index, "_cg_custom_resources", build)


def on(doc: Document, message: str) -> str:
    """A message prefixed by its resource: `Service demo/web: spec.type ...`."""
    return f"{subject(doc)}: {message}"


def at(doc: Document, rule_id: str, severity: Severity, message: str, hint: str,
       field: str | None = None) -> Finding:
    """Finding.at with the message prefixed by the resource (the schema layers' builder; rules use
    chartgen.check.registry.finding)."""
    return Finding.at(doc, rule_id, severity, on(doc, message), hint, field=field)


# API groups of the kinds the rules look up: the same kind name in another group is another thing (a
# gateway.networking.k8s.io Gateway has listeners, not Istio's servers).
CORE = ("",)
APPS = ("apps", "extensions")
NETWORKING = ("networking.k8s.io",)
INGRESS_GROUPS = ("networking.k8s.io", "extensions")
AUTOSCALING = ("autoscaling",)
POLICY = ("policy",)
GATEWAY_API = ("gateway.networking.k8s.io",)
ISTIO_NETWORKING = ("networking.istio.io",)
ISTIO_SECURITY = ("security.istio.io",)


def renders_kind_in(index: ManifestIndex, kind: str, groups: tuple[str, ...], namespace: str | None) -> bool:
    """Does the input hold objects of this kind in exactly this namespace? Then it is complete for them, and a
    reference to a missing one is a certain naming bug; otherwise the object may live outside the input."""
    def build() -> set[str | None]:
        return {index.namespace_of(d) for d in index.kind(kind, groups)}

    return namespace in index_cache(index, f"_cg_ns_of_{kind}_{'+'.join(groups)}", build)
