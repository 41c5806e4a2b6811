"""The fast path of the CRD schema layer: a custom resource that is valid passes without jsonschema or celpy.

Importing jsonschema and celpy and compiling a CRD's CEL rules cost more than the rest of a one-document
`chartgen check --crds`. Most documents are valid, so :func:`passes` first asks a compiled form of the same schema:
an exact JSON Schema interpreter over the schema :func:`chartgen.check.crd_schema.document_schema` builds (the
keywords that function emits, with jsonschema's semantics) and the CRD's CEL rules translated to Python
(:mod:`chartgen.check.cel_py`). It returns True only when the document is valid and every CEL rule the full path
would evaluate holds; anything it cannot decide (a keyword or CEL construct it does not know, a value whose reading
could differ) is False, and the caller runs the full validator, which produces the findings. So the fast path can
only skip work, never a finding.

The compiled form is built once per CRD version and kept in ~/.cache/chartgen/crd-schemas/ (CHARTGEN_TOOLS_DIR moves
it with the CRD files' cache, $CHARTGEN_CRD_CACHE_DIR moves it alone), keyed by the CRD's
content key (a digest of its file or object), the served version, chartgen's version, a digest of the code that builds
the entry (so an edited install never reads an older one), this module's format and the Python bytecode tag; an
entry carries a digest of its payload, so a corrupt or truncated entry is a miss, and entries are written whole (temp
file renamed into place). $CHARTGEN_NO_TEMPLATE_CACHE disables the disk cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chartgen import __version__
from chartgen.check import cel_py
from chartgen.check.cel import SkippedRule, type_ok
from chartgen.check.cel_py import RUNTIME, Unsure, translate
from chartgen.check.crd_source import Crd
from chartgen.core.user_cache import tools_dir

FORMAT = 1
CACHE_ENV = "CHARTGEN_CRD_CACHE_DIR"
_DIGEST = 32  # bytes of sha256 in front of each entry


class _Unknown(Exception):
    """A schema keyword the interpreter does not implement: no fast path for this CRD version."""


# --- JSON Schema (the subset document_schema emits), with jsonschema's semantics ----------------------------------

_LIST_MAP_KEYS = "x-chartgen-list-map-keys"
_KNOWN = {"type", "enum", "const", "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
          "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "minProperties",
          "maxProperties", "multipleOf", "properties", "items", "additionalProperties", "allOf", "anyOf", "oneOf",
          "not", _LIST_MAP_KEYS}


def check_schema_known(schema: Any) -> None:
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict) or set(schema) - _KNOWN:
        raise _Unknown
    for child in (schema.get("properties") or {}).values():
        check_schema_known(child)
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            check_schema_known(schema[key])
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key) or ():
            check_schema_known(child)


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "null":
        return value is None
    py = {"string": str, "object": dict, "array": list, "boolean": bool}.get(name)
    if py is None:
        raise Unsure
    return isinstance(value, py)


def _unbool(v: Any) -> Any:
    return ("__bool__", v) if isinstance(v, bool) else v


def equal(a: Any, b: Any) -> bool:
    """jsonschema._utils.equal: bools are not numbers; sequences and mappings compared element-wise."""
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    return bool(_unbool(a) == _unbool(b))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def valid(schema: Any, v: Any) -> bool:
    """Is v valid against the schema, exactly as jsonschema's Draft 2020-12 validator decides (Unsure otherwise)?"""
    if schema is True:
        return True
    if schema is False:
        return False
    t = schema.get("type")
    if t is not None and not any(_is_type(v, n) for n in ([t] if isinstance(t, str) else t)):
        return False
    if "enum" in schema and not any(equal(v, e) for e in schema["enum"]):
        return False
    if "const" in schema and not equal(v, schema["const"]):
        return False
    if isinstance(v, dict) and not _object_ok(schema, v):
        return False
    if isinstance(v, list) and not _array_ok(schema, v):
        return False
    if isinstance(v, str) and not _string_ok(schema, v):
        return False
    if _number(v) and not _number_ok(schema, v):
        return False
    if "allOf" in schema and not all(valid(s, v) for s in schema["allOf"]):
        return False
    if "anyOf" in schema and not any(valid(s, v) for s in schema["anyOf"]):
        return False
    if "oneOf" in schema and sum(1 for s in schema["oneOf"] if valid(s, v)) != 1:
        return False
    return not ("not" in schema and valid(schema["not"], v))


def _object_ok(schema: dict[str, Any], v: dict[str, Any]) -> bool:
    if any(k not in v for k in schema.get("required", ())):
        return False
    if len(v) < schema.get("minProperties", 0) or len(v) > schema.get("maxProperties", len(v)):
        return False
    props = schema.get("properties") or {}
    for k, child in props.items():
        if k in v and not valid(child, v[k]):
            return False
    addl = schema.get("additionalProperties", True)
    if addl is not True:
        extras = [k for k in v if k not in props]
        if addl is False and extras:
            return False
        if isinstance(addl, dict) and not all(valid(addl, v[k]) for k in extras):
            return False
    return True


def _array_ok(schema: dict[str, Any], v: list[Any]) -> bool:
    if len(v) < schema.get("minItems", 0) or len(v) > schema.get("maxItems", len(v)):
        return False
    if schema.get("uniqueItems") and any(equal(v[i], v[j]) for i in range(len(v)) for j in range(i)):
        return False
    keys = schema.get(_LIST_MAP_KEYS)
    if keys:
        seen = [tuple(repr(item.get(k)) for k in keys) for item in v if isinstance(item, dict)]
        if len(seen) != len(set(seen)):
            return False
    items = schema.get("items")
    return items is None or all(valid(items, x) for x in v)


