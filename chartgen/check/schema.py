"""Layer "schema": Kubernetes objects against the strict OpenAPI JSON schemas shipped by `kubernetes-validate`.

The `vX.Y.0-local-strict` definitions file of the chosen Kubernetes version is read once per process (about
10 ms). Each kind gets a compiled ValidityScreen (a fast proof that a document is valid) and, for documents the
screen cannot prove valid, a cached jsonschema Draft 2020-12 validator whose iter_errors reports every error.
jsonschema and referencing are imported only when a document has errors (the CLI must start fast).
Custom resources (any group the API server does not serve itself) are left to `chartgen.check.crd_schema`, which
validates them against their CRDs and reports those without one (CG-SCHEMA-002).
"""

from __future__ import annotations

import difflib
import json
import threading
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from chartgen.check.helpers import BUILTIN_GROUPS, api_group, at, is_object
from chartgen.check.kube_versions import available_versions, parse_kube_version, schema_root  # noqa: F401 (re-export)
from chartgen.check.loader import format_path
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import rule
from chartgen.core.k8snames import json_type
from chartgen.core.record import Record, record

LAYER = "schema"

# The strict schemas describe int-or-string and quantities as oneOf [string|null, integer|null]: `null` (an unset
# optional field, which the API server accepts) matches both branches and fails oneOf. Plain type lists fix that.
_TYPE_FIXES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ["string", "integer", "null"],
    "io.k8s.apimachinery.pkg.api.resource.Quantity": ["string", "number", "null"],
}


@record
class SchemaChoice(Record):
    requested: str
    used: tuple[int, int]
    directory: str
    exact: bool
    newer_than_bundled: bool  # requested a version newer than any bundled schema set

    @property
    def used_text(self) -> str:
        return f"{self.used[0]}.{self.used[1]}"


@lru_cache(maxsize=16)
def choose_version(requested: str) -> SchemaChoice:
    """The schema set for `requested`: the same minor, else the nearest lower one, else the oldest bundled."""
    wanted = parse_kube_version(requested)
    versions = available_versions()
    if not versions:
        raise RuntimeError(f"no *-local-strict schema folders under {schema_root()}")
    if wanted in versions:
        return SchemaChoice(requested, wanted, versions[wanted], True, False)
    lower = [v for v in versions if v < wanted]
    used = max(lower) if lower else min(versions)
    return SchemaChoice(requested, used, versions[used], False, bool(lower))


_PASSIVE_KEYWORDS = frozenset({"description", "format", "default", "$schema", "$id", "title"})
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
    "integer": (int,), "number": (int, float),
}
Check = Callable[[Any], bool]


