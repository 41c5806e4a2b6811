"""Every object: is it a Kubernetes object at all, duplicate YAML keys, duplicate objects, names, and label
keys/values and selector requirements (the API server's ObjectMeta and LabelSelector validation).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from chartgen.check.helpers import (
    BUILTIN_GROUPS,
    CLUSTER_SCOPED_KINDS,
    RBAC_KINDS,
    api_group,
    as_dict,
    as_list,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    is_istio_group,
    is_object,
    join_errors,
    label_value_errors,
    on,
    path_segment_errors,
    qualified_name_errors,
)
from chartgen.check.loader import SourceDocument, format_path
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import finding, rule

E, W = Severity.ERROR, Severity.WARNING
LAYER = "api"


@rule(
    "CG-API-001",
    E,
    "Document is not a Kubernetes object (not a mapping, or apiVersion/kind missing)",
    LAYER,
    why="The API server accepts only objects with apiVersion and kind; kubectl/helm stop at such a document.",
    fix=(
        "make every YAML document one object with apiVersion, kind and metadata (a template that renders part"
        " of an object usually lost an `if` around the whole document)"
    ),
    example="""\
metadata: {name: orphan}
data: {key: value}
""",
)
def not_an_object(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        yaml_type = doc.yaml_type if isinstance(doc, SourceDocument) else None
        if yaml_type is not None:
            yield finding(
                "CG-API-001",
                doc,
                on(doc, f"is a YAML {yaml_type}, not a mapping"),
                hint="each YAML document must be one Kubernetes object (a mapping with apiVersion, kind, "
                "metadata); remove stray text or a leftover list",
            )
            continue
        for key in ("apiVersion", "kind"):
            value = doc.obj.get(key)
            if not isinstance(value, str) or not value:
                what = "missing" if value in (None, "") else f"not a string ({value!r})"
                yield finding(
                    "CG-API-001",
                    doc,
                    on(doc, f"{key} is {what}"),
                    hint=f"set {key} (e.g. apiVersion: apps/v1, kind: Deployment); a template that renders "
                    "only part of an object usually lost an `if` around the whole document",
                    field=key,
                )


@rule(
    "CG-API-002",
    E,
    "Duplicate key in a YAML mapping (the first value is silently dropped)",
    LAYER,
    why=(
        "YAML keeps only the last of two equal keys, so the first value is silently lost; strict decoding "
        "rejects the object."
    ),
    fix="remove one of the duplicate keys (often a value set twice by two template blocks)",
    example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  mode: fast
  mode: safe
""",
)
def duplicate_keys(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not isinstance(doc, SourceDocument):
            continue
        for dup in doc.duplicate_keys:
            where = format_path(dup.path) or "the top level"
            found = finding(
                "CG-API-002",
                doc,
                on(doc, f'key "{dup.key}" appears twice in {where} (lines {dup.first_line} and {dup.line})'),
                hint="remove one of them: YAML keeps only the last value and strict API validation "
                "rejects duplicate fields",
                field=format_path(dup.path + (dup.key,)),
            )
            yield _with_line(found, dup.line)


def _with_line(finding: Finding, line: int) -> Finding:
    return replace(finding, line=line)


@rule(
    "CG-API-003",
    E,
    "Two objects with the same API group, kind, namespace and name",
    LAYER,
    why="Two objects with the same group, kind, namespace and name: one silently replaces the other on apply.",
    fix="rename one of them (check fullnameOverride/nameOverride and per-component name suffixes)",
    example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: '1'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: '2'}
""",
)
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
        yield finding(
            "CG-API-003",
            doc,
            on(doc, f"defined twice (same group, kind, namespace and name); the first is at {where}"),
            hint="rename one of them (helm/kubectl would apply one over the other); "
            "check fullnameOverride/nameOverride and per-component name suffixes",
            field="metadata.name",
        )


# Subtrees that are JSON schemas (property names, not data): never walked for label maps.
SCHEMA_KEYS = frozenset({"openAPIV3Schema", "properties"})
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
                if isinstance(value, (dict, list)) and key not in SCHEMA_KEYS:
                    stack.append((sub, value))
        elif isinstance(node, list):
            stack.extend((path + (i,), item) for i, item in enumerate(node))


def _label_findings(doc: Document, path: tuple[Any, ...], value: Any, what: str) -> Iterator[Finding]:
    hint_key = (
        "label keys are [prefix/]name: name <= 63 characters of [A-Za-z0-9-_.] starting and ending "
        "alphanumeric, optional prefix a DNS subdomain"
    )
    hint_value = (
        "label values are <= 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric, or empty; "
        "move free text to an annotation"
    )
    if what == "labels":
        label_key: Any
        for label_key, val in as_dict(value).items():
            key = label_key
            if isinstance(key, str) and (errs := qualified_name_errors(key)):
                yield finding(
                    "CG-API-004",
                    doc,
                    on(doc, f"label key {key!r} in {format_path(path)} {join_errors(errs)}"),
                    hint=hint_key,
                    field=format_path(path + (key,)),
                )
            if isinstance(val, str) and (errs := label_value_errors(val)):
                fld = format_path(path + (key,))
                yield finding(
                    "CG-API-004", doc, on(doc, f"{fld} value {val!r} {join_errors(errs)}"), hint=hint_value, field=fld
                )
        return
    operators = _NODE_OPERATORS if what == "node-expressions" else _LABEL_OPERATORS
    for i, req in enumerate(as_list(value)):
        if not isinstance(req, dict):
            continue
        base = path + (i,)
        key, op, values = req.get("key"), req.get("operator"), req.get("values")
        if isinstance(key, str) and (errs := qualified_name_errors(key)):
            yield finding(
                "CG-API-004",
                doc,
                on(doc, f"{format_path(base + ('key',))} {key!r} {join_errors(errs)}"),
                hint=hint_key,
                field=format_path(base + ("key",)),
            )
        if isinstance(op, str) and op not in operators:
            yield finding(
                "CG-API-004",
                doc,
                on(doc, f"{format_path(base + ('operator',))} {op!r} is not one of {sorted(operators)}"),
                hint=f"use one of {', '.join(sorted(operators))} (case-sensitive)",
                field=format_path(base + ("operator",)),
            )
        n_values = len(values) if isinstance(values, list) else 0
        if op in ("In", "NotIn") and n_values == 0:
            yield finding(
                "CG-API-004",
                doc,
                on(doc, f"{format_path(base + ('values',))} must be non-empty with operator {op}"),
                hint="list at least one value, or use operator Exists",
                field=format_path(base + ("values",)),
            )
        if op in ("Exists", "DoesNotExist") and n_values:
            yield finding(
                "CG-API-004",
                doc,
                on(doc, f"{format_path(base + ('values',))} must be empty with operator {op}"),
                hint="remove values, or use operator In",
                field=format_path(base + ("values",)),
            )
        if op in ("Gt", "Lt") and what == "node-expressions" and (
                n_values != 1 or not re.fullmatch(r"[-+]?[0-9]+", str(as_list(values)[0]))):
            yield finding(
                "CG-API-004",
                doc,
                on(doc, f"{format_path(base + ('values',))} must be a single integer with operator {op}"),
                hint="give one integer value, e.g. values: ['4']",
                field=format_path(base + ("values",)),
            )
        if what == "expressions" and op in ("In", "NotIn"):
            for j, val in enumerate(as_list(values)):
                if isinstance(val, str) and (errs := label_value_errors(val)):
                    fld = format_path(base + ("values", j))
                    yield finding(
                        "CG-API-004", doc, on(doc, f"{fld} {val!r} {join_errors(errs)}"), hint=hint_value, field=fld
                    )


@rule(
    "CG-API-004",
    E,
    "Invalid label key or value in metadata.labels or a selector",
    LAYER,
    why=(
        "The API server rejects label keys/values and selector requirements that break the label syntax (63 "
        "characters, [A-Za-z0-9-_.], operators In/NotIn/Exists/DoesNotExist)."
    ),
    fix=(
        "label values are <= 63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric; move free text"
        " to an annotation"
    ),
    example="""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {version: 1.2.3+build/7}
""",
)
def invalid_labels(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not is_object(doc):
            continue
        group = api_group(doc.api_version)
        # Inside unknown CRDs a "labels" key can be free-form user data: only look at their metadata.
        # A CustomResourceDefinition holds a schema: a property *named* matchLabels is not a label map.
        deep = (group in BUILTIN_GROUPS or is_istio_group(group)) and group != "apiextensions.k8s.io"
        for path, value, what in _label_maps(doc, deep):
            yield from _label_findings(doc, path, value, what)


@rule(
    "CG-API-005",
    E,
    "metadata.name missing or not a valid object name; metadata.namespace not a DNS-1123 label",
    LAYER,
    why=(
        "Object names are validated by kind (DNS-1123 subdomain, label or path segment); a missing or invalid"
        " name is rejected."
    ),
    fix="use lower case letters, digits, '-' and '.'; truncate generated names with `trunc 63 | trimSuffix \"-\"`",
    example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: My_Settings}
""",
)
def invalid_names(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    for doc in index:
        if not is_object(doc):
            continue
        md = as_dict(doc.obj.get("metadata"))
        name = md.get("name")
        if name in (None, ""):
            if not md.get("generateName"):
                yield finding(
                    "CG-API-005",
                    doc,
                    on(doc, "metadata.name is missing"),
                    hint="set metadata.name (a template value that rendered empty?)",
                    field="metadata.name",
                )
        elif isinstance(name, str) and not (doc.kind == "Service" and doc.api_version == "v1"):  # CG-SVC-001
            if doc.kind in RBAC_KINDS:
                errs, rule_name = path_segment_errors(name), "a path segment name"
            elif doc.kind == "Namespace" and api_group(doc.api_version) == "":
                errs, rule_name = dns1123_label_errors(name), "a DNS-1123 label"
            else:
                errs, rule_name = dns1123_subdomain_errors(name), "a DNS-1123 subdomain"
            if errs:
                yield finding(
                    "CG-API-005",
                    doc,
                    on(doc, f"metadata.name {name!r} is not {rule_name}: {join_errors(errs)}"),
                    hint="use lower case letters, digits, '-' and '.' (at most 253 characters); "
                    'helm charts usually truncate with `trunc 63 | trimSuffix "-"`',
                    field="metadata.name",
                )
        namespace = md.get("namespace")
        if isinstance(namespace, str) and namespace and (errs := dns1123_label_errors(namespace)):
            yield finding(
                "CG-API-005",
                doc,
                on(doc, f"metadata.namespace {namespace!r} is not a valid namespace name: {join_errors(errs)}"),
                hint="namespace names are DNS-1123 labels: lower case, digits, '-', at most 63 characters",
                field="metadata.namespace",
            )
