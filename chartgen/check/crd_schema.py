"""Layer "schema" for custom resources: strict validation against their CustomResourceDefinitions, CEL included.

Every object whose API group is not a built-in Kubernetes group (Istio's Gateway, cert-manager's Certificate, a
Prometheus ServiceMonitor...) is looked up in the CRDs of the run (see :mod:`chartgen.check.crd_source`: CRDs in the
input, then ``--crds`` / ``CHARTGEN_CRDS`` / the config file / a chart's ``crds/`` folder). Found: it is validated
against the ``openAPIV3Schema`` of the version its apiVersion names (every served version), converted to JSON Schema
the way ``kubectl --validate=strict`` and the API server behave:

* ``additionalProperties: false`` on every object schema with ``properties`` that does not set
  ``x-kubernetes-preserve-unknown-fields`` (the apiserver would silently prune unknown fields);
* ``x-kubernetes-int-or-string`` accepts an integer or a string; ``x-kubernetes-list-type: set`` needs unique
  items and ``map`` unique ``x-kubernetes-list-map-keys``; ``nullable: true`` admits null;
* ``format: int32`` / ``uint32`` / ``int64`` get their numeric bounds;
* ``apiVersion``, ``kind`` and ``metadata`` (which a CRD does not describe) are described here.

``x-kubernetes-validations`` CEL rules are evaluated with cel-python (:mod:`chartgen.check.cel`). A rule celpy cannot
evaluate is reported once per kind and version as info (CG-CRD-003), never silently counted as passed.

Rule ids (stable; they replace CG-ISTIO-SCHEMA-001/002 of the Istio-only layer this module generalises):
CG-CRD-001 structure (unknown fields, types, enums, required, apiVersion not served), CG-CRD-002 CEL rules,
CG-CRD-003 CEL rules that cannot be evaluated. A custom resource without any CRD is CG-SCHEMA-002 (info, once per
apiVersion and kind): it is not schema-checked, and the finding says how to give its CRD.

Validators and CEL programs are compiled lazily, only for the (CRD, version) pairs the input actually uses, and
cached per process.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterator
from typing import Any

from chartgen.check.cel import CelNode, SkippedRule, build_cel_plan, evaluate_plan
from chartgen.check.crd_source import Crd, CrdCatalog, crd_from_object
from chartgen.check.helpers import BUILTIN_GROUPS, api_group, at, is_object
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import rule
from chartgen.core.k8snames import json_type
from chartgen.core.record import MutableRecord, mutable_record

LAYER = "schema"
RULE_STRUCT = "CG-CRD-001"
RULE_CEL = "CG-CRD-002"
RULE_CEL_SKIPPED = "CG-CRD-003"
RULE_NO_SCHEMA = "CG-SCHEMA-002"

# --------------------------------------------------------------------------------------------------------------
# OpenAPI v3 (Kubernetes structural schema) -> JSON Schema
# --------------------------------------------------------------------------------------------------------------

_LIST_MAP_KEYS = "x-chartgen-list-map-keys"  # a keyword of our own (see _validator_class)
_KEEP = {"type", "enum", "required", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems",
         "maxItems", "uniqueItems", "minProperties", "maxProperties", "multipleOf"}
_BOUNDS = {"int32": (-(2 ** 31), 2 ** 31 - 1), "uint32": (0, 2 ** 32 - 1), "int64": (-(2 ** 63), 2 ** 63 - 1),
           "uint64": (0, 2 ** 64 - 1)}


def to_json_schema(node: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "properties":
            out[k] = {name: to_json_schema(child) for name, child in v.items()}
        elif k in ("items", "not") or k == "additionalProperties":
            out[k] = to_json_schema(v) if isinstance(v, dict) else v
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [to_json_schema(c) for c in v]
        elif k in ("exclusiveMinimum", "exclusiveMaximum"):
            bound = "minimum" if k == "exclusiveMinimum" else "maximum"
            if v is True and bound in node:  # OpenAPI 3.0 boolean form
                out[k] = node[bound]
        elif k in _KEEP:
            out[k] = v
    if "exclusiveMinimum" in out:
        out.pop("minimum", None)
    if "exclusiveMaximum" in out:
        out.pop("maximum", None)
    fmt = node.get("format")
    if fmt in _BOUNDS and node.get("type") == "integer":
        lo, hi = _BOUNDS[fmt]
        out["minimum"] = max(out.get("minimum", lo), lo)
        out["maximum"] = min(out.get("maximum", hi), hi)
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if node.get("x-kubernetes-list-type") == "map" and isinstance(node.get("x-kubernetes-list-map-keys"), list):
        out[_LIST_MAP_KEYS] = list(node["x-kubernetes-list-map-keys"])
    if ("properties" in out and "additionalProperties" not in out
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else list(out["type"]) + ["null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = list(out["enum"]) + [None]
    return out


_DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": _DNS1123_SUBDOMAIN},
        "generateName": {"type": "string"},
        "namespace": {"type": "string", "maxLength": 63, "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
        "uid": {"type": "string"},
        "resourceVersion": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "deletionTimestamp": {"type": ["string", "null"]},
        "deletionGracePeriodSeconds": {"type": "integer"},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array", "items": {"type": "object"}},
        "managedFields": {"type": "array", "items": {"type": "object"}},
        "selfLink": {"type": "string"},
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["name"]}, {"required": ["generateName"]}],
}


def document_schema(openapi: dict[str, Any], api_version: str, kind: str) -> dict[str, Any]:
    root = to_json_schema(openapi)
    props = root.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "const": api_version}
    props["kind"] = {"type": "string", "const": kind}
    props["metadata"] = METADATA_SCHEMA
    root["type"] = "object"
    root["required"] = sorted(set(root.get("required", [])) | {"apiVersion", "kind", "metadata"})
    if not openapi.get("x-kubernetes-preserve-unknown-fields"):
        root["additionalProperties"] = False
    return root


# --------------------------------------------------------------------------------------------------------------
# compiled validators
# --------------------------------------------------------------------------------------------------------------


@mutable_record
class Compiled(MutableRecord):
    validator: Any
    cel: CelNode | None
    skipped: list[SkippedRule]


_COMPILED: dict[tuple[str, str], Compiled] = {}
_COMPILE_LOCK = threading.Lock()  # `chartgen verify` checks environments in threads


def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, ValidationError, validators

    def unique_keys(validator: Any, keys: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if not isinstance(instance, list):
            return
        seen: dict[tuple[Any, ...], int] = {}
        for i, item in enumerate(instance):
            if not isinstance(item, dict):
                continue
            key = tuple(repr(item.get(k)) for k in keys)
            if key in seen:
                shown = ", ".join(f"{k}={item.get(k)!r}" for k in keys)
                yield ValidationError(f"items {seen[key]} and {i} have the same key ({shown}); "
                                      f"x-kubernetes-list-map-keys {list(keys)} must be unique", path=[i])
            else:
                seen[key] = i

    return validators.extend(Draft202012Validator, {_LIST_MAP_KEYS: unique_keys})


def compiled(crd: Crd, version: str) -> Compiled:
    """The validator and CEL plan of one served version of a CRD (built once per process)."""
    key = (crd.key, version)
    found = _COMPILED.get(key)
    if found is not None:
        return found
    with _COMPILE_LOCK:
        if key not in _COMPILED:
            openapi = crd.versions[version]
            schema = document_schema(openapi, f"{crd.group}/{version}", crd.kind)
            plan = build_cel_plan(openapi)
            _COMPILED[key] = Compiled(_validator_class()(schema), plan.root, plan.skipped)
        return _COMPILED[key]


def compiled_count() -> int:
    return len(_COMPILED)


# --------------------------------------------------------------------------------------------------------------
# error formatting
# --------------------------------------------------------------------------------------------------------------

_SIMPLE_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")  # same convention as loader.format_path


def fmt_path(parts: Any) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _SIMPLE_KEY.match(str(p)):
            out += f".{p}" if out else str(p)
        else:
            out += f"[{p}]"
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(err: Any) -> list[tuple[str, str, str]]:
    """(field path, message, hint) for one jsonschema error (several for additionalProperties)."""
    path = list(err.absolute_path)
    where = fmt_path(path) or "<root>"
    v, inst, sv = err.validator, err.instance, err.validator_value
    if v == "additionalProperties" and sv is False and isinstance(inst, dict):
        known = sorted((err.schema.get("properties") or {}).keys())
        out = []
        for extra in sorted(set(inst) - set(known), key=str):
            fpath = fmt_path(path + [extra])
            close = difflib.get_close_matches(str(extra), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known fields here: {', '.join(known)}"
            out.append((fpath, f'unknown field "{fpath}" (strict validation rejects it; the apiserver would '
                               "silently drop it)", hint))
        return out
    if v == "required":
        m = re.match(r"^'(.+)' is a required property$", err.message)
        missing = m.group(1) if m else err.message
        fpath = fmt_path(path + [missing]) if m else where
        return [(fpath, f"missing required field \"{fpath}\"", f"set {fpath}")]
    if v == "enum":
        allowed = ", ".join(str(x) for x in sv if x is not None)
        return [(where, f"{where}: unsupported value {_short(inst)}; supported values: {allowed}",
                 f"use one of: {allowed}")]
    if v == "type":
        want = sv if isinstance(sv, str) else " or ".join(sv)
        return [(where, f"{where}: must be {want}, got {json_type(inst)} {_short(inst)}",
                 f"write {where} as a{'n' if str(want)[0] in 'aeiou' else ''} {want}"
                 + (" (quote it in YAML)" if want == "string" else ""))]
    if v == "const":
        return [(where, f"{where}: must be {sv!r}, got {_short(inst)}", f"set {where}: {sv}")]
    if v == "oneOf" and isinstance(inst, dict):
        keys = [b["required"][0] for b in sv if isinstance(b, dict) and len(b.get("required") or []) == 1]
        if keys:
            found = [k for k in keys if k in inst]
            return [(where, f"{where}: only one of {', '.join(keys)} may be set (found: {', '.join(found)})",
                     f"keep one of {', '.join(found)}")]
    if v == "anyOf" and isinstance(sv, list) and all(isinstance(b, dict) and set(b) == {"required"} for b in sv):
        keys = [k for b in sv for k in b["required"]]
        return [(where, f"{where}: one of {', '.join(keys)} is required", f"set {where}.{keys[0]}")]
    if v == "anyOf" and sv == [{"type": "integer"}, {"type": "string"}]:
        return [(where, f"{where}: must be an integer or a string, got {json_type(inst)}", "use a number or a string")]
    if v == "pattern" and path[:2] == ["metadata", "name"]:
        return [(where, f"metadata.name {inst!r} is not a valid DNS-1123 subdomain",
                 "use lowercase letters, digits, '-' and '.'")]
    return [(where, f"{where}: {err.message}", "fix the value to satisfy the CRD schema")]


# --------------------------------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------------------------------


def prune_nulls(value: Any) -> Any:
    """Drop mapping entries whose value is null, as the apiserver prunes nulls of non-nullable fields before
    validation (charts often render `annotations: null` or `port: null`)."""
    if isinstance(value, dict):
        return {k: prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_nulls(v) for v in value]
    return value


def builtin_group(group: str, opts: CheckOptions) -> bool:
    """A group the Kubernetes API server serves itself (its objects have built-in schemas, not CRDs)."""
    if group in BUILTIN_GROUPS:
        return True
    from chartgen.check.schema import choose_version, schemas_for

    return group in schemas_for(choose_version(opts.kube_version).directory).groups


def custom_resources(index: ManifestIndex, opts: CheckOptions) -> list[Document]:
    from chartgen.check.helpers import index_cache

    def build() -> list[Document]:
        return [d for d in index if is_object(d) and "/" in d.api_version
                and not builtin_group(api_group(d.api_version), opts)]

    return index_cache(index, f"_cg_custom_resources_{opts.kube_version}", build)


def catalog(index: ManifestIndex, opts: CheckOptions) -> CrdCatalog:
    """The CRDs of this run: those in the input, then opts.crds (files read on first need)."""
    from chartgen.check.helpers import index_cache

    def build() -> CrdCatalog:
        in_input = []
        for doc in index.kind("CustomResourceDefinition"):
            crd = crd_from_object(doc.obj, f"{doc.file}:{doc.line}" if doc.line else doc.file)
            if crd is not None:
                in_input.append(crd)
        return CrdCatalog(in_input, tuple(opts.crds))

    return index_cache(index, f"_cg_crd_catalog_{hash(tuple(opts.crds))}", build)


@mutable_record
class Results(MutableRecord):
    structural: list[Finding]
    cel: list[Finding]
    skipped: list[Finding]
    unknown: list[Finding]


def _not_served(doc: Document, crd: Crd, version: str) -> Finding:
    served = ", ".join(sorted(crd.versions)) or "none"
    hint = f"use {crd.group}/{sorted(crd.versions)[0]}" if len(crd.versions) == 1 else f"use one of {served}"
    why = "is declared with served: false" if version in crd.unserved else "is not one of its versions"
    return at(doc, RULE_STRUCT, Severity.ERROR, f"apiVersion {doc.api_version} {why} in "
              f"{crd.label} (served: {served})", hint, field="apiVersion")


def _validate(doc: Document, crd: Crd, version: str, out: Results, skipped_seen: set[tuple[str, str]]) -> None:
    from chartgen.check.crd_fast import fast_check, passes

    obj = prune_nulls(doc.obj)
    fast = fast_check(crd, version)
    if fast is not None and passes(fast, obj):  # valid: nothing to report but the rules that are not evaluated
        _report_skipped(doc, crd, version, fast.skipped, out, skipped_seen)
        return
    comp = compiled(crd, version)
    errs = sorted(comp.validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errs:
        for fpath, message, hint in describe_error(err):
            out.structural.append(at(doc, RULE_STRUCT, Severity.ERROR, f"{message} "
                                     f"[{crd.label}]", hint, field=fpath))
    if comp.cel is not None:
        for path, r, problem in evaluate_plan(comp.cel, obj):
            fpath = fmt_path(path) or "<root>"
            detail = f" ({problem})" if problem else ""
            out.cel.append(at(doc, RULE_CEL, Severity.ERROR, f"{fpath}: {r.message}{detail} "
                              f"[x-kubernetes-validations rule `{r.rule}`]",
                              f"change {fpath} so that it satisfies: {r.message}", field=fpath))
    _report_skipped(doc, crd, version, comp.skipped, out, skipped_seen)


def _report_skipped(doc: Document, crd: Crd, version: str, skipped: list[SkippedRule], out: Results,
                    skipped_seen: set[tuple[str, str]]) -> None:
    if skipped and (crd.key, version) not in skipped_seen:
        skipped_seen.add((crd.key, version))
        first = skipped[0]
        n = len(skipped)
        out.skipped.append(at(doc, RULE_CEL_SKIPPED, Severity.INFO,
                              f"{n} x-kubernetes-validations rule{'s' if n > 1 else ''} of {doc.kind} "
                              f"{crd.group}/{version} cannot be evaluated here and {'are' if n > 1 else 'is'} not "
                              f"checked (e.g. at {first.path}: `{first.rule}` {first.reason}) [{crd.label}]",
                              "these rules are enforced by the API server: `kubectl apply --dry-run=server` checks "
                              "them", field="kind"))


def _results(index: ManifestIndex, opts: CheckOptions) -> Results:
    """Every finding of this layer for the index; computed once per index and options."""
    from chartgen.check.helpers import index_cache

    def build() -> Results:
        out = Results([], [], [], [])
        docs = custom_resources(index, opts)
        if not docs:
            return out
        crds = catalog(index, opts)
        unknown: dict[tuple[str, str], list[Document]] = {}
        skipped_seen: set[tuple[str, str]] = set()
        for doc in docs:
            group, version = doc.api_version.rsplit("/", 1)
            crd = crds.lookup(group, doc.kind)
            if crd is None:
                unknown.setdefault((doc.api_version, doc.kind), []).append(doc)
            elif version not in crd.versions:
                out.structural.append(_not_served(doc, crd, version))
            else:
                _validate(doc, crd, version, out, skipped_seen)
        for (api_version, kind), group_docs in unknown.items():
            count = len(group_docs)
            out.unknown.append(at(group_docs[0], RULE_NO_SCHEMA, Severity.INFO,
                                  f"no schema for kind {kind} ({api_version}): {count} "
                                  f"document{'s' if count > 1 else ''} not schema-checked (no CustomResourceDefinition "
                                  "for it in the input or the CRD paths)",
                                  "give its CRD: --crds PATH (file or folder), CHARTGEN_CRDS, the config file's crds:, "
                                  "or render the CRD with the chart", field="kind"))
        return out

    return index_cache(index, f"_cg_crd_results_{opts.kube_version}_{hash(tuple(opts.crds))}", build)


@rule(RULE_STRUCT, Severity.ERROR, "Custom resource does not match its CRD schema (strict: unknown fields, types, "
      "enums, required fields, served versions)", LAYER,
      why="The API server rejects the object (or silently drops unknown fields, so the setting never takes effect).",
      fix="Fix the field the finding names so that it matches the CRD's openAPIV3Schema.",
      example="""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.acme.io}
