"""The data every check works on: rendered documents, an index over them, and findings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import field
from enum import IntEnum
from typing import Any

from chartgen.core.record import MutableRecord, Record, mutable_record, record


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:  # "error", "warning", "info"
        return self.name.lower()


@record
class ResourceRef(Record):
    kind: str
    name: str
    namespace: str | None = None

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


@record
class Document(Record):
    """One YAML document of a rendered manifest stream."""

    obj: dict[str, Any]
    file: str  # source file ("-" for stdin)
    index: int  # 0-based document index within the file
    line: int | None = None  # 1-based line where the document starts, when known

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def name(self) -> str:
        md = self.obj.get("metadata") or {}
        return str(md.get("name", "")) if isinstance(md, dict) else ""

    @property
    def namespace(self) -> str | None:
        md = self.obj.get("metadata") or {}
        ns = md.get("namespace") if isinstance(md, dict) else None
        return str(ns) if ns else None

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind, self.name, self.namespace)

    @property
    def annotations(self) -> dict[str, str]:
        md = self.obj.get("metadata") or {}
        ann = md.get("annotations") if isinstance(md, dict) else None
        return ann if isinstance(ann, dict) else {}


@record
class Finding(Record):
    rule: str  # stable id, e.g. "CG-SVC-004"
    severity: Severity
    message: str  # names the resource and the field
    resource: ResourceRef | None
    file: str | None
    doc_index: int | None
    hint: str  # what to change
    field: str | None = None  # field path inside the object, e.g. "spec.ports[0].nodePort"
    line: int | None = None

    @classmethod
    def at(cls, doc: Document, rule: str, severity: Severity, message: str, hint: str,
           field: str | None = None) -> Finding:
        return cls(rule, severity, message, doc.ref, doc.file, doc.index, hint, field, doc.line)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "resource": None if self.resource is None else {
                "kind": self.resource.kind,
                "name": self.resource.name,
                "namespace": self.resource.namespace,
            },
            "file": self.file,
            "docIndex": self.doc_index,
            "line": self.line,
            "field": self.field,
            "hint": self.hint,
        }


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod",
                  "Rollout")  # argoproj.io Rollout carries a pod template like a Deployment


@mutable_record
class PodTemplate(MutableRecord):
    """A pod template (or bare Pod) and the workload that owns it."""

    owner: Document
    labels: dict[str, str]
    spec: dict[str, Any]

    @property
    def containers(self) -> list[dict[str, Any]]:
        return [c for c in (self.spec.get("containers") or []) if isinstance(c, dict)]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _labels_of(metadata: Any) -> dict[str, str]:
    """metadata.labels when both are mappings; anything else (a list, a string) gives no labels: the schema
    layer reports the shape, the rules see a pod without labels."""
    return dict(_mapping(_mapping(metadata).get("labels")))


def pod_template_of(doc: Document) -> PodTemplate | None:
    """The pod template of a workload (or a bare Pod); None when the kind has none or the spec is not a mapping.
    Malformed parts (metadata or labels that are not mappings) never raise."""
    obj = doc.obj
    kind = doc.kind
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        return None
    if kind == "Pod":
        return PodTemplate(doc, _labels_of(obj.get("metadata")), spec)
    if kind not in WORKLOAD_KINDS:
        return None
    if kind == "CronJob":
        spec = _mapping(_mapping(spec.get("jobTemplate")).get("spec"))
    tpl = spec.get("template") or {}
    if not isinstance(tpl, dict):
        return None
    pod_spec = tpl.get("spec") or {}
    if not isinstance(pod_spec, dict):
        return None
    return PodTemplate(doc, _labels_of(tpl.get("metadata")), pod_spec)


def api_group_of(api_version: str) -> str:
    """"apps/v1" -> "apps", "v1" -> "" (core)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


