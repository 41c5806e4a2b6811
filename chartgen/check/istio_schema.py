"""Layer "schema" for Istio objects: strict validation against Istio's own CRDs, plus their CEL rules.

Each ``*.istio.io`` object (Gateway, VirtualService, DestinationRule, PeerAuthentication, AuthorizationPolicy, and
any other kind the CRD file defines) is validated against the ``openAPIV3Schema`` of the CRD version named by its
apiVersion (v1, v1beta1, v1alpha3: whatever the CRD serves), converted to JSON Schema in the strict way
``kubectl --validate=strict`` behaves:

* ``additionalProperties: false`` on every object schema with ``properties`` that does not set
  ``x-kubernetes-preserve-unknown-fields`` (the apiserver would silently prune unknown fields);
* ``nullable: true`` becomes a type list with ``"null"``;
* ``format: int32`` / ``uint32`` / ``int64`` get their numeric bounds;
* ``apiVersion``, ``kind`` and ``metadata`` (which the CRD does not describe) are described here.

``x-kubernetes-validations`` CEL rules are evaluated with cel-python (``celpy``) on the sub-object they are
attached to (``self``). A rule celpy cannot compile (syntax it does not parse, or a Kubernetes CEL library
function it does not provide) is skipped silently and recorded: :func:`skipped_cel_rules` lists them.
Transition rules (``oldSelf``) do not apply on create and are ignored.

CRDs: ``CheckOptions.istio_version`` 1.30 (or older) uses ``crd-all.gen-1.30.3.yaml``; anything newer uses
``crd-all.gen.yaml`` (Istio master). Files come from the package data dir ``chartgen/data/istio/``.

Nothing is imported or parsed until the first Istio object is seen; parsed CRDs, compiled validators and CEL
programs are cached per process.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chartgen
from chartgen.check.model import CheckOptions, Document, Finding, ManifestIndex, Severity
from chartgen.check.registry import rule
from chartgen.k8snames import json_type

LAYER = "schema"
RULE_STRUCT = "CG-ISTIO-SCHEMA-001"
RULE_CEL = "CG-ISTIO-SCHEMA-002"

CRD_PINNED = "crd-all.gen-1.30.3.yaml"
CRD_LATEST = "crd-all.gen.yaml"
PINNED_VERSION = (1, 30)
EMITTED_KINDS = ("Gateway", "VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy")

# --------------------------------------------------------------------------------------------------------------
# locating and loading the CRDs
# --------------------------------------------------------------------------------------------------------------


def _data_dirs() -> list[Path]:
    pkg = Path(chartgen.__file__).resolve().parent
    # The package data dir first; the workspace's shared/ copy (beside the repo) as a development fallback.
    return [pkg / "data" / "istio", pkg.parent.parent / "shared" / "schemas" / "istio"]


def _parse_version(version: str) -> tuple[int, int] | None:
    m = re.match(r"^\s*v?(\d+)\.(\d+)", str(version))
    return (int(m.group(1)), int(m.group(2))) if m else None


def istio_crd_path(version: str) -> Path:
    """The CRD file for an Istio version: 1.30 and older -> the 1.30.3 file, anything newer -> master."""
    parsed = _parse_version(version)
    name = CRD_PINNED if parsed is not None and parsed <= PINNED_VERSION else CRD_LATEST
    for d in _data_dirs():
        if (d / name).is_file():
            return d / name
    raise FileNotFoundError(f"Istio CRD file {name} not found in {', '.join(str(d) for d in _data_dirs())}")


@dataclass
class Crd:
    group: str
    kind: str
    versions: dict[str, dict[str, Any]]  # served version name -> openAPIV3Schema


@functools.lru_cache(maxsize=4)
def load_crds(path: str) -> dict[tuple[str, str], Crd]:
    """The served schemas of every CRD in the file. Parsing the 15-CRD YAML takes ~0.25 s, so the extract is kept
    as JSON in chartgen's tools folder, keyed by the file's sha256, and reused by later processes."""
    import hashlib
    import json

    from chartgen.helm_install import tools_dir

    raw = Path(path).read_bytes()
    cache = tools_dir() / "istio-crds" / f"{hashlib.sha256(raw).hexdigest()[:24]}.json"
    data: list[dict[str, Any]] | None = None
    if cache.is_file():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except ValueError:
            data = None
    if data is None:
        data = _extract_crds(raw)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(cache)
        except OSError:
            pass  # a read-only home: parse every time
    return {(c["group"], c["kind"]): Crd(c["group"], c["kind"], c["versions"]) for c in data}


def _extract_crds(raw: bytes) -> list[dict[str, Any]]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for doc in yaml.load_all(raw, Loader=loader):
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc.get("spec") or {}
        group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
        versions = {}
        for v in spec.get("versions") or []:
            if v.get("served", True):
                versions[v["name"]] = ((v.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"}
        out.append({"group": group, "kind": kind, "versions": versions})
    return out


# --------------------------------------------------------------------------------------------------------------
# OpenAPI v3 (Kubernetes structural schema) -> JSON Schema
# --------------------------------------------------------------------------------------------------------------

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
    root["additionalProperties"] = False
    return root


# --------------------------------------------------------------------------------------------------------------
# CEL
# --------------------------------------------------------------------------------------------------------------

_CEL_MACROS = {"has", "all", "exists", "exists_one", "map", "filter"}


@dataclass(frozen=True)
class SkippedRule:
    kind: str
    version: str
    path: str  # schema path, e.g. spec.servers[].tls
    rule: str
    reason: str
    crd_file: str


_SKIPPED: dict[tuple[str, str, str, str, str], SkippedRule] = {}


@functools.cache
def _cel_extensions() -> dict[str, Any]:
    """The Kubernetes CEL string-library functions celpy lacks (cel-go ext.Strings), as far as CRDs use them."""
    from celpy import celtypes

    S = celtypes.StringType

    def substring(s: Any, start: Any, end: Any = None) -> Any:
        return S(str(s)[int(start):] if end is None else str(s)[int(start):int(end)])

    def index_of(s: Any, sub: Any, offset: Any = 0) -> Any:
        return celtypes.IntType(str(s).find(str(sub), int(offset)))

    def last_index_of(s: Any, sub: Any, offset: Any = None) -> Any:
        text = str(s) if offset is None else str(s)[: int(offset) + len(str(sub))]
        return celtypes.IntType(text.rfind(str(sub)))

    def replace(s: Any, old: Any, new: Any, n: Any = -1) -> Any:
        return S(str(s).replace(str(old), str(new), int(n)))

    def split(s: Any, sep: Any, n: Any = -1) -> Any:
        n = int(n)
        if n == 0:
            return celtypes.ListType([])
        return celtypes.ListType([S(x) for x in str(s).split(str(sep), n - 1 if n > 0 else -1)])

    def join(items: Any, sep: Any = "") -> Any:
        return S(str(sep).join(str(x) for x in items))

    return {
        "substring": substring,
        "charAt": lambda s, i: S(str(s)[int(i):int(i) + 1]),
        "lowerAscii": lambda s: S(str(s).lower()),
        "upperAscii": lambda s: S(str(s).upper()),
        "trim": lambda s: S(str(s).strip()),
        "indexOf": index_of,
        "lastIndexOf": last_index_of,
        "replace": replace,
        "split": split,
        "join": join,
    }


@functools.cache
def _cel_known_functions() -> frozenset[str]:
    from celpy import evaluation

    return (frozenset(k for k in evaluation.base_functions if k[:1].isalpha()) | _CEL_MACROS
            | frozenset(_cel_extensions()))


@functools.lru_cache(maxsize=1)
def _install_cached_cel_parser() -> None:
    """celpy builds its lark LALR parser from the grammar on first use (~0.4 s per process). Build the same parser
    with lark's grammar cache (kept in chartgen's tools folder) so later processes load it in a few ms."""
    import re

    import celpy
    import lark
    from celpy.celparser import CELParser

    from chartgen.helm_install import tools_dir

    if CELParser.CEL_PARSER is not None:
        return
    try:
        cache = tools_dir() / f"cel-lark-{getattr(celpy, '__version__', 'x')}-{lark.__version__}.cache"
        cache.parent.mkdir(parents=True, exist_ok=True)
        grammar = (Path(celpy.__file__).parent / "cel.lark").read_text(encoding="utf-8")
        CELParser.CEL_PARSER = lark.Lark(
            grammar, parser="lalr", start="expr", g_regex_flags=re.M,
            lexer_callbacks={"IDENT": CELParser.ambiguous_literals}, propagate_positions=True,
            maybe_placeholders=False, priority="invert", tree_class=lark.Tree, cache=str(cache))
    except Exception:  # no writable cache, or a celpy that builds its parser differently: let celpy do it
        CELParser.CEL_PARSER = None


@functools.cache
def compile_cel(rule_text: str) -> tuple[Any, str | None]:
    """(program, None) or (None, reason the rule cannot be evaluated by celpy)."""
    import celpy

    _install_cached_cel_parser()
    try:
        env = celpy.Environment()
        ast = env.compile(rule_text)
    except Exception as exc:  # CELParseError and anything lark raises
        return None, f"does not compile: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    known = _cel_known_functions()
    for t in ast.iter_subtrees():
        if t.data == "ident_arg":
            name = str(t.children[0])
        elif t.data == "member_dot_arg":
            name = str(t.children[1])
        else:
            continue
        if name not in known:
            return None, f"uses {name}(), which celpy does not provide"
    try:
        return env.program(ast, functions=_cel_extensions()), None
    except Exception as exc:
        return None, f"does not compile: {exc}"


@dataclass
class CelRule:
    rule: str
    message: str
    program: Any


@dataclass
class CelNode:
    type: Any = None
    rules: list[CelRule] = field(default_factory=list)
    props: dict[str, CelNode] = field(default_factory=dict)
    items: CelNode | None = None
    addl: CelNode | None = None


def build_cel_plan(node: dict[str, Any], path: str, kind: str, version: str, crd_file: str) -> CelNode | None:
    """The parts of a schema that carry CEL rules, compiled; None when the subtree has none."""
    if not isinstance(node, dict):
        return None
    plan = CelNode(type=node.get("type"))
    for v in node.get("x-kubernetes-validations") or []:
        text = str(v.get("rule", ""))
        if not text or "oldSelf" in text:
            continue  # transition rules are not evaluated on create
        program, reason = compile_cel(text)
        if program is None:
            _SKIPPED[(crd_file, kind, version, path, text)] = SkippedRule(kind, version, path or "<root>", text,
                                                                         reason or "", crd_file)
            continue
        plan.rules.append(CelRule(text, str(v.get("message") or f"failed rule: {text}"), program))
    for name, child in (node.get("properties") or {}).items():
        sub = build_cel_plan(child, f"{path}.{name}" if path else name, kind, version, crd_file)
        if sub is not None:
            plan.props[name] = sub
    if isinstance(node.get("items"), dict):
        plan.items = build_cel_plan(node["items"], f"{path}[]", kind, version, crd_file)
    if isinstance(node.get("additionalProperties"), dict):
        plan.addl = build_cel_plan(node["additionalProperties"], f"{path}[*]", kind, version, crd_file)
    if plan.rules or plan.props or plan.items or plan.addl:
        return plan
    return None


_PY_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _type_ok(schema_type: Any, value: Any) -> bool:
    if value is None:
        return False
    if schema_type in _PY_TYPES:
        return isinstance(value, _PY_TYPES[schema_type])
    if schema_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if schema_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


_PASS = object()
_CEL_RESULTS: dict[tuple[str, str], Any] = {}  # (rule, canonical JSON of self) -> _PASS | None | problem text


def _run_cel(r: CelRule, value: Any) -> Any:
    """_PASS, None (rule is false) or a problem text (rule could not be evaluated on the value). Memoized: charts
    repeat the same few values (timeouts, label maps) and celpy interprets each evaluation (~1 ms)."""
    import json

    try:
        key = (r.rule, json.dumps(value, sort_keys=True, default=str))
    except (TypeError, ValueError):
        key = None
    if key is not None and key in _CEL_RESULTS:
        return _CEL_RESULTS[key]
    result = _evaluate(r, value)
    if key is not None:
        if len(_CEL_RESULTS) > 50_000:
            _CEL_RESULTS.clear()
        _CEL_RESULTS[key] = result
    return result


def _evaluate(r: CelRule, value: Any) -> Any:
    import celpy
    from celpy.evaluation import CELEvalError

    try:
        activation = {"self": celpy.json_to_cel(value)}
    except Exception:
        return _PASS  # not representable in CEL: the structural check reports the value
    try:
        result = r.program.evaluate(activation)
    except CELEvalError as exc:
        result = exc
    except Exception as exc:  # defensive: a celpy bug must not break the check
        result = CELEvalError(str(exc))
    if isinstance(result, CELEvalError):
        if len(result.args) > 1 and result.args[1] is KeyError:
            return _PASS  # an unsupported function slipped through the compile-time scan: treat as skipped
        return f"invalid value {_short(value)}: the rule cannot be evaluated on it"
    return _PASS if bool(result) else None


def _eval_cel(plan: CelNode, value: Any, path: list[Any], out: list[tuple[list[Any], CelRule, str | None]]) -> None:
    if not _type_ok(plan.type, value):
        return  # wrong type or null: the structural check reports it
    if plan.rules:
        for r in plan.rules:
            problem = _run_cel(r, value)
            if problem is not _PASS:
                out.append((path, r, problem))
    if plan.props and isinstance(value, dict):
        for name, child in plan.props.items():
            if name in value:
                _eval_cel(child, value[name], path + [name], out)
    if plan.items is not None and isinstance(value, list):
        for i, v in enumerate(value):
            _eval_cel(plan.items, v, path + [i], out)
    if plan.addl is not None and isinstance(value, dict):
        for k, v in value.items():
            _eval_cel(plan.addl, v, path + [k], out)


# --------------------------------------------------------------------------------------------------------------
# compiled validators
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Compiled:
    validator: Any
    cel: CelNode | None


@functools.cache
def compiled(crd_file: str, group: str, kind: str, version: str) -> Compiled | None:
    crd = load_crds(crd_file).get((group, kind))
    if crd is None or version not in crd.versions:
        return None
    from jsonschema import Draft202012Validator

    openapi = crd.versions[version]
    schema = document_schema(openapi, f"{group}/{version}", kind)
    validator = Draft202012Validator(schema)
    name = Path(crd_file).name
    cel = build_cel_plan(openapi, "", kind, version, name)
    return Compiled(validator, cel)


def skipped_cel_rules(istio_version: str = "1.30", kinds: tuple[str, ...] | None = EMITTED_KINDS
                      ) -> list[SkippedRule]:
    """CEL rules of these kinds (all served versions) that celpy cannot evaluate; None = every kind."""
    path = str(istio_crd_path(istio_version))
    for (group, kind), crd in load_crds(path).items():
        if kinds is not None and kind not in kinds:
            continue
        for version in crd.versions:
            compiled(path, group, kind, version)
    name = Path(path).name
    return [s for s in _SKIPPED.values() if s.crd_file == name and (kinds is None or s.kind in kinds)]


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
    return [(where, f"{where}: {err.message}", "fix the value to satisfy the Istio CRD schema")]


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


def _istio_group(doc: Document) -> tuple[str, str] | None:
    av = doc.api_version
    if "/" not in av:
        return None
    group, version = av.split("/", 1)
    return (group, version) if group.endswith(".istio.io") else None


def _results(index: ManifestIndex, opts: CheckOptions) -> tuple[list[Finding], list[Finding]]:
    """(structural, CEL) findings for every Istio object of the index; computed once per index and version."""
    from chartgen.check.cross import index_cache

    cache: dict[str, tuple[list[Finding], list[Finding]]] = index_cache(index, "_cg_istio_schema", dict)
    key = opts.istio_version
    if key in cache:
        return cache[key]
    structural: list[Finding] = []
    cel: list[Finding] = []
    docs = [(d, g) for d in index.documents if (g := _istio_group(d)) is not None]
    if docs:
        crd_file = str(istio_crd_path(opts.istio_version))
        crds = load_crds(crd_file)
        label = Path(crd_file).name
        for doc, (group, version) in docs:
            crd = crds.get((group, doc.kind))
            if crd is None:
                continue  # unknown Istio kind: skipped
            comp = compiled(crd_file, group, doc.kind, version)
            if comp is None:
                served = ", ".join(sorted(crd.versions))
                structural.append(Finding.at(
                    doc, RULE_STRUCT, Severity.ERROR,
                    f"{doc.kind} {doc.name}: apiVersion {doc.api_version} is not served by the Istio CRDs "
                    f"({label}; served: {served})",
                    f"use {group}/v1" if "v1" in crd.versions else f"use one of {served}", field="apiVersion"))
                continue
            obj = prune_nulls(doc.obj)
            errs = sorted(comp.validator.iter_errors(obj), key=lambda e: [str(p) for p in e.absolute_path])
            for err in errs:
                for fpath, message, hint in describe_error(err):
                    structural.append(Finding.at(doc, RULE_STRUCT, Severity.ERROR,
                                                 f"{doc.kind} {doc.name}: {message} [Istio CRD {label}]", hint,
                                                 field=fpath))
            if comp.cel is not None:
                failures: list[tuple[list[Any], CelRule, str | None]] = []
                _eval_cel(comp.cel, obj, [], failures)
                for path, r, problem in failures:
                    fpath = fmt_path(path) or "<root>"
                    detail = f" ({problem})" if problem else ""
                    cel.append(Finding.at(doc, RULE_CEL, Severity.ERROR,
                                          f"{doc.kind} {doc.name}: {fpath}: {r.message}{detail} "
                                          f"[x-kubernetes-validations rule `{r.rule}`]",
                                          f"change {fpath} so that it satisfies: {r.message}", field=fpath))
    cache[key] = (structural, cel)
    return structural, cel


@rule(RULE_STRUCT, Severity.ERROR, "Istio object does not match its CRD schema (strict: unknown fields, types, enums)",
      LAYER)
def istio_schema(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    yield from _results(index, opts)[0]


@rule(RULE_CEL, Severity.ERROR, "Istio object violates a CRD x-kubernetes-validations (CEL) rule", LAYER)
def istio_cel(index: ManifestIndex, opts: CheckOptions) -> Iterator[Finding]:
    yield from _results(index, opts)[1]
