"""Helm-exact value merging: maps merge deeply, lists and scalars replace, null deletes a key."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return base overlaid with override the way helm coalesces `-f` values files.

    A key set to None in the override removes that key from the result (Helm's "null deletes"). A null with
    nothing to delete (the key is absent from base, or sits inside a map that replaces a non-map) stays in the
    result as None: helm 3.17 and 4.1 both keep it (`key: null` in `toYaml .Values`);
    tests/test_merge_vs_helm.py checks every rule here against both.
    """
    out: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        if value is None:
            if key in out:
                del out[key]
            else:
                out[key] = None
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def diff(base: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest override that, merged onto base, yields target.

    Keys missing from target become None (delete); lists that differ are given whole.
    """
    out: dict[str, Any] = {}
    for key, value in target.items():
        if key not in base:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, Mapping) and isinstance(base[key], Mapping):
            sub = diff(base[key], value)
            if sub:  # removed sub-keys appear as None inside sub
                out[key] = sub
        elif value != base[key] or type(value) is not type(base[key]):
            out[key] = copy.deepcopy(value)
    for key in base:
        if key not in target:
            out[key] = None
    return out
