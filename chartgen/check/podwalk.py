"""Small public helpers the recall rule modules share: typed access to parsed YAML, pod templates with their field
paths, label selectors, and the ports a pod answers on.

Only public names of chartgen.check.model are used, so this module does not depend on the other rule modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from chartgen.check.model import Document, ManifestIndex, PodTemplate

HOOK_ANNOTATION = "helm.sh/hook"
SIDECAR_INJECT = "sidecar.istio.io/inject"


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    """An int for ints and digit strings ("8080"), None for names, bools and anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def strict_int(value: Any) -> int | None:
    """An int only for a YAML integer (not a string, not a bool)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def spec_of(doc: Document) -> dict[str, Any]:
    return as_dict(doc.obj.get("spec"))


def is_hook(doc: Document) -> bool:
    return bool(doc.annotations.get(HOOK_ANNOTATION))


# --- pod templates -------------------------------------------------------------------------------------------


def pod_spec_path(owner: Document) -> str:
    """Field path of the pod spec inside its owner document."""
    if owner.kind == "Pod":
        return "spec"
    if owner.kind == "CronJob":
        return "spec.jobTemplate.spec.template.spec"
    return "spec.template.spec"


@dataclass(frozen=True)
class Container:
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
    base = pod_spec_path(pt.owner)
    for group in groups:
        for i, c in enumerate(as_list(as_dict(pt.spec).get(group))):
            if isinstance(c, dict):
                yield Container(group, i, c, f"{base}.{group}[{i}]")


def serving_containers(pt: PodTemplate) -> list[dict[str, Any]]:
    """Containers that can serve traffic: regular containers plus native sidecars (restartPolicy Always)."""
    return [c.obj for c in containers(pt) if c.group == "containers" or c.native_sidecar]


def template_annotations(pt: PodTemplate) -> dict[str, Any]:
    if pt.owner.kind == "Pod":
        return pt.owner.annotations
    spec = spec_of(pt.owner)
    if pt.owner.kind == "CronJob":
        spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    return as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("annotations"))


def injection_disabled(pt: PodTemplate) -> bool:
    """Does the pod template opt out of Istio sidecar injection (label or annotation sidecar.istio.io/inject)?"""
    for source in (pt.labels, template_annotations(pt)):
        if str(source.get(SIDECAR_INJECT, "")).lower() == "false":
            return True
    return False


# --- label selectors -----------------------------------------------------------------------------------------


def expressions_match(expressions: list[Any], labels: dict[str, Any]) -> bool:
    for expr in expressions:
        if not isinstance(expr, dict):
            continue
        key, op = str(expr.get("key")), str(expr.get("operator", ""))
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


def label_selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    """metav1.LabelSelector semantics (matchLabels + matchExpressions); an empty selector selects everything."""
    sel = as_dict(selector)
    for k, v in as_dict(sel.get("matchLabels")).items():
        if k not in labels or str(labels[k]) != str(v):
            return False
    return expressions_match(as_list(sel.get("matchExpressions")), labels)


def map_selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A plain map selector (Service spec.selector, Istio workloadSelector.matchLabels)."""
    return all(k in labels and str(labels[k]) == str(v) for k, v in selector.items())


def same_namespace(a: str | None, b: str | None) -> bool:
    """Rendered charts often omit metadata.namespace: an absent namespace matches any."""
    return a is None or b is None or a == b


T = TypeVar("T")


def cached(index: ManifestIndex, key: str, factory: Callable[[], T]) -> T:
    """A value derived from the index, computed once per index (kept on the instance)."""
    store = index.__dict__
    if key not in store:
        store[key] = factory()
    return cast(T, store[key])