def _string_ok(schema: dict[str, Any], v: str) -> bool:
    if len(v) < schema.get("minLength", 0) or len(v) > schema.get("maxLength", len(v)):
        return False
    pattern = schema.get("pattern")
    if pattern is not None:
        try:
            return re.search(pattern, v) is not None
        except re.error:
            raise Unsure from None
    return True


def _number_ok(schema: dict[str, Any], v: float) -> bool:
    if "minimum" in schema and v < schema["minimum"]:
        return False
    if "maximum" in schema and v > schema["maximum"]:
        return False
    if "exclusiveMinimum" in schema and v <= schema["exclusiveMinimum"]:
        return False
    if "exclusiveMaximum" in schema and v >= schema["exclusiveMaximum"]:
        return False
    if "multipleOf" in schema:
        raise Unsure  # float semantics: leave it to jsonschema
    return True


# --- CEL ----------------------------------------------------------------------------------------------------------

# a node of the CEL plan: (schema type, rules (code objects, None when not translated), props, items, addl)
CelTree = tuple[Any, tuple[Any, ...], dict[str, Any], Any, Any]


def cel_tree(node: Any) -> CelTree | None:
    """The CelNode plan of chartgen.check.cel with each rule translated and compiled to a code object."""
    if node is None:
        return None
    rules = []
    for r in node.rules:
        py = translate(r.rule)
        try:
            rules.append(compile(py, f"<cel {r.rule[:40]}>", "eval") if py is not None else None)
        except (SyntaxError, ValueError):  # a translation Python does not accept: the rule stays with celpy
            rules.append(None)
    return (node.type, tuple(rules), {k: cel_tree(c) for k, c in node.props.items()}, cel_tree(node.items),
            cel_tree(node.addl))


def cel_holds(tree: CelTree | None, value: Any) -> bool:
    """Every rule the full path evaluates (the same walk as chartgen.check.cel._eval) holds on its value."""
    if tree is None:
        return True
    typ, rules, props, items, addl = tree
    if not type_ok(typ, value):
        return True
    for code in rules:
        if code is None or eval(code, {**RUNTIME, "__builtins__": {}, "_self": value}) is not True:  # noqa: S307
            return False
    if props and isinstance(value, dict) and not all(cel_holds(c, value[k]) for k, c in props.items() if k in value):
        return False
    if items is not None and isinstance(value, list) and not all(cel_holds(items, x) for x in value):
        return False
    return not (addl is not None and isinstance(value, dict) and not all(cel_holds(addl, x) for x in value.values()))


# --- the compiled form and its cache -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FastCheck:
    schema: dict[str, Any]
    cel: CelTree | None
    skipped: list[SkippedRule]


def passes(fc: FastCheck, obj: Any) -> bool:
    """True only when the full validator would report nothing for obj (structure and CEL)."""
    try:
        return valid(fc.schema, obj) and cel_holds(fc.cel, obj)
    except (Unsure, RecursionError, TypeError, ValueError, KeyError, IndexError, AttributeError):
        return False


_MEMO: dict[tuple[str, str], FastCheck | None] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """$CHARTGEN_CRD_CACHE_DIR, else crd-schemas/ in chartgen's tools folder (next to the CRD files' cache)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else tools_dir() / "crd-schemas"


@functools.cache
def code_digest() -> str:
    """A digest of the code that builds an entry (this module, the CEL translator and planner, the schema
    conversion): an editable install changed without a version bump gets new entries too."""
    from chartgen.check import cel, crd_schema

    digest = hashlib.sha256()
    for module in (sys.modules[__name__], cel_py, cel, crd_schema):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _entry_path(crd: Crd, version: str) -> str:
    key = "\0".join((__version__, code_digest(), str(FORMAT), sys.implementation.cache_tag or "", crd.key, version))
    return str(cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()}.bin")


def _read(path: str) -> FastCheck | None:
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        with open(path, "rb") as fh:
            raw = fh.read()
        digest, payload = raw[:_DIGEST], raw[_DIGEST:]
        if hashlib.sha256(payload).digest() != digest:
            return None
        schema, cel, skipped = marshal.loads(payload)
        return FastCheck(schema, cel, [SkippedRule(*s) for s in skipped])
    return None


def _write(path: str, fc: FastCheck) -> None:
    try:
        payload = marshal.dumps((fc.schema, fc.cel, [(s.path, s.rule, s.reason) for s in fc.skipped]))
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
    except (OSError, ValueError):
        with contextlib.suppress(NameError, OSError):
            os.unlink(tmp)


def build(crd: Crd, version: str) -> FastCheck | None:
    from chartgen.check.cel import build_cel_plan
    from chartgen.check.crd_schema import document_schema

    openapi = crd.versions[version]
    schema = document_schema(openapi, f"{crd.group}/{version}", crd.kind)
    try:
        check_schema_known(schema)
    except _Unknown:
        return None
    plan = build_cel_plan(openapi)
    return FastCheck(schema, cel_tree(plan.root), plan.skipped)


def fast_check(crd: Crd, version: str) -> FastCheck | None:
    """The compiled form of one served version of a CRD (per process, then the disk cache, then built)."""
    key = (crd.key, version)
    if key in _MEMO:
        return _MEMO[key]
    with _LOCK:
        if key not in _MEMO:
            use_disk = not os.environ.get("CHARTGEN_NO_TEMPLATE_CACHE")
            path = _entry_path(crd, version)
            fc = _read(path) if use_disk else None
            if fc is None:
                fc = build(crd, version)
                if fc is not None and use_disk:
                    _write(path, fc)
            _MEMO[key] = fc
        return _MEMO[key]
