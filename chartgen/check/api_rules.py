"""Layer "api": what the API server's validation rejects and the OpenAPI schema does not catch.

Rules follow kubernetes/kubernetes pkg/apis/core/validation/validation.go (ValidateService, v1.31) and the
apimachinery name/label validators, applied after the API server's defaulting (type ClusterIP, protocol TCP,
sessionAffinity None, targetPort = port).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from chartgen import k8snames
from chartgen.check.loader import SourceDocument, format_path
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import rule

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"

# --- API groups ------------------------------------------------------------------------------------------------

# Groups served by kube-apiserver itself (current and removed ones): no CRD can live in them.
BUILTIN_GROUPS = frozenset({
    "", "admission.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "apps", "auditregistration.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "autoscaling", "batch",
    "certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "extensions",
    "flowcontrol.apiserver.k8s.io", "imagepolicy.k8s.io", "internal.apiserver.k8s.io", "networking.k8s.io",
    "node.k8s.io", "policy", "rbac.authorization.k8s.io", "resource.k8s.io", "scheduling.k8s.io",
    "settings.k8s.io", "storage.k8s.io", "storagemigration.k8s.io",
})

CLUSTER_SCOPED_KINDS = frozenset({
    "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "ClusterTrustBundle",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "DeviceClass", "FlowSchema",
    "IngressClass", "IPAddress", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
    "PriorityClass", "PriorityLevelConfiguration", "RuntimeClass", "ServiceCIDR", "StorageClass",
    "StorageVersion", "StorageVersionMigration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration", "VolumeAttachment", "VolumeAttributesClass",
})

RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})


def api_group(api_version: str) -> str:
    """"apps/v1" -> "apps", "v1" -> "" (core)."""
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_istio_group(group: str) -> bool:
    return group == "istio.io" or group.endswith(".istio.io")


def is_object(doc: Document) -> bool:
    """A mapping with a non-empty string apiVersion and kind (otherwise CG-API-001 reports it)."""
    obj = doc.obj
    av, kind = obj.get("apiVersion"), obj.get("kind")
    return isinstance(av, str) and bool(av) and isinstance(kind, str) and bool(kind)


# --- name and label syntax (k8s.io/apimachinery/pkg/util/validation) ------------------------------------------

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
        errs.append("must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character")
    return errs


def dns1123_subdomain_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 253:
        errs.append(f"must be no more than 253 characters (has {len(value)})")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append("must consist of lower case alphanumeric characters, '-' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def dns1035_label_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(f"must be no more than 63 characters (has {len(value)})")
    if not _DNS1035_LABEL.match(value):
        errs.append("must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                    "character, and end with an alphanumeric character")
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
        errs.append("name part must consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def label_value_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(f"must be no more than 63 characters (has {len(value)})")
    if not _LABEL_VALUE.match(value):
        errs.append("must be empty or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
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


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _errs(errs: list[str]) -> str:
    return "; ".join(errs)


def subject(doc: Document) -> str:
    """How a message names its resource: `Service demo/web`, `Deployment (document 3)`, `document 3`."""
    if not doc.kind:
        return f"document {doc.index}"
    if not doc.name:
        return f"{doc.kind} (document {doc.index})"
    return str(doc.ref)


def at(doc: Document, rule_id: str, severity: Severity, message: str, hint: str,
       field: str | None = None) -> Finding:
    """Finding.at with the message prefixed by the resource: `Service demo/web: spec.type ...`."""
    return Finding.at(doc, rule_id, severity, f"{subject(doc)}: {message}", hint, field=field)


# --- document-level rules ----------------------------------------------------------------------------------


@rule("CG-API-001", E, "Document is not a Kubernetes object (not a mapping, or apiVersion/kind missing)", LAYER)
def not_an_object(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        yaml_type = doc.yaml_type if isinstance(doc, SourceDocument) else None
        if yaml_type is not None:
            yield at(doc, "CG-API-001", E, f"is a YAML {yaml_type}, not a mapping",
                     "each YAML document must be one Kubernetes object (a mapping with apiVersion, kind, "
                     "metadata); remove stray text or a leftover list")
            continue
        for key in ("apiVersion", "kind"):
            value = doc.obj.get(key)
            if not isinstance(value, str) or not value:
                what = "missing" if value in (None, "") else f"not a string ({value!r})"
                yield at(doc, "CG-API-001", E, f"{key} is {what}",
                         f"set {key} (e.g. apiVersion: apps/v1, kind: Deployment); a template that renders "
                         "only part of an object usually lost an `if` around the whole document",
                         field=key)


@rule("CG-API-002", E, "Duplicate key in a YAML mapping (the first value is silently dropped)", LAYER)
def duplicate_keys(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not isinstance(doc, SourceDocument):
            continue
        for dup in doc.duplicate_keys:
            where = format_path(dup.path) or "the top level"
            finding = at(doc, "CG-API-002", E,
                         f'key "{dup.key}" appears twice in {where} (lines {dup.first_line} and {dup.line})',
                         "remove one of them: YAML keeps only the last value and strict API validation "
                         "rejects duplicate fields",
                         field=format_path(dup.path + (dup.key,)))
            yield _with_line(finding, dup.line)


def _with_line(finding: Finding, line: int) -> Finding:
    return replace(finding, line=line)


@rule("CG-API-003", E, "Two objects with the same API group, kind, namespace and name", LAYER)
def duplicate_objects(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    seen: dict[tuple[str, str, str | None, str], Document] = {}
    for doc in index:
        if not is_object(doc) or not doc.name:
            continue
        namespace = None if doc.kind in CLUSTER_SCOPED_KINDS else index.namespace_of(doc)
        key = (api_group(doc.api_version), doc.kind, namespace, doc.name)
        first = seen.setdefault(key, doc)
        if first is doc:
            continue
        where = f"{first.file}:{first.line}" if first.line else f"{first.file} document {first.index}"
        yield at(doc, "CG-API-003", E,
                 f"defined twice (same group, kind, namespace and name); the first is at {where}",
                 "rename one of them (helm/kubectl would apply one over the other); "
                 "check fullnameOverride/nameOverride and per-component name suffixes",
                 field="metadata.name")


# --- labels and selectors ------------------------------------------------------------------------------------

_SELECTOR_MAP_KINDS = {"Service", "ReplicationController"}  # spec.selector is a plain map for these
_LABEL_OPERATORS = {"In", "NotIn", "Exists", "DoesNotExist"}
_NODE_OPERATORS = _LABEL_OPERATORS | {"Gt", "Lt"}


def _label_maps(doc: Document, deep: bool) -> Iterator[tuple[tuple[Any, ...], Any, str]]:
    """(path, value, what) for every label map / selector requirement list in the object."""
    obj = doc.obj
    md = obj.get("metadata")
    if isinstance(md, dict) and "labels" in md:
        yield ("metadata", "labels"), md["labels"], "labels"
    if not deep:
        return
    if doc.kind in _SELECTOR_MAP_KINDS and isinstance(obj.get("spec"), dict) and "selector" in obj["spec"]:
        yield ("spec", "selector"), obj["spec"]["selector"], "labels"
    stack: list[tuple[tuple[Any, ...], Any]] = [(("spec",), obj.get("spec"))]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                sub = path + (key,)
                if key == "metadata" and isinstance(value, dict) and "labels" in value:
                    yield sub + ("labels",), value["labels"], "labels"
                elif key in ("matchLabels", "nodeSelector"):
                    yield sub, value, "labels"
                elif key == "matchExpressions":
                    yield sub, value, "node-expressions" if "nodeAffinity" in path else "expressions"
                if isinstance(value, (dict, list)):
                    stack.append((sub, value))
        elif isinstance(node, list):
            stack.extend((path + (i,), item) for i, item in enumerate(node))


def _label_findings(doc: Document, path: tuple[Any, ...], value: Any, what: str) -> Iterator[Finding]:
    hint_key = ("label keys are [prefix/]name: name <= 63 characters of [A-Za-z0-9-_.] starting and ending "
                "alphanumeric, optional prefix a DNS subdomain")
    hint_value = ("label values are <= 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric, or empty; "
                  "move free text to an annotation")
    if what == "labels":
        for key, val in _dict(value).items():
            fld = format_path(path + (key,))
            if isinstance(key, str) and (errs := qualified_name_errors(key)):
                yield at(doc, "CG-API-004", E, f"label key {key!r} in {format_path(path)} {_errs(errs)}",
                         hint_key, field=fld)
            if isinstance(val, str) and (errs := label_value_errors(val)):
                yield at(doc, "CG-API-004", E, f"{fld} value {val!r} {_errs(errs)}", hint_value, field=fld)
        return
    operators = _NODE_OPERATORS if what == "node-expressions" else _LABEL_OPERATORS
    for i, req in enumerate(_list(value)):
        if not isinstance(req, dict):
            continue
        base = path + (i,)
        key, op, values = req.get("key"), req.get("operator"), req.get("values")
        if isinstance(key, str) and (errs := qualified_name_errors(key)):
            yield at(doc, "CG-API-004", E, f"{format_path(base + ('key',))} {key!r} {_errs(errs)}",
                     hint_key, field=format_path(base + ("key",)))
        if isinstance(op, str) and op not in operators:
            yield at(doc, "CG-API-004", E,
                     f"{format_path(base + ('operator',))} {op!r} is not one of {sorted(operators)}",
                     f"use one of {', '.join(sorted(operators))} (case-sensitive)",
                     field=format_path(base + ("operator",)))
        n_values = len(values) if isinstance(values, list) else 0
        if op in ("In", "NotIn") and n_values == 0:
            yield at(doc, "CG-API-004", E, f"{format_path(base + ('values',))} must be non-empty "
                     f"with operator {op}", "list at least one value, or use operator Exists",
                     field=format_path(base + ("values",)))
        if op in ("Exists", "DoesNotExist") and n_values:
            yield at(doc, "CG-API-004", E, f"{format_path(base + ('values',))} must be empty with "
                     f"operator {op}", "remove values, or use operator In",
                     field=format_path(base + ("values",)))
        if what == "expressions" and op in ("In", "NotIn"):
            for j, val in enumerate(_list(values)):
                if isinstance(val, str) and (errs := label_value_errors(val)):
                    fld = format_path(base + ("values", j))
                    yield at(doc, "CG-API-004", E, f"{fld} {val!r} {_errs(errs)}", hint_value, field=fld)


@rule("CG-API-004", E, "Invalid label key or value in metadata.labels or a selector", LAYER)
def invalid_labels(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not is_object(doc):
            continue
        group = api_group(doc.api_version)
        # Inside unknown CRDs a "labels" key can be free-form user data: only look at their metadata.
        deep = group in BUILTIN_GROUPS or is_istio_group(group)
        for path, value, what in _label_maps(doc, deep):
            yield from _label_findings(doc, path, value, what)


@rule("CG-API-006", E, "Container port name is not a valid port name, or repeats within the pod", LAYER)
def invalid_container_port_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    """The API server rejects the pod (IsValidPortName): <= 15 chars of [-a-z0-9] with a letter, unique per pod."""
    for pt in index.pod_templates:
        doc = pt.owner
        base = "spec" if doc.kind == "Pod" else ("spec.jobTemplate.spec.template.spec" if doc.kind == "CronJob"
                                                 else "spec.template.spec")
        seen: dict[str, str] = {}
        for group in ("initContainers", "containers"):
            for ci, container in enumerate(_list(pt.spec.get(group))):
                if not isinstance(container, dict):
                    continue
                for pi, port in enumerate(_list(container.get("ports"))):
                    name = port.get("name") if isinstance(port, dict) else None
                    if not isinstance(name, str):
                        continue
                    fld = f"{base}.{group}[{ci}].ports[{pi}].name"
                    if errs := port_name_errors(name):
                        yield at(doc, "CG-API-006", E, f"{fld} {name!r} {_errs(errs)}",
                                 "use at most 15 lowercase letters, digits and '-' with at least one letter "
                                 "(e.g. http, metrics, grpc-web)", field=fld)
                    elif name in seen:
                        yield at(doc, "CG-API-006", E, f"{fld} {name!r} is already used by {seen[name]}",
                                 "give every container port in the pod its own name", field=fld)
                    else:
                        seen[name] = fld


@rule("CG-API-005", E, "metadata.name missing or not a valid object name; metadata.namespace not a DNS-1123 label",
      LAYER)
def invalid_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not is_object(doc):
            continue
        md = _dict(doc.obj.get("metadata"))
        name = md.get("name")
        if name in (None, ""):
            if not md.get("generateName"):
                yield at(doc, "CG-API-005", E, "metadata.name is missing",
                         "set metadata.name (a template value that rendered empty?)", field="metadata.name")
        elif isinstance(name, str) and not (doc.kind == "Service" and doc.api_version == "v1"):  # CG-SVC-001
            if doc.kind in RBAC_KINDS:
                errs, rule_name = path_segment_errors(name), "a path segment name"
            elif doc.kind == "Namespace" and api_group(doc.api_version) == "":
                errs, rule_name = dns1123_label_errors(name), "a DNS-1123 label"
            else:
                errs, rule_name = dns1123_subdomain_errors(name), "a DNS-1123 subdomain"
            if errs:
                yield at(doc, "CG-API-005", E, f"metadata.name {name!r} is not {rule_name}: {_errs(errs)}",
                         "use lower case letters, digits, '-' and '.' (at most 253 characters); "
                         "helm charts usually truncate with `trunc 63 | trimSuffix \"-\"`",
                         field="metadata.name")
        namespace = md.get("namespace")
        if isinstance(namespace, str) and namespace and (errs := dns1123_label_errors(namespace)):
            yield at(doc, "CG-API-005", E, f"metadata.namespace {namespace!r} is not a valid namespace "
                     f"name: {_errs(errs)}", "namespace names are DNS-1123 labels: lower case, digits, '-', "
                     "at most 63 characters", field="metadata.namespace")


# --- Services ------------------------------------------------------------------------------------------------

SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
PROTOCOLS = ("TCP", "UDP", "SCTP")
KUBELET_PORT = 10250


@dataclass
class _Service:
    doc: Document
    spec: dict[str, Any]
    type: str  # after defaulting
    headless: bool
    ports: list[tuple[int, dict[str, Any]]]

    @property
    def externally_accessible(self) -> bool:  # apiservice.ExternallyAccessible
        return self.type in ("NodePort", "LoadBalancer") or (
            self.type == "ClusterIP" and bool(_list(self.spec.get("externalIPs"))))


def _services(index: ManifestIndex) -> Iterator[_Service]:
    for doc in index.kind("Service"):
        if doc.api_version != "v1":
            continue
        spec = _dict(doc.obj.get("spec"))
        svc_type = spec.get("type")
        svc_type = "ClusterIP" if svc_type in (None, "") else str(svc_type)
        cluster_ips = _list(spec.get("clusterIPs"))
        headless = spec.get("clusterIP") == "None" or (bool(cluster_ips) and cluster_ips[0] == "None")
        ports = [(i, p) for i, p in enumerate(_list(spec.get("ports"))) if isinstance(p, dict)]
        yield _Service(doc, spec, svc_type, headless, ports)


def _svc_rule(id: str, title: str, severity: Severity = E):
    """Register a per-Service check: fn(svc, opts) -> findings."""

    def deco(fn):
        @rule(id, severity, title, LAYER)
        def run(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
            for svc in _services(index):
                yield from fn(svc, opts)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return fn

    return deco


def _f(svc: _Service, id: str, message: str, hint: str, field: str | None = None,
       severity: Severity = E) -> Finding:
    return at(svc.doc, id, severity, message, hint, field=field)


@_svc_rule("CG-SVC-001", "Service name is not a DNS-1035 label")
def svc_name(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    name = _dict(svc.doc.obj.get("metadata")).get("name")
    if isinstance(name, str) and name and (errs := dns1035_label_errors(name)):
        yield _f(svc, "CG-SVC-001", f"Service name {name!r} is not a DNS-1035 label: {_errs(errs)}",
                 "Service names become DNS names: start with a letter, use lower case letters, digits and '-', "
                 "at most 63 characters (truncate the fullname, e.g. `trunc 63 | trimSuffix \"-\"`)",
                 "metadata.name")


@_svc_rule("CG-SVC-002", "Service has no ports (required unless headless or ExternalName)")
def svc_ports_required(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if not _list(svc.spec.get("ports")) and not svc.headless and svc.type != "ExternalName":
        yield _f(svc, "CG-SVC-002", f"spec.ports is empty on a {svc.type} Service",
                 "add at least one port, or make the Service headless (clusterIP: None)", "spec.ports")


@_svc_rule("CG-SVC-003", "Service port name missing although the Service has more than one port")
def svc_port_name_required(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if len(_list(svc.spec.get("ports"))) > 1:
        for i, port in svc.ports:
            if port.get("name") in (None, ""):
                yield _f(svc, "CG-SVC-003", f"spec.ports[{i}].name is required: the Service has more than one port",
                         "name every port (e.g. http, grpc, metrics)", f"spec.ports[{i}].name")


@_svc_rule("CG-SVC-004", "Service port name is not a DNS-1123 label")
def svc_port_name_syntax(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        name = _str(port.get("name"))
        if name and (errs := dns1123_label_errors(name)):
            yield _f(svc, "CG-SVC-004", f"spec.ports[{i}].name {name!r} is not a DNS-1123 label: {_errs(errs)}",
                     f"use lower case letters, digits and '-' (e.g. {_suggest_label(name)!r})", f"spec.ports[{i}].name")


def _suggest_label(value: str) -> str:
    out = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    return out[:63].rstrip("-") or "port"


@_svc_rule("CG-SVC-005", "Two Service ports with the same name")
def svc_port_name_unique(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    seen: dict[str, int] = {}
    for i, port in svc.ports:
        name = _str(port.get("name"))
        if not name:
            continue
        if name in seen:
            yield _f(svc, "CG-SVC-005", f"spec.ports[{i}].name {name!r} duplicates spec.ports[{seen[name]}].name",
                     "give each port a unique name", f"spec.ports[{i}].name")
        else:
            seen[name] = i


@_svc_rule("CG-SVC-006", "Service port number outside 1-65535")
def svc_port_range(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        number = _int(port.get("port"))
        if number is not None and not 1 <= number <= 65535:
            yield _f(svc, "CG-SVC-006", f"spec.ports[{i}].port {number} is outside 1-65535",
                     "use a port number between 1 and 65535", f"spec.ports[{i}].port")


def _protocol(port: dict[str, Any]) -> str:
    value = port.get("protocol")
    return "TCP" if value in (None, "") else str(value)


@_svc_rule("CG-SVC-007", "Two Service ports with the same protocol and port number")
def svc_port_unique(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    seen: dict[tuple[str, int], int] = {}
    for i, port in svc.ports:
        number = _int(port.get("port"))
        if number is None:
            continue
        key = (_protocol(port), number)
        if key in seen:
            yield _f(svc, "CG-SVC-007", f"spec.ports[{i}] duplicates {key[0]} port {number} of spec.ports[{seen[key]}]",
                     "remove the duplicate or change its port; the same number is allowed once per protocol",
                     f"spec.ports[{i}].port")
        else:
            seen[key] = i


@_svc_rule("CG-SVC-008", "Service port protocol is not TCP, UDP or SCTP")
def svc_protocol(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        value = port.get("protocol")
        if value not in (None, "") and value not in PROTOCOLS:
            upper = str(value).upper()
            hint = (f"write {upper} (protocols are upper case)" if upper in PROTOCOLS else
                    "protocol is the transport (TCP, UDP or SCTP); put application protocols such as http or grpc "
                    "in appProtocol or the port name")
            yield _f(svc, "CG-SVC-008", f"spec.ports[{i}].protocol {value!r} is not one of TCP, UDP, SCTP", hint,
                     f"spec.ports[{i}].protocol")


@_svc_rule("CG-SVC-009", "Service port appProtocol is not a qualified name")
def svc_app_protocol(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        value = _str(port.get("appProtocol"))
        if value is not None and (errs := qualified_name_errors(value)):
            yield _f(svc, "CG-SVC-009", f"spec.ports[{i}].appProtocol {value!r} is not a qualified name: {_errs(errs)}",
                     "use an IANA service name (http, https, grpc, h2c) or a prefixed name such as kubernetes.io/h2c",
                     f"spec.ports[{i}].appProtocol")


@_svc_rule("CG-SVC-010", "Service targetPort is neither a port number 1-65535 nor a valid port name")
def svc_target_port(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, port in svc.ports:
        value = port.get("targetPort")
        fld = f"spec.ports[{i}].targetPort"
        if (number := _int(value)) is not None:
            if number != 0 and not 1 <= number <= 65535:  # 0 is defaulted to port
                yield _f(svc, "CG-SVC-010", f"{fld} {number} is outside 1-65535",
                         "use the container port number (1-65535) or the container port's name", fld)
        elif isinstance(value, str) and value and (errs := port_name_errors(value)):
            if value.isdigit():
                hint = f"{value!r} is a quoted number, which Kubernetes reads as a port name: write {value} unquoted"
            else:
                hint = ("a named targetPort must equal a containerPort name: <= 15 characters of [-a-z0-9] with at "
                        "least one letter")
            yield _f(svc, "CG-SVC-010", f"{fld} {value!r} is not a valid port name: {_errs(errs)}", hint, fld)


def _node_port(port: dict[str, Any]) -> int | None:
    number = _int(port.get("nodePort"))
    return number if number else None  # 0 / absent = allocate


@_svc_rule("CG-SVC-011", "nodePort set on a ClusterIP Service")
def svc_node_port_on_cluster_ip(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "ClusterIP":
        return
    for i, port in svc.ports:
        if (number := _node_port(port)) is not None:
            yield _f(svc, "CG-SVC-011", f"spec.ports[{i}].nodePort {number} is forbidden when type is ClusterIP",
                     "remove nodePort, or set type: NodePort (or LoadBalancer); charts usually guard it with "
                     "`if eq .Values.service.type \"NodePort\"`", f"spec.ports[{i}].nodePort")


@_svc_rule("CG-SVC-012", "Two Service ports with the same protocol and nodePort")
def svc_node_port_unique(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    seen: dict[tuple[str, int], int] = {}
    for i, port in svc.ports:
        if (number := _node_port(port)) is None:
            continue
        key = (_protocol(port), number)
        if key in seen:
            yield _f(svc, "CG-SVC-012", f"spec.ports[{i}].nodePort {number} duplicates spec.ports[{seen[key]}].nodePort "
                     f"({key[0]})", "give each port its own nodePort, or leave nodePort unset to have one allocated",
                     f"spec.ports[{i}].nodePort")
        else:
            seen[key] = i


@_svc_rule("CG-SVC-013", "nodePort outside the cluster's node port range (default 30000-32767)")
def svc_node_port_range(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type not in ("NodePort", "LoadBalancer"):
        return
    low, high = opts.node_port_range
    for i, port in svc.ports:
        number = _node_port(port)
        if number is not None and not low <= number <= high:
            yield _f(svc, "CG-SVC-013", f"spec.ports[{i}].nodePort {number} is outside the node port range "
                     f"{low}-{high}", f"pick a nodePort in {low}-{high} (the API server's --service-node-port-range), "
                     "or leave it unset to have one allocated", f"spec.ports[{i}].nodePort")


@_svc_rule("CG-SVC-014", "Service type is not ClusterIP, NodePort, LoadBalancer or ExternalName")
def svc_type(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type not in SERVICE_TYPES:
        match = next((t for t in SERVICE_TYPES if t.lower() == svc.type.lower()), None)
        hint = f"write {match} (types are case-sensitive)" if match else f"use one of {', '.join(SERVICE_TYPES)}"
        yield _f(svc, "CG-SVC-014", f"spec.type {svc.type!r} is not one of {', '.join(SERVICE_TYPES)}", hint,
                 "spec.type")


@_svc_rule("CG-SVC-015", "ExternalName Service without a valid spec.externalName (DNS-1123 subdomain)")
def svc_external_name(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "ExternalName":
        return
    value = svc.spec.get("externalName")
    cname = value[:-1] if isinstance(value, str) and value.endswith(".") else value
    if cname in (None, ""):
        yield _f(svc, "CG-SVC-015", "spec.externalName is required when type is ExternalName",
                 "set spec.externalName to the DNS name to alias (e.g. db.example.com)", "spec.externalName")
    elif isinstance(cname, str):
        if errs := dns1123_subdomain_errors(cname):
            yield _f(svc, "CG-SVC-015", f"spec.externalName {value!r} is not a DNS-1123 subdomain: {_errs(errs)}",
                     "use a lower case DNS name without scheme, port or path (a trailing dot is allowed)",
                     "spec.externalName")
        elif _is_ip(cname):
            yield _f(svc, "CG-SVC-015", f"spec.externalName {value!r} is an IP address; ExternalName creates a "
                     "DNS CNAME, which cannot point at an IP", "use a DNS name, or a Service without selector plus "
                     "an EndpointSlice for a fixed IP", "spec.externalName", severity=W)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


@_svc_rule("CG-SVC-016", "ExternalName Service sets clusterIP, clusterIPs, ipFamilies or ipFamilyPolicy")
def svc_external_name_forbidden(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "ExternalName":
        return
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        value = svc.spec.get(key)
        if value not in (None, "", []):
            yield _f(svc, "CG-SVC-016", f"spec.{key} is forbidden when type is ExternalName (has {value!r})",
                     f"remove spec.{key}: an ExternalName Service is only a DNS alias", f"spec.{key}")


@_svc_rule("CG-SVC-017", "Headless Service (clusterIP: None) with type NodePort or LoadBalancer")
def svc_headless_type(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.headless and svc.type in ("NodePort", "LoadBalancer"):
        fld = "spec.clusterIP" if svc.spec.get("clusterIP") == "None" else "spec.clusterIPs[0]"
        yield _f(svc, "CG-SVC-017", f"{fld} may not be None when type is {svc.type}",
                 "use type ClusterIP for a headless Service, or drop clusterIP: None", fld)


@_svc_rule("CG-SVC-018", "Invalid clusterIP/clusterIPs (bad IP, None not alone, mismatch, more than two)")
def svc_cluster_ips(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type == "ExternalName":
        return  # CG-SVC-016
    hint = "use clusterIP: None (headless), one valid IP inside the service CIDR, or leave it unset"
    cluster_ip = _str(svc.spec.get("clusterIP"))
    if cluster_ip and cluster_ip != "None" and not _is_ip(cluster_ip):
        yield _f(svc, "CG-SVC-018", f"spec.clusterIP {cluster_ip!r} is not a valid IP address or None", hint,
                 "spec.clusterIP")
    ips = [ip for ip in _list(svc.spec.get("clusterIPs"))]
    if not ips:
        return
    if len(ips) > 2:
        yield _f(svc, "CG-SVC-018", f"spec.clusterIPs has {len(ips)} entries; at most two (one per IP family)",
                 "list at most one IPv4 and one IPv6 address", "spec.clusterIPs")
    if "None" in ips and len(ips) > 1:
        yield _f(svc, "CG-SVC-018", "spec.clusterIPs: None must be the only entry of a headless Service",
                 "use clusterIPs: [None] (or just clusterIP: None)", "spec.clusterIPs")
    if cluster_ip and ips[0] != cluster_ip:
        yield _f(svc, "CG-SVC-018", f"spec.clusterIPs[0] {ips[0]!r} must equal spec.clusterIP {cluster_ip!r}",
                 "set one of them, or make them agree", "spec.clusterIPs[0]")
    for i, ip in enumerate(ips):
        if isinstance(ip, str) and ip not in ("None", "") and not _is_ip(ip):
            yield _f(svc, "CG-SVC-018", f"spec.clusterIPs[{i}] {ip!r} is not a valid IP address", hint,
                     f"spec.clusterIPs[{i}]")
    families = [ipaddress.ip_address(ip).version for ip in ips if isinstance(ip, str) and _is_ip(ip)]
    if len(families) == 2 and families[0] == families[1]:
        yield _f(svc, "CG-SVC-018", "spec.clusterIPs lists two addresses of the same IP family",
                 "a dual-stack Service has one IPv4 and one IPv6 address", "spec.clusterIPs[1]")


LB_SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


def _cidr_error(text: str) -> str | None:
    if "/" not in text:
        return "is not a CIDR (missing /prefix length)"
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError as err:
        return f"is not a valid CIDR ({err})"
    return None


@_svc_rule("CG-SVC-019", "loadBalancerSourceRanges entry is not a valid CIDR")
def svc_source_ranges(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    hint = "use CIDR notation such as 203.0.113.0/24 or 10.0.0.0/8"
    ranges = _list(svc.spec.get("loadBalancerSourceRanges"))
    for i, value in enumerate(ranges):
        if isinstance(value, str) and (err := _cidr_error(value.strip())):
            yield _f(svc, "CG-SVC-019", f"spec.loadBalancerSourceRanges[{i}] {value!r} {err}", hint,
                     f"spec.loadBalancerSourceRanges[{i}]")
    annotation = svc.doc.annotations.get(LB_SOURCE_RANGES_ANNOTATION)
    if not ranges and isinstance(annotation, str) and annotation.strip():
        for value in annotation.split(","):
            if err := _cidr_error(value.strip()):
                yield _f(svc, "CG-SVC-019", f"annotation {LB_SOURCE_RANGES_ANNOTATION} entry {value.strip()!r} {err}",
                         hint + "; separate entries with commas",
                         f"metadata.annotations[{LB_SOURCE_RANGES_ANNOTATION}]")


@_svc_rule("CG-SVC-020", "LoadBalancer-only field on a Service that is not type LoadBalancer")
def svc_lb_only_fields(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type == "LoadBalancer":
        return
    for key in ("loadBalancerSourceRanges", "allocateLoadBalancerNodePorts", "loadBalancerClass"):
        value = svc.spec.get(key)
        if value is not None and value != []:
            yield _f(svc, "CG-SVC-020", f"spec.{key} may only be used when type is LoadBalancer (type is {svc.type})",
                     f"remove spec.{key} or set type: LoadBalancer; guard it in the template with the type",
                     f"spec.{key}")
    if not _list(svc.spec.get("loadBalancerSourceRanges")) and LB_SOURCE_RANGES_ANNOTATION in svc.doc.annotations:
        yield _f(svc, "CG-SVC-020", f"annotation {LB_SOURCE_RANGES_ANNOTATION} may only be used when type is "
                 f"LoadBalancer (type is {svc.type})", "remove the annotation or set type: LoadBalancer",
                 f"metadata.annotations[{LB_SOURCE_RANGES_ANNOTATION}]")


@_svc_rule("CG-SVC-021", "loadBalancerClass is not a qualified name")
def svc_lb_class(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = _str(svc.spec.get("loadBalancerClass"))
    if svc.type == "LoadBalancer" and value is not None and (errs := qualified_name_errors(value)):
        yield _f(svc, "CG-SVC-021", f"spec.loadBalancerClass {value!r} is not a qualified name: {_errs(errs)}",
                 "use a prefixed name such as example.com/internal-vip", "spec.loadBalancerClass")


@_svc_rule("CG-SVC-022", "sessionAffinity is not None or ClientIP")
def svc_session_affinity(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("sessionAffinity")
    if value not in (None, "", "None", "ClientIP"):
        yield _f(svc, "CG-SVC-022", f"spec.sessionAffinity {value!r} is not one of None, ClientIP",
                 "use None (default) or ClientIP", "spec.sessionAffinity")


@_svc_rule("CG-SVC-023", "ClientIP session affinity timeoutSeconds outside 1-86400")
def svc_session_timeout(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.spec.get("sessionAffinity") != "ClientIP":
        return
    client_ip = _dict(_dict(svc.spec.get("sessionAffinityConfig")).get("clientIP"))
    timeout = _int(client_ip.get("timeoutSeconds"))
    if timeout is not None and not 0 < timeout <= 86400:
        yield _f(svc, "CG-SVC-023", f"spec.sessionAffinityConfig.clientIP.timeoutSeconds {timeout} is outside 1-86400",
                 "use 1-86400 seconds (default 10800)", "spec.sessionAffinityConfig.clientIP.timeoutSeconds")


@_svc_rule("CG-SVC-024", "sessionAffinityConfig set while sessionAffinity is None")
def svc_session_config_forbidden(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.spec.get("sessionAffinity") in (None, "", "None") and svc.spec.get("sessionAffinityConfig") is not None:
        yield _f(svc, "CG-SVC-024", "spec.sessionAffinityConfig must not be set when sessionAffinity is None",
                 "remove sessionAffinityConfig, or set sessionAffinity: ClientIP", "spec.sessionAffinityConfig")


@_svc_rule("CG-SVC-025", "externalTrafficPolicy set on a Service that is not externally accessible")
def svc_etp_allowed(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("externalTrafficPolicy")
    if value not in (None, "") and not svc.externally_accessible:
        yield _f(svc, "CG-SVC-025", f"spec.externalTrafficPolicy may only be set for NodePort or LoadBalancer "
                 f"Services (or ClusterIP with externalIPs); type is {svc.type}",
                 "remove externalTrafficPolicy or guard it in the template with the Service type",
                 "spec.externalTrafficPolicy")


@_svc_rule("CG-SVC-026", "externalTrafficPolicy is not Cluster or Local")
def svc_etp_value(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("externalTrafficPolicy")
    if value not in (None, "", "Cluster", "Local") and svc.externally_accessible:
        yield _f(svc, "CG-SVC-026", f"spec.externalTrafficPolicy {value!r} is not one of Cluster, Local",
                 "use Cluster (default) or Local (keeps the client source IP)", "spec.externalTrafficPolicy")


@_svc_rule("CG-SVC-027", "healthCheckNodePort set without type LoadBalancer and externalTrafficPolicy Local")
def svc_health_check_node_port(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = _int(svc.spec.get("healthCheckNodePort"))
    if not value:
        return
    if svc.type != "LoadBalancer" or svc.spec.get("externalTrafficPolicy") != "Local":
        yield _f(svc, "CG-SVC-027", "spec.healthCheckNodePort may only be set when type is LoadBalancer and "
                 "externalTrafficPolicy is Local", "remove healthCheckNodePort (or set type LoadBalancer and "
                 "externalTrafficPolicy Local)", "spec.healthCheckNodePort")
        return
    low, high = opts.node_port_range
    if not low <= value <= high:
        yield _f(svc, "CG-SVC-027", f"spec.healthCheckNodePort {value} is outside the node port range {low}-{high}",
                 f"pick a port in {low}-{high} or leave it unset to have one allocated", "spec.healthCheckNodePort")


@_svc_rule("CG-SVC-028", "internalTrafficPolicy is not Cluster or Local")
def svc_itp_value(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("internalTrafficPolicy")
    if value not in (None, "", "Cluster", "Local"):
        yield _f(svc, "CG-SVC-028", f"spec.internalTrafficPolicy {value!r} is not one of Cluster, Local",
                 "use Cluster (default) or Local", "spec.internalTrafficPolicy")


def _special_ip_error(text: str) -> str | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return "is not a valid IP address"
    if ip.is_unspecified:
        return "may not be unspecified (0.0.0.0 or ::)"
    if ip.is_loopback:
        return "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    if ip.is_link_local:
        return "may not be in the link-local range (169.254.0.0/16, fe80::/10)"
    link_local_multicast = ipaddress.ip_network("224.0.0.0/24" if ip.version == 4 else "ff02::/16")
    if ip in link_local_multicast:
        return "may not be in the link-local multicast range (224.0.0.0/24, ff02::/16)"
    return None


@_svc_rule("CG-SVC-029", "externalIPs entry is not a valid, non-loopback, non-link-local IP")
def svc_external_ips(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    for i, value in enumerate(_list(svc.spec.get("externalIPs"))):
        if isinstance(value, str) and (err := _special_ip_error(value)):
            yield _f(svc, "CG-SVC-029", f"spec.externalIPs[{i}] {value!r} {err}",
                     "list routable node-reachable addresses only (no CIDR, no loopback or link-local)",
                     f"spec.externalIPs[{i}]")


@_svc_rule("CG-SVC-030", "LoadBalancer Service exposes the kubelet port 10250")
def svc_kubelet_port(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type != "LoadBalancer":
        return
    for i, port in svc.ports:
        if _int(port.get("port")) == KUBELET_PORT:
            yield _f(svc, "CG-SVC-030", f"spec.ports[{i}].port {KUBELET_PORT} may not be exposed externally: "
                     "it is the kubelet's port", "use another Service port (targetPort can stay 10250)",
                     f"spec.ports[{i}].port")


@_svc_rule("CG-SVC-031", "loadBalancerIP is deprecated (and ignored unless type is LoadBalancer)", W)
def svc_lb_ip(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("loadBalancerIP")
    if value in (None, ""):
        return
    if svc.type != "LoadBalancer":
        yield _f(svc, "CG-SVC-031", f"spec.loadBalancerIP is ignored when type is {svc.type}",
                 "remove loadBalancerIP or guard it with the Service type", "spec.loadBalancerIP", severity=W)
    else:
        yield _f(svc, "CG-SVC-031", "spec.loadBalancerIP is deprecated since Kubernetes 1.24 and its meaning "
                 "depends on the cloud provider", "use your load balancer implementation's annotation "
                 "(e.g. metallb.universe.tf/loadBalancerIPs) instead", "spec.loadBalancerIP", severity=W)


IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")


@_svc_rule("CG-SVC-032", "Invalid ipFamilies or ipFamilyPolicy")
def svc_ip_families(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    if svc.type == "ExternalName":
        return  # CG-SVC-016
    families = _list(svc.spec.get("ipFamilies"))
    policy = svc.spec.get("ipFamilyPolicy")
    for i, family in enumerate(families):
        if family not in IP_FAMILIES:
            yield _f(svc, "CG-SVC-032", f"spec.ipFamilies[{i}] {family!r} is not one of IPv4, IPv6",
                     "use IPv4 or IPv6", f"spec.ipFamilies[{i}]")
    if len(families) > 2 or len(set(map(str, families))) != len(families):
        yield _f(svc, "CG-SVC-032", f"spec.ipFamilies {families!r} must list each family at most once",
                 "use [IPv4], [IPv6], [IPv4, IPv6] or [IPv6, IPv4]", "spec.ipFamilies")
    if policy not in (None, "") and policy not in IP_FAMILY_POLICIES:
        yield _f(svc, "CG-SVC-032", f"spec.ipFamilyPolicy {policy!r} is not one of {', '.join(IP_FAMILY_POLICIES)}",
                 f"use one of {', '.join(IP_FAMILY_POLICIES)}", "spec.ipFamilyPolicy")
    elif policy == "SingleStack" and len(families) == 2:
        yield _f(svc, "CG-SVC-032", "spec.ipFamilies lists two families but ipFamilyPolicy is SingleStack",
                 "list one family, or use PreferDualStack / RequireDualStack", "spec.ipFamilies")


def _kube_minor(opts: CheckOptions) -> int:
    m = re.match(r"^v?(\d+)\.(\d+)", opts.kube_version)
    return int(m.group(2)) if m and m.group(1) == "1" else 99


@_svc_rule("CG-SVC-033", "trafficDistribution has a value this Kubernetes version does not accept")
def svc_traffic_distribution(svc: _Service, opts: CheckOptions) -> Iterable[Finding]:
    value = svc.spec.get("trafficDistribution")
    if value in (None, ""):
        return
    allowed = ("PreferClose",) if _kube_minor(opts) < 33 else ("PreferClose", "PreferSameZone", "PreferSameNode")
    if value not in allowed:
        yield _f(svc, "CG-SVC-033", f"spec.trafficDistribution {value!r} is not accepted by Kubernetes "
                 f"{opts.kube_version} (allowed: {', '.join(allowed)})", f"use {' or '.join(allowed)}, or remove it",
                 "spec.trafficDistribution")