class PodIndex:
    """The pod templates of one ManifestIndex by label pair, namespace and owner, so selector lookups cost the
    size of the answer, not the size of the input."""

    def __init__(self, index: ManifestIndex) -> None:
        self.index = index
        self.templates = list(index.pod_templates)
        self.namespaces = [index.namespace_of(pt.owner) for pt in self.templates]
        self.long_running = [pt.owner.kind not in ("Job", "CronJob") and not is_hook(pt.owner)
                             for pt in self.templates]
        self.by_label: dict[tuple[str, str], list[int]] = {}
        self.by_owner: dict[int, PodTemplate] = {}
        for i, pt in enumerate(self.templates):
            self.by_owner[id(pt.owner)] = pt
            for k, v in pt.labels.items():
                self.by_label.setdefault((str(k), str(v)), []).append(i)

    @classmethod
    def of(cls, index: ManifestIndex) -> PodIndex:
        return cached(index, "_cg_recall_pod_index", lambda: cls(index))

    def template_of(self, owner: Document) -> PodTemplate | None:
        return self.by_owner.get(id(owner))

    def select(self, match_labels: dict[str, Any], namespace: str | None, *, expressions: list[Any] | None = None,
               long_running: bool = True) -> list[PodTemplate]:
        """Templates whose labels include match_labels (and satisfy expressions); {} selects every template."""
        pairs = [(str(k), str(v)) for k, v in match_labels.items()]
        if pairs:
            lists = sorted((self.by_label.get(pair, []) for pair in pairs), key=len)
            rest = [set(lst) for lst in lists[1:]]
            candidates: list[int] = [i for i in lists[0] if all(i in r for r in rest)]
        else:
            candidates = list(range(len(self.templates)))
        out = []
        for i in candidates:
            if long_running and not self.long_running[i]:
                continue
            if not same_namespace(self.namespaces[i], namespace):
                continue
            if expressions and not expressions_match(expressions, self.templates[i].labels):
                continue
            out.append(self.templates[i])
        return out


def long_running_pods(index: ManifestIndex, namespace: str | None) -> list[PodTemplate]:
    """Pod templates of a namespace that run continuously (not Jobs, CronJobs or Helm hooks)."""
    return PodIndex.of(index).select({}, namespace)


def pods_for_selector(index: ManifestIndex, selector: Any, namespace: str | None, *,
                      plain_map: bool = False) -> list[PodTemplate]:
    """Long-running pod templates a selector picks: a metav1.LabelSelector, or a plain map when plain_map."""
    pods = PodIndex.of(index)
    if plain_map:
        return pods.select(as_dict(selector), namespace)
    sel = as_dict(selector)
    return pods.select(as_dict(sel.get("matchLabels")), namespace, expressions=as_list(sel.get("matchExpressions")))


def find(index: ManifestIndex, kind: str, name: str, namespace: str | None) -> Document | None:
    """index.get through a (kind, name) map built once, for rules that look many objects up."""
    def build() -> dict[tuple[str, str], list[Document]]:
        out: dict[tuple[str, str], list[Document]] = {}
        for doc in index.documents:
            out.setdefault((doc.kind, doc.name), []).append(doc)
        return out

    for doc in cached(index, "_cg_recall_by_name", build).get((kind, name), []):
        if same_namespace(index.namespace_of(doc), namespace):
            return doc
    return None


def service_selector(svc: Document) -> dict[str, Any] | None:
    """The selector of a Service routing to pods; None for ExternalName and selector-less Services."""
    spec = spec_of(svc)
    sel = spec.get("selector")
    if spec.get("type") == "ExternalName" or not isinstance(sel, dict) or not sel:
        return None
    return sel


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

    return cached(index, "_cg_recall_services_of_pods", build)


# --- ports ---------------------------------------------------------------------------------------------------


def protocol_of(value: Any) -> str:
    return str(value or "TCP").upper()


def resolve_port(pt: PodTemplate, port: Any, protocol: str = "TCP") -> int | None:
    """The container port number a Service targetPort / NetworkPolicy port means for this pod (None: unresolved)."""
    num = as_int(port)
    if num is not None:
        return num
    for c in serving_containers(pt):
        for p in as_list(c.get("ports")):
            p = as_dict(p)
            if str(p.get("name", "")) == str(port) and protocol_of(p.get("protocol")) == protocol:
                return as_int(p.get("containerPort"))
    return None


def service_target_ports(svc: Document) -> list[tuple[int, dict[str, Any], Any]]:
    """(position, Service port, targetPort after defaulting to port) for every Service port."""
    out = []
    for i, p in enumerate(as_list(spec_of(svc).get("ports"))):
        if isinstance(p, dict):
            out.append((i, p, p.get("targetPort", p.get("port"))))
    return out
