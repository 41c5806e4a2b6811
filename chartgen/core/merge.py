"""Helm-exact value merging: maps merge deeply, lists and scalars replace, null deletes a key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_LEAVES = frozenset({str, int, float, bool, type(None)})  # returned as they are, without an isinstance(Mapping)


def plain_copy(value: Any) -> Any:
    """A deep copy of plain data (maps, lists, scalars: what YAML and JSON give), several times faster than
    copy.deepcopy, which `chartgen new` would otherwise spend a tenth of its process in. Any Mapping becomes a dict,
    any list a list; every other value is shared. The exact types YAML gives are tested first (an isinstance against
    the Mapping ABC is slow, and generate copies some 100,000 values per chart)."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _LEAVES else plain_copy(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _LEAVES else plain_copy(v) for v in value]
    if kind in _LEAVES:
        return value
    if isinstance(value, Mapping):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    return value


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return base overlaid with override the way helm coalesces `-f` values files.

    A key set to None in the override removes that key from the result (Helm's "null deletes"). A null with
    nothing to delete (the key is absent from base, or sits inside a map that replaces a non-map) stays in the
    result as None: helm 3.17 and 4.1 both keep it (`key: null` in `toYaml .Values`);
    tests/core/test_merge_vs_helm.py checks every rule here against both.
    """
    return merge_into(plain_copy(base), override)


def merge_into(out: dict[str, Any], override: Mapping[str, Any], *, owned: bool = False) -> dict[str, Any]:
    """merge(), overlaying `out` in place (a map the caller owns, e.g. one merge() returned); returns it.

    owned=True: `override` is the caller's too (freshly parsed) and may become part of `out` without a copy.
    """
    for key, value in override.items():
        if value is None:
            if key in out:
                del out[key]
            else:
                out[key] = None
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            merge_into(out[key], value, owned=owned)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value if owned else plain_copy(value)
    return out


def diff(base: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest override that, merged onto base, yields target.

    Keys missing from target become None (delete); lists that differ are given whole.
    """
    out: dict[str, Any] = {}
    for key, value in target.items():
        if key not in base:
            out[key] = plain_copy(value)
        elif isinstance(value, Mapping) and isinstance(base[key], Mapping):
            sub = diff(base[key], value)
            if sub:  # removed sub-keys appear as None inside sub
                out[key] = sub
        elif value != base[key] or type(value) is not type(base[key]):
            out[key] = plain_copy(value)
    for key in base:
        if key not in target:
            out[key] = None
    return out


def lookup(data: Any, dotted: str, default: Any = None) -> Any:
    """The value at a dotted path of nested maps (`resources.limits.cpu`), or `default` when a step is missing."""
    value = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value
