"""A yes/no pre-check of chartgen.yaml against its JSON Schema that does not import jsonschema.

`conforms(schema, data)` answers True only when it is certain the data is valid under Draft 7 for the keywords it
knows; for anything else (an unknown keyword, a non-local `$ref`, a value whose comparison it does not model) it
answers False, and the caller runs jsonschema, whose errors are the ones reported. So messages never change, and a
valid chartgen.yaml (the common case: every `chartgen new` and `chartgen generate`) does not pay jsonschema's import
(~35-60 ms of a process; bench/README.md "Start-up"). It is stricter than jsonschema where that is simpler (`$ref`
siblings are checked too; `enum` compares types exactly): a False only costs the jsonschema run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "default", "examples", "definitions"})
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


class _Unsure(Exception):
    """Raised for what this checker does not model: the caller must ask jsonschema."""


def conforms(schema: Mapping[str, Any], data: Any) -> bool:
    """True: certainly valid. False: invalid, or not certain (run jsonschema for the errors)."""
    try:
        return _valid(schema, data, schema)
    except (_Unsure, RecursionError):
        return False


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _same(a: Any, b: Any) -> bool:
    scalars = (str, int, float, bool, type(None))
    if not isinstance(a, scalars) or not isinstance(b, scalars):
        raise _Unsure  # containers in enum/const: leave it to jsonschema
    return type(a) is type(b) and a == b


def _valid(schema: Any, v: Any, root: Mapping[str, Any]) -> bool:
    if schema is True:
        return True
    if schema is False or not isinstance(schema, dict):
        raise _Unsure
    for key, arg in schema.items():
        if key in ANNOTATIONS:
            continue
        if key == "additionalProperties":
            if "patternProperties" in schema:
                raise _Unsure
            if not _additional(arg, v, root, schema):
                return False
            continue
        check = _KEYWORDS.get(key)
        if check is None:
            raise _Unsure
        if not check(arg, v, root):
            return False
    return True


def _ref(arg: Any, v: Any, root: Mapping[str, Any]) -> bool:
    """A local `$ref` below #/definitions/ (a JSON pointer without escapes: a name needing one is not modelled)."""
    if not isinstance(arg, str) or not arg.startswith("#/definitions/") or "~" in arg:
        raise _Unsure
    target: Any = root
    for name in arg[2:].split("/"):
        if not isinstance(target, dict) or name not in target:
            raise _Unsure
        target = target[name]
    return _valid(target, v, root)


def _type(arg: Any, v: Any, root: Mapping[str, Any]) -> bool:
    names = [arg] if isinstance(arg, str) else arg
    if not all(n in _TYPES for n in names):
        raise _Unsure
    return any(_TYPES[n](v) for n in names)


def _properties(arg: Any, v: Any, root: Mapping[str, Any]) -> bool:
    if not isinstance(v, dict):
        return True
    return all(_valid(sub, v[k], root) for k, sub in arg.items() if k in v)


def _additional(arg: Any, v: Any, root: Mapping[str, Any], schema: Mapping[str, Any]) -> bool:
    """additionalProperties: keys not named in the sibling `properties` (no patternProperties: see _valid)."""
    if not isinstance(v, dict):
        return True
    named = schema.get("properties", {})
    extra = [k for k in _keys(v) if k not in named]
    if arg is False:
        return not extra
    return all(_valid(arg, v[k], root) for k in extra)


def _keys(v: dict[Any, Any]) -> list[str]:
    if not all(isinstance(k, str) for k in v):
        raise _Unsure
    return list(v)


_KEYWORDS: dict[str, Any] = {
    "$ref": _ref,
    "type": _type,
    "enum": lambda arg, v, root: any(_same(v, e) for e in arg),
    "const": lambda arg, v, root: _same(v, arg),
    "minimum": lambda arg, v, root: not _number(v) or v >= arg,
    "maximum": lambda arg, v, root: not _number(v) or v <= arg,
    "pattern": lambda arg, v, root: not isinstance(v, str) or _regex(arg).search(v) is not None,
    "minLength": lambda arg, v, root: not isinstance(v, str) or len(v) >= arg,
    "maxLength": lambda arg, v, root: not isinstance(v, str) or len(v) <= arg,
    "minItems": lambda arg, v, root: not isinstance(v, list) or len(v) >= arg,
    "maxItems": lambda arg, v, root: not isinstance(v, list) or len(v) <= arg,
    "minProperties": lambda arg, v, root: not isinstance(v, dict) or len(v) >= arg,
    "maxProperties": lambda arg, v, root: not isinstance(v, dict) or len(v) <= arg,
    "required": lambda arg, v, root: not isinstance(v, dict) or all(k in v for k in arg),
    "properties": _properties,
    "allOf": lambda arg, v, root: all(_valid(sub, v, root) for sub in arg),
    # every branch is decided (an unsure branch makes the whole answer unsure), so "exactly one" is certain too
    "anyOf": lambda arg, v, root: sum(_valid(sub, v, root) for sub in arg) >= 1,
    "oneOf": lambda arg, v, root: sum(_valid(sub, v, root) for sub in arg) == 1,
    "items": lambda arg, v, root: not isinstance(v, list) or (
        all(_valid(arg, item, root) for item in v) if isinstance(arg, dict | bool) else _unsure()),
    "propertyNames": lambda arg, v, root: not isinstance(v, dict) or all(_valid(arg, k, root) for k in _keys(v)),
}


def _unsure() -> bool:
    raise _Unsure