spec:
  group: acme.io
  names: {kind: Backup, plural: backups}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              schedule: {type: string}
              retainDays: {type: integer}
---
apiVersion: acme.io/v1
kind: Backup
metadata: {name: nightly}
spec:
  schedule: '0 2 * * *'
  retaindays: 7
""")
def crd_structure(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    yield from _results(index, opts).structural


@rule(RULE_CEL, Severity.ERROR, "Custom resource violates a CRD x-kubernetes-validations (CEL) rule", LAYER,
      why="The API server evaluates the CRD's CEL rules on create and rejects the object when one is false.",
      fix="Change the field so that the rule's message is satisfied.",
      example="""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.acme.io}
spec:
  group: acme.io
  names: {kind: Backup, plural: backups}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              retainDays: {type: integer}
            x-kubernetes-validations:
            - {rule: self.retainDays >= 1, message: retainDays must be at least 1}
---
apiVersion: acme.io/v1
kind: Backup
metadata: {name: nightly}
spec:
  retainDays: 0
""")
def crd_cel(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    yield from _results(index, opts).cel


@rule(RULE_CEL_SKIPPED, Severity.INFO, "Some CRD x-kubernetes-validations rules cannot be evaluated by chartgen",
      LAYER, why="Rules using Kubernetes CEL libraries chartgen's CEL engine lacks are not checked here.",
      fix="Check those rules against a cluster (kubectl apply --dry-run=server).",
      example="""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.acme.io}
spec:
  group: acme.io
  names: {kind: Backup, plural: backups}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              target: {type: string}
            x-kubernetes-validations:
            - {rule: isURL(self.target), message: target must be a URL}
---
apiVersion: acme.io/v1
kind: Backup
metadata: {name: nightly}
spec:
  target: s3://backups/nightly
""")
def crd_cel_skipped(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    yield from _results(index, opts).skipped


@rule(RULE_NO_SCHEMA, Severity.INFO, "No schema for this kind (a custom resource without a CRD): it is not "
      "schema-checked", LAYER,
      why="Without its CRD a custom resource cannot be validated: typos and wrong types go unnoticed.",
      fix="Give its CRD with --crds PATH, CHARTGEN_CRDS or the config file, or render the CRD with the chart.",
      example="""\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web-tls}
spec:
  secretName: web-tls
  dnsNames: [shop.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
""")
def no_schema(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    yield from _results(index, opts).unknown