def _one_of(allowed: frozenset[str]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and value in allowed


def _never(value: Any) -> bool:
    return False


def _always(value: Any) -> bool:
    return True


class ValidityScreen:
    """Compiled closures that PROVE a document valid for the JSON Schema subset the Kubernetes definitions use.

    False means "not proven", never "invalid": any keyword outside type/enum/$ref/properties/
    additionalProperties/required/items makes a subschema unprovable, and jsonschema's iter_errors then decides
    and reports. Valid documents (nearly all of them) skip jsonschema's much slower generic machinery.
    """

    def __init__(self, defs: dict[str, Any]) -> None:
        self._defs = defs
        self._compiled: dict[int, Check] = {}

    def compile(self, schema: Any) -> Check:
        key = id(schema)
        found = self._compiled.get(key)
        if found is not None:
            return found
        cell: list[Check] = []
        self._compiled[key] = lambda value: cell[0](value)  # recursion (e.g. JSONSchemaProps) goes through here
        built = self._build(schema)
        cell.append(built)
        self._compiled[key] = built
        return built

    def _build(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if not isinstance(schema, dict):
            return _never
        keys = {k for k in schema if not k.startswith("x-kubernetes-")} - _PASSIVE_KEYWORDS
        if keys - {"$ref", "type", "enum", "properties", "additionalProperties", "required", "items"}:
            return _never
        checks: list[Check] = []
        if "$ref" in schema:
            ref = schema["$ref"]
            prefix = "#/$defs/"
            if not isinstance(ref, str) or not ref.startswith(prefix) or ref[len(prefix):] not in self._defs:
                return _never
            checks.append(self.compile(self._defs[ref[len(prefix):]]))
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if any(n not in _JSON_TYPES for n in names):
                return _never
            checks.append(self._type_check(names))
        if "enum" in schema:
            allowed = [v for v in schema["enum"] if isinstance(v, str)]
            if len(allowed) != len(schema["enum"]):
                return _never
            checks.append(_one_of(frozenset(allowed)))
        if keys & {"properties", "additionalProperties", "required"}:
            checks.append(self._object_check(schema))
        if "items" in schema:
            item = self.compile(schema["items"])
            checks.append(lambda value: not isinstance(value, list) or all(item(v) for v in value))
        if len(checks) == 1:
            return checks[0]
        return lambda value: all(check(value) for check in checks)

    @staticmethod
    def _type_check(names: list[str]) -> Check:
        accepted = tuple(t for n in names for t in _JSON_TYPES[n])
        allow_bool = "boolean" in names

        def check(value: Any) -> bool:
            if isinstance(value, bool):
                return allow_bool
            return isinstance(value, accepted)  # 1.0 as "integer": not proven, jsonschema decides

        return check

    def _object_check(self, schema: dict[str, Any]) -> Check:
        props = {k: self.compile(v) for k, v in (schema.get("properties") or {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True or extra is False else self.compile(extra)
        closed = extra is False
        required = tuple(schema.get("required") or ())

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True  # the type keyword decides
            for r in required:
                if r not in value:
                    return False
            for k, v in value.items():
                prop = props.get(k)
                if prop is not None:
                    if not prop(v):
                        return False
                elif closed or (extra_check is not None and not extra_check(v)):
                    return False
            return True

        return check


class KubeSchemas:
    """One Kubernetes version's definitions: which (group, version, kind) exist, and a validator per kind."""

    def __init__(self, directory: Path) -> None:
        document = json.loads((directory / "_definitions.json").read_bytes())
        self._document = document
        self._uri: str = document["$id"]
        defs: dict[str, Any] = document["$defs"]
        for name, types in _TYPE_FIXES.items():
            if name in defs:
                description = defs[name].get("description")
                defs[name] = {"type": types} | ({"description": description} if description else {})
        self.gvk: dict[tuple[str, str, str], str] = {}
        self.groups: set[str] = set()
        for name, definition in defs.items():
            for entry in definition.get("x-kubernetes-group-version-kind", ()):
                self.groups.add(entry["group"])
                if not name.startswith("io.k8s.apimachinery."):  # DeleteOptions, WatchEvent...: in every group
                    self.gvk.setdefault((entry["group"], entry["version"], entry["kind"]), name)
        self.served: dict[str, list[str]] = {}
        for group, version, kind in sorted(self.gvk):
            self.served.setdefault(kind, []).append(f"{group}/{version}" if group else version)
        self._registry: Any = None
        self._validators: dict[str, Any] = {}
        self._defs = defs
        self._screen = ValidityScreen(defs)
        self._screens: dict[str, Check] = {}
        self._lock = threading.Lock()  # `chartgen verify` checks environments in threads

    def definition_name(self, api_version: str, kind: str) -> str | None:
        group = api_group(api_version)
        version = api_version.rsplit("/", 1)[-1]
        return self.gvk.get((group, version, kind))

    def validator(self, definition: str) -> Any:
        """The compiled jsonschema validator of one definition (built once, then reused)."""
        cached = self._validators.get(definition)
        if cached is not None:
            return cached
        from jsonschema import Draft202012Validator
        from referencing import Registry
        from referencing.jsonschema import DRAFT202012

        with self._lock:
            if definition not in self._validators:
                if self._registry is None:
                    self._registry = Registry().with_resource(self._uri, DRAFT202012.create_resource(self._document))
                self._validators[definition] = Draft202012Validator(
                    {"$ref": f"{self._uri}#/$defs/{definition}"}, registry=self._registry)
            return self._validators[definition]

    def screen(self, definition: str) -> Check:
        cached = self._screens.get(definition)
        if cached is not None:
            return cached
        with self._lock:  # a half-compiled screen must never be seen by another thread
            if definition not in self._screens:
                self._screens[definition] = self._screen.compile(self._defs[definition])
            return self._screens[definition]

    def errors(self, definition: str, obj: Any) -> Iterator[Any]:
        """Every jsonschema error of `obj` against a definition (none, quickly, for a provably valid object)."""
        if self.screen(definition)(obj):
            return iter(())
        return self.validator(definition).iter_errors(obj)

    def kinds_in_group(self, group: str) -> list[str]:
        return sorted({k for g, _, k in self.gvk if g == group})


_SCHEMAS: dict[str, KubeSchemas] = {}
_SCHEMAS_LOCK = threading.Lock()


def schemas_for(directory: str) -> KubeSchemas:
    """The schema set of one folder, read once per process."""
    found = _SCHEMAS.get(directory)
    if found is None:
        with _SCHEMAS_LOCK:
            found = _SCHEMAS.get(directory)
            if found is None:
                found = _SCHEMAS[directory] = KubeSchemas(schema_root() / directory)
    return found


# --- classification ------------------------------------------------------------------------------------------


def _k8s_documents(index: ManifestIndex) -> Iterator[Document]:
    """Objects this layer looks at (built-in kinds are validated; custom resources belong to crd_schema)."""
    for doc in index:
        if is_object(doc):
            yield doc


def _is_builtin_group(group: str, schemas: KubeSchemas) -> bool:
    return group in BUILTIN_GROUPS or group in schemas.groups


# --- CG-SCHEMA-001 -------------------------------------------------------------------------------------------


@rule("CG-SCHEMA-001", Severity.ERROR, "Kubernetes object does not match the API schema "
      "(unknown field, wrong type, missing required field)", LAYER,
      why="The API server validates every built-in object against its OpenAPI schema: a wrong type or a missing "
          "required field is rejected, and with kubectl's strict field validation (the default since 1.27) so is "
          "an unknown field; otherwise the unknown field is silently dropped and the setting never takes effect.",
      fix="fix the field the finding names (spelling and case, indentation, quoting) to match the Kubernetes API "
          "schema of --kube-version",
      example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data:
  port: 8080
""")
def schema_violations(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    docs = list(_k8s_documents(index))
    if not docs:
        return
    schemas = schemas_for(choose_version(opts.kube_version).directory)
    for doc in docs:
        definition = schemas.definition_name(doc.api_version, doc.kind)
        if definition is None:
            continue
        for error in schemas.errors(definition, doc.obj):
            yield from _error_findings(doc, error)


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
               "number": "a number", "boolean": "a boolean"}


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_hint(expected: list[str], value: Any) -> str:
    if isinstance(value, str) and ("integer" in expected or "number" in expected):
        try:
            float(value)
            return f"remove the quotes: write {value}"
        except ValueError:
            pass
    if set(expected) == {"string", "integer"} and isinstance(value, float):
        return 'use a whole number or a percentage string such as "25%"'
    if "string" in expected and isinstance(value, bool):
        return ("quote the value: YAML reads yes/no/on/off/true/false as booleans "
                f"(write \"{str(value).lower()}\")")
    if "string" in expected and isinstance(value, (int, float)):
        return f'quote the value: write "{value}"'
    if "object" in expected:
        return "this field takes a mapping (key: value); check the indentation and the quoting"
    if "array" in expected:
        return "this field takes a list (- item); check the indentation"
    return f"use {' or '.join(_TYPE_WORDS.get(t, t) for t in expected)}"


def _error_findings(doc: Document, error: Any) -> Iterator[Finding]:
    path = tuple(error.absolute_path)
    where = format_path(path)
    kind = error.validator
    rule_id, sev = "CG-SCHEMA-001", Severity.ERROR
    if kind == "additionalProperties" and error.validator_value is False and isinstance(error.instance, dict):
        known = sorted((error.schema.get("properties") or {}).keys())
        for key in [k for k in error.instance if k not in known]:
            fld = format_path(path + (key,))
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {close[0]!r}? (field names are case-sensitive)"
            else:
                shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
                hint = f"remove it or move it to the right level; fields allowed in {where or 'the object'}: {shown}"
            yield at(doc, rule_id, sev, f"unknown field {fld}", hint, field=fld)
        return
    if kind == "required" and isinstance(error.instance, dict):
        for key in [k for k in error.validator_value if k not in error.instance]:
            fld = format_path(path + (key,))
            yield at(doc, rule_id, sev, f"{fld} is required", f"add {key} to {where or 'the object'}",
                             field=fld)
        return
    if kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        expected = [t for t in expected if t != "null"]
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected)
        yield at(doc, rule_id, sev,
                         f"{where or 'the document'} must be {words}, not {json_type(error.instance)} "
                         f"{_short(error.instance)}", _type_hint(expected, error.instance), field=where or None)
        return
    if kind == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        yield at(doc, rule_id, sev, f"{where} {_short(error.instance)} is not one of {allowed}",
                         f"use one of {allowed}", field=where or None)
        return
    yield at(doc, rule_id, sev, f"{where or 'the document'}: {error.message}",
                     "fix the value to match the Kubernetes API schema", field=where or None)


# --- CG-SCHEMA-003 / 004 (CG-SCHEMA-002, a custom resource without a CRD, is in crd_schema) ---------------------


@rule("CG-SCHEMA-003", Severity.ERROR, "apiVersion/kind not served by the target Kubernetes version", LAYER,
      why="The API server of that Kubernetes version has no such apiVersion for the kind (removed, e.g. "
          "policy/v1beta1 PodDisruptionBudget in 1.25, or never existed): `no matches for kind` and the whole "
          "release fails to install. Only a warning when --kube-version is newer than the bundled schemas.",
      fix="use the apiVersion the finding names (see the Kubernetes deprecated API migration guide), or fix the kind",
      example="""\
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
""")
def unserved_api(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    docs = list(_k8s_documents(index))
    if not docs:
        return
    choice = choose_version(opts.kube_version)
    schemas = schemas_for(choice.directory)
    for doc in docs:
        group = api_group(doc.api_version)
        if not _is_builtin_group(group, schemas) or schemas.definition_name(doc.api_version, doc.kind):
            continue
        served = schemas.served.get(doc.kind, [])
        if served:
            hint = f"use apiVersion {' or '.join(served)}"
        elif close := difflib.get_close_matches(doc.kind, schemas.kinds_in_group(group), n=1):
            hint = f"did you mean kind {close[0]}? (kinds are case-sensitive)"
        else:
            hint = (f"{doc.kind} is not served in any API group by Kubernetes {choice.used_text}: remove it or "
                    "migrate it (see the Kubernetes deprecated API migration guide)")
        severity, note = Severity.ERROR, ""
        if choice.newer_than_bundled:  # it may be served by the newer version we have no schema for
            severity = Severity.WARNING
            note = f" (no schemas for {choice.requested}; checked against {choice.used_text})"
        yield at(doc, "CG-SCHEMA-003", severity,
                         f"apiVersion {doc.api_version} of kind {doc.kind} is not served by Kubernetes "
                         f"{choice.used_text}{note}",
                         hint, field="apiVersion")


@rule("CG-SCHEMA-004", Severity.INFO, "No schemas bundled for the requested Kubernetes version; the nearest was used",
      LAYER,
      why="The built-in objects were checked against the nearest bundled Kubernetes schemas (older or newer than "
          "the requested version), so fields or apiVersions that differ between the two versions may be "
          "misjudged. Raised by `chartgen verify` for a chart whose Kubernetes version has no bundled schemas "
          "(`chartgen check` refuses such a --kube-version).",
      fix="check with a bundled --kube-version, or upgrade kubernetes-validate to get schemas for newer versions",
      example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {mode: prod}
""")
def version_fallback(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    choice = choose_version(opts.kube_version)
    if choice.exact or not any(True for _ in _k8s_documents(index)):
        return
    relation = "nearest lower" if choice.newer_than_bundled else "oldest available"
    yield Finding("CG-SCHEMA-004", Severity.INFO,
                  f"no Kubernetes {choice.requested} schemas are bundled; checked against {choice.used_text} "
                  f"({relation})", None, None, None,
                  f"bundled versions: {', '.join(f'{a}.{b}' for a, b in available_versions())}; "
                  "upgrade kubernetes-validate for newer ones")


__all__ = ["parse_kube_version", "choose_version", "available_versions", "schemas_for", "SchemaChoice",
           "KubeSchemas"]