@mutable_record
class ManifestIndex(MutableRecord):
    """Built once per input; rules look things up here instead of scanning (every lookup is a dict access)."""

    documents: list[Document]
    default_namespace: str | None = None
    by_kind: dict[str, list[Document]] = field(default_factory=dict)
    pod_templates: list[PodTemplate] = field(default_factory=list)
    by_name: dict[tuple[str, str], list[Document]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for doc in self.documents:
            self.by_kind.setdefault(doc.kind, []).append(doc)
            self.by_name.setdefault((doc.kind, doc.name), []).append(doc)
            pt = pod_template_of(doc)
            if pt is not None:
                self.pod_templates.append(pt)

    def namespace_of(self, doc: Document) -> str | None:
        return doc.namespace or self.default_namespace

    def kind(self, kind: str, groups: Iterable[str] | None = None) -> list[Document]:
        """Documents of a kind; with `groups`, only those whose API group is one of them (a Gateway of
        networking.istio.io is not a Gateway of gateway.networking.k8s.io)."""
        docs = self.by_kind.get(kind, [])
        if groups is None:
            return docs
        allowed = set(groups)
        return [d for d in docs if api_group_of(d.api_version) in allowed]

    def get(self, kind: str, name: str, namespace: str | None,
            groups: Iterable[str] | None = None) -> Document | None:
        allowed = None if groups is None else set(groups)
        for doc in self.by_name.get((kind, name), ()):
            if allowed is not None and api_group_of(doc.api_version) not in allowed:
                continue
            if self._same_ns(self.namespace_of(doc), namespace):
                return doc
        return None

    @staticmethod
    def _same_ns(a: str | None, b: str | None) -> bool:
        # Rendered charts often omit metadata.namespace: an absent namespace matches any.
        return a is None or b is None or a == b

    def pods_selected_by(self, selector: dict[str, str], namespace: str | None) -> list[PodTemplate]:
        if not selector:
            return []
        out = []
        for pt in self.pod_templates:
            if not self._same_ns(self.namespace_of(pt.owner), namespace):
                continue
            if all(pt.labels.get(k) == str(v) for k, v in selector.items()):
                out.append(pt)
        return out

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)


@record
class ExternalObject(Record):
    """An object that exists outside the checked input (declared in .chartgen-check.yaml `external:`).

    name/namespace None match any; for kind Pod, `selector` gives the labels of pods another controller (an
    operator, the control plane) creates."""

    kind: str
    name: str | None = None
    namespace: str | None = None
    selector: tuple[tuple[str, str], ...] = ()

    def matches(self, kind: str, name: str, namespace: str | None) -> bool:
        return (self.kind == kind and (self.name is None or self.name == name)
                and (self.namespace is None or namespace is None or self.namespace == namespace))


@record
class CheckOptions(Record):
    kube_version: str = "1.31"
    istio_version: str = "1.30"
    profile: str = "default"  # "prod" turns posture warnings into errors
    disabled: frozenset[str] = frozenset()
    # the API server's --service-node-port-range (nodePorts are checked against it)
    node_port_range: tuple[int, int] = (30000, 32767)
    # CustomResourceDefinition files or folders custom resources are validated against (--crds, CHARTGEN_CRDS,
    # the config file's crds:, a chart's crds/ folder); CRDs in the checked input are always used too
    crds: tuple[str, ...] = ()
    # objects that exist elsewhere (config `external:`): references to them are resolved, not reported
    external: tuple[ExternalObject, ...] = ()
    # rule id -> severity (config `severity:`), applied after the profile
    severity_overrides: tuple[tuple[str, Severity], ...] = ()

    def is_external(self, kind: str, name: str, namespace: str | None) -> bool:
        return any(e.matches(kind, name, namespace) for e in self.external)

    def external_pod_selectors(self, namespace: str | None) -> list[dict[str, str]]:
        return [dict(e.selector) for e in self.external
                if e.kind == "Pod" and e.selector and (e.namespace is None or namespace is None
                                                       or e.namespace == namespace)]


def iter_findings(*groups: Iterable[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for g in groups:
        out.extend(g)
    return out
